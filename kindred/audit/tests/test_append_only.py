"""The audit log is append-only three times over: the model, the queryset and the
database itself refuse to change or delete a row."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from kindred.audit.models import AppendOnlyError, AuditEvent, Category
from kindred.audit.services import audit_record


@pytest.fixture
def event(db) -> AuditEvent:
    return audit_record(actor=None, action="audit.test.recorded", category=Category.SYSTEM)


def test_the_model_refuses_to_save_an_existing_row(event):
    event.action = "audit.test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "audit.test.recorded"


def test_the_queryset_refuses_bulk_changes(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="audit.test.rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_refuses_update(event):
    """Even SQL that goes around the ORM cannot rewrite history (SQLite and PostgreSQL)."""
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s",
            ["audit.test.rewritten", event.pk],
        )
    assert AuditEvent.objects.get(pk=event.pk).action == "audit.test.recorded"


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: on SQLite the test framework itself empties tables with "
    "DELETE, so the SQLite trigger refuses UPDATE only (CI runs the suite on PostgreSQL).",
)
def test_the_database_refuses_delete_on_postgresql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_no_web_or_api_route_changes_the_log():
    """The only audit routes are the list (web, API) and one event (API), all read-only."""
    from django.urls import get_resolver

    routes = []

    def walk(resolver: Any, prefix: str = "") -> None:
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern, prefix + str(pattern.pattern))
            else:
                routes.append(prefix + str(pattern.pattern))

    walk(get_resolver())
    audit_routes = sorted(r for r in routes if "audit" in r)
    assert audit_routes == [
        "api/v1/audit-events/",
        "api/v1/audit-events/<int:event_id>/",
        "audit/",
    ]
