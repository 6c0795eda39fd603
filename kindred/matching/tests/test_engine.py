"""The engine on small instances whose best answer can be checked by hand."""

import pytest

from kindred.matching.engine import evaluate, greedy, solve
from kindred.matching.pairs import build
from kindred.matching.scoring import placement_points
from kindred.matching.tests.factories import group, person
from kindred.matching.types import (
    EXAMPLES,
    Interval,
    Modality,
    Problem,
    Rule,
    RuleCount,
    Solution,
    Weights,
)


def placed(solution: Solution) -> dict[int, int]:
    return {p.entry_id: p.group_id for p in solution.placements}


def test_places_both_where_first_come_first_served_places_one():
    # Ana has waited longest and fits both groups, the first a little better; Ben fits
    # only the first. Greedy gives Ana the first and leaves Ben out.
    ana = person(1, waited_days=90, concerns=frozenset({1, 2}))
    ben = person(2, waited_days=10, concerns=frozenset({1}), state="KS")
    first = group(1, open_seats=1, focus_concerns=frozenset({1, 2}))
    second = group(2, open_seats=1, focus_concerns=frozenset({2}), covered_states=frozenset({"IL"}))
    problem = Problem(people=(ana, ben), groups=(first, second))
    assert placed(greedy(problem)) == {1: 1}
    solution = solve(problem)
    assert placed(solution) == {1: 2, 2: 1}
    assert solution.status == "optimal"
    assert solution.gap == pytest.approx(0, abs=1e-4)
    assert solution.objective >= greedy(problem).objective


def test_each_to_the_group_that_shares_their_concern():
    people = (person(1, concerns=frozenset({1})), person(2, concerns=frozenset({2})))
    groups = (group(1, open_seats=1, focus_concerns=frozenset({2})),
              group(2, open_seats=1, focus_concerns=frozenset({1})))  # fmt: skip
    solution = solve(Problem(people=people, groups=groups))
    assert placed(solution) == {1: 2, 2: 1}
    for p in solution.placements:
        assert p.score == pytest.approx(sum(r.points for r in p.reasons))
        assert p.reasons[0].preference == "concern_overlap"
    total = placement_points(Weights()) * 2 + sum(p.score for p in solution.placements)
    assert solution.objective == pytest.approx(total)


def test_the_longest_waiting_get_the_last_seat():
    people = (person(1, waited_days=5), person(2, waited_days=300), person(3, waited_days=40))
    solution = solve(Problem(people=people, groups=(group(1, open_seats=1),)))
    assert placed(solution) == {2: 1}
    assert {u.entry_id: (u.blocked, u.fitted, u.fitted_examples) for u in solution.unplaced} == {
        1: ((), 1, (1,)),
        3: ((), 1, (1,)),
    }


def test_people_who_must_not_meet_are_never_placed_together():
    a = person(1, excluded_client_ids=frozenset({1002}), waited_days=50)
    b = person(2, waited_days=40)
    c = person(3, waited_days=1)
    solution = solve(Problem(people=(a, b, c), groups=(group(1, open_seats=2),)))
    assert placed(solution) == {1: 1, 3: 1}
    # Ben fitted; someone else had to have the place.
    assert solution.unplaced[0].entry_id == 2
    assert solution.unplaced[0].blocked == ()
    assert solution.unplaced[0].fitted == 1


def test_the_fill_bonus_starts_a_group():
    # A group of three that needs two more to start, and a running group: both people go
    # to the one that can then start, though the running one fits them as well.
    forming = group(1, size=3, min_size=5, open_seats=5)
    running = group(2, size=6, min_size=5, open_seats=2)
    people = (person(1), person(2))
    solution = solve(Problem(people=people, groups=(forming, running)))
    assert placed(solution) == {1: 1, 2: 1}
    for p in solution.placements:
        fill = [r for r in p.reasons if r.preference == "fill_minimum"]
        # Two needed x fill_minimum (2) x 10, shared by the two.
        assert fill[0].points == pytest.approx(20.0)
        assert "minimum of 5" in fill[0].words


def test_the_unplaced_are_told_what_blocked_each_group():
    stranger = person(1, state="FL", language="es")
    groups = (group(1), group(2, modality=Modality.IN_PERSON, location_id=4))
    solution = solve(Problem(people=(stranger,), groups=groups))
    assert solution.status == "empty"
    left = solution.unplaced[0]
    assert (left.groups, left.fitted, left.placed_elsewhere) == (2, 0, False)
    assert left.blocked == (
        RuleCount(Rule.MODALITY, 1, (2,)),
        RuleCount(Rule.LICENSURE, 1, (1,)),
        RuleCount(Rule.LANGUAGE, 2, (1, 2)),
    )


def test_the_explanation_stays_small_and_shows_the_nearest_misses_first():
    """Per rule, a count and at most EXAMPLES groups, whatever the size of the run: the
    groups this rule blocks alone come first (one change away from fitting)."""
    far = [group(j, language="es") for j in range(1, 31)]  # and not licensed in FL
    near = [group(j, open_seats=0) for j in range(31, 61)]
    close = group(61, language="es", covered_states=frozenset({"FL"}))  # language alone
    solution = solve(Problem(people=(person(1, state="FL"),), groups=(*far, *near, close)))
    left = solution.unplaced[0]
    assert left.groups == 61
    by_rule = {r.rule: r for r in left.blocked}
    assert by_rule[Rule.NO_SEATS].groups == 30
    assert by_rule[Rule.LICENSURE].groups == 60
    assert by_rule[Rule.LANGUAGE].groups == 31
    assert by_rule[Rule.LANGUAGE].examples[0] == 61
    assert all(len(r.examples) == min(r.groups, EXAMPLES) for r in left.blocked)


def test_nothing_to_do():
    assert solve(Problem(people=(), groups=(group(1),))).status == "empty"
    alone = solve(Problem(people=(person(1),), groups=()))
    assert alone.status == "empty"
    assert alone.placements == ()
    assert [u.entry_id for u in alone.unplaced] == [1]


def test_a_time_limit_returns_the_best_found_with_its_gap():
    people = tuple(person(i, waited_days=i, concerns=frozenset({i % 3})) for i in range(1, 9))
    groups = (group(1, open_seats=2, focus_concerns=frozenset({0})),
              group(2, open_seats=2, focus_concerns=frozenset({1})))  # fmt: skip
    solution = solve(Problem(people=people, groups=groups, time_limit_seconds=0))
    assert solution.status == "time_limit"
    assert len(solution.placements) == 4  # the baseline's answer
    assert solution.bound > solution.objective
    assert solution.gap == pytest.approx((solution.bound - solution.objective) / solution.bound)
    full = solve(Problem(people=people, groups=groups))
    assert full.status == "optimal"
    assert full.objective >= solution.objective
    assert full.objective <= solution.bound


def test_evaluate_agrees_with_the_solution():
    people = (person(1, concerns=frozenset({1})), person(2, waited_days=3))
    problem = Problem(people=people, groups=(group(1, focus_concerns=frozenset({1})),))
    solution = solve(problem)
    assert evaluate(problem, placed(solution)) == pytest.approx(solution.objective)


def test_pairs_come_sorted_whatever_the_input_order():
    people = (person(3), person(1), person(2))
    groups = (group(2), group(1))
    pairs = build(Problem(people=people, groups=groups))
    assert [p.entry_id for p in pairs.people] == [1, 2, 3]
    assert pairs.person.tolist() == [0, 0, 1, 1, 2, 2]
    assert pairs.group.tolist() == [0, 1, 0, 1, 0, 1]


def test_twice_weekly_and_other_groups():
    busy = person(1, busy=(Interval(16 * 60, 17 * 60),))
    free = person(2)
    solution = solve(Problem(people=(busy, free), groups=(group(1),)))
    assert placed(solution) == {2: 1}
    assert solution.unplaced[0].blocked == (RuleCount(Rule.OVERLAP, 1, (1,)),)


def test_a_very_large_run_keeps_each_persons_best_groups(monkeypatch):
    from kindred.matching import engine

    monkeypatch.setattr(engine, "MAX_PROGRAM_PAIRS", 6)
    monkeypatch.setattr(engine, "MIN_CANDIDATES", 2)
    people = tuple(person(i, waited_days=i, concerns=frozenset({i % 4})) for i in range(1, 7))
    groups = tuple(group(j, open_seats=1, focus_concerns=frozenset({j % 4})) for j in range(1, 5))
    problem = Problem(people=people, groups=groups)
    solution = solve(problem)
    assert solution.pruned_pairs == 6 * 4 - 6 * 2
    assert len(solution.placements) == 4
    assert solution.objective >= greedy(problem).objective
    assert solve(Problem(people=people, groups=groups[:1])).pruned_pairs == 0


@pytest.mark.parametrize("bad", [-1.0, 10.5, float("nan")])
def test_weights_out_of_range_are_refused(bad):
    problem = Problem(people=(person(1),), groups=(group(1),), weights=Weights(urgency=bad))
    with pytest.raises(ValueError, match="'urgency' must be between 0 and 10"):
        solve(problem)
    with pytest.raises(ValueError, match="urgency"):
        greedy(problem)


def test_when_the_relaxation_is_fractional_branch_and_bound_decides():
    # Three people who must not meet one another and one group: the LP relaxation puts
    # half of each in it; only the integer program can show that one is the best.
    trio = tuple(
        person(i, waited_days=10 * i,
               excluded_client_ids=frozenset({1001, 1002, 1003} - {1000 + i}))
        for i in (1, 2, 3)
    )  # fmt: skip
    solution = solve(Problem(people=trio, groups=(group(1, open_seats=3),)))
    assert placed(solution) == {3: 1}
    assert solution.status == "optimal"
    assert solution.gap == pytest.approx(0, abs=1e-4)


def test_a_client_with_two_entries_is_placed_once():
    # Waiting for group 1 in particular, and for any group: one place, not two.
    particular = person(1, client_id=500, only_group_id=1, waited_days=30)
    general = person(2, client_id=500, waited_days=30)
    groups = (group(1), group(2))
    for answer in (solve(Problem(people=(particular, general), groups=groups)),
                   greedy(Problem(people=(particular, general), groups=groups))):  # fmt: skip
        assert len(answer.placements) == 1


def test_new_groups_are_suggested_for_those_still_waiting():
    evening = (Interval(1440 + 18 * 60, 1440 + 21 * 60),)  # Tuesday, no group then
    alike = tuple(person(i, availability=evening, concerns=frozenset({2})) for i in range(1, 7))
    # Entry 1's client is placed through another entry: not counted again.
    other_entry = person(9, client_id=1001, concerns=frozenset({2}))
    solution = solve(Problem(people=(*alike, other_entry), groups=(group(1, open_seats=1),)))
    assert placed(solution) == {9: 1}
    [suggestion] = solution.suggestions
    assert suggestion.entry_ids == (2, 3, 4, 5, 6)
    assert suggestion.concern_id == 2
