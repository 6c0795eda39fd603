"""The facilitator's home: today's sessions first, then the next seven days, then past
sessions whose attendance is still to be taken. A constant number of queries however
many groups, sessions and members there are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kindred.groups.access import clinician_of
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.scheduling.attendance import (
    attendance_open,
    had_seat,
    local_day_bounds,
    session_local_date,
    session_zone,
)
from kindred.scheduling.gate import START_OPENS_BEFORE, is_virtual
from kindred.scheduling.models import (
    AbsenceNotice,
    GroupSession,
    SessionStatus,
    StateAttestation,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.practice.models import ClinicianProfile

#: How far back the "attendance not yet taken" list looks.
UNTAKEN_LOOKBACK = timedelta(days=90)
#: At most this many sessions in that list (the count says how many there are).
UNTAKEN_LIMIT = 20
UPCOMING_DAYS = 7


def groups_run_by(ids: Sequence[int], *, memo: object | None = None) -> tuple[list[int], list[int]]:
    """(groups these clinicians lead, groups they co-facilitate), in one small query.
    With ``memo`` (an object that lives for one request, e.g. the signed-in user) the
    answer is kept on it, so the several panels of one page ask once."""
    key = tuple(sorted(ids))
    cache: dict[tuple[int, ...], tuple[list[int], list[int]]] | None = None
    if memo is not None:
        cache = memo.__dict__.setdefault("_kindred_groups_run_by", {})
        if key in cache:
            return cache[key]
    co_led = TherapyGroup.co_facilitators.through.objects.filter(
        therapygroup_id=OuterRef("pk"), clinicianprofile_id__in=key
    )
    led: list[int] = []
    co: list[int] = []
    for pk, is_co in (
        TherapyGroup.objects.filter(Q(lead_facilitator__in=key) | Exists(co_led))
        .annotate(is_co=Exists(co_led))
        .values_list("pk", "is_co")
        .order_by("pk")
    ):
        (co if is_co else led).append(pk)
    if cache is not None:
        cache[key] = (led, co)
    return led, co


def sessions_run_by_q(ids: Sequence[int], *, memo: object | None = None) -> Q:
    """Sessions these clinicians run: as lead (unless a substitute covers), as the
    substitute, or as a co-facilitator. Mirrors ``access.session_facilitator_ids``.

    The groups are looked up first and passed as literal ids, so the planner finds the
    sessions by index conditions on (group, starts_at) and on the substitute; written
    with joins or sub-selects it filtered every session of the practice (100,000 at
    scale) one by one."""
    led, co = groups_run_by(ids, memo=memo)
    return (
        Q(substitute_facilitator__in=list(ids))
        | Q(substitute_facilitator__isnull=True, group_id__in=led)
        | Q(group_id__in=co)
    )


def sessions_run_by(
    clinician: ClinicianProfile, *, memo: object | None = None
) -> QuerySet[GroupSession]:
    """The sessions one clinician runs (see ``sessions_run_by_q``)."""
    return GroupSession.objects.filter(sessions_run_by_q([clinician.pk], memo=memo))


@dataclass
class DashboardSession:
    session: GroupSession
    local_start: datetime
    local_end: datetime
    expected: int
    absence_notices: int
    attestation_problems: int
    can_start: bool
    attendance_open: bool

    @property
    def group(self) -> TherapyGroup:
        return self.session.group

    @property
    def is_virtual(self) -> bool:
        return is_virtual(self.session)

    @property
    def is_cancelled(self) -> bool:
        return self.session.is_cancelled

    @property
    def attendance_taken(self) -> bool:
        return self.session.attendance_taken_at is not None


def _count_per_session(rows: QuerySet[Any]) -> Coalesce:
    """How many of ``rows`` belong to the outer session (a correlated subquery)."""
    counted = (
        rows.filter(session_id=OuterRef("pk"))
        .order_by()
        .values("session_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_counts(sessions: QuerySet[GroupSession]) -> QuerySet[GroupSession]:
    """Absence notices and refused state attestations counted in the sessions' own
    query (no query of their own)."""
    return sessions.annotate(
        notice_count=_count_per_session(AbsenceNotice.objects.all()),
        problem_count=_count_per_session(StateAttestation.objects.filter(allowed=False)),
    )


def _rows(sessions: list[GroupSession], now: datetime) -> list[DashboardSession]:
    """``sessions`` come from ``_with_counts``; one query for the places held."""
    if not sessions:
        return []
    group_ids = {s.group_id for s in sessions}
    earliest = min(s.starts_at for s in sessions) - timedelta(days=1)
    enrollments: dict[int, list[Enrollment]] = defaultdict(list)
    for e in Enrollment.objects.filter(group_id__in=group_ids, activated_at__isnull=False).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=earliest)
    ):
        enrollments[e.group_id].append(e)
    rows = []
    for s in sessions:
        zone = session_zone(s)
        start, end = local_day_bounds(session_local_date(s), zone)
        seated = {e.client_id for e in enrollments[s.group_id] if had_seat(e, start, end)}
        rows.append(
            DashboardSession(
                session=s,
                local_start=timezone.localtime(s.starts_at, zone),
                local_end=timezone.localtime(s.ends_at, zone),
                expected=len(seated),
                absence_notices=getattr(s, "notice_count", 0),
                attestation_problems=getattr(s, "problem_count", 0),
                can_start=(
                    is_virtual(s)
                    and not s.is_cancelled
                    and s.starts_at - START_OPENS_BEFORE <= now < s.ends_at
                ),
                attendance_open=attendance_open(s, now),
            )
        )
    return rows


def facilitator_home_context(*, actor: User, now: datetime | None = None) -> dict[str, Any]:
    """Today's sessions, the next seven days, and attendance still to take. "Today" is
    the practice's calendar day."""
    from kindred.practice.settings import practice_settings

    now = now or timezone.now()
    clinician = clinician_of(actor)
    if clinician is None:
        return {"clinician": None, "today": [], "upcoming": [], "untaken": [], "untaken_count": 0}
    zone = ZoneInfo(practice_settings().timezone)
    today = timezone.localtime(now, zone).date()
    today_start, today_end = local_day_bounds(today, zone)
    week_end = local_day_bounds(today + timedelta(days=UPCOMING_DAYS), zone)[1]
    mine = _with_counts(
        sessions_run_by(clinician, memo=actor).select_related("group", "room", "location")
    )
    window = list(
        mine.filter(starts_at__gte=today_start, starts_at__lt=week_end).order_by("starts_at", "id")
    )
    # The total comes with the first rows (a window count, taken before the limit).
    untaken: list[GroupSession] = list(
        mine.filter(
            status=SessionStatus.SCHEDULED,
            attendance_taken_at__isnull=True,
            starts_at__gte=now - UNTAKEN_LOOKBACK,
            starts_at__lt=today_start,
        )
        .annotate(untaken_total=Window(Count("id")))
        .order_by("-starts_at", "-id")[:UNTAKEN_LIMIT]
    )
    untaken_count = int(getattr(untaken[0], "untaken_total", 0)) if untaken else 0
    rows = _rows(window + untaken, now)
    by_id = {r.session.pk: r for r in rows}
    return {
        "clinician": clinician,
        "today": [by_id[s.pk] for s in window if s.starts_at < today_end],
        "upcoming": [by_id[s.pk] for s in window if s.starts_at >= today_end],
        "untaken": [by_id[s.pk] for s in untaken],
        "untaken_count": untaken_count,
        "today_date": today,
        "upcoming_days": UPCOMING_DAYS,
    }
