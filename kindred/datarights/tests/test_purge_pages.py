"""Record destruction on the pages and the API: the "Due for destruction" list (admins
only, constant queries), a record's destruction page (re-authentication, typed
confirmation, refusals shown, nothing changed on bad input), the legal hold form, and
the API endpoints with their permissions, re-authentication and idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.core.testing import PASSWORD, Cast, signed_in
from kindred.datarights import closure, purge
from kindred.datarights.models import ClosureRequest
from kindred.datarights.tests.test_purge import after_retention, close, references

pytestmark = pytest.mark.django_db


def confirmed(user: Any) -> HttpClient:
    http = signed_in(user)
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


def test_due_list_for_admins_only_with_constant_queries(cast: Cast) -> None:
    first = close(cast, cast.member)
    with after_retention(first):
        admin = signed_in(cast.admin)

        def load() -> tuple[int, str]:
            admin.get("/account-closures/due/")  # the session's first request does more
            with CaptureQueriesContext(connection) as queries:
                page = admin.get("/account-closures/due/")
            assert page.status_code == 200
            return len(queries), page.content.decode()

        few, html = load()
        assert cast.client.display_name in html
        assert f"/account-closures/{first.pk}/destruction/" in html
        assert page_header(admin, "/account-closures/due/") == "no-store"
        assert signed_in(cast.member_b).get("/account-closures/due/").status_code == 404
    second = close(cast, cast.member_b)
    third = close(cast, cast.outsider)
    purge.record_hold(actor=cast.admin, request_id=third.pk, reason="Board audit")
    with after_retention(second):
        admin = signed_in(cast.admin)
        many, html = load()
        assert many == few
        assert cast.client_b.display_name in html
        assert "On legal hold" in html
        assert "1 on legal hold" in html
        assert signed_in(cast.coordinator).get("/account-closures/due/").status_code == 403
        assert signed_in(cast.facilitator).get("/account-closures/due/").status_code == 403
        assert HttpClient().get("/account-closures/due/").status_code == 302
        # The list of requests links to it for admins only.
        assert "/account-closures/due/" in admin.get("/account-closures/").content.decode()
        coordinator = signed_in(cast.coordinator)
        assert (
            "/account-closures/due/" not in coordinator.get("/account-closures/").content.decode()
        )


def page_header(http: HttpClient, url: str) -> str:
    return str(http.get(url)["Cache-Control"])


def test_destruction_page_needs_reauth_typed_confirmation_and_destroys(cast: Cast) -> None:
    request = close(cast, cast.member)
    url = f"/account-closures/{request.pk}/destruction/"
    with after_retention(request):
        plain = signed_in(cast.admin)
        detour = plain.get(url)
        assert detour.status_code == 302
        assert "/accounts/reauthenticate/" in detour["Location"]
        admin = confirmed(cast.admin)
        page = admin.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Destroy the record" in html
        assert "clients.Client" in html  # the counts of what would go
        assert signed_in(cast.coordinator).get(url).status_code in (302, 403)
        assert confirmed(cast.coordinator).get(url).status_code == 403
        assert (
            confirmed(cast.coordinator).post(url, {"confirm": str(request.pk)}).status_code == 403
        )
        assert signed_in(cast.member_b).get(url).status_code in (302, 404)
        assert confirmed(cast.admin).get("/account-closures/987654/destruction/").status_code == 404
        before = references(cast.client.pk), AuditEvent.objects.count()
        wrong = admin.post(url, {"confirm": "destroy"})
        assert wrong.status_code == 400
        assert f"Type the request number, {request.pk}" in wrong.content.decode()
        assert admin.post(url, {}).status_code == 400
        assert (references(cast.client.pk), AuditEvent.objects.count()) == before
        # The closed request's page links here.
        detail = admin.get(f"/account-closures/{request.pk}/").content.decode()
        assert url in detail
        assert "due for destruction" in detail
        assert 'name="confirm"' in detail  # the Destroy button on the request's own page
        assert (
            'name="confirm"'
            not in confirmed(cast.coordinator)
            .get(f"/account-closures/{request.pk}/")
            .content.decode()
        )
        done = admin.post(url, {"confirm": str(request.pk)})
        assert done.status_code == 302
        assert done["Location"] == "/account-closures/due/"
        assert not Client.objects.filter(pk=cast.client.pk).exists()
        after = admin.get(url).content.decode()
        assert "What was destroyed" in after
        assert "Record destroyed" in after
        # The request's own page names no one once the record is gone.
        gone = admin.get(f"/account-closures/{request.pk}/").content.decode()
        assert f"Closed account, request {request.pk} (record destroyed)" in gone
        assert "Close the account of" not in gone
        events = AuditEvent.objects.count()
        assert admin.post(url, {"confirm": str(request.pk)}).status_code == 302  # a no-op
        assert AuditEvent.objects.count() == events


def test_too_early_and_hold_on_the_pages(cast: Cast) -> None:
    request = close(cast, cast.member)
    url = f"/account-closures/{request.pk}/destruction/"
    admin = confirmed(cast.admin)
    early = admin.get(url).content.decode()
    assert "must be kept until" in early
    assert 'name="confirm"' not in early
    refused = admin.post(url, {"confirm": str(request.pk)})
    assert refused.status_code == 400
    assert "must be kept until" in refused.content.decode()
    hold_url = f"/account-closures/{request.pk}/hold/"
    empty = admin.post(hold_url, {"reason": ""})
    assert empty.status_code == 400
    assert "Give the reason for the hold" in empty.content.decode()
    assert admin.post(hold_url, {"reason": "Court order 24-0117"}).status_code == 302
    request.refresh_from_db()
    assert request.hold_reason == "Court order 24-0117"
    assert confirmed(cast.coordinator).post(hold_url, {"reason": "x"}).status_code == 403
    with after_retention(request):
        admin = confirmed(cast.admin)
        held = admin.get(url).content.decode()
        assert "Court order 24-0117" in held
        assert "Lift the hold" in held
        blocked = admin.post(url, {"confirm": str(request.pk)})
        assert blocked.status_code == 400
        assert "legal hold" in blocked.content.decode()
        lift_url = f"/account-closures/{request.pk}/hold/lift/"
        assert confirmed(cast.coordinator).post(lift_url).status_code == 403
        assert admin.post(lift_url).status_code == 302
        assert admin.post(lift_url).status_code == 409
        assert 'name="confirm"' in admin.get(url).content.decode()
    assert Client.objects.filter(pk=cast.client.pk).exists()


def test_api_due_destroy_and_hold(cast: Cast) -> None:
    request = close(cast, cast.member)
    base = f"/api/v1/account-closures/{request.pk}"
    json = "application/json"
    with after_retention(request):
        admin = signed_in(cast.admin)
        due = admin.get("/api/v1/account-closures/due/")
        assert due.status_code == 200
        [row] = due.json()
        assert row["id"] == request.pk
        assert row["held"] is False
        assert signed_in(cast.coordinator).get("/api/v1/account-closures/due/").status_code == 403
        assert signed_in(cast.member_b).get("/api/v1/account-closures/due/").status_code == 404
        raw, _token = api_token_create(
            actor=cast.admin, name="integration", scopes=["clients:read"]
        )
        bearer = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert bearer.get("/api/v1/account-closures/due/").status_code in (401, 403)
        assert bearer.post(f"{base}/destroy/", {"confirm": str(request.pk)}, json).status_code in (
            401,
            403,
        )
        # Destroying needs a recent sign-in (signed_in() is a session without one).
        stale = admin.post(f"{base}/destroy/", {"confirm": str(request.pk)}, content_type=json)
        assert stale.status_code == 403
        assert "recent sign-in" in stale.json()["detail"]
        admin = confirmed(cast.admin)
        coordinator = confirmed(cast.coordinator)
        for method in ("post", "delete"):
            assert (
                getattr(coordinator, method)(f"{base}/hold/", content_type=json).status_code == 403
            )
        assert coordinator.post(f"{base}/destroy/", {}, content_type=json).status_code == 403
        assert (
            confirmed(cast.member_b).post(f"{base}/destroy/", {}, content_type=json).status_code
            == 404
        )
        assert admin.post("/api/v1/account-closures/987654/destroy/", {}, json).status_code == 404
        assert admin.post(f"{base}/hold/", {"reason": ""}, content_type=json).status_code == 400
        held = admin.post(f"{base}/hold/", {"reason": "Subpoena"}, content_type=json)
        assert held.status_code == 200
        assert held.json()["held"] is True
        blocked = admin.post(f"{base}/destroy/", {"confirm": str(request.pk)}, content_type=json)
        assert blocked.status_code == 409
        assert "legal hold" in blocked.json()["detail"]
        assert admin.delete(f"{base}/hold/").status_code == 200
        assert admin.delete(f"{base}/hold/").status_code == 409
        wrong = admin.post(f"{base}/destroy/", {"confirm": "1x"}, content_type=json)
        assert wrong.status_code == 400
        assert Client.objects.filter(pk=cast.client.pk).exists()
        key = {"Idempotency-Key": "destroy-0001"}
        done = admin.post(
            f"{base}/destroy/", {"confirm": str(request.pk)}, content_type=json, headers=key
        )
        assert done.status_code == 200
        body = done.json()
        assert body["client_id"] is None
        assert body["purge_counts"]["deleted"]["clients.Client"] == 1
        replay = admin.post(
            f"{base}/destroy/", {"confirm": str(request.pk)}, content_type=json, headers=key
        )
        assert replay.status_code == 200
        assert replay["Idempotent-Replayed"] == "true"
        assert replay.json() == body
        again = admin.post(f"{base}/destroy/", {"confirm": str(request.pk)}, content_type=json)
        assert again.status_code == 200
        assert again.json()["purged_at"] == body["purged_at"]
    assert AuditEvent.objects.filter(action="datarights.record.purged").count() == 1
    assert ClosureRequest.objects.get(pk=request.pk).purged_by == cast.admin


def test_a_pending_request_has_no_retention_section(cast: Cast) -> None:
    pending = closure.closure_request(actor=cast.member)
    html = confirmed(cast.admin).get(f"/account-closures/{pending.pk}/").content.decode()
    assert "/destruction/" not in html
