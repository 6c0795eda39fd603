"""The outcome summary (one row per member per instrument, measures/summary.py) and the
group dashboard that reads it: kept by the answering service, rebuilt set-based, and
giving exactly the numbers the old per-administration computation gave."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from random import Random
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.core.testing import signed_in
from kindred.groups.services import enrollment_activate, enrollment_invite
from kindred.groups.tests.factories import person
from kindred.measures.dashboard import SEVERITY_CODES, group_dashboard
from kindred.measures.library import definition_of, instrument_update_settings
from kindred.measures.models import Administration, Instrument, OutcomeSettings, OutcomeSummary
from kindred.measures.outcome_settings import outcome_settings
from kindred.measures.outcomes import attended_sessions, build_trajectory, completed_rows
from kindred.measures.summary import classify, instrument_basis, rebuild, verify
from kindred.measures.tests.outcome_support import completed, set_rc

DAY = timedelta(days=1)
#: Plausible totals per built-in (the tests need totals and bands, not answers).
TOTALS = {"phq9": (0, 27), "gad7": (0, 21), "who5": (0, 100), "pcl5": (0, 80), "pulse": (0, 20)}


def enrol(group: Any, client: Any) -> None:
    enrollment_activate(
        actor=None, enrollment=enrollment_invite(actor=None, group=group, client=client)
    )


def reference_dashboard(group: Any) -> dict[str, Any]:
    """The group dashboard's members and severity as computed before the summary table:
    every counted administration of every member read and replayed through
    ``build_trajectory``, with the sessions each member attended."""
    from kindred.groups.models import SEAT_STATUSES, Enrollment

    rules = outcome_settings()
    client_ids = list(
        Enrollment.objects.filter(group=group, status__in=SEAT_STATUSES)
        .order_by("client__legal_last_name", "client__legal_first_name", "client_id")
        .values_list("client_id", flat=True)
    )
    rows = completed_rows(client_ids) if client_ids else {}
    by_id = {i.pk: i for i in Instrument.objects.all()}
    attended = attended_sessions(client_ids) if client_ids else {}
    members = []
    for cid in client_ids:
        lines = []
        for inst_id in sorted({i for c, i in rows if c == cid}, key=lambda i: by_id[i].name):
            t = build_trajectory(
                by_id[inst_id], rows[(cid, inst_id)], attended=attended.get(cid, []), rules=rules
            )
            lines.append(
                (t.instrument.code, len(t.points), t.latest.band, t.outcome, t.not_on_track)
            )
        members.append((cid, lines))
    severity = []
    for code in SEVERITY_CODES:
        inst = next((i for i in by_id.values() if i.code == code), None)
        if inst is None:
            continue
        latest = Counter(rows[(c, inst.pk)][-1][3] for c in client_ids if (c, inst.pk) in rows)
        severity.append(
            (
                code,
                [(b.code, latest.get(b.code, 0)) for b in definition_of(inst).bands],
                len(client_ids) - sum(latest.values()),
            )
        )
    return {"members": members, "severity": severity}


def summary_dashboard(actor: Any, group: Any) -> dict[str, Any]:
    """The same figures from the dashboard as it is now (the summary table)."""
    d = group_dashboard(actor=actor, group_id=group.pk)
    return {
        "members": [
            (
                m.client.pk,
                [
                    (t.instrument.code, t.measured, t.latest_band, t.outcome, t.not_on_track)
                    for t in m.lines
                ],
            )
            for m in d.members
        ],
        "severity": [
            (s.instrument.code, [(c.band.code, c.count) for c in s.counts], s.not_measured)
            for s in d.severity
        ],
    }


def busy_group(cast: Any, *, members: int, answers: int, seed: int) -> list[Any]:
    """Group A with ``members`` more members who answered several instruments in no
    particular order (ties in time included, some incomplete) and attended some of the
    group's past sessions."""
    from kindred.groups.models import TherapyGroup
    from kindred.scheduling.models import Attendance, GroupSession

    rng = Random(seed)
    now = timezone.now()
    TherapyGroup.objects.filter(pk=cast.group_a.pk).update(max_size=40)
    clients = [cast.client, cast.client_b]
    for i in range(members):
        client = person(f"Summary{seed}x{i}")
        enrol(cast.group_a, client)
        clients.append(client)
    past = list(GroupSession.objects.filter(group=cast.group_a, starts_at__lte=now))
    for client in clients:
        for session in rng.sample(past, k=min(len(past), rng.randint(0, len(past)))):
            Attendance.objects.update_or_create(
                session=session,
                client=client,
                defaults={"status": rng.choice(["virtual", "in_person", "no_show", "late"])},
            )
        shared = now - rng.randint(5, 90) * DAY
        for _ in range(rng.randint(1, answers)):
            code = rng.choice(list(TOTALS))
            low, high = TOTALS[code]
            when = shared if rng.random() < 0.15 else now - timedelta(hours=rng.randint(1, 2400))
            completed(
                client,
                code,
                total=rng.randint(low, high),
                group=cast.group_a,
                when=when,
                complete=rng.random() > 0.1,
            )
    return clients


def assert_same_as_reference(cast: Any) -> None:
    assert summary_dashboard(cast.facilitator, cast.group_a) == reference_dashboard(cast.group_a)
    assert verify() == []


# --- the same numbers as before ---------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_dashboard_from_the_summary_equals_the_old_computation(cast, seed):
    busy_group(cast, members=6, answers=12, seed=seed)
    assert_same_as_reference(cast)
    # Under other rules, and once the practice enters s1 and r (written straight to the
    # instrument: the rows' basis is then stale and they are reclassified on reading).
    OutcomeSettings.objects.filter(pk=1).update(
        not_on_track_after_sessions=2, flag_reliable_deterioration=False
    )
    set_rc("who5", 14.0, 0.84)
    set_rc("phq9", 5.0, 0.89)
    assert_same_as_reference(cast)
    # Reclassifying the stale rows writes the same statuses the reader computed.
    classify()
    phq9 = Instrument.objects.get(code="phq9")
    assert set(OutcomeSummary.objects.filter(instrument=phq9).values_list("basis", flat=True)) == {
        instrument_basis(phq9)
    }
    assert_same_as_reference(cast)


def test_a_rebuild_gives_the_rows_the_service_kept(cast):
    busy_group(cast, members=5, answers=10, seed=7)
    kept = sorted(
        OutcomeSummary.objects.values_list(
            "client_id",
            "instrument_id",
            "measured",
            "first_administration_id",
            "latest_administration_id",
            "latest_band",
            "outcome",
            "rci",
            "rci_direction",
            "case_at_first",
        )
    )
    OutcomeSummary.objects.all().delete()
    assert rebuild(chunk_clients=2) == len(kept)  # several ranges, one of them empty
    assert (
        sorted(
            OutcomeSummary.objects.values_list(
                "client_id",
                "instrument_id",
                "measured",
                "first_administration_id",
                "latest_administration_id",
                "latest_band",
                "outcome",
                "rci",
                "rci_direction",
                "case_at_first",
            )
        )
        == kept
    )
    assert_same_as_reference(cast)


def test_a_broken_summary_is_caught(cast):
    """The deliberately broken variants: a row with a wrong latest total and band, and
    an administration written without the service (so without its row): the check and
    the comparison with the old computation both notice, and a rebuild repairs it."""
    busy_group(cast, members=3, answers=6, seed=11)
    completed(cast.client, "phq9", total=12, when=timezone.now())
    row = OutcomeSummary.objects.get(client=cast.client, instrument__code="phq9")
    OutcomeSummary.objects.filter(pk=row.pk).update(latest_total=13, latest_band="severe")
    assert any("table" in p for p in verify())
    assert summary_dashboard(cast.facilitator, cast.group_a) != reference_dashboard(cast.group_a)
    call_command("rebuild_outcome_summary", "--verify")
    assert_same_as_reference(cast)
    # Written straight to the table, as a careless import would.
    gad7 = Instrument.objects.get(code="gad7")
    Administration.objects.create(
        client=cast.client_b,
        instrument=gad7,
        instrument_version=gad7.version,
        reason="adhoc",
        status="completed",
        available_from=timezone.now() - DAY,
        completed_at=timezone.now(),
        is_complete=True,
        total=20,
        band="severe",
    )
    assert verify()
    assert summary_dashboard(cast.facilitator, cast.group_a) != reference_dashboard(cast.group_a)
    call_command("rebuild_outcome_summary", "--verify")
    assert_same_as_reference(cast)


# --- kept by the services ------------------------------------------------------------------


def test_answering_through_the_service_keeps_the_row(cast, builtin_instruments):
    from kindred.measures.tests.questionnaire_support import answer_all, open_before, submit

    phq9 = builtin_instruments.phq9
    first = open_before(cast, phq9)
    answer_all(cast, first, 3)  # 9 items x 3 = 27
    submit(cast, first)
    row = OutcomeSummary.objects.get(client=cast.client, instrument=phq9)
    assert (row.measured, row.first_total, row.latest_total) == (1, 27, 27)
    assert row.outcome == ""
    assert row.case_at_first is True
    Administration.objects.filter(pk=first.pk).update(completed_at=timezone.now() - 30 * DAY)
    second = Administration.objects.create(
        client=cast.client,
        instrument=phq9,
        instrument_version=phq9.version,
        group=cast.group_a,
        reason="adhoc",
        available_from=timezone.now() - DAY,
        closes_at=timezone.now() + DAY,
    )
    answer_all(cast, second, 0)
    submit(cast, second)
    row.refresh_from_db()
    assert (row.measured, row.first_total, row.latest_total) == (2, 27, 0)
    assert row.latest_administration_id == second.pk
    assert row.outcome == "reliably_recovered"
    assert row.basis == instrument_basis(phq9)
    assert verify() == []


def test_an_incomplete_or_expired_questionnaire_adds_nothing(cast):
    completed(cast.client, "gad7", total=9, complete=False)
    assert not OutcomeSummary.objects.exists()
    assert verify() == []


def test_changing_s1_and_r_in_the_library_reclassifies(cast):
    completed(cast.client, "who5", total=40, when=timezone.now() - 20 * DAY)
    completed(cast.client, "who5", total=80, when=timezone.now() - DAY)
    who5 = Instrument.objects.get(code="who5")
    row = OutcomeSummary.objects.get(client=cast.client, instrument=who5)
    assert (row.outcome, row.rci) == ("", None)  # no caseness, no s1 and r: unclassified
    instrument_update_settings(
        actor=cast.admin, instrument=who5, rc_sd=14.0, rc_reliability=0.84, rc_source="paper"
    )
    row.refresh_from_db()
    assert row.outcome == "improved"
    assert row.rci is not None
    assert row.rci > 1.96
    assert row.basis == instrument_basis(who5)
    assert verify() == []


def test_the_rebuild_command_shows_progress_and_verifies(cast, capsys):
    busy_group(cast, members=2, answers=4, seed=5)
    OutcomeSummary.objects.all().delete()
    call_command("rebuild_outcome_summary", "--verify", "--chunk", "3")
    out = capsys.readouterr().out
    assert "outcome summary rows" in out
    assert "Every row matches the computation." in out
    assert_same_as_reference(cast)


def test_an_empty_practice_rebuilds_to_nothing(db):
    assert rebuild() == 0
    assert not OutcomeSummary.objects.exists()


# --- query counts at two sizes ---------------------------------------------------------------


def _count(http: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_page_and_api_query_counts_do_not_grow(cast, django_assert_max_num_queries):
    http = signed_in(cast.facilitator)
    page = f"/groups/{cast.group_a.pk}/dashboard/"
    api = f"/api/v1/groups/{cast.group_a.pk}/dashboard/"
    busy_group(cast, members=1, answers=2, seed=21)
    http.get(page)
    http.get(api)
    small = (_count(http, page), _count(http, api))
    busy_group(cast, members=10, answers=25, seed=22)
    large = (_count(http, page), _count(http, api))
    assert large == small
    assert small[0] <= 15
    with django_assert_max_num_queries(small[1]):
        assert http.get(api).status_code == 200
    assert_same_as_reference(cast)


def test_scale_seeding_fills_the_summary(cast, builtin_instruments):
    from kindred.core.seeding.measures import seed_scale_questionnaires

    result = seed_scale_questionnaires(group_ids=[cast.group_a.pk], seed=3)
    assert result.administrations > 0
    assert result.summaries == OutcomeSummary.objects.count() > 0
    assert verify() == []
