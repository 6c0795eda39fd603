"""The matching benchmark (PERFORMANCE.md): the engine against the first-come-first-served
baseline on synthetic instances. No database: ``python -m kindred.matching.bench --out
FILE`` runs each size in a process of its own (so that each peak RSS is that run's), and
the benchmark orchestrator (``kindred/bench/run.py``) calls it.

``instance`` makes a deterministic, realistic waitlist: three states (IL, KS central
time, FL eastern), twelve concerns of uneven frequency, availability windows on
weekdays and Saturdays, a mix of online, in-person and either, groups online, in person
and hybrid with facilitators who cover one to three states, some age- and
gender-specific groups, a Spanish-speaking minority, other groups' sessions,
screening outcomes and "do not place with" records for about 1 % of people.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from random import Random
from statistics import median
from typing import Any

from kindred.matching.engine import greedy, solve
from kindred.matching.scoring import concern_factor
from kindred.matching.types import Group, Interval, Modality, Person, Problem, Solution, Weights

SIZES = ((1_000, 100), (5_000, 500), (10_000, 1_000))
TARGET_SECONDS = 10.0  # for 10,000 x 1,000 on 2 cores
TARGET_GAP = 0.01
DAY = 24 * 60
STATES = ("IL", "KS", "FL")
STATE_WEIGHTS = (45, 20, 35)
UTC_OFFSET_HOURS = {"IL": 6, "KS": 6, "FL": 5}  # standard time, minutes west of UTC / 60
CONCERNS = tuple(range(1, 13))
CONCERN_WEIGHTS = (20, 16, 12, 10, 8, 7, 6, 5, 5, 4, 4, 3)
LOCATIONS_PER_STATE = 20
FACILITATORS = 200


def _week_minute(state: str, day: int, hour: float) -> int:
    """Local time on day 0-5 (Monday-Saturday) as a minute of the week in UTC."""
    return day * DAY + round((hour + UTC_OFFSET_HOURS[state]) * 60)


def _locations(state: str) -> list[int]:
    base = STATES.index(state) * LOCATIONS_PER_STATE + 1
    return list(range(base, base + LOCATIONS_PER_STATE))


def _concerns(rng: Random, low: int, high: int) -> frozenset[int]:
    count = rng.randint(low, high)
    chosen: set[int] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(CONCERNS, CONCERN_WEIGHTS)[0])
    return frozenset(chosen)


def _meeting_hour(rng: Random) -> float:
    # Evenings are the most wanted; half-hour starts from 9:00 to 19:30.
    hour = rng.choices(range(9, 20), weights=(2, 2, 2, 2, 2, 2, 3, 4, 6, 6, 5))[0]
    return hour + rng.choice((0.0, 0.5))


def _groups(rng: Random, count: int) -> list[Group]:
    groups = []
    for j in range(count):
        state = rng.choices(STATES, STATE_WEIGHTS)[0]
        roll = rng.random()
        modality = (
            Modality.VIRTUAL if roll < 0.5 else Modality.IN_PERSON if roll < 0.8 else
            Modality.HYBRID
        )  # fmt: skip
        covered = {state}
        spread = rng.random()
        if spread > 0.6:
            covered.add(rng.choice(STATES))
        if spread > 0.9:
            covered.update(STATES)
        day = rng.randrange(6)
        start = _week_minute(state, day, _meeting_hour(rng))
        meetings = [Interval(start, start + 90)]
        if rng.random() < 0.05:  # twice weekly
            other = _week_minute(state, (day + 3) % 6, _meeting_hour(rng))
            meetings.append(Interval(other, other + 90))
        max_size = rng.randint(8, 12)
        forming = rng.random() < 0.3
        size = rng.randint(0, 3) if forming else rng.randint(max_size - 6, max_size - 1)
        kind = rng.random()
        min_age, max_age = (
            (13, 17) if kind < 0.08 else (60, None) if kind < 0.18 else
            (18, 30) if kind < 0.23 else (None, None)
        )  # fmt: skip
        members = frozenset(rng.sample(range(10_000_000, 10_200_000), size))
        groups.append(
            Group(
                group_id=j + 1,
                open_seats=max_size - size,
                size=size,
                min_size=rng.randint(5, 6),
                modality=modality,
                meetings=tuple(meetings),
                covered_states=frozenset(covered),
                location_id=(
                    None if modality is Modality.VIRTUAL else rng.choice(_locations(state))
                ),
                language="es" if rng.random() < 0.08 else "en",
                min_age=min_age,
                max_age=max_age,
                gender_focus=rng.choices(("", "woman", "man"), (90, 7, 3))[0],
                focus_concerns=_concerns(rng, 1, 2),
                member_client_ids=members,
                member_concern_sets=tuple(_concerns(rng, 1, 3) for _ in range(size)),
                facilitator_ids=frozenset(
                    rng.sample(range(1, FACILITATORS + 1), rng.randint(1, 2))
                ),
            )
        )
    return groups


def _availability(rng: Random, state: str) -> tuple[Interval, ...]:
    windows = []
    for day in sorted(rng.sample(range(6), rng.randint(1, 4))):
        start = rng.choice((8, 9, 10, 12, 14, 16, 17, 17, 18, 18))
        length = rng.randint(2, 5)
        end = min(start + length, 22)
        windows.append(Interval(_week_minute(state, day, start), _week_minute(state, day, end)))
    return tuple(windows)


def _people(rng: Random, count: int, groups: list[Group]) -> list[Person]:
    people = []
    member_ids = sorted({c for g in groups for c in g.member_client_ids})
    for i in range(count):
        state = rng.choices(STATES, STATE_WEIGHTS)[0]
        roll = rng.random()
        modality = (
            Modality.VIRTUAL if roll < 0.45 else Modality.IN_PERSON if roll < 0.7 else
            Modality.EITHER
        )  # fmt: skip
        age_roll = rng.random()
        age = None if age_roll < 0.03 else rng.randint(13, 17) if age_roll < 0.1 else (
            rng.randint(18, 85))  # fmt: skip
        busy: tuple[Interval, ...] = ()
        if rng.random() < 0.1:
            start = _week_minute(state, rng.randrange(6), _meeting_hour(rng))
            busy = (Interval(start, start + 90),)
        excluded: frozenset[int] = frozenset()
        if rng.random() < 0.01:
            excluded = frozenset(
                {rng.choice(member_ids) if rng.random() < 0.5 and member_ids else
                 1 + rng.randrange(count)}
            )  # fmt: skip
        people.append(
            Person(
                entry_id=i + 1,
                client_id=i + 1,
                state=state,
                age=age,
                gender=rng.choices(("woman", "man", "nonbinary", ""), (55, 40, 4, 1))[0],
                language=rng.choices(("en", "es", "pl"), (90, 9, 1))[0],
                modality=modality,
                availability=_availability(rng, state),
                concerns=_concerns(rng, 1, 3),
                waited_days=int(rng.expovariate(1 / 90)),
                urgency=rng.choices((0, 1, 2), (80, 15, 5))[0],
                location_ids=(
                    frozenset(rng.sample(_locations(state), rng.randint(1, 3)))
                    if modality is not Modality.VIRTUAL
                    else frozenset()
                ),
                busy=busy,
                excluded_client_ids=excluded - {i + 1},
                only_group_id=rng.randint(1, len(groups)) if rng.random() < 0.02 else None,
                blocked_group_ids=(
                    frozenset({rng.randint(1, len(groups))}) if rng.random() < 0.02 else frozenset()
                ),
                referred_to_individual_care=rng.random() < 0.005,
                previous_facilitator_ids=(
                    frozenset({rng.randint(1, FACILITATORS)}) if rng.random() < 0.1 else frozenset()
                ),
            )
        )
    return people


def instance(people: int, groups: int, *, seed: int = 2026) -> Problem:
    rng = Random(f"matching:{seed}:{people}:{groups}")  # noqa: S311 - synthetic data
    made = _groups(rng, groups)
    return Problem(people=tuple(_people(rng, people, made)), groups=tuple(made))


def _figures(problem: Problem, solution: Solution, seconds: float) -> dict[str, Any]:
    people = {p.entry_id: p for p in problem.people}
    groups = {g.group_id: g for g in problem.groups}
    overlaps = [concern_factor(people[p.entry_id], groups[p.group_id]) for p in solution.placements]
    waits = sorted(people[p.entry_id].waited_days for p in solution.placements)
    waited = sum(waits)
    return {
        "seconds": round(seconds, 3),
        "status": solution.status,
        "objective": round(solution.objective, 1),
        "bound": round(solution.bound, 1),
        "gap": round(solution.gap, 6),
        "placements": len(solution.placements),
        "mean_concern_overlap": round(sum(overlaps) / len(overlaps), 4) if overlaps else None,
        "mean_waited_days_placed": (
            round(waited / len(solution.placements), 1) if solution.placements else None
        ),
        "median_waited_days_placed": median(waits) if waits else None,
        # The longest wait among those left out although a group fitted them.
        "longest_waited_days_left_out_fitted": max(
            (
                people[u.entry_id].waited_days
                for u in solution.unplaced
                if u.fitted and not u.placed_elsewhere
            ),
            default=None,
        ),
        "suggestions": len(solution.suggestions),
    }


def _top_mean(problem: Problem, solution: Solution, count: int) -> float | None:
    days = {p.entry_id: p.waited_days for p in problem.people}
    top = sorted((days[p.entry_id] for p in solution.placements), reverse=True)[:count]
    return round(sum(top) / len(top), 1) if top else None


def run(
    people: int,
    groups: int,
    *,
    seed: int = 2026,
    time_limit: float = 10.0,
    weights: Weights | None = None,
) -> dict[str, Any]:
    """Solve one instance with the engine and with the baseline; wall time of each, peak
    RSS of this process (both runs), and the figures PERFORMANCE.md asks for. ``weights``
    default to the engine's defaults."""
    problem = instance(people, groups, seed=seed)
    problem = Problem(
        people=problem.people,
        groups=problem.groups,
        weights=weights or Weights(),
        time_limit_seconds=time_limit,
    )
    started = time.perf_counter()
    optimized = solve(problem)
    milp_s = time.perf_counter() - started
    started = time.perf_counter()
    baseline = greedy(problem)
    greedy_s = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    milp = _figures(problem, optimized, milp_s)
    first_come = _figures(problem, baseline, greedy_s)
    return {
        "people": people,
        "groups": groups,
        "seats": sum(max(g.open_seats, 0) for g in problem.groups),
        "time_limit_seconds": time_limit,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "milp": milp,
        "greedy": first_come,
        "extra_placements": milp["placements"] - first_come["placements"],
        # The engine's longest-waiting placed people, as many as the baseline placed: their
        # mean wait against the baseline's (the same number of people on both sides).
        "milp_mean_waited_days_top_greedy_count": _top_mean(
            problem, optimized, first_come["placements"]
        ),
        "meets_target": (
            people < SIZES[-1][0] or (milp_s <= TARGET_SECONDS and milp["gap"] <= TARGET_GAP)
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.matching.bench")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument(
        "--size",
        help="PEOPLExGROUPS: run one size in this process (default: every size, "
        "each in a process of its own)",
    )
    args = parser.parse_args(argv)
    if args.size:
        people, groups = (int(part) for part in args.size.lower().split("x"))
        result: Any = run(people, groups, seed=args.seed, time_limit=args.time_limit)
    else:
        result = []
        for people, groups in SIZES:
            out = args.out.with_suffix(f".{people}x{groups}.json")
            subprocess.run(  # noqa: S603 - our own module, our own arguments
                [sys.executable, "-m", "kindred.matching.bench", "--out", str(out),
                 "--seed", str(args.seed), "--time-limit", str(args.time_limit),
                 "--size", f"{people}x{groups}"],
                check=True,
            )  # fmt: skip
            result.append(json.loads(out.read_text(encoding="utf-8")))
            out.unlink()
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
