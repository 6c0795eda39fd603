"""The notes, billing, matching and audit-log benchmark targets: their placeholders
point at real data (the longest ledger, a finished matching run made when there is
none), the billing person signs in, and each page answers within the query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kindred.bench import inprocess, run, targets
from kindred.billing.services import charges_create_for_session
from kindred.billing.testing import past_session, take_attendance
from kindred.groups.tests.factories import person
from kindred.intake.waitlist import waitlist_add
from kindred.matching.models import MatchRun, RunStatus
from kindred.notes import services as notes
from kindred.notes.testing import add_members
from kindred.scheduling.models import (
    ATTENDED_STATUSES,
    Attendance,
    AttendanceStatus,
    GroupSession,
)

NEW = {
    "session_notes",
    "notes_unsigned_admin",
    "notes_unsigned",
    "api_session_notes",
    "api_notes_unsigned",
    "client_notes",
    "billing_ledger",
    "billing_session",
    "matching_home",
    "matching_run",
    "audit_log",
}


def _held(cast, index: int, *, signed: bool) -> GroupSession:
    """A past session of group A with attendance (member_b a no-show), notes written by
    its facilitator (signed or left as drafts) and charges made."""
    session = past_session(cast.group_a, index)
    take_attendance(session, cast.facilitator, {cast.client_b: AttendanceStatus.NO_SHOW})
    when = session.ends_at + timedelta(hours=2)
    notes.group_note_save(
        actor=cast.facilitator, session=session, themes="Sleep and routines.", now=when
    )
    for client_id in Attendance.objects.filter(
        session=session, status__in=ATTENDED_STATUSES
    ).values_list("client_id", flat=True):
        notes.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=client_id,
            sections={"data": "Took part.", "assessment": "Steady."},
            plan="Continue weekly.",
            now=when,
        )
    if signed:
        notes.notes_sign_all(actor=cast.facilitator, session=session, now=when)
    charges_create_for_session(actor=cast.billing, session=session)
    return session


@pytest.fixture
def held(cast) -> GroupSession:
    _held(cast, 0, signed=True)
    return _held(cast, 1, signed=False)


def _wait(cast, first: str) -> None:
    waitlist_add(actor=cast.coordinator, client=person(first, "Waiting"), group=None)


def test_the_longest_ledger_is_the_member_with_the_most_charges(cast, held):
    # client: a charge for each session; client_b: no-show fees only if the practice set one.
    assert inprocess.billing_values() == {"ledger_client_id": str(cast.client.pk)}


def test_no_charges_no_ledger(cast):
    assert inprocess.billing_values() == {}


def test_matching_values_make_one_small_finished_run_and_reuse_it(cast):
    assert inprocess.matching_values(cast.coordinator, "IL") == {}  # nobody waiting
    _wait(cast, "Avery")
    state = inprocess.intake_values()["waitlist_state"]
    values = inprocess.matching_values(cast.coordinator, state)
    made = MatchRun.objects.get()
    assert values == {"run_id": str(made.pk)}
    assert made.status == RunStatus.FINISHED
    assert made.filters.get("state") == state
    assert inprocess.matching_values(cast.coordinator, state) == values
    assert MatchRun.objects.count() == 1


def test_the_billing_person_is_signed_in_staff_with_two_factor(db):
    from allauth.mfa.models import Authenticator

    from kindred.practice import roles
    from kindred.practice.roles import Role

    people = inprocess.bench_people()
    assert roles.has_role(people["billing"], Role.BILLING)
    assert Authenticator.objects.filter(user=people["billing"]).exists()


def test_the_new_targets_answer_within_the_query_budget(cast, held):
    _wait(cast, "Blake")
    people = {
        "admin": cast.admin,
        "coordinator": cast.coordinator,
        "facilitator": cast.facilitator,
        "billing": cast.billing,
    }
    values = {
        "session_id": str(held.pk),
        "member_client_id": str(cast.client.pk),
        **inprocess.billing_values(),
    }
    values.update(
        inprocess.matching_values(cast.coordinator, inprocess.intake_values()["waitlist_state"])
    )
    chosen = tuple(t for t in targets.TARGETS if t.name in NEW)
    assert {t.name for t in chosen} == NEW
    results = inprocess.measure(chosen, people=people, values=values, requests=2, warmup=0)
    for name, result in results.items():
        assert result.get("status") == 200, (name, result)
        assert result["queries"] <= run.MAX_QUERIES, (name, result["queries"])
    assert results["session_notes"]["bytes"] > 1000


def _counts(cast, names: set[str], values: dict[str, str]) -> dict[str, int]:
    people = {"facilitator": cast.facilitator, "billing": cast.billing}
    chosen = tuple(t for t in targets.TARGETS if t.name in names)
    results = inprocess.measure(chosen, people=people, values=values, requests=1, warmup=0)
    return {name: result["queries"] for name, result in results.items()}


def test_a_session_s_notes_page_takes_the_same_queries_with_more_members(cast):
    names = {"session_notes"}
    few = _counts(cast, names, {"session_id": str(_held(cast, 0, signed=True).pk)})
    add_members(cast.group_a, 5)
    many = _held(cast, 1, signed=True)
    assert Attendance.objects.filter(session=many).count() == 7
    assert _counts(cast, names, {"session_id": str(many.pk)}) == few


def test_the_notes_api_billing_pages_take_the_same_queries_with_more_data(cast):
    names = {"api_session_notes", "billing_session", "billing_ledger"}
    first = _held(cast, 0, signed=True)
    values = {"session_id": str(first.pk), "ledger_client_id": str(cast.client.pk)}
    few = _counts(cast, names, values)
    add_members(cast.group_a, 5)
    many = _held(cast, 1, signed=True)  # more members, and a second charge on the ledger
    values["session_id"] = str(many.pk)
    assert _counts(cast, names, values) == few


def test_a_member_s_chart_notes_take_the_same_queries_with_more_sessions(cast):
    values = {"member_client_id": str(cast.client.pk)}
    _held(cast, 0, signed=True)
    one = _counts(cast, {"client_notes"}, values)
    _held(cast, 1, signed=True)
    assert _counts(cast, {"client_notes"}, values) == one
