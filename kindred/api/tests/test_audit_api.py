"""API: /api/v1/audit-events/ — read-only, VIEW_AUDIT and the audit:read scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client as HttpClient

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.audit.tests.test_audit_browser import add_events
from kindred.core.testing import signed_in

LIST = "/api/v1/audit-events/"


def test_admin_lists_newest_first_with_every_field(cast):
    add_events(cast, 3)
    assert signed_in(cast.admin).get(LIST).json()["count"] == AuditEvent.objects.count()
    body = signed_in(cast.admin).get(f"{LIST}?date_to=2026-03-01").json()
    newest = body["results"][0]
    assert newest["request_id"] == "req00000002"
    assert set(newest) == {
        "id", "occurred_at", "actor", "actor_label", "category", "action", "client",
        "object_type", "object_id", "ip", "request_id", "via", "detail",
    }  # fmt: skip
    assert newest["actor"] == cast.facilitator.pk
    assert newest["client"] is None or isinstance(newest["client"], int)
    assert newest["occurred_at"].startswith("2026-03-01T12:02:00")


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "billing", "member"])
def test_others_are_refused(cast, who):
    assert signed_in(getattr(cast, who)).get(LIST).status_code == 403


def test_anonymous_is_401(db):
    assert HttpClient().get(LIST).status_code == 401


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_log_cannot_be_changed(cast, method):
    add_events(cast, 1)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    http = signed_in(cast.admin)
    for url in (LIST, f"{LIST}{event.pk}/"):
        response = getattr(http, method)(url, {"action": "x.y.z"}, content_type="application/json")
        assert response.status_code == 405, (method, url)
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_a_token_can_never_change_the_log_either(cast):
    raw, _ = api_token_create(actor=cast.admin, name="SIEM", scopes=["audit:read"])
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    event = AuditEvent.objects.first()
    assert event is not None
    assert http.delete(f"{LIST}{event.pk}/").status_code in {403, 405}
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_one_event(cast):
    add_events(cast, 1)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    http = signed_in(cast.admin)
    assert http.get(f"{LIST}{event.pk}/").json()["id"] == event.pk
    assert http.get(f"{LIST}999999/").status_code == 404
    assert signed_in(cast.coordinator).get(f"{LIST}{event.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=clients.client.up", 6),
        ("action=clients.client.viewed", 6),
        ("category=access", 6),
        ("category=change&action=clients.client.u", 6),
        ("date_from=2026-03-01&date_to=2026-03-01&action=clients.", 12),
        ("date_from=2026-03-02&date_to=2026-03-31&action=clients.client.u", 0),
    ],
)
def test_filters(cast, query, expected):
    add_events(cast, 12)
    body = signed_in(cast.admin).get(f"{LIST}?{query}").json()
    assert body["count"] == expected, query


def test_filter_by_actor_and_client(cast):
    add_events(cast, 12)
    http = signed_in(cast.admin)
    assert http.get(f"{LIST}?actor={cast.coordinator.pk}").json()["count"] == 3
    by_client = http.get(f"{LIST}?client={cast.client.pk}&action=clients.client.v").json()
    assert by_client["count"] == 2
    assert {e["client"] for e in by_client["results"]} == {cast.client.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("actor=abc", "actor"),
        ("client=-3", "client"),
        ("category=everything", "category"),
        ("date_from=03/01/2026", "date_from"),
        ("date_from=2026-03-05&date_to=2026-03-01", "date_to"),
    ],
)
def test_bad_filters_are_400_with_field_errors(cast, query, field):
    response = signed_in(cast.admin).get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_paged_with_a_constant_number_of_queries(cast, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = signed_in(cast.admin)
    http.get("/api/v1/me/")
    add_events(cast, 5)
    with CaptureQueriesContext(connection) as few:
        http.get(LIST)
    add_events(cast, 120)
    with django_assert_num_queries(len(few.captured_queries)):
        body = http.get(f"{LIST}?page=2").json()
    assert len(body["results"]) == 50
    assert body["next"] is not None
    assert http.get(f"{LIST}?page_size=200").json()["count"] == AuditEvent.objects.count()


def test_sign_in_events_are_in_the_log(cast):
    from kindred.accounts.tests.flows import new_browser, post_password

    post_password(new_browser("198.51.100.7"), cast.member.email, "wrong wrong wrong wrong")
    body = signed_in(cast.admin).get(f"{LIST}?category={Category.AUTH}").json()
    failed = body["results"][0]
    assert failed["action"] == "accounts.session.sign_in_failed"
    assert failed["ip"] == "198.51.100.7"
    assert failed["actor"] is None
    assert failed["object_id"] == str(cast.member.pk)
    assert failed["detail"] == {"email": cast.member.email, "reason": "not_accepted"}
    assert datetime.fromisoformat(failed["occurred_at"]).tzinfo is not None
    _ = UTC
