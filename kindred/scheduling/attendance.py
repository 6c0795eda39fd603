"""Attendance: who is expected at a session, the facilitator's sheet, and recording it.

Who is expected ("has a seat"): a member whose enrollment in the group was active on the
session's local date — activated by the end of that day and not ended before it began.
The same rule decides whose attendance may be recorded and who may join a virtual
session (gate.py), so it lives here once.

The sheet (``attendance_sheet``) loads in a constant number of queries however many
members the group has; ``attendance_record`` saves every row in one transaction or none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_access, audit_change
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.scheduling.access import runs_session
from kindred.scheduling.models import (
    AbsenceNotice,
    Attendance,
    AttendanceStatus,
    GroupSession,
    StateAttestation,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

#: Attendance can be taken from this long before the start (people arrive early).
OPENS_BEFORE = timedelta(minutes=10)
#: Joining and leaving times may lie this far outside the session (early arrivals,
#: sessions running over), no further: a time beyond that is a typing mistake.
TIME_SLACK = timedelta(hours=1)
#: Statuses for someone who was not there: no joining or leaving times.
ABSENT_STATUSES = (
    AttendanceStatus.ABSENT_NOTICE,
    AttendanceStatus.NO_SHOW,
    AttendanceStatus.CANCELLED_BY_PRACTICE,
)


# --- Dates and seats --------------------------------------------------------------------


def session_zone(session: GroupSession) -> ZoneInfo:
    return ZoneInfo(session.group.timezone)


def session_local_date(session: GroupSession) -> date:
    """The session's date where the group meets (licensure and seats go by it)."""
    return timezone.localtime(session.starts_at, session_zone(session)).date()


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of ``day`` and of the next day, in ``zone`` (23 or 25 hours
    apart on daylight-saving days)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def seat_q(day_start: datetime, day_end: datetime) -> Q:
    """Enrollments active at some point of the day [day_start, day_end)."""
    return (
        Q(activated_at__isnull=False)
        & Q(activated_at__lt=day_end)
        & (Q(ended_at__isnull=True) | Q(ended_at__gte=day_start))
    )


def had_seat(enrollment: Enrollment, day_start: datetime, day_end: datetime) -> bool:
    """``seat_q`` in Python, for enrollments already loaded."""
    return (
        enrollment.activated_at is not None
        and enrollment.activated_at < day_end
        and (enrollment.ended_at is None or enrollment.ended_at >= day_start)
    )


def seated_enrollments(session: GroupSession) -> QuerySet[Enrollment]:
    """The enrollments that give a seat at ``session`` (with their clients)."""
    start, end = local_day_bounds(session_local_date(session), session_zone(session))
    return (
        Enrollment.objects.filter(group_id=session.group_id)
        .filter(seat_q(start, end))
        .select_related("client")
        .order_by("client__legal_last_name", "client__legal_first_name", "client_id", "id")
    )


def seated_clients(session: GroupSession) -> list[Client]:
    """The members expected at ``session``, in name order, each once (one query)."""
    seen: dict[int, Client] = {}
    for enrollment in seated_enrollments(session):
        seen.setdefault(enrollment.client_id, enrollment.client)
    return list(seen.values())


def has_seat(session: GroupSession, client: Client) -> bool:
    start, end = local_day_bounds(session_local_date(session), session_zone(session))
    return (
        Enrollment.objects.filter(group_id=session.group_id, client=client)
        .filter(seat_q(start, end))
        .exists()
    )


def may_take_attendance(actor: User | None, session: GroupSession) -> bool:
    return runs_session(actor, session) or role_checks.has(actor, Capability.MANAGE_GROUPS)


def attendance_open(session: GroupSession, now: datetime) -> bool:
    """Attendance can be taken once the session is about to start, or at any time for
    a cancelled session."""
    return session.is_cancelled or now >= session.starts_at - OPENS_BEFORE


# --- The sheet --------------------------------------------------------------------------


@dataclass
class SheetRow:
    client: Client
    attendance: Attendance | None = None
    absence_notice: AbsenceNotice | None = None
    attestation: StateAttestation | None = None
    #: The status the sheet shows: the saved one, else a suggestion (see ``suggested``).
    status: str = ""
    #: True when ``status`` is a suggestion (from an absence notice or a cancellation)
    #: that nobody has saved yet.
    suggested: bool = False


@dataclass
class AttendanceSheet:
    session: GroupSession
    rows: list[SheetRow]
    zone: ZoneInfo
    local_date: date
    #: Statuses a row may take on this session.
    statuses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def taken(self) -> bool:
        return self.session.attendance_taken_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.session.is_cancelled


def allowed_statuses(session: GroupSession) -> list[tuple[str, str]]:
    if session.is_cancelled:
        return [
            (
                AttendanceStatus.CANCELLED_BY_PRACTICE.value,
                str(AttendanceStatus.CANCELLED_BY_PRACTICE.label),
            )
        ]
    return [(value, str(label)) for value, label in AttendanceStatus.choices]


def attendance_sheet(*, actor: User, session: GroupSession) -> AttendanceSheet:
    """The sheet for ``session`` (already authorized with
    ``access.get_session_for_attendance``): every seated member with their saved
    attendance, absence notice and attested state. Five queries, one of them the
    access audit event, however many members."""
    if not may_take_attendance(actor, session):
        raise NotPermitted(_("Only the session's facilitators can take attendance."))
    clients = seated_clients(session)
    ids = [c.pk for c in clients]
    saved = {a.client_id: a for a in Attendance.objects.filter(session=session, client_id__in=ids)}
    notices = {
        n.client_id: n for n in AbsenceNotice.objects.filter(session=session, client_id__in=ids)
    }
    attested = {
        s.client_id: s for s in StateAttestation.objects.filter(session=session, client_id__in=ids)
    }
    rows = []
    for client in clients:
        row = SheetRow(
            client=client,
            attendance=saved.get(client.pk),
            absence_notice=notices.get(client.pk),
            attestation=attested.get(client.pk),
        )
        if row.attendance is not None:
            row.status = row.attendance.status
        elif session.is_cancelled:
            row.status, row.suggested = AttendanceStatus.CANCELLED_BY_PRACTICE, True
        elif row.absence_notice is not None:
            row.status, row.suggested = AttendanceStatus.ABSENT_NOTICE, True
        rows.append(row)
    audit_access(actor=actor, action="scheduling.attendance.viewed", obj=session)
    return AttendanceSheet(
        session=session,
        rows=rows,
        zone=session_zone(session),
        local_date=session_local_date(session),
        statuses=allowed_statuses(session),
    )


# --- Recording --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttendanceEntry:
    """One member's attendance as the facilitator gives it."""

    client_id: int
    status: str
    joined_at: datetime | None = None
    left_at: datetime | None = None


class AttendanceInvalid(ValidationFailed):
    """Some rows are wrong; nothing was saved. ``row_errors`` says which, by client id
    and field (``client``, ``status``, ``joined_at``, ``left_at``)."""

    def __init__(self, row_errors: dict[int, dict[str, list[str]]]):
        self.row_errors = row_errors
        flat = {
            f"{client_id}.{name}": messages
            for client_id, fields in row_errors.items()
            for name, messages in fields.items()
        }
        super().__init__(errors=flat)


def _clock(value: datetime, zone: ZoneInfo) -> str:
    return time_format(timezone.localtime(value, zone), "TIME_FORMAT")


def _entry_errors(
    entry: AttendanceEntry,
    session: GroupSession,
    seated: set[int],
    zone: ZoneInfo,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if entry.client_id not in seated:
        add(
            "client",
            _(
                "This person did not have a place in the group on %(date)s, so their "
                "attendance cannot be recorded for this session."
            )
            % {"date": date_format(session_local_date(session), "DATE_FORMAT")},
        )
    if entry.status not in AttendanceStatus.values:
        add("status", _("Choose one of the attendance options."))
    elif session.is_cancelled and entry.status != AttendanceStatus.CANCELLED_BY_PRACTICE:
        add(
            "status",
            _("This session was cancelled, so the only attendance it can take is “%(label)s”.")
            % {"label": AttendanceStatus.CANCELLED_BY_PRACTICE.label},
        )
    elif entry.status in ABSENT_STATUSES and (entry.joined_at or entry.left_at):
        add("joined_at", _("Leave the times empty for someone who was not there."))
    earliest, latest = session.starts_at - TIME_SLACK, session.ends_at + TIME_SLACK
    for name, value in (("joined_at", entry.joined_at), ("left_at", entry.left_at)):
        if value is not None and not earliest <= value <= latest:
            add(
                name,
                _("Use a time between %(start)s and %(end)s on the day of the session.")
                % {"start": _clock(earliest, zone), "end": _clock(latest, zone)},
            )
    if entry.joined_at and entry.left_at and entry.left_at <= entry.joined_at:
        add("left_at", _("The leaving time must be after the joining time."))
    return errors


def attendance_record(
    *,
    actor: User,
    session: GroupSession,
    entries: Sequence[AttendanceEntry],
    now: datetime | None = None,
) -> list[Attendance]:
    """Save the attendance of several members of ``session`` at once: every row or, if
    any row is wrong, none (``AttendanceInvalid``). Members left out keep what they
    had. Marks the session's attendance as taken; a later save is a correction. Returns
    the rows that changed."""
    now = now or timezone.now()
    if not may_take_attendance(actor, session):
        raise NotPermitted(_("Only the session's facilitators can take attendance."))
    with transaction.atomic():
        # One save at a time per session, so two facilitators saving together cannot
        # interleave their rows.
        locked = GroupSession.objects.select_for_update().get(pk=session.pk)
        session.status = locked.status
        session.attendance_taken_at = locked.attendance_taken_at
        session.attendance_taken_by_id = locked.attendance_taken_by_id
        if not attendance_open(session, now):
            raise InvalidState(
                _("Attendance can be taken from %(minutes)d minutes before the session starts.")
                % {"minutes": OPENS_BEFORE.seconds // 60}
            )
        zone = session_zone(session)
        seated = {c.pk for c in seated_clients(session)}
        row_errors: dict[int, dict[str, list[str]]] = {}
        seen: set[int] = set()
        for entry in entries:
            if entry.client_id in seen:
                row_errors.setdefault(entry.client_id, {}).setdefault("client", []).append(
                    _("This person appears twice; give their attendance once.")
                )
                continue
            seen.add(entry.client_id)
            errors = _entry_errors(entry, session, seated, zone)
            if errors:
                row_errors[entry.client_id] = errors
        if row_errors:
            raise AttendanceInvalid(row_errors)
        return _save_rows(actor=actor, session=session, entries=entries, now=now)


def _save_rows(
    *, actor: User, session: GroupSession, entries: Iterable[AttendanceEntry], now: datetime
) -> list[Attendance]:
    existing = {a.client_id: a for a in Attendance.objects.filter(session=session)}
    created: list[Attendance] = []
    updated: list[Attendance] = []
    changes: list[tuple[Attendance, list[str], bool]] = []  # row, fields, is new
    for entry in entries:
        row = existing.get(entry.client_id)
        if row is None:
            row = Attendance(
                session=session,
                client_id=entry.client_id,
                status=entry.status,
                joined_at=entry.joined_at,
                left_at=entry.left_at,
                recorded_by=actor,
            )
            created.append(row)
            changes.append((row, ["status", "joined_at", "left_at"], True))
            continue
        changed = [
            name
            for name, value in (
                ("status", entry.status),
                ("joined_at", entry.joined_at),
                ("left_at", entry.left_at),
            )
            if getattr(row, name) != value
        ]
        if not changed:
            continue
        row.status, row.joined_at, row.left_at = entry.status, entry.joined_at, entry.left_at
        row.recorded_by = actor
        row.updated_at = now
        updated.append(row)
        changes.append((row, changed, False))
    if created:
        Attendance.objects.bulk_create(created)
    if updated:
        Attendance.objects.bulk_update(
            updated, ["status", "joined_at", "left_at", "recorded_by", "updated_at"]
        )
    first_time = session.attendance_taken_at is None
    if first_time:
        session.attendance_taken_at = now
        session.attendance_taken_by = actor
        session.save(update_fields=["attendance_taken_at", "attendance_taken_by", "updated_at"])
    if changes or first_time:
        audit_change(
            actor=actor,
            action="scheduling.attendance.taken"
            if first_time
            else "scheduling.attendance.corrected",
            obj=session,
            changed=["attendance_taken_at"] if first_time else [],
            detail={"rows": len(changes)},
        )
    for row, changed, is_new in changes:
        # A correction is any change to a row saved before; audited per member so a
        # member's record shows who changed their attendance, and when.
        audit_change(
            actor=actor,
            action="scheduling.attendance.recorded"
            if is_new
            else "scheduling.attendance.corrected",
            obj=row,
            client_id=row.client_id,
            changed=changed,
        )
    return [row for row, _changed, _new in changes]
