"""The audit log browser (/audit/) and its selector."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.audit.models import AuditEvent, Category
from kindred.audit.selectors import AuditFilters, audit_event_list
from kindred.core.errors import NotPermitted
from kindred.core.testing import signed_in


def add_events(cast, n: int) -> None:
    """``n`` events by several people about several clients, spread over time."""
    people = [cast.admin, cast.coordinator, cast.facilitator, None]
    clients = [cast.client, cast.client_b, None]
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                occurred_at=start + timedelta(minutes=i),
                actor=people[i % 4],
                actor_label=people[i % 4].email if people[i % 4] else "",
                category=[Category.ACCESS, Category.CHANGE][i % 2],
                action=["clients.client.viewed", "clients.client.updated"][i % 2],
                client=clients[i % 3],
                object_type="clients.client" if clients[i % 3] else "",
                object_id=str(clients[i % 3].pk) if clients[i % 3] else "",
                ip="192.0.2.10",
                request_id=f"req{i:08d}",
                via="web",
                detail={"fields": ["phone", "email"]} if i % 2 else {},
            )
            for i in range(n)
        ]
    )


def test_only_admins_may_browse(cast):
    assert HttpClient().get("/audit/")["Location"].startswith("/accounts/login/")
    for who in ("coordinator", "facilitator", "supervisor", "billing", "member"):
        assert signed_in(getattr(cast, who)).get("/audit/").status_code == 403, who
    assert signed_in(cast.admin).get("/audit/").status_code == 200


def test_the_selector_checks_the_capability(cast):
    with pytest.raises(NotPermitted):
        audit_event_list(actor=cast.coordinator)


def test_the_page_is_read_only(cast):
    http = signed_in(cast.admin)
    assert http.post("/audit/").status_code == 405


def test_newest_first_with_who_what_where_and_when(cast):
    add_events(cast, 3)
    html = signed_in(cast.admin).get("/audit/").content.decode()
    newest = html.index("req00000002")
    assert newest < html.index("req00000001") < html.index("req00000000")
    # When: in the practice's time zone (America/Chicago, UTC-6 in early March).
    assert "Mar 1, 2026" in html
    assert "6:02:00 AM" in html
    assert "coordinator@example.test" in html
    assert "clients.client.updated" in html
    assert "Avery Member" in html  # the client, by name
    assert "192.0.2.10" in html
    assert '<th scope="col">When</th>' in html
    # Details show field names, listed plainly.
    assert "phone, email" in html


def test_the_list_costs_the_same_number_of_queries_however_long(
    cast, django_assert_max_num_queries, django_assert_num_queries
):
    http = signed_in(cast.admin)
    add_events(cast, 5)
    http.get("/audit/")  # warm the practice-settings cache, as in production
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert http.get("/audit/").status_code == 200
    add_events(cast, 115)
    assert AuditEvent.objects.count() > 120
    with django_assert_num_queries(len(few.captured_queries)):
        page_one = http.get("/audit/")
    with django_assert_num_queries(len(few.captured_queries)):
        page_two = http.get("/audit/?page=2&category=change")
    assert "Page 1 of 3" in page_one.content.decode()
    assert page_two.status_code == 200
    with django_assert_max_num_queries(12):
        http.get("/audit/?action=clients&actor=example.test")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 12),
        ("actor=coordinator", 3),
        ("action=updated", 6),
        ("action=CLIENTS.CLIENT.VIEW", 6),
        ("category=access", 6),
        ("category=change&actor=admin", 0),
        ("category=access&actor=admin", 3),
    ],
)
def test_filters(cast, query, expected):
    if not query:
        expected += AuditEvent.objects.count()  # the cast's own events (accounts created...)
    add_events(cast, 12)
    page = signed_in(cast.admin).get(f"/audit/?{query}").content.decode()
    assert page.count("<td><time") == expected, query


def test_filter_by_client_and_actor_id(cast):
    already = AuditEvent.objects.filter(client=cast.client_b).count()
    add_events(cast, 12)
    http = signed_in(cast.admin)
    page = http.get(f"/audit/?client={cast.client_b.pk}").content.decode()
    assert page.count("<td><time") == 4 + already
    page = http.get(f"/audit/?actor_id={cast.facilitator.pk}").content.decode()
    assert page.count("<td><time") == 3


def test_dates_are_whole_days_in_the_practice_time_zone(cast):
    # 05:30 UTC on March 3rd is still March 2nd in Chicago.
    late = datetime(2026, 3, 3, 5, 30, tzinfo=UTC)
    AuditEvent.objects.create(
        occurred_at=late, category=Category.SYSTEM, action="audit.test.late", via="system"
    )

    def events(**kw: Any) -> list[AuditEvent]:
        qs = audit_event_list(actor=cast.admin, filters=AuditFilters(**kw))
        return list(qs.filter(action="audit.test.late"))

    assert len(events(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))) == 1
    assert events(date_from=date(2026, 3, 3)) == []
    assert len(events(date_to=date(2026, 3, 2))) == 1
    assert events(date_to=date(2026, 3, 1)) == []
    page = signed_in(cast.admin).get("/audit/?date_from=2026-03-02&date_to=2026-03-02")
    assert "audit.test.late" in page.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("client=abc", "client"),
        ("client=0", "client"),
        ("date_from=yesterday", "date_from"),
        ("date_from=2026-03-05&date_to=2026-03-01", "date_to"),
        ("category=everything", "category"),
    ],
)
def test_bad_filters_are_explained_beside_the_field(cast, query, field):
    add_events(cast, 3)
    response = signed_in(cast.admin).get(f"/audit/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert "Please correct the filters above." in html
    assert "<td><time" not in html


def test_empty_states(cast):
    http = signed_in(cast.admin)
    html = http.get("/audit/?action=nothing.like.this").content.decode()
    assert "No events match these filters." in html
    assert "Clear filters" in html
