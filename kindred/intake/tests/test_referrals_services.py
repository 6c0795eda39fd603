"""Referral services: self-referrals, staff and partner referrals, the rules about bad
input (nothing saved), out-of-state flags, idempotent repeats, spam defences and the
coordinator's review of a possible duplicate."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.models import AvailabilityWindow, Client
from kindred.clients.services import client_archive, concern_create, concern_set_offered
from kindred.core.antispam import RATE_LIMIT, RateLimited
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import GroupStatus
from kindred.intake.models import (
    Referral,
    ReferralSource,
    ReferralStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from kindred.intake.referrals import (
    AvailabilityRow,
    Outcome,
    fingerprint,
    merge_rows,
    referral_attach,
    referral_create_record,
    referral_submit,
)
from kindred.intake.selectors import possible_duplicate
from kindred.intake.tests.referral_support import (
    THEIR_WORDS,
    details,
    refer,
    staff_refer,
    written,
)

# --- A self-referral ---------------------------------------------------------------------


def test_a_self_referral_becomes_a_client_record_and_a_waitlist_entry(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    submission = refer(concerns=[grief], group=cast.group_a, pronouns="they/them")
    assert submission.outcome == Outcome.CREATED
    referral = submission.referral
    assert referral is not None
    assert referral.source == ReferralSource.SELF
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.in_their_words == THEIR_WORDS
    assert referral.availability == [
        {"weekday": 1, "start": "18:00", "end": "20:00"},
        {"weekday": 3, "start": "09:00", "end": "11:00"},
    ]
    client = referral.client
    assert client is not None
    assert (client.legal_first_name, client.legal_last_name) == ("Robin", "Example")
    assert client.date_of_birth == date(1991, 5, 17)
    assert client.state_of_residence == "IL"
    assert client.timezone == "America/Chicago"
    assert client.pronouns == "they/them"
    assert client.preferred_modality == "virtual"
    assert list(client.concerns.all()) == [grief]
    windows = list(client.availability.values_list("weekday", "start_time", "end_time"))
    assert windows == [(1, time(18), time(20)), (3, time(9), time(11))]
    entry = submission.entry
    assert entry is not None
    assert (entry.client, entry.group, entry.referral) == (client, cast.group_a, referral)
    assert entry.status == WaitlistStatus.WAITING
    assert entry.urgency == "soon"
    assert not entry.flagged_out_of_state
    assert not submission.out_of_state
    received = AuditEvent.objects.get(action="intake.referral.received")
    assert received.actor is None
    assert received.client_id == client.pk
    assert received.detail == {"source": "self", "out_of_state": False, "needs_review": False}
    assert AuditEvent.objects.filter(
        action="intake.waitlist_entry.created", client_id=client.pk
    ).exists()


def test_what_the_person_wrote_never_reaches_the_audit_log(cast):
    refer(first_name="Ana", last_name="Writes")
    texts = [json.dumps(e.detail) for e in AuditEvent.objects.all()]
    assert texts
    assert not any("brother" in text or "slept" in text for text in texts)


def test_names_and_contact_details_are_tidied_but_their_words_kept_exactly(cast):
    words = "  Two spaces before, a line break after.\n"
    submission = refer(
        first_name="  Robin ", email=" Robin.Example@Example.TEST ", in_their_words=words
    )
    referral = submission.referral
    assert referral is not None
    assert referral.first_name == "Robin"
    assert referral.email == "robin.example@example.test"
    assert referral.in_their_words == words


def test_overlapping_times_of_a_day_are_joined():
    rows = merge_rows(
        [
            AvailabilityRow(2, time(17), time(19)),
            AvailabilityRow(0, time(9), time(10)),
            AvailabilityRow(2, time(18), time(21)),
            AvailabilityRow(2, time(21), time(22)),
        ]
    )
    assert rows == [
        AvailabilityRow(0, time(9), time(10)),
        AvailabilityRow(2, time(17), time(22)),
    ]


# --- Bad input saves nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"first_name": "  "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth"),
        ({"email": "robin-at-example"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"state": ""}, "state"),
        ({"state": "Illinois"}, "state"),
        ({"preferred_modality": "carrier pigeon"}, "preferred_modality"),
        ({"language": "klingon"}, "language"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"in_their_words": "x" * 3001}, "in_their_words"),
        ({"pronouns": "x" * 41}, "pronouns"),
        ({"availability": [AvailabilityRow(1, time(20), time(18))]}, "availability"),
        ({"availability": [AvailabilityRow(9, time(8), time(9))]}, "availability"),
        (
            {"availability": [AvailabilityRow(d % 7, time(8 + d), time(9 + d)) for d in range(15)]},
            "availability",
        ),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(cast, overrides, field):
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        refer(**overrides)
    assert field in caught.value.errors, caught.value.errors
    assert written() == before


def test_a_date_of_birth_in_the_future_is_refused(cast):
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        refer(date_of_birth=timezone.localdate() + timedelta(days=1))
    assert caught.value.errors["date_of_birth"] == ["This date is in the future."]
    assert written() == before


def test_no_way_to_contact_is_explained(cast):
    with pytest.raises(ValidationFailed) as caught:
        refer(email="", phone="")
    assert caught.value.errors["email"] == [
        "Give an email address or a phone number, so the practice can reach you."
    ]


def test_a_phone_alone_is_a_way_to_contact(cast):
    submission = refer(email="")
    assert submission.outcome == Outcome.CREATED


def test_every_bad_field_is_reported_at_once(cast):
    with pytest.raises(ValidationFailed) as caught:
        refer(first_name="", email="nope", state="ZZ", urgency="x")
    assert {"first_name", "email", "state", "urgency"} <= set(caught.value.errors)


def test_a_retired_concern_is_refused(cast):
    old = concern_create(actor=cast.admin, name="Retired focus")
    concern_set_offered(actor=cast.admin, concern=old, offered=False)
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        refer(concerns=[old])
    assert caught.value.errors["concerns"] == ["No longer offered: Retired focus."]
    assert written() == before


def test_a_group_not_taking_people_is_refused(cast):
    cast.group_b.status = GroupStatus.COMPLETED
    cast.group_b.save(update_fields=["status"])
    cast.group_a.listed_publicly = False
    cast.group_a.save(update_fields=["listed_publicly"])
    before = written()
    for group in (cast.group_b, cast.group_a):
        with pytest.raises(ValidationFailed) as caught:
            refer(group=group)
        assert "group" in caught.value.errors
    assert written() == before
    # Staff may refer to a live group that is not in the public directory.
    assert staff_refer(cast.coordinator, group=cast.group_a).outcome == Outcome.CREATED


# --- Out of state --------------------------------------------------------------------------


def test_a_state_the_practice_does_not_serve_is_accepted_but_flagged(cast):
    submission = refer(state="TX")
    referral, entry = submission.referral, submission.entry
    assert referral is not None
    assert entry is not None
    assert submission.out_of_state
    assert referral.out_of_state
    assert referral.status == ReferralStatus.ACCEPTED
    assert entry.flagged_out_of_state
    assert referral.client is not None
    assert referral.client.timezone == "America/Chicago"
    event = AuditEvent.objects.get(action="intake.referral.received")
    assert event.detail["out_of_state"] is True


def test_a_florida_referral_gets_florida_time(cast):
    submission = refer(state="FL")
    assert submission.referral is not None
    assert submission.referral.client is not None
    assert submission.referral.client.timezone == "America/New_York"
    assert not submission.out_of_state


# --- The same referral twice ------------------------------------------------------------------


def test_the_same_referral_within_a_day_is_the_same_referral(cast):
    first = refer(group=cast.group_a)
    before = written()
    again = refer(
        group=cast.group_a,
        first_name="ROBIN",
        last_name=" example",
        email="Robin.Example@example.test",
        phone="(312) 555-0188",
        in_their_words="Sent twice by a double click.",
    )
    assert again.outcome == Outcome.REPEATED
    assert again.referral == first.referral
    assert again.entry == first.entry
    assert written() == before


def test_a_repeat_after_a_day_is_a_new_referral_held_for_review(cast):
    first = refer()
    later = refer(now=timezone.now() + timedelta(hours=25))
    assert later.outcome == Outcome.CREATED
    assert later.referral != first.referral
    assert later.needs_review  # the first one made the record it resembles


def test_another_group_is_another_referral(cast):
    first = refer(group=cast.group_a)
    second = refer(group=cast.group_b)
    assert second.outcome == Outcome.CREATED
    assert second.referral != first.referral


def test_the_fingerprint_ignores_case_accents_and_phone_formatting():
    base: dict[str, Any] = {
        "first_name": "José",
        "last_name": "García",
        "date_of_birth": date(1990, 1, 2),
        "email": "Jose@Example.test",
        "phone": "+1 (312) 555-0100",
        "group_id": 4,
    }
    same = {**base, "first_name": "jose ", "last_name": "GARCIA", "phone": "312.555.0100"}
    assert fingerprint(**base) == fingerprint(**same)
    assert fingerprint(**base) != fingerprint(**{**base, "group_id": None})
    assert "jose" not in fingerprint(**base)


# --- Spam defences (public form) ---------------------------------------------------------------


def test_a_filled_honeypot_saves_nothing(cast):
    before = written()
    submission = refer(honeypot="http://spam.example.test")
    assert submission.outcome == Outcome.DISCARDED
    assert submission.referral is None
    assert written() == before


@pytest.mark.parametrize(("shown_ago", "message"), [(None, "expired"), (1, "very quick")])
def test_a_form_without_a_stamp_or_sent_too_fast_is_refused(cast, shown_ago, message):
    now = timezone.now()
    shown_at = None if shown_ago is None else now - timedelta(seconds=shown_ago)
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        refer(now=now, shown_at=shown_at)
    assert message in caught.value.message
    assert written() == before


def test_too_many_referrals_from_one_connection_are_refused(cast):
    for n in range(RATE_LIMIT):
        refer(ip="203.0.113.9", email=f"p{n}@example.test", first_name=f"Person{n}")
    before = written()
    with pytest.raises(RateLimited):
        refer(ip="203.0.113.9", email="late@example.test", first_name="Late")
    assert written() == before
    assert refer(ip="198.51.100.4", email="late@example.test", first_name="Late").referral
    keys = set(Referral.objects.values_list("source_key", flat=True))
    assert all(len(key) == 64 and "203.0.113" not in key for key in keys)


def test_staff_referrals_skip_the_public_checks(cast):
    submission = referral_submit(actor=cast.coordinator, source="staff", **details())
    assert submission.outcome == Outcome.CREATED
    assert submission.referral is not None
    assert submission.referral.source_key == ""


# --- Staff and partner referrals ----------------------------------------------------------------


def test_a_clinician_refers_someone(cast):
    submission = staff_refer(cast.coordinator, referrer_email="Jamie@Example.test")
    referral = submission.referral
    assert referral is not None
    assert referral.source == ReferralSource.CLINICIAN
    assert referral.created_by == cast.coordinator
    assert referral.referrer_name == "Dr Jamie Referrer"
    assert referral.referrer_email == "jamie@example.test"
    assert submission.entry is not None
    assert AuditEvent.objects.get(action="intake.referral.received").actor == cast.coordinator


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"source": "self"}, "source"),
        ({"source": "neighbour"}, "source"),
        ({"source": "partner", "referrer_name": ""}, "referrer_name"),
        ({"referrer_email": "jamie-at-clinic"}, "referrer_email"),
        ({"referrer_phone": "1"}, "referrer_phone"),
    ],
)
def test_bad_referrer_details_save_nothing(cast, overrides, field):
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        staff_refer(cast.coordinator, **overrides)
    assert field in caught.value.errors
    assert written() == before


def test_staff_entering_a_referral_need_not_name_a_referrer(cast):
    submission = staff_refer(cast.admin, source="staff", referrer_name="")
    assert submission.outcome == Outcome.CREATED


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing", "member"])
def test_only_people_who_manage_clients_refer(cast, who):
    before = written()
    with pytest.raises(NotPermitted):
        staff_refer(getattr(cast, who))
    assert written() == before


# --- Possible duplicates ----------------------------------------------------------------------


def _like_avery(**overrides: Any) -> dict[str, Any]:
    """A referral resembling the cast's member Avery (same name and date of birth)."""
    values: dict[str, Any] = {
        "first_name": "Avery",
        "last_name": "Member",
        "date_of_birth": date(1990, 4, 1),
        "email": "avery.new@example.test",
    }
    values.update(overrides)
    return values


def test_a_referral_resembling_a_record_waits_for_review(cast):
    clients_before = Client.objects.count()
    submission = refer(**_like_avery())
    referral = submission.referral
    assert referral is not None
    assert submission.needs_review
    assert referral.status == ReferralStatus.NEEDS_REVIEW
    assert referral.duplicate_candidates == [cast.client.pk]
    assert referral.client is None
    assert submission.entry is None
    assert Client.objects.count() == clients_before
    assert not WaitlistEntry.objects.exists()
    event = AuditEvent.objects.get(action="intake.referral.received")
    assert event.detail["needs_review"] is True


def test_same_person_attaches_the_referral_to_their_record(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    referral = refer(**_like_avery(concerns=[grief], urgency="urgent")).referral
    assert referral is not None
    entry = referral_attach(actor=cast.coordinator, referral=referral, client=cast.client)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.client == cast.client
    assert (entry.client, entry.referral, entry.urgency) == (cast.client, referral, "urgent")
    assert grief in cast.client.concerns.all()
    assert AvailabilityWindow.objects.filter(client=cast.client).count() == 2
    cast.client.refresh_from_db()
    assert cast.client.email == "avery.member@example.test"  # contact details untouched
    assert AuditEvent.objects.filter(
        action="intake.referral.attached", actor=cast.coordinator, client_id=cast.client.pk
    ).exists()
    assert not possible_duplicate(WaitlistEntry.objects.select_related("referral").get())
    with pytest.raises(InvalidState):
        referral_attach(actor=cast.coordinator, referral=referral, client=cast.client)


def test_a_different_person_gets_a_new_record_and_stays_flagged(cast):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    clients_before = Client.objects.count()
    entry = referral_create_record(actor=cast.coordinator, referral=referral)
    assert Client.objects.count() == clients_before + 1
    assert entry.client != cast.client
    assert entry.client.email == "avery.new@example.test"
    referral.refresh_from_db()
    assert referral.client == entry.client
    assert possible_duplicate(WaitlistEntry.objects.select_related("referral").get())
    created = AuditEvent.objects.get(action="clients.client.created", client_id=entry.client.pk)
    assert created.detail == {"confirmed_duplicate": True}


def test_attaching_to_a_record_it_does_not_resemble_is_refused(cast):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        referral_attach(actor=cast.coordinator, referral=referral, client=cast.client_b)
    assert "client" in caught.value.errors
    assert written() == before


def test_attaching_to_an_archived_record_asks_to_restore_it_first(cast):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    client_archive(actor=cast.coordinator, client=cast.client, reason="Moved away")
    before = written()
    with pytest.raises(InvalidState):
        referral_attach(actor=cast.coordinator, referral=referral, client=cast.client)
    assert written() == before


@pytest.mark.parametrize("who", ["facilitator", "billing"])
def test_only_people_who_manage_clients_review(cast, who):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    with pytest.raises(NotPermitted):
        referral_attach(actor=getattr(cast, who), referral=referral, client=cast.client)
    with pytest.raises(NotPermitted):
        referral_create_record(actor=getattr(cast, who), referral=referral)


def test_a_referral_for_someone_already_waiting_keeps_their_place(cast):
    first = refer(urgency="routine")
    assert first.entry is not None
    referral = refer(now=timezone.now() + timedelta(days=2), urgency="urgent").referral
    assert referral is not None
    assert referral.status == ReferralStatus.NEEDS_REVIEW
    assert first.referral is not None
    entry = referral_attach(actor=cast.coordinator, referral=referral, client=first.referral.client)  # type: ignore[arg-type]
    assert entry == first.entry
    entry.refresh_from_db()
    assert entry.urgency == "urgent"
    assert entry.added_at == first.entry.added_at
    assert WaitlistEntry.objects.count() == 1
