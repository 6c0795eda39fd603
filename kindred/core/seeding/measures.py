"""Questionnaire answers in the demo and scale data sets (measures/).

Scores are never invented: the answers are, one per item, and every total, band, subscale
and flag comes from the one scoring engine (measures/scoring.py), cached on the
administration exactly as completing it caches them (measures/answering.py).

Synthetic courses
    Each member follows a course over their weeks in a group: most improve (PHQ-9 and
    GAD-7 totals falling), some stay flat, a few reliably deteriorate. A total is drawn
    around the course's line and spread over the items; the group pulse follows how the
    member is doing.

Demo (``seed_demo_measures``)
    Through the real services, at the time things would have happened: the demo groups
    get their default schedules (``schedules_apply_defaults``; group set-up asks for them
    only after commit, and the demo is one transaction), planning runs at past moments
    (``plan_intake`` / ``plan_sessions`` with ``now=``), the members answer and send
    each questionnaire (``answers_save`` / ``administration_submit`` with ``now=``)
    inside its window, and what was never answered is closed (``expire_closed``). Only
    members with a portal account can answer (planning asks nobody else); every demo
    member holding a place has one. Courses are chosen group by group
    (``demo_kinds_by_group``), so each group shows several trajectories. One member
    reliably deteriorates and answers PHQ-9 item 9 above 0 twice: the older alert is
    acknowledged, the recent one stays open (``seed_demo_alerts``).

Scale (``seed_scale_questionnaires``)
    Bulk-inserted, streamed in batches: for the members holding places in the groups,
    the default schedules' questionnaires (PHQ-9 and GAD-7 at intake and before every
    4th session, the pulse after each session attended) whose window has opened; most
    answered, some partly answered, some never (expired, or still open). About 50 item
    answers per client (PERFORMANCE.md: 1,000,000 at 20,000 clients). The member whose
    outcomes chart the benchmarks open (kindred/bench/inprocess.py: the busiest recent
    session's group, its member with the most answered questionnaires) answers
    everything, and their facilitator also sends them PHQ-9 and GAD-7 weekly, so the
    chart has a long trajectory.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone

from kindred.measures.answering import _cache as cache_score  # the one way results are cached
from kindred.measures.definitions import Definition
from kindred.measures.library import definition_of
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Instrument,
    MeasurementSchedule,
    OutcomeSettings,
    Response,
    SafetyAlert,
    Timing,
)
from kindred.measures.planning import (
    Window,
    adhoc_window,
    intake_window,
    session_number_for_member,
    session_window,
)
from kindred.measures.schedules import DEFAULT_SCHEDULES
from kindred.measures.scoring import ScoreResult, score

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

Progress = Callable[[int], object]

PHQ9, GAD7, PULSE = "phq9", "gad7", "pulse"
PHQ9_ITEM9 = "item9"


# --- Synthetic courses and answers -----------------------------------------------------------


class Kind(enum.StrEnum):
    IMPROVING = "improving"
    FLAT = "flat"
    DETERIORATING = "deteriorating"


@dataclass(frozen=True)
class Course:
    """Where a member's totals start and end (PHQ-9, GAD-7) and how the sessions feel
    to them (pulse level 0–4, start and end)."""

    kind: Kind
    phq9: tuple[int, int]
    gad7: tuple[int, int]
    pulse: tuple[float, float]

    def line(self, code: str, fraction: float) -> float:
        start, end = self.phq9 if code == PHQ9 else self.gad7
        return start + (end - start) * min(max(fraction, 0.0), 1.0)


def course_for(rng: Random, kind: Kind) -> Course:
    """A course of ``kind``. Improving members fall by more than the reliable-change size
    (PHQ-9 6, GAD-7 4) and deteriorating ones rise by more, whatever the noise (±1)."""
    if kind == Kind.IMPROVING:
        phq, gad = rng.randint(13, 20), rng.randint(10, 16)
        return Course(
            kind,
            (phq, max(1, phq - rng.randint(8, 11))),
            (gad, max(1, gad - rng.randint(6, 8))),
            (rng.uniform(1.8, 2.4), rng.uniform(3.0, 3.6)),
        )
    if kind == Kind.FLAT:
        phq, gad = rng.randint(10, 15), rng.randint(8, 13)
        return Course(
            kind,
            (phq, phq + rng.randint(-2, 2)),
            (gad, gad + rng.randint(-2, 1)),
            (rng.uniform(2.0, 2.6), rng.uniform(2.2, 2.8)),
        )
    phq, gad = rng.randint(9, 12), rng.randint(7, 10)
    return Course(
        kind,
        (phq, phq + rng.randint(8, 10)),
        (gad, gad + rng.randint(6, 8)),
        (rng.uniform(2.4, 2.8), rng.uniform(1.2, 1.7)),
    )


def _spread(rng: Random, keys: Sequence[str], total: int, top: int) -> dict[str, int]:
    """Answers 0..``top`` to ``keys`` adding up to ``total`` (clamped to what fits)."""
    values = dict.fromkeys(keys, 0)
    room = list(keys)
    for _ in range(max(0, min(total, top * len(keys)))):
        key = rng.choice(room)
        values[key] += 1
        if values[key] == top:
            room.remove(key)
    return values


def total_near(rng: Random, course: Course, code: str, fraction: float, top: int) -> int:
    return max(0, min(top, round(course.line(code, fraction)) + rng.randint(-1, 1)))


def phq9_answers(rng: Random, total: int, *, item9: int = 0) -> dict[str, int]:
    """PHQ-9 answers with this total and item 9 (the rest spread over items 1–8), and
    the unscored difficulty question answered as someone at that level would."""
    rest = [f"item{n}" for n in range(1, 9)]
    answers = _spread(rng, rest, max(0, total - item9), 3)
    answers[PHQ9_ITEM9] = item9
    answers["difficulty"] = min(3, max(0, total // 7 + rng.randint(-1, 0)))
    return answers


def gad7_answers(rng: Random, total: int) -> dict[str, int]:
    return _spread(rng, [f"item{n}" for n in range(1, 8)], total, 3)


def pulse_answers(rng: Random, level: float) -> dict[str, int]:
    """The pulse: belonging, safety, usefulness and engagement around ``level`` (0–4);
    conflict mostly none, more often when the session felt poor."""

    def near(offset: float = 0.0) -> int:
        return max(0, min(4, round(level + offset + rng.uniform(-0.9, 0.9))))

    conflict = 0 if rng.random() < 0.55 else min(4, rng.randint(0, 1) + (level < 1.8))
    return {
        "belonging": near(),
        "safety": near(0.2),
        "usefulness": near(),
        "engagement": near(-0.1),
        "conflict": conflict,
    }


def answers_for(
    rng: Random, code: str, course: Course, fraction: float, *, item9: int = 0
) -> dict[str, int]:
    """A full set of answers to a built-in (``code``) at ``fraction`` of the course."""
    if code == PHQ9:
        total = max(item9, total_near(rng, course, PHQ9, fraction, 27))
        return phq9_answers(rng, total, item9=item9)
    if code == GAD7:
        return gad7_answers(rng, total_near(rng, course, GAD7, fraction, 21))
    start, end = course.pulse
    return pulse_answers(rng, start + (end - start) * min(max(fraction, 0.0), 1.0))


# --- Demo: through the real services -------------------------------------------------------

#: How often planning looks ahead while the demo's past is replayed (planning plans a
#: session's questionnaires up to 7 days before it; 3-day steps never miss one).
REPLAY_STEP = timedelta(days=3)


#: A demo member's course runs its length over at most this long from their first
#: answer (most of the change comes in a group's first weeks), then holds.
DEMO_COURSE_SPAN = timedelta(weeks=4)


@dataclass
class DemoMeasures:
    answered: int = 0
    responses: int = 0
    expired: int = 0
    alerts: int = 0
    courses: dict[int, Kind] = field(default_factory=dict)  # client id -> course


def demo_kinds(count: int) -> list[Kind]:
    """Courses for ``count`` answering members: the last reliably deteriorates, one or
    two before it stay flat (when there are enough members), the rest improve."""
    if count <= 0:
        return []
    if count == 1:
        return [Kind.IMPROVING]
    flat = 0 if count < 4 else (1 if count < 7 else 2)
    improving = count - 1 - flat
    return [Kind.IMPROVING] * improving + [Kind.FLAT] * flat + [Kind.DETERIORATING]


def demo_kinds_by_group(rosters: Sequence[Sequence[int]]) -> dict[int, Kind]:
    """Courses for the answering members of each group (client ids, in the order their
    places were offered), so every group's dashboard shows several trajectories: in
    each group, the members not already given a course in an earlier group mostly
    improve, one stays flat (when three or more are new), and the first group with two
    or more new members has the one member who reliably deteriorates, last."""
    kinds: dict[int, Kind] = {}
    deteriorating = False
    for roster in rosters:
        new = list(dict.fromkeys(c for c in roster if c not in kinds))
        tail: list[Kind] = []
        if not deteriorating and len(new) >= 2:
            tail.append(Kind.DETERIORATING)
            deteriorating = True
        if len(new) - len(tail) >= 3:
            tail.insert(0, Kind.FLAT)
        course = [Kind.IMPROVING] * (len(new) - len(tail)) + tail
        kinds.update(zip(new, course, strict=True))
    return kinds


def _answer_time(rng: Random, admin: Administration) -> datetime:
    """When the member sends it: some hours into its window, before it is due."""
    start = admin.available_from
    end = admin.due_at or admin.closes_at or start + timedelta(days=1)
    if admin.reason == Timing.INTAKE:
        end = min(end, start + timedelta(days=4))
    span = max(60.0, (end - start).total_seconds() - 3600)
    return start + timedelta(seconds=rng.uniform(0.1, 0.8) * span)


def seed_demo_measures(
    *,
    groups: Sequence[TherapyGroup],
    clinical_lead: User | None,
    seed: int,
    now: datetime | None = None,
) -> DemoMeasures:
    """Questionnaires for the demo groups' members, planned and answered through the
    real services at the moments they would have been (see the module docstring), their
    safety alerts, and the outcome rules with ``clinical_lead``. Call inside the demo's
    transaction, after the groups and places exist."""
    from kindred.core.seeding.outcomes import seed_demo_alerts, seed_outcome_settings
    from kindred.groups.models import Enrollment
    from kindred.measures.answering import expire_closed
    from kindred.measures.schedules import schedules_apply_defaults

    now = now or timezone.now()
    result = DemoMeasures()
    schedules_apply_defaults(groups=groups)
    places = list(
        Enrollment.objects.filter(
            group_id__in=[g.pk for g in groups],
            client__user__isnull=False,
            client__user__is_active=True,
            invited_at__lte=now,
        )
        .select_related("client__user")
        .order_by("invited_at", "pk")
    )
    if places:
        _replay_planning(places, [g.pk for g in groups], now=now)
        users = {p.client_id: p.client.user for p in places if p.client.user is not None}
        client_ids = sorted(users)
        rosters = [[p.client_id for p in places if p.group_id == g.pk] for g in groups]
        result.courses = demo_kinds_by_group(rosters)
        _answer_as_members(result, users, seed=seed, now=now)
        result.expired = expire_closed(now=now)
        result.alerts = seed_demo_alerts(client_ids=client_ids)
        _date_alerts_by_their_answers(client_ids)
    seed_outcome_settings(clinical_lead=clinical_lead)
    return result


def _replay_planning(places: Sequence[Any], group_ids: list[int], *, now: datetime) -> None:
    """Plan as the practice's scheduler would have: intake when each place was offered,
    session questionnaires every few days since, and soon after each session's
    attendance was taken (``reconcile`` then cancels the pulse of someone who was not
    there, before they could answer it)."""
    from kindred.measures.planning import plan_intake, plan_sessions, reconcile
    from kindred.scheduling.models import GroupSession, SessionStatus

    for place in places:
        plan_intake(now=place.invited_at + timedelta(minutes=1), enrollment_ids=[place.pk])
    moments: set[datetime] = set()
    moment = min(p.invited_at for p in places)
    while moment < now:
        moments.add(moment)
        moment += REPLAY_STEP
    for taken_at in GroupSession.objects.filter(
        group_id__in=group_ids,
        status=SessionStatus.SCHEDULED,
        attendance_taken_at__isnull=False,
        attendance_taken_at__lt=now,
    ).values_list("attendance_taken_at", flat=True):
        if taken_at is not None:
            moments.add(taken_at + timedelta(minutes=1))
    for moment in sorted(moments):
        reconcile(now=moment)  # as plan_measures does before planning
        plan_sessions(now=moment, group_ids=group_ids)
    plan_sessions(now=now, group_ids=group_ids)


def _answer_as_members(
    result: DemoMeasures, users: Mapping[int, User], *, seed: int, now: datetime
) -> None:
    """Each member answers and sends their questionnaires some hours into each window
    (those whose moment has not come yet stay waiting for them)."""
    from kindred.measures.answering import administration_submit, answers_save

    rng = Random(f"{seed}:measures")  # noqa: S311 - synthetic data, not secrets
    # Seeded by each member's place in the list (not their id), so two loads match.
    courses = {
        c: course_for(Random(f"{seed}:course:{n}"), kind)  # noqa: S311
        for n, (c, kind) in enumerate(sorted(result.courses.items()))
    }
    admins = (
        Administration.objects.filter(
            client_id__in=list(users),
            available_from__lt=now,
            status__in=[AdministrationStatus.PENDING, AdministrationStatus.IN_PROGRESS],
        )
        .select_related("instrument")
        .order_by("available_from", "pk")
    )
    answered = [
        (a, t)
        for a in admins
        if (t := _answer_time(rng, a)) < now and (a.closes_at is None or t < a.closes_at)
    ]
    first_seen: dict[int, datetime] = {}
    for a, t in answered:
        first_seen.setdefault(a.client_id, t)
    # The deteriorating member answers item 9 above 0 on their last two PHQ-9s: the
    # older alert gets acknowledged, the recent one stays open.
    flagged: set[int] = set()
    for client_id, kind in result.courses.items():
        if kind == Kind.DETERIORATING:
            own = [a.pk for a, _t in answered if a.client_id == client_id]
            phq9 = _codes(answered, PHQ9)
            flagged.update([pk for pk in own if pk in phq9][-2:])
    # One pulse is never answered and one only half (both close unsent).
    pulses = [a.pk for a, _t in answered if a.instrument.code == PULSE]
    missed, partial = set(pulses[1:2]), set(pulses[3:4])
    for admin, when in answered:
        if admin.pk in missed:
            continue
        first = first_seen[admin.client_id]
        # Whole days since their first answer, so two loads minutes apart draw the same
        # course (a denominator in seconds made the rounding differ between loads).
        so_far = timedelta(days=max(1, (now - first).days))
        fraction = (when - first) / min(so_far, DEMO_COURSE_SPAN)
        answers = answers_for(
            rng,
            admin.instrument.code,
            courses[admin.client_id],
            fraction,
            item9=1 if admin.pk in flagged else 0,
        )
        user, version = users[admin.client_id], admin.instrument_version
        if admin.pk in partial:
            some = dict(list(answers.items())[:3])
            answers_save(actor=user, administration=admin, answers=some, version=version, now=when)
            result.responses += len(some)
            continue
        administration_submit(
            actor=user, administration=admin, version=version, answers=answers, now=when
        )
        result.answered += 1
        result.responses += len(answers)


def _codes(rows: Iterable[tuple[Administration, datetime]], code: str) -> set[int]:
    return {a.pk for a, _t in rows if a.instrument.code == code}


def _date_alerts_by_their_answers(client_ids: Iterable[int]) -> None:
    """The answers were given in the past but their alerts were raised (and the older
    ones acknowledged) just now: date each alert from its answers, acknowledged a couple
    of hours later, as the facilitator would have."""
    for alert in SafetyAlert.objects.filter(
        client_id__in=list(client_ids), administration__completed_at__isnull=False
    ).select_related("administration"):
        assert alert.administration is not None  # noqa: S101 - filtered above
        raised = alert.administration.completed_at
        assert raised is not None  # noqa: S101 - filtered above
        fields: dict[str, Any] = {"created_at": raised}
        if alert.acknowledged_at is not None:
            fields["acknowledged_at"] = raised + timedelta(hours=2, minutes=10)
        SafetyAlert.objects.filter(pk=alert.pk).update(**fields)


# --- Scale: bulk-inserted ---------------------------------------------------------------

#: Every Nth session of the default schedules (PHQ-9 and GAD-7).
EVERY_N = next(n for _c, t, n in DEFAULT_SCHEDULES if t == Timing.EVERY_NTH_SESSION and n)
#: Chance that a member holding an active place answers a questionnaire in full, by code
#: (someone only invited, who never took the place up, rarely does).
ANSWER_RATE = {PHQ9: 0.82, GAD7: 0.8, PULSE: 0.62}
INVITED_ANSWER_RATE = 0.2
#: Of the questionnaires not answered in full, the share started and left part-way.
PARTIAL_RATE = 0.12
#: Courses at scale (weights): most improve, a third stay flat, a few deteriorate.
KIND_WEIGHTS = ((Kind.IMPROVING, 55), (Kind.FLAT, 35), (Kind.DETERIORATING, 10))
#: Weeks over which a course runs from its start to its end (then it stays there).
COURSE_WEEKS = 16
GROUPS_PER_CHUNK = 50


@dataclass(frozen=True)
class _Instrument:
    id: int
    code: str
    version: str
    definition: Definition
    cutoffs: Mapping[str, Any]


@dataclass(frozen=True)
class _Place:
    client_id: int
    offered: datetime
    activated: datetime | None
    ended: datetime | None


@dataclass
class _Writer:
    batch_size: int
    progress: Progress
    admins: list[Administration] = field(default_factory=list)
    answers: list[list[Response]] = field(default_factory=list)
    administrations: int = 0
    responses: int = 0

    def add(self, admin: Administration, responses: list[Response]) -> None:
        self.admins.append(admin)
        self.answers.append(responses)
        if len(self.admins) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.admins:
            return
        Administration.objects.bulk_create(self.admins, batch_size=self.batch_size)
        rows: list[Response] = []
        for admin, responses in zip(self.admins, self.answers, strict=True):
            for response in responses:
                response.administration_id = admin.pk
            rows.extend(responses)
        Response.objects.bulk_create(rows, batch_size=self.batch_size * 4)
        self.administrations += len(self.admins)
        self.responses += len(rows)
        self.progress(len(self.admins) + len(rows))
        self.admins, self.answers = [], []


@dataclass
class ScaleMeasures:
    schedules: int = 0
    administrations: int = 0
    responses: int = 0
    alerts: int = 0
    summaries: int = 0
    chart_member: tuple[int, int] | None = None  # (group id, client id)

    @property
    def rows(self) -> int:
        return self.schedules + self.administrations + self.responses + self.alerts + self.summaries


def _load_instruments() -> dict[str, _Instrument]:
    return {
        i.code: _Instrument(i.pk, i.code, i.version, definition_of(i), dict(i.cutoffs or {}))
        for i in Instrument.objects.filter(code__in=[PHQ9, GAD7, PULSE], is_active=True)
    }


def seed_scale_schedules(group_ids: Sequence[int], instruments: Mapping[str, _Instrument]) -> int:
    """The default schedules for every group without any (past groups had them too)."""
    have = set(
        MeasurementSchedule.objects.filter(group_id__in=list(group_ids)).values_list(
            "group_id", flat=True
        )
    )
    rows = [
        MeasurementSchedule(
            group_id=group_id,
            instrument_id=instruments[code].id,
            timing=timing,
            every_n=every_n,
        )
        for group_id in group_ids
        if group_id not in have
        for code, timing, every_n in DEFAULT_SCHEDULES
        if code in instruments
    ]
    MeasurementSchedule.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def chart_member(group_ids: Sequence[int], now: datetime) -> tuple[int, int] | None:
    """(group, client) whose outcomes chart the benchmarks open: the group of the recent
    held session with the most attendance rows (as kindred/bench/inprocess.py picks it),
    and the member of it who has held their place longest."""
    from kindred.groups.models import Enrollment
    from kindred.scheduling.models import GroupSession, SessionStatus

    busiest = (
        GroupSession.objects.filter(
            group_id__in=list(group_ids),
            status=SessionStatus.SCHEDULED,
            starts_at__lte=now,
            starts_at__gte=now - timedelta(days=14),
        )
        .annotate(rows=Count("attendance"))
        .order_by("-rows", "-starts_at", "id")
        .values_list("group_id", flat=True)
        .first()
    )
    if busiest is None:
        return None
    client_id = (
        Enrollment.objects.filter(
            group_id=busiest, activated_at__isnull=False, activated_at__lte=now
        )
        .order_by("activated_at", "pk")
        .values_list("client_id", flat=True)
        .first()
    )
    return (busiest, client_id) if client_id is not None else None


class _ScaleRun:
    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        instruments: Mapping[str, _Instrument],
        schedules: Mapping[tuple[int, str, str], int],
        writer: _Writer,
        chart: tuple[int, int] | None,
        leads: Mapping[int, int | None],
    ):
        self.rng = Random(f"{seed}:questionnaires")  # noqa: S311 - synthetic data
        self.seed = seed
        self.now = now
        self.instruments = instruments
        self.schedules = schedules
        self.writer = writer
        self.chart = chart
        self.leads = leads
        self.courses: dict[int, Course] = {}
        self.results: dict[tuple[str, tuple[tuple[str, int], ...]], ScoreResult] = {}

    def course(self, client_id: int) -> Course:
        found = self.courses.get(client_id)
        if found is None:
            rng = Random(f"{self.seed}:course:{client_id}")  # noqa: S311
            kinds = [k for k, _w in KIND_WEIGHTS]
            kind = rng.choices(kinds, weights=[w for _k, w in KIND_WEIGHTS])[0]
            found = self.courses[client_id] = course_for(rng, kind)
        return found

    def group(
        self,
        group_id: int,
        sessions: list[tuple[int, datetime, datetime]],
        places: list[_Place],
        attended: set[tuple[int, int]],
    ) -> None:
        starts = [s[1] for s in sessions]
        for place in places:
            everything = self.chart == (group_id, place.client_id)
            self.place(group_id, place, sessions, starts, attended, everything=everything)

    def place(
        self,
        group_id: int,
        place: _Place,
        sessions: list[tuple[int, datetime, datetime]],
        starts: list[datetime],
        attended: set[tuple[int, int]],
        *,
        everything: bool,
    ) -> None:
        def held(at: datetime) -> bool:
            return place.offered <= at and (place.ended is None or place.ended > at)

        later = [s for s in starts if s > place.offered]
        intake = intake_window(place.offered, later[0] if later else None)
        for code in (PHQ9, GAD7):
            self.one(
                group_id, place, code,
                reason=Timing.INTAKE, window=intake, session_id=None, everything=everything,
            )  # fmt: skip
        for session_id, starts_at, ends_at in sessions:
            if not held(starts_at):
                continue
            number = session_number_for_member(starts, place.offered, starts_at)
            nth = number > 0 and number % EVERY_N == 0
            before = session_window(Timing.EVERY_NTH_SESSION, starts_at, ends_at)
            for code in (PHQ9, GAD7):
                if nth:
                    self.one(
                        group_id, place, code, reason=Timing.EVERY_NTH_SESSION, window=before,
                        session_id=session_id, everything=everything,
                    )  # fmt: skip
                elif everything and starts_at - timedelta(days=1) < self.now:
                    # Their facilitator follows them closely: a check-in sent the day before.
                    self.one(
                        group_id, place, code, reason=Timing.ADHOC,
                        window=adhoc_window(starts_at - timedelta(days=1)), session_id=None,
                        everything=True,
                    )  # fmt: skip
            if (session_id, place.client_id) in attended:
                after = session_window(Timing.AFTER_SESSION, starts_at, ends_at)
                self.one(
                    group_id, place, PULSE, reason=Timing.AFTER_SESSION, window=after,
                    session_id=session_id, everything=everything,
                )  # fmt: skip

    def one(
        self,
        group_id: int,
        place: _Place,
        code: str,
        *,
        reason: Timing,
        window: Window,
        session_id: int | None,
        everything: bool,
    ) -> None:
        """One administration (and its answers) if its window has opened by now."""
        if window.available_from > self.now or code not in self.instruments:
            return
        instrument = self.instruments[code]
        rng = self.rng
        admin = Administration(
            client_id=place.client_id,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            group_id=group_id,
            session_id=session_id,
            schedule_id=self.schedules.get((group_id, code, reason)),
            reason=reason,
            available_from=window.available_from,
            due_at=window.due_at,
            closes_at=window.closes_at,
            sent_by_id=self.leads.get(group_id) if reason == Timing.ADHOC else None,
        )
        closed = window.closes_at <= self.now
        rate = ANSWER_RATE[code] if place.activated is not None else INVITED_ANSWER_RATE
        roll = rng.random()
        end = min(window.due_at or window.closes_at, window.closes_at, self.now)
        if reason == Timing.ADHOC:  # answered the same day, before the next one is sent
            end = min(end, window.available_from + timedelta(hours=20))
        when = window.available_from + (end - window.available_from) * rng.uniform(0.05, 0.9)
        fraction = (when - place.offered) / timedelta(weeks=COURSE_WEEKS)
        course = self.course(place.client_id)
        if everything or roll < rate:
            item9 = self.item9(code, course, fraction)
            answers = answers_for(rng, code, course, fraction, item9=item9)
            cache_score(admin, self.scored(code, answers), completed=True)
            admin.status = AdministrationStatus.COMPLETED
            admin.completed_at = when
        elif roll < rate + (1 - rate) * PARTIAL_RATE:
            # Started and left part-way (the last scored item, PHQ-9's item 9, is never
            # among them: a partly answered item 9 would have raised its alert on closing).
            full = answers_for(rng, code, course, fraction)
            keys = [i.key for i in instrument.definition.scored_items]
            answers = {k: full[k] for k in keys[: rng.randint(1, len(keys) - 1)]}
            if closed:  # expire_closed scored what was there: incomplete, never banded
                cache_score(admin, self.scored(code, answers), completed=False)
                admin.status = AdministrationStatus.EXPIRED
            else:
                admin.status = AdministrationStatus.IN_PROGRESS
        else:
            answers = {}
            admin.status = AdministrationStatus.EXPIRED if closed else AdministrationStatus.PENDING
        self.writer.add(
            admin,
            [Response(item=k, value=v, answered_at=when) for k, v in answers.items()],
        )

    def item9(self, code: str, course: Course, fraction: float) -> int:
        """PHQ-9 item 9 above 0: rare, more often when the member is doing badly."""
        if code != PHQ9:
            return 0
        level = course.line(PHQ9, fraction)
        chance = 0.1 if level >= 15 else (0.035 if level >= 10 else 0.008)
        if self.rng.random() >= chance:
            return 0
        return 1 if self.rng.random() < 0.85 else 2

    def scored(self, code: str, answers: Mapping[str, int]) -> ScoreResult:
        """The scoring engine's result (scoring is pure, so equal answers are scored
        once)."""
        key = (code, tuple(sorted(answers.items())))
        found = self.results.get(key)
        if found is None:
            instrument = self.instruments[code]
            found = score(instrument.definition, answers, cutoffs=dict(instrument.cutoffs))
            self.results[key] = found
        return found


def seed_scale_questionnaires(
    *,
    group_ids: Sequence[int],
    seed: int,
    clinical_lead_id: int | None = None,
    now: datetime | None = None,
    batch_size: int = 2000,
    progress: Progress = lambda n: None,
) -> ScaleMeasures:
    """Schedules, administrations and item answers for ``group_ids`` (see the module
    docstring), bulk-inserted in batches, then the safety alerts of the flagged answers
    and the practice's outcome rules (with ``clinical_lead_id`` as the clinical lead,
    unless one is already set). A group that already has administrations is left alone,
    so running it twice adds nothing."""
    from kindred.accounts.models import User
    from kindred.core.seeding.outcomes import seed_outcome_settings, seed_scale_alerts
    from kindred.groups.models import Enrollment
    from kindred.scheduling.models import ATTENDED_STATUSES, Attendance, GroupSession, SessionStatus

    now = now or timezone.now()
    result = ScaleMeasures()
    instruments = _load_instruments()
    if not instruments:
        return result
    ids = sorted(group_ids)
    result.schedules = seed_scale_schedules(ids, instruments)
    progress(result.schedules)
    done = set(
        Administration.objects.filter(group_id__in=ids)
        .values_list("group_id", flat=True)
        .distinct()
    )
    todo = [g for g in ids if g not in done]
    codes = {i.id: c for c, i in instruments.items()}
    schedules = {
        (group_id, codes[instrument_id], timing): pk
        for pk, group_id, instrument_id, timing in MeasurementSchedule.objects.filter(
            group_id__in=todo, instrument_id__in=list(codes), is_active=True
        ).values_list("pk", "group_id", "instrument_id", "timing")
    }
    from kindred.groups.models import TherapyGroup

    leads = dict(
        TherapyGroup.objects.filter(pk__in=todo).values_list("pk", "lead_facilitator__user_id")
    )
    writer = _Writer(batch_size=batch_size, progress=progress)
    result.chart_member = chart_member(todo, now)
    run = _ScaleRun(
        seed=seed,
        now=now,
        instruments=instruments,
        schedules=schedules,
        writer=writer,
        chart=result.chart_member,
        leads=leads,
    )
    for start in range(0, len(todo), GROUPS_PER_CHUNK):
        chunk = todo[start : start + GROUPS_PER_CHUNK]
        sessions: dict[int, list[tuple[int, datetime, datetime]]] = defaultdict(list)
        for pk, group_id, starts_at, ends_at in (
            GroupSession.objects.filter(
                group_id__in=chunk,
                status=SessionStatus.SCHEDULED,
                starts_at__lte=now + timedelta(days=2),
            )
            .order_by("group_id", "starts_at", "pk")
            .values_list("pk", "group_id", "starts_at", "ends_at")
        ):
            sessions[group_id].append((pk, starts_at, ends_at))
        places: dict[int, list[_Place]] = defaultdict(list)
        for group_id, client_id, offered, activated, ended in (
            Enrollment.objects.filter(group_id__in=chunk, invited_at__lte=now)
            .order_by("group_id", "pk")
            .values_list("group_id", "client_id", "invited_at", "activated_at", "ended_at")
        ):
            places[group_id].append(_Place(client_id, offered, activated, ended))
        attended = set(
            Attendance.objects.filter(
                session__group_id__in=chunk, status__in=ATTENDED_STATUSES
            ).values_list("session_id", "client_id")
        )
        for group_id in chunk:
            run.group(group_id, sessions.get(group_id, []), places.get(group_id, []), attended)
    writer.flush()
    result.administrations = writer.administrations
    result.responses = writer.responses
    # The rows were written straight to the tables, so the outcome summary the answering
    # service keeps is rebuilt from them, set-based (measures/summary.py).
    from kindred.measures.summary import rebuild

    result.summaries = rebuild()
    progress(result.summaries)
    result.alerts = seed_scale_alerts(
        rng=Random(f"{seed}:alerts"),  # noqa: S311 - synthetic data, not secrets
        progress=progress,
        batch_size=batch_size,
    )
    has_lead = OutcomeSettings.objects.filter(clinical_lead__isnull=False).exists()
    if clinical_lead_id is not None and not has_lead:
        seed_outcome_settings(clinical_lead=User.objects.filter(pk=clinical_lead_id).first())
    return result
