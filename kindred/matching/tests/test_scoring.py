"""Preference scores: each reason's points, and the points adding up to the score."""

import pytest

from kindred.matching.scoring import (
    Waits,
    fill_bonus,
    fill_need,
    pair_reasons,
    pair_score,
    placement_points,
)
from kindred.matching.tests.factories import group, person
from kindred.matching.types import Reason, Weights

W = Weights(
    concern_overlap=5.0, waited=4.0, urgency=4.0, composition=2.0, fill_minimum=3.0, continuity=1.0
)


def waits(*days: int) -> Waits:
    return Waits(tuple(sorted(days)))


def points(reasons: tuple[Reason, ...]) -> dict[str, float]:
    return {r.preference: r.points for r in reasons}


def test_a_full_fit_earns_every_preference():
    p = person(concerns=frozenset({1, 2}), waited_days=100, urgency=2,
               previous_facilitator_ids=frozenset({9}))  # fmt: skip
    g = group(focus_concerns=frozenset({1, 2, 3}), member_concern_sets=(frozenset({2}),),
              facilitator_ids=frozenset({9}))  # fmt: skip
    reasons = pair_reasons(p, g, W, waits(10, 50, 100))
    assert points(reasons) == {
        "concern_overlap": 50.0,
        "waited": 40.0,
        "urgency": 40.0,
        "composition": 20.0,
        "continuity": 10.0,
    }
    assert pair_score(p, g, W, waits(10, 50, 100)) == pytest.approx(sum(r.points for r in reasons))
    assert "All 2 of their concerns" in reasons[0].words
    assert "the longest in this run" in reasons[1].words


def test_partial_fit():
    p = person(concerns=frozenset({1, 2, 3, 4}), waited_days=25, urgency=1)
    g = group(focus_concerns=frozenset({1}), member_concern_sets=(frozenset({7}),))
    # Waited no longer than one of the four others: a quarter of the waiting points.
    reasons = pair_reasons(p, g, W, waits(3, 25, 40, 60, 100))
    assert points(reasons) == {"concern_overlap": 12.5, "waited": 10.0, "urgency": 20.0}
    assert "Shares 1 of their 4 concerns" in reasons[0].words
    assert reasons[1].words == (
        "Has waited 25 days, as long as or longer than 25 % of the others in this run "
        "(the longest wait: 100)."
    )


def test_the_wait_is_always_shown_even_at_zero_points():
    p = person(concerns=frozenset({5}), waited_days=0)
    reasons = pair_reasons(p, group(member_concern_sets=(frozenset({1}),)), W, waits(0, 0))
    assert [(r.preference, r.points) for r in reasons] == [("waited", 0.0)]


def test_composition_avoids_the_odd_one_out():
    lonely = group(member_concern_sets=(frozenset({2}), frozenset({3})))
    shared = group(member_concern_sets=(frozenset({2}), frozenset({1, 3})))
    forming = group(size=0, member_concern_sets=())
    p = person(concerns=frozenset({1}))
    assert points(pair_reasons(p, lonely, W, waits(10))).get("composition") is None
    assert points(pair_reasons(p, shared, W, waits(10)))["composition"] == 20.0
    assert points(pair_reasons(p, forming, W, waits(10)))["composition"] == 20.0


def test_weights_scale_the_points():
    p = person(concerns=frozenset({1}))
    g = group(focus_concerns=frozenset({1}))
    heavy = Weights(concern_overlap=10, waited=0, urgency=0, composition=0, continuity=0)
    assert pair_score(p, g, heavy, waits(10)) == 100.0
    assert pair_score(p, g, Weights(0, 0, 0, 0, 0, 0), waits(10)) == 0.0


@pytest.mark.parametrize(
    ("size", "min_size", "seats", "need"),
    [(0, 5, 8, 5), (3, 5, 8, 2), (5, 5, 3, 0), (6, 5, 3, 0), (0, 5, 3, 0)],
)
def test_fill_need(size, min_size, seats, need):
    g = group(size=size, min_size=min_size, open_seats=seats)
    assert fill_need(g) == need
    assert fill_bonus(g, W) == need * 30.0


def test_a_placement_is_worth_more_than_any_one_score():
    best = 10 * (5 + 4 + 4 + 2 + 1) + 10 * 3
    assert placement_points(W) > best


def test_the_wait_counts_by_rank_in_the_run():
    """A rank, not days over the longest: one very long wait does not squeeze everyone
    else into the bottom of the scale. Ties share the higher rank."""
    run = waits(0, 10, 20, 20, 30, 900)
    assert [run.factor(d) for d in (0, 10, 20, 30, 900)] == [0.0, 0.2, 0.6, 0.8, 1.0]
    assert waits(5).factor(5) == 1.0
    assert waits().factor(3) == 1.0
    assert run.longest == 900


def test_the_defaults_put_waiting_first():
    defaults = Weights()
    assert defaults.waited == 10.0
    assert defaults.waited > defaults.concern_overlap + defaults.urgency
