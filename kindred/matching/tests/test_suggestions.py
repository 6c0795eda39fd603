"""New-group suggestions from the people no group could take."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kindred.matching.suggestions import (
    SLOTS,
    STEP_MINUTES,
    session_minutes,
    slots,
    suggest_new_groups,
)
from kindred.matching.tests.factories import group, person
from kindred.matching.types import MINUTES_PER_WEEK, Interval, Modality, Person

EVENING = Interval(18 * 60, 21 * 60)  # Monday 18:00-21:00 UTC


def waiting(entry_id: int, **changes: Any) -> Person:
    values = {"availability": (EVENING,), "concerns": frozenset({3}), "waited_days": entry_id}
    values.update(changes)
    return person(entry_id, **values)


def test_four_alike_make_a_group():
    people = [waiting(i) for i in range(1, 5)]
    [suggestion] = suggest_new_groups(people, [], min_people=4)
    assert suggestion.entry_ids == (1, 2, 3, 4)
    assert suggestion.modality is Modality.VIRTUAL
    assert suggestion.states == frozenset({"IL"})
    assert suggestion.concern_id == 3
    assert suggestion.language == "en"
    assert suggestion.meeting == Interval(18 * 60, 19 * 60 + 30)  # the earliest common slot


def test_too_few_or_too_different_make_none():
    alike = [waiting(i) for i in range(1, 4)]
    assert suggest_new_groups(alike, [], min_people=4) == ()
    others = [
        waiting(4, state="FL"),
        waiting(5, language="es"),
        waiting(6, concerns=frozenset({9})),
        waiting(7, availability=(Interval(1440 + 600, 1440 + 800),)),
        waiting(8, busy=(EVENING,)),
        waiting(9, modality=Modality.IN_PERSON),
    ]
    assert suggest_new_groups(alike + others, [], min_people=4) == ()


def test_largest_first_and_each_person_once():
    il = [waiting(i, concerns=frozenset({3, 4})) for i in range(1, 8)]
    fl = [waiting(i, state="FL") for i in range(10, 14)]
    found = suggest_new_groups(fl + il, [], min_people=4, max_people=5)
    assert [len(s.entry_ids) for s in found] == [5, 4]
    assert found[0].states == frozenset({"IL"})
    # The five who waited longest; the other two are too few for a second group.
    assert found[0].entry_ids == (3, 4, 5, 6, 7)
    seen = [e for s in found for e in s.entry_ids]
    assert len(seen) == len(set(seen))


def test_either_counts_towards_an_online_group_and_the_slot_follows_the_groups():
    people = [waiting(i, modality=Modality.EITHER) for i in range(1, 5)]
    hour_long = [group(1, meetings=(Interval(600, 660),)), group(2, meetings=(Interval(0, 60),))]
    assert session_minutes(hour_long) == 60
    [suggestion] = suggest_new_groups(people, hour_long)
    assert suggestion.modality is Modality.VIRTUAL
    assert suggestion.meeting == Interval(18 * 60, 19 * 60)


def test_deterministic_whatever_the_order():
    people = [waiting(i, concerns=frozenset({i % 2, 5})) for i in range(1, 12)]
    assert suggest_new_groups(people, []) == suggest_new_groups(list(reversed(people)), [])


intervals = st.builds(
    lambda start, length: Interval(start, min(start + length, MINUTES_PER_WEEK)),
    st.integers(0, MINUTES_PER_WEEK - 1),
    st.integers(1, 600),
)


@settings(deadline=None, max_examples=200)
@given(st.lists(intervals, max_size=3), st.lists(intervals, max_size=2),
       st.sampled_from([60, 90, 120]))  # fmt: skip
def test_slots_are_the_starts_that_fit(windows, busy, minutes):
    p = person(availability=tuple(windows), busy=tuple(busy))
    ok = slots(p, minutes)
    for index in range(SLOTS):
        slot = Interval(index * STEP_MINUTES, index * STEP_MINUTES + minutes)
        expected = any(w.contains(slot) for w in windows) and not any(
            slot.overlaps(b) for b in busy
        )
        assert bool(ok[index]) == expected, (index, slot)


def test_no_group_is_suggested_for_a_language_recorded_as_other():
    """ "Other" says only that it is not one of ours, not that they share it."""
    others = [waiting(i, language="other") for i in range(1, 6)]
    assert suggest_new_groups(others, [], min_people=4) == ()
    spanish = [waiting(i, language="es") for i in range(1, 6)]
    [suggestion] = suggest_new_groups(spanish, [], min_people=4)
    assert suggestion.language == "es"
