"""The benchmark measures the group dashboard and a member's chart of real seeded data."""

from __future__ import annotations

from kindred.bench import inprocess, targets
from kindred.measures.tests.outcome_support import completed
from kindred.scheduling.models import GroupSession


def test_outcome_values_point_at_the_busiest_group_and_its_most_measured_member(cast):
    session = GroupSession.objects.filter(group=cast.group_a).order_by("starts_at").first()
    assert session is not None
    completed(cast.client_b, "phq9", total=10)
    completed(cast.client_b, "phq9", total=8)
    completed(cast.client, "phq9", total=12)
    values = inprocess.outcome_values(session.pk)
    assert values == {"group_id": str(cast.group_a.pk), "member_client_id": str(cast.client_b.pk)}


def test_dashboard_and_member_chart_are_targets(cast):
    people = {"facilitator": cast.facilitator}
    session = GroupSession.objects.filter(group=cast.group_a).order_by("starts_at").first()
    assert session is not None
    values = {"session_id": str(session.pk), **inprocess.outcome_values(session.pk)}
    wanted = tuple(
        t
        for t in targets.TARGETS
        if t.name in {"group_dashboard", "member_chart", "api_alerts", "api_group_dashboard"}
    )
    assert len(wanted) == 4
    results = inprocess.measure(wanted, people=people, values=values, requests=3, warmup=1)
    for name, result in results.items():
        assert result["status"] == 200, (name, result)
        assert result["queries"] <= 15, (name, result)
