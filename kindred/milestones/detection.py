"""Finding milestones: ``detect(client_ids=None)``.

Set-based and idempotent: clients are taken in batches of ``BATCH`` and each batch costs
the same handful of queries whatever its size (enrollments, attendance ranked per group,
questionnaire totals, instruments, goals, the milestones already found, one insert, one
notification insert). Every event is one row (unique client, group, kind, source key), so
running it twice — or two runs racing — never suggests anything twice.

Where each kind comes from (only for an **active** place in a group; graduation for a
graduated one):

- first / fourth session: the member's 1st and 4th attended session of that group
  (``scheduling.ATTENDED_STATUSES``), ranked in the database;
- reliable improvement: the member's first and latest complete totals on a validated
  instrument whose change can be classified, read and classified exactly as the outcome
  pages do (``measures.outcomes.completed_rows`` / ``build_trajectory``, CLINICAL.md
  "Change over time": Talking Therapies criteria, else the Reliable Change Index), with
  the latest answer given after the member joined the group. A suggestion the latest
  answers no longer support is withdrawn (and comes back if they do again); one already
  shared or dismissed is the member's and is left alone;
- goal reached: the goals app's reached goals (``kindred.goals``), one per goal;
- graduation: the enrollment's status "graduated".

Only events of the last ``within_days`` days are suggested (old history is not news).
A new milestone tells its member in the app ("Something worth celebrating…"), never
with a score, once per milestone (the notification's dedupe key).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.measures.definitions import Number
from kindred.measures.library import definition_of
from kindred.measures.models import Instrument
from kindred.measures.outcome_settings import outcome_settings
from kindred.measures.outcomes import (
    IMPROVED_OUTCOMES,
    build_trajectory,
    can_classify,
    completed_rows,
)
from kindred.measures.rc import summarize_change
from kindred.milestones.models import Milestone, MilestoneKind, MilestoneState
from kindred.notifications.services import NewNotification, notify_many

BATCH = 500
#: Events older than this are history, not news: not suggested.
WITHIN_DAYS = 90
NOTIFY_KIND = "milestone"

Key = tuple[int, int, str, str]  # client, group, kind, source key


@dataclass
class DetectResult:
    clients: int = 0
    batches: int = 0
    created: Counter[str] = field(default_factory=Counter)
    withdrawn: int = 0
    restored: int = 0
    notified: int = 0

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def add(self, other: DetectResult) -> None:
        self.clients += other.clients
        self.batches += other.batches
        self.created.update(other.created)
        self.withdrawn += other.withdrawn
        self.restored += other.restored
        self.notified += other.notified


def goal_model() -> Any | None:
    """``kindred.goals.models.Goal`` when the goals app defines it, else None."""
    try:
        return apps.get_model("goals", "Goal")
    except LookupError:
        return None


def _batches(client_ids: Iterable[int] | None) -> Iterator[list[int]]:
    if client_ids is not None:
        ids = sorted({int(c) for c in client_ids})
    else:
        ids = list(
            Enrollment.objects.filter(
                status__in=(EnrollmentStatus.ACTIVE, EnrollmentStatus.GRADUATED)
            )
            .order_by("client_id")
            .values_list("client_id", flat=True)
            .distinct()
        )
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def detect(
    client_ids: Iterable[int] | None = None,
    *,
    within_days: int | None = WITHIN_DAYS,
    now: datetime | None = None,
    progress: Callable[[DetectResult], None] | None = None,
    notify: bool = True,
) -> DetectResult:
    """Find new milestones for ``client_ids`` (everyone with an active or graduated
    place when None). Returns what was found; ``progress`` is called after each batch."""
    now = now or timezone.now()
    since = now - timedelta(days=within_days) if within_days is not None else None
    total = DetectResult()
    for batch in _batches(client_ids):
        total.add(_detect_batch(batch, now=now, since=since, notify=notify))
        if progress is not None:
            progress(total)
    return total


# --- one batch -------------------------------------------------------------------------


@dataclass
class _Places:
    active: dict[tuple[int, int], tuple[datetime | None, int | None]]  # joined, user
    graduated: dict[tuple[int, int], tuple[datetime | None, int | None]]  # ended, user


def _places(ids: list[int]) -> _Places:
    places = _Places(active={}, graduated={})
    for client_id, group_id, status, activated_at, ended_at, user_id in Enrollment.objects.filter(
        client_id__in=ids, status__in=(EnrollmentStatus.ACTIVE, EnrollmentStatus.GRADUATED)
    ).values_list("client_id", "group_id", "status", "activated_at", "ended_at", "client__user_id"):
        if status == EnrollmentStatus.ACTIVE:
            places.active[(client_id, group_id)] = (activated_at, user_id)
        else:
            places.graduated[(client_id, group_id)] = (ended_at, user_id)
    return places


def _sessions(ids: list[int], places: _Places, now: datetime) -> dict[Key, datetime]:
    """The 1st and 4th attended session of each active place (one query: the ranking is
    done by the database)."""
    from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

    ranked = (
        Attendance.objects.filter(
            client_id__in=ids, status__in=ATTENDED_STATUSES, session__starts_at__lte=now
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("client_id"), F("session__group_id")],
                order_by=[F("session__starts_at").asc(), F("pk").asc()],
            )
        )
        .filter(rank__in=(1, 4))
        .values_list("client_id", "session__group_id", "session__starts_at", "rank")
    )
    found: dict[Key, datetime] = {}
    for client_id, group_id, starts_at, rank in ranked:
        if (client_id, group_id) not in places.active:
            continue
        kind = MilestoneKind.FIRST_SESSION if rank == 1 else MilestoneKind.FOURTH_SESSION
        found[(client_id, group_id, kind, "")] = starts_at
    return found


def _improvement_since(
    instrument: Instrument, points: list[tuple[int, datetime, Number, str, int | None]]
) -> datetime | None:
    """When the member's answers on ``instrument`` first showed the reliable improvement
    their latest answer still shows (the start of the run), or None."""
    definition = definition_of(instrument)
    first = points[0][2]
    start: datetime | None = None
    for _pk, when, total, _band, _session in reversed(points[1:]):
        change = summarize_change(
            definition,
            first,
            total,
            sd=instrument.rc_sd,
            reliability=instrument.rc_reliability,
        )
        if change.outcome not in IMPROVED_OUTCOMES:
            break
        start = when
    return start


def improved_clients(ids: list[int]) -> dict[int, tuple[datetime, datetime]]:
    """Clients whose latest answers show a reliable improvement since their first on
    at least one validated, classifiable instrument: client → (since when, latest answer).
    Two queries (totals, instruments)."""
    rows = completed_rows(ids)
    if not rows:
        return {}
    wanted = {inst for _c, inst in rows}
    instruments = {i.pk: i for i in Instrument.objects.filter(pk__in=wanted, validated=True)}
    rules = outcome_settings()
    found: dict[int, tuple[datetime, datetime]] = {}
    for (client_id, instrument_id), points in rows.items():
        instrument = instruments.get(instrument_id)
        if instrument is None or len(points) < 2:
            continue
        if not can_classify(instrument, definition_of(instrument)):
            continue
        trajectory = build_trajectory(instrument, points, attended=[], rules=rules)
        if trajectory.outcome not in IMPROVED_OUTCOMES:
            continue
        since = _improvement_since(instrument, points) or trajectory.latest.completed_at
        latest = trajectory.latest.completed_at
        if client_id in found:
            since = min(since, found[client_id][0])
            latest = max(latest, found[client_id][1])
        found[client_id] = (since, latest)
    return found


def _improvements(ids: list[int], places: _Places) -> dict[Key, datetime]:
    improved = improved_clients(ids)
    found: dict[Key, datetime] = {}
    for (client_id, group_id), (joined, _user) in places.active.items():
        if client_id not in improved:
            continue
        since, latest = improved[client_id]
        if joined is not None and latest < joined:
            continue  # it all happened before they joined this group
        found[(client_id, group_id, MilestoneKind.RELIABLE_IMPROVEMENT, "")] = max(
            since, joined or since
        )
    return found


def _goals(ids: list[int], places: _Places) -> dict[Key, datetime]:
    goal = goal_model()
    if goal is None:
        return {}
    found: dict[Key, datetime] = {}
    groups_of: dict[int, list[int]] = {}
    for client_id, group_id in places.active:
        groups_of.setdefault(client_id, []).append(group_id)
    for pk, client_id, group_id, reached_at in goal.objects.filter(
        client_id__in=ids, status="reached", reached_at__isnull=False
    ).values_list("pk", "client_id", "group_id", "reached_at"):
        # A goal set for a group counts there; a personal one in each group they are in.
        targets = [group_id] if group_id is not None else groups_of.get(client_id, [])
        for target in targets:
            if (client_id, target) in places.active:
                found[(client_id, target, MilestoneKind.GOAL_REACHED, str(pk))] = reached_at
    return found


def _graduations(places: _Places, now: datetime) -> dict[Key, datetime]:
    return {
        (client_id, group_id, MilestoneKind.GRADUATION, ""): ended_at or now
        for (client_id, group_id), (ended_at, _user) in places.graduated.items()
    }


def _notification(key: Key, user_id: int) -> NewNotification:
    client_id, group_id, kind, source = key
    return NewNotification(
        user_id=user_id,
        kind=NOTIFY_KIND,
        title=_("Something worth celebrating"),
        body=_(
            "You have a milestone you could share with your group, if you would like to. "
            "Nothing is shared unless you choose to."
        ),
        url=reverse("web:milestones"),
        dedupe_key=f"milestone:{client_id}:{group_id}:{kind}:{source}",
    )


def _detect_batch(
    ids: list[int], *, now: datetime, since: datetime | None, notify: bool
) -> DetectResult:
    result = DetectResult(clients=len(ids), batches=1)
    places = _places(ids)
    if not places.active and not places.graduated:
        return result
    improvements = _improvements(ids, places)
    events: dict[Key, datetime] = {
        **_sessions(ids, places, now),
        **improvements,
        **_goals(ids, places),
        **_graduations(places, now),
    }
    existing: dict[Key, tuple[int, str]] = {
        (c, g, k, s): (pk, state)
        for pk, c, g, k, s, state in Milestone.objects.filter(client_id__in=ids).values_list(
            "pk", "client_id", "group_id", "kind", "source_key", "state"
        )
    }
    users = {pair: user for pair, (_when, user) in (places.active | places.graduated).items()}
    new = [
        Milestone(
            client_id=key[0],
            group_id=key[1],
            kind=key[2],
            source_key=key[3],
            user_id=users.get((key[0], key[1])),
            happened_at=when,
            detected_at=now,
            state=MilestoneState.SUGGESTED,
        )
        for key, when in sorted(events.items())
        if key not in existing and (since is None or when >= since) and when <= now
    ]
    # A suggested improvement the latest answers no longer show is withdrawn; one that
    # shows again is suggested again.
    withdraw = [
        pk
        for key, (pk, state) in existing.items()
        if key[2] == MilestoneKind.RELIABLE_IMPROVEMENT
        and state == MilestoneState.SUGGESTED
        and key not in improvements
    ]
    restore = [
        pk
        for key, (pk, state) in existing.items()
        if key[2] == MilestoneKind.RELIABLE_IMPROVEMENT
        and state == MilestoneState.WITHDRAWN
        and key in improvements
    ]
    with transaction.atomic():
        if new:
            Milestone.objects.bulk_create(new, ignore_conflicts=True)
        if withdraw:
            result.withdrawn = Milestone.objects.filter(
                pk__in=withdraw, state=MilestoneState.SUGGESTED
            ).update(state=MilestoneState.WITHDRAWN, state_changed_at=now)
        if restore:
            result.restored = Milestone.objects.filter(
                pk__in=restore, state=MilestoneState.WITHDRAWN
            ).update(state=MilestoneState.SUGGESTED, state_changed_at=now)
        if notify:
            notes = [
                _notification((m.client_id, m.group_id, m.kind, m.source_key), m.user_id)
                for m in new
                if m.user_id is not None
            ]
            result.notified = notify_many(notes)
    result.created.update(m.kind for m in new)
    return result
