"""The home page's open-alerts panel: the oldest few and how many there are, in one
query however many are open."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kindred.core.testing import Cast
from kindred.measures.models import AlertAction
from kindred.measures.outcome_panels import ALERTS_ON_HOME, open_alerts_panel
from kindred.measures.safety import (
    PHQ9_ITEM9_FLAG,
    alert_acknowledge,
    raise_alerts_for_administration,
)
from kindred.measures.safety_selectors import get_alert_for
from kindred.measures.tests.outcome_support import completed

ITEM9 = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 1}


def _raise(cast: Cast, n: int) -> list[int]:
    ids: list[int] = []
    for _ in range(n):
        admin = completed(cast.client, "phq9", ITEM9, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a)
        with transaction.atomic():
            ids.extend(a.pk for a in raise_alerts_for_administration(admin))
    return ids


def _panel_queries(cast: Cast) -> tuple[dict[str, Any] | None, int]:
    open_alerts_panel(cast.admin)  # the role look-up is cached per person after this
    with CaptureQueriesContext(connection) as captured:
        panel = open_alerts_panel(cast.admin)
    return panel, len(captured.captured_queries)


def test_no_open_alert_no_panel(cast):
    panel, _queries = _panel_queries(cast)
    assert panel is None


def test_the_panel_shows_the_oldest_few_and_counts_them_all(cast):
    ids = _raise(cast, ALERTS_ON_HOME + 2)
    panel, few_queries = _panel_queries(cast)
    assert panel is not None
    assert panel["count"] == len(ids) == ALERTS_ON_HOME + 2
    assert panel["more"] is True
    assert [alert.pk for alert, _label in panel["rows"]] == ids[:ALERTS_ON_HOME]
    # Acknowledging one lowers the count; the query count does not change with the
    # number of alerts (one fewer than "more than fit" or many more).
    with transaction.atomic():
        alert = get_alert_for(cast.admin, ids[0], write=True)
        alert_acknowledge(actor=cast.admin, alert=alert, action=AlertAction.CONTACTED)
    panel, queries = _panel_queries(cast)
    assert panel is not None
    assert panel["count"] == ALERTS_ON_HOME + 1
    _raise(cast, 10)
    panel, many_queries = _panel_queries(cast)
    assert panel is not None
    assert panel["count"] == ALERTS_ON_HOME + 11
    assert few_queries == queries == many_queries


def test_as_many_as_fit_is_not_more_and_costs_the_same(cast):
    _raise(cast, ALERTS_ON_HOME)
    panel, fit_queries = _panel_queries(cast)
    assert panel is not None
    assert panel["count"] == ALERTS_ON_HOME
    assert panel["more"] is False
    assert len(panel["rows"]) == ALERTS_ON_HOME
    _raise(cast, 1)
    panel, more_queries = _panel_queries(cast)
    assert panel is not None
    assert panel["more"] is True
    assert more_queries == fit_queries
