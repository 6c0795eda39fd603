"""How well a feasible (person, group) pair fits, and why (issue 6). Pure: no ORM.

Each preference gives a factor between 0 and 1 that is multiplied by its weight (0-10,
``Weights``) and by ``POINTS_PER_WEIGHT``, so a preference at full weight is worth up to
100 points. The reasons' points add up to the score, and the page shows them as they are.

- ``concern_overlap``: the share of the person's concerns that the group focuses on.
- ``waited``: the share of the others in this run who have waited no longer (0 for
  someone who has not waited yet; 1 for the longest wait). A rank, not days over the
  longest wait: waits are skewed (a few people wait far longer than most), and days over
  the longest squeezed almost everyone into the bottom tenth, so a better concern fit
  always outweighed years of waiting. The rank spreads the run evenly from 0 to 1, so
  waiting counts as much as its weight says (docs/matching.md, "Fairness").
- ``urgency``: 0 routine, 1 soon (half), 2 urgent (all).
- ``composition`` (AGPA): whether they share a concern with at least one current member,
  so that nobody becomes the only member unlike all the others; a group that is forming
  (no members yet) counts as a fit.
- ``continuity``: they know one of the group's facilitators from before.
- ``fill_minimum``: a bonus for a group below its minimum size, earned only when the run
  brings it up to that size (the engine decides that); it is shared equally among the
  people the run places there. ``fill_bonus`` says how much it is worth.

Placing someone is worth ``placement_points`` on top of any score, more than any one
person's preferences, so the engine places as many people as it can before it chooses
between them by fit.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from kindred.matching.types import Group, Person, Reason, Weights

POINTS_PER_WEIGHT = 10.0
MAX_URGENCY = 2
PAIR_PREFERENCES = ("concern_overlap", "waited", "urgency", "composition", "continuity")


def longest_wait(people: tuple[Person, ...] | list[Person]) -> int:
    return max((p.waited_days for p in people), default=0)


@dataclass(frozen=True, slots=True)
class Waits:
    """Everyone's wait in the run (days, sorted), for the ``waited`` factor."""

    days: tuple[int, ...]

    @classmethod
    def of(cls, people: Iterable[Person]) -> Waits:
        return cls(tuple(sorted(max(p.waited_days, 0) for p in people)))

    @property
    def longest(self) -> int:
        return self.days[-1] if self.days else 0

    def factor(self, waited_days: int) -> float:
        """The share of the others who have waited no longer than ``waited_days``:
        0 for no wait yet, 1 for the longest (ties share the higher rank)."""
        if waited_days <= 0:
            return 0.0
        others = len(self.days) - 1
        if others <= 0:
            return 1.0
        return (bisect_right(self.days, waited_days) - 1) / others


def concern_factor(person: Person, group: Group) -> float:
    if not person.concerns:
        return 0.0
    return len(person.concerns & group.focus_concerns) / len(person.concerns)


def waited_factor(person: Person, waits: Waits) -> float:
    return waits.factor(person.waited_days)


def urgency_factor(person: Person) -> float:
    return min(max(person.urgency, 0), MAX_URGENCY) / MAX_URGENCY


def composition_factor(person: Person, group: Group) -> float:
    if not group.member_concern_sets:
        return 1.0
    shared = any(person.concerns & member for member in group.member_concern_sets)
    return 1.0 if shared else 0.0


def continuity_factor(person: Person, group: Group) -> float:
    return 1.0 if person.previous_facilitator_ids & group.facilitator_ids else 0.0


def pair_factors(person: Person, group: Group, waits: Waits) -> dict[str, float]:
    return {
        "concern_overlap": concern_factor(person, group),
        "waited": waited_factor(person, waits),
        "urgency": urgency_factor(person),
        "composition": composition_factor(person, group),
        "continuity": continuity_factor(person, group),
    }


def _points(weights: Weights, preference: str, factor: float) -> float:
    weight = float(getattr(weights, preference))
    return weight * POINTS_PER_WEIGHT * factor


def pair_score(person: Person, group: Group, weights: Weights, waits: Waits) -> float:
    factors = pair_factors(person, group, waits)
    return sum(_points(weights, name, factors[name]) for name in PAIR_PREFERENCES)


def _concern_words(person: Person, group: Group) -> str:
    shared = len(person.concerns & group.focus_concerns)
    if not person.concerns:
        return "No concerns recorded to compare with the group's focus."
    if shared == 0:
        return "None of their concerns is a focus of this group."
    if len(person.concerns) == 1:
        return "Their concern is a focus of this group."
    if shared == len(person.concerns):
        return f"All {shared} of their concerns are a focus of this group."
    return f"Shares {shared} of their {len(person.concerns)} concerns with the group's focus."


def _waited_words(person: Person, waits: Waits) -> str:
    days = "day" if person.waited_days == 1 else "days"
    said = f"Has waited {person.waited_days} {days}"
    longest = waits.longest
    if longest > 0 and person.waited_days >= longest:
        return f"{said}, the longest in this run."
    if person.waited_days <= 0 or len(waits.days) < 2:
        return f"{said} (the longest wait in this run: {longest})."
    share = round(100 * waits.factor(person.waited_days))
    return (
        f"{said}, as long as or longer than {share} % of the others in this run "
        f"(the longest wait: {longest})."
    )


def _urgency_words(person: Person) -> str:
    return {0: "Routine.", 1: "Needs a place soon."}.get(person.urgency, "Urgent.")


def _composition_words(person: Person, group: Group) -> str:
    if not group.member_concern_sets:
        if group.size > 0:
            return "No concerns recorded for the current members to compare with."
        return "Would be among the first members of a group that is forming."
    if composition_factor(person, group):
        return "Shares a concern with current members, so they would not be the odd one out."
    return "Shares no concern with current members: they could feel the odd one out."


def pair_reasons(
    person: Person, group: Group, weights: Weights, waits: Waits
) -> tuple[Reason, ...]:
    """The reasons behind ``pair_score``: time waited always (fairness is shown), the
    others when they earn points."""
    factors = pair_factors(person, group, waits)
    words = {
        "concern_overlap": _concern_words(person, group),
        "waited": _waited_words(person, waits),
        "urgency": _urgency_words(person),
        "composition": _composition_words(person, group),
        "continuity": "Knows one of the group's facilitators from before.",
    }
    reasons = []
    for name in PAIR_PREFERENCES:
        points = _points(weights, name, factors[name])
        if points > 0 or name == "waited":
            reasons.append(Reason(preference=name, points=points, words=words[name]))
    return tuple(reasons)


def fill_need(group: Group) -> int:
    """How many people the group needs to reach its minimum size; 0 when it is there
    already or cannot get there with the places it has."""
    need = group.min_size - group.size
    return need if 0 < need <= group.open_seats else 0


def fill_bonus(group: Group, weights: Weights) -> float:
    """Points earned when the run brings the group up to its minimum size: one person's
    worth of ``fill_minimum`` for each person it needs."""
    return fill_need(group) * weights.fill_minimum * POINTS_PER_WEIGHT


def fill_reason(group: Group, points: float) -> Reason:
    return Reason(
        preference="fill_minimum",
        points=points,
        words=f"Helps the group reach its minimum of {group.min_size} members so it can start.",
    )


def placement_points(weights: Weights) -> float:
    """What placing one person is worth before fit: more than the best score any one
    person can reach (every preference at full factor, and a full share of a fill
    bonus), so that fit never costs someone a place they could have had."""
    best = sum(float(getattr(weights, name)) for name in PAIR_PREFERENCES) + weights.fill_minimum
    return best * POINTS_PER_WEIGHT + 1.0
