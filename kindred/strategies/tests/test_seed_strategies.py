"""Seeding coping strategies: the demo through the real services, the scale set in bulk."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from kindred.core.seeding.space import seed_demo_space
from kindred.core.seeding.strategies import seed_demo_strategies, seed_scale_strategies
from kindred.core.testing import Cast
from kindred.measures.models import SafetyAlert
from kindred.strategies.models import Strategy, StrategyMark, StrategyStatus


def test_seed_demo_strategies(cast: Cast) -> None:
    seed_demo_space(groups=[cast.group_a, cast.group_b], seed=7)
    alerts = SafetyAlert.objects.count()
    written = seed_demo_strategies([cast.group_a, cast.group_b], seed=7)
    assert written == Strategy.objects.count()
    group_cards = Strategy.objects.filter(group=cast.group_a)
    assert group_cards.filter(status=StrategyStatus.APPROVED).count() == 3
    assert group_cards.filter(status=StrategyStatus.PENDING).count() == 1
    assert group_cards.filter(status=StrategyStatus.DECLINED).exclude(decline_reason="").exists()
    # group B has one member with an account: nobody to share with.
    assert not Strategy.objects.filter(group=cast.group_b).exists()
    library = Strategy.objects.filter(group__isnull=True)
    assert 1 <= library.count() <= 2
    assert not library.filter(author__isnull=False).exists()
    assert StrategyMark.objects.exists()
    # Marks are never on one's own card.
    assert not StrategyMark.objects.filter(strategy__author=F("user")).exists()
    assert SafetyAlert.objects.count() == alerts  # the demo's cards hold no risk language


def test_seed_scale_strategies(cast: Cast) -> None:
    written = seed_scale_strategies(
        [cast.group_a.pk, cast.group_b.pk], now=timezone.now(), seed=3, batch_size=5
    )
    cards = Strategy.objects.count()
    assert cards >= 2 * 5 + 3
    assert written >= cards
    assert Strategy.objects.filter(status=StrategyStatus.PENDING).count() == 2
    assert Strategy.objects.filter(group__isnull=True).count() == 3
    again = seed_scale_strategies([cast.group_a.pk], now=timezone.now(), seed=3)
    assert again > 0
