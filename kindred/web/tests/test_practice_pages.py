"""Practice administration pages: the practice profile, locations and rooms, compacts,
staff, clinicians, licenses and privileges. Access, bad input, audit and query counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient

from kindred.accounts import services as account_services
from kindred.accounts.models import ApiToken, RoleGrant, User
from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import PASSWORD, Cast, blank_clinician, newcomer, signed_in
from kindred.practice import services
from kindred.practice.models import (
    ClinicianProfile,
    Compact,
    CompactMemberState,
    CompactPrivilege,
    License,
    Location,
    Practice,
    Room,
)
from kindred.practice.roles import Role
from kindred.practice.settings import practice_today


def reauthenticated(user: User) -> HttpClient:
    """Signed in, and the password given again just now (for sensitive staff changes)."""
    http = signed_in(user)
    response = http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    return http


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@dataclass
class World:
    location: Location
    room: Room
    compact: Compact
    member_state: CompactMemberState
    clinician: ClinicianProfile
    license: License
    privilege: CompactPrivilege


@pytest.fixture
def world(cast: Cast) -> World:
    admin = cast.admin
    location = services.location_create(
        actor=admin,
        name="Loop Office",
        address_line1="100 Example St",
        city="Chicago",
        state="IL",
        postal_code="60601",
        timezone="America/Chicago",
    )
    room = services.room_create(actor=admin, location=location, name="Oak", capacity=10)
    compact = services.compact_create(actor=admin, code="psypact", name="PSYPACT")
    member_state = services.compact_member_state_add(
        actor=admin, compact=compact, state="IL", effective_from=date(2020, 1, 1)
    )
    services.compact_member_state_add(
        actor=admin, compact=compact, state="KS", effective_from=date(2020, 1, 1)
    )
    # The cast's facilitator is already a clinician (they lead group A); start clean.
    clinician = blank_clinician(cast, npi="1234567893")
    lic = services.license_create(
        actor=admin,
        clinician=clinician,
        state="IL",
        license_type="LCPC",
        number="180-000001",
        issued_on=date(2020, 1, 1),
        expires_on=practice_today() + timedelta(days=20),
    )
    privilege = services.privilege_create(
        actor=admin,
        clinician=clinician,
        compact=compact,
        home_state="IL",
        privilege_states=["KS"],
        valid_from=date(2021, 1, 1),
    )
    return World(location, room, compact, member_state, clinician, lic, privilege)


def read_urls(w: World, cast: Cast) -> dict[str, list[str]]:
    """Pages by who may read them."""
    return {
        "practice": [
            "/practice/",
            "/practice/locations/",
            f"/practice/locations/{w.location.pk}/",
            "/practice/compacts/",
            f"/practice/compacts/{w.compact.pk}/",
        ],
        "clinicians": [
            "/clinicians/",
            "/clinicians/me/",
            f"/clinicians/{w.clinician.pk}/",
        ],
        "staff": ["/staff/", f"/staff/{cast.coordinator.pk}/"],
    }


def write_urls(w: World, cast: Cast) -> list[tuple[str, dict[str, Any]]]:
    """Every form that changes something, with a valid payload."""
    return [
        ("/practice/", {"name": "Hijacked", "timezone": "America/Chicago",
                        "crisis_resources": "x", "staff_idle_minutes": 15,
                        "member_idle_minutes": 30}),
        ("/practice/locations/new/", {"name": "New", "address_line1": "1 A St",
                                      "city": "Topeka", "state": "KS", "postal_code": "66601",
                                      "timezone": "America/Chicago"}),
        (f"/practice/locations/{w.location.pk}/edit/", {"name": "Renamed",
                                                        "address_line1": "1 A St",
                                                        "city": "Chicago", "state": "IL",
                                                        "postal_code": "60601",
                                                        "timezone": "America/Chicago"}),
        (f"/practice/locations/{w.location.pk}/deactivate/", {}),
        (f"/practice/locations/{w.location.pk}/rooms/new/", {"name": "Elm", "capacity": 5}),
        (f"/practice/rooms/{w.room.pk}/edit/", {"name": "Ash", "capacity": 5}),
        (f"/practice/rooms/{w.room.pk}/deactivate/", {}),
        ("/practice/compacts/new/", {"code": "ccc", "name": "Counseling Compact"}),
        (f"/practice/compacts/{w.compact.pk}/edit/", {"code": "x", "name": "Renamed"}),
        (f"/practice/compacts/{w.compact.pk}/states/new/", {"state": "MO",
                                                            "effective_from": "2024-01-01"}),
        (f"/practice/compact-states/{w.member_state.pk}/end/", {"effective_until": "2030-01-01"}),
        ("/staff/new/", {"full_name": "New Person", "email": "new@example.test",
                         "roles": ["admin"]}),
        (f"/staff/{cast.coordinator.pk}/edit/", {"full_name": "X", "email": "x@example.test"}),
        (f"/staff/{cast.coordinator.pk}/roles/", {"roles": ["admin"]}),
        (f"/staff/{cast.coordinator.pk}/deactivate/", {"reason": "Testing"}),
        (f"/staff/{cast.coordinator.pk}/send-link/", {}),
        ("/clinicians/new/", {"user": cast.facilitator_b.pk}),
        (f"/clinicians/{w.clinician.pk}/edit/", {"credentials": "Changed"}),
        (f"/clinicians/{w.clinician.pk}/licenses/new/", {"state": "KS", "license_type": "LCPC",
                                                        "number": "9", "issued_on": "2020-01-01",
                                                        "expires_on": "2030-01-01",
                                                        "status": "active"}),
        (f"/clinicians/licenses/{w.license.pk}/edit/", {"state": "IL", "license_type": "LCPC",
                                                       "number": "2", "issued_on": "2020-01-01",
                                                       "expires_on": "2030-01-01",
                                                       "status": "active"}),
        (f"/clinicians/licenses/{w.license.pk}/end/", {"status": "revoked"}),
        (f"/clinicians/{w.clinician.pk}/privileges/new/", {"compact": w.compact.pk,
                                                          "home_state": "IL",
                                                          "privilege_states": ["KS"],
                                                          "valid_from": "2022-01-01",
                                                          "status": "active"}),
        (f"/clinicians/privileges/{w.privilege.pk}/edit/", {"compact": w.compact.pk,
                                                           "home_state": "IL",
                                                           "privilege_states": ["KS"],
                                                           "valid_from": "2022-01-01",
                                                           "status": "active"}),
        (f"/clinicians/privileges/{w.privilege.pk}/end/", {"valid_until": "2024-01-01"}),
    ]  # fmt: skip


def snapshot() -> dict[str, Any]:
    return {
        "changes": AuditEvent.objects.filter(category=Category.CHANGE).count(),
        "practice": list(Practice.objects.values()),
        "locations": list(Location.objects.values()),
        "rooms": list(Room.objects.values()),
        "compacts": list(Compact.objects.values()),
        "members": list(CompactMemberState.objects.values()),
        "clinicians": list(ClinicianProfile.objects.values()),
        "licenses": list(License.objects.values()),
        "privileges": list(CompactPrivilege.objects.values()),
        "users": list(User.objects.values("id", "email", "full_name", "is_active")),
        "roles": sorted(RoleGrant.objects.values_list("user_id", "role")),
    }


# --- Access ---------------------------------------------------------------------------

READERS = {
    # who: the groups of pages they read
    "admin": {"practice", "clinicians", "staff"},
    "coordinator": {"practice", "clinicians"},
    "facilitator": {"practice", "clinicians"},
    "supervisor": {"practice", "clinicians"},
    "billing": {"practice", "clinicians"},
    "member": set(),
}


@pytest.mark.parametrize("who", list(READERS))
def test_who_reads_what(cast, world, who):
    http = signed_in(getattr(cast, who))
    for group, urls in read_urls(world, cast).items():
        for url in urls:
            status = http.get(url).status_code
            assert status == (200 if group in READERS[who] else 404), (who, url, status)


def test_anonymous_is_sent_to_sign_in(cast, world):
    http = HttpClient()
    for urls in read_urls(world, cast).values():
        for url in urls:
            response = http.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
    for url, data in write_urls(world, cast):
        response = http.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "supervisor", "billing", "member"])
def test_nobody_without_manage_capabilities_can_post_anything(cast, world, who):
    http = reauthenticated(getattr(cast, who)) if who != "member" else signed_in(cast.member)
    before = snapshot()
    for url, data in write_urls(world, cast):
        status = http.post(url, data).status_code
        assert status in {403, 404}, (who, url, status)
    assert snapshot() == before


def test_readers_see_no_edit_controls(cast, world):
    body = text(signed_in(cast.facilitator).get(f"/clinicians/{world.clinician.pk}/"))
    assert "Add a license" not in body
    assert "/edit/" not in body
    body = text(signed_in(cast.coordinator).get(f"/practice/locations/{world.location.pk}/"))
    assert "Take out of use" not in body


def test_someone_elses_missing_object_is_404_and_audited(cast, world):
    http = signed_in(cast.member)
    assert http.get(f"/clinicians/{world.clinician.pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        category=Category.DENIED, actor=cast.member, action="practice.clinicianprofile.denied"
    ).exists()
    assert signed_in(cast.admin).get("/clinicians/999999/").status_code == 404


# --- Practice profile -----------------------------------------------------------------


def profile_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Prairie Groups",
        "timezone": "America/Chicago",
        "states_served": ["IL", "KS", "FL"],
        "crisis_resources": "Call or text 988, any time.",
        "contact_email": "hello@example.test",
        "contact_phone": "+1 312 555 0100",
        "staff_idle_minutes": "15",
        "member_idle_minutes": "30",
    }
    data.update(overrides)
    return data


def test_admin_sets_up_the_practice_the_first_time(cast, django_capture_on_commit_callbacks):
    Practice.objects.all().delete()
    http = signed_in(cast.admin)
    body = text(http.get("/practice/"))
    assert "Your practice is not set up yet." in body
    assert 'type="checkbox" name="states_served" value="KS"' in body
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post("/practice/", profile_data())
    assert response.status_code == 302
    practice = Practice.objects.get()
    assert practice.states_served == ["FL", "IL", "KS"]
    # The header shows the new name at once: the cached settings were forgotten.
    assert "Prairie Groups" in text(http.get("/practice/"))
    assert AuditEvent.objects.filter(action="practice.practice.created").count() == 1


def test_profile_bad_input_is_shown_beside_the_field(cast):
    http = signed_in(cast.admin)
    response = http.post("/practice/", profile_data(staff_idle_minutes="0", contact_phone="x"))
    assert response.status_code == 200
    body = text(response)
    assert 'id="id_staff_idle_minutes_error"' in body
    assert "Enter a whole number from 1 to 720." in body
    assert 'id="id_contact_phone_error"' in body
    assert Practice.objects.get().name == "Test Practice"


def test_readers_see_the_profile_without_a_form(cast):
    body = text(signed_in(cast.facilitator).get("/practice/"))
    assert "Test Practice" in body
    assert '<form method="post" class="form"' not in body


# --- Locations, rooms -----------------------------------------------------------------


def test_location_create_and_duplicate_name(cast, world):
    http = signed_in(cast.admin)
    data = {
        "name": "loop office",
        "address_line1": "1 Example Rd",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60601",
        "timezone": "America/Chicago",
        "directions": "  Side door.\n",
    }
    response = http.post("/practice/locations/new/", data)
    assert response.status_code == 200
    assert "There is already a location called" in text(response)
    assert Location.objects.count() == 1
    data["name"] = "Topeka Office"
    response = http.post("/practice/locations/new/", data)
    assert response.status_code == 302
    created = Location.objects.get(name="Topeka Office")
    assert created.directions == "  Side door.\n"  # stored as typed
    assert response["Location"] == f"/practice/locations/{created.pk}/"


def test_room_lifecycle(cast, world):
    http = signed_in(cast.admin)
    url = f"/practice/locations/{world.location.pk}/rooms/new/"
    response = http.post(url, {"name": "OAK", "capacity": "4"})
    assert "already has a room" in text(response)
    response = http.post(url, {"name": "Elm", "capacity": "501"})
    assert "Enter a whole number from 1 to 500." in text(response)
    assert http.post(url, {"name": "Elm", "capacity": "6"}).status_code == 302
    http.post(f"/practice/rooms/{world.room.pk}/deactivate/")
    world.room.refresh_from_db()
    assert not world.room.is_active
    body = text(http.get(f"/practice/locations/{world.location.pk}/"))
    assert "Not in use" in body
    assert "Put back in use" in body


def test_empty_location_list_says_what_to_do(cast):
    body = text(signed_in(cast.admin).get("/practice/locations/"))
    assert "No locations yet." in body
    assert "Add a location" in body


# --- Compacts -------------------------------------------------------------------------


def test_compact_member_states_are_added_and_ended(cast, world):
    http = signed_in(cast.admin)
    url = f"/practice/compacts/{world.compact.pk}/states/new/"
    response = http.post(url, {"state": "KS", "effective_from": "2024-01-01"})
    assert "Kansas is already a member from" in text(response)
    response = http.post(url, {"state": "MO", "effective_from": "2024-01-01"})
    assert response.status_code == 302
    end = f"/practice/compact-states/{world.member_state.pk}/end/"
    response = http.post(end, {"effective_until": "2019-01-01"})
    assert "This must be after the member from date" in text(response)
    assert http.post(end, {"effective_until": "2024-12-31"}).status_code == 302
    body = text(http.get(f"/practice/compacts/{world.compact.pk}/"))
    assert "Membership ended" in body
    assert "Member now" in body
    assert AuditEvent.objects.filter(action="practice.compact_member_state.ended").count() == 1


# --- Staff ----------------------------------------------------------------------------


def test_staff_changes_need_recent_reauthentication(cast):
    http = signed_in(cast.admin)
    response = http.get("/staff/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = http.post(
        f"/staff/{cast.coordinator.pk}/roles/", {"roles": ["admin", "coordinator"]}
    )
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert Role.ADMIN not in User.objects.get(pk=cast.coordinator.pk).roles
    # After giving the password again, the suspended change goes through.
    response = http.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert Role.ADMIN in User.objects.get(pk=cast.coordinator.pk).roles


def test_a_new_staff_member_gets_a_link_to_choose_a_password(
    cast, django_capture_on_commit_callbacks
):
    http = reauthenticated(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(
            "/staff/new/",
            {"full_name": "Nia New", "email": "Nia@Example.test", "roles": ["facilitator"]},
        )
    assert response.status_code == 302
    user = User.objects.get(email="nia@example.test")
    assert user.roles == frozenset({Role.FACILITATOR})
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nia@example.test"]
    assert "Test Practice" in message.subject
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", str(message.body))
    assert link is not None
    # The link opens allauth's set-password page (the key moves out of the URL).
    path = link.group(0).split("8000", 1)[1] if "8000" in link.group(0) else link.group(0)
    anonymous = HttpClient()
    response = anonymous.get(path, follow=True)
    assert response.status_code == 200
    response = anonymous.post(
        response.redirect_chain[-1][0],
        {
            "password1": "a long new passphrase for nia",
            "password2": "a long new passphrase for nia",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.has_usable_password()
    actions = list(
        AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True)
    )
    assert "accounts.user.created" in actions
    assert "accounts.user.invited" in actions


def test_staff_create_bad_input(cast):
    http = reauthenticated(cast.admin)
    response = http.post(
        "/staff/new/",
        {"full_name": "Dup", "email": "coordinator@example.test", "roles": ["billing"]},
    )
    assert "An account with this email address already exists." in text(response)
    response = http.post("/staff/new/", {"full_name": "No Role", "email": "nr@example.test"})
    assert "Choose at least one role." in text(response)
    assert not User.objects.filter(email__in=["nr@example.test"]).exists()
    assert len(mail.outbox) == 0


def test_last_admin_is_protected(cast):
    http = reauthenticated(cast.admin)
    response = http.post(f"/staff/{cast.admin.pk}/roles/", {"roles": ["coordinator"]})
    assert response.status_code == 200
    assert "This is the last admin." in text(response)
    assert Role.ADMIN in User.objects.get(pk=cast.admin.pk).roles


def test_deactivate_with_reason_ends_sessions_and_tokens(cast):
    victim = signed_in(cast.coordinator)
    assert victim.get("/clinicians/").status_code == 200
    _raw, token = api_token_create(actor=cast.coordinator, name="Sync", scopes=["clients:read"])
    http = reauthenticated(cast.admin)
    response = http.post(f"/staff/{cast.coordinator.pk}/deactivate/", {"reason": ""})
    assert 'id="id_reason_error"' in text(response)
    response = http.post(f"/staff/{cast.coordinator.pk}/deactivate/", {"reason": "Left"})
    assert response.status_code == 302
    assert victim.get("/clinicians/").status_code == 302  # signed out
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    event = AuditEvent.objects.get(action="accounts.user.deactivated")
    assert event.detail == {"reason": "Left"}
    body = text(http.get("/staff/?status=inactive"))
    assert "Cora Coordinator" in body
    assert "Cora Coordinator" not in text(http.get("/staff/"))
    assert http.post(f"/staff/{cast.coordinator.pk}/reactivate/").status_code == 302
    assert User.objects.get(pk=cast.coordinator.pk).is_active


def test_edit_name_and_email(cast):
    http = reauthenticated(cast.admin)
    url = f"/staff/{cast.billing.pk}/edit/"
    response = http.post(url, {"full_name": "Bill B", "email": "not an email"})
    assert 'id="id_email_error"' in text(response)
    assert http.post(url, {"full_name": "Bill B", "email": "bill@example.test"}).status_code == 302
    assert User.objects.get(pk=cast.billing.pk).email == "bill@example.test"


# --- Clinicians, licenses, privileges -------------------------------------------------


def test_make_a_clinician_with_npi_check(cast, world):
    user = newcomer()
    http = signed_in(cast.admin)
    body = text(http.get("/clinicians/new/"))
    assert "Nell Newcomer" in body
    assert "Fern Facilitator (facilitator@example.test)" not in body  # already a clinician
    response = http.post("/clinicians/new/", {"user": user.pk, "npi": "1234567890"})
    assert "check digit does not match" in text(response)
    assert not ClinicianProfile.objects.filter(user=user).exists()
    response = http.post(
        "/clinicians/new/",
        {"user": user.pk, "npi": "", "supervisor": world.clinician.pk},
    )
    assert response.status_code == 302
    assert ClinicianProfile.objects.get(user=user).supervisor == world.clinician


def test_license_form_offers_suggestions_and_explains_errors(cast, world):
    http = signed_in(cast.admin)
    url = f"/clinicians/{world.clinician.pk}/licenses/new/"
    body = text(http.get(url))
    assert 'list="license-type-suggestions"' in body
    assert '<option value="LCSW"></option>' in body
    data = {
        "state": "KS",
        "license_type": "LCPC",
        "number": "KS-1",
        "issued_on": "2024-05-01",
        "expires_on": "2024-01-01",
        "status": "active",
    }
    response = http.post(url, data)
    assert 'id="id_expires_on_error"' in text(response)
    assert "This must be after the issue date" in text(response)
    response = http.post(url, {**data, "expires_on": "2026-01-01", "state": "XX"})
    assert 'id="id_state_error"' in text(response)
    response = http.post(
        url, {**data, "expires_on": "2026-01-01", "state": "IL", "number": "180-000001"}
    )
    assert "is already recorded" in text(response)
    assert License.objects.filter(clinician=world.clinician).count() == 1


def test_clinician_page_shows_standing_in_words(cast, world):
    body = text(signed_in(cast.coordinator).get(f"/clinicians/{world.clinician.pk}/"))
    assert '<span class="badge badge-warn">Expires in 20 days</span>' in body
    services.license_update(
        actor=cast.admin,
        license=world.license,
        state="IL",
        license_type="LCPC",
        number="180-000001",
        issued_on=date(2020, 1, 1),
        expires_on=date(2021, 1, 1),
        status="active",
        verified_on=None,
    )
    body = text(signed_in(cast.coordinator).get(f"/clinicians/{world.clinician.pk}/"))
    assert '<span class="badge badge-danger">Expired</span>' in body


def test_licensure_check_on_the_clinician_page(cast, world):
    http = signed_in(cast.coordinator)
    url = f"/clinicians/{world.clinician.pk}/"
    body = text(http.get(url, {"state": "KS", "on": practice_today().isoformat()}))
    assert "<strong>Yes.</strong> Compact privilege under PSYPACT for Kansas" in body
    body = text(http.get(url, {"state": "TX", "on": practice_today().isoformat()}))
    assert "<strong>No.</strong> No license or compact privilege for Texas." in body


def test_privilege_rules_are_shown_beside_fields(cast, world):
    http = signed_in(cast.admin)
    url = f"/clinicians/{world.clinician.pk}/privileges/new/"
    data = {
        "compact": world.compact.pk,
        "home_state": "IL",
        "privilege_states": ["KS", "MO"],
        "valid_from": "2024-01-01",
        "status": "active",
    }
    response = http.post(url, data)
    assert 'id="id_privilege_states_error"' in text(response)
    assert "Not members of PSYPACT" in text(response)
    response = http.post(url, {**data, "privilege_states": ["KS"], "valid_until": "2023-01-01"})
    assert 'id="id_valid_until_error"' in text(response)
    assert CompactPrivilege.objects.filter(clinician=world.clinician).count() == 1


def test_clinician_self_page(cast, world):
    body = text(signed_in(cast.facilitator).get("/clinicians/me/"))
    assert "My clinician profile" in body
    assert "180-000001" in body
    assert "Edit profile" not in body
    body = text(signed_in(newcomer()).get("/clinicians/me/"))
    assert "You do not have a clinician profile yet." in body
    assert signed_in(cast.member).get("/clinicians/me/").status_code == 404


# --- Query counts ---------------------------------------------------------------------


def _many_clinicians(cast: Cast, n: int) -> None:
    compact = services.compact_create(actor=None, code="cc", name="Counseling Compact")
    services.compact_member_state_add(
        actor=None, compact=compact, state="IL", effective_from=date(2020, 1, 1)
    )
    services.compact_member_state_add(
        actor=None, compact=compact, state="KS", effective_from=date(2020, 1, 1)
    )
    for i in range(n):
        user = account_services.staff_create(
            actor=None,
            email=f"clinician{i}@example.test",
            full_name=f"Clinician {i:02d}",
            roles=[Role.FACILITATOR],
        )
        clinician = services.clinician_create(actor=None, user=user)
        services.license_create(
            actor=None,
            clinician=clinician,
            state="IL",
            license_type="LCPC",
            number=f"N-{i}",
            issued_on=date(2020, 1, 1),
            expires_on=date(2031, 1, 1),
        )
        services.privilege_create(
            actor=None,
            clinician=clinician,
            compact=compact,
            home_state="IL",
            privilege_states=["KS"],
            valid_from=date(2021, 1, 1),
        )


def test_clinician_list_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.admin)
    _many_clinicians(cast, 2)
    http.get("/clinicians/")  # warm the session and settings caches
    with django_assert_max_num_queries(12) as small:
        assert http.get("/clinicians/").status_code == 200
    _many_clinicians_more = 23
    for i in range(_many_clinicians_more):
        user = account_services.staff_create(
            actor=None, email=f"more{i}@example.test", full_name=f"More {i}", roles=[Role.BILLING]
        )
        clinician = services.clinician_create(actor=None, user=user)
        services.license_create(
            actor=None,
            clinician=clinician,
            state="KS",
            license_type="LCSW",
            number=f"M-{i}",
            issued_on=date(2020, 1, 1),
            expires_on=date(2031, 1, 1),
        )
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = http.get("/clinicians/")
    assert ClinicianProfile.objects.count() >= 25
    assert response.content.decode().count("/clinicians/") >= 25
    assert len(large.captured_queries) == len(small.captured_queries)


def test_staff_list_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.admin)
    http.get("/staff/")
    with django_assert_max_num_queries(12) as small:
        assert http.get("/staff/").status_code == 200
    for i in range(20):
        user = account_services.staff_create(
            actor=None,
            email=f"staff{i}@example.test",
            full_name=f"Staff {i:02d}",
            roles=[Role.COORDINATOR, Role.BILLING],
        )
        if i % 2:
            services.clinician_create(actor=None, user=user)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = http.get("/staff/")
    assert User.objects.filter(kind="staff").count() >= 26
    assert "Staff 19" in response.content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)


def test_read_pages_refuse_other_methods(cast, world):
    http = signed_in(cast.admin)
    for urls in read_urls(world, cast).values():
        for url in urls:
            if url == "/practice/":
                continue  # the profile page is also its form
            assert http.post(url, {}).status_code == 405, url
            assert http.head(url).status_code == 200, url
