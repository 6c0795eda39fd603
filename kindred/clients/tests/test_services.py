from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.models import (
    AvailabilityWindow,
    Client,
    ClientStatus,
    ClientStatusChange,
    ConcernTag,
)
from kindred.clients.services import (
    PossibleDuplicate,
    availability_add,
    availability_remove,
    client_archive,
    client_create,
    client_restore,
    client_update,
    concern_create,
    concern_set_offered,
    concern_update,
    search_key,
)
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed


def _new_client(actor: Any, **overrides: Any) -> Client:
    fields: dict[str, Any] = {
        "legal_first_name": "Rosa",
        "legal_last_name": "Quintero",
        "date_of_birth": date(1988, 6, 15),
        "state_of_residence": "IL",
        "email": "rosa.q@example.test",
        "phone": "+1 312 555 0142",
    }
    fields.update(overrides)
    return client_create(actor=actor, **fields)


# --- Concern tags ---------------------------------------------------------------------


def test_admin_adds_a_concern_and_it_is_audited(cast):
    concern = concern_create(actor=cast.admin, name="  Grief ", description="Loss of someone")
    assert concern.name == "Grief"
    assert concern.is_active
    assert AuditEvent.objects.filter(
        action="clients.concern.created", object_id=str(concern.pk), actor=cast.admin
    ).exists()


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "billing", "member"])
def test_only_practice_managers_add_concerns(cast, who):
    with pytest.raises(NotPermitted):
        concern_create(actor=getattr(cast, who), name="Grief")
    assert not ConcernTag.objects.exists()


def test_duplicate_concern_names_are_refused_whatever_their_case(cast):
    concern_create(actor=cast.admin, name="Grief")
    with pytest.raises(ValidationFailed) as caught:
        concern_create(actor=cast.admin, name="GRIEF")
    assert "name" in caught.value.errors
    assert ConcernTag.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "message_part"), [("", "name"), ("   ", "name"), ("x" * 61, "at most 60")]
)
def test_bad_concern_names_save_nothing(cast, name, message_part):
    with pytest.raises(ValidationFailed) as caught:
        concern_create(actor=cast.admin, name=name)
    assert message_part in " ".join(caught.value.errors["name"])
    assert not ConcernTag.objects.exists()


def test_rename_keeps_the_tag_on_records_and_refuses_a_clash(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    concern_create(actor=cast.admin, name="Anxiety")
    client_update(actor=cast.coordinator, client=cast.client, concerns=[grief])
    concern_update(actor=cast.admin, concern=grief, name="Grief and loss", description="")
    assert list(cast.client.concerns.values_list("name", flat=True)) == ["Grief and loss"]
    with pytest.raises(ValidationFailed) as caught:
        concern_update(actor=cast.admin, concern=grief, name="anxiety", description="")
    assert "name" in caught.value.errors
    grief.refresh_from_db()
    assert grief.name == "Grief and loss"


def test_retire_and_restore(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    concern_set_offered(actor=cast.admin, concern=grief, offered=False)
    assert not ConcernTag.objects.get(pk=grief.pk).is_active
    concern_set_offered(actor=cast.admin, concern=grief, offered=True)
    assert ConcernTag.objects.get(pk=grief.pk).is_active
    actions = list(
        AuditEvent.objects.filter(object_id=str(grief.pk), action__startswith="clients.concern.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "clients.concern.created",
        "clients.concern.retired",
        "clients.concern.restored",
    ]


def test_retiring_is_refused_to_coordinators(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    with pytest.raises(NotPermitted):
        concern_set_offered(actor=cast.coordinator, concern=grief, offered=False)


# --- Creating clients -------------------------------------------------------------------


def test_coordinator_creates_a_client(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    client = _new_client(
        cast.coordinator,
        preferred_name="Rosie",
        legal_last_name="García",
        email=" Rosa.Q@Example.test ",
        concerns=[grief],
    )
    client.refresh_from_db()
    assert client.email == "rosa.q@example.test"
    assert client.search_name == "rosa garcia rosie"
    assert client.display_name == "Rosie García"
    assert list(client.concerns.all()) == [grief]
    assert client.created_by == cast.coordinator
    event = AuditEvent.objects.get(action="clients.client.created", client_id=client.pk)
    assert event.actor == cast.coordinator


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing", "member"])
def test_only_client_managers_create(cast, who):
    before = Client.objects.count()
    with pytest.raises(NotPermitted):
        _new_client(getattr(cast, who))
    assert Client.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date_of_birth": timezone.localdate() + timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"state_of_residence": "ZZ"}, "state_of_residence"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"preferred_modality": "telepathy"}, "preferred_modality"),
        ({"language": "xx"}, "language"),
        ({"legal_first_name": ""}, "legal_first_name"),
        ({"legal_last_name": "   "}, "legal_last_name"),
        ({"legal_first_name": "x" * 101}, "legal_first_name"),
        ({"emergency_contact_phone": "12"}, "emergency_contact_phone"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(cast, overrides, field):
    before = Client.objects.count()
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        _new_client(cast.coordinator, **overrides)
    assert field in caught.value.errors
    assert Client.objects.count() == before
    assert AuditEvent.objects.count() == events


def test_every_bad_field_is_reported_at_once(cast):
    with pytest.raises(ValidationFailed) as caught:
        _new_client(cast.coordinator, email="nope", state_of_residence="ZZ", phone="x")
    assert {"email", "state_of_residence", "phone"} <= set(caught.value.errors)


def test_a_retired_concern_cannot_be_given_to_a_new_record(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    concern_set_offered(actor=cast.admin, concern=grief, offered=False)
    before = Client.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        _new_client(cast.coordinator, concerns=[grief])
    assert "concerns" in caught.value.errors
    assert Client.objects.count() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"legal_first_name": "ROSA", "email": "", "phone": ""},  # same name and birthday
        {"legal_first_name": "Rósa", "email": "", "phone": ""},  # accents ignored
        {"legal_first_name": "Someone", "phone": ""},  # same birthday and email
        {"legal_first_name": "Someone", "email": "", "phone": "(312) 555-0142"},  # phone digits
    ],
)
def test_possible_duplicates_need_confirmation(cast, overrides):
    first = _new_client(cast.coordinator)
    before = Client.objects.count()
    with pytest.raises(PossibleDuplicate) as caught:
        _new_client(cast.coordinator, **overrides)
    assert caught.value.candidate_ids == [first.pk]
    assert Client.objects.count() == before
    second = _new_client(cast.coordinator, confirm_duplicate=True, **overrides)
    assert second.pk != first.pk
    event = AuditEvent.objects.get(action="clients.client.created", client_id=second.pk)
    assert event.detail == {"confirmed_duplicate": True}


def test_same_name_with_another_birthday_is_not_a_duplicate(cast):
    _new_client(cast.coordinator)
    other = _new_client(
        cast.coordinator, date_of_birth=date(1990, 1, 1), email="", phone="+1 312 555 0199"
    )
    assert other.pk


# --- Updating clients -------------------------------------------------------------------


def test_update_changes_only_the_given_fields_and_audits_their_names(cast):
    client = _new_client(cast.coordinator)
    client_update(actor=cast.coordinator, client=client, preferred_name="Ro", pronouns="she/her")
    client.refresh_from_db()
    assert client.preferred_name == "Ro"
    assert client.legal_first_name == "Rosa"
    assert client.search_name == "rosa quintero ro"
    event = AuditEvent.objects.get(action="clients.client.updated", client_id=client.pk)
    assert event.detail == {"fields": ["preferred_name", "pronouns"]}
    assert "Ro" not in str(event.detail.values())


def test_update_with_no_change_writes_nothing(cast):
    client = _new_client(cast.coordinator)
    client_update(actor=cast.coordinator, client=client, preferred_name="")
    assert not AuditEvent.objects.filter(action="clients.client.updated").exists()


def test_bad_update_saves_nothing_and_leaves_the_object_unchanged(cast):
    client = _new_client(cast.coordinator)
    with pytest.raises(ValidationFailed) as caught:
        client_update(
            actor=cast.coordinator,
            client=client,
            preferred_name="Ro",
            date_of_birth=date(1800, 1, 1),
        )
    assert "date_of_birth" in caught.value.errors
    assert client.preferred_name == ""
    client.refresh_from_db()
    assert client.preferred_name == ""
    assert client.date_of_birth == date(1988, 6, 15)


def test_a_record_keeps_a_retired_concern_but_cannot_gain_one(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    anxiety = concern_create(actor=cast.admin, name="Anxiety")
    client = _new_client(cast.coordinator, concerns=[grief])
    concern_set_offered(actor=cast.admin, concern=grief, offered=False)
    concern_set_offered(actor=cast.admin, concern=anxiety, offered=False)
    client_update(actor=cast.coordinator, client=client, concerns=[grief], pronouns="she/her")
    assert list(client.concerns.all()) == [grief]
    with pytest.raises(ValidationFailed) as caught:
        client_update(actor=cast.coordinator, client=client, concerns=[grief, anxiety])
    assert "concerns" in caught.value.errors
    assert list(client.concerns.all()) == [grief]


def test_facilitators_cannot_update(cast):
    with pytest.raises(NotPermitted):
        client_update(actor=cast.facilitator, client=cast.client, pronouns="they/them")


# --- Archive and restore ----------------------------------------------------------------


def test_archive_and_restore_keep_the_reason_out_of_the_audit_log(cast):
    client = _new_client(cast.coordinator)
    reason = "Moved to a residential programme"
    client_archive(actor=cast.coordinator, client=client, reason=reason)
    client.refresh_from_db()
    assert client.status == ClientStatus.ARCHIVED
    change = ClientStatusChange.objects.get(client=client)
    assert (change.status, change.reason, change.changed_by) == (
        ClientStatus.ARCHIVED,
        reason,
        cast.coordinator,
    )
    event = AuditEvent.objects.get(action="clients.client.archived", client_id=client.pk)
    assert reason not in str(event.detail)
    client_restore(actor=cast.coordinator, client=client, reason="Back in town")
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    assert ClientStatusChange.objects.filter(client=client).count() == 2


def test_archive_needs_a_reason_and_an_active_record(cast):
    client = _new_client(cast.coordinator)
    with pytest.raises(ValidationFailed) as caught:
        client_archive(actor=cast.coordinator, client=client, reason="  ")
    assert "reason" in caught.value.errors
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    client_archive(actor=cast.coordinator, client=client, reason="Done")
    with pytest.raises(InvalidState):
        client_archive(actor=cast.coordinator, client=client, reason="Again")
    assert ClientStatusChange.objects.filter(client=client).count() == 1


def test_archived_records_cannot_be_changed(cast):
    client = _new_client(cast.coordinator)
    client_archive(actor=cast.coordinator, client=client, reason="Done")
    with pytest.raises(InvalidState):
        client_update(actor=cast.coordinator, client=client, pronouns="she/her")
    with pytest.raises(InvalidState):
        availability_add(
            actor=cast.coordinator,
            client=client,
            weekday=1,
            start_time=time(9),
            end_time=time(10),
        )


# --- Availability -----------------------------------------------------------------------


def _windows(client: Client) -> list[tuple[int, time, time]]:
    return [
        (w.weekday, w.start_time, w.end_time)
        for w in AvailabilityWindow.objects.filter(client=client).order_by("weekday", "start_time")
    ]


def test_windows_are_added_and_removed(cast):
    client = cast.client
    window = availability_add(
        actor=cast.coordinator, client=client, weekday=1, start_time=time(18), end_time=time(20)
    )
    assert _windows(client) == [(1, time(18), time(20))]
    assert AuditEvent.objects.filter(
        action="clients.availability.added", client_id=client.pk
    ).exists()
    availability_remove(actor=cast.coordinator, window=window)
    assert _windows(client) == []
    assert AuditEvent.objects.filter(
        action="clients.availability.removed", client_id=client.pk
    ).exists()


def test_overlapping_and_touching_windows_on_the_same_day_are_merged(cast):
    client = cast.client

    def add(day: int, start: time, end: time) -> AvailabilityWindow:
        return availability_add(
            actor=cast.coordinator, client=client, weekday=day, start_time=start, end_time=end
        )

    add(1, time(18), time(20))
    add(1, time(9), time(11))
    add(2, time(17), time(19))  # another day: untouched
    merged = add(1, time(10), time(18, 30))  # bridges both Tuesday windows
    assert _windows(client) == [(1, time(9), time(20)), (2, time(17), time(19))]
    assert (merged.start_time, merged.end_time) == (time(9), time(20))
    add(1, time(20), time(21))  # touching: joined as well
    assert _windows(client) == [(1, time(9), time(21)), (2, time(17), time(19))]
    add(1, time(12), time(13))  # inside: nothing changes
    assert _windows(client) == [(1, time(9), time(21)), (2, time(17), time(19))]


@pytest.mark.parametrize(
    ("weekday", "start", "end", "field"),
    [
        (1, time(18), time(18), "end_time"),
        (1, time(18), time(9), "end_time"),
        (7, time(9), time(10), "weekday"),
        (-1, time(9), time(10), "weekday"),
    ],
)
def test_bad_windows_save_nothing(cast, weekday, start, end, field):
    with pytest.raises(ValidationFailed) as caught:
        availability_add(
            actor=cast.coordinator,
            client=cast.client,
            weekday=weekday,
            start_time=start,
            end_time=end,
        )
    assert field in caught.value.errors
    assert not AvailabilityWindow.objects.exists()


def test_facilitators_cannot_add_windows(cast):
    with pytest.raises(NotPermitted):
        availability_add(
            actor=cast.facilitator,
            client=cast.client,
            weekday=1,
            start_time=time(9),
            end_time=time(10),
        )


def test_search_key_folds_case_and_accents():
    assert search_key("José", "Ñúñez", "") == "jose nunez"
    assert search_key("ANNA-LENA") == "anna-lena"
