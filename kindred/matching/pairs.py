"""Every (person, group) pair of a run at once, with numpy: which rules block it and,
for the pairs that fit, their score. Pure: no ORM.

This is the array twin of ``rules.blocking_rules`` and ``scoring.pair_score``; the tests
hold them to the same answers on random instances. People are taken in chunks so that
memory stays proportional to (chunk x groups), not (people x groups).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse  # type: ignore[import-untyped]

from kindred.matching.scoring import POINTS_PER_WEIGHT, fill_bonus, fill_need
from kindred.matching.types import Group, Interval, Modality, Person, Problem, Rule

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

CHUNK = 2048
RULES = tuple(Rule)
BIT = {rule: np.uint16(1 << i) for i, rule in enumerate(RULES)}
_PERSON_MODALITY = {Modality.VIRTUAL: 0, Modality.IN_PERSON: 1, Modality.EITHER: 2}
_GROUP_MODALITY = {Modality.VIRTUAL: 0, Modality.IN_PERSON: 1, Modality.HYBRID: 2}
_RULES_OF_MASK: dict[int, tuple[Rule, ...]] = {}


def rules_of(mask: int) -> tuple[Rule, ...]:
    """The rules in a bit mask, as one shared tuple per distinct mask."""
    found = _RULES_OF_MASK.get(mask)
    if found is None:
        found = tuple(rule for rule in RULES if mask & int(BIT[rule]))
        _RULES_OF_MASK[mask] = found
    return found


def _key(text: str) -> str:
    return text.strip().casefold()


class _Codes:
    """Small integer codes for strings, in order of first sight after sorting."""

    def __init__(self, values: list[str]) -> None:
        self.index = {v: i for i, v in enumerate(sorted(set(values)))}

    def of(self, value: str) -> int:
        return self.index.get(value, -1)


def _bits(sets: list[frozenset[int]], index: dict[int, int], words: int) -> npt.NDArray[np.uint64]:
    out = np.zeros((len(sets), words), dtype=np.uint64)
    for row, values in enumerate(sets):
        for value in values:
            i = index[value]
            out[row, i // 64] |= np.uint64(1) << np.uint64(i % 64)
    return out


def _flatten(intervals: list[tuple[Interval, ...]]) -> tuple[Ints, Ints, Ints]:
    """(owner row, start, end) of every interval, grouped by owner in order."""
    owner = [row for row, ivs in enumerate(intervals) for _ in ivs]
    start = [iv.start for ivs in intervals for iv in ivs]
    end = [iv.end for ivs in intervals for iv in ivs]
    return (
        np.asarray(owner, dtype=np.int64),
        np.asarray(start, dtype=np.int64),
        np.asarray(end, dtype=np.int64),
    )


@dataclass
class Pairs:
    """The run's people and groups (sorted by id) and the pairs that fit.

    ``person``/``group`` index ``people``/``groups``; pairs are sorted by person, then
    group. ``no_fit`` holds, for each person with no pair at all, the rule masks over
    every group (for the explanation of why they were left out).
    """

    people: tuple[Person, ...]
    groups: tuple[Group, ...]
    person: Ints
    group: Ints
    score: Floats
    no_fit: dict[int, npt.NDArray[np.uint16]]
    fill_need: Ints  # per group
    fill_bonus: Floats  # per group
    seats: Ints  # per group
    run_exclusions: list[tuple[int, int]]  # person index pairs, a < b
    # Per person, a code for their client: two entries of one client (waiting for a
    # particular group and for any) share it, and a client is placed once at most.
    client: Ints

    @property
    def size(self) -> int:
        return int(self.person.size)

    def offsets(self) -> Ints:
        """Start of each person's pairs (``np.searchsorted`` over the sorted pairs)."""
        return np.searchsorted(self.person, np.arange(len(self.people) + 1)).astype(np.int64)


class _Encoded:
    def __init__(self, people: tuple[Person, ...], groups: tuple[Group, ...]) -> None:
        n, m = len(people), len(groups)
        self.n, self.m = n, m
        states = _Codes([p.state for p in people] + [s for g in groups for s in g.covered_states])
        self.state_p = np.array([states.of(p.state) for p in people], dtype=np.int64)
        cover = np.zeros((m, max(len(states.index), 1)), dtype=np.bool_)
        for j, g in enumerate(groups):
            for s in g.covered_states:
                cover[j, states.of(s)] = True
        self.cover = cover
        mod_p = np.array([_PERSON_MODALITY.get(p.modality, -1) for p in people], dtype=np.int64)
        mod_g = np.array([_GROUP_MODALITY.get(g.modality, -1) for g in groups], dtype=np.int64)
        self.joins_v = (mod_p == 0) | (mod_p == 2)
        self.joins_i = (mod_p == 1) | (mod_p == 2)
        self.meets_v = (mod_g == 0) | (mod_g == 2)
        self.meets_i = (mod_g == 1) | (mod_g == 2)
        locations = sorted(
            {loc for p in people for loc in p.location_ids}
            | {g.location_id for g in groups if g.location_id is not None}
        )
        loc_index = {loc: i for i, loc in enumerate(locations)}
        self.loc_g = np.array(
            [loc_index[g.location_id] if g.location_id is not None else -1 for g in groups],
            dtype=np.int64,
        )
        self.loc_p = np.zeros((n, max(len(locations), 1)), dtype=np.bool_)
        for i, p in enumerate(people):
            for loc in p.location_ids:
                self.loc_p[i, loc_index[loc]] = True
        # Meetings: each distinct interval once; groups point at them (-1 = none).
        meetings = sorted({(iv.start, iv.end) for g in groups for iv in g.meetings})
        meeting_index = {iv: k for k, iv in enumerate(meetings)}
        self.meeting_start = np.array([s for s, _ in meetings], dtype=np.int64)
        self.meeting_end = np.array([e for _, e in meetings], dtype=np.int64)
        width = max((len(g.meetings) for g in groups), default=0)
        self.group_meetings = np.full((m, width), len(meetings), dtype=np.int64)
        for j, g in enumerate(groups):
            for k, iv in enumerate(g.meetings):
                self.group_meetings[j, k] = meeting_index[(iv.start, iv.end)]
        self.availability = _flatten([p.availability for p in people])
        self.busy = _flatten([p.busy for p in people])
        self.age_p = np.array([-1 if p.age is None else p.age for p in people], dtype=np.int64)
        self.age_limited = np.array(
            [g.min_age is not None or g.max_age is not None for g in groups], dtype=np.bool_
        )
        big = np.iinfo(np.int64).max
        self.min_age = np.array(
            [-1 if g.min_age is None else g.min_age for g in groups], dtype=np.int64
        )
        self.max_age = np.array(
            [big if g.max_age is None else g.max_age for g in groups], dtype=np.int64
        )
        genders = _Codes([_key(p.gender) for p in people] + [_key(g.gender_focus) for g in groups])
        self.gender_p = np.array([genders.of(_key(p.gender)) for p in people], dtype=np.int64)
        self.focus_g = np.array(
            [genders.of(_key(g.gender_focus)) if g.gender_focus else -1 for g in groups],
            dtype=np.int64,
        )
        languages = _Codes([_key(p.language) for p in people] + [_key(g.language) for g in groups])
        self.lang_p = np.array([languages.of(_key(p.language)) for p in people], dtype=np.int64)
        self.lang_g = np.array([languages.of(_key(g.language)) for g in groups], dtype=np.int64)
        self.no_seats = np.array([g.open_seats <= 0 for g in groups], dtype=np.bool_)


def _inside(
    intervals: tuple[Ints, Ints, Ints], rows: range, enc: _Encoded, *, overlap: bool
) -> Bools:
    """(rows x distinct meetings + 1): whether each meeting lies inside one of the row's
    intervals (or, with ``overlap``, overlaps one). The last column is the padding
    meeting: True for "inside", False for "overlap"."""
    owner, start, end = intervals
    count = enc.meeting_start.size
    out = np.zeros((len(rows), count + 1), dtype=np.bool_)
    out[:, count] = not overlap
    lo, hi = np.searchsorted(owner, [rows.start, rows.stop])
    if hi == lo or count == 0:
        return out
    s, e = start[lo:hi, None], end[lo:hi, None]
    ms, me = enc.meeting_start[None, :], enc.meeting_end[None, :]
    hit = (s < me) & (ms < e) if overlap else (s <= ms) & (me <= e)
    np.logical_or.at(out[:, :count], owner[lo:hi] - rows.start, hit)
    return out


def _masks(enc: _Encoded, rows: range) -> npt.NDArray[np.uint16]:
    """Rule masks (rows x groups) for the rules the arrays can check; exclusions with
    members, screening and only-this-group are added sparsely by the caller."""
    sl = slice(rows.start, rows.stop)
    mask = np.zeros((len(rows), enc.m), dtype=np.uint16)

    def add(rule: Rule, blocked: Bools) -> None:
        mask[blocked] |= BIT[rule]

    add(Rule.NO_SEATS, np.broadcast_to(enc.no_seats[None, :], mask.shape))
    virtually = enc.joins_v[sl, None] & enc.meets_v[None, :]
    in_person = enc.joins_i[sl, None] & enc.meets_i[None, :]
    add(Rule.MODALITY, ~(virtually | in_person))
    licensed = enc.cover[:, enc.state_p[sl]].T if enc.state_p.size else virtually
    located = enc.loc_p[sl][:, np.maximum(enc.loc_g, 0)] & (enc.loc_g >= 0)[None, :]
    refused = (virtually | in_person) & ~((virtually & licensed) | (in_person & located))
    add(Rule.LICENSURE, refused & virtually)
    add(Rule.LOCATION, refused & in_person)
    if enc.group_meetings.shape[1]:
        inside = _inside(enc.availability, rows, enc, overlap=False)
        fits = np.ones((len(rows), enc.m), dtype=np.bool_)
        clash = np.zeros((len(rows), enc.m), dtype=np.bool_)
        overlaps = _inside(enc.busy, rows, enc, overlap=True)
        for k in range(enc.group_meetings.shape[1]):
            fits &= inside[:, enc.group_meetings[:, k]]
            clash |= overlaps[:, enc.group_meetings[:, k]]
        add(Rule.SCHEDULE, ~fits)
        add(Rule.OVERLAP, clash)
    age = enc.age_p[sl, None]
    add(
        Rule.AGE,
        enc.age_limited[None, :]
        & ((age < 0) | (age < enc.min_age[None, :]) | (age > enc.max_age[None, :])),
    )
    add(Rule.GENDER, (enc.focus_g >= 0)[None, :] & (enc.gender_p[sl, None] != enc.focus_g[None, :]))
    add(Rule.LANGUAGE, enc.lang_p[sl, None] != enc.lang_g[None, :])
    return mask


def _sparse_rules(
    people: tuple[Person, ...], groups: tuple[Group, ...]
) -> dict[int, list[tuple[int | None, Rule]]]:
    """Per person index, (group index or None for every group, rule) for the rules that
    touch few pairs: exclusions with members, screening, waiting for one group."""
    group_index = {g.group_id: j for j, g in enumerate(groups)}
    groups_of_member: dict[int, list[int]] = defaultdict(list)
    for j, g in enumerate(groups):
        for client in g.member_client_ids:
            groups_of_member[client].append(j)
    out: dict[int, list[tuple[int | None, Rule]]] = defaultdict(list)
    for i, p in enumerate(people):
        for client in p.excluded_client_ids:
            out[i].extend((j, Rule.EXCLUSION) for j in groups_of_member.get(client, ()))
        if p.referred_to_individual_care:
            out[i].append((None, Rule.SCREENING))
        for gid in p.blocked_group_ids:
            if gid in group_index:
                out[i].append((group_index[gid], Rule.SCREENING))
        if p.only_group_id is not None:
            out[i].append((None, Rule.OTHER_GROUP))
            if p.only_group_id in group_index:
                out[i].append((group_index[p.only_group_id], Rule.OTHER_GROUP))  # undone below
    return out


def rule_masks(
    people: tuple[Person, ...], groups: tuple[Group, ...], rows: range
) -> npt.NDArray[np.uint16]:
    """Every rule's mask for people ``rows`` against every group."""
    enc = _Encoded(people, groups)
    return _full_masks(enc, people, groups, rows, _sparse_rules(people, groups))


def _full_masks(
    enc: _Encoded,
    people: tuple[Person, ...],
    groups: tuple[Group, ...],
    rows: range,
    extra: dict[int, list[tuple[int | None, Rule]]],
) -> npt.NDArray[np.uint16]:
    mask = _masks(enc, rows)
    for i in rows:
        for j, rule in extra.get(i, ()):
            r = i - rows.start
            if rule is Rule.OTHER_GROUP and j is not None:
                mask[r, j] &= ~BIT[rule]  # the one group they wait for
            elif j is None:
                mask[r, :] |= BIT[rule]
            else:
                mask[r, j] |= BIT[rule]
    return mask


def _concern_index(people: tuple[Person, ...], groups: tuple[Group, ...]) -> dict[int, int]:
    ids = {c for p in people for c in p.concerns}
    ids |= {c for g in groups for c in g.focus_concerns}
    ids |= {c for g in groups for s in g.member_concern_sets for c in s}
    return {c: i for i, c in enumerate(sorted(ids))}


def _popcount(words: npt.NDArray[np.uint64]) -> Ints:
    return np.bitwise_count(words).sum(axis=1, dtype=np.int64)


def _scores(problem: Problem, people: tuple[Person, ...], groups: tuple[Group, ...],
            pi: Ints, gi: Ints) -> Floats:  # fmt: skip
    """``scoring.pair_score`` for every pair, in the same arithmetic order."""
    w = problem.weights
    index = _concern_index(people, groups)
    words = max(1, -(-len(index) // 64))
    mine = _bits([p.concerns for p in people], index, words)
    focus = _bits([g.focus_concerns for g in groups], index, words)
    union = _bits([frozenset().union(*g.member_concern_sets) for g in groups], index, words)
    has_members = np.array([bool(g.member_concern_sets) for g in groups], dtype=np.bool_)
    counts = _popcount(mine)[pi]
    shared = _popcount(mine[pi] & focus[gi])
    concern = np.divide(shared, counts, out=np.zeros(pi.size, dtype=np.float64), where=counts > 0)
    waited = _waited(people)[pi]
    urgency = np.array([min(max(p.urgency, 0), 2) for p in people], dtype=np.float64)[pi] / 2
    with_members = (mine[pi] & union[gi]).any(axis=1)
    composition = (~has_members[gi] | with_members).astype(np.float64)
    continuity = _continuity(people, groups, pi, gi)
    total = np.zeros(pi.size, dtype=np.float64)
    for weight, factor in (
        (w.concern_overlap, concern),
        (w.waited, waited),
        (w.urgency, urgency),
        (w.composition, composition),
        (w.continuity, continuity),
    ):
        total = total + weight * POINTS_PER_WEIGHT * factor
    return total


def _waited(people: tuple[Person, ...]) -> Floats:
    """``scoring.Waits.factor`` for every person: the share of the others who have
    waited no longer (0 without a wait, 1 for the longest)."""
    days = np.array([max(p.waited_days, 0) for p in people], dtype=np.int64)
    others = days.size - 1
    if others <= 0:
        return (days > 0).astype(np.float64)
    rank = np.searchsorted(np.sort(days), days, side="right") - 1
    return np.where(days > 0, rank / others, 0.0)


def _continuity(
    people: tuple[Person, ...], groups: tuple[Group, ...], pi: Ints, gi: Ints
) -> Floats:
    ids = sorted({f for p in people for f in p.previous_facilitator_ids})
    if not ids or pi.size == 0:
        return np.zeros(pi.size, dtype=np.float64)
    index = {f: k for k, f in enumerate(ids)}

    def incidence(sets: list[frozenset[int]]) -> sparse.csr_array:
        rows = [r for r, s in enumerate(sets) for f in s if f in index]
        cols = [index[f] for s in sets for f in s if f in index]
        data = np.ones(len(rows), dtype=np.int64)
        return sparse.csr_array((data, (rows, cols)), shape=(len(sets), len(ids)))

    known = incidence([p.previous_facilitator_ids for p in people])
    leads = incidence([g.facilitator_ids for g in groups])
    both = (known @ leads.T).tocoo()
    m = len(groups)
    hits = both.row.astype(np.int64) * m + both.col.astype(np.int64)
    return np.isin(pi * m + gi, hits).astype(np.float64)


def _run_exclusions(people: tuple[Person, ...]) -> list[tuple[int, int]]:
    by_client: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        by_client[p.client_id].append(i)
    found: set[tuple[int, int]] = set()
    for i, p in enumerate(people):
        for client in p.excluded_client_ids:
            for k in by_client.get(client, ()):
                if k != i:
                    found.add((min(i, k), max(i, k)))
    return sorted(found)


def build(problem: Problem, chunk: int = CHUNK) -> Pairs:
    people = tuple(sorted(problem.people, key=lambda p: p.entry_id))
    groups = tuple(sorted(problem.groups, key=lambda g: g.group_id))
    enc = _Encoded(people, groups)
    extra = _sparse_rules(people, groups)
    pis: list[Ints] = []
    gis: list[Ints] = []
    no_fit: dict[int, npt.NDArray[np.uint16]] = {}
    for start in range(0, enc.n, chunk):
        rows = range(start, min(start + chunk, enc.n))
        mask = _full_masks(enc, people, groups, rows, extra)
        fits = mask == 0
        r, c = np.nonzero(fits)
        pis.append(r.astype(np.int64) + start)
        gis.append(c.astype(np.int64))
        for row in np.flatnonzero(~fits.any(axis=1)):
            no_fit[start + int(row)] = mask[row].copy()
    pi = np.concatenate(pis) if pis else np.zeros(0, dtype=np.int64)
    gi = np.concatenate(gis) if gis else np.zeros(0, dtype=np.int64)
    return Pairs(
        people=people,
        groups=groups,
        person=pi,
        group=gi,
        score=_scores(problem, people, groups, pi, gi),
        no_fit=no_fit,
        fill_need=np.array([fill_need(g) for g in groups], dtype=np.int64),
        fill_bonus=np.array([fill_bonus(g, problem.weights) for g in groups], dtype=np.float64),
        seats=np.array([max(g.open_seats, 0) for g in groups], dtype=np.int64),
        run_exclusions=_run_exclusions(people),
        client=np.unique(
            np.array([p.client_id for p in people], dtype=np.int64), return_inverse=True
        )[1].astype(np.int64),
    )
