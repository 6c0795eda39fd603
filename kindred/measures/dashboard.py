"""The group dashboard: how a group is doing, for its facilitators and the people who
manage groups.

- attendance per session (scheduling.Attendance) for the latest sessions;
- the pulse trend: engagement, safety and conflict (items of Kindred's group pulse,
  "not a validated instrument") averaged per session;
- the distribution of current severity: each current member's latest PHQ-9 and GAD-7
  band (Kroenke et al. 2001; Spitzer et al. 2006 — bands per CLINICAL.md);
- members not on track (measures/outcomes.py, the practice's rules);
- open safety alerts.

Everything is aggregated in SQL or read from summaries, in a fixed number of queries
whatever the size of the practice: severity and "not on track" come from the outcome
summary (models.OutcomeSummary, one row per member per instrument, kept by the
answering service; measures/summary.py), never from every administration. Opening the
dashboard is an access audit event (it shows members' clinical data).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Q
from django.utils import timezone

from kindred.audit.services import audit_access
from kindred.core.access import deny
from kindred.measures.library import definition_of
from kindred.measures.models import (
    AdministrationStatus,
    AlertStatus,
    Instrument,
    OutcomeSummary,
    Response,
    SafetyAlert,
)
from kindred.measures.outcome_settings import outcome_settings
from kindred.measures.outcomes import NotOnTrack, not_on_track_from
from kindred.measures.rc import Direction, Outcome
from kindred.measures.summary import row_status

if TYPE_CHECKING:
    from datetime import datetime

    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.groups.models import TherapyGroup
    from kindred.measures.definitions import Band, Definition
    from kindred.measures.models import OutcomeSettings

#: How many of the latest past sessions the dashboard charts.
SESSIONS_SHOWN = 12
PULSE_CODE = "pulse"
#: The pulse items the trend shows (measures/instruments/pulse.py item keys).
PULSE_TREND_ITEMS = ("engagement", "safety", "conflict")
#: Instruments whose current band the severity distribution shows.
SEVERITY_CODES = ("phq9", "gad7")
ALERTS_SHOWN = 20


@dataclass(frozen=True)
class SessionAttendance:
    session_id: int
    starts_at: datetime
    cancelled: bool
    attended: int
    absent_notice: int
    no_show: int

    @property
    def recorded(self) -> int:
        return self.attended + self.absent_notice + self.no_show


@dataclass(frozen=True)
class PulsePoint:
    session_id: int
    starts_at: datetime
    averages: dict[str, float | None]
    answers: int


@dataclass(frozen=True)
class BandCount:
    band: Band
    count: int


@dataclass(frozen=True)
class Severity:
    instrument: Instrument
    counts: list[BandCount]
    not_measured: int


@dataclass(frozen=True)
class OutcomeLine:
    """One member's outcome on one instrument, from the outcome summary."""

    instrument: Instrument
    measured: int
    latest_band: str
    outcome: Outcome | None
    sessions_attended: int
    not_on_track: NotOnTrack | None


@dataclass(frozen=True)
class MemberRow:
    client: Client
    lines: list[OutcomeLine]

    @property
    def off_track(self) -> list[OutcomeLine]:
        return [t for t in self.lines if t.not_on_track and t.not_on_track.flagged]


@dataclass
class GroupDashboard:
    group: TherapyGroup
    rules: OutcomeSettings
    attendance: list[SessionAttendance]
    pulse: list[PulsePoint]
    pulse_labels: dict[str, str]
    severity: list[Severity]
    members: list[MemberRow]
    open_alert_count: int
    open_alerts: list[SafetyAlert] = field(default_factory=list)
    can_open_alerts: bool = False

    @property
    def not_on_track(self) -> list[MemberRow]:
        return [m for m in self.members if m.off_track]


def get_dashboard_group_for(actor: User | None, group_id: object) -> TherapyGroup:
    """The group, for staff who can see it (its facilitators, their supervisors, and
    whoever manages groups). Members and outsiders get 404."""
    from kindred.groups.access import get_group_for
    from kindred.groups.models import TherapyGroup as GroupModel

    if actor is None or not getattr(actor, "is_staff_member", False):
        deny(actor, GroupModel, group_id)
    return get_group_for(actor, group_id)


def _attendance(group: TherapyGroup, now: datetime) -> list[SessionAttendance]:
    from kindred.scheduling.models import (
        ATTENDED_STATUSES,
        AttendanceStatus,
        GroupSession,
        SessionStatus,
    )

    sessions = list(
        GroupSession.objects.filter(group=group, starts_at__lte=now)
        .order_by("-starts_at", "-pk")
        .annotate(
            n_attended=Count("attendance", filter=Q(attendance__status__in=ATTENDED_STATUSES)),
            n_notice=Count(
                "attendance", filter=Q(attendance__status=AttendanceStatus.ABSENT_NOTICE)
            ),
            n_no_show=Count("attendance", filter=Q(attendance__status=AttendanceStatus.NO_SHOW)),
        )
        .values_list("pk", "starts_at", "status", "n_attended", "n_notice", "n_no_show")[
            :SESSIONS_SHOWN
        ]
    )
    return [
        SessionAttendance(
            session_id=pk,
            starts_at=starts,
            cancelled=status == SessionStatus.CANCELLED,
            attended=attended,
            absent_notice=notice,
            no_show=no_show,
        )
        for pk, starts, status, attended, notice, no_show in reversed(sessions)
    ]


def _pulse(group: TherapyGroup, sessions: list[SessionAttendance]) -> list[PulsePoint]:
    """Average answer per pulse item per session, computed in SQL."""
    if not sessions:
        return []
    ids = [s.session_id for s in sessions]
    averages: dict[int, dict[str, float | None]] = defaultdict(dict)
    answers: Counter[int] = Counter()
    for session_id, item, avg, n in (
        Response.objects.filter(
            administration__session_id__in=ids,
            administration__group=group,
            administration__instrument__code=PULSE_CODE,
            administration__status=AdministrationStatus.COMPLETED,
            item__in=PULSE_TREND_ITEMS,
        )
        .values("administration__session_id", "item")
        .annotate(avg=Avg("value"), n=Count("id"))
        .order_by()
        .values_list("administration__session_id", "item", "avg", "n")
    ):
        averages[session_id][item] = round(float(avg), 2) if avg is not None else None
        answers[session_id] = max(answers[session_id], n)
    return [
        PulsePoint(
            session_id=s.session_id,
            starts_at=s.starts_at,
            averages={k: averages[s.session_id].get(k) for k in PULSE_TREND_ITEMS},
            answers=answers[s.session_id],
        )
        for s in sessions
        if s.session_id in averages
    ]


def _pulse_labels(instruments: dict[str, Instrument]) -> dict[str, str]:
    pulse = instruments.get(PULSE_CODE)
    labels = {k: k.title() for k in PULSE_TREND_ITEMS}
    if pulse is not None:
        for subscale in definition_of(pulse).subscales:
            if subscale.key in labels:
                labels[subscale.key] = subscale.label
    return labels


def _summaries(client_ids: list[int]) -> dict[tuple[int, int], OutcomeSummary]:
    """The members' outcome summary rows by (client, instrument), each with how many
    sessions the member attended (in any group) since their first total on it: one
    query, whatever the number of answers."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

    if not client_ids:
        return {}
    since_first = (
        Attendance.objects.filter(
            client_id=OuterRef("client_id"),
            status__in=ATTENDED_STATUSES,
            session__starts_at__gte=OuterRef("first_completed_at"),
        )
        .order_by()
        .values("client_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return {
        (row.client_id, row.instrument_id): row
        for row in OutcomeSummary.objects.filter(client_id__in=client_ids).annotate(
            sessions_since_first=Coalesce(Subquery(since_first), 0)
        )
    }


def _line(
    instrument: Instrument, definition: Definition, row: OutcomeSummary, rules: OutcomeSettings
) -> OutcomeLine:
    """A summary row read with the practice's current rules (and reclassified from its
    totals if the instrument changed since it was written: ``summary.row_status``)."""
    status = row_status(row, instrument, definition)
    sessions = int(getattr(row, "sessions_since_first", 0))
    outcome = Outcome(status.outcome) if status.outcome else None
    return OutcomeLine(
        instrument=instrument,
        measured=row.measured,
        latest_band=row.latest_band,
        outcome=outcome,
        sessions_attended=sessions,
        not_on_track=not_on_track_from(
            instrument=instrument,
            definition=definition,
            measured=row.measured,
            outcome=outcome,
            rci_deteriorated=status.rci_direction == Direction.DETERIORATED,
            started_as_case=status.case_at_first is not False,
            sessions_attended=sessions,
            rules=rules,
        ),
    )


def group_dashboard(*, actor: User, group_id: object) -> GroupDashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    from kindred.groups.models import SEAT_STATUSES, Enrollment
    from kindred.measures.safety_selectors import can_see_alerts, visible_alerts

    group = get_dashboard_group_for(actor, group_id)
    audit_access(actor=actor, action="measures.group_dashboard.viewed", obj=group)
    now = timezone.now()
    rules = outcome_settings()
    attendance = _attendance(group, now)
    pulse = _pulse(group, attendance)
    clients = [
        e.client
        for e in Enrollment.objects.filter(group=group, status__in=SEAT_STATUSES)
        .select_related("client")
        .order_by("client__legal_last_name", "client__legal_first_name", "client_id")
    ]
    client_ids = [c.pk for c in clients]
    summaries = _summaries(client_ids)
    instruments = {
        i.code: i
        for i in Instrument.objects.filter(
            Q(pk__in={inst for _c, inst in summaries}) | Q(code__in=[*SEVERITY_CODES, PULSE_CODE])
        )
    }
    by_id = {i.pk: i for i in instruments.values()}
    definitions = {i.pk: definition_of(i) for i in instruments.values()}
    members = [
        MemberRow(
            client=c,
            lines=[
                _line(by_id[inst_id], definitions[inst_id], summaries[(c.pk, inst_id)], rules)
                for inst_id in sorted(
                    {i for cid, i in summaries if cid == c.pk}, key=lambda i: by_id[i].name
                )
            ],
        )
        for c in clients
    ]
    severity: list[Severity] = []
    for code in SEVERITY_CODES:
        inst = instruments.get(code)
        if inst is None:
            continue
        bands = definitions[inst.pk].bands
        latest = Counter(
            summaries[(cid, inst.pk)].latest_band
            for cid in client_ids
            if (cid, inst.pk) in summaries
        )
        measured = sum(latest.values())
        severity.append(
            Severity(
                instrument=inst,
                counts=[BandCount(b, latest.get(b.code, 0)) for b in bands],
                not_measured=len(client_ids) - measured,
            )
        )
    dashboard = GroupDashboard(
        group=group,
        rules=rules,
        attendance=attendance,
        pulse=pulse,
        pulse_labels=_pulse_labels(instruments),
        severity=severity,
        members=members,
        open_alert_count=0,
    )
    # The group's open alerts, and those without a group for its current members.
    of_group = Q(group=group) | Q(group__isnull=True, client_id__in=client_ids)
    if can_see_alerts(actor):
        dashboard.can_open_alerts = True
        dashboard.open_alerts = list(
            visible_alerts(actor, resolve_groups=True)
            .filter(of_group, status=AlertStatus.OPEN)
            .select_related("client", "administration__instrument")
            .order_by("created_at", "pk")[: ALERTS_SHOWN + 1]
        )
        dashboard.open_alert_count = len(dashboard.open_alerts)
        dashboard.open_alerts = dashboard.open_alerts[:ALERTS_SHOWN]
    else:
        dashboard.open_alert_count = SafetyAlert.objects.filter(
            of_group, status=AlertStatus.OPEN
        ).count()
    return dashboard
