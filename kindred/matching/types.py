"""The matching engine's typed input and output (issue 6). Pure data: no Django, no ORM.

``kindred.matching.facts`` builds these from the database; ``kindred.matching.engine``
solves them; the services store the result as a proposal. Times are minutes of the week
in UTC (Monday 00:00 UTC = 0, up to 7 * 24 * 60), so people and groups in different time
zones compare directly; an interval that wraps past Sunday midnight is split in two by
whoever builds the facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MINUTES_PER_WEEK = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class Interval:
    """A weekly interval [start, end) in minutes of the week, UTC."""

    start: int
    end: int

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


class Modality(StrEnum):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"  # groups only
    EITHER = "either"  # people only


@dataclass(frozen=True, slots=True)
class Person:
    """One waitlist entry to place."""

    entry_id: int
    client_id: int
    state: str  # two-letter state of residence
    age: int | None  # on the day matching looks at (None: unknown date of birth)
    gender: str  # as recorded; "" when not recorded
    language: str
    modality: Modality  # VIRTUAL, IN_PERSON or EITHER
    availability: tuple[Interval, ...]  # when they can meet
    concerns: frozenset[int]  # concern tag ids
    waited_days: int
    urgency: int  # 0 routine, 1 soon, 2 urgent
    location_ids: frozenset[int] = frozenset()  # in-person locations they chose
    busy: tuple[Interval, ...] = ()  # their other groups' sessions
    excluded_client_ids: frozenset[int] = frozenset()  # "do not place with", both ways
    only_group_id: int | None = None  # the entry waits for this one group
    blocked_group_ids: frozenset[int] = frozenset()  # screening said no / already there
    referred_to_individual_care: bool = False  # never proposed anywhere
    previous_facilitator_ids: frozenset[int] = frozenset()  # for continuity


@dataclass(frozen=True, slots=True)
class Group:
    """One group with open seats (or one that could take people)."""

    group_id: int
    open_seats: int  # max size minus active and invited members
    size: int  # active and invited members now
    min_size: int
    modality: Modality  # VIRTUAL, IN_PERSON or HYBRID
    meetings: tuple[Interval, ...]  # its weekly session time(s)
    covered_states: frozenset[str]  # states in which every facilitator may practise
    location_id: int | None
    language: str
    min_age: int | None = None
    max_age: int | None = None
    gender_focus: str = ""  # "" when open to everyone
    focus_concerns: frozenset[int] = frozenset()
    member_client_ids: frozenset[int] = frozenset()  # for exclusions with members
    member_concern_sets: tuple[frozenset[int], ...] = ()  # for composition
    facilitator_ids: frozenset[int] = frozenset()


class Rule(StrEnum):
    """A hard rule that can block a person from a group (never violated)."""

    NO_SEATS = "no_seats"
    MODALITY = "modality"
    SCHEDULE = "schedule"  # no session time inside their availability
    LICENSURE = "licensure"  # a facilitator cannot practise in their state (virtual)
    LOCATION = "location"  # in person at a location they did not choose
    AGE = "age"
    GENDER = "gender"
    LANGUAGE = "language"
    EXCLUSION = "exclusion"  # a "do not place with" person is a member
    OVERLAP = "overlap"  # clashes with one of their other groups
    SCREENING = "screening"  # screening referred them elsewhere or declined this group
    OTHER_GROUP = "other_group"  # they wait for one particular group, not this one


@dataclass(frozen=True, slots=True)
class Weights:
    """Preference weights, each 0-10 (the practice edits them; these are the defaults).

    Time waited counts most by default, so that the people placed have waited about as
    long as first come, first served would have them, while the fit of concerns still
    decides between groups (docs/matching.md, "Fairness")."""

    concern_overlap: float = 2.0
    waited: float = 10.0
    urgency: float = 2.0
    composition: float = 1.0
    fill_minimum: float = 2.0
    continuity: float = 1.0


@dataclass(frozen=True, slots=True)
class Problem:
    people: tuple[Person, ...]
    groups: tuple[Group, ...]
    weights: Weights = field(default_factory=Weights)
    time_limit_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class Reason:
    """One part of why a person was proposed for a group: a preference and its share of
    the score, with the plain words the page shows."""

    preference: str  # a Weights field name
    points: float
    words: str


@dataclass(frozen=True, slots=True)
class Placement:
    entry_id: int
    group_id: int
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class RuleCount:
    """One hard rule that kept someone out: how many of the run's groups it blocked, and
    a few of them (``EXAMPLES`` at most; those this rule blocks with the fewest other
    rules first, then by group id, so the nearest misses come first)."""

    rule: Rule
    groups: int
    examples: tuple[int, ...]


#: Example groups kept per rule, and of the groups someone fitted.
EXAMPLES = 20


@dataclass(frozen=True, slots=True)
class Unplaced:
    """Someone left out, and why, in a form whose size does not grow with the run.

    - No group fits them: ``blocked`` has, for each rule that blocked at least one of
      the run's ``groups``, how many it blocked and examples. Rules overlap: a group
      can be blocked by several, so the counts can add up to more than ``groups``.
    - They fitted ``fitted`` groups (``blocked`` empty), but the seats went to people
      who had waited longer or matched better, or to someone they must not be placed
      with; ``fitted_examples`` are their best-scoring ones.
    - ``placed_elsewhere``: the client is proposed through another waitlist entry.
    """

    entry_id: int
    groups: int = 0
    blocked: tuple[RuleCount, ...] = ()
    fitted: int = 0
    fitted_examples: tuple[int, ...] = ()
    placed_elsewhere: bool = False

    def rules(self) -> tuple[Rule, ...]:
        return tuple(r.rule for r in self.blocked)


@dataclass(frozen=True, slots=True)
class NewGroupSuggestion:
    """A group worth opening for people no existing group can take."""

    modality: Modality
    states: frozenset[str]
    concern_id: int | None
    meeting: Interval
    entry_ids: tuple[int, ...]
    language: str = ""  # the people's common language (casefolded)


@dataclass(frozen=True, slots=True)
class Solution:
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    suggestions: tuple[NewGroupSuggestion, ...]
    objective: float
    bound: float  # the solver's best bound on the objective
    gap: float  # (bound - objective) / max(|bound|, tiny); 0 when optimal
    status: str  # "optimal", "time_limit" (best found so far) or "empty"
    seconds: float
    # Fitting pairs left out of the program because the run was very large (each person
    # kept their best-scoring groups); when > 0, ``bound`` is the smaller program's.
    pruned_pairs: int = 0
