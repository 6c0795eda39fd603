"""Seeding safety alerts follows the seeded answers: one alert per flagged answer, the
newest left open, and running it again adds nothing."""

from __future__ import annotations

from datetime import timedelta
from random import Random

from django.utils import timezone

from kindred.core.seeding.outcomes import (
    seed_demo_alerts,
    seed_outcome_settings,
    seed_scale_alerts,
)
from kindred.measures.models import AlertStatus, OutcomeSettings, SafetyAlert
from kindred.measures.safety import PHQ9_ITEM9_FLAG
from kindred.measures.tests.outcome_support import completed

ITEM9 = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 1}


def _flagged(cast, days_ago: int):
    return completed(
        cast.client,
        "phq9",
        ITEM9,
        flags=[PHQ9_ITEM9_FLAG],
        group=cast.group_a,
        when=timezone.now() - timedelta(days=days_ago),
    )


def test_demo_alerts_follow_the_answers(cast):
    _flagged(cast, 20)
    _flagged(cast, 3)
    completed(cast.client_b, "who5", total=20, flags=["who5.poor_wellbeing"])
    assert seed_demo_alerts() == 2
    alerts = list(SafetyAlert.objects.order_by("created_at"))
    assert [a.status for a in alerts] == [AlertStatus.ACKNOWLEDGED, AlertStatus.OPEN]
    assert alerts[0].acknowledged_by == cast.facilitator
    assert seed_demo_alerts() == 2


def test_scale_alerts_in_bulk(cast):
    old = _flagged(cast, 20)
    new = _flagged(cast, 1)
    completed(cast.client_b, "who5", total=20, flags=["who5.poor_wellbeing"])
    counted: list[int] = []
    assert seed_scale_alerts(rng=Random(5), progress=counted.append) == 2
    assert sum(counted) == 2
    by_admin = {a.administration_id: a for a in SafetyAlert.objects.all()}
    assert by_admin[old.pk].status == AlertStatus.ACKNOWLEDGED
    assert by_admin[old.pk].acknowledged_by == cast.facilitator
    assert by_admin[old.pk].action
    assert by_admin[new.pk].status == AlertStatus.OPEN
    assert seed_scale_alerts(rng=Random(5), progress=counted.append) == 0


def test_outcome_settings(cast):
    seed_outcome_settings(clinical_lead=cast.supervisor)
    assert OutcomeSettings.objects.get().clinical_lead == cast.supervisor
