"""API v1 for billing: scopes and roles, charges from attendance (an unattended session
is 409), posting, payments and balance, diagnoses (a malformed code is 400 on code),
the superbill PDF; strangers get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import allowed_scopes, api_token_create
from kindred.audit.models import AuditEvent
from kindred.billing.models import Charge, Diagnosis
from kindred.billing.testing import past_session, take_attendance
from kindred.core.testing import Cast, signed_in

pytestmark = pytest.mark.django_db
BOTH = {Scope.BILLING_READ, Scope.BILLING_WRITE}


def _token(user: User, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Books", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _post(api: HttpClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return api.post(url, data or {}, content_type="application/json")


def test_scopes_follow_the_capability(cast: Cast) -> None:
    for who in ("billing", "admin"):
        assert allowed_scopes(getattr(cast, who)) >= BOTH, who
    for who in ("facilitator", "supervisor", "coordinator"):
        assert not allowed_scopes(getattr(cast, who)) & BOTH, who


def test_charges_payments_balance(cast: Cast) -> None:
    cast.group_a.fee_cents = 4000
    cast.group_a.save(update_fields=["fee_cents"])
    session = past_session(cast.group_a)
    api = _token(cast.billing, *BOTH)
    unattended = past_session(cast.group_a, 1)
    response = _post(api, f"/api/v1/sessions/{unattended.pk}/charges/")
    assert response.status_code == 409
    assert "Attendance has not been taken" in response.content.decode()
    take_attendance(session, cast.facilitator)
    response = _post(api, f"/api/v1/sessions/{session.pk}/charges/")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    again = _post(api, f"/api/v1/sessions/{session.pk}/charges/").json()
    assert again["created"] == 0
    assert again["unchanged"] == 2
    posted = _post(api, f"/api/v1/sessions/{session.pk}/charges/post/").json()
    assert {c["status"] for c in posted} == {"posted"}
    listed = api.get(f"/api/v1/clients/{cast.client.pk}/charges/").json()
    assert listed["results"][0]["amount_cents"] == 4000
    assert listed["results"][0]["cpt_code"] == "90853"
    bad = _post(
        api,
        f"/api/v1/clients/{cast.client.pk}/payments/",
        {"amount_cents": -1, "method": "card", "received_on": "2026-11-20"},
    )
    assert bad.status_code == 400
    ok = _post(
        api,
        f"/api/v1/clients/{cast.client.pk}/payments/",
        {"amount_cents": 1000, "method": "card", "received_on": "2026-11-20"},
    )
    assert ok.status_code == 201, ok.content
    balance = api.get(f"/api/v1/clients/{cast.client.pk}/balance/").json()
    assert balance == {
        "client": cast.client.pk,
        "charged_cents": 4000,
        "paid_cents": 1000,
        "balance_cents": 3000,
        "draft_cents": 0,
    }
    response = api.get(
        f"/api/v1/clients/{cast.client.pk}/superbill/",
        {"start": "2026-01-01", "end": "2026-12-31"},
        HTTP_ACCEPT="application/pdf",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="billing.superbill.exported").exists()


def test_diagnoses(cast: Cast) -> None:
    admin = _token(cast.admin, *BOTH)
    url = f"/api/v1/clients/{cast.client.pk}/diagnoses/"
    bad = _post(admin, url, {"code": "F41.12345", "description": "x", "starts_on": "2026-01-01"})
    assert bad.status_code == 400
    assert "not a well-formed ICD-10 code" in bad.json()["code"][0]
    assert not Diagnosis.objects.exists()
    ok = _post(admin, url, {"code": "F41.1", "description": "GAD", "starts_on": "2026-01-01"})
    assert ok.status_code == 201
    assert admin.get(url).json()[0]["code"] == "F41.1"
    billing = _token(cast.billing, *BOTH)
    refused = _post(
        billing, url, {"code": "F33.0", "description": "MDD", "starts_on": "2026-01-01"}
    )
    assert refused.status_code == 403


def test_read_scope_cannot_write(cast: Cast) -> None:
    api = _token(cast.billing, Scope.BILLING_READ)
    session = past_session(cast.group_a)
    assert api.get(f"/api/v1/sessions/{session.pk}/charges/").status_code == 200
    assert _post(api, f"/api/v1/sessions/{session.pk}/charges/").status_code == 403


@pytest.mark.parametrize("who", ["facilitator", "coordinator", "member"])
def test_others_find_nothing(cast: Cast, who: str) -> None:
    http = signed_in(getattr(cast, who))
    for path in (
        f"/api/v1/clients/{cast.client.pk}/charges/",
        f"/api/v1/clients/{cast.client.pk}/balance/",
        f"/api/v1/clients/{cast.client.pk}/diagnoses/",
    ):
        assert http.get(path).status_code == 404, path
    assert not Charge.objects.exists()


def test_reading_a_members_billing_record_through_the_api_is_audited(cast: Cast) -> None:
    # The pages audit these reads; the API must too (diagnoses are clinical data).
    api = _token(cast.admin, *BOTH)
    base = f"/api/v1/clients/{cast.client.pk}"
    for path, action in (
        ("diagnoses/", "billing.diagnoses.viewed"),
        ("balance/", "billing.ledger.viewed"),
        ("charges/", "billing.ledger.viewed"),
        ("payments/", "billing.ledger.viewed"),
    ):
        before = AuditEvent.objects.filter(action=action, client_id=cast.client.pk).count()
        assert api.get(f"{base}/{path}").status_code == 200
        after = AuditEvent.objects.filter(action=action, client_id=cast.client.pk).count()
        assert after == before + 1, path
