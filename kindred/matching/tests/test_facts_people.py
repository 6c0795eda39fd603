"""What matching reads about people and groups beyond times and licensure: a group's
language, the offices a person could get to, gender for gender-specific groups, and the
facilitators (lead and co-) of the groups a person has been in."""

from __future__ import annotations

import pytest

from kindred.clients.models import Gender
from kindred.clients.services import client_update
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.groups.services import group_update
from kindred.matching import facts
from kindred.matching.rules import blocking_rules
from kindred.matching.tests.support import client_of, office, waiting
from kindred.matching.types import Group, Person, Problem, Rule

pytestmark = pytest.mark.django_db


def _person(problem: Problem, entry_id: int) -> Person:
    return next(p for p in problem.people if p.entry_id == entry_id)


def _group(problem: Problem, group_id: int) -> Group:
    return next(g for g in problem.groups if g.group_id == group_id)


def _rules(entry_id: int, group: TherapyGroup) -> tuple[Rule, ...]:
    problem = facts.build_problem()
    return blocking_rules(_person(problem, entry_id), _group(problem, group.pk))


# --- Language ------------------------------------------------------------------------------


def test_a_group_is_held_in_its_own_language(cast: Cast) -> None:
    english = waiting(cast)
    spanish = waiting(cast, language="es")
    # Groups are in English unless they say otherwise.
    assert _group(facts.build_problem(), cast.group_a.pk).language == "en"
    assert _rules(english.pk, cast.group_a) == ()
    assert Rule.LANGUAGE in _rules(spanish.pk, cast.group_a)

    group_update(actor=None, group=cast.group_a, language="es")
    assert _group(facts.build_problem(), cast.group_a.pk).language == "es"
    assert _rules(spanish.pk, cast.group_a) == ()
    assert Rule.LANGUAGE in _rules(english.pk, cast.group_a)


def test_someone_whose_language_is_other_fits_no_group(cast: Cast) -> None:
    entry = waiting(cast, language="other")
    assert Rule.LANGUAGE in _rules(entry.pk, cast.group_a)


# --- Offices they could get to -------------------------------------------------------------


def _in_person(group: TherapyGroup, where: object) -> None:
    group_update(actor=None, group=group, modality="in_person", location=where)  # type: ignore[arg-type]


def test_in_person_groups_take_people_who_can_get_to_their_office(cast: Cast) -> None:
    lakeview = office("Lakeview office")
    loop = office("Loop office")
    _in_person(cast.group_a, lakeview)
    can = waiting(cast, modality="in_person", locations=[lakeview])
    elsewhere = waiting(cast, modality="either", locations=[loop])
    nowhere = waiting(cast, modality="in_person")

    problem = facts.build_problem()
    assert _person(problem, can.pk).location_ids == {lakeview.pk}
    assert _person(problem, elsewhere.pk).location_ids == {loop.pk}
    assert _person(problem, nowhere.pk).location_ids == frozenset()
    assert _rules(can.pk, cast.group_a) == ()
    assert Rule.LOCATION in _rules(elsewhere.pk, cast.group_a)
    assert Rule.LOCATION in _rules(nowhere.pk, cast.group_a)

    # Added to their record later, it counts from the next run.
    client_update(actor=cast.coordinator, client=client_of(nowhere), locations=[lakeview, loop])
    assert _person(facts.build_problem(), nowhere.pk).location_ids == {lakeview.pk, loop.pk}
    assert _rules(nowhere.pk, cast.group_a) == ()


def test_asking_for_an_in_person_group_counts_as_getting_to_its_office(cast: Cast) -> None:
    lakeview = office()
    _in_person(cast.group_a, lakeview)
    entry = waiting(cast, modality="in_person", group=cast.group_a)
    assert _person(facts.build_problem(), entry.pk).location_ids == {lakeview.pk}


# --- Gender ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gender", "blocked"),
    [
        (Gender.WOMAN, False),
        (Gender.MAN, True),
        (Gender.NONBINARY, True),
        (Gender.ANOTHER, True),
        (Gender.PREFER_NOT, True),
        ("", True),
    ],
)
def test_a_group_for_women_takes_only_people_recorded_as_women(
    cast: Cast, gender: str, blocked: bool
) -> None:
    group_update(actor=None, group=cast.group_a, gender_focus="woman")
    entry = waiting(cast, gender=gender)
    problem = facts.build_problem()
    assert _person(problem, entry.pk).gender == gender
    assert _group(problem, cast.group_a.pk).gender_focus == "woman"
    assert (Rule.GENDER in _rules(entry.pk, cast.group_a)) is blocked


def test_groups_open_to_everyone_ignore_gender(cast: Cast) -> None:
    for gender in ("", *Gender.values):
        entry = waiting(cast, gender=gender)
        assert Rule.GENDER not in _rules(entry.pk, cast.group_a)


# --- Continuity ----------------------------------------------------------------------------------


def test_previous_facilitators_include_co_facilitators(cast: Cast) -> None:
    entry = waiting(cast, state="FL")
    client = client_of(entry)
    cast.group_b.co_facilitators.add(cast.supervisor_clinician)
    Enrollment.objects.create(
        group=cast.group_b,
        client=client,
        status=EnrollmentStatus.GRADUATED,
        invited_at=cast.group_b.created_at,
    )
    person = _person(facts.build_problem(), entry.pk)
    assert person.previous_facilitator_ids == {cast.clinician_b.pk, cast.supervisor_clinician.pk}
