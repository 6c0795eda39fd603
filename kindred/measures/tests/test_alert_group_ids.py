"""The alerts a clinician sees are found through a literal list of their group ids
(measures/safety_selectors.py ``alert_group_ids``): the same groups as the sub-selects
it replaced, one small query, memoised per request, and a list whose query count does
not grow with the number of groups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.core.testing import signed_in
from kindred.groups.access import facilitated_groups_q
from kindred.groups.models import TherapyGroup
from kindred.groups.tests.factories import make_group, person
from kindred.measures.models import SafetyAlert
from kindred.measures.safety import PHQ9_ITEM9_FLAG, raise_alerts_for_administration
from kindred.measures.safety_selectors import alert_group_ids, visible_alerts
from kindred.measures.tests.outcome_support import completed

ITEM9 = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 2}


def alert_for(client: Any, group: Any) -> SafetyAlert:
    admin = completed(client, "phq9", ITEM9, flags=[PHQ9_ITEM9_FLAG], group=group)
    with transaction.atomic():
        return raise_alerts_for_administration(admin)[0]


def old_rule(clinician_ids: list[int]) -> set[int]:
    """The sub-select the literal list replaced."""
    return set(
        TherapyGroup.objects.filter(
            pk__in=TherapyGroup.objects.filter(facilitated_groups_q(clinician_ids)).values("pk")
        ).values_list("pk", flat=True)
    )


def more_groups(cast: Any, count: int) -> list[TherapyGroup]:
    """Groups the cast's facilitator leads, co-facilitates, or covers one session of."""
    from kindred.scheduling.models import GroupSession

    groups = []
    for i in range(count):
        kind = i % 3
        group = make_group(
            cast,
            name=f"Extra {i}",
            lead_facilitator=cast.clinician if kind == 0 else cast.clinician_b,
        )
        if kind == 1:
            group.co_facilitators.add(cast.clinician)
        if kind == 2:
            session = GroupSession.objects.filter(group=group).order_by("starts_at").first()
            if session is None:
                start = timezone.now() + timedelta(days=3)
                session = GroupSession.objects.create(
                    group=group,
                    original_starts_at=start,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=90),
                    modality=group.modality,
                    sequence=1,
                )
            session.substitute_facilitator = cast.clinician
            session.save(update_fields=["substitute_facilitator"])
        groups.append(group)
    return groups


def test_the_literal_list_names_the_same_groups_as_the_sub_selects(cast):
    more_groups(cast, 6)
    assert set(alert_group_ids(cast.facilitator) or []) == old_rule([cast.clinician.pk])
    assert len(alert_group_ids(cast.facilitator) or []) == 1 + 6
    assert alert_group_ids(cast.admin) is None  # every group
    assert alert_group_ids(cast.coordinator) == []
    assert alert_group_ids(cast.member) == []
    assert alert_group_ids(None) == []


def test_a_supervisor_sees_their_supervisees_groups(cast):
    supervisor = cast.supervisor.clinician
    expected = old_rule([supervisor.pk, *supervisor.supervisees.values_list("pk", flat=True)])
    assert set(alert_group_ids(cast.supervisor) or []) == expected
    assert cast.group_a.pk in expected or not supervisor.supervisees.exists()


def test_the_ids_are_asked_once_per_request(cast):
    memo = type("Request", (), {})()
    first = alert_group_ids(cast.facilitator, memo=memo)
    with CaptureQueriesContext(connection) as ctx:
        again = alert_group_ids(cast.facilitator, memo=memo)
    assert again == first
    assert len(ctx.captured_queries) == 0


def test_every_visible_alert_is_still_visible(cast):
    groups = more_groups(cast, 3)
    mine = [alert_for(cast.client, cast.group_a)]
    for i, group in enumerate(groups):
        client = person(f"Alerted{i}")
        mine.append(alert_for(client, group))
    other = alert_for(cast.outsider_client, cast.group_b)
    seen = set(visible_alerts(cast.facilitator).values_list("pk", flat=True))
    resolved = visible_alerts(cast.facilitator, resolve_groups=True)
    assert set(resolved.values_list("pk", flat=True)) == seen == {a.pk for a in mine}
    assert other.pk not in seen
    for who in ("admin", "supervisor", "coordinator", "facilitator_b", "member"):
        user = getattr(cast, who)
        assert set(visible_alerts(user, resolve_groups=True).values_list("pk", flat=True)) == set(
            visible_alerts(user).values_list("pk", flat=True)
        ), who


def test_a_rule_without_the_substitute_branch_is_caught(cast):
    """The deliberately broken variant: groups found by lead and co-facilitator only
    miss the group whose session the clinician covers; the comparison with the old
    rule above notices."""
    more_groups(cast, 3)
    broken = set(
        TherapyGroup.objects.filter(lead_facilitator=cast.clinician).values_list("pk", flat=True)
    ) | set(cast.clinician.co_facilitated_groups.values_list("pk", flat=True))
    assert broken != old_rule([cast.clinician.pk])
    assert set(alert_group_ids(cast.facilitator) or []) == old_rule([cast.clinician.pk])


def _count(http: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_alert_api_query_count_does_not_grow_with_groups(cast):
    http = signed_in(cast.facilitator)
    alert_for(cast.client, cast.group_a)
    http.get("/api/v1/alerts/")
    small = _count(http, "/api/v1/alerts/")
    for i, group in enumerate(more_groups(cast, 9)):
        alert_for(person(f"Many{i}"), group)
    large = _count(http, "/api/v1/alerts/")
    assert large == small
    assert len(http.get("/api/v1/alerts/").json()["results"]) == 10
