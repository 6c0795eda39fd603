"""API: /api/v1/clients/ (+ availability, invitations), /api/v1/concerns/, /api/v1/me/client/."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.clients.models import (
    AvailabilityWindow,
    Client,
    ClientStatus,
    ConcernTag,
    PortalInvitation,
)
from kindred.clients.services import client_create, concern_create
from kindred.core.testing import signed_in

LIST = "/api/v1/clients/"


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return bearer(raw)


def payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "legal_first_name": "Priya",
        "legal_last_name": "Raman",
        "date_of_birth": "1994-02-11",
        "state_of_residence": "KS",
        "email": "priya.r@example.test",
        "phone": "+1 785 555 0123",
        "preferred_modality": "in_person",
    }
    data.update(overrides)
    return data


def post(http: HttpClient, url: str, data: Any = None) -> Any:
    return http.post(url, json.dumps(data or {}), content_type="application/json")


def patch(http: HttpClient, url: str, data: Any) -> Any:
    return http.patch(url, json.dumps(data), content_type="application/json")


# --- Scopes ----------------------------------------------------------------------------


def test_read_scope_reads_but_cannot_write(cast):
    http = token_for(cast.coordinator, "clients:read")
    response = http.get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert post(http, LIST, payload()).status_code == 403
    assert not Client.objects.filter(legal_last_name="Raman").exists()


def test_write_scope_alone_cannot_read(cast):
    http = token_for(cast.coordinator, "clients:write")
    assert http.get(LIST).status_code == 403
    assert post(http, LIST, payload()).status_code == 201


def test_other_scopes_get_nothing(cast):
    http = token_for(cast.coordinator, "practice:read")
    assert http.get(LIST).status_code == 403
    assert http.get(f"{LIST}{cast.client.pk}/").status_code == 403
    assert http.get("/api/v1/concerns/").status_code == 403


def test_anonymous_and_bad_tokens_are_refused(cast):
    assert HttpClient().get(LIST).status_code in {401, 403}
    assert bearer("kdt_not-a-real-token-at-all").get(LIST).status_code == 401


def test_a_scope_never_grants_more_than_the_role(cast):
    # Billing cannot even hold clients:read, and sees no one with a session either.
    assert signed_in(cast.billing).get(LIST).json()["count"] == 0
    http = token_for(cast.billing, "clinicians:read")
    assert http.get(LIST).status_code == 403


# --- List ------------------------------------------------------------------------------


def test_list_search_and_filters(cast):
    http = signed_in(cast.coordinator)

    def names(response: Any) -> list[str]:
        return [c["display_name"] for c in response.json()["results"]]

    assert names(http.get(LIST, {"search": "ave"})) == ["Avery Member"]
    assert names(http.get(LIST, {"state": "KS"})) == ["Blair Member"]
    grief = concern_create(actor=cast.admin, name="Grief")
    cast.client_b.concerns.add(grief)
    assert names(http.get(LIST, {"concern": grief.pk})) == ["Blair Member"]
    assert http.get(LIST, {"status": "archived"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"concern": "abc"}, "concern"),
        ({"status": "deleted"}, "status"),
        ({"state": "Illinois"}, "state"),
        ({"concern": str(2**70)}, "concern"),
    ],
)
def test_bad_list_parameters_are_400_with_the_field(cast, params, field):
    response = signed_in(cast.coordinator).get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_staff_without_clients_get_an_empty_list(cast):
    response = signed_in(cast.billing).get(LIST)
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("who", ["facilitator", "supervisor"])
def test_facilitators_list_their_groups_clients(cast, who):
    response = signed_in(getattr(cast, who)).get(LIST)
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {cast.client.pk, cast.client_b.pk}


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_members_get_404_everywhere(cast, who):
    http = signed_in(getattr(cast, who))
    own = getattr(cast, "client" if who == "member" else "outsider_client")
    assert http.get(LIST).status_code == 404
    assert post(http, LIST, payload()).status_code == 404
    assert http.get(f"{LIST}{own.pk}/").status_code == 404
    assert patch(http, f"{LIST}{own.pk}/", {"pronouns": "x"}).status_code == 404
    assert http.get(f"{LIST}{own.pk}/availability/").status_code == 404
    assert http.get(f"{LIST}{own.pk}/invitations/").status_code == 404
    assert http.get("/api/v1/concerns/").status_code == 404


def test_list_query_count_is_constant(cast, django_assert_max_num_queries):
    grief = concern_create(actor=cast.admin, name="Grief")
    http = token_for(cast.coordinator, "clients:read")
    http.get(LIST)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(62):
        client_create(
            actor=None,
            legal_first_name=f"Api{i}",
            legal_last_name=f"Person{i:03d}",
            date_of_birth=date(1960, 1, 1) + timedelta(days=i * 50),
            state_of_residence="FL",
            concerns=[grief],
        )
    assert count() == few
    with django_assert_max_num_queries(8):
        body = http.get(LIST, {"page": 2}).json()
    assert body["count"] == 65
    assert len(body["results"]) == 15


# --- Create ----------------------------------------------------------------------------


def test_create(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    response = post(signed_in(cast.coordinator), LIST, payload(concerns=[grief.pk]))
    assert response.status_code == 201
    body = response.json()
    client = Client.objects.get(pk=body["id"])
    assert body["display_name"] == "Priya Raman"
    assert body["concerns"] == [grief.pk]
    assert body["has_portal_account"] is False
    assert client.preferred_modality == "in_person"
    event = AuditEvent.objects.get(action="clients.client.created", client_id=client.pk)
    assert event.via == "api"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth"),
        ({"date_of_birth": "11/02/1994"}, "date_of_birth"),
        ({"state_of_residence": "ZZ"}, "state_of_residence"),
        ({"email": "priya@"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"timezone": "Nowhere/Town"}, "timezone"),
        ({"preferred_modality": "carrier pigeon"}, "preferred_modality"),
        ({"legal_first_name": "x" * 101}, "legal_first_name"),
        ({"legal_first_name": ""}, "legal_first_name"),
        ({"concerns": [99999]}, "concerns"),
        ({"concerns": "grief"}, "concerns"),
    ],
)
def test_bad_payloads_are_400_with_field_errors_and_save_nothing(cast, overrides, field):
    before = Client.objects.count()
    response = post(signed_in(cast.coordinator), LIST, payload(**overrides))
    assert response.status_code == 400
    assert field in response.json()
    assert Client.objects.count() == before


def test_missing_fields_and_malformed_json(cast):
    http = signed_in(cast.coordinator)
    response = post(http, LIST, {})
    assert response.status_code == 400
    assert {"legal_first_name", "legal_last_name", "date_of_birth", "state_of_residence"} <= set(
        response.json()
    )
    response = http.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert Client.objects.count() == 3


def test_retired_concerns_are_refused(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    patch(signed_in(cast.admin), f"/api/v1/concerns/{grief.pk}/", {"offered": False})
    response = post(signed_in(cast.coordinator), LIST, payload(concerns=[grief.pk]))
    assert response.status_code == 400
    assert "concerns" in response.json()


def test_possible_duplicate_is_409_with_candidates(cast):
    http = signed_in(cast.coordinator)
    data = payload(legal_first_name="avery", legal_last_name="MEMBER", date_of_birth="1990-04-01")
    response = post(http, LIST, data)
    assert response.status_code == 409
    assert response.json()["code"] == "possible_duplicate"
    assert response.json()["candidates"] == [cast.client.pk]
    assert Client.objects.count() == 3
    response = post(http, LIST, {**data, "confirm_duplicate": True})
    assert response.status_code == 201


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing"])
def test_staff_without_the_capability_cannot_create(cast, who):
    response = post(signed_in(getattr(cast, who)), LIST, payload())
    assert response.status_code == 403
    assert not Client.objects.filter(legal_last_name="Raman").exists()


def test_mass_assignment_is_ignored(cast):
    response = post(
        signed_in(cast.coordinator),
        LIST,
        payload(status="archived", user=cast.member.pk, search_name="x", id=1),
    )
    assert response.status_code == 201
    client = Client.objects.get(pk=response.json()["id"])
    assert client.status == ClientStatus.ACTIVE
    assert client.user is None
    assert client.search_name == "priya raman"


# --- Retrieve, update, archive ---------------------------------------------------------------


def test_retrieve_is_an_access_event(cast):
    http = token_for(cast.coordinator, "clients:read")
    response = http.get(f"{LIST}{cast.client.pk}/")
    assert response.status_code == 200
    assert response.json()["email"] == "avery.member@example.test"
    assert response.json()["has_portal_account"] is True
    event = AuditEvent.objects.get(action="clients.client.viewed")
    assert (event.category, event.actor, event.client_id, event.via) == (
        Category.ACCESS,
        cast.coordinator,
        cast.client.pk,
        "api",
    )


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("facilitator", "outsider_client"),
        ("supervisor", "outsider_client"),
        ("facilitator_b", "client"),
        ("billing", "client"),
    ],
)
def test_retrieve_by_outsiders_is_404_and_denied(cast, who, target):
    client = getattr(cast, target)
    response = signed_in(getattr(cast, who)).get(f"{LIST}{client.pk}/")
    assert response.status_code == 404
    assert client.legal_first_name.lower() not in response.content.decode().lower()
    assert AuditEvent.objects.filter(category=Category.DENIED, object_id=str(client.pk)).exists()


def test_missing_is_404(cast):
    http = signed_in(cast.admin)
    assert http.get(f"{LIST}987654/").status_code == 404
    assert patch(http, f"{LIST}987654/", {"pronouns": "x"}).status_code == 404
    assert http.get(f"{LIST}{2**70}/").status_code == 404


def test_patch_changes_only_what_is_given(cast):
    http = token_for(cast.coordinator, "clients:write", "clients:read")
    url = f"{LIST}{cast.client.pk}/"
    response = patch(http, url, {"preferred_name": "Ave", "status": "archived"})
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ave Member"
    client = Client.objects.get(pk=cast.client.pk)
    assert client.status == ClientStatus.ACTIVE
    assert client.legal_first_name == "Avery"
    event = AuditEvent.objects.get(action="clients.client.updated")
    assert event.detail == {"fields": ["preferred_name"]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"state_of_residence": "XX"}, "state_of_residence"),
        ({"legal_last_name": ""}, "legal_last_name"),
        ({"emergency_contact_phone": "abc"}, "emergency_contact_phone"),
    ],
)
def test_bad_patch_is_400_and_saves_nothing(cast, data, field):
    url = f"{LIST}{cast.client.pk}/"
    response = patch(signed_in(cast.coordinator), url, {"pronouns": "they/them", **data})
    assert response.status_code == 400
    assert field in response.json()
    assert Client.objects.get(pk=cast.client.pk).pronouns == ""


def test_archive_and_restore(cast):
    http = signed_in(cast.coordinator)
    url = f"{LIST}{cast.client.pk}/"
    response = post(http, f"{url}archive/", {})
    assert response.status_code == 400
    assert "reason" in response.json()
    response = post(http, f"{url}archive/", {"reason": "Moved away"})
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    assert post(http, f"{url}archive/", {"reason": "Again"}).status_code == 409
    assert patch(http, url, {"pronouns": "she/her"}).status_code == 409
    response = post(http, f"{url}restore/", {"reason": "Back"})
    assert response.json()["status"] == "active"


# --- Availability ------------------------------------------------------------------------


def test_availability(cast):
    http = signed_in(cast.coordinator)
    url = f"{LIST}{cast.client.pk}/availability/"
    assert http.get(url).json() == []
    response = post(http, url, {"weekday": 2, "start_time": "18:00", "end_time": "20:00"})
    assert response.status_code == 201
    response = post(http, url, {"weekday": 2, "start_time": "17:00", "end_time": "18:30"})
    assert response.json() == {
        "id": response.json()["id"],
        "weekday": 2,
        "start_time": "17:00:00",
        "end_time": "20:00:00",
    }
    assert len(http.get(url).json()) == 1
    window_id = response.json()["id"]
    assert http.delete(f"{url}{window_id}/").status_code == 204
    assert not AvailabilityWindow.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"weekday": 2, "start_time": "18:00", "end_time": "09:00"}, "end_time"),
        ({"weekday": 9, "start_time": "18:00", "end_time": "19:00"}, "weekday"),
        ({"weekday": 2, "start_time": "25:00", "end_time": "26:00"}, "start_time"),
        ({"weekday": 2}, "start_time"),
    ],
)
def test_bad_windows_are_400(cast, data, field):
    response = post(signed_in(cast.coordinator), f"{LIST}{cast.client.pk}/availability/", data)
    assert response.status_code == 400
    assert field in response.json()
    assert not AvailabilityWindow.objects.exists()


def test_windows_of_other_clients_are_404(cast):
    window = AvailabilityWindow.objects.create(
        client=cast.client_b, weekday=0, start_time="09:00", end_time="10:00"
    )
    http = signed_in(cast.coordinator)
    assert http.delete(f"{LIST}{cast.client.pk}/availability/{window.pk}/").status_code == 404
    assert AvailabilityWindow.objects.filter(pk=window.pk).exists()


# --- Invitations -------------------------------------------------------------------------


@pytest.fixture
def invitee(cast):
    return client_create(
        actor=cast.coordinator,
        legal_first_name="Tariq",
        legal_last_name="Aziz",
        date_of_birth=date(1987, 8, 8),
        state_of_residence="IL",
        email="tariq.a@example.test",
    )


def test_invitations(cast, invitee, django_capture_on_commit_callbacks, mailoutbox):
    http = token_for(cast.coordinator, "clients:write", "clients:read")
    url = f"{LIST}{invitee.pk}/invitations/"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(http, url)
    assert response.status_code == 201
    assert len(mailoutbox) == 1
    invitation_id = response.json()["id"]
    listed = http.get(url).json()
    assert [i["status"] for i in listed] == ["sent"]
    assert "token" not in json.dumps(listed)
    assert "token_hash" not in json.dumps(listed)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(http, f"{url}{invitation_id}/resend/")
    assert response.status_code == 200
    assert len(mailoutbox) == 2
    response = post(http, f"{url}{invitation_id}/revoke/")
    assert response.json()["status"] == "revoked"
    assert post(http, f"{url}{invitation_id}/resend/").status_code == 409


def test_invitation_errors(cast, invitee):
    http = signed_in(cast.coordinator)
    response = post(http, f"{LIST}{cast.client.pk}/invitations/")  # already has an account
    assert response.status_code == 409
    patch(http, f"{LIST}{invitee.pk}/", {"email": ""})
    response = post(http, f"{LIST}{invitee.pk}/invitations/")
    assert response.status_code == 400
    assert "email" in response.json()
    assert post(http, f"{LIST}{invitee.pk}/invitations/987654/revoke/").status_code == 404
    assert post(signed_in(cast.facilitator), f"{LIST}{invitee.pk}/invitations/").status_code == 404
    assert not PortalInvitation.objects.exists()


# --- Concerns ----------------------------------------------------------------------------


def test_concerns_read_with_clients_read(cast):
    concern_create(actor=cast.admin, name="Grief")
    retired = concern_create(actor=cast.admin, name="Anxiety")
    patch(signed_in(cast.admin), f"/api/v1/concerns/{retired.pk}/", {"offered": False})
    http = token_for(cast.coordinator, "clients:read")
    body = http.get("/api/v1/concerns/").json()
    assert [(c["name"], c["offered"]) for c in body] == [("Anxiety", False), ("Grief", True)]
    assert [c["name"] for c in http.get("/api/v1/concerns/", {"offered": "true"}).json()] == [
        "Grief"
    ]
    assert http.get(f"/api/v1/concerns/{retired.pk}/").json()["name"] == "Anxiety"
    assert post(http, "/api/v1/concerns/", {"name": "Loss"}).status_code == 403


def test_concerns_write_needs_practice_write_and_the_admin_role(cast):
    admin = token_for(cast.admin, "practice:write")
    response = post(admin, "/api/v1/concerns/", {"name": "Grief", "description": "Loss"})
    assert response.status_code == 201
    concern_id = response.json()["id"]
    response = post(admin, "/api/v1/concerns/", {"name": "GRIEF"})
    assert response.status_code == 400
    assert "name" in response.json()
    response = patch(admin, f"/api/v1/concerns/{concern_id}/", {"name": "Grief and loss"})
    assert response.json()["name"] == "Grief and loss"
    assert admin.get("/api/v1/concerns/").status_code == 403  # no clients:read on this token
    coordinator = signed_in(cast.coordinator)
    assert post(coordinator, "/api/v1/concerns/", {"name": "Loss"}).status_code == 403
    assert (
        patch(coordinator, f"/api/v1/concerns/{concern_id}/", {"offered": False}).status_code == 403
    )
    assert ConcernTag.objects.get(pk=concern_id).is_active
    assert signed_in(cast.admin).get("/api/v1/concerns/987654/").status_code == 404


# --- A member's own record ---------------------------------------------------------------


def test_me_client(cast):
    response = signed_in(cast.member).get("/api/v1/me/client/")
    assert response.status_code == 200
    body = response.json()
    assert body["legal_first_name"] == "Avery"
    assert "status" not in body
    assert "concerns" not in body
    assert signed_in(cast.coordinator).get("/api/v1/me/client/").status_code == 404


def test_schema_lists_the_client_endpoints(cast):
    response = signed_in(cast.admin).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in [
        "/api/v1/clients/",
        "/api/v1/clients/{client_id}/",
        "/api/v1/clients/{client_id}/archive/",
        "/api/v1/clients/{client_id}/availability/",
        "/api/v1/clients/{client_id}/availability/{window_id}/",
        "/api/v1/clients/{client_id}/invitations/",
        "/api/v1/clients/{client_id}/invitations/{invitation_id}/revoke/",
        "/api/v1/concerns/",
        "/api/v1/concerns/{concern_id}/",
        "/api/v1/me/client/",
    ]:
        assert f"{path}:" in text, path
