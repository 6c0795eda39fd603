"""The matching engine (issue 6): a mixed-integer program solved by HiGHS through
``scipy.optimize.milp``. Pure: no Django, no ORM; typed input and output
(``kindred.matching.types``). docs/matching.md describes the model and its figures.

Variables
    x[p,g] in {0,1} for every pair that breaks no hard rule (``pairs.build``; pairs that
    break one are never variables, so no hard rule can be violated);
    y[g] in {0,1} for each group below its minimum size that the run could bring there.
Constraints
    each person at most once:          sum_g x[p,g] <= 1  (over all of a client's entries)
    the group's open seats:            sum_p x[p,g] <= seats[g]   (only where it binds)
    the fill indicator:                need[g] * y[g] <= sum_p x[p,g]
    "do not place with" in this run:   x[p,g] + x[q,g] <= 1
    never fewer than the baseline:     sum x >= placements of ``greedy`` (added only
                                       when the answer without it places fewer)
Objective (maximised)
    sum (placement + score[p,g]) x[p,g] + sum fill_bonus[g] y[g]

``placement`` (``scoring.placement_points``) is worth more than any one person's score,
so the solver places people before it chooses between them; the last constraint makes
"at least as many as first come, first served" a guarantee rather than a tendency, and
if the time limit stops HiGHS before it finds something at least as good as the
baseline, the baseline is returned (with the solver's bound and the gap).

How it is solved: the LP relaxation first (``linprog``, HiGHS dual simplex). On this
model it is all but integral, so its whole pairs, topped up the baseline's way, are
usually within HiGHS's own gap (``MIP_REL_GAP``) of its value: optimal by the same
measure ``milp`` uses. Only otherwise does ``milp`` (branch and bound) run.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import fields, replace

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from scipy.optimize import (  # type: ignore[import-untyped]
    Bounds,
    LinearConstraint,
    linprog,
    milp,
)

from kindred.matching.pairs import BIT, RULES, Pairs, build
from kindred.matching.scoring import Waits, fill_reason, pair_reasons, placement_points
from kindred.matching.suggestions import suggest_new_groups
from kindred.matching.types import (
    EXAMPLES,
    Placement,
    Problem,
    RuleCount,
    Solution,
    Unplaced,
    Weights,
)

# HiGHS stops when its gap falls below this (relative, on the whole objective).
MIP_REL_GAP = 1e-4
# Above this many fitting pairs, the program keeps each person's best-scoring groups
# only (at least MIN_CANDIDATES each), so that time and memory stay bounded when
# nearly everyone fits nearly everywhere (docs/matching.md).
MAX_PROGRAM_PAIRS = 250_000
MIN_CANDIDATES = 10
TINY = 1e-9
INTEGRAL = 1e-6  # an LP value this close to 1 counts as 1
WEIGHT_MAX = 10
WEIGHT_NAMES = tuple(f.name for f in fields(Weights))

Assignment = dict[int, int]  # person index -> pair index


def evaluate(problem: Problem, chosen: dict[int, int]) -> float:
    """The objective of an assignment ``{entry_id: group_id}``, computed the engine's way
    (for comparing solutions, e.g. the optimizer's with the baseline's)."""
    pairs = build(problem)
    return _objective(problem, pairs, _pair_indices(pairs, chosen))


def _pair_indices(pairs: Pairs, chosen: dict[int, int]) -> list[int]:
    entry = {p.entry_id: i for i, p in enumerate(pairs.people)}
    group = {g.group_id: j for j, g in enumerate(pairs.groups)}
    lookup = {
        (int(i), int(j)): k for k, (i, j) in enumerate(zip(pairs.person, pairs.group, strict=True))
    }
    return [lookup[(entry[e], group[g])] for e, g in chosen.items()]


def _objective(problem: Problem, pairs: Pairs, chosen: list[int]) -> float:
    if not chosen:
        return 0.0
    k = np.asarray(sorted(chosen), dtype=np.int64)
    counts = np.bincount(pairs.group[k], minlength=len(pairs.groups))
    filled = (pairs.fill_need > 0) & (counts >= pairs.fill_need)
    value = placement_points(problem.weights) * k.size + float(pairs.score[k].sum())
    return value + float(pairs.fill_bonus[filled].sum())


def _upper_bound(problem: Problem, pairs: Pairs) -> float:
    """A bound no assignment can beat: everyone at their best pair, every fill bonus."""
    if pairs.size == 0:
        return 0.0
    best = np.full(len(pairs.people), -np.inf)
    np.maximum.at(best, pairs.person, pairs.score)
    has = np.isfinite(best)
    value = placement_points(problem.weights) * int(has.sum()) + float(best[has].sum())
    return value + float(pairs.fill_bonus[pairs.fill_need > 0].sum())


# --- the baseline ---------------------------------------------------------------------


def _ranked(pairs: Pairs) -> np.ndarray:
    """Pair indices by person, then best score first, then group (each person's pairs
    stay where ``pairs.offsets()`` says)."""
    return np.lexsort((pairs.group, -pairs.score, pairs.person))


def _restricted(pairs: Pairs, keep: list[int]) -> np.ndarray:
    """The pairs the program is built on: all of them, or for a very large run each
    person's ``per_person`` best-scoring groups (and every pair in ``keep``)."""
    if pairs.size <= MAX_PROGRAM_PAIRS:
        return np.arange(pairs.size, dtype=np.int64)
    with_pairs = int(np.unique(pairs.person).size)
    per_person = max(MIN_CANDIDATES, MAX_PROGRAM_PAIRS // max(with_pairs, 1))
    ranked = _ranked(pairs)
    offsets = pairs.offsets()
    position = np.arange(pairs.size) - offsets[pairs.person[ranked]]
    chosen = np.zeros(pairs.size, dtype=np.bool_)
    chosen[ranked[position < per_person]] = True
    chosen[np.asarray(keep, dtype=np.int64)] = True
    return np.flatnonzero(chosen)


def _greedy(pairs: Pairs, start: Sequence[int] = ()) -> list[int]:
    """First come, first served: the longest-waiting first (then the most urgent, then
    by entry), each into their best-scoring group that still has a seat and nobody they
    must not be placed with. ``start``: pairs already chosen (the others fill in)."""
    order = sorted(
        range(len(pairs.people)),
        key=lambda i: (-pairs.people[i].waited_days, -pairs.people[i].urgency,
                       pairs.people[i].entry_id),
    )  # fmt: skip
    offsets = pairs.offsets().tolist()
    ranked = _ranked(pairs).tolist()
    groups = pairs.group.tolist()
    seats = pairs.seats.tolist()
    apart: dict[int, set[int]] = defaultdict(set)
    for a, b in pairs.run_exclusions:
        apart[a].add(b)
        apart[b].add(a)
    placed_in: dict[int, int] = {}  # person index -> group index
    clients = pairs.client.tolist()
    placed_clients: set[int] = set()
    chosen: list[int] = []
    for k in start:
        i, j = int(pairs.person[k]), groups[k]
        seats[j] -= 1
        placed_in[i] = j
        placed_clients.add(clients[i])
        chosen.append(int(k))
    for i in order:
        if i in placed_in or clients[i] in placed_clients:
            continue
        for k in ranked[offsets[i] : offsets[i + 1]]:
            j = groups[k]
            if seats[j] <= 0 or any(placed_in.get(q) == j for q in apart.get(i, ())):
                continue
            seats[j] -= 1
            placed_in[i] = j
            placed_clients.add(clients[i])
            chosen.append(k)
            break
    return sorted(chosen)


# --- the program ----------------------------------------------------------------------


def _clashing_pairs(pairs: Pairs) -> np.ndarray:
    """(pair of p, pair of q) for people of this run who must not share a group and
    could both join the same one."""
    found: list[tuple[int, int]] = []
    offsets = pairs.offsets()
    for a, b in pairs.run_exclusions:
        theirs = {int(pairs.group[k]): k for k in range(int(offsets[b]), int(offsets[b + 1]))}
        for k in range(int(offsets[a]), int(offsets[a + 1])):
            other = theirs.get(int(pairs.group[k]))
            if other is not None:
                found.append((k, other))
    return np.asarray(found, dtype=np.int64).reshape(-1, 2)


def _program(
    problem: Problem, pairs: Pairs, at_least: int
) -> tuple[np.ndarray, np.ndarray, LinearConstraint, int]:
    """(objective to minimise, integrality, constraints, number of x variables)."""
    K = pairs.size  # noqa: N806 - the model's notation
    m = len(pairs.groups)
    per_group = np.bincount(pairs.group, minlength=m)
    fill_groups = np.flatnonzero((pairs.fill_need > 0) & (per_group >= pairs.fill_need))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    row = 0
    every = np.arange(K, dtype=np.int64)

    def add(r: np.ndarray, c: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        nonlocal row
        rows.append(r + row)
        cols.append(c)
        vals.append(v)
        lower.append(lo)
        upper.append(hi)
        row += lo.size

    # Each person at most once, counting two entries of one client as one person (only
    # those with two or more pairs need a row).
    people, person_rows, per_person = np.unique(
        pairs.client[pairs.person], return_inverse=True, return_counts=True
    )
    several = np.flatnonzero(per_person > 1)
    prow = np.full(people.size, -1, dtype=np.int64)
    prow[several] = np.arange(several.size)
    use = prow[person_rows] >= 0
    add(
        prow[person_rows][use],
        every[use],
        np.ones(int(use.sum())),
        np.full(several.size, -np.inf),
        np.ones(several.size),
    )
    # Seats, where the candidates outnumber them.
    binding = np.flatnonzero(per_group > pairs.seats)
    slot = np.full(m, -1, dtype=np.int64)
    slot[binding] = np.arange(binding.size)
    use = slot[pairs.group] >= 0
    add(
        slot[pairs.group][use],
        every[use],
        np.ones(int(use.sum())),
        np.full(binding.size, -np.inf),
        pairs.seats[binding].astype(np.float64),
    )
    # Fill indicators: need * y - sum x <= 0.
    if fill_groups.size:
        fslot = np.full(m, -1, dtype=np.int64)
        fslot[fill_groups] = np.arange(fill_groups.size)
        use = fslot[pairs.group] >= 0
        r = np.concatenate([fslot[pairs.group][use], np.arange(fill_groups.size)])
        c = np.concatenate([every[use], K + np.arange(fill_groups.size)])
        v = np.concatenate(
            [-np.ones(int(use.sum())), pairs.fill_need[fill_groups].astype(np.float64)]
        )
        add(r, c, v, np.full(fill_groups.size, -np.inf), np.zeros(fill_groups.size))
    # "Do not place with" between people of this run.
    clash = _clashing_pairs(pairs)
    if clash.size:
        n = clash.shape[0]
        add(np.repeat(np.arange(n), 2), clash.ravel(), np.ones(2 * n), np.full(n, -np.inf),
            np.ones(n))  # fmt: skip
    # Never fewer placements than the baseline.
    if at_least > 0:
        add(np.zeros(K, dtype=np.int64), every, np.ones(K), np.array([float(at_least)]),
            np.array([np.inf]))  # fmt: skip
    size = K + fill_groups.size
    matrix = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, size)
    )
    value = np.concatenate(
        [placement_points(problem.weights) + pairs.score, pairs.fill_bonus[fill_groups]]
    )
    constraint = LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper))
    return -value, np.ones(size), constraint, K


def _relaxation(
    problem: Problem, pairs: Pairs, seconds: float
) -> tuple[list[int] | None, float | None]:
    """The program's LP relaxation (HiGHS dual simplex): its value is a bound, and on
    this model its solution is all but integral. The pairs at 1 are kept and the
    baseline's rule fills the rest: (chosen pair indices, bound), or (None, None)."""
    cost, _, constraint, K = _program(problem, pairs, 0)  # noqa: N806
    result = linprog(
        cost,
        A_ub=constraint.A,
        b_ub=constraint.ub,
        bounds=(0, 1),
        method="highs-ds",
        options={"time_limit": max(seconds, 0.05)},
    )
    if result.status != 0 or result.x is None:
        return None, None
    whole = np.flatnonzero(np.asarray(result.x)[:K] > 1 - INTEGRAL).tolist()
    return _greedy(pairs, start=whole), -float(result.fun)


def _solve_program(
    problem: Problem, pairs: Pairs, at_least: int, seconds: float
) -> tuple[list[int] | None, float | None, bool]:
    """(chosen pair indices or None, the solver's bound on the objective, optimal?)."""
    cost, integrality, constraint, K = _program(problem, pairs, at_least)  # noqa: N806
    result = milp(
        cost,
        integrality=integrality,
        bounds=Bounds(0, 1),
        constraints=constraint,
        options={
            "time_limit": max(seconds, 0.05),
            "mip_rel_gap": MIP_REL_GAP,
            # HiGHS's presolve costs more than it saves on this model (measured: the
            # LP relaxation is nearly integral and solves at the root).
            "presolve": False,
            "disp": False,
        },
    )
    dual = getattr(result, "mip_dual_bound", None)
    bound = -float(dual) if dual is not None and np.isfinite(dual) else None
    if result.x is None:
        return None, bound, False
    chosen = np.flatnonzero(np.asarray(result.x)[:K] > 0.5).tolist()
    return chosen, bound, result.status == 0


# --- assembling the answer ------------------------------------------------------------


def _placed_clients(pairs: Pairs, placed: set[int]) -> set[int]:
    return {pairs.people[i].client_id for i in placed}


def _rule_counts(pairs: Pairs) -> dict[int, tuple[RuleCount, ...]]:
    """For each person no group fits, per rule: how many groups it blocked and up to
    ``EXAMPLES`` of them, those with the fewest other rules first, then in group order.
    Computed over all of them at once, a rule at a time."""
    rows = sorted(pairs.no_fit)
    if not rows or not pairs.groups:
        return {}
    masks = np.stack([pairs.no_fit[i] for i in rows])
    m = masks.shape[1]
    key = np.bitwise_count(masks).astype(np.int32) * m + np.arange(m, dtype=np.int32)
    missing = np.iinfo(np.int32).max
    group_ids = np.array([g.group_id for g in pairs.groups], dtype=np.int64)
    k = min(EXAMPLES, m)
    found: dict[int, list[RuleCount]] = {i: [] for i in rows}
    for rule in RULES:
        hit = (masks & BIT[rule]) != 0
        counts = hit.sum(axis=1)
        which = np.flatnonzero(counts)
        if not which.size:
            continue
        keys = np.where(hit[which], key[which], missing)
        nearest = np.argpartition(keys, k - 1, axis=1)[:, :k] if k < m else np.argsort(keys, 1)
        order = np.argsort(np.take_along_axis(keys, nearest, 1), axis=1, kind="stable")
        examples = group_ids[np.take_along_axis(nearest, order, 1)].tolist()
        for row, n, ids in zip(which.tolist(), counts[which].tolist(), examples, strict=True):
            found[rows[row]].append(RuleCount(rule=rule, groups=n, examples=tuple(ids[:n])))
    return {i: tuple(v) for i, v in found.items()}


def _explain_unplaced(pairs: Pairs, placed: set[int]) -> list[Unplaced]:
    """Why each person left out is left out, bounded in size (``types.Unplaced``)."""
    blocked = _rule_counts(pairs)
    offsets = pairs.offsets()
    placed_clients = _placed_clients(pairs, placed)
    unplaced = []
    for i, person in enumerate(pairs.people):
        if i in placed:
            continue
        start, end = int(offsets[i]), int(offsets[i + 1])
        best = start + np.argsort(-pairs.score[start:end], kind="stable")[:EXAMPLES]
        unplaced.append(
            Unplaced(
                entry_id=person.entry_id,
                groups=len(pairs.groups),
                blocked=blocked.get(i, ()),
                fitted=end - start,
                fitted_examples=tuple(pairs.groups[int(j)].group_id for j in pairs.group[best]),
                placed_elsewhere=person.client_id in placed_clients,
            )
        )
    return unplaced


def _solution(
    problem: Problem,
    pairs: Pairs,
    chosen: list[int],
    *,
    bound: float,
    status: str,
    started: float,
    pruned: int = 0,
) -> Solution:
    objective = _objective(problem, pairs, chosen)
    waits = Waits.of(pairs.people)
    counts = np.bincount(
        pairs.group[np.asarray(chosen, dtype=np.int64)], minlength=len(pairs.groups)
    )
    placements = []
    placed: set[int] = set()
    for k in sorted(chosen, key=lambda k: pairs.people[int(pairs.person[k])].entry_id):
        person = pairs.people[int(pairs.person[k])]
        j = int(pairs.group[k])
        group = pairs.groups[j]
        reasons = pair_reasons(person, group, problem.weights, waits)
        if pairs.fill_need[j] > 0 and counts[j] >= pairs.fill_need[j]:
            reasons = (*reasons, fill_reason(group, float(pairs.fill_bonus[j]) / int(counts[j])))
        placements.append(
            Placement(
                entry_id=person.entry_id,
                group_id=group.group_id,
                score=sum(r.points for r in reasons),
                reasons=reasons,
            )
        )
        placed.add(int(pairs.person[k]))
    unplaced = _explain_unplaced(pairs, placed)
    # New groups are for those still waiting for any group, once each.
    placed_clients = _placed_clients(pairs, placed)
    waiting = list(
        {
            p.client_id: p
            for p in pairs.people
            if p.client_id not in placed_clients
            and not p.referred_to_individual_care
            and p.only_group_id is None
        }.values()
    )
    bound = max(bound, objective)
    return Solution(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        suggestions=suggest_new_groups(waiting, list(pairs.groups)),
        objective=objective,
        bound=bound,
        gap=(bound - objective) / max(abs(bound), TINY),
        status=status,
        seconds=time.perf_counter() - started,
        pruned_pairs=pruned,
    )


def greedy(problem: Problem) -> Solution:
    """The first-come-first-served baseline, answered like ``solve`` (status "greedy";
    its bound is the simple one: everyone at their best pair)."""
    check_weights(problem.weights)
    started = time.perf_counter()
    pairs = build(problem)
    chosen = _greedy(pairs)
    return _solution(
        problem,
        pairs,
        chosen,
        bound=_upper_bound(problem, pairs),
        status="greedy" if pairs.size else "empty",
        started=started,
    )


def check_weights(weights: Weights) -> None:
    """Refuse weights outside 0-10 (the forms say so first; this keeps the engine's
    promise that a placement outweighs any one person's fit)."""
    for name in WEIGHT_NAMES:
        value = getattr(weights, name)
        if not (isinstance(value, int | float) and 0 <= value <= WEIGHT_MAX):
            raise ValueError(f"The weight {name!r} must be between 0 and {WEIGHT_MAX}.")


def _better(
    problem: Problem, pairs: Pairs, new: list[int], old: list[int] | None, at_least: int
) -> bool:
    """Whether ``new`` beats ``old``: reaching the baseline's count first, then value."""
    if old is None:
        return True
    if (len(new) >= at_least) != (len(old) >= at_least):
        return len(new) >= at_least
    return _objective(problem, pairs, new) > _objective(problem, pairs, old)


def _search(
    problem: Problem, model: Pairs, at_least_count: int, remaining: Callable[[], float]
) -> tuple[list[int] | None, list[float], bool]:
    """The LP relaxation, then branch and bound if needed: (chosen pair indices of
    ``model`` or None, the bounds found, whether the answer is optimal)."""
    found: list[int] | None = None
    bounds: list[float] = []
    optimal = False
    if remaining() > 0:
        # The LP relaxation first: when its rounded answer is within the solver's own
        # gap of the relaxation's value, it is optimal by the same measure and the
        # branch-and-bound (with its heuristics) is not needed.
        found, lp_bound = _relaxation(problem, model, remaining())
        if found is not None and lp_bound is not None:
            bounds.append(lp_bound)
            value = _objective(problem, model, found)
            optimal = len(found) >= at_least_count and (
                lp_bound - value <= MIP_REL_GAP * max(abs(lp_bound), TINY)
            )
    # Branch and bound when needed: without the "at least as many as the baseline" row
    # first (it is almost never binding, as placing someone is worth more than anyone's
    # fit, and the dense row doubles the solver's time), with it if the answer places
    # fewer.
    for at_least in (0, at_least_count):
        if optimal or remaining() <= 0:
            break
        better, mip_bound, proven = _solve_program(problem, model, at_least, remaining())
        if mip_bound is not None:
            bounds.append(mip_bound)
        if better is None:
            continue
        if _better(problem, model, better, found, at_least_count):
            found = better
        if len(better) >= at_least_count:
            # ``found`` is at least as good as an answer HiGHS proved optimal (among
            # those placing as many as the baseline, on the second pass).
            optimal = proven
            break
    return found, bounds, optimal


def solve(problem: Problem) -> Solution:
    """The best proposal for ``problem`` within ``problem.time_limit_seconds`` (building
    the pairs, the baseline and the solver's run count towards it; explaining the
    answer and suggesting new groups come after)."""
    check_weights(problem.weights)
    started = time.perf_counter()
    pairs = build(problem)
    if pairs.size == 0:
        return _solution(problem, pairs, [], bound=0.0, status="empty", started=started)
    baseline = _greedy(pairs)
    fallback = _objective(problem, pairs, baseline)

    def remaining() -> float:
        return problem.time_limit_seconds - (time.perf_counter() - started)

    kept = _restricted(pairs, baseline)
    model = (
        pairs
        if kept.size == pairs.size
        else replace(pairs, person=pairs.person[kept], group=pairs.group[kept],
                     score=pairs.score[kept])
    )  # fmt: skip
    found, bounds, optimal = _search(problem, model, len(baseline), remaining)
    bound = min(bounds) if bounds else None
    chosen = None if found is None else kept[np.asarray(found, dtype=np.int64)].tolist()
    if chosen is None or len(chosen) < len(baseline):
        chosen, optimal = baseline, False  # the time ran out first
    elif _objective(problem, pairs, chosen) < fallback:
        chosen = baseline  # at least as good as an optimal answer: optimal as well
    pruned = pairs.size - int(kept.size)
    if not pruned:
        # Both are bounds on this run; the smaller is the better one.
        simple = _upper_bound(problem, pairs)
        bound = simple if bound is None else min(bound, simple)
    elif bound is None:
        bound = _upper_bound(problem, model)
    return _solution(
        problem,
        pairs,
        chosen,
        bound=bound,
        status="optimal" if optimal else "time_limit",
        started=started,
        pruned=pruned,
    )
