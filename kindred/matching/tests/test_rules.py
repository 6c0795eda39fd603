"""The hard rules, one row per situation: the rules that block, or none."""

import pytest

from kindred.matching.rules import RULE_WORDS, blocking_rules, excluded_together
from kindred.matching.tests.factories import DAY, MONDAY_MEETING, group, person
from kindred.matching.types import Interval, Modality, Rule

V, IP, H, E = Modality.VIRTUAL, Modality.IN_PERSON, Modality.HYBRID, Modality.EITHER

CASES = [
    ("a good fit", {}, {}, ()),
    ("no open seats", {}, {"open_seats": 0}, (Rule.NO_SEATS,)),
    # Modality.
    ("virtual person, in-person group", {}, {"modality": IP, "location_id": 7}, (Rule.MODALITY,)),
    ("virtual person, hybrid group", {}, {"modality": H, "location_id": 7}, ()),
    ("in-person person, virtual group", {"modality": IP, "location_ids": frozenset({7})}, {},
     (Rule.MODALITY,)),
    ("in-person person at a chosen place", {"modality": IP, "location_ids": frozenset({7})},
     {"modality": IP, "location_id": 7}, ()),
    ("in-person person, another place", {"modality": IP, "location_ids": frozenset({8})},
     {"modality": IP, "location_id": 7}, (Rule.LOCATION,)),
    ("in-person person, hybrid at a chosen place, out of state",
     {"modality": IP, "location_ids": frozenset({7}), "state": "FL"},
     {"modality": H, "location_id": 7}, ()),
    ("in-person person, hybrid elsewhere", {"modality": IP, "location_ids": frozenset()},
     {"modality": H, "location_id": 7}, (Rule.LOCATION,)),
    ("either, in-person group at a chosen place",
     {"modality": E, "location_ids": frozenset({7})}, {"modality": IP, "location_id": 7}, ()),
    ("either, virtual group", {"modality": E}, {}, ()),
    ("either, hybrid, licensed but not at a chosen place", {"modality": E},
     {"modality": H, "location_id": 7}, ()),
    ("either, hybrid, at a chosen place but not licensed",
     {"modality": E, "state": "FL", "location_ids": frozenset({7})},
     {"modality": H, "location_id": 7}, ()),
    ("either, hybrid, neither way", {"modality": E, "state": "FL"},
     {"modality": H, "location_id": 7}, (Rule.LICENSURE, Rule.LOCATION)),
    # Licensure.
    ("virtual, state not covered", {"state": "FL"}, {}, (Rule.LICENSURE,)),
    ("virtual into hybrid, state not covered", {"state": "FL"},
     {"modality": H, "location_id": 7}, (Rule.LICENSURE,)),
    ("virtual, no covered states at all", {}, {"covered_states": frozenset()}, (Rule.LICENSURE,)),
    # Schedule.
    ("meeting outside availability", {"availability": (Interval(DAY, DAY + 180),)}, {},
     (Rule.SCHEDULE,)),
    ("meeting half inside a window",
     {"availability": (Interval(16 * 60 + 30, 20 * 60),)}, {}, (Rule.SCHEDULE,)),
    ("meeting exactly a window", {"availability": (MONDAY_MEETING,)}, {}, ()),
    ("no availability at all", {"availability": ()}, {}, (Rule.SCHEDULE,)),
    ("twice weekly, second meeting outside", {},
     {"meetings": (MONDAY_MEETING, Interval(DAY + 960, DAY + 1050))}, (Rule.SCHEDULE,)),
    ("twice weekly, both inside",
     {"availability": (Interval(900, 1080), Interval(DAY + 900, DAY + 1080))},
     {"meetings": (MONDAY_MEETING, Interval(DAY + 960, DAY + 1050))}, ()),
    ("a group without a set time yet", {"availability": ()}, {"meetings": ()}, ()),
    # Eligibility.
    ("too young", {"age": 17}, {"min_age": 18}, (Rule.AGE,)),
    ("exactly the minimum age", {"age": 18}, {"min_age": 18}, ()),
    ("too old", {"age": 19}, {"min_age": 13, "max_age": 18}, (Rule.AGE,)),
    ("unknown age, group with limits", {"age": None}, {"max_age": 64}, (Rule.AGE,)),
    ("unknown age, open group", {"age": None}, {}, ()),
    ("gender-specific group, another gender", {"gender": "man"}, {"gender_focus": "woman"},
     (Rule.GENDER,)),
    ("gender-specific group, not recorded", {"gender": ""}, {"gender_focus": "woman"},
     (Rule.GENDER,)),
    ("gender-specific group, same (case aside)", {"gender": "Woman"},
     {"gender_focus": "woman"}, ()),
    ("other language", {"language": "es"}, {}, (Rule.LANGUAGE,)),
    # People.
    ("excluded member", {"excluded_client_ids": frozenset({55})},
     {"member_client_ids": frozenset({54, 55})}, (Rule.EXCLUSION,)),
    ("clashes with their other group", {"busy": (Interval(17 * 60, 18 * 60),)}, {},
     (Rule.OVERLAP,)),
    ("other group right after", {"busy": (Interval(17 * 60 + 30, 19 * 60),)}, {}, ()),
    ("referred to individual care", {"referred_to_individual_care": True}, {},
     (Rule.SCREENING,)),
    ("screening declined this group", {"blocked_group_ids": frozenset({1})}, {},
     (Rule.SCREENING,)),
    ("screening declined another group", {"blocked_group_ids": frozenset({2})}, {}, ()),
    ("waits for another group", {"only_group_id": 2}, {}, (Rule.OTHER_GROUP,)),
    ("waits for this group", {"only_group_id": 1}, {}, ()),
    # Several at once, in the order of Rule.
    ("everything wrong",
     {"state": "FL", "language": "es", "age": 70, "only_group_id": 9,
      "referred_to_individual_care": True, "availability": ()},
     {"open_seats": 0, "max_age": 64},
     (Rule.NO_SEATS, Rule.SCHEDULE, Rule.LICENSURE, Rule.AGE, Rule.LANGUAGE, Rule.SCREENING,
      Rule.OTHER_GROUP)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("person_changes", "group_changes", "expected"),
    [pytest.param(p, g, want, id=name) for name, p, g, want in CASES],
)
def test_blocking_rules(person_changes, group_changes, expected):
    found = blocking_rules(person(**person_changes), group(**group_changes))
    assert found == tuple(sorted(expected, key=list(Rule).index))


def test_every_rule_has_words():
    assert set(RULE_WORDS) == set(Rule)
    assert all(words.endswith(".") for words in RULE_WORDS.values())


def test_exclusions_hold_either_way():
    a = person(1, excluded_client_ids=frozenset({1002}))
    b = person(2)
    c = person(3)
    assert excluded_together(a, b)
    assert excluded_together(b, a)
    assert not excluded_together(a, c)
