"""The engine's input built from the database: people, groups, times in UTC minutes of
the week, licensure, exclusions, screenings, busy times; constant queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.core.testing import Cast
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.intake.models import ExclusionReason, ScreeningDecision, Urgency
from kindred.intake.screening import screening_create
from kindred.intake.selectors import WaitlistFilters
from kindred.intake.tests.screening_support import FITS
from kindred.intake.waitlist import exclusion_add
from kindred.matching import facts
from kindred.matching.rules import blocking_rules
from kindred.matching.tests.support import client_of, concern, meeting_weekday, waiting
from kindred.matching.types import (
    MINUTES_PER_WEEK,
    Group,
    Interval,
    Modality,
    Person,
    Problem,
    Rule,
)

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")


def _person(problem: Problem, entry_id: int) -> Person:
    return next(p for p in problem.people if p.entry_id == entry_id)


def _group(problem: Problem, group_id: int) -> Group:
    return next(g for g in problem.groups if g.group_id == group_id)


# --- Weekly minutes (pure) ---------------------------------------------------------------


def test_weekly_interval_that_wraps_past_sunday_midnight_is_split() -> None:
    assert facts.weekly(MINUTES_PER_WEEK - 60, 180) == (
        Interval(MINUTES_PER_WEEK - 60, MINUTES_PER_WEEK),
        Interval(0, 120),
    )
    assert facts.weekly(60, 90) == (Interval(60, 150),)


def test_availability_window_becomes_utc_minutes_of_the_week() -> None:
    # Sunday 17:00-20:00 in Chicago (CST, UTC-6) is Sunday 23:00 to Monday 02:00 UTC.
    got = facts.window_intervals(6, time(17), time(20), zone=CHICAGO, today=date(2026, 11, 26))
    assert got == (Interval(6 * 1440 + 23 * 60, MINUTES_PER_WEEK), Interval(0, 120))
    # Monday 09:00-12:00 in Chicago is Monday 15:00-18:00 UTC.
    assert facts.window_intervals(0, time(9), time(12), zone=CHICAGO, today=date(2026, 11, 26)) == (
        Interval(15 * 60, 18 * 60),
    )


def test_merge_joins_touching_and_overlapping() -> None:
    assert facts.merge([Interval(0, 10), Interval(10, 20), Interval(30, 40), Interval(5, 8)]) == (
        Interval(0, 20),
        Interval(30, 40),
    )


# --- From the database ---------------------------------------------------------------------


def test_a_waiting_person_and_the_groups_with_seats(cast: Cast) -> None:
    grief = concern("Grief")
    cast.group_a.concerns.add(grief)
    entry = waiting(cast, concerns=[grief], urgency=Urgency.SOON, born=date(1990, 1, 1))
    problem = facts.build_problem()

    person = _person(problem, entry.pk)
    assert person.client_id == entry.client_id
    assert person.state == "IL"
    assert person.language == "en"
    assert person.modality == Modality.EITHER
    assert person.concerns == frozenset({grief.pk})
    assert person.urgency == 1
    assert person.waited_days == 0
    assert person.age is not None
    assert 35 <= person.age <= 37
    assert person.gender == ""
    assert person.only_group_id is None
    assert not person.referred_to_individual_care
    assert person.availability  # the evening window, in UTC

    a = _group(problem, cast.group_a.pk)
    assert a.size == 2
    assert a.open_seats == cast.group_a.max_size - 2
    assert a.min_size == cast.group_a.min_size
    assert a.modality == Modality.VIRTUAL
    assert a.focus_concerns == frozenset({grief.pk})
    assert a.member_client_ids == {cast.client.pk, cast.client_b.pk}
    assert len(a.member_concern_sets) == 2
    assert a.facilitator_ids == {cast.clinician.pk}
    # 18:00 Chicago on its weekday, 90 minutes, in UTC.
    local = datetime.combine(cast.group_a.start_date + timedelta(days=21), time(18), tzinfo=CHICAGO)
    start = facts.minute_of_week(local)
    assert a.meetings == facts.weekly(start, 90)
    # Licensure: the facilitator of A practises in IL; B's only in FL.
    assert "IL" in a.covered_states
    b = _group(problem, cast.group_b.pk)
    assert b.covered_states == frozenset()  # nobody waiting lives in FL
    # The rules agree they fit A, and not B (B's facilitator is not licensed in IL and
    # B meets in the morning).
    assert blocking_rules(person, a) == ()
    assert set(blocking_rules(person, b)) >= {Rule.LICENSURE, Rule.SCHEDULE}


def test_covered_states_need_every_facilitator(cast: Cast) -> None:
    waiting(cast, state="KS")
    waiting(cast, state="FL")
    problem = facts.build_problem()
    assert _group(problem, cast.group_a.pk).covered_states == frozenset({"KS"})
    assert _group(problem, cast.group_b.pk).covered_states == frozenset({"FL"})
    # A co-facilitator licensed only in FL leaves A covering no state of those waiting.
    cast.group_a.co_facilitators.add(cast.clinician_b)
    problem = facts.build_problem()
    assert _group(problem, cast.group_a.pk).covered_states == frozenset()


def test_full_groups_are_left_out_and_ended_ones_too(cast: Cast) -> None:
    waiting(cast)
    cast.group_b.max_size = 1
    cast.group_b.min_size = 1
    cast.group_b.save(update_fields=["max_size", "min_size"])
    problem = facts.build_problem()
    assert [g.group_id for g in problem.groups] == [cast.group_a.pk]
    # Asked for by id with full groups allowed, it comes with no seats.
    checked = facts.build_facts(group_ids=[cast.group_b.pk], with_seats=False).problem
    assert checked.groups[0].open_seats == 0
    cast.group_a.status = "completed"
    cast.group_a.save(update_fields=["status"])
    assert facts.build_problem().groups == ()


def test_exclusions_count_both_ways(cast: Cast) -> None:
    first = waiting(cast)
    second = waiting(cast)
    exclusion_add(
        actor=cast.coordinator,
        client=client_of(second),
        other=cast.client_b,
        reason=ExclusionReason.FAMILY,
    )
    exclusion_add(
        actor=cast.coordinator,
        client=client_of(first),
        other=client_of(second),
        reason=ExclusionReason.COWORKER,
    )
    problem = facts.build_problem()
    p1, p2 = _person(problem, first.pk), _person(problem, second.pk)
    assert p1.excluded_client_ids == {second.client_id}
    assert p2.excluded_client_ids == {first.client_id, cast.client_b.pk}
    assert Rule.EXCLUSION in blocking_rules(p2, _group(problem, cast.group_a.pk))


def test_other_groups_make_them_busy_and_blocked_there(cast: Cast) -> None:
    entry = waiting(cast, state="FL")
    client = client_of(entry)
    Enrollment.objects.create(
        group=cast.group_b,
        client=client,
        status=EnrollmentStatus.ACTIVE,
        invited_at=cast.group_b.created_at,
    )
    problem = facts.build_problem()
    person = _person(problem, entry.pk)
    b = _group(problem, cast.group_b.pk)
    assert person.busy == facts.merge(b.meetings)
    assert cast.group_b.pk in person.blocked_group_ids
    assert person.previous_facilitator_ids == {cast.clinician_b.pk}


def test_screening_decisions(cast: Cast) -> None:
    deferred = waiting(cast)
    referred = waiting(cast)
    screening_create(
        actor=cast.coordinator,
        client=client_of(deferred),
        group=cast.group_a,
        entry=deferred,
        screener=cast.facilitator,
        decision=ScreeningDecision.DEFER,
        decision_reason="Not the right time for this group.",
        revisit_on=timezone.localdate() + timedelta(days=60),
        **FITS,
    )
    screening_create(
        actor=cast.coordinator,
        client=client_of(referred),
        group=cast.group_a,
        entry=referred,
        screener=cast.facilitator,
        decision=ScreeningDecision.REFER_INDIVIDUAL,
        decision_reason="Individual care first.",
        **FITS,
    )
    built = facts.build_facts()
    people = {p.client_id: p for p in built.problem.people}
    # The deferral moved their entry to "deferred", still open: blocked for group A.
    assert cast.group_a.pk in people[deferred.client_id].blocked_group_ids
    assert not people[deferred.client_id].referred_to_individual_care
    # Referred elsewhere closes the entry; were it open again, they are still never proposed.
    assert referred.client_id not in people


def test_filters_as_on_the_waitlist_page(cast: Cast) -> None:
    grief = concern("Grief")
    a = waiting(cast, concerns=[grief], urgency=Urgency.URGENT)
    b = waiting(cast, state="KS")
    c = waiting(cast, group=cast.group_a)

    def ids(f: WaitlistFilters | None) -> set[int]:
        return {p.entry_id for p in facts.build_problem(filters=f).people}

    assert ids(None) == {a.pk, b.pk, c.pk}
    assert ids(WaitlistFilters(concern=grief.pk)) == {a.pk}
    assert ids(WaitlistFilters(state="KS")) == {b.pk}
    assert ids(WaitlistFilters(urgency=Urgency.URGENT)) == {a.pk}
    assert ids(WaitlistFilters(group=cast.group_a.pk)) == {c.pk}
    assert _person(facts.build_problem(), c.pk).only_group_id == cast.group_a.pk


def test_no_availability_means_no_windows(cast: Cast) -> None:
    entry = waiting(cast, windows=[])
    problem = facts.build_problem()
    person = _person(problem, entry.pk)
    assert person.availability == ()
    assert Rule.SCHEDULE in blocking_rules(person, _group(problem, cast.group_a.pk))


def test_queries_do_not_grow_with_the_waitlist(cast: Cast) -> None:
    grief = concern("Grief")
    first = waiting(cast, concerns=[grief])
    exclusion_add(
        actor=cast.coordinator,
        client=client_of(first),
        other=cast.client,
        reason=ExclusionReason.SOCIAL,
    )
    facts.build_problem()  # the practice's settings are cached after the first read
    with CaptureQueriesContext(connection) as few:
        facts.build_problem()
    for n in range(8):
        waiting(cast, concerns=[grief], state="KS" if n % 2 else "IL")
    with CaptureQueriesContext(connection) as many:
        problem = facts.build_problem()
    assert len(problem.people) == 9
    assert len(many) == len(few) <= 18


def test_meeting_day_helper_matches_group(cast: Cast) -> None:
    assert meeting_weekday(cast.group_a) == cast.group_a.start_date.weekday()
