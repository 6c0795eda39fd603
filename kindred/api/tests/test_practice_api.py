"""API v1 for the practice: profile, locations, rooms, compacts, staff, clinicians,
licenses and privileges. Same rules as the pages; scopes; 400s that change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts import services as account_services
from kindred.accounts.models import RoleGrant, User
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

JSON = "application/json"


class Api:
    """A thin JSON client: a signed-in session or a bearer token."""

    def __init__(self, http: HttpClient, token: str | None = None):
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get(f"/api/v1/{url}", params or {}, headers=self.headers)

    def send(self, method: str, url: str, payload: Any = None, raw: str | None = None) -> Any:
        body = raw if raw is not None else payload if payload is not None else {}
        call = getattr(self.http, method)
        return call(f"/api/v1/{url}", body, content_type=JSON, headers=self.headers)

    def post(self, url: str, payload: Any = None, raw: str | None = None) -> Any:
        return self.send("post", url, payload, raw)

    def patch(self, url: str, payload: Any = None) -> Any:
        return self.send("patch", url, payload)

    def put(self, url: str, payload: Any = None) -> Any:
        return self.send("put", url, payload)


def session(user: User, *, reauthenticate: bool = False) -> Api:
    http = signed_in(user)
    if reauthenticate:
        assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return Api(http)


def token(user: User, *scopes: str) -> Api:
    raw, _token = api_token_create(actor=user, name="Integration", scopes=scopes)
    return Api(HttpClient(), raw)


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


@pytest.fixture
def setup(cast: Cast) -> dict[str, Any]:
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
    member = services.compact_member_state_add(
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
        expires_on=date(2031, 1, 1),
    )
    priv = services.privilege_create(
        actor=admin,
        clinician=clinician,
        compact=compact,
        home_state="IL",
        privilege_states=["KS"],
        valid_from=date(2021, 1, 1),
    )
    return {
        "location": location,
        "room": room,
        "compact": compact,
        "member": member,
        "clinician": clinician,
        "license": lic,
        "privilege": priv,
    }


# --- Practice profile -----------------------------------------------------------------

PROFILE = {
    "name": "Prairie Groups",
    "timezone": "America/Chicago",
    "states_served": ["KS", "IL"],
    "crisis_resources": "Call or text 988.",
    "staff_idle_minutes": 15,
    "member_idle_minutes": 30,
}


def test_practice_profile_get_and_put(cast):
    api = session(cast.admin)
    assert api.get("practice/").json()["name"] == "Test Practice"
    response = api.put("practice/", PROFILE)
    assert response.status_code == 200
    assert response.json()["states_served"] == ["IL", "KS"]
    assert Practice.objects.get().name == "Prairie Groups"
    assert AuditEvent.objects.filter(action="practice.practice.updated").exists()


def test_practice_profile_not_set_up_is_404_then_put_creates_it(cast):
    Practice.objects.all().delete()
    api = session(cast.admin)
    assert api.get("practice/").status_code == 404
    assert api.put("practice/", PROFILE).status_code == 200
    assert AuditEvent.objects.filter(action="practice.practice.created").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**PROFILE, "states_served": ["IL", "XX"]}, "states_served"),
        ({**PROFILE, "staff_idle_minutes": 0}, "staff_idle_minutes"),
        ({**PROFILE, "staff_idle_minutes": "soon"}, "staff_idle_minutes"),
        ({**PROFILE, "timezone": "Atlantis/Capital"}, "timezone"),
        ({**PROFILE, "name": ""}, "name"),
        ({**PROFILE, "contact_email": "nope"}, "contact_email"),
        ({"name": "Only a name"}, "timezone"),
    ],
)
def test_practice_profile_bad_payload_changes_nothing(cast, payload, field):
    before = snapshot()
    response = session(cast.admin).put("practice/", payload)
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


# --- Scopes and access ----------------------------------------------------------------

READS = [
    ("practice/", "practice"),
    ("locations/", "practice"),
    ("compacts/", "practice"),
    ("staff/", "clinicians"),
    ("clinicians/", "clinicians"),
]


@pytest.mark.parametrize(("url", "family"), READS)
def test_a_token_needs_the_scope(cast, setup, url, family):
    other = "clinicians" if family == "practice" else "practice"
    assert token(cast.admin, f"{family}:read").get(url).status_code == 200
    assert token(cast.admin, f"{other}:read", f"{other}:write").get(url).status_code == 403
    assert token(cast.admin, "clients:read").get(url).status_code == 403


def test_a_read_token_cannot_write(cast, setup):
    api = token(cast.admin, "practice:read", "clinicians:read")
    before = snapshot()
    assert api.put("practice/", PROFILE).status_code == 403
    assert api.post("locations/", {"name": "X"}).status_code == 403
    assert api.post(f"clinicians/{setup['clinician'].pk}/licenses/", {}).status_code == 403
    assert api.post("staff/", {}).status_code == 403
    assert snapshot() == before


def write_calls(setup: dict[str, Any], cast: Cast) -> list[tuple[str, str, dict[str, Any]]]:
    c = setup["clinician"].pk
    return [
        ("put", "practice/", PROFILE),
        ("post", "locations/", {"name": "New", "address_line1": "1 A St", "city": "Topeka",
                                "state": "KS", "postal_code": "66601",
                                "timezone": "America/Chicago"}),
        ("patch", f"locations/{setup['location'].pk}/", {"name": "Renamed"}),
        ("post", f"locations/{setup['location'].pk}/deactivate/", {}),
        ("post", f"locations/{setup['location'].pk}/rooms/", {"name": "Elm", "capacity": 4}),
        ("patch", f"rooms/{setup['room'].pk}/", {"name": "Ash"}),
        ("post", f"rooms/{setup['room'].pk}/deactivate/", {}),
        ("post", "compacts/", {"code": "ccc", "name": "Counseling Compact"}),
        ("patch", f"compacts/{setup['compact'].pk}/", {"name": "Renamed"}),
        ("post", f"compacts/{setup['compact'].pk}/member-states/",
         {"state": "MO", "effective_from": "2024-01-01"}),
        ("post", f"compact-member-states/{setup['member'].pk}/end/",
         {"effective_until": "2030-01-01"}),
        ("post", "staff/", {"email": "n@example.test", "full_name": "N", "roles": ["admin"]}),
        ("patch", f"staff/{cast.coordinator.pk}/", {"full_name": "X"}),
        ("put", f"staff/{cast.coordinator.pk}/roles/", {"roles": ["admin"]}),
        ("post", f"staff/{cast.coordinator.pk}/deactivate/", {"reason": "x"}),
        ("post", "clinicians/", {"user": cast.facilitator_b.pk}),
        ("patch", f"clinicians/{c}/", {"credentials": "Changed"}),
        ("post", f"clinicians/{c}/licenses/", {"state": "KS", "license_type": "LCPC", "number": "9",
                                               "issued_on": "2020-01-01",
                                               "expires_on": "2030-01-01"}),
        ("patch", f"licenses/{setup['license'].pk}/", {"number": "2"}),
        ("post", f"licenses/{setup['license'].pk}/end/", {"status": "revoked"}),
        ("post", f"clinicians/{c}/privileges/", {"compact": setup["compact"].pk,
                                                 "home_state": "IL", "privilege_states": ["KS"],
                                                 "valid_from": "2022-01-01"}),
        ("patch", f"privileges/{setup['privilege'].pk}/", {"identifier": "X"}),
        ("post", f"privileges/{setup['privilege'].pk}/end/", {"valid_until": "2024-01-01"}),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "supervisor", "billing", "member"])
def test_nobody_without_manage_capabilities_can_write(cast, setup, who):
    api = session(getattr(cast, who), reauthenticate=True)
    before = snapshot()
    for method, url, payload in write_calls(setup, cast):
        status = api.send(method, url, payload).status_code
        assert status in {403, 404}, (who, method, url, status)
    assert snapshot() == before


def test_a_coordinators_widest_token_still_cannot_write(cast, setup):
    api = token(cast.coordinator, "practice:read", "clinicians:read", "clients:write")
    before = snapshot()
    for method, url, payload in write_calls(setup, cast):
        assert api.send(method, url, payload).status_code == 403, url
    assert snapshot() == before


def test_members_and_strangers_find_nothing(cast, setup):
    member = session(cast.member)
    anonymous = Api(HttpClient())
    urls = [
        "practice/",
        "locations/",
        f"locations/{setup['location'].pk}/",
        "compacts/",
        "staff/",
        f"staff/{cast.admin.pk}/",
        "clinicians/",
        f"clinicians/{setup['clinician'].pk}/",
        f"licenses/{setup['license'].pk}/",
    ]
    for url in urls:
        assert member.get(url).status_code == 404, url
        assert anonymous.get(url).status_code in {401, 403}, url


def test_missing_objects_are_404(cast, setup):
    api = session(cast.admin)
    for url in [
        "locations/999999/",
        "rooms/999999/",
        "compacts/999999/",
        "staff/999999/",
        "clinicians/999999/",
        "licenses/999999/",
        "privileges/999999/",
        f"staff/{cast.member.pk}/",
    ]:  # a member is not a staff account
        assert api.get(url).status_code == 404, url  # fmt: skip


def test_readers_may_read_clinicians_and_practice_set_up(cast, setup):
    api = session(cast.facilitator)
    assert api.get("clinicians/").status_code == 200
    assert api.get(f"clinicians/{setup['clinician'].pk}/licenses/").status_code == 200
    assert api.get("locations/").status_code == 200
    assert api.get("staff/").status_code == 404  # staff accounts are the admin's


# --- Locations, rooms, compacts -------------------------------------------------------


def test_location_create_list_update(cast, setup):
    api = token(cast.admin, "practice:read", "practice:write")
    payload = {
        "name": "Topeka Office",
        "address_line1": "1 Example Ave",
        "city": "Topeka",
        "state": "KS",
        "postal_code": "66601",
        "timezone": "America/Chicago",
        "is_active": False,  # not an input: ignored
        "id": 12345,
    }
    response = api.post("locations/", payload)
    assert response.status_code == 201
    body = response.json()
    assert body["is_active"] is True
    assert body["id"] != 12345
    listing = api.get("locations/").json()
    assert listing["count"] == 2
    assert [loc["name"] for loc in listing["results"]] == ["Loop Office", "Topeka Office"]
    response = api.patch(f"locations/{body['id']}/", {"phone": "+1 785 555 0101"})
    assert response.status_code == 200
    assert response.json()["name"] == "Topeka Office"
    assert response.json()["phone"] == "+1 785 555 0101"
    response = api.post(f"locations/{body['id']}/deactivate/")
    assert response.json()["is_active"] is False
    assert api.get("locations/").json()["count"] == 1
    assert api.get("locations/", {"status": "all"}).json()["count"] == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "LOOP OFFICE"}, "name"),
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"state": "QQ"}, "state"),
        ({"timezone": "Nowhere"}, "timezone"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_location_bad_payload_changes_nothing(cast, setup, payload, field):
    base = {
        "name": "Topeka Office",
        "address_line1": "1 Example Ave",
        "city": "Topeka",
        "state": "KS",
        "postal_code": "66601",
        "timezone": "America/Chicago",
    }
    before = snapshot()
    response = session(cast.admin).post("locations/", {**base, **payload})
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    "raw",
    ["{not json", "[]", '"a string"', '{"name": ["a", "list"]}', '{"capacity": "many"}'],
)
def test_malformed_payloads_are_400_and_change_nothing(cast, setup, raw):
    api = session(cast.admin, reauthenticate=True)
    before = snapshot()
    for url in [
        "locations/",
        f"locations/{setup['location'].pk}/rooms/",
        "compacts/",
        "staff/",
        f"clinicians/{setup['clinician'].pk}/licenses/",
        f"clinicians/{setup['clinician'].pk}/privileges/",
    ]:
        response = api.post(url, raw=raw)
        assert response.status_code == 400, (url, raw, response.content)
    assert api.send("put", "practice/", raw=raw).status_code == 400
    assert snapshot() == before


def test_rooms_and_compacts(cast, setup):
    api = session(cast.admin)
    loc = setup["location"].pk
    assert api.post(f"locations/{loc}/rooms/", {"name": "OAK", "capacity": 3}).status_code == 400
    response = api.post(f"locations/{loc}/rooms/", {"name": "Elm", "capacity": 3})
    assert response.status_code == 201
    assert api.get(f"locations/{loc}/rooms/").json()["count"] == 2
    assert api.patch(f"rooms/{response.json()['id']}/", {"capacity": 900}).status_code == 400
    compact = setup["compact"].pk
    response = api.post(
        f"compacts/{compact}/member-states/", {"state": "KS", "effective_from": "2023-01-01"}
    )
    assert response.status_code == 400
    assert "Kansas is already a member" in response.json()["effective_from"][0]
    response = api.post(
        f"compact-member-states/{setup['member'].pk}/end/", {"effective_until": "2024-12-31"}
    )
    assert response.status_code == 200
    assert response.json()["effective_until"] == "2024-12-31"
    compacts = api.get("compacts/").json()["results"]
    assert {m["state"] for m in compacts[0]["member_states"]} == {"IL", "KS"}
    assert api.post("compacts/", {"code": "PSYPACT", "name": "Again"}).status_code == 400


# --- Staff ----------------------------------------------------------------------------


def test_staff_writes_from_a_session_need_recent_reauthentication(cast):
    api = session(cast.admin)
    response = api.post(
        "staff/", {"email": "n@example.test", "full_name": "Nia New", "roles": ["billing"]}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    assert not User.objects.filter(email="n@example.test").exists()


def test_staff_lifecycle_with_a_token(cast, django_capture_on_commit_callbacks):
    api = token(cast.admin, "clinicians:read", "clinicians:write")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "staff/",
            {"email": "Nia@Example.test", "full_name": "Nia New", "roles": ["facilitator"]},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "nia@example.test"
    assert body["roles"] == ["facilitator"]
    assert body["clinician"] is None
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    uid = body["id"]
    response = api.put(f"staff/{uid}/roles/", {"roles": ["facilitator", "supervisor"]})
    assert response.json()["roles"] == ["facilitator", "supervisor"]
    response = api.patch(f"staff/{uid}/", {"full_name": "Nia Newer"})
    assert response.json()["full_name"] == "Nia Newer"
    assert response.json()["email"] == "nia@example.test"
    assert api.post(f"staff/{uid}/deactivate/", {}).status_code == 400
    response = api.post(f"staff/{uid}/deactivate/", {"reason": "Left the practice"})
    assert response.json()["is_active"] is False
    assert api.get("staff/").json()["count"] == 6
    assert api.get("staff/", {"status": "inactive"}).json()["count"] == 1
    assert api.post(f"staff/{uid}/reactivate/").json()["is_active"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "admin@example.test", "full_name": "Dup", "roles": ["billing"]}, "email"),
        ({"email": "bad", "full_name": "Bad", "roles": ["billing"]}, "email"),
        ({"email": "ok@example.test", "full_name": "No Roles", "roles": []}, "roles"),
        ({"email": "ok@example.test", "full_name": "Boss", "roles": ["overlord"]}, "roles"),
    ],
)
def test_staff_bad_payload_changes_nothing(cast, payload, field):
    api = token(cast.admin, "clinicians:write")
    before = snapshot()
    response = api.post("staff/", payload)
    assert response.status_code in {400, 409}
    assert field in response.json() or response.json().get("code") == "conflict"
    assert snapshot() == before
    assert len(mail.outbox) == 0


def test_the_last_admin_stays_an_admin(cast):
    api = token(cast.admin, "clinicians:write")
    response = api.put(f"staff/{cast.admin.pk}/roles/", {"roles": ["coordinator"]})
    assert response.status_code == 409
    assert "last admin" in response.json()["detail"]
    assert Role.ADMIN in User.objects.get(pk=cast.admin.pk).roles


# --- Clinicians, licenses, privileges -------------------------------------------------


def test_clinician_create_and_update(cast, setup):
    api = session(cast.admin)
    user = newcomer()
    response = api.post("clinicians/", {"user": user.pk, "npi": "1234567890"})
    assert response.status_code == 400
    assert "check digit" in response.json()["npi"][0]
    response = api.post("clinicians/", {"user": cast.member.pk})
    assert response.status_code == 400
    assert "user" in response.json()
    response = api.post("clinicians/", {"user": user.pk, "supervisor": setup["clinician"].pk})
    assert response.status_code == 201
    new = response.json()["id"]
    assert response.json()["supervisor"] == setup["clinician"].pk
    response = api.patch(f"clinicians/{new}/", {"pronouns": "they/them"})
    assert response.json()["supervisor"] == setup["clinician"].pk  # kept
    assert response.json()["pronouns"] == "they/them"
    response = api.patch(f"clinicians/{new}/", {"supervisor": None})
    assert response.json()["supervisor"] is None
    response = api.patch(f"clinicians/{new}/", {"supervisor": 999999})
    assert response.status_code == 400
    assert "supervisor" in response.json()


LICENSE = {
    "state": "KS",
    "license_type": "LCPC",
    "number": "KS-1",
    "issued_on": "2022-01-01",
    "expires_on": "2026-01-01",
}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**LICENSE, "expires_on": "2021-01-01"}, "expires_on"),
        ({**LICENSE, "state": "ZZ"}, "state"),
        ({**LICENSE, "state": "IL", "number": "180-000001"}, "number"),
        ({**LICENSE, "issued_on": "yesterday"}, "issued_on"),
        ({**LICENSE, "status": "lost"}, "status"),
        ({k: v for k, v in LICENSE.items() if k != "number"}, "number"),
    ],
)
def test_license_bad_payload_changes_nothing(cast, setup, payload, field):
    api = token(cast.admin, "clinicians:write")
    before = snapshot()
    response = api.post(f"clinicians/{setup['clinician'].pk}/licenses/", payload)
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


def test_license_lifecycle(cast, setup):
    api = token(cast.admin, "clinicians:read", "clinicians:write")
    c = setup["clinician"].pk
    response = api.post(f"clinicians/{c}/licenses/", LICENSE)
    assert response.status_code == 201
    lid = response.json()["id"]
    response = api.patch(f"licenses/{lid}/", {"expires_on": "2028-01-01"})
    assert response.status_code == 200
    assert response.json()["status"] == "active"  # a PATCH keeps what it does not name
    assert response.json()["number"] == "KS-1"
    assert api.patch(f"licenses/{lid}/", {"issued_on": "2029-01-01"}).status_code == 400
    assert api.post(f"licenses/{lid}/end/", {"status": "active"}).status_code == 400
    assert api.post(f"licenses/{lid}/end/", {"status": "suspended"}).json()["status"] == (
        "suspended"
    )
    assert api.get(f"clinicians/{c}/licenses/").json()["count"] == 2


def test_privilege_rules_and_lifecycle(cast, setup):
    api = token(cast.admin, "clinicians:read", "clinicians:write")
    c = setup["clinician"].pk
    base = {
        "compact": setup["compact"].pk,
        "home_state": "IL",
        "privilege_states": ["KS", "MO"],
        "valid_from": "2022-01-01",
    }
    response = api.post(f"clinicians/{c}/privileges/", base)
    assert response.status_code == 400
    assert "Missouri" in response.json()["privilege_states"][0]
    response = api.post(f"clinicians/{c}/privileges/", {**base, "compact": 999999})
    assert response.status_code == 400
    assert "compact" in response.json()
    response = api.post(f"clinicians/{c}/privileges/", {**base, "home_state": "KS",
                                                         "privilege_states": ["IL"]})  # fmt: skip
    assert "active license" in response.json()["home_state"][0]
    assert CompactPrivilege.objects.filter(clinician=setup["clinician"]).count() == 1
    pid = setup["privilege"].pk
    response = api.patch(f"privileges/{pid}/", {"identifier": "E.P. 42"})
    assert response.status_code == 200
    assert response.json()["privilege_states"] == ["KS"]
    response = api.post(f"privileges/{pid}/end/", {"valid_until": "2020-01-01"})
    assert response.status_code == 400
    response = api.post(f"privileges/{pid}/end/", {"valid_until": "2025-01-01"})
    assert response.json()["valid_until"] == "2025-01-01"


def test_licensure_check_endpoint(cast, setup):
    api = token(cast.coordinator, "clinicians:read")
    url = f"clinicians/{setup['clinician'].pk}/licensure/"
    body = api.get(url, {"state": "KS", "on": "2025-03-01"}).json()
    assert body["allowed"] is True
    assert body["reason"] == "privilege"
    assert body["findings"][0]["privilege"] == setup["privilege"].pk
    assert body["findings"][0]["license"] == setup["license"].pk
    body = api.get(url, {"state": "IL", "on": "2031-06-01"}).json()
    assert body["allowed"] is False
    assert body["reason"] == "license_expired"
    assert body["message"] == "The LCPC license 180-000001 in Illinois expired on Jan. 1, 2031."
    assert api.get(url, {"state": "KS"}).status_code == 400


# --- Query counts ---------------------------------------------------------------------


def _add_clinicians(n: int, start: int) -> None:
    for i in range(start, start + n):
        user = account_services.staff_create(
            actor=None,
            email=f"c{i}@example.test",
            full_name=f"Clinician {i:02d}",
            roles=[Role.FACILITATOR, Role.SUPERVISOR],
        )
        clinician = services.clinician_create(actor=None, user=user)
        services.license_create(
            actor=None,
            clinician=clinician,
            state="IL",
            license_type="LCPC",
            number=f"Q-{i}",
            issued_on=date(2020, 1, 1),
            expires_on=timezone.localdate() + timedelta(days=400),
        )


@pytest.mark.parametrize("url", ["clinicians/", "staff/"])
def test_list_query_counts_are_constant(cast, setup, django_assert_max_num_queries, url):
    api = token(cast.admin, "clinicians:read")
    _add_clinicians(2, 0)
    with django_assert_max_num_queries(10) as small:
        assert api.get(url).status_code == 200
    _add_clinicians(22, 2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.get(url)
    assert response.json()["count"] >= 24
    assert len(response.json()["results"]) >= 24


def test_a_recently_reauthenticated_session_may_change_staff(cast):
    api = session(cast.admin, reauthenticate=True)
    response = api.put(f"staff/{cast.billing.pk}/roles/", {"roles": ["billing", "coordinator"]})
    assert response.status_code == 200
    assert response.json()["roles"] == ["coordinator", "billing"]
