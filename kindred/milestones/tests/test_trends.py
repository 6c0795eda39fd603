"""Anonymous group trends: counts only, small cells suppressed, facilitators only,
constant queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kindred.core.testing import Cast, signed_in
from kindred.milestones.tests.support import improved, sessions
from kindred.milestones.trends import group_trends


def _members(cast: Cast, count: int) -> list[Any]:
    """``count`` more active members of group A (beyond the cast's two)."""
    from kindred.clients.services import client_create
    from kindred.groups.services import enrollment_activate, enrollment_invite

    cast.group_a.max_size = 12
    cast.group_a.save(update_fields=["max_size"])
    found = []
    for i in range(count):
        client = client_create(
            actor=None,
            legal_first_name=f"Trend{i}",
            legal_last_name="Member",
            date_of_birth=cast.client.date_of_birth,
            state_of_residence="IL",
            email=f"trend{i}@example.test",
        )
        enrollment_activate(
            actor=None, enrollment=enrollment_invite(actor=None, group=cast.group_a, client=client)
        )
        found.append(client)
    return found


def test_fewer_than_three_answering_twice_shows_no_counts(cast: Cast) -> None:
    improved(cast.client, cast.group_a)
    improved(cast.client_b, cast.group_a, 14, 13)
    sessions(cast.client, cast.group_a, 4)
    trends = group_trends(cast.group_a)
    (phq9,) = trends.instruments
    assert phq9.suppressed
    assert phq9.sentence == "Not enough answers yet to show a trend."
    assert trends.shown_instruments == []
    assert trends.attendance.suppressed
    assert trends.attendance_rate is None
    assert trends.chart()["labels"] == []


def test_counts_improved_reliably_and_worse(cast: Cast) -> None:
    extra = _members(cast, 3)
    improved(cast.client, cast.group_a, 18, 8)  # reliably
    improved(cast.client_b, cast.group_a, 16, 9)  # reliably
    improved(extra[0], cast.group_a, 14, 12)  # a little
    improved(extra[1], cast.group_a, 8, 15)  # reliably worse
    improved(extra[2], cast.group_a, 10, 10)  # the same
    for client in (cast.client, cast.client_b, extra[0]):
        sessions(client, cast.group_a, 4)
    sessions(extra[1], cast.group_a, 1)
    trends = group_trends(cast.group_a)
    (phq9,) = trends.instruments
    assert (phq9.answered_twice, phq9.improved, phq9.reliably_improved, phq9.reliably_worse) == (
        5,
        3,
        2,
        1,
    )
    assert phq9.sentence == (
        "3 of 5 members who answered twice or more have improved since joining; 2 reliably."
    )
    assert phq9.caution == "1 reliably worse since joining."
    assert "worse" not in phq9.session_sentence
    assert trends.attendance.sentence == "3 of 4 members have come to four sessions or more."
    assert trends.attendance_rate == 100
    chart = trends.chart()
    assert chart["labels"] == ["PHQ-9"]
    assert [s["data"] for s in chart["series"]] == [[2], [1], [2]]


def _goal(client: Any, group: Any, status: str) -> None:
    from django.utils import timezone

    from kindred.goals.models import Goal

    Goal.objects.create(
        client=client,
        user=client.user,
        group=group,
        what="A small step",
        status=status,
        reached_at=timezone.now() if status == "reached" else None,
    )


def test_goals_are_counted_by_member_and_suppressed_below_three(cast: Cast) -> None:
    _goal(cast.client, cast.group_a, "reached")  # both cast clients have accounts
    _goal(cast.client_b, cast.group_a, "active")
    goals = group_trends(cast.group_a).goals
    assert goals is not None
    assert goals.suppressed


def test_only_the_groups_facilitators_see_trends(cast: Cast) -> None:
    url = reverse("web:milestones_trends", args=[cast.group_a.pk])
    session_url = reverse("web:milestones_trends_session", args=[cast.group_a.pk])
    for person in (cast.member, cast.facilitator_b, cast.admin, cast.coordinator):
        http = signed_in(person)
        assert http.get(url).status_code == 404
        assert http.get(session_url).status_code == 404
    http = signed_in(cast.facilitator)
    page = http.get(url)
    assert page.status_code == 200
    assert "Not enough answers yet to show a trend." in page.content.decode()


@pytest.mark.parametrize("extra", [1, 8])
def test_trend_pages_name_nobody_and_keep_constant_queries(
    cast: Cast, extra: int, django_assert_max_num_queries: Any
) -> None:
    clients = [cast.client, cast.client_b, *_members(cast, extra)]
    for client in clients:
        improved(client, cast.group_a)
        sessions(client, cast.group_a, 4)
    http = signed_in(cast.facilitator)
    http.get(reverse("web:milestones_trends", args=[cast.group_a.pk]))  # warm the session
    for name in ("web:milestones_trends", "web:milestones_trends_session"):
        with django_assert_max_num_queries(16):
            page = http.get(reverse(name, args=[cast.group_a.pk]))
        html = page.content.decode()
        assert f"{len(clients)} of {len(clients)}" in html
        for client in clients:
            assert client.legal_first_name not in html
