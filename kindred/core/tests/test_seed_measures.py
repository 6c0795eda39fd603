"""Seeded questionnaire answers (core/seeding/measures.py): the demo's go through the real
planning and answering services; the scale set's are bulk-inserted. Either way every
cached total is what the scoring engine makes of the stored answers."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from kindred.accounts.models import User
from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.core.seeding.demo import DEMO_DOMAIN
from kindred.core.seeding.measures import (
    Kind,
    answers_for,
    course_for,
    demo_kinds,
    phq9_answers,
    seed_scale_questionnaires,
)
from kindred.groups.models import TherapyGroup
from kindred.measures.administrations import definition_for
from kindred.measures.instruments import builtin
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    AlertSource,
    AlertStatus,
    OutcomeSettings,
    Response,
    SafetyAlert,
    Timing,
)
from kindred.measures.outcomes import client_trajectories
from kindred.measures.safety import PHQ9_ITEM9_FLAG
from kindred.measures.scoring import score


def _answers_by_administration() -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for admin_id, item, value in Response.objects.values_list("administration_id", "item", "value"):
        found[admin_id][item] = value
    return found


def assert_cached_results_are_the_engines(admins: list[Administration]) -> None:
    """Every cached total, band, subscale and flag equals a fresh scoring of the stored
    answers, and every answer is to an item of the version that was sent."""
    answers = _answers_by_administration()
    for admin in admins:
        definition = definition_for(admin)
        given = answers.get(admin.pk, {})
        assert set(given) <= set(definition.items_by_key), admin
        if not given:
            assert admin.total is None
            assert admin.flags == []
            continue
        result = score(definition, given, cutoffs=dict(admin.instrument.cutoffs or {}))
        completed = admin.status == AdministrationStatus.COMPLETED
        assert admin.is_complete == (result.complete and completed), admin
        if admin.is_complete:
            assert result.total is not None
            assert admin.total == round(result.total), admin
            assert admin.band == result.band, admin
            assert admin.subscales == dict(result.subscales), admin
        else:
            assert admin.total is None
            assert admin.band == ""
        if admin.status != AdministrationStatus.IN_PROGRESS:  # scored on sending or closing
            assert admin.flags == list(result.flags), admin


# --- Synthetic answers ---------------------------------------------------------------------


def test_courses_move_by_more_than_the_reliable_change_whatever_the_noise():
    from random import Random

    for n in range(50):
        rng = Random(n)
        better = course_for(rng, Kind.IMPROVING)
        worse = course_for(rng, Kind.DETERIORATING)
        assert better.phq9[0] - better.phq9[1] - 2 >= 6 or better.phq9[1] == 1
        assert worse.phq9[1] - worse.phq9[0] - 2 >= 6
        assert worse.gad7[1] - worse.gad7[0] - 2 >= 4


def test_answers_add_up_to_the_total_the_course_asks_for():
    from random import Random

    rng = Random(4)
    for total in range(26):  # with item 9 at 1, the other items give at most 24
        answers = phq9_answers(rng, total, item9=1 if total else 0)
        result = score(builtin("phq9"), answers)
        assert result.total == total
        assert (PHQ9_ITEM9_FLAG in result.flags) == (total > 0)
    course = course_for(rng, Kind.FLAT)
    for code in ("phq9", "gad7", "pulse"):
        answers = answers_for(rng, code, course, 0.5)
        assert score(builtin(code), answers).complete


def test_demo_courses_mostly_improve_with_one_deteriorating():
    assert demo_kinds(0) == []
    assert demo_kinds(1) == [Kind.IMPROVING]
    assert demo_kinds(2) == [Kind.IMPROVING, Kind.DETERIORATING]
    kinds = Counter(demo_kinds(8))
    assert kinds == {Kind.IMPROVING: 5, Kind.FLAT: 2, Kind.DETERIORATING: 1}


# --- Demo ----------------------------------------------------------------------------------


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def _load_demo() -> None:
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def demo(db, debug) -> None:
    _load_demo()


def test_demo_members_answered_through_the_services_and_the_engine_scored_them(demo):
    admins = list(Administration.objects.select_related("instrument"))
    completed = [a for a in admins if a.status == AdministrationStatus.COMPLETED]
    assert completed
    assert_cached_results_are_the_engines(admins)
    # Through administration_submit: each completion audited, by the member who answered.
    events = AuditEvent.objects.filter(action="measures.administration.completed")
    assert events.count() == len(completed)
    members = set(User.objects.filter(kind="member").values_list("pk", flat=True))
    assert set(events.values_list("actor_id", flat=True)) <= members
    # Answered inside each window, at the time it was open; some dozens of answers for
    # each member (every member holding a place in a demo group answers).
    for admin in completed:
        assert admin.completed_at is not None
        assert admin.available_from <= admin.completed_at < (admin.closes_at or timezone.now())
        assert admin.completed_at < timezone.now()
    assert 20 * len(members) <= Response.objects.count() <= 100 * len(members)
    reasons = Counter(a.reason for a in completed)
    assert reasons[Timing.INTAKE]
    assert reasons[Timing.EVERY_NTH_SESSION]
    assert reasons[Timing.AFTER_SESSION]
    statuses = Counter(a.status for a in admins)
    assert statuses[AdministrationStatus.EXPIRED] >= 1  # a pulse left unanswered
    assert statuses[AdministrationStatus.PENDING] >= 1  # waiting for the member now
    expired_partly = Administration.objects.filter(
        status=AdministrationStatus.EXPIRED, responses__isnull=False
    ).distinct()
    assert expired_partly.exists()
    assert not expired_partly.filter(is_complete=True).exists()


def test_demo_has_an_open_and_an_acknowledged_alert_and_a_member_not_on_track(demo):
    # The questionnaires' alerts (the group space's demo adds one from risk language).
    alerts = list(
        SafetyAlert.objects.filter(source=AlertSource.ITEM_FLAG).select_related(
            "administration", "group"
        )
    )
    by_status = Counter(a.status for a in alerts)
    assert by_status[AlertStatus.OPEN] == 1
    assert by_status[AlertStatus.ACKNOWLEDGED] >= 1
    for alert in alerts:
        assert alert.flag_code == PHQ9_ITEM9_FLAG
        assert alert.administration is not None
        assert alert.created_at == alert.administration.completed_at
        if alert.status == AlertStatus.ACKNOWLEDGED:
            assert alert.group is not None
            assert alert.acknowledged_by == alert.group.lead_facilitator.user
            assert alert.action
    open_alert = next(a for a in alerts if a.status == AlertStatus.OPEN)
    assert open_alert.administration is not None
    newest_phq9 = (
        Administration.objects.filter(
            instrument__code="phq9", status=AdministrationStatus.COMPLETED
        )
        .order_by("-completed_at")
        .first()
    )
    assert newest_phq9 is not None
    assert (timezone.now() - open_alert.created_at).days <= 14  # a recent answer
    settings_row = OutcomeSettings.objects.get()
    assert settings_row.clinical_lead is not None
    assert settings_row.clinical_lead.email == f"supervisor@{DEMO_DOMAIN}"
    flagged: list[str] = []
    improved: list[str] = []
    for client in Client.objects.filter(user__isnull=False):
        for trajectory in client_trajectories(client.pk):
            if trajectory.instrument.code != "phq9":
                continue
            if trajectory.not_on_track and trajectory.not_on_track.deteriorated:
                flagged.append(client.display_name)
            if trajectory.points[-1].total < trajectory.points[0].total:
                improved.append(client.display_name)
    assert len(flagged) == 1
    assert improved


class _Rollback(Exception):
    pass


def _undo() -> None:
    raise _Rollback


def _fresh_demo_totals() -> list[tuple[object, ...]]:
    """Load the demo, read its answers in a form that does not depend on row ids or on
    the seconds that pass between two loads, then undo it all."""
    found: list[tuple[object, ...]] = []
    try:
        with transaction.atomic():
            _load_demo()
            clients = {
                pk: n
                for n, pk in enumerate(
                    Client.objects.filter(user__isnull=False)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            }
            found = [
                (clients[c], code, reason, status, total, band, tuple(flags))
                for c, code, reason, status, total, band, flags in Administration.objects.order_by(
                    "client_id", "instrument__code", "available_from", "reason"
                ).values_list(
                    "client_id", "instrument__code", "reason", "status", "total", "band", "flags"
                )
            ]
            _undo()
    except _Rollback:
        pass
    return found


def test_demo_answers_are_the_same_on_every_load(db, debug):
    first = _fresh_demo_totals()
    assert not Administration.objects.exists()
    assert first
    # A second load some minutes later (a busy CI machine) draws the same answers.
    with time_machine.travel(timezone.now() + timedelta(minutes=9), tick=True):
        assert _fresh_demo_totals() == first


# --- Scale ----------------------------------------------------------------------------------


@pytest.fixture
def scale(db) -> str:
    out = StringIO()
    call_command("seed_scale", clients=300, batch_size=500, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_scale_writes_about_fifty_answers_per_client(scale):
    assert "questionnaires" in scale
    responses = Response.objects.count()
    # PERFORMANCE.md: 1,000,000 item answers at 20,000 clients.
    assert 30 * 300 <= responses <= 75 * 300
    admins = Administration.objects.all()
    statuses = Counter(admins.values_list("status", flat=True))
    assert statuses[AdministrationStatus.COMPLETED] > statuses[AdministrationStatus.EXPIRED] > 0
    reasons = Counter(admins.values_list("reason", flat=True))
    assert reasons[Timing.AFTER_SESSION] > reasons[Timing.EVERY_NTH_SESSION] > 0
    assert reasons[Timing.INTAKE] > 0
    assert not admins.filter(available_from__gt=timezone.now()).exists()
    assert not admins.filter(completed_at__gt=timezone.now()).exists()


def test_scale_totals_are_the_engines_and_answers_fit_the_version(scale):
    admins = list(Administration.objects.select_related("instrument"))
    assert_cached_results_are_the_engines(admins)
    # Answered within the window, by members who held a place.
    for admin in admins:
        if admin.completed_at is not None:
            assert (
                admin.available_from
                <= admin.completed_at
                <= (admin.closes_at or admin.completed_at)
            )
    partly = Administration.objects.filter(
        status=AdministrationStatus.EXPIRED, responses__isnull=False
    ).distinct()
    assert partly.exists()
    assert not partly.filter(is_complete=True).exists()


def test_scale_pulse_only_for_members_who_attended(scale):
    from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

    attended = set(
        Attendance.objects.filter(status__in=ATTENDED_STATUSES).values_list(
            "session_id", "client_id"
        )
    )
    pulses = Administration.objects.filter(reason=Timing.AFTER_SESSION).values_list(
        "session_id", "client_id"
    )
    assert pulses
    assert set(pulses) <= attended


def test_scale_alerts_follow_the_flags_and_the_rules_have_a_lead(scale):
    flagged = {
        pk
        for pk, flags in Administration.objects.filter(
            status=AdministrationStatus.COMPLETED
        ).values_list("pk", "flags")
        if PHQ9_ITEM9_FLAG in flags
    }
    assert flagged
    assert set(SafetyAlert.objects.values_list("administration_id", flat=True)) == flagged
    lead = OutcomeSettings.objects.get().clinical_lead
    assert lead is not None
    assert lead.role_grants.filter(role="supervisor").exists()


def test_scale_chart_member_is_the_benchmarks_and_has_a_long_trajectory(scale):
    from kindred.bench.inprocess import busiest_session, outcome_values

    busiest = busiest_session()
    assert busiest is not None
    chosen = int(outcome_values(busiest[0])["member_client_id"])
    phq9 = next(t for t in client_trajectories(chosen) if t.instrument.code == "phq9")
    assert len(phq9.points) >= 3
    assert Administration.objects.filter(client_id=chosen, reason=Timing.ADHOC).exists()


def test_scale_questionnaires_are_not_added_twice(scale):
    before = (Administration.objects.count(), Response.objects.count())
    again = seed_scale_questionnaires(
        group_ids=list(TherapyGroup.objects.values_list("pk", flat=True)), seed=2026
    )
    assert (again.administrations, again.responses, again.alerts, again.schedules) == (0, 0, 0, 0)
    assert (Administration.objects.count(), Response.objects.count()) == before
