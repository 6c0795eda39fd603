"""The intake and questionnaire benchmark targets: their placeholders point at real data,
the measured member can sign in, and each page answers within the query budget."""

from __future__ import annotations

from django.utils import timezone

from kindred.bench import inprocess, run, targets
from kindred.groups.tests.factories import person
from kindred.intake.models import WaitlistEntry
from kindred.intake.waitlist import contact_attempt_add, waitlist_add

NEW = {
    "waitlist",
    "waitlist_filtered",
    "waitlist_entry",
    "referral_inbox",
    "screening_list",
    "api_waitlist",
    "member_checkins",
    "api_member_questionnaires",
    "group_questionnaires",
}


def _entries(cast) -> WaitlistEntry:
    quiet = waitlist_add(actor=cast.coordinator, client=person("Quiet", "Wait"), group=None)
    busy = waitlist_add(actor=cast.coordinator, client=person("Busy", "Wait"), group=cast.group_a)
    for outcome in ("no_answer", "left_message"):
        contact_attempt_add(
            actor=cast.coordinator, entry=busy, at=timezone.now(), method="phone", outcome=outcome
        )
    assert quiet.pk != busy.pk
    return busy


def test_intake_values_pick_the_busiest_open_entry_and_the_commonest_state(cast):
    busy = _entries(cast)
    values = inprocess.intake_values()
    assert values["entry_id"] == str(busy.pk)
    assert values["waitlist_state"] == busy.client.state_of_residence


def test_the_measured_member_is_a_working_portal_account(cast):
    cast.member.is_active = False
    cast.member.save(update_fields=["is_active"])
    user = inprocess.measured_member(cast.client.pk)
    assert user == cast.member
    assert user.is_active
    http = inprocess.signed_in_client(user)
    assert http.get("/my/questionnaires/", secure=True).status_code == 200
    # A client without an account gets one.
    other = person("No", "Account")
    assert inprocess.measured_member(other.pk).client == other


def test_the_new_targets_answer_within_the_query_budget(cast):
    _entries(cast)
    people = {
        "coordinator": cast.coordinator,
        "facilitator": cast.facilitator,
        "measured_member": cast.member,
    }
    values = {"group_id": str(cast.group_a.pk), **inprocess.intake_values()}
    chosen = tuple(t for t in targets.TARGETS if t.name in NEW)
    assert {t.name for t in chosen} == NEW
    results = inprocess.measure(chosen, people=people, values=values, requests=2, warmup=0)
    for name, result in results.items():
        assert result.get("status") == 200, (name, result)
        assert result["queries"] <= run.MAX_QUERIES, (name, result["queries"])
