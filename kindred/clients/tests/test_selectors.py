from datetime import date, time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kindred.clients.models import Client, Modality
from kindred.clients.selectors import STATUS_ALL, ClientFilters, client_detail, client_list
from kindred.clients.services import (
    availability_add,
    client_archive,
    client_create,
    concern_create,
)


def make_client(actor: Any, first: str, last: str, **extra: Any) -> Client:
    fields: dict[str, Any] = {
        "legal_first_name": first,
        "legal_last_name": last,
        "date_of_birth": date(1980, 1, 1 + len(first) % 27),
        "state_of_residence": "IL",
    }
    fields.update(extra)
    return client_create(actor=actor, confirm_duplicate=True, **fields)


def names(actor: Any, **filters: Any) -> list[str]:
    return [c.legal_name for c in client_list(actor=actor, filters=ClientFilters(**filters))]


@pytest.fixture
def people(cast):
    c = cast.coordinator
    make_client(c, "Ana", "García", preferred_name="Anita")
    make_client(c, "José", "Marcos", state_of_residence="FL", preferred_modality=Modality.VIRTUAL)
    make_client(c, "Mary", "Anderson", state_of_residence="KS")
    make_client(c, "Tom", "Garcia-Lopez")


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("an", ["Mary Anderson", "Ana García"]),  # a word start anywhere: first or last name
        ("and", ["Mary Anderson"]),
        ("an gar", ["Ana García"]),  # every word must match
        ("garcia", ["Ana García", "Tom Garcia-Lopez"]),  # accents ignored
        ("GARCÍA", ["Ana García", "Tom Garcia-Lopez"]),
        ("jose", ["José Marcos"]),
        ("anita", ["Ana García"]),  # preferred name
        ("arc", []),  # the middle of a word does not match
        ("zzz", []),
        ("%", []),  # LIKE wildcards are plain text
        ("_", []),
    ],
)
def test_name_search(cast, people, search, expected):
    # Sorted: how "García" and "Garcia-Lopez" order depends on the database collation.
    assert sorted(names(cast.coordinator, search=search)) == sorted(expected)


def test_filters(cast, people):
    grief = concern_create(actor=cast.admin, name="Grief")
    jose = Client.objects.get(legal_first_name="José")
    jose.concerns.add(grief)
    assert set(names(cast.coordinator, state="FL")) == {"José Marcos", "Casey Outsider"}
    assert names(cast.coordinator, concern=grief.pk) == ["José Marcos"]
    assert names(cast.coordinator, modality=Modality.VIRTUAL) == ["José Marcos"]
    client_archive(actor=cast.coordinator, client=jose, reason="Moved away")
    assert "José Marcos" not in names(cast.coordinator)
    assert names(cast.coordinator, status="archived") == ["José Marcos"]
    assert "José Marcos" in names(cast.coordinator, status=STATUS_ALL)


def test_the_list_is_empty_for_those_who_see_no_one(cast, people):
    for who in ["billing", "member", "outsider"]:
        assert names(getattr(cast, who)) == []


def test_facilitators_list_only_their_groups_clients(cast, people):
    group_a = sorted([cast.client.display_name, cast.client_b.display_name])
    assert sorted(names(cast.facilitator)) == group_a
    assert sorted(names(cast.supervisor)) == group_a  # supervises the facilitator
    assert names(cast.facilitator_b) == [cast.outsider_client.display_name]


def _queries_for_a_page(actor: Any) -> tuple[int, int]:
    assert actor.roles  # loaded once per request by the middleware, not per row
    with CaptureQueriesContext(connection) as ctx:
        rows = list(client_list(actor=actor)[:50])
        for row in rows:
            list(row.concerns.all())
    return len(ctx.captured_queries), len(rows)


def test_list_query_count_does_not_grow_with_rows(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    anxiety = concern_create(actor=cast.admin, name="Anxiety")
    few, rows = _queries_for_a_page(cast.coordinator)
    assert rows == 3
    for i in range(65):
        make_client(cast.coordinator, f"Person{i}", f"Example{i:03d}", concerns=[grief, anxiety])
    many, rows = _queries_for_a_page(cast.coordinator)
    assert rows == 50
    assert many == few == 2


def test_detail_query_count_does_not_grow(cast):
    client = cast.client
    assert cast.admin.roles
    with CaptureQueriesContext(connection) as ctx:
        client_detail(actor=cast.admin, client_id=client.pk)
    few = len(ctx.captured_queries)
    for hour in range(8, 20):
        availability_add(
            actor=cast.coordinator,
            client=client,
            weekday=hour % 7,
            start_time=time(hour),
            end_time=time(hour, 30),
        )
    with CaptureQueriesContext(connection) as ctx:
        client_detail(actor=cast.admin, client_id=client.pk)
    assert len(ctx.captured_queries) == few <= 8
