"""Properties of the engine on random instances (hypothesis): the array checks agree with
the rules and scores one pair at a time; no answer ever breaks a hard rule; the
optimizer places at least as many people as first come, first served, with an objective
at least as high; the same input always gives the same answer."""

from collections import Counter
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kindred.matching.engine import evaluate, greedy, solve
from kindred.matching.pairs import build, rules_of
from kindred.matching.rules import blocking_rules, excluded_together
from kindred.matching.scoring import Waits, pair_score, placement_points
from kindred.matching.types import (
    EXAMPLES,
    Group,
    Interval,
    Modality,
    Person,
    Problem,
    Rule,
    Solution,
    Unplaced,
    Weights,
)

DAY = 24 * 60
# A few fixed times, so that random availability and meetings often meet.
TIMES = [Interval(d * DAY + h * 60, d * DAY + h * 60 + 90) for d in (0, 1) for h in (10, 18)]
WINDOWS = [Interval(d * DAY + 9 * 60, d * DAY + 13 * 60) for d in (0, 1)] + [
    Interval(d * DAY + 17 * 60, d * DAY + 21 * 60) for d in (0, 1)
]
STATES = ["IL", "KS", "FL"]
GENDERS = ["", "woman", "man"]
CLIENTS = list(range(1, 16))
MEMBERS = list(range(100, 106))
concerns = st.frozensets(st.integers(1, 4), max_size=3)


def sometimes(strategy: st.SearchStrategy, usual: object) -> st.SearchStrategy:
    """``strategy`` about one time in three, ``usual`` otherwise."""
    return st.integers(0, 2).flatmap(lambda roll: strategy if roll == 0 else st.just(usual))


def rarely(strategy: st.SearchStrategy, usual: object) -> st.SearchStrategy:
    """``strategy`` about one time in ten, ``usual`` otherwise."""
    return st.integers(0, 9).flatmap(lambda roll: strategy if roll == 0 else st.just(usual))


@st.composite
def people(draw: st.DrawFn, groups: int) -> list[Person]:
    count = draw(st.integers(0, 14))
    # Duplicates on purpose: a client may wait for a group and for any group at once.
    clients = draw(st.lists(st.sampled_from(CLIENTS), min_size=count, max_size=count))
    out = []
    for entry, client in enumerate(clients, start=1):
        out.append(
            Person(
                entry_id=entry * 7,
                client_id=client,
                state=draw(st.sampled_from(STATES)),
                age=draw(sometimes(st.integers(12, 80), None)),
                gender=draw(st.sampled_from(GENDERS)),
                language=draw(st.sampled_from(["en"] * 5 + ["ES"])),
                modality=draw(
                    st.sampled_from([Modality.VIRTUAL, Modality.IN_PERSON, Modality.EITHER])
                ),
                availability=tuple(
                    draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=4))
                ),
                concerns=draw(concerns),
                waited_days=draw(st.integers(0, 400)),
                urgency=draw(st.integers(0, 2)),
                location_ids=draw(st.frozensets(st.integers(1, 3), max_size=2)),
                busy=tuple(draw(st.lists(st.sampled_from(TIMES), max_size=1))),
                excluded_client_ids=draw(
                    sometimes(
                        st.frozensets(st.sampled_from(CLIENTS + MEMBERS), max_size=2),
                        frozenset(),
                    )
                ),
                only_group_id=draw(rarely(st.integers(1, groups + 1), None)),
                blocked_group_ids=draw(
                    rarely(st.frozensets(st.integers(1, groups + 1)), frozenset())
                ),
                referred_to_individual_care=draw(rarely(st.just(True), False)),
                previous_facilitator_ids=draw(st.frozensets(st.integers(1, 3), max_size=1)),
            )
        )
    return out


@st.composite
def group_list(draw: st.DrawFn) -> list[Group]:
    out = []
    for gid in range(1, draw(st.integers(0, 5)) + 1):
        modality = draw(st.sampled_from([Modality.VIRTUAL, Modality.IN_PERSON, Modality.HYBRID]))
        size = draw(st.integers(0, 5))
        min_age = draw(rarely(st.integers(13, 30), None))
        members = draw(st.frozensets(st.sampled_from(MEMBERS), max_size=2))
        out.append(
            Group(
                group_id=gid,
                open_seats=draw(st.integers(0, 4)),
                size=size,
                min_size=draw(st.integers(0, 6)),
                modality=modality,
                meetings=tuple(draw(st.lists(st.sampled_from(TIMES), max_size=2, unique=True))),
                covered_states=draw(
                    sometimes(st.frozensets(st.sampled_from(STATES)), frozenset(STATES))
                ),
                location_id=None if modality is Modality.VIRTUAL else draw(st.integers(1, 3)),
                language=draw(st.sampled_from(["en"] * 6 + ["es"])),
                min_age=min_age,
                max_age=draw(rarely(st.integers(40, 70), None)),
                gender_focus=draw(st.sampled_from([""] * 6 + ["Woman"])),
                focus_concerns=draw(concerns),
                member_client_ids=members,
                member_concern_sets=tuple(draw(concerns) for _ in range(size)),
                facilitator_ids=draw(st.frozensets(st.integers(1, 3), max_size=2)),
            )
        )
    return out


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    groups = draw(group_list())
    weights = Weights(*(draw(st.sampled_from([0.0, 1.0, 2.5, 10.0])) for _ in range(6)))
    return Problem(people=tuple(draw(people(len(groups)))), groups=tuple(groups), weights=weights)


SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_the_arrays_agree_with_the_rules_and_the_scores(problem: Problem) -> None:
    pairs = build(problem)
    fitting = {(int(i), int(j)) for i, j in zip(pairs.person, pairs.group, strict=True)}
    waits = Waits.of(pairs.people)
    for k, (i, j) in enumerate(zip(pairs.person, pairs.group, strict=True)):
        p, g = pairs.people[int(i)], pairs.groups[int(j)]
        assert pairs.score[k] == pytest.approx(pair_score(p, g, problem.weights, waits))
    for i, p in enumerate(pairs.people):
        for j, g in enumerate(pairs.groups):
            rules = blocking_rules(p, g)
            assert ((i, j) in fitting) == (rules == ())
            if i in pairs.no_fit:
                assert rules_of(int(pairs.no_fit[i][j])) == rules


def check_explanation(person: Person, groups: dict[int, Group], left: Unplaced) -> None:
    """The compact explanation agrees with the rules, group by group."""
    rules = {gid: blocking_rules(person, g) for gid, g in groups.items()}
    fits = [gid for gid, found in rules.items() if not found]
    assert left.groups == len(groups)
    assert left.fitted == len(fits)
    assert set(left.fitted_examples) <= set(fits)
    assert len(left.fitted_examples) == min(len(fits), EXAMPLES)
    if fits:
        assert left.blocked == ()
        return
    seen = [r for r in Rule if any(r in found for found in rules.values())]
    assert [r.rule for r in left.blocked] == seen
    for count in left.blocked:
        hit = [gid for gid, found in rules.items() if count.rule in found]
        assert count.groups == len(hit)
        assert len(count.examples) == min(len(hit), EXAMPLES)
        assert set(count.examples) <= set(hit)
        fewest = min(len(rules[gid]) for gid in hit)
        assert len(rules[count.examples[0]]) == fewest


def check_hard_rules(problem: Problem, solution: Solution) -> None:
    people = {p.entry_id: p for p in problem.people}
    groups = {g.group_id: g for g in problem.groups}
    placed = Counter(p.entry_id for p in solution.placements)
    assert all(n == 1 for n in placed.values())
    placed_clients = Counter(people[p.entry_id].client_id for p in solution.placements)
    assert all(n == 1 for n in placed_clients.values())
    assert set(placed) | {u.entry_id for u in solution.unplaced} == set(people)
    assert not set(placed) & {u.entry_id for u in solution.unplaced}
    for p in solution.placements:
        assert blocking_rules(people[p.entry_id], groups[p.group_id]) == ()
        assert p.score == pytest.approx(sum(r.points for r in p.reasons))
    per_group = Counter(p.group_id for p in solution.placements)
    for gid, count in per_group.items():
        assert count <= groups[gid].open_seats
    for a, b in combinations(solution.placements, 2):
        if a.group_id == b.group_id:
            assert not excluded_together(people[a.entry_id], people[b.entry_id])
    for u in solution.unplaced:
        check_explanation(people[u.entry_id], groups, u)
        assert u.placed_elsewhere == (people[u.entry_id].client_id in placed_clients)
    total = placement_points(problem.weights) * len(solution.placements)
    total += sum(p.score for p in solution.placements)
    assert solution.objective == pytest.approx(total)
    assert solution.bound >= solution.objective - 1e-6


@SETTINGS
@given(problems())
def test_never_a_hard_rule_broken_and_never_worse_than_the_baseline(problem: Problem) -> None:
    solution = solve(problem)
    baseline = greedy(problem)
    check_hard_rules(problem, solution)
    check_hard_rules(problem, baseline)
    assert len(solution.placements) >= len(baseline.placements)
    assert solution.objective >= baseline.objective - 1e-6
    chosen = {p.entry_id: p.group_id for p in baseline.placements}
    assert evaluate(problem, chosen) == pytest.approx(baseline.objective)
    if solution.status == "optimal":
        assert solution.gap <= 1e-3


def without_time(solution: Solution) -> Solution:
    from dataclasses import replace

    return replace(solution, seconds=0.0)


@SETTINGS
@given(problems(), st.randoms(use_true_random=False))
def test_the_same_input_gives_the_same_answer(problem: Problem, rng) -> None:
    first = without_time(solve(problem))
    assert without_time(solve(problem)) == first
    people, groups = list(problem.people), list(problem.groups)
    rng.shuffle(people)
    rng.shuffle(groups)
    shuffled = Problem(people=tuple(people), groups=tuple(groups), weights=problem.weights)
    again = without_time(solve(shuffled))
    assert again.placements == first.placements
    assert again.objective == pytest.approx(first.objective)
