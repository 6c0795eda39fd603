"""A member's own sessions: what is coming up, what has been, and "I can't make it".

Everything here is about the signed-in member's own place in their own groups. Lists are
built from the member's enrollments inside the query, carry only the member's own
attendance and absence notices, and never anyone else's name or data.

Absence notices: a member with an active place in the group may tell the group ahead of
time that they will miss a session, with an optional note for the facilitator. They
can change the note or withdraw the notice until the session starts. The facilitator
sees it on the attendance sheet (attendance.py reads AbsenceNotice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.audit.services import audit_change
from kindred.core.access import deny
from kindred.core.errors import InvalidState, NotPermitted, full_clean_or_fail
from kindred.groups.models import SEAT_STATUSES, Enrollment, EnrollmentStatus, GroupModality
from kindred.scheduling.models import (
    ATTENDED_STATUSES,
    AbsenceNotice,
    Attendance,
    AttendanceStatus,
    GroupSession,
    SessionStatus,
)

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from kindred.accounts.models import User
    from kindred.clients.models import Client

# Friendly names for the zones a US practice's members live in; others show their id.
ZONE_NAMES: dict[str, _StrPromise] = {
    "America/New_York": gettext_lazy("Eastern Time"),
    "America/Detroit": gettext_lazy("Eastern Time"),
    "America/Indiana/Indianapolis": gettext_lazy("Eastern Time"),
    "America/Chicago": gettext_lazy("Central Time"),
    "America/Denver": gettext_lazy("Mountain Time"),
    "America/Boise": gettext_lazy("Mountain Time"),
    "America/Phoenix": gettext_lazy("Arizona Time"),
    "America/Los_Angeles": gettext_lazy("Pacific Time"),
    "America/Anchorage": gettext_lazy("Alaska Time"),
    "Pacific/Honolulu": gettext_lazy("Hawaii Time"),
    "America/Puerto_Rico": gettext_lazy("Atlantic Time"),
}


def zone_name(tz_name: str) -> str:
    """ "Central Time" for America/Chicago; the place name for zones not listed."""
    known = ZONE_NAMES.get(tz_name)
    if known is not None:
        return str(known)
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def safe_zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ValueError, KeyError):
        return ZoneInfo("America/Chicago")


# --- Whose sessions --------------------------------------------------------------------


def member_client(actor: User | None) -> Client | None:
    """The signed-in member's own client record, if they are a member with one."""
    if actor is None or not actor.is_authenticated or not getattr(actor, "is_member", False):
        return None
    client: Client | None = getattr(actor, "client", None)
    return client


def _require_client(actor: User | None) -> Client:
    client = member_client(actor)
    if client is None:
        raise NotPermitted(_("Only members can do this."))
    return client


def _with_own_notice(qs: QuerySet[GroupSession], client: Client) -> QuerySet[GroupSession]:
    notices = AbsenceNotice.objects.filter(session=OuterRef("pk"), client=client)
    return qs.annotate(
        my_notice_id=Subquery(notices.values("pk")[:1]),
        my_notice_note=Subquery(notices.values("note")[:1]),
    )


#: No session lasts longer than this (groups.TherapyGroup's check allows 8 hours), so a
#: session not yet over started less than this long ago.
LONGEST_SESSION = timedelta(hours=8)


def _group_ids(client: Client, *, current: bool) -> list[int]:
    """The member's groups: with a place now (``current``) or ever. Loading the ids first
    lets PostgreSQL read each group's sessions from its (group, starts_at) index instead
    of walking every session in time order."""
    qs = Enrollment.objects.filter(client=client)
    if current:
        qs = qs.filter(status__in=SEAT_STATUSES)
    return sorted(set(qs.values_list("group_id", flat=True)))


def upcoming_sessions(client: Client, *, now: datetime | None = None) -> QuerySet[GroupSession]:
    """Sessions not yet over in the groups where the member holds a place, soonest first,
    with the member's own absence notice (``my_notice_id``, ``my_notice_note``)."""
    now = now or timezone.now()
    qs = (
        GroupSession.objects.filter(
            group_id__in=_group_ids(client, current=True),
            starts_at__gt=now - LONGEST_SESSION,
            ends_at__gt=now,
        )
        .select_related("group", "location", "room")
        .order_by("starts_at", "id")
    )
    return _with_own_notice(qs, client)


def past_sessions(client: Client, *, now: datetime | None = None) -> QuerySet[GroupSession]:
    """Sessions that have started, of the member's groups while they had a place (or
    with their attendance recorded), latest first, with only the member's own attendance
    (``my_attendance``) and absence notice."""
    now = now or timezone.now()
    mine = Attendance.objects.filter(session=OuterRef("pk"), client=client)
    # A place on the session's day (attendance.py's rule), with a day's slack each way
    # for the group's time zone.
    had_place = Enrollment.objects.filter(
        group=OuterRef("group"),
        client=client,
        activated_at__isnull=False,
        activated_at__lt=OuterRef("starts_at") + timedelta(days=1),
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=OuterRef("starts_at") - timedelta(days=1)))
    qs = (
        GroupSession.objects.filter(
            group_id__in=_group_ids(client, current=False), starts_at__lte=now
        )
        .filter(Exists(had_place) | Exists(mine))
        .annotate(my_attendance=Subquery(mine.values("status")[:1]))
        .select_related("group")
        .order_by("-starts_at", "-id")
    )
    return _with_own_notice(qs, client)


def current_enrollments(client: Client) -> QuerySet[Enrollment]:
    """The member's current places (invited or active), with their groups' places."""
    return (
        Enrollment.objects.filter(client=client, status__in=SEAT_STATUSES)
        .select_related("group", "group__location", "group__room")
        .order_by("group__name", "group_id")
    )


# --- How a session looks to its member ---------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an in-person session is, for the member."""

    name: str
    room: str
    lines: list[str]
    directions: str
    map_query: str


@dataclass(frozen=True)
class MemberSession:
    session: GroupSession
    starts: datetime  # in the member's zone
    ends: datetime
    zone: str  # "Central Time"
    group_zone: str  # the group's zone, named, when it differs from the member's
    place: Place | None
    online: bool
    cancelled: bool
    cancel_reason: str  # the practice's words for members ("" when not cancelled)
    moved_from: datetime | None  # the usual time, in the member's zone, when rescheduled
    notice_id: int | None
    notice_note: str
    can_notify_absence: bool

    @property
    def pk(self) -> int:
        return self.session.pk


def _place(session: GroupSession) -> Place | None:
    if session.modality == GroupModality.VIRTUAL or session.location is None:
        return None
    loc = session.location
    city_line = f"{loc.city}, {loc.state} {loc.postal_code}"
    lines = [line for line in (loc.address_line1, loc.address_line2, city_line) if line]
    return Place(
        name=loc.name,
        room=session.room.name if session.room is not None else "",
        lines=lines,
        directions=loc.directions,
        map_query=", ".join([loc.address_line1, city_line]),
    )


def present(session: GroupSession, client: Client, *, now: datetime) -> MemberSession:
    """A session as its member sees it: in their own time zone, with the place."""
    zone = safe_zone(client.timezone)
    cancelled = session.status == SessionStatus.CANCELLED
    notice_id = getattr(session, "my_notice_id", None)
    return MemberSession(
        session=session,
        starts=timezone.localtime(session.starts_at, zone),
        ends=timezone.localtime(session.ends_at, zone),
        zone=zone_name(client.timezone),
        group_zone=zone_name(session.group.timezone)
        if session.group.timezone != client.timezone
        else "",
        place=_place(session),
        online=session.modality in (GroupModality.VIRTUAL, GroupModality.HYBRID),
        cancelled=cancelled,
        cancel_reason=cancel_reason_text(session.cancel_reason) if cancelled else "",
        moved_from=timezone.localtime(session.original_starts_at, zone)
        if session.is_rescheduled
        else None,
        notice_id=notice_id,
        notice_note=getattr(session, "my_notice_note", None) or "",
        can_notify_absence=not cancelled and session.starts_at > now,
    )


def cancel_reason_text(reason: str) -> str:
    """Why a session was cancelled, as members read it: the coordinator's words (written
    for members), or Kindred's own reasons in the member's language."""
    from kindred.scheduling.generation import SYSTEM_REASONS

    return _(reason) if reason in SYSTEM_REASONS else reason


ATTENDANCE_WORDS: dict[str, _StrPromise] = {
    **{status.value: gettext_lazy("You were there") for status in ATTENDED_STATUSES},
    AttendanceStatus.ABSENT_NOTICE.value: gettext_lazy("You let the group know you couldn't come"),
    AttendanceStatus.NO_SHOW.value: gettext_lazy("You missed this one"),
    AttendanceStatus.CANCELLED_BY_PRACTICE.value: gettext_lazy("Cancelled by the practice"),
}


def attendance_words(session: GroupSession) -> str:
    """How a past session went for the member, in plain words (their own row only)."""
    status = getattr(session, "my_attendance", None)
    if status:
        return str(ATTENDANCE_WORDS.get(status, ""))
    if session.status == SessionStatus.CANCELLED:
        return _("Cancelled")
    if getattr(session, "my_notice_id", None):
        return _("You let the group know you couldn't come")
    return _("Not recorded yet")


# --- Absence notices (services) ------------------------------------------------------------


def get_own_notice(actor: User | None, notice_id: object) -> AbsenceNotice:
    """The member's own notice, else a denied event and 404."""
    client = member_client(actor)
    notice = None
    try:
        pk = int(str(notice_id))
    except (TypeError, ValueError):
        pk = None
    if client is not None and pk is not None and 0 < pk < 2**63:
        notice = (
            AbsenceNotice.objects.filter(pk=pk, client=client)
            .select_related("session", "session__group")
            .first()
        )
    if notice is None:
        deny(actor, AbsenceNotice, notice_id)
    return notice


def own_notice_for(client: Client, session: GroupSession) -> AbsenceNotice | None:
    return AbsenceNotice.objects.filter(session=session, client=client).first()


def _check_can_notify(session: GroupSession, client: Client, now: datetime) -> None:
    active = Enrollment.objects.filter(
        group_id=session.group_id, client=client, status=EnrollmentStatus.ACTIVE
    ).exists()
    if not active:
        raise InvalidState(_("You do not have a place in this group right now."))
    if session.status == SessionStatus.CANCELLED:
        raise InvalidState(_("This session was cancelled, so there is nothing to miss."))
    if session.starts_at <= now:
        raise InvalidState(_("This session has already started."))


def absence_notice_give(
    *, actor: User, session: GroupSession, note: str = "", now: datetime | None = None
) -> AbsenceNotice:
    """Tell the group the member will miss ``session`` (or change the note of a notice
    already given). The caller found the session through scheduling/access.py."""
    now = now or timezone.now()
    client = _require_client(actor)
    with transaction.atomic():
        # Lock the session row so a notice and the start of the session cannot cross.
        locked = GroupSession.objects.select_for_update().get(pk=session.pk)
        _check_can_notify(locked, client, now)
        notice = AbsenceNotice.objects.filter(session=locked, client=client).first()
        created = notice is None
        if notice is None:
            notice = AbsenceNotice(session=locked, client=client, note=note)
        else:
            notice.note = note
        full_clean_or_fail(notice, exclude=["session", "client"])
        notice.save()
        audit_change(
            actor=actor,
            action="scheduling.absence_notice.given"
            if created
            else "scheduling.absence_notice.changed",
            obj=notice,
            client_id=client.pk,
            changed=["note"] if note or not created else [],
        )
    return notice


def absence_notice_withdraw(
    *, actor: User, notice: AbsenceNotice, now: datetime | None = None
) -> None:
    """Take a notice back: the member will come after all. Only before the start."""
    now = now or timezone.now()
    client = _require_client(actor)
    if notice.client_id != client.pk:
        deny(actor, AbsenceNotice, notice.pk)
    with transaction.atomic():
        session = GroupSession.objects.select_for_update().get(pk=notice.session_id)
        if session.starts_at <= now:
            raise InvalidState(
                _("This session has already started, so the notice can no longer be withdrawn.")
            )
        audit_change(
            actor=actor,
            action="scheduling.absence_notice.withdrawn",
            obj=notice,
            client_id=client.pk,
        )
        AbsenceNotice.objects.filter(pk=notice.pk).delete()
