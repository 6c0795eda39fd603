"""Waitlist services and selectors: adding people, status changes with reasons, the
contact log, "do not place with" exclusions, the list's filters and order, and who may
see any of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.services import concern_create
from kindred.core.errors import Conflict, NotFound, NotPermitted, ValidationFailed
from kindred.intake.access import get_entry_for
from kindred.intake.models import (
    ContactAttempt,
    PlacementExclusion,
    WaitlistEntry,
    WaitlistStatus,
    WaitlistStatusChange,
)
from kindred.intake.selectors import (
    WaitlistFilters,
    coordinator_panel,
    exclusions_of,
    waited_words,
    waitlist_list,
)
from kindred.intake.tests.referral_support import written
from kindred.intake.waitlist import (
    contact_attempt_add,
    exclusion_add,
    exclusion_remove,
    waitlist_add,
    waitlist_set_status,
)


@pytest.fixture
def entry(cast) -> WaitlistEntry:
    return waitlist_add(actor=cast.coordinator, client=cast.client, urgency="routine")


# --- Adding ------------------------------------------------------------------------------


def test_adding_someone_already_waiting_keeps_their_place_and_the_higher_urgency(cast, entry):
    later = waitlist_add(
        actor=cast.coordinator,
        client=cast.client,
        urgency="urgent",
        flagged_out_of_state=True,
        now=timezone.now() + timedelta(days=3),
    )
    assert later == entry
    later.refresh_from_db()
    assert (later.urgency, later.flagged_out_of_state) == ("urgent", True)
    assert later.added_at == entry.added_at
    calmer = waitlist_add(actor=cast.coordinator, client=cast.client, urgency="routine")
    calmer.refresh_from_db()
    assert calmer.urgency == "urgent"
    # Waiting for one group is a separate entry from waiting for any group.
    for_group = waitlist_add(actor=cast.coordinator, client=cast.client, group=cast.group_b)
    assert for_group != entry
    assert WaitlistEntry.objects.count() == 2


def test_only_people_who_manage_clients_add_to_the_waitlist(cast):
    with pytest.raises(NotPermitted):
        waitlist_add(actor=cast.facilitator, client=cast.client)
    assert not WaitlistEntry.objects.exists()


# --- Status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [WaitlistStatus.UNREACHABLE, WaitlistStatus.WITHDRAWN, WaitlistStatus.REFERRED_ELSEWHERE],
)
def test_ending_an_entry_needs_a_reason_and_sets_closed_at(cast, entry, status):
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        waitlist_set_status(actor=cast.coordinator, entry=entry, status=status, reason="   ")
    assert "reason" in caught.value.errors
    assert written() == before
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING
    assert entry.closed_at is None

    waitlist_set_status(
        actor=cast.coordinator, entry=entry, status=status, reason="Chose a local service"
    )
    entry = WaitlistEntry.objects.get(pk=entry.pk)
    assert entry.status == status
    assert entry.status_reason == "Chose a local service"
    assert entry.closed_at is not None
    change = WaitlistStatusChange.objects.get()
    assert (change.from_status, change.status, change.changed_by) == (
        "waiting",
        status,
        cast.coordinator,
    )
    event = AuditEvent.objects.get(action="intake.waitlist_entry.status_changed")
    assert event.detail["to"] == status
    assert "local service" not in str(event.detail)


def test_contacted_needs_no_reason_and_keeps_the_entry_open(cast, entry):
    waitlist_set_status(actor=cast.coordinator, entry=entry, status="contacted")
    entry.refresh_from_db()
    assert entry.status == "contacted"
    assert entry.closed_at is None


def test_a_closed_entry_can_be_reopened_unless_another_is_open(cast, entry):
    waitlist_set_status(
        actor=cast.coordinator, entry=entry, status="unreachable", reason="No reply"
    )
    closed_at = entry.closed_at
    waitlist_set_status(
        actor=cast.coordinator, entry=entry, status="withdrawn", reason="Wrote to say no"
    )
    entry.refresh_from_db()
    assert entry.closed_at == closed_at  # still the moment it first closed
    newer = waitlist_add(actor=cast.coordinator, client=cast.client)
    assert newer != entry
    with pytest.raises(Conflict):
        waitlist_set_status(actor=cast.coordinator, entry=entry, status="waiting")
    entry.refresh_from_db()
    assert entry.status == "withdrawn"
    waitlist_set_status(
        actor=cast.coordinator, entry=newer, status="withdrawn", reason="Duplicate entry"
    )
    waitlist_set_status(actor=cast.coordinator, entry=entry, status="waiting")
    entry.refresh_from_db()
    assert (entry.status, entry.closed_at) == ("waiting", None)


def test_the_same_status_or_an_unknown_one_is_refused(cast, entry):
    before = written()
    for status in ("waiting", "lost"):
        with pytest.raises(ValidationFailed) as caught:
            waitlist_set_status(actor=cast.coordinator, entry=entry, status=status)
        assert "status" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        waitlist_set_status(
            actor=cast.coordinator, entry=entry, status="contacted", reason="x" * 501
        )
    assert "reason" in caught.value.errors
    assert written() == before


def test_a_revisit_date_in_the_past_is_refused(cast, entry):
    with pytest.raises(ValidationFailed) as caught:
        waitlist_set_status(
            actor=cast.coordinator,
            entry=entry,
            status="deferred",
            revisit_on=timezone.localdate() - timedelta(days=1),
        )
    assert "revisit_on" in caught.value.errors


# --- Contact log -------------------------------------------------------------------------


def test_reaching_someone_who_was_waiting_marks_them_contacted(cast, entry):
    when = timezone.now() - timedelta(hours=2)
    contact_attempt_add(
        actor=cast.coordinator, entry=entry, at=when, method="phone", outcome="no_answer"
    )
    entry.refresh_from_db()
    assert entry.status == "waiting"
    attempt = contact_attempt_add(
        actor=cast.coordinator,
        entry=entry,
        at=when + timedelta(hours=1),
        method="phone",
        outcome="reached",
        note="Prefers evenings; call after 6.",
    )
    assert attempt.by == cast.coordinator
    entry.refresh_from_db()
    assert entry.status == "contacted"
    assert ContactAttempt.objects.count() == 2
    event = AuditEvent.objects.filter(action="intake.contact_attempt.added").latest("id")
    assert event.detail == {"method": "phone", "outcome": "reached"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"at": "future"}, "at"),
        ({"method": "pigeon"}, "method"),
        ({"outcome": "maybe"}, "outcome"),
        ({"note": "x" * 1001}, "note"),
    ],
)
def test_a_bad_contact_attempt_saves_nothing(cast, entry, changes, field):
    values: dict[str, Any] = {
        "at": timezone.now() - timedelta(minutes=5),
        "method": "email",
        "outcome": "left_message",
        "note": "",
    }
    values.update(changes)
    if values["at"] == "future":
        values["at"] = timezone.now() + timedelta(hours=2)
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        contact_attempt_add(actor=cast.coordinator, entry=entry, **values)
    assert field in caught.value.errors
    assert written() == before
    assert not ContactAttempt.objects.exists()


# --- Exclusions --------------------------------------------------------------------------


def test_an_exclusion_is_stored_once_lower_id_first_and_seen_from_both_sides(cast):
    high, low = sorted([cast.client, cast.client_b], key=lambda c: -c.pk)
    exclusion = exclusion_add(
        actor=cast.coordinator, client=high, other=low, reason="family", note="Siblings"
    )
    assert (exclusion.client, exclusion.other) == (low, high)
    assert [v.other for v in exclusions_of(high)] == [low]
    assert [v.other for v in exclusions_of(low)] == [high]
    assert AuditEvent.objects.filter(action="intake.placement_exclusion.added").count() == 2
    assert "Siblings" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))
    with pytest.raises(ValidationFailed) as caught:
        exclusion_add(actor=cast.coordinator, client=low, other=high, reason="coworker")
    assert caught.value.errors["other"] == ["These two are already kept apart."]
    assert PlacementExclusion.objects.count() == 1
    exclusion_remove(actor=cast.coordinator, exclusion=exclusion)
    assert not PlacementExclusion.objects.exists()
    assert AuditEvent.objects.filter(action="intake.placement_exclusion.removed").count() == 2


@pytest.mark.parametrize(
    ("other", "reason", "field"),
    [("self", "family", "other"), (None, "family", "other"), ("b", "grudge", "reason")],
)
def test_a_bad_exclusion_saves_nothing(cast, other, reason, field):
    chosen = {"self": cast.client, "b": cast.client_b, None: None}[other]
    with pytest.raises(ValidationFailed) as caught:
        exclusion_add(actor=cast.coordinator, client=cast.client, other=chosen, reason=reason)
    assert field in caught.value.errors
    assert not PlacementExclusion.objects.exists()


def test_only_people_who_manage_clients_record_exclusions(cast):
    with pytest.raises(NotPermitted):
        exclusion_add(
            actor=cast.facilitator, client=cast.client, other=cast.client_b, reason="family"
        )


# --- Reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "words"),
    [(0, "less than a day"), (1, "1 day"), (13, "13 days"), (14, "2 weeks"), (42, "6 weeks"),
     (90, "12 weeks"), (91, "3 months"), (400, "13 months")],
)  # fmt: skip
def test_waiting_time_in_words(days, words):
    now = timezone.now()
    assert waited_words(now - timedelta(days=days, hours=1), now) == words


def test_the_list_puts_the_most_urgent_first_then_the_longest_waiting(cast):
    now = timezone.now()
    outsider = cast.outsider_client
    old_routine = waitlist_add(
        actor=cast.coordinator, client=cast.client, now=now - timedelta(weeks=10)
    )
    new_urgent = waitlist_add(
        actor=cast.coordinator, client=cast.client_b, urgency="urgent", now=now
    )
    old_urgent = waitlist_add(
        actor=cast.coordinator, client=outsider, urgency="urgent", now=now - timedelta(weeks=1)
    )
    soon = waitlist_add(
        actor=cast.coordinator,
        client=cast.client,
        group=cast.group_b,
        urgency="soon",
        now=now - timedelta(days=1),
    )
    listed = list(waitlist_list(actor=cast.coordinator))
    assert listed == [old_urgent, new_urgent, soon, old_routine]
    longer = waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(waited_weeks=4))
    assert list(longer) == [old_routine]
    urgent = waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(urgency="urgent"))
    assert list(urgent) == [old_urgent, new_urgent]
    in_kansas = waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(state="KS"))
    assert list(in_kansas) == [new_urgent]
    for_b = waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(group=cast.group_b.pk))
    assert list(for_b) == [soon]


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite has its own planner; production and CI run PostgreSQL.",
)
def test_the_open_waitlist_is_read_in_order_from_its_index(cast):
    """The first page of the open waitlist walks ``intake_waitlist_queue`` instead of
    sorting every open entry: the index's expression must stay exactly the list's
    ORDER BY (change one without the other and this fails). Sequential scans are
    discouraged so the tiny test table does not hide the choice."""
    waitlist_add(actor=cast.coordinator, client=cast.client, urgency="soon")
    waitlist_add(actor=cast.coordinator, client=cast.client_b, urgency="urgent")
    page = waitlist_list(actor=cast.coordinator, filters=WaitlistFilters())[:50]
    sql, params = page.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "intake_waitlist_queue" in plan, plan
    assert "Sort" not in plan.split("intake_waitlist_queue")[0], plan


def test_the_list_filters_by_concern_modality_and_status(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    cast.client_b.concerns.add(grief)
    cast.client.preferred_modality = "in_person"
    cast.client.save(update_fields=["preferred_modality"])
    a = waitlist_add(actor=cast.coordinator, client=cast.client)
    b = waitlist_add(actor=cast.coordinator, client=cast.client_b)  # "either"
    assert list(waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(concern=grief.pk)))
    assert list(
        waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(concern=grief.pk))
    ) == [b]
    virtual = waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(modality="virtual"))
    assert list(virtual) == [b]
    in_person = waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(modality="in_person"))
    assert set(in_person) == {a, b}
    waitlist_set_status(actor=cast.coordinator, entry=a, status="withdrawn", reason="Moved")
    assert list(waitlist_list(actor=cast.coordinator)) == [b]
    assert list(
        waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(status="withdrawn"))
    ) == [a]
    assert len(waitlist_list(actor=cast.coordinator, filters=WaitlistFilters(status="all"))) == 2


@pytest.mark.parametrize(
    "who", ["facilitator", "facilitator_b", "supervisor", "billing", "member", "outsider"]
)
def test_only_coordinators_and_admins_see_the_waitlist(cast, entry, who):
    actor = getattr(cast, who)
    assert not waitlist_list(actor=actor).exists()
    assert coordinator_panel(actor) is None
    with pytest.raises(NotFound):  # someone else's record is a 404
        get_entry_for(actor, entry.pk)
    assert AuditEvent.objects.filter(
        action="intake.waitlistentry.denied", object_id=str(entry.pk)
    ).exists()


def test_the_coordinator_panel_counts(cast):
    now = timezone.now()
    waitlist_add(actor=cast.coordinator, client=cast.client, now=now - timedelta(weeks=6))
    waitlist_add(actor=cast.coordinator, client=cast.client_b, urgency="urgent", now=now)
    closed = waitlist_add(actor=cast.coordinator, client=cast.outsider_client, urgency="urgent")
    waitlist_set_status(actor=cast.coordinator, entry=closed, status="withdrawn", reason="No")
    panel = coordinator_panel(cast.coordinator)
    assert panel == {"waiting": 2, "urgent": 1, "longest": "6 weeks", "needs_review": 0}
