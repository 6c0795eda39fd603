"""Writes for single sessions: cancel, reschedule, move online, substitute facilitator.

Every function is keyword-only and atomic, checks MANAGE_GROUPS, validates with a
specific message per field (nothing saved on error), writes its audit event in the same
transaction, bumps the session's ``sequence`` (the iCalendar SEQUENCE) on every change
members would see, and tells the group's members and facilitators after commit.

Rooms: two live sessions in one room may not overlap. The check runs here with the
room's row locked (``select_for_update``), so two bookings of one room are made one at
a time; on PostgreSQL an exclusion constraint (migration 0002) backs it up.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, InvalidState, ValidationFailed
from kindred.groups.models import GroupModality
from kindred.practice import roles as role_checks
from kindred.practice.models import ClinicianProfile, Room
from kindred.practice.roles import Capability
from kindred.practice.selectors import clinicians_may_practice
from kindred.practice.states import state_name
from kindred.scheduling.models import GroupSession, SessionStatus
from kindred.scheduling.recurrence import zone

if TYPE_CHECKING:
    from kindred.accounts.models import User


def lock_room(room_id: int) -> None:
    """Hold the room's row until the transaction ends (call inside one)."""
    list(Room.objects.select_for_update().filter(pk=room_id).values_list("pk", flat=True))


def room_conflict(
    room_id: int,
    intervals: Sequence[tuple[datetime, datetime]],
    *,
    exclude_group_id: int | None = None,
    exclude_session_id: int | None = None,
) -> str | None:
    """The message for the first of ``intervals`` that overlaps another live session in
    the room, or None. One query, then a sweep in time order."""
    if not intervals:
        return None
    wanted = sorted(intervals)
    lo = wanted[0][0]
    hi = max(end for _start, end in wanted)
    others = GroupSession.objects.filter(
        room_id=room_id, status=SessionStatus.SCHEDULED, starts_at__lt=hi, ends_at__gt=lo
    )
    if exclude_group_id is not None:
        others = others.exclude(group_id=exclude_group_id)
    if exclude_session_id is not None:
        others = others.exclude(pk=exclude_session_id)
    booked = list(
        others.order_by("starts_at").values_list(
            "starts_at", "ends_at", "group__name", "room__name", "group__timezone"
        )
    )
    starts = [b[0] for b in booked]
    longest = max((b[1] - b[0] for b in booked), default=None)
    if longest is None:
        return None
    for start, end in wanted:
        # Only bookings that start within ``longest`` before this interval can reach it.
        k = bisect_left(starts, start - longest)
        while k < len(booked) and booked[k][0] < end:
            b_start, b_end, group_name, room_name, tz_name = booked[k]
            if start < b_end:
                return _room_message(room_name, group_name, b_start, tz_name)
            k += 1
    return None


def _room_message(room_name: str, group_name: str, when: datetime, tz_name: str) -> str:
    local = when.astimezone(zone(tz_name))
    return _("%(room)s is booked by %(group)s at that time (%(when)s).") % {
        "room": room_name,
        "group": group_name,
        "when": date_format(local, "DATETIME_FORMAT"),
    }


def live_room_overlap_q(room_id: int, start: datetime, end: datetime) -> Q:
    return Q(room_id=room_id, status=SessionStatus.SCHEDULED, starts_at__lt=end, ends_at__gt=start)


# --- Session operations -----------------------------------------------------------------

CANCEL_REASON_MAX = 300
MIN_MINUTES, MAX_MINUTES = 15, 480


@dataclass(frozen=True)
class SubstituteResult:
    session: GroupSession
    # Things the coordinator should know but that do not stop the change (virtual
    # sessions: members whose usual state the substitute is not licensed for).
    warnings: list[str] = field(default_factory=list)


def _require(actor: User | None) -> None:
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_GROUPS)


def _locked(session: GroupSession) -> GroupSession:
    return (
        GroupSession.objects.select_for_update(of=("self",))
        .select_related("group", "location", "room")
        .get(pk=session.pk)
    )


def _require_upcoming(session: GroupSession, now: datetime) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise InvalidState(_("This session is cancelled."), field="status")
    if session.starts_at <= now:
        raise InvalidState(_("This session has already started or happened."), field="status")


def _local(session: GroupSession, when: datetime) -> datetime:
    return when.astimezone(zone(session.group.timezone))


def _when_text(session: GroupSession, when: datetime) -> str:
    return date_format(_local(session, when), "DATETIME_FORMAT")


def _tell(
    session: GroupSession, *, kind: str, title: str, email: bool, extra: tuple[int, ...] = ()
) -> None:
    from kindred.groups.notices import notify_group

    substitute = (session.substitute_facilitator_id,) if session.substitute_facilitator_id else ()
    notify_group(
        session.group,
        kind=kind,
        title=title,
        key=f"session-{session.pk}-{session.sequence}",
        email=email,
        extra_clinician_ids=(*substitute, *extra),
    )


def _sync(target: GroupSession, source: GroupSession, fields: list[str]) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def session_cancel(*, actor: User | None, session: GroupSession, reason: str) -> GroupSession:
    """Cancel one session. Members with a place and the facilitators get a notification
    and a short email ("A session of <group> was cancelled — sign in for details")."""
    _require(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why, in a few words; members will see it."), field="reason")
    if len(reason) > CANCEL_REASON_MAX:
        raise ValidationFailed(
            _("Use at most %(n)d characters.") % {"n": CANCEL_REASON_MAX}, field="reason"
        )
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(session)
        _require_upcoming(locked, now)
        locked.status = SessionStatus.CANCELLED
        locked.cancel_reason = reason
        locked.sequence += 1
        fields = ["status", "cancel_reason", "sequence"]
        locked.save(update_fields=[*fields, "updated_at"])
        audit_change(
            actor=actor,
            action="scheduling.session.cancelled",
            obj=locked,
            changed=fields,
            detail={"group": locked.group_id},
        )
        _tell(
            locked,
            kind="session_cancelled",
            title=_("A session of %(group)s was cancelled") % {"group": locked.group.name},
            email=True,
        )
    _sync(session, locked, fields)
    return session


def session_reschedule(
    *,
    actor: User | None,
    session: GroupSession,
    starts_at: datetime,
    ends_at: datetime | None = None,
) -> GroupSession:
    """Move one session to a new time (the same length unless ``ends_at`` is given).
    Its slot in the rule (``original_starts_at``) stays, so calendars show it as a moved
    occurrence. The room, if any, must be free at the new time."""
    _require(actor)
    now = timezone.now()
    if timezone.is_naive(starts_at) or (ends_at is not None and timezone.is_naive(ends_at)):
        raise ValidationFailed(_("Give the time with its time zone."), field="starts_at")
    with transaction.atomic():
        locked = _locked(session)
        _require_upcoming(locked, now)
        end = ends_at if ends_at is not None else starts_at + (locked.ends_at - locked.starts_at)
        errors: dict[str, list[str]] = {}
        if starts_at <= now:
            errors["starts_at"] = [_("Choose a time in the future.")]
        if end <= starts_at:
            errors["ends_at"] = [_("The end must be after the start.")]
        elif (
            not timedelta(minutes=MIN_MINUTES) <= end - starts_at <= timedelta(minutes=MAX_MINUTES)
        ):
            errors["ends_at"] = [
                _("A session lasts from %(min)d minutes to %(max)d hours.")
                % {"min": MIN_MINUTES, "max": MAX_MINUTES // 60}
            ]
        if errors:
            raise ValidationFailed(errors=errors)
        if starts_at == locked.starts_at and end == locked.ends_at:
            return session
        if locked.room_id is not None:
            lock_room(locked.room_id)
            clash = room_conflict(locked.room_id, [(starts_at, end)], exclude_session_id=locked.pk)
            if clash is not None:
                raise Conflict(clash, field="starts_at")
        locked.starts_at, locked.ends_at = starts_at, end
        locked.sequence += 1
        fields = ["starts_at", "ends_at", "sequence"]
        try:
            with transaction.atomic():
                locked.save(update_fields=[*fields, "updated_at"])
        except IntegrityError as exc:  # PostgreSQL's exclusion constraint: a race
            raise Conflict(_("The room is booked at that time."), field="starts_at") from exc
        audit_change(
            actor=actor,
            action="scheduling.session.rescheduled",
            obj=locked,
            changed=fields,
            detail={"group": locked.group_id},
        )
        _tell(
            locked,
            kind="session_rescheduled",
            title=_("A session of %(group)s moved to %(when)s")
            % {"group": locked.group.name, "when": _when_text(locked, starts_at)},
            email=True,
        )
    _sync(session, locked, fields)
    return session


def session_move_online(*, actor: User | None, session: GroupSession) -> GroupSession:
    """Hold one in-person or hybrid session by video instead (the room is freed)."""
    _require(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(session)
        _require_upcoming(locked, now)
        if locked.modality == GroupModality.VIRTUAL:
            raise InvalidState(_("This session is already online."), field="modality")
        locked.modality = GroupModality.VIRTUAL
        locked.location = None
        locked.room = None
        locked.sequence += 1
        fields = ["modality", "location", "room", "sequence"]
        locked.save(update_fields=[*fields, "updated_at"])
        audit_change(
            actor=actor,
            action="scheduling.session.moved_online",
            obj=locked,
            changed=fields,
            detail={"group": locked.group_id},
        )
        _tell(
            locked,
            kind="session_moved_online",
            title=_("A session of %(group)s will be held online") % {"group": locked.group.name},
            email=True,
        )
    _sync(session, locked, fields)
    return session


def _substitute_errors(
    session: GroupSession, clinician: ClinicianProfile
) -> tuple[dict[str, list[str]], list[str]]:
    errors: dict[str, list[str]] = {}
    warnings: list[str] = []
    name = clinician.user.full_name or clinician.user.email
    if not clinician.user.is_active:
        errors["substitute_facilitator"] = [_("This clinician's account is deactivated.")]
        return errors, warnings
    if clinician.pk == session.group.lead_facilitator_id:
        errors["substitute_facilitator"] = [
            _("%(name)s already leads this group.") % {"name": name}
        ]
        return errors, warnings
    on = _local(session, session.starts_at).date()
    if session.modality != GroupModality.VIRTUAL and session.location is not None:
        state = session.location.state
        decision = clinicians_may_practice([clinician.pk], state, on)[clinician.pk]
        if not decision.allowed:
            errors["substitute_facilitator"] = [
                _(
                    "%(name)s cannot practise in %(state)s on %(date)s, where this session "
                    "meets: %(why)s"
                )
                % {
                    "name": name,
                    "state": state_name(state),
                    "date": date_format(on, "DATE_FORMAT"),
                    "why": decision.message,
                }
            ]
        return errors, warnings
    # Virtual: where members usually are (their state of residence). The licensure gate
    # will stop a member in a state the substitute cannot practise in.
    from kindred.groups.models import SEAT_STATUSES, Enrollment

    states = sorted(
        set(
            Enrollment.objects.filter(
                group_id=session.group_id, status__in=SEAT_STATUSES
            ).values_list("client__state_of_residence", flat=True)
        )
    )
    if states:
        decisions = {
            s: clinicians_may_practice([clinician.pk], s, on)[clinician.pk] for s in states
        }
        uncovered = [state_name(s) for s, d in decisions.items() if not d.allowed]
        if uncovered:
            warnings.append(
                _(
                    "%(name)s is not licensed for %(states)s, where some members usually "
                    "are. The licensure gate will stop those members joining unless they "
                    "are somewhere %(name)s is licensed."
                )
                % {"name": name, "states": ", ".join(uncovered)}
            )
    return errors, warnings


def session_set_substitute(
    *,
    actor: User | None,
    session: GroupSession,
    substitute: ClinicianProfile | None,
) -> SubstituteResult:
    """Have ``substitute`` lead this one session in place of the lead facilitator, or
    (None) go back to the lead. In person, the substitute must be able to practise in the
    location's state; online, a warning names the members' states they do not cover."""
    _require(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(session)
        _require_upcoming(locked, now)
        warnings: list[str] = []
        if substitute is not None:
            substitute = ClinicianProfile.objects.select_related("user").get(pk=substitute.pk)
            errors, warnings = _substitute_errors(locked, substitute)
            if errors:
                raise ValidationFailed(errors=errors)
        new_id = substitute.pk if substitute is not None else None
        if locked.substitute_facilitator_id == new_id:
            return SubstituteResult(session=session, warnings=warnings)
        previous = locked.substitute_facilitator_id
        locked.substitute_facilitator = substitute
        locked.sequence += 1
        fields = ["substitute_facilitator", "sequence"]
        locked.save(update_fields=[*fields, "updated_at"])
        audit_change(
            actor=actor,
            action="scheduling.session.substitute_set"
            if substitute is not None
            else "scheduling.session.substitute_cleared",
            obj=locked,
            changed=fields,
            detail={"group": locked.group_id},
        )
        _tell(
            locked,
            kind="session_facilitator_changed",
            title=_("A session of %(group)s has a different facilitator")
            % {"group": locked.group.name},
            email=False,
            extra=(previous,) if previous else (),
        )
    _sync(session, locked, fields)
    return SubstituteResult(session=session, warnings=warnings)
