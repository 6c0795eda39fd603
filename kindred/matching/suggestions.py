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

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from kindred.matching.types import Group, Interval, Modality, NewGroupSuggestion, Person

MIN_PEOPLE = 4
MAX_PEOPLE = 10
DEFAULT_MINUTES = 90
STEP_MINUTES = 30

# (modality, state, language, concern or -1, slot start)
Key = tuple[str, str, str, int, int]


def session_minutes(groups: Iterable[Group]) -> int:
    lengths = Counter(m.end - m.start for g in groups for m in g.meetings)
    if not lengths:
        return DEFAULT_MINUTES
    # The most common length; the shorter one on a tie.
    return min(lengths.items(), key=lambda item: (-item[1], item[0]))[0]


def _slots(person: Person, minutes: int) -> list[int]:
    starts: set[int] = set()
    for window in person.availability:
        first = -(-window.start // STEP_MINUTES) * STEP_MINUTES
        for start in range(first, window.end - minutes + 1, STEP_MINUTES):
            slot = Interval(start, start + minutes)
            if not any(slot.overlaps(b) for b in person.busy):
                starts.add(start)
    return sorted(starts)


def _keys(person: Person, minutes: int) -> list[Key]:
    modality = Modality.IN_PERSON if person.modality is Modality.IN_PERSON else Modality.VIRTUAL
    language = person.language.strip().casefold()
    concerns = sorted(person.concerns) or [-1]
    return [
        (str(modality), person.state, language, concern, start)
        for concern in concerns
        for start in _slots(person, minutes)
    ]


def suggest_new_groups(
    people: Sequence[Person],
    groups: Sequence[Group],
    *,
    min_people: int = MIN_PEOPLE,
    max_people: int = MAX_PEOPLE,
) -> tuple[NewGroupSuggestion, ...]:
    """Clusters of at least ``min_people`` among ``people``, largest first."""
    minutes = session_minutes(groups)
    ordered = sorted(people, key=lambda p: (-p.waited_days, -p.urgency, p.entry_id))
    members: dict[Key, list[int]] = defaultdict(list)
    for index, person in enumerate(ordered):
        for key in _keys(person, minutes):
            members[key].append(index)
    heap = [(-len(ids), key) for key, ids in members.items() if len(ids) >= min_people]
    heapq.heapify(heap)
    taken: set[int] = set()
    found: list[tuple[Key, list[int]]] = []
    while heap:
        negative, key = heapq.heappop(heap)
        live = [i for i in members[key] if i not in taken]
        members[key] = live
        if len(live) != -negative:
            if len(live) >= min_people:
                heapq.heappush(heap, (-len(live), key))
            continue
        chosen = live[:max_people]
        taken.update(chosen)
        found.append((key, chosen))
        rest = live[max_people:]
        members[key] = rest
        if len(rest) >= min_people:
            heapq.heappush(heap, (-len(rest), key))
    found.sort(key=lambda item: (-len(item[1]), item[0]))
    return tuple(
        NewGroupSuggestion(
            modality=Modality(modality),
            states=frozenset({state}),
            concern_id=None if concern < 0 else concern,
            meeting=Interval(start, start + minutes),
            entry_ids=tuple(sorted(ordered[i].entry_id for i in chosen)),
            language=language,
        )
        for (modality, state, language, concern, start), chosen in found
    )
