"""New groups worth opening, from the people no existing group could take (issue 6).
Pure: no ORM; deterministic for the same input.

People are grouped by what a new group would have to share: how it meets (online, or
in person; someone happy with either counts towards an online group), their state (an
online group's facilitators must practise there; in person, the clinic is in it),
language, one concern as its focus, and one weekly time: a slot as long as the run's
usual session (90 minutes when there are no groups to learn from), starting on the half
hour, inside one of their availability windows and clear of their other groups.

The largest cluster is suggested first, with up to ``max_people`` people (the longest
waiting first); those people are then taken out of every other cluster, and so on while
a cluster still has ``min_people``. Each person is counted in one suggestion at most.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from kindred.matching.types import (
    MINUTES_PER_WEEK,
    Group,
    Interval,
    Modality,
    NewGroupSuggestion,
    Person,
)

MIN_PEOPLE = 4
MAX_PEOPLE = 10
DEFAULT_MINUTES = 90
STEP_MINUTES = 30

SLOTS = MINUTES_PER_WEEK // STEP_MINUTES

# (modality, state, language, concern or -1): what a new group's members share.
Base = tuple[str, str, str, int]


def session_minutes(groups: Iterable[Group]) -> int:
    lengths = Counter(m.end - m.start for g in groups for m in g.meetings)
    if not lengths:
        return DEFAULT_MINUTES
    # The most common length; the shorter one on a tie.
    return min(lengths.items(), key=lambda item: (-item[1], item[0]))[0]


def slots(person: Person, minutes: int) -> npt.NDArray[np.int64]:
    """0/1 per slot start (every ``STEP_MINUTES`` of the week): whether a session of
    ``minutes`` from there fits inside one of their windows and clear of their other
    groups."""
    ok = np.zeros(SLOTS, dtype=np.int64)
    for window in person.availability:
        first = -(-window.start // STEP_MINUTES)
        last = (window.end - minutes) // STEP_MINUTES
        if last >= first:
            ok[max(first, 0) : min(last, SLOTS - 1) + 1] = 1
    for busy in person.busy:
        # A slot from s clashes when s < busy.end and busy.start < s + minutes.
        first = (busy.start - minutes) // STEP_MINUTES + 1
        last = -(-busy.end // STEP_MINUTES) - 1
        if last >= first:
            ok[max(first, 0) : min(last, SLOTS - 1) + 1] = 0
    return ok


#: A language recorded as "other" is not known to be shared: no group is suggested for it.
UNKNOWN_LANGUAGES = frozenset({"other", ""})


def _bases(person: Person) -> list[Base]:
    modality = Modality.IN_PERSON if person.modality is Modality.IN_PERSON else Modality.VIRTUAL
    language = person.language.strip().casefold()
    if language in UNKNOWN_LANGUAGES:
        return []
    return [(str(modality), person.state, language, c) for c in sorted(person.concerns) or [-1]]


def suggest_new_groups(
    people: Sequence[Person],
    groups: Sequence[Group],
    *,
    min_people: int = MIN_PEOPLE,
    max_people: int = MAX_PEOPLE,
) -> tuple[NewGroupSuggestion, ...]:
    """Clusters of at least ``min_people`` among ``people``, largest first (then by
    modality, state, language, concern and time)."""
    minutes = session_minutes(groups)
    ordered = sorted(people, key=lambda p: (-p.waited_days, -p.urgency, p.entry_id))
    fits = np.array([slots(p, minutes) for p in ordered], dtype=np.int64).reshape(-1, SLOTS)
    members: dict[Base, list[int]] = defaultdict(list)
    for index, person in enumerate(ordered):
        if fits[index].any():
            for base in _bases(person):
                members[base].append(index)
    bases = sorted(members)
    where = {base: b for b, base in enumerate(bases)}
    # counts[b, s]: people still free who share base b and fit slot s.
    counts = np.zeros((len(bases), SLOTS), dtype=np.int64)
    for b, base in enumerate(bases):
        counts[b] = fits[members[base]].sum(axis=0)
    taken = np.zeros(len(ordered), dtype=np.bool_)
    found: list[tuple[Base, int, list[int]]] = []
    while counts.size and counts.max() >= min_people:
        # The largest count; on a tie the first base, then the earliest slot.
        b, slot = divmod(int(np.argmax(counts)), SLOTS)
        chosen = [i for i in members[bases[b]] if not taken[i] and fits[i, slot]][:max_people]
        for i in chosen:
            taken[i] = True
            for base in _bases(ordered[i]):
                counts[where[base]] -= fits[i]
        found.append((bases[b], slot * STEP_MINUTES, chosen))
    found.sort(key=lambda item: (-len(item[2]), item[0], item[1]))
    return tuple(
        NewGroupSuggestion(
            modality=Modality(modality),
            states=frozenset({state}),
            concern_id=None if concern < 0 else concern,
            meeting=Interval(start, start + minutes),
            entry_ids=tuple(sorted(ordered[i].entry_id for i in chosen)),
            language=language,
        )
        for (modality, state, language, concern), start, chosen in found
    )
