"""The journal's home panels: what they show, for whom, in a constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string

from kindred.core.testing import Cast
from kindred.journal import services
from kindred.journal.panels import facilitator_journal_panel, member_journal_panel


def share(cast: Cast, n: int) -> None:
    for i in range(n):
        for user, client in ((cast.member, cast.client), (cast.member_b, cast.client_b)):
            entry = services.entry_create(actor=user, client=client, body=f"entry {i}")
            services.entry_share(actor=user, entry=entry)
    services.entry_create(actor=cast.member, client=cast.client, body="private")


def test_member_panel(cast: Cast) -> None:
    assert member_journal_panel(cast.facilitator) is None
    assert member_journal_panel(cast.member) == {"latest": None}
    share(cast, 1)
    panel = member_journal_panel(cast.member)
    assert panel is not None
    assert panel["latest"] is not None
    html = render_to_string("web/journal/_member_panel.html", {"panel": panel})
    assert "Write an entry" in html


@pytest.mark.parametrize("n", [1, 6])
def test_facilitator_panel_counts_shared_entries_in_constant_queries(
    cast: Cast, n: int, django_assert_num_queries: Any
) -> None:
    share(cast, n)
    with django_assert_num_queries(2):  # the groups, then the counts
        panel = facilitator_journal_panel(cast.facilitator)
    assert panel is not None
    assert panel["rows"] == [
        {"group_id": cast.group_a.pk, "name": cast.group_a.name, "recent": 2 * n}
    ]
    html = render_to_string("web/journal/_facilitator_panel.html", {"panel": panel})
    assert f"{2 * n} shared in the last 14 days" in html
    assert facilitator_journal_panel(cast.admin) is None
    assert facilitator_journal_panel(cast.member) is None
