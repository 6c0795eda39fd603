"""Notification pages and API: one's own only (someone else's is a 404), newest first,
mark one or all read, the unread count in the header, constant query counts."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from kindred.accounts.models import User
from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.notifications.models import Notification
from kindred.notifications.selectors import unread_count
from kindred.notifications.services import notifications_mark_all_read, notify


def many(user: User, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        notify(user=user, kind="test", title=f"Notice {i}", url="/my/sessions/")


def bell(html: str) -> str:
    found = re.search(r'class="bell-count">(\d+)', html)
    return found.group(1) if found else ""


def test_the_list_shows_ones_own_newest_first(cast):
    notify(user=cast.member, kind="k", title="Older")
    notify(user=cast.member, kind="k", title="Newer", url="/my/sessions/")
    notify(user=cast.member_b, kind="k", title="Not yours")
    html = signed_in(cast.member).get("/notifications/").content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "Not yours" not in html
    assert bell(html) == "2"


def test_an_empty_list_says_what_will_appear(cast):
    html = signed_in(cast.facilitator).get("/notifications/").content.decode()
    assert "No notifications yet." in html
    html = signed_in(cast.facilitator).get("/notifications/?show=unread").content.decode()
    assert "Nothing unread." in html


def test_opening_marks_read_and_goes_to_its_page(cast):
    note = notify(user=cast.member, kind="k", title="Moved", url="/my/sessions/")
    assert note is not None
    http = signed_in(cast.member)
    assert bell(http.get("/notifications/").content.decode()) == "1"
    response = http.post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/my/sessions/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert bell(http.get("/notifications/").content.decode()) == ""


def test_a_link_elsewhere_is_never_followed(cast):
    note = notify(user=cast.member, kind="k", title="Odd", url="https://evil.example.test/")
    assert note is not None
    response = signed_in(cast.member).post(f"/notifications/{note.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_mark_one_and_all_read(cast):
    many(cast.member, 3)
    first = Notification.objects.filter(user=cast.member).first()
    assert first is not None
    http = signed_in(cast.member)
    http.post(f"/notifications/{first.pk}/read/")
    assert unread_count(actor=cast.member) == 2
    response = http.post("/notifications/read-all/")
    assert response.status_code == 302
    assert unread_count(actor=cast.member) == 0
    assert not Notification.objects.filter(user=cast.member, read_at__isnull=True).exists()


@pytest.mark.parametrize("action", ["open", "read"])
def test_someone_elses_notification_is_a_404_and_recorded(cast, action):
    note = notify(user=cast.member_b, kind="k", title="Private")
    assert note is not None
    response = signed_in(cast.member).post(f"/notifications/{note.pk}/{action}/")
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
    assert AuditEvent.objects.filter(action="notifications.notification.denied").exists()


def test_pages_need_sign_in_and_post(cast):
    assert HttpClient().get("/notifications/").status_code == 302
    assert signed_in(cast.member).get("/notifications/read-all/").status_code == 405


def test_the_unread_count_is_cached_and_forgotten_on_change(cast, django_assert_num_queries):
    many(cast.member, 2)
    assert unread_count(actor=cast.member) == 2
    with django_assert_num_queries(0):
        assert unread_count(actor=cast.member) == 2
    notify(user=cast.member, kind="k", title="One more")
    assert unread_count(actor=cast.member) == 3
    notifications_mark_all_read(actor=cast.member)
    assert unread_count(actor=cast.member) == 0


def test_the_header_count_costs_at_most_one_query(cast, django_assert_max_num_queries):
    many(cast.member, 2)
    http = signed_in(cast.member)
    http.get("/help/")
    cache.clear()
    with django_assert_max_num_queries(100) as cold:
        http.get("/help/")
    counting = [q for q in cold.captured_queries if "notifications_notification" in q["sql"]]
    with django_assert_max_num_queries(100) as warm:
        http.get("/help/")
    again = [q for q in warm.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counting) == 1
    assert again == []


def test_the_list_page_query_count_is_constant(cast, django_assert_max_num_queries):
    many(cast.member, 3)
    http = signed_in(cast.member)
    http.get("/notifications/")
    with django_assert_max_num_queries(20) as few:
        http.get("/notifications/")
    few_count = len(few.captured_queries)  # read now: the next request clears the log
    many(cast.member, 40, start=3)
    http.get("/notifications/")
    with django_assert_max_num_queries(few_count):
        response = http.get("/notifications/")
    assert "Notice 42" in response.content.decode()
    assert 'rel="next"' in response.content.decode()


# --- API -----------------------------------------------------------------------------------


def test_api_lists_ones_own_and_filters_unread(cast):
    many(cast.member, 3)
    notify(user=cast.member_b, kind="k", title="Not yours")
    first = Notification.objects.filter(user=cast.member).order_by("created_at", "id").first()
    assert first is not None
    http = signed_in(cast.member)
    http.post(f"/api/v1/notifications/{first.pk}/read/")
    data = http.get("/api/v1/notifications/").json()
    assert data["count"] == 3
    assert [n["title"] for n in data["results"]] == ["Notice 2", "Notice 1", "Notice 0"]
    assert data["results"][-1]["read"] is True
    unread = http.get("/api/v1/notifications/?unread=true").json()
    assert unread["count"] == 2
    assert http.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}


def test_api_mark_read_and_all(cast):
    many(cast.member, 2)
    http = signed_in(cast.member)
    note = Notification.objects.filter(user=cast.member).first()
    assert note is not None
    body = http.post(f"/api/v1/notifications/{note.pk}/read/").json()
    assert body["read"] is True
    assert body["read_at"]
    assert http.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert http.post("/api/v1/notifications/read-all/").json() == {"marked": 0}


def test_api_someone_elses_is_a_404(cast):
    note = notify(user=cast.member_b, kind="k", title="Private")
    assert note is not None
    response = signed_in(cast.member).post(f"/api/v1/notifications/{note.pk}/read/")
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_api_refuses_anonymous_and_tokens(cast):
    assert HttpClient().get("/api/v1/notifications/").status_code in {401, 403}
    raw, _ = api_token_create(actor=cast.coordinator, name="EHR", scopes=["clients:read"])
    tokened = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert tokened.get("/api/v1/notifications/").status_code == 403


def test_api_list_query_count_is_constant(cast, django_assert_max_num_queries):
    many(cast.member, 2)
    http = signed_in(cast.member)
    http.get("/api/v1/notifications/")
    with django_assert_max_num_queries(15) as few:
        http.get("/api/v1/notifications/")
    few_count = len(few.captured_queries)
    many(cast.member, 60, start=2)
    with django_assert_max_num_queries(few_count):
        data = http.get("/api/v1/notifications/").json()
    assert data["count"] == 62
    assert len(data["results"]) == 50
