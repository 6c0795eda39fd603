"""Practice services: rules, audit events, and nothing saved on bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, NotPermitted, ValidationFailed
from kindred.core.testing import newcomer
from kindred.practice import services
from kindred.practice.models import (
    ClinicianProfile,
    Compact,
    CompactMemberState,
    CompactPrivilege,
    CredentialStatus,
    License,
    Location,
    Practice,
    Room,
)
from kindred.practice.settings import practice_settings


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def practice_kwargs(**overrides: Any) -> dict[str, Any]:
    values = {
        "name": "Prairie Groups",
        "timezone": "America/Chicago",
        "states_served": ["KS", "IL"],
        "crisis_resources": "Call or text 988.",
        "contact_email": "Hello@Example.test",
        "contact_phone": "+1 312 555 0199",
        "staff_idle_minutes": 10,
        "member_idle_minutes": 25,
    }
    values.update(overrides)
    return values


# --- Practice profile -----------------------------------------------------------------


def test_practice_profile_is_created_then_updated(db, cast, django_capture_on_commit_callbacks):
    Practice.objects.all().delete()
    assert practice_settings().configured is False
    with django_capture_on_commit_callbacks(execute=True):
        practice = services.practice_save(actor=cast.admin, **practice_kwargs())
    assert practice.states_served == ["IL", "KS"]
    assert practice.contact_email == "hello@example.test"
    # The cached settings were forgotten on commit, so the new values show at once.
    assert practice_settings().name == "Prairie Groups"
    assert practice_settings().staff_idle_minutes == 10
    with django_capture_on_commit_callbacks(execute=True):
        services.practice_save(actor=cast.admin, **practice_kwargs(name="Prairie Circle"))
    assert practice_settings().name == "Prairie Circle"
    assert actions()[-2:] == ["practice.practice.created", "practice.practice.updated"]
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.detail == {"fields": ["name"]}  # names of fields, never values


def test_practice_profile_unchanged_writes_nothing(cast):
    services.practice_save(actor=cast.admin, **practice_kwargs())
    before = AuditEvent.objects.count()
    services.practice_save(actor=cast.admin, **practice_kwargs())
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"states_served": ["IL", "ZZ"]}, "states_served"),
        ({"crisis_resources": ""}, "crisis_resources"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"staff_idle_minutes": 0}, "staff_idle_minutes"),
        ({"member_idle_minutes": 721}, "member_idle_minutes"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_practice_profile_bad_input_saves_nothing(cast, overrides, field):
    before = Practice.objects.get().name
    with pytest.raises(ValidationFailed) as exc:
        services.practice_save(actor=cast.admin, **practice_kwargs(**overrides))
    assert field in exc.value.errors
    assert Practice.objects.get().name == before
    assert not AuditEvent.objects.filter(action__startswith="practice.practice").exists()


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "billing", "member"])
def test_only_practice_managers_change_the_profile(cast, who):
    with pytest.raises(NotPermitted):
        services.practice_save(actor=getattr(cast, who), **practice_kwargs())


# --- Locations and rooms --------------------------------------------------------------


def location_kwargs(**overrides: Any) -> dict[str, Any]:
    values = {
        "name": "Wichita Office",
        "address_line1": "200 Example Ave",
        "city": "Wichita",
        "state": "KS",
        "postal_code": "67202",
        "timezone": "America/Chicago",
    }
    values.update(overrides)
    return values


def test_location_lifecycle_is_audited(cast, location):
    services.location_update(
        actor=cast.admin,
        location=location,
        **location_kwargs(name="Loop Office", state="IL", postal_code="60601-1234"),
        address_line2="",
        phone="",
        directions="Enter from the side door.",
    )
    services.location_deactivate(actor=cast.admin, location=location)
    services.location_deactivate(actor=cast.admin, location=location)  # no-op
    services.location_reactivate(actor=cast.admin, location=location)
    location.refresh_from_db()
    assert location.is_active
    assert location.postal_code == "60601-1234"
    assert [a for a in actions() if a.startswith("practice.location")] == [
        "practice.location.created",
        "practice.location.updated",
        "practice.location.deactivated",
        "practice.location.reactivated",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "LOOP office"}, "name", "There is already a location called"),
        ({"postal_code": "6060"}, "postal_code", "5-digit ZIP"),
        ({"state": "ZZ"}, "state", "is not a US state code"),
        ({"timezone": "Nowhere/Else"}, "timezone", "time zone"),
        ({"phone": "12"}, "phone", "phone number"),
        ({"city": ""}, "city", ""),
    ],
)
def test_location_bad_input_saves_nothing(cast, location, overrides, field, message):
    with pytest.raises(ValidationFailed) as exc:
        services.location_create(actor=cast.admin, **location_kwargs(**overrides))
    assert field in exc.value.errors
    assert message in " ".join(exc.value.errors[field])
    assert len(exc.value.errors[field]) == 1  # said once, beside the field
    assert Location.objects.count() == 1


def test_rooms_are_unique_per_location(cast, location):
    other = services.location_create(actor=cast.admin, **location_kwargs())
    room = services.room_create(actor=cast.admin, location=location, name="Oak", capacity=10)
    services.room_create(actor=cast.admin, location=other, name="oak", capacity=8)
    with pytest.raises(ValidationFailed) as exc:
        services.room_create(actor=cast.admin, location=location, name="OAK", capacity=8)
    assert "already has a room" in exc.value.errors["name"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.room_create(actor=cast.admin, location=location, name="Elm", capacity=0)
    assert "capacity" in exc.value.errors
    assert Room.objects.count() == 2
    services.room_update(
        actor=cast.admin, room=room, name="Oak", capacity=12, accessibility_notes="Step-free"
    )
    services.room_deactivate(actor=cast.admin, room=room)
    services.room_reactivate(actor=cast.admin, room=room)
    assert [a for a in actions() if a.startswith("practice.room")] == [
        "practice.room.created",
        "practice.room.created",
        "practice.room.updated",
        "practice.room.deactivated",
        "practice.room.reactivated",
    ]


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "supervisor"])
def test_only_practice_managers_change_locations(cast, location, who):
    actor = getattr(cast, who)
    with pytest.raises(NotPermitted):
        services.location_create(actor=actor, **location_kwargs())
    with pytest.raises(NotPermitted):
        services.location_deactivate(actor=actor, location=location)
    with pytest.raises(NotPermitted):
        services.room_create(actor=actor, location=location, name="Oak", capacity=4)


# --- Compacts -------------------------------------------------------------------------


def test_compact_member_states_on(psypact):
    assert services.compact_member_states_on(psypact, date(2020, 6, 1)) == {"IL"}
    assert services.compact_member_states_on(psypact, date(2023, 6, 1)) == {"IL", "KS", "FL"}
    assert services.compact_member_states_on(psypact, date(2025, 6, 30)) == {"IL", "KS", "FL"}
    assert services.compact_member_states_on(psypact, date(2025, 7, 1)) == {"IL", "KS"}


def test_compact_codes_are_unique(cast, psypact):
    with pytest.raises(ValidationFailed) as exc:
        services.compact_create(actor=cast.admin, code="PSYPACT", name="Again")
    assert "already uses the code" in exc.value.errors["code"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.compact_create(actor=cast.admin, code="not a slug!", name="Bad")
    assert "code" in exc.value.errors
    assert Compact.objects.count() == 1


def test_membership_periods_cannot_overlap(cast, psypact):
    with pytest.raises(ValidationFailed) as exc:
        services.compact_member_state_add(
            actor=cast.admin, compact=psypact, state="KS", effective_from=date(2024, 1, 1)
        )
    assert exc.value.errors["effective_from"] == [
        "Kansas is already a member from Jan. 1, 2021, with no end date."
    ]
    # Florida left on 2025-06-30; it may rejoin later.
    services.compact_member_state_add(
        actor=cast.admin, compact=psypact, state="FL", effective_from=date(2026, 1, 1)
    )
    assert CompactMemberState.objects.filter(compact=psypact).count() == 4


def test_membership_dates_in_order_and_states_known(cast, psypact):
    with pytest.raises(ValidationFailed) as exc:
        services.compact_member_state_add(
            actor=cast.admin,
            compact=psypact,
            state="MO",
            effective_from=date(2024, 1, 1),
            effective_until=date(2023, 1, 1),
        )
    assert "effective_until" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.compact_member_state_add(
            actor=cast.admin, compact=psypact, state="XX", effective_from=date(2024, 1, 1)
        )
    assert "state" in exc.value.errors
    assert CompactMemberState.objects.filter(compact=psypact).count() == 3


def test_ending_a_membership(cast, psypact):
    ks = CompactMemberState.objects.get(compact=psypact, state="KS")
    with pytest.raises(ValidationFailed):
        services.compact_member_state_end(
            actor=cast.admin, member_state=ks, effective_until=date(2020, 1, 1)
        )
    services.compact_member_state_end(
        actor=cast.admin, member_state=ks, effective_until=date(2024, 12, 31)
    )
    assert services.compact_member_states_on(psypact, date(2025, 1, 1)) == {"IL", "FL"}
    assert actions()[-1] == "practice.compact_member_state.ended"


# --- Clinicians -----------------------------------------------------------------------


def test_making_a_staff_member_a_clinician(cast):
    user = newcomer()
    clinician = services.clinician_create(actor=cast.admin, user=user, npi="1234567893")
    assert clinician.user == user
    assert actions()[-1] == "practice.clinician.created"
    with pytest.raises(ValidationFailed) as exc:
        services.clinician_create(actor=cast.admin, user=user)
    assert exc.value.errors["user"] == ["This person is already a clinician."]
    with pytest.raises(ValidationFailed) as exc:
        services.clinician_create(actor=cast.admin, user=cast.member)
    assert "user" in exc.value.errors


@pytest.mark.parametrize(
    ("npi", "message"),
    [
        ("1234567890", "check digit"),
        ("12345", "exactly 10 digits"),
        ("1234567893", "Another clinician already has this NPI."),
    ],
)
def test_npi_is_checked(cast, clinician, npi, message):
    user = newcomer()
    with pytest.raises(ValidationFailed) as exc:
        services.clinician_create(actor=cast.admin, user=user, npi=npi)
    assert message in exc.value.errors["npi"][0]
    assert not ClinicianProfile.objects.filter(user=user).exists()


def test_supervision_cannot_loop(cast, clinician):
    boss = services.clinician_create(actor=cast.admin, user=newcomer())
    services.clinician_update(
        actor=cast.admin,
        clinician=clinician,
        npi=clinician.npi,
        credentials="PhD",
        pronouns="she/her",
        bio="",
        supervisor=boss,
    )
    with pytest.raises(ValidationFailed) as exc:
        services.clinician_update(
            actor=cast.admin,
            clinician=boss,
            npi="",
            credentials="",
            pronouns="",
            bio="",
            supervisor=clinician,
        )
    assert "circle" in exc.value.errors["supervisor"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.clinician_update(
            actor=cast.admin,
            clinician=boss,
            npi="",
            credentials="",
            pronouns="",
            bio="",
            supervisor=boss,
        )
    assert "own supervisor" in exc.value.errors["supervisor"][0]
    boss.refresh_from_db()
    assert boss.supervisor is None


def test_facilitators_cannot_edit_clinicians(cast, clinician):
    with pytest.raises(NotPermitted):
        services.clinician_update(
            actor=cast.facilitator,
            clinician=clinician,
            npi="",
            credentials="Me",
            pronouns="",
            bio="",
            supervisor=None,
        )
    with pytest.raises(NotPermitted):
        services.license_create(
            actor=cast.coordinator,
            clinician=clinician,
            state="IL",
            license_type="LCPC",
            number="1",
            issued_on=date(2020, 1, 1),
            expires_on=date(2030, 1, 1),
        )


# --- Licenses -------------------------------------------------------------------------


def license_kwargs(**overrides: Any) -> dict[str, Any]:
    values = {
        "state": "KS",
        "license_type": "LCPC",
        "number": "KS-100",
        "issued_on": date(2022, 1, 1),
        "expires_on": date(2026, 1, 1),
    }
    values.update(overrides)
    return values


LICENSE_ERRORS = [
    (
        {"issued_on": date(2024, 1, 1), "expires_on": date(2023, 1, 1)},
        ("expires_on", "This must be after the issue date (Jan. 1, 2024)."),
    ),
    (
        {"issued_on": date(2024, 1, 1), "expires_on": date(2024, 1, 1)},
        ("expires_on", "This must be after the issue date"),
    ),
    ({"state": "QQ"}, ("state", "“QQ” is not a US state code")),
    ({"number": ""}, ("number", "cannot be blank")),
    ({"license_type": "x" * 61}, ("license_type", "at most 60")),
    ({"status": "lost"}, ("status", "not a valid choice")),
    ({"verified_on": date(2999, 1, 1)}, ("verified_on", "in the future")),
    (
        {"state": "IL", "license_type": "licensed psychologist", "number": "071-000123"},
        (
            "number",
            "A licensed psychologist license number 071-000123 in Illinois is already recorded.",
        ),
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), LICENSE_ERRORS)
def test_license_bad_input_saves_nothing(cast, clinician, il_license, overrides, expected):
    field, message = expected
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.license_create(
            actor=cast.admin, clinician=clinician, **license_kwargs(**overrides)
        )
    assert message in exc.value.errors[field][0]
    assert len(exc.value.errors[field]) == 1
    assert License.objects.filter(clinician=clinician).count() == 1
    assert AuditEvent.objects.count() == before


def test_license_update_and_end(cast, clinician, il_license):
    start = AuditEvent.objects.filter(action="practice.license.created").count() - 1
    lic = services.license_create(actor=cast.admin, clinician=clinician, **license_kwargs())
    services.license_update(
        actor=cast.admin,
        license=lic,
        **license_kwargs(expires_on=date(2028, 1, 1)),
        status=CredentialStatus.ACTIVE,
        verified_on=date(2024, 5, 1),
    )
    # Editing a license to itself is not a duplicate.
    services.license_update(
        actor=cast.admin,
        license=lic,
        **license_kwargs(expires_on=date(2028, 1, 1)),
        status=CredentialStatus.ACTIVE,
        verified_on=date(2024, 5, 1),
    )
    with pytest.raises(ValidationFailed):
        services.license_end(actor=cast.admin, license=lic, status=CredentialStatus.ACTIVE)
    services.license_end(actor=cast.admin, license=lic, status=CredentialStatus.SUSPENDED)
    lic.refresh_from_db()
    assert lic.status == CredentialStatus.SUSPENDED
    assert lic.expires_on == date(2028, 1, 1)
    assert [a for a in actions() if a.startswith("practice.license")][start:] == [
        "practice.license.created",
        "practice.license.created",
        "practice.license.updated",
        "practice.license.ended",
    ]


# --- Compact privileges ---------------------------------------------------------------


def privilege_kwargs(compact: Compact, **overrides: Any) -> dict[str, Any]:
    values = {
        "compact": compact,
        "home_state": "IL",
        "privilege_states": ["KS", "FL"],
        "valid_from": date(2023, 1, 1),
        "valid_until": date(2027, 1, 1),
    }
    values.update(overrides)
    return values


def test_a_valid_privilege_is_saved(cast, clinician, il_license, psypact):
    priv = services.privilege_create(
        actor=cast.admin, clinician=clinician, **privilege_kwargs(psypact)
    )
    assert priv.privilege_states == ["FL", "KS"]
    assert actions()[-1] == "practice.compact_privilege.created"


PRIVILEGE_ERRORS = [
    # Florida had left by mid-2025.
    ({"valid_from": date(2025, 7, 1)}, ("privilege_states", "Not members of PSYPACT")),
    ({"privilege_states": ["KS", "MO"]}, ("privilege_states", "Missouri")),
    ({"privilege_states": []}, ("privilege_states", "at least one state")),
    ({"privilege_states": ["KS", "ZZ"]}, ("privilege_states", "ZZ")),
    ({"privilege_states": ["IL", "KS"]}, ("privilege_states", "Leave out the home state")),
    ({"home_state": "MO", "privilege_states": ["KS"]}, ("home_state", "not a member")),
    # Kansas is a member, but the clinician holds no Kansas license.
    ({"home_state": "KS", "privilege_states": ["IL"]}, ("home_state", "active license")),
    ({"valid_from": date(2019, 6, 1)}, ("home_state", "active license")),
    ({"valid_until": date(2022, 1, 1)}, ("valid_until", "after the valid from date")),
]


@pytest.fixture
def licensed_in_illinois(clinician, il_license, psypact):
    return clinician, psypact


@pytest.mark.parametrize(("overrides", "expected"), PRIVILEGE_ERRORS)
def test_privilege_rules(cast, licensed_in_illinois, overrides, expected):
    clinician, psypact = licensed_in_illinois
    field, message = expected
    with pytest.raises(ValidationFailed) as exc:
        services.privilege_create(
            actor=cast.admin, clinician=clinician, **privilege_kwargs(psypact, **overrides)
        )
    assert message in " ".join(exc.value.errors[field])
    assert CompactPrivilege.objects.filter(clinician=clinician).count() == 0


def test_a_suspended_home_license_does_not_back_a_privilege(cast, clinician, il_license, psypact):
    services.license_end(actor=cast.admin, license=il_license, status=CredentialStatus.SUSPENDED)
    with pytest.raises(ValidationFailed) as exc:
        services.privilege_create(
            actor=cast.admin, clinician=clinician, **privilege_kwargs(psypact)
        )
    assert "active license" in exc.value.errors["home_state"][0]


def test_privilege_update_and_end(cast, clinician, il_license, psypact):
    priv = services.privilege_create(
        actor=cast.admin, clinician=clinician, **privilege_kwargs(psypact, valid_until=None)
    )
    services.privilege_update(
        actor=cast.admin,
        privilege=priv,
        **privilege_kwargs(psypact, privilege_states=["KS"], valid_until=None),
        identifier="E.Passport 123",
        status=CredentialStatus.ACTIVE,
    )
    with pytest.raises(ValidationFailed) as exc:
        services.privilege_end(actor=cast.admin, privilege=priv, valid_until=date(2022, 1, 1))
    assert "valid_until" in exc.value.errors
    services.privilege_end(actor=cast.admin, privilege=priv, valid_until=date(2025, 1, 1))
    priv.refresh_from_db()
    assert priv.valid_until == date(2025, 1, 1)
    assert priv.privilege_states == ["KS"]
    assert [a for a in actions() if a.startswith("practice.compact_privilege")] == [
        "practice.compact_privilege.created",
        "practice.compact_privilege.updated",
        "practice.compact_privilege.ended",
    ]


def test_conflict_is_a_kindred_error():
    # Races past the checks become a Conflict naming the field (never a 500).
    assert issubclass(Conflict, Exception)


def test_a_privilege_can_be_marked_revoked_after_its_home_license_lapsed(
    cast, clinician, il_license, psypact
):
    priv = services.privilege_create(
        actor=cast.admin, clinician=clinician, **privilege_kwargs(psypact)
    )
    services.license_end(actor=cast.admin, license=il_license, status=CredentialStatus.EXPIRED)
    values = privilege_kwargs(psypact)
    with pytest.raises(ValidationFailed):  # it can no longer count...
        services.privilege_update(
            actor=cast.admin, privilege=priv, **values, identifier="", status="active"
        )
    services.privilege_update(  # ...but it can be recorded as revoked
        actor=cast.admin, privilege=priv, **values, identifier="", status="revoked"
    )
    priv.refresh_from_db()
    assert priv.status == "revoked"
