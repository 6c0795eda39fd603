"""Two submissions of the same flagged questionnaire race: exactly one alert.

Needs real concurrent transactions, so it runs on PostgreSQL with two threads, each on
its own connection (SQLite serialises every write; CI runs the suite on PostgreSQL).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from kindred.measures.models import Administration, SafetyAlert
from kindred.measures.safety import PHQ9_ITEM9_FLAG, raise_alerts_for_administration
from kindred.measures.tests.outcome_support import completed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: needs concurrent transactions on two connections, which "
        "SQLite cannot run (CI runs the suite on PostgreSQL).",
    ),
]


def test_two_racing_submissions_leave_one_alert(transactional_db, cast):
    answers = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 2}
    admin = completed(cast.client, "phq9", answers, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def submit(i: int) -> None:
        try:
            with transaction.atomic():
                fresh = Administration.objects.select_related("instrument").get(pk=admin.pk)
                barrier.wait(timeout=10)
                results[i] = [a.pk for a in raise_alerts_for_administration(fresh)]
                time.sleep(0.2)  # hold the transaction open so the other one must wait
        except Exception as exc:  # the result is what the test checks
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert SafetyAlert.objects.count() == 1, results
    only = SafetyAlert.objects.get()
    assert results == [[only.pk], [only.pk]]
