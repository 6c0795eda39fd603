"""The hard rules of matching (issue 6): whether a person may be proposed for a group.

Pure: no Django, no ORM. ``blocking_rules`` is the reference for one pair; the engine
checks every pair of a run at once with array code (``kindred.matching.engine``) and the
tests hold the two to the same answers.

How a person would join a group decides which of licensure and location applies:

- a virtual group is joined virtually: every facilitator must be able to practise in the
  person's state (``covered_states``);
- an in-person group is joined in person: its location must be one the person chose;
- a hybrid group is joined virtually by a virtual person, in person by an in-person
  person, and either way by someone who said "either" (it is enough that one way works).

Every weekly meeting of the group must lie inside one of the person's availability
windows (whoever builds the facts merges windows that touch), and none may overlap the
sessions of their other groups. A group with age limits cannot take someone whose age
is unknown: eligibility has to be shown, not assumed.
"""

from __future__ import annotations

from kindred.matching.types import Group, Interval, Modality, Person, Rule

# What the page says for each rule, about the group, in plain and kind words.
RULE_WORDS: dict[Rule, str] = {
    Rule.NO_SEATS: "The group has no open places right now.",
    Rule.MODALITY: "The group meets in a way this person did not ask for (online or in person).",
    Rule.SCHEDULE: "The group meets at a time outside this person's availability.",
    Rule.LICENSURE: "The group's facilitators cannot yet practise in this person's state.",
    Rule.LOCATION: "The group meets in person at a place this person did not choose.",
    Rule.AGE: "The group is for a different age range.",
    Rule.GENDER: "The group is for people of a particular gender.",
    Rule.LANGUAGE: "The group is held in a different language.",
    Rule.EXCLUSION: "Someone this person should not be placed with is in the group.",
    Rule.OVERLAP: "The group meets at the same time as another group this person attends.",
    Rule.SCREENING: "Screening found this group is not the right fit, or that individual "
    "care suits this person better for now.",
    Rule.OTHER_GROUP: "This person is waiting for a particular group, not this one.",
}

_JOINS_VIRTUALLY = {Modality.VIRTUAL, Modality.EITHER}
_JOINS_IN_PERSON = {Modality.IN_PERSON, Modality.EITHER}
_MEETS_VIRTUALLY = {Modality.VIRTUAL, Modality.HYBRID}
_MEETS_IN_PERSON = {Modality.IN_PERSON, Modality.HYBRID}


def fits_schedule(meetings: tuple[Interval, ...], availability: tuple[Interval, ...]) -> bool:
    """Every meeting inside one availability window."""
    return all(any(window.contains(m) for window in availability) for m in meetings)


def clashes(meetings: tuple[Interval, ...], busy: tuple[Interval, ...]) -> bool:
    return any(m.overlaps(b) for m in meetings for b in busy)


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _join_rules(person: Person, group: Group) -> tuple[Rule, ...]:
    """MODALITY when there is no way to join; otherwise LICENSURE and/or LOCATION when
    none of the possible ways to join is allowed."""
    virtually = person.modality in _JOINS_VIRTUALLY and group.modality in _MEETS_VIRTUALLY
    in_person = person.modality in _JOINS_IN_PERSON and group.modality in _MEETS_IN_PERSON
    if not virtually and not in_person:
        return (Rule.MODALITY,)
    licensed = person.state in group.covered_states
    located = group.location_id is not None and group.location_id in person.location_ids
    if (virtually and licensed) or (in_person and located):
        return ()
    found: list[Rule] = []
    if virtually:
        found.append(Rule.LICENSURE)
    if in_person:
        found.append(Rule.LOCATION)
    return tuple(found)


def blocking_rules(person: Person, group: Group) -> tuple[Rule, ...]:
    """Every hard rule that keeps ``person`` out of ``group``, in the order of ``Rule``;
    empty when they may be proposed there."""
    found: set[Rule] = set()
    if group.open_seats <= 0:
        found.add(Rule.NO_SEATS)
    found.update(_join_rules(person, group))
    if group.meetings and not fits_schedule(group.meetings, person.availability):
        found.add(Rule.SCHEDULE)
    if group.min_age is not None or group.max_age is not None:
        age = person.age
        if (
            age is None
            or (group.min_age is not None and age < group.min_age)
            or (group.max_age is not None and age > group.max_age)
        ):
            found.add(Rule.AGE)
    if group.gender_focus and not _same(group.gender_focus, person.gender):
        found.add(Rule.GENDER)
    if not _same(group.language, person.language):
        found.add(Rule.LANGUAGE)
    if person.excluded_client_ids & group.member_client_ids:
        found.add(Rule.EXCLUSION)
    if clashes(group.meetings, person.busy):
        found.add(Rule.OVERLAP)
    if person.referred_to_individual_care or group.group_id in person.blocked_group_ids:
        found.add(Rule.SCREENING)
    if person.only_group_id is not None and person.only_group_id != group.group_id:
        found.add(Rule.OTHER_GROUP)
    return tuple(rule for rule in Rule if rule in found)


def excluded_together(a: Person, b: Person) -> bool:
    """True when the two may not be placed in the same group (recorded either way)."""
    return b.client_id in a.excluded_client_ids or a.client_id in b.excluded_client_ids
