"""Runs, one at a time; proposals that change nothing until accepted; accepting starts a
screening or offers the place to someone already admitted, after a re-check that refuses
stale lines; edit, reject; the weights; the command."""

from __future__ import annotations

import json
from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.groups.models import SEAT_STATUSES, Enrollment, EnrollmentStatus, TherapyGroup
from kindred.groups.services import group_create
from kindred.intake.models import Screening, WaitlistEntry, WaitlistStatus
from kindred.intake.tests.screening_support import admit
from kindred.matching import services
from kindred.matching.models import Decision, MatchingSettings, MatchRun, ProposalLine, RunStatus
from kindred.matching.tests.support import client_of, waiting

pytestmark = pytest.mark.django_db


def _evening_group(cast: Cast, name: str = "Evening Circle") -> TherapyGroup:
    """Another virtual group at group A's time, led by the same facilitator."""
    return group_create(
        actor=None,
        name=name,
        description="A small evening group that meets by video.",
        lead_facilitator=cast.clinician,
        recurrence="FREQ=WEEKLY;COUNT=12",
        start_date=cast.group_a.start_date + timedelta(days=21),
        start_time=time(18, 0),
        timezone="America/Chicago",
        status="forming",
        min_size=2,
        max_size=8,
    )


def _line(run: MatchRun, entry: WaitlistEntry) -> ProposalLine:
    return ProposalLine.objects.get(run=run, entry=entry)


def test_a_run_stores_a_proposal_and_changes_nothing_else(cast: Cast) -> None:
    first = waiting(cast)
    second = waiting(cast, state="FL")  # nobody can take them (B meets in the morning)
    run = services.match_run_start(actor=cast.coordinator)
    assert run.status == RunStatus.FINISHED
    assert run.people_count == 2
    assert run.placed_count == 1
    assert run.solver_status in {"optimal", "time_limit"}
    placed = _line(run, first)
    assert placed.group_id == cast.group_a.pk
    assert placed.decision == Decision.PENDING
    assert placed.reasons
    assert {"preference", "points", "words"} <= set(placed.reasons[0])
    left = _line(run, second)
    assert left.group_id is None
    rules = {r["rule"] for r in left.blocked["rules"]}
    assert "schedule" in rules or "licensure" in rules
    assert left.blocked["groups"] == run.group_count
    assert left.blocked["fitted"] == 0
    # Nothing changed: no screening, no place, the entries still waiting.
    assert not Screening.objects.exists()
    assert Enrollment.objects.filter(status__in=SEAT_STATUSES).count() == 3
    assert WaitlistEntry.objects.get(pk=first.pk).status == WaitlistStatus.WAITING
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"matching.run.started", "matching.run.finished"} <= actions


def test_only_those_who_may_run_matching(cast: Cast) -> None:
    waiting(cast)
    for who in (cast.facilitator, cast.supervisor, cast.billing):
        with pytest.raises(NotPermitted):
            services.match_run_start(actor=who)
    services.match_run_start(actor=cast.admin)


def test_one_run_at_a_time(cast: Cast) -> None:
    waiting(cast)
    MatchRun.objects.create(started_by=cast.admin, started_at=timezone.now())
    with pytest.raises(Conflict, match="already running"):
        services.match_run_start(actor=cast.coordinator)
    # A run "running" for longer than STALE_AFTER died: it is marked failed.
    MatchRun.objects.update(started_at=timezone.now() - timedelta(hours=2))
    run = services.match_run_start(actor=cast.coordinator)
    assert run.status == RunStatus.FINISHED
    assert MatchRun.objects.filter(status=RunStatus.FAILED).count() == 1


def test_no_groups_with_seats_or_nobody_waiting(cast: Cast) -> None:
    with pytest.raises(InvalidState, match="Nobody on the waitlist"):
        services.match_run_start(actor=cast.coordinator)
    waiting(cast)
    TherapyGroup.objects.update(max_size=1, min_size=1)  # every group holds one or more
    with pytest.raises(InvalidState, match="No groups have open seats"):
        services.match_run_start(actor=cast.coordinator)
    assert not MatchRun.objects.exists()


def test_accept_starts_a_screening_by_the_lead_facilitator(cast: Cast) -> None:
    entry = waiting(cast)
    run = services.match_run_start(actor=cast.coordinator)
    result = services.proposal_line_accept(actor=cast.coordinator, line=_line(run, entry))
    line = result.line
    assert line.decision == Decision.ACCEPTED
    assert line.chosen_group_id == cast.group_a.pk
    assert line.decided_by == cast.coordinator
    screening = Screening.objects.get()
    assert line.screening == screening
    assert screening.screener == cast.facilitator
    assert screening.decision == ""
    assert screening.group == cast.group_a
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistStatus.SCREENING
    assert "Fern Facilitator" in result.message
    assert AuditEvent.objects.filter(action="matching.proposal_line.accepted").exists()
    # Nobody was enrolled by matching.
    assert not Enrollment.objects.filter(client_id=entry.client_id).exists()
    with pytest.raises(InvalidState, match="already decided"):
        services.proposal_line_accept(actor=cast.coordinator, line=line)


def test_a_stale_line_is_refused_with_the_reason_and_nothing_changes(cast: Cast) -> None:
    entry = waiting(cast)
    run = services.match_run_start(actor=cast.coordinator)
    # Meanwhile the group filled up.
    TherapyGroup.objects.filter(pk=cast.group_a.pk).update(max_size=2, min_size=2)
    with pytest.raises(Conflict, match="no open places"):
        services.proposal_line_accept(actor=cast.coordinator, line=_line(run, entry))
    assert _line(run, entry).decision == Decision.PENDING
    assert not Screening.objects.exists()
    # Or they left the waitlist.
    TherapyGroup.objects.filter(pk=cast.group_a.pk).update(max_size=10, min_size=6)
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.WITHDRAWN)
    with pytest.raises(Conflict, match="no longer waiting"):
        services.proposal_line_accept(actor=cast.coordinator, line=_line(run, entry))


def test_someone_already_admitted_is_offered_the_place(cast: Cast) -> None:
    entry = waiting(cast)
    client = client_of(entry)
    TherapyGroup.objects.filter(pk=cast.group_a.pk).update(max_size=2, min_size=2)
    cast.group_a.refresh_from_db()
    result = admit(client, cast.group_a)
    assert result.group_full  # they wait for group A
    TherapyGroup.objects.filter(pk=cast.group_a.pk).update(max_size=10, min_size=6)
    run = services.match_run_start(actor=cast.coordinator)
    line = ProposalLine.objects.get(run=run, client=client)
    assert line.group_id == cast.group_a.pk
    decided = services.proposal_line_accept(actor=cast.coordinator, line=line)
    assert decided.enrollment is not None
    assert decided.enrollment.status in {EnrollmentStatus.INVITED, EnrollmentStatus.ACTIVE}
    assert decided.screening is None
    assert WaitlistEntry.objects.get(pk=line.entry_id).status == WaitlistStatus.PLACED


def test_edit_chooses_another_group_with_the_same_recheck(cast: Cast) -> None:
    entry = waiting(cast)
    evening = _evening_group(cast)
    run = services.match_run_start(actor=cast.coordinator)
    line = _line(run, entry)
    other = evening if line.group_id == cast.group_a.pk else cast.group_a
    # Group B's facilitator cannot practise in IL, and B meets in the morning.
    with pytest.raises(Conflict, match="out of date"):
        services.proposal_line_edit(actor=cast.coordinator, line=line, group=cast.group_b)
    result = services.proposal_line_edit(actor=cast.coordinator, line=line, group=other)
    assert result.line.decision == Decision.EDITED
    assert result.line.chosen_group == other
    assert result.screening is not None
    assert result.screening.group == other


def test_reject_needs_a_reason(cast: Cast) -> None:
    entry = waiting(cast)
    run = services.match_run_start(actor=cast.coordinator)
    with pytest.raises(ValidationFailed) as caught:
        services.proposal_line_reject(actor=cast.coordinator, line=_line(run, entry), reason=" ")
    assert caught.value.errors.get("reason")
    result = services.proposal_line_reject(
        actor=cast.coordinator, line=_line(run, entry), reason="Prefers to wait for spring."
    )
    assert result.line.decision == Decision.REJECTED
    event = AuditEvent.objects.get(action="matching.proposal_line.rejected")
    assert "spring" not in json.dumps(event.detail)
    with pytest.raises(NotPermitted):
        services.proposal_line_accept(actor=cast.facilitator, line=_line(run, entry))


def test_weights(cast: Cast) -> None:
    assert services.weights_of(services.matching_settings()).concern_overlap == 2.0
    row = services.matching_settings_update(actor=cast.coordinator, waited=8, urgency="2.5")
    assert row.waited == 8.0
    assert row.urgency == 2.5
    assert MatchingSettings.objects.get().updated_by == cast.coordinator
    with pytest.raises(ValidationFailed) as caught:
        services.matching_settings_update(actor=cast.admin, waited=11, composition="lots")
    assert set(caught.value.errors) == {"waited", "composition"}
    assert MatchingSettings.objects.get().waited == 8.0
    with pytest.raises(NotPermitted):
        services.matching_settings_update(actor=cast.facilitator, waited=1)
    # A run uses the weights of the moment.
    waiting(cast)
    run = services.match_run_start(actor=cast.coordinator)
    assert run.weights["waited"] == 8.0


# --- The command ---------------------------------------------------------------------------


def test_command_dry_run_changes_nothing(cast: Cast) -> None:
    waiting(cast)
    out = StringIO()
    call_command("match", stdout=out, stderr=StringIO())
    assert "Dry run" in out.getvalue()
    assert "1 proposed" in out.getvalue()
    assert not MatchRun.objects.exists()
    out = StringIO()
    call_command("match", "--json", stdout=out, stderr=StringIO())
    report = json.loads(out.getvalue())
    assert report["run"] is None
    assert report["placements"][0]["group_id"] == cast.group_a.pk
    assert "Waiting" not in out.getvalue()  # no names in the output


def test_command_save_and_its_refusals(cast: Cast) -> None:
    waiting(cast)
    out = StringIO()
    call_command("match", "--save", "--json", "--state", "il", stdout=out, stderr=StringIO())
    report = json.loads(out.getvalue())
    run = MatchRun.objects.get()
    assert report["run"] == run.pk
    assert run.filters == {"state": "IL"}
    MatchRun.objects.create(started_at=timezone.now())
    with pytest.raises(CommandError, match="already running"):
        call_command("match", "--save", stdout=StringIO(), stderr=StringIO())
    MatchRun.objects.filter(status=RunStatus.RUNNING).delete()
    with pytest.raises(CommandError, match="Nobody on the waitlist"):
        call_command("match", "--state", "FL", stdout=StringIO(), stderr=StringIO())
