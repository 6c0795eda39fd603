"""Two coordinators take the last seat of a group at the same moment: exactly one wins.

This needs real concurrent transactions, so it runs on PostgreSQL, with two threads each
on its own database connection. (SQLite serialises every write to the whole database,
so it cannot show the race or its fix; CI runs the suite on PostgreSQL.)
"""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kindred.accounts.services import staff_create
from kindred.core.errors import Conflict
from kindred.groups import services
from kindred.groups.models import Enrollment
from kindred.groups.tests.factories import person
from kindred.practice.models import Practice
from kindred.practice.roles import Role
from kindred.practice.services import clinician_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: needs concurrent transactions on two connections, which "
        "SQLite cannot run (CI runs the suite on PostgreSQL).",
    ),
]


def _race(group, clients, coordinator) -> list[object]:
    barrier = threading.Barrier(len(clients))
    results: list[object] = [None] * len(clients)

    def take(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = services.enrollment_invite(
                actor=coordinator, group=group, client=clients[i]
            )
        except Exception as exc:  # the result is what the test checks
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_coordinators_cannot_both_take_the_last_seat(transactional_db):
    Practice.objects.create(name="Race Practice", timezone="America/Chicago")
    coordinator = staff_create(
        actor=None,
        email="race.coordinator@example.test",
        full_name="Rae Coordinator",
        roles=[Role.COORDINATOR],
        password="correct horse battery staple race",
    )
    lead = staff_create(
        actor=None,
        email="race.lead@example.test",
        full_name="Lee Lead",
        roles=[Role.FACILITATOR],
        password="correct horse battery staple race",
    )
    group = services.group_create(
        actor=None,
        name="Last Seat",
        description="A group with one seat left.",
        lead_facilitator=clinician_create(actor=None, user=lead),
        recurrence="FREQ=WEEKLY;COUNT=4",
        start_date=timezone.localdate() + timedelta(days=7),
        start_time=time(9, 0),
        timezone="America/Chicago",
        min_size=1,
        max_size=2,
    )
    services.enrollment_invite(actor=None, group=group, client=person("Ana", born=date(1980, 1, 1)))
    contenders = [person("Ben"), person("Cy")]

    results = _race(group, contenders, coordinator)

    won = [r for r in results if isinstance(r, Enrollment)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    assert lost[0].message == "The group is full."
    assert Enrollment.objects.filter(group=group).count() == 2
