"""The public directory's reads and the join-request services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from kindred.audit.models import AuditEvent, Category
from kindred.core.antispam import RATE_LIMIT, RateLimited
from kindred.core.errors import NotFound, NotPermitted, ValidationFailed
from kindred.groups.directory import (
    Outcome,
    directory_entries,
    directory_group,
    directory_groups,
    fee_text,
    frequency_text,
    get_join_request_for,
    ip_hash,
    join_request_create,
    join_request_list,
    join_request_mark_handled,
    listed_groups,
)
from kindred.groups.models import JoinRequest, TherapyGroup
from kindred.groups.services import group_pause
from kindred.scheduling.tests.member_setup import enrol, make_group, next_weekday, office

IP = "203.0.113.7"


def _entry(group: TherapyGroup) -> Any:
    [entry] = directory_entries([listed_groups().get(pk=group.pk)])
    return entry


def _ask(group: TherapyGroup, **values: Any) -> tuple[str, JoinRequest | None]:
    now = timezone.now()
    data: dict[str, Any] = {
        "group": group,
        "name": "Robin Example",
        "email": "robin@example.test",
        "phone": "+1 312 555 0100",
        "state": "IL",
        "ip": IP,
        "shown_at": now - timedelta(seconds=30),
        "now": now,
    }
    data.update(values)
    return join_request_create(**data)


# --- What is listed ----------------------------------------------------------------------


def test_only_listed_groups_that_are_forming_or_meeting_are_shown(cast):
    hidden = make_group(cast, "Quiet Room", listed_publicly=False)
    forming = make_group(cast, "New Leaves", status="forming", start_date=next_weekday(3))
    paused = make_group(cast, "On Hold", start_date=next_weekday(4))
    group_pause(actor=cast.coordinator, group=paused)
    names = set(listed_groups().values_list("name", flat=True))
    assert names == {"Steady Ground", "Open Harbor", "New Leaves"}
    with pytest.raises(NotFound):
        directory_group(hidden.slug)
    with pytest.raises(NotFound):
        directory_group(paused.slug)
    assert directory_group(forming.slug).pk == forming.pk


def test_a_virtual_group_serves_the_states_every_facilitator_covers(cast):
    assert _entry(cast.group_a).states == ["IL", "KS"]
    assert _entry(cast.group_b).states == ["FL"]
    both = make_group(cast, "Two Leads", co_facilitators=[cast.clinician_b])
    assert _entry(both).states == []


def test_an_in_person_group_lists_no_states_but_its_place(cast):
    location, room = office(cast)
    group = make_group(cast, "Harbor Lights", modality="in_person", location=location, room=room)
    entry = _entry(group)
    assert entry.states == []
    assert entry.is_in_person
    assert not entry.is_virtual


def test_seats_open_or_waitlist_from_the_seats_taken(cast):
    group = make_group(cast, "Small Circle", min_size=1, max_size=2)
    assert _entry(group).seats_open
    enrol(cast, group, cast.client, cast.client_b)
    assert not _entry(group).seats_open


def test_the_schedule_reads_in_the_groups_zone(cast):
    group = make_group(
        cast,
        "Twice Weekly",
        recurrence="FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10",
        start_date=next_weekday(0),
        start_time=time(19, 0),
    )
    schedule = _entry(group).schedule
    assert schedule.frequency == "Every week"
    texts = [slot.text for slot in schedule.slots]
    assert len(texts) == 2
    assert {t.split(",")[0] for t in texts} == {"Monday", "Thursday"}
    assert all(("7:00 PM" in t or "7 p.m." in t) and t.endswith(("CST", "CDT")) for t in texts)
    assert schedule.sessions_count == 10
    assert schedule.starts_on == group.start_date


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("FREQ=WEEKLY", "Every week"),
        ("FREQ=WEEKLY;INTERVAL=2", "Every 2 weeks"),
        ("FREQ=MONTHLY;BYDAY=1TU", "Every month"),
        ("FREQ=DAILY;COUNT=5", "Every day"),
        ("nonsense", "Regularly"),
    ],
)
def test_frequency_in_words(rule, text):
    assert frequency_text(rule) == text


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "No fee"),
        (4500, "$45 per session"),
        (4550, "$45.50 per session"),
        (120000, "$1,200 per session"),
    ],
)
def test_fee_in_words(cents, text):
    group = TherapyGroup(fee_cents=cents)
    assert fee_text(group) == text


def test_filters_by_focus_and_modality(cast):
    location, room = office(cast)
    in_person = make_group(
        cast, "Harbor Lights", modality="in_person", location=location, room=room
    )
    from kindred.clients.services import concern_create

    grief = concern_create(actor=cast.admin, name="Grief")
    cast.group_a.concerns.add(grief)
    from kindred.groups.directory import DirectoryFilters

    assert list(directory_groups(DirectoryFilters(modality="in_person"))) == [in_person]
    assert list(directory_groups(DirectoryFilters(concern=grief.pk))) == [cast.group_a]


def test_the_directory_takes_a_constant_number_of_queries(cast, django_assert_max_num_queries):
    def run() -> int:
        with django_assert_max_num_queries(20) as captured:
            entries = directory_entries(directory_groups())
            assert all(e.schedule.frequency for e in entries)
        return len(captured.captured_queries)

    run()  # the practice's settings are cached from here on
    before = run()
    for i, weekday in enumerate((0, 3, 4, 5)):
        make_group(
            cast,
            f"Group {i}",
            start_date=next_weekday(weekday),
            co_facilitators=[cast.supervisor_clinician],
        )
    assert run() == before


# --- Join requests -------------------------------------------------------------------------


def test_a_request_is_saved_with_a_hash_of_the_ip_never_the_ip(cast):
    outcome, saved = _ask(cast.group_a)
    assert outcome == Outcome.SAVED
    assert saved is not None
    row = JoinRequest.objects.get()
    assert row.ip_hash == ip_hash(IP)
    assert IP not in row.ip_hash
    assert len(row.ip_hash) == 64
    event = AuditEvent.objects.get(action="groups.join_request.received")
    assert event.actor is None
    assert "Robin" not in str(event.detail)


def test_the_honeypot_discards_quietly(cast):
    outcome, saved = _ask(cast.group_a, honeypot="http://spam.example.test")
    assert (outcome, saved) == (Outcome.DISCARDED, None)
    assert not JoinRequest.objects.exists()


@pytest.mark.parametrize("seconds", [0, 1, 2.5])
def test_a_form_sent_too_fast_saves_nothing(cast, seconds):
    now = timezone.now()
    with pytest.raises(ValidationFailed, match="very quick"):
        _ask(cast.group_a, shown_at=now - timedelta(seconds=seconds), now=now)
    assert not JoinRequest.objects.exists()


def test_a_form_without_its_timestamp_saves_nothing(cast):
    with pytest.raises(ValidationFailed, match="expired"):
        _ask(cast.group_a, shown_at=None)
    assert not JoinRequest.objects.exists()


def test_bad_input_gets_a_message_per_field_and_saves_nothing(cast):
    with pytest.raises(ValidationFailed) as caught:
        _ask(cast.group_a, name="  ", email="not-an-email", phone="12", state="ZZ")
    assert set(caught.value.errors) == {"name", "email", "phone", "state"}
    assert not JoinRequest.objects.exists()


def test_one_connection_is_limited_others_are_not(cast):
    for i in range(RATE_LIMIT):
        outcome, _ = _ask(cast.group_a, email=f"person{i}@example.test")
        assert outcome == Outcome.SAVED
    with pytest.raises(RateLimited):
        _ask(cast.group_a, email="one.more@example.test")
    assert JoinRequest.objects.count() == RATE_LIMIT
    outcome, _ = _ask(cast.group_a, email="elsewhere@example.test", ip="198.51.100.9")
    assert outcome == Outcome.SAVED
    # An hour later the connection may ask again.
    later = timezone.now() + timedelta(hours=1, minutes=1)
    outcome, _ = _ask(
        cast.group_a,
        email="later@example.test",
        now=later,
        shown_at=later - timedelta(seconds=20),
    )
    assert outcome == Outcome.SAVED


def test_a_double_click_stores_one_request(cast):
    first = _ask(cast.group_a)
    second = _ask(cast.group_a, email="ROBIN@example.test")
    assert first[0] == Outcome.SAVED
    assert second[0] == Outcome.DUPLICATE
    assert JoinRequest.objects.count() == 1


def test_coordinators_list_and_handle_requests(cast):
    _, saved = _ask(cast.group_a)
    assert saved is not None
    assert list(join_request_list(actor=cast.coordinator)) == [saved]
    assert AuditEvent.objects.filter(
        action="groups.join_request.listed", category=Category.ACCESS
    ).exists()
    found = get_join_request_for(cast.coordinator, saved.pk)
    handled = join_request_mark_handled(actor=cast.coordinator, join_request=found)
    assert handled.handled_by == cast.coordinator
    assert isinstance(handled.handled_at, datetime)
    assert list(join_request_list(actor=cast.coordinator)) == []
    assert list(join_request_list(actor=cast.coordinator, handled=True)) == [saved]
    reopened = join_request_mark_handled(actor=cast.admin, join_request=found, handled=False)
    assert reopened.handled_at is None
    actions = list(
        AuditEvent.objects.filter(action__startswith="groups.join_request.").values_list(
            "action", flat=True
        )
    )
    assert "groups.join_request.handled" in actions
    assert "groups.join_request.reopened" in actions


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing", "member"])
def test_only_those_who_manage_groups_see_requests(cast, who):
    _, saved = _ask(cast.group_a)
    actor = getattr(cast, who)
    with pytest.raises(NotPermitted):
        join_request_list(actor=actor)
    with pytest.raises(NotFound):
        get_join_request_for(actor, saved.pk if saved else 0)
    with pytest.raises(NotPermitted):
        join_request_mark_handled(actor=actor, join_request=saved)  # type: ignore[arg-type]
    anonymous: Any = AnonymousUser()
    with pytest.raises(NotFound):
        get_join_request_for(anonymous, 1)
    assert JoinRequest.objects.get().handled_at is None
