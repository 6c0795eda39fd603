"""Writes for therapy groups and enrollments.

Every function is keyword-only, atomic, checks the actor's capability (``actor=None``
means a system command: seed data, set-up scripts), validates the whole input with a
specific message per field (nothing is saved on error), writes its audit event in the
same transaction and queues side effects (notifications' emails) on commit.

Status changes and their sessions (a decision recorded here):

- forming → active (``group_activate``); active → paused (``group_pause``) cancels every
  session that has not started, with the reason "Group paused", and tells the members;
  paused → active (``group_activate`` again) restores those sessions where the rule
  still has them and generates any that are missing.
- completed and cancelled are final; both cancel the sessions that have not started and
  tell the members and facilitators. Places in the group are left as they are (ending
  them is a clinical decision, one person at a time).

A change of recurrence, start, time, time zone or length regenerates the future
sessions only (``scheduling.generation.regenerate_future``); the past and anything with
attendance is never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, Unpack
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.clients.models import Client, ClientStatus, ConcernTag
from kindred.core.errors import (
    Conflict,
    InvalidState,
    NotPermitted,
    ValidationFailed,
    full_clean_or_fail,
)
from kindred.groups.models import (
    LIVE_STATUSES,
    SEAT_STATUSES,
    Enrollment,
    EnrollmentStatus,
    GroupFormat,
    GroupModality,
    GroupStatus,
    TherapyGroup,
)
from kindred.intake import admission
from kindred.intake.models import Screening, ScreeningDecision
from kindred.measures import planning as measures_planning
from kindred.practice import roles as role_checks
from kindred.practice.models import ClinicianProfile, Location, Room
from kindred.practice.roles import Capability
from kindred.practice.selectors import clinicians_may_practice
from kindred.practice.settings import practice_settings
from kindred.practice.states import state_name
from kindred.scheduling import generation, recurrence

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.intake.models import AgreementVersion

Errors = dict[str, list[str]]

MAX_AGE = 120
MIN_MINUTES, MAX_MINUTES = 15, 480
MAX_FEE_CENTS = 1_000_000  # $10,000 a session: anything above is a typing slip
REASON_MAX_LENGTH = 500
#: How far ahead a new member's sessions are compared with their other groups'.
OVERLAP_LOOKAHEAD = timedelta(weeks=12)
#: Fields whose change regenerates the future sessions.
SCHEDULE_FIELDS = ("recurrence", "start_date", "start_time", "timezone", "session_minutes")
#: Fields that say where sessions happen (future sessions follow the group).
PLACE_FIELDS = ("modality", "location", "room")


class GroupChanges(TypedDict, total=False):
    name: str
    slug: str
    description: str
    concerns: Sequence[ConcernTag]
    format: str
    modality: str
    location: Location | None
    room: Room | None
    lead_facilitator: ClinicianProfile
    co_facilitators: Sequence[ClinicianProfile]
    min_size: int
    max_size: int
    min_age: int | None
    max_age: int | None
    gender_focus: str
    language: str
    session_minutes: int
    recurrence: str
    start_date: date
    start_time: time
    timezone: str
    fee_cents: int
    sliding_scale: bool
    fee_note: str
    listed_publicly: bool
    external_video_link: str
    agreement_version: AgreementVersion | None


#: The plain fields of a group a coordinator edits (the many-to-many ones aside).
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f for f in GroupChanges.__annotations__ if f not in ("concerns", "co_facilitators")
)


# --- Plumbing -------------------------------------------------------------------------


def _require(actor: User | None) -> None:
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_GROUPS)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _d(value: date) -> str:
    return date_format(value, "DATE_FORMAT")


def _name_of(clinician: ClinicianProfile) -> str:
    return clinician.user.full_name or clinician.user.email


def _validate_model(instance: TherapyGroup, errors: Errors) -> None:
    """Django's own field checks, without repeating a field we already explained."""
    try:
        full_clean_or_fail(
            instance,
            exclude=["lead_facilitator", "location", "room", "created_by", "slug"],
        )
    except ValidationFailed as exc:
        for field, messages in exc.errors.items():
            if field in errors or (field == "__all__" and errors):
                continue
            errors[field] = list(messages)


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:70] or "group"
    taken = TherapyGroup.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    used = set(taken.values_list("slug", flat=True))
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def seats_taken(group: TherapyGroup) -> int:
    return Enrollment.objects.filter(group=group, status__in=SEAT_STATUSES).count()


# --- Group validation ---------------------------------------------------------------


def _check_group(
    group: TherapyGroup,
    co_facilitators: Sequence[ClinicianProfile],
    errors: Errors,
    *,
    creating: bool,
    start_changed: bool,
    system: bool,
) -> None:
    """Every rule about a group's fields, all reported together."""
    if not (group.name or "").strip():
        _add(errors, "name", _("Give the group a name."))
    if not (group.description or "").strip():
        _add(errors, "description", _("Describe the group for the people who may join it."))
    if group.slug and group.slug != slugify(group.slug):
        _add(errors, "slug", _("Use lower-case letters, numbers and hyphens only."))
    elif group.slug:
        taken = TherapyGroup.objects.filter(slug=group.slug)
        if group.pk:
            taken = taken.exclude(pk=group.pk)
        if taken.exists():
            _add(errors, "slug", _("Another group already uses this web address name."))
    _check_sizes(group, errors)
    _check_ages(group, errors)
    minutes = group.session_minutes
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        _add(
            errors,
            "session_minutes",
            _("A session lasts from %(min)d to %(max)d minutes.")
            % {"min": MIN_MINUTES, "max": MAX_MINUTES},
        )
    if group.fee_cents is not None and not 0 <= group.fee_cents <= MAX_FEE_CENTS:
        _add(errors, "fee_cents", _("Enter a fee from $0 to $10,000."))
    if group.external_video_link and not group.external_video_link.startswith("https://"):
        _add(errors, "external_video_link", _("Use a secure link that starts with https://."))
    today = _local_today(group)
    if (
        (creating or start_changed)
        and isinstance(group.start_date, date)
        and group.start_date < today
        and not system
    ):
        _add(errors, "start_date", _("The first session cannot be in the past."))
    _check_rule(group, errors)
    _check_place(group, errors)
    _check_facilitators(group, co_facilitators, errors)


def _check_sizes(group: TherapyGroup, errors: Errors) -> None:
    if group.min_size is None or group.min_size < 1:
        _add(errors, "min_size", _("A group needs at least one member."))
    if group.max_size is None or not 1 <= group.max_size <= 50:
        _add(errors, "max_size", _("Enter a maximum from 1 to 50."))
    elif group.min_size is not None and group.max_size < group.min_size:
        _add(
            errors,
            "max_size",
            _("The maximum (%(max)d) must be at least the minimum (%(min)d).")
            % {"max": group.max_size, "min": group.min_size},
        )
    if group.pk and group.max_size is not None and "max_size" not in errors:
        taken = seats_taken(group)
        if group.max_size < taken:
            _add(
                errors,
                "max_size",
                _(
                    "%(taken)d people already hold a place in this group; the maximum "
                    "cannot be lower than that."
                )
                % {"taken": taken},
            )


def _check_ages(group: TherapyGroup, errors: Errors) -> None:
    for field in ("min_age", "max_age"):
        value = getattr(group, field)
        if value is not None and not 0 <= value <= MAX_AGE:
            _add(errors, field, _("Enter an age from 0 to %(max)d.") % {"max": MAX_AGE})
    if (
        group.min_age is not None
        and group.max_age is not None
        and "min_age" not in errors
        and "max_age" not in errors
        and group.max_age < group.min_age
    ):
        _add(
            errors,
            "max_age",
            _("The oldest age (%(max)d) must be at least the youngest (%(min)d).")
            % {"max": group.max_age, "min": group.min_age},
        )


def _check_rule(group: TherapyGroup, errors: Errors) -> None:
    start_date: object = group.start_date
    start_time: object = group.start_time
    if not isinstance(start_date, date) or not isinstance(start_time, time):
        return
    try:
        recurrence.zone(group.timezone)
    except recurrence.RecurrenceError:
        return  # the model's time-zone validator says so beside the field
    try:
        recurrence.validate_rule(
            group.recurrence,
            start_date=start_date,
            start_time=start_time,
            require_bounded=group.format == GroupFormat.CLOSED,
        )
    except recurrence.RecurrenceError as exc:
        _add(errors, "recurrence", str(exc))


def _check_place(group: TherapyGroup, errors: Errors) -> None:
    if group.modality == GroupModality.VIRTUAL:
        # A virtual group meets nowhere; a stale location or room is dropped by the caller.
        return
    location = group.location
    if location is None:
        _add(errors, "location", _("An in-person or hybrid group needs a location."))
        return
    if not location.is_active:
        _add(errors, "location", _("This location is no longer in use."))
    elif location.timezone and group.timezone != location.timezone:
        _add(
            errors,
            "timezone",
            _("%(location)s is in the %(zone)s time zone; use that for its groups.")
            % {"location": location.name, "zone": location.timezone},
        )
    room = group.room
    if room is not None:
        if room.location_id != location.pk:
            _add(errors, "room", _("This room is not at %(location)s.") % {"location": location})
        elif not room.is_active:
            _add(errors, "room", _("This room is no longer in use."))


def _check_facilitators(
    group: TherapyGroup, co_facilitators: Sequence[ClinicianProfile], errors: Errors
) -> None:
    lead = group.lead_facilitator if group.lead_facilitator_id else None
    if lead is None:
        _add(errors, "lead_facilitator", _("Choose who leads the group."))
        return
    if not lead.user.is_active:
        _add(errors, "lead_facilitator", _("This clinician's account is deactivated."))
    inactive = [_name_of(c) for c in co_facilitators if not c.user.is_active]
    if inactive:
        _add(
            errors,
            "co_facilitators",
            _("These accounts are deactivated: %(names)s.") % {"names": ", ".join(inactive)},
        )
    if group.modality == GroupModality.VIRTUAL or group.location is None:
        return
    start_date: object = group.start_date
    if not isinstance(start_date, date):
        return
    # In person, therapy happens at the location: every facilitator needs to be able to
    # practise in its state (a license, or a compact privilege) from the start date.
    on = max(start_date, _local_today(group))
    state = group.location.state
    everyone = [lead, *co_facilitators]
    decisions = clinicians_may_practice([c.pk for c in everyone], state, on)
    for clinician in everyone:
        decision = decisions[clinician.pk]
        if decision.allowed:
            continue
        field = "lead_facilitator" if clinician.pk == lead.pk else "co_facilitators"
        _add(
            errors,
            field,
            _("%(name)s cannot practise in %(state)s on %(date)s, where this group meets: %(why)s")
            % {
                "name": _name_of(clinician),
                "state": state_name(state),
                "date": _d(on),
                "why": decision.message,
            },
        )


def _prepare_place(group: TherapyGroup) -> None:
    if group.modality == GroupModality.VIRTUAL:
        group.location = None
        group.room = None


def _clean_co(
    lead: ClinicianProfile | None, co: Iterable[ClinicianProfile]
) -> list[ClinicianProfile]:
    """Co-facilitators without the lead and without repeats, in the order given."""
    seen: set[int] = set()
    result = []
    for clinician in co:
        if lead is not None and clinician.pk == lead.pk:
            continue
        if clinician.pk in seen:
            continue
        seen.add(clinician.pk)
        result.append(clinician)
    return result


def _check_concerns(concerns: Sequence[ConcernTag], current: set[int], errors: Errors) -> None:
    retired = [c.name for c in concerns if not c.is_active and c.pk not in current]
    if retired:
        _add(
            errors,
            "concerns",
            _("No longer offered: %(names)s.") % {"names": ", ".join(sorted(retired))},
        )


def _check_room_bookings(group: TherapyGroup, *, now: datetime) -> None:
    """The group's sessions still ahead must not overlap another group's in the same
    room. Locks the room row first, so two bookings of one room happen one at a time."""
    if group.room_id is None or group.status not in LIVE_STATUSES:
        return
    from kindred.scheduling.session_services import lock_room, room_conflict

    lock_room(group.room_id)
    intervals = [
        (occ.starts_at, occ.ends_at)
        for occ in generation.slots(group, window_start=now)
        if occ.starts_at > now
    ]
    clash = room_conflict(group.room_id, intervals, exclude_group_id=group.pk)
    if clash is not None:
        raise Conflict(clash, field="room")


# --- Groups ---------------------------------------------------------------------------


def group_create(
    *,
    actor: User | None,
    name: str,
    description: str,
    lead_facilitator: ClinicianProfile,
    recurrence: str,
    start_date: date,
    start_time: time,
    timezone: str,
    co_facilitators: Sequence[ClinicianProfile] = (),
    concerns: Sequence[ConcernTag] = (),
    format: str = GroupFormat.CLOSED,  # noqa: A002 - the model's field name
    modality: str = GroupModality.VIRTUAL,
    location: Location | None = None,
    room: Room | None = None,
    min_size: int = 6,
    max_size: int = 10,
    min_age: int | None = None,
    max_age: int | None = None,
    gender_focus: str = "",
    language: str = "en",
    session_minutes: int = 90,
    fee_cents: int = 0,
    sliding_scale: bool = False,
    fee_note: str = "",
    listed_publicly: bool = True,
    external_video_link: str = "",
    agreement_version: AgreementVersion | None = None,
    slug: str = "",
    status: str = GroupStatus.FORMING,
) -> TherapyGroup:
    """Create a group and generate its sessions (all of a closed group's; an open
    group's up to the horizon). A new group is forming or active."""
    _require(actor)
    group = TherapyGroup(
        name=(name or "").strip(),
        slug=(slug or "").strip(),
        description=description or "",
        format=format,
        modality=modality,
        location=location,
        room=room,
        lead_facilitator=lead_facilitator,
        min_size=min_size,
        max_size=max_size,
        min_age=min_age,
        max_age=max_age,
        gender_focus=(gender_focus or "").strip(),
        language=language,
        session_minutes=session_minutes,
        recurrence=(recurrence or "").strip(),
        start_date=start_date,
        start_time=start_time,
        timezone=timezone,
        fee_cents=fee_cents,
        sliding_scale=sliding_scale,
        fee_note=(fee_note or "").strip(),
        listed_publicly=listed_publicly,
        external_video_link=(external_video_link or "").strip(),
        agreement_version=agreement_version,
        status=status,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    errors: Errors = {}
    if status not in (GroupStatus.FORMING, GroupStatus.ACTIVE):
        _add(errors, "status", _("A new group is either forming or active."))
    _prepare_place(group)
    co = _clean_co(lead_facilitator, co_facilitators)
    concern_list = list(concerns)
    _check_concerns(concern_list, set(), errors)
    _check_group(group, co, errors, creating=True, start_changed=True, system=actor is None)
    _validate_model(group, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    if not group.slug:
        group.slug = _unique_slug(group.name)
    with transaction.atomic():
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError as exc:
            raise Conflict(
                _("Another group already uses this web address name."), field="slug"
            ) from exc
        group.co_facilitators.set(co)
        group.concerns.set(concern_list)
        _check_room_bookings(group, now=dj_timezone.now())
        created = _generate(group)
        audit_change(
            actor=actor,
            action="groups.group.created",
            obj=group,
            detail={"sessions_created": created},
        )
        # Its default questionnaires (measures/schedules.py), after commit.
        measures_planning.on_commit_plan_group(group.pk)
    return group


def _generate(group: TherapyGroup) -> int:
    try:
        with transaction.atomic():
            return generation.generate_sessions(group)
    except IntegrityError as exc:
        # Only PostgreSQL's room exclusion constraint can get here: a booking raced ours.
        raise Conflict(_("The room is booked at that time."), field="room") from exc


def group_update(
    *, actor: User | None, group: TherapyGroup, **changes: Unpack[GroupChanges]
) -> TherapyGroup:
    """Change any of the group's fields (those not given stay as they are). A changed
    schedule regenerates the sessions still ahead; a changed place moves the sessions
    still ahead that were following the group. Members and facilitators are told."""
    _require(actor)
    if group.status not in LIVE_STATUSES and group.status != GroupStatus.PAUSED:
        raise InvalidState(_("A completed or cancelled group cannot be changed."))
    unknown = set(changes) - set(GroupChanges.__annotations__)
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    with transaction.atomic():
        locked = TherapyGroup.objects.select_for_update().get(pk=group.pk)
        return _update_locked(actor, locked, group, changes)


@dataclass
class _Edit:
    before: dict[str, Any]
    co: list[ClinicianProfile]
    current_co: list[ClinicianProfile]
    concerns: list[ConcernTag] | None
    current_concerns: set[int]

    def changed(self, group: TherapyGroup) -> list[str]:
        changed = [f for f in EDITABLE_FIELDS if getattr(group, f) != self.before[f]]
        if {c.pk for c in self.co} != {c.pk for c in self.current_co}:
            changed.append("co_facilitators")
        if self.concerns is not None and {c.pk for c in self.concerns} != self.current_concerns:
            changed.append("concerns")
        return changed


def _apply(actor: User | None, locked: TherapyGroup, changes: GroupChanges) -> _Edit:
    """Set the changes on the locked row and validate them (raises, nothing saved)."""
    values: dict[str, Any] = dict(changes)
    new_co = values.pop("co_facilitators", None)
    new_concerns = values.pop("concerns", None)
    for text_field in ("name", "slug", "gender_focus", "recurrence", "fee_note"):
        if text_field in values:
            values[text_field] = (values[text_field] or "").strip()
    if "external_video_link" in values:
        values["external_video_link"] = (values["external_video_link"] or "").strip()
    before = {f: getattr(locked, f) for f in EDITABLE_FIELDS}
    for field, value in values.items():
        setattr(locked, field, value)
    _prepare_place(locked)
    if not locked.slug:
        locked.slug = _unique_slug(locked.name, exclude_pk=locked.pk)
    current_co = list(locked.co_facilitators.select_related("user"))
    edit = _Edit(
        before=before,
        co=_clean_co(locked.lead_facilitator, new_co if new_co is not None else current_co),
        current_co=current_co,
        concerns=list(new_concerns) if new_concerns is not None else None,
        current_concerns={c.pk for c in locked.concerns.all()},
    )
    errors: Errors = {}
    if edit.concerns is not None:
        _check_concerns(edit.concerns, edit.current_concerns, errors)
    _check_group(
        locked,
        edit.co,
        errors,
        creating=False,
        start_changed=locked.start_date != before["start_date"],
        system=actor is None,
    )
    _validate_model(locked, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    return edit


def _save_group(locked: TherapyGroup, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            if fields:
                locked.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as exc:
        raise Conflict(
            _("Another group already uses this web address name."), field="slug"
        ) from exc


def _regenerate(group: TherapyGroup, now: datetime) -> generation.GenerationResult:
    try:
        with transaction.atomic():
            return generation.regenerate_future(group, now=now)
    except IntegrityError as exc:
        # Only PostgreSQL's room exclusion constraint can get here: a booking raced ours.
        raise Conflict(_("The room is booked at that time."), field="room") from exc


def _update_locked(
    actor: User | None, locked: TherapyGroup, group: TherapyGroup, changes: GroupChanges
) -> TherapyGroup:
    edit = _apply(actor, locked, changes)
    changed = edit.changed(locked)
    if not changed:
        return group
    now = dj_timezone.now()
    _save_group(locked, [f for f in changed if f not in ("co_facilitators", "concerns")])
    if "co_facilitators" in changed:
        locked.co_facilitators.set(edit.co)
    if "concerns" in changed and edit.concerns is not None:
        locked.concerns.set(edit.concerns)
    moved = _follow_place(locked, edit.before, now=now) if set(changed) & set(PLACE_FIELDS) else 0
    result = generation.GenerationResult()
    if set(changed) & {*SCHEDULE_FIELDS, "format"}:
        result = _regenerate(locked, now)
    if set(changed) & {*SCHEDULE_FIELDS, *PLACE_FIELDS}:
        _check_room_bookings(locked, now=now)
    audit_change(
        actor=actor,
        action="groups.group.updated",
        obj=locked,
        changed=changed,
        detail={
            "sessions_created": result.created,
            "sessions_deleted": result.deleted,
            "sessions_cancelled": result.cancelled,
            "sessions_changed": result.updated + result.restored + moved,
        },
    )
    if "agreement_version" in changed:
        from kindred.intake.agreements import group_agreement_changed

        group_agreement_changed(group=locked)  # members are asked to sign the new version
    if result.touched or moved:
        from kindred.groups.notices import notify_group

        notify_group(
            locked,
            kind="group_schedule_changed",
            title=_("The schedule of %(group)s changed") % {"group": locked.name},
            key=f"group-{locked.pk}-schedule-{int(now.timestamp())}",
        )
    # The caller's object reflects the saved state.
    for field in EDITABLE_FIELDS:
        setattr(group, field, getattr(locked, field))
    group.updated_at = locked.updated_at
    return group


def _follow_place(group: TherapyGroup, before: dict[str, Any], *, now: datetime) -> int:
    """Sessions still ahead that were where the group was now go where it is."""
    from django.db.models import F

    from kindred.scheduling.models import GroupSession, SessionStatus

    old_location = before["location"]
    old_room = before["room"]
    return GroupSession.objects.filter(
        group=group,
        starts_at__gt=now,
        status=SessionStatus.SCHEDULED,
        modality=before["modality"],
        location=old_location.pk if old_location else None,
        room=old_room.pk if old_room else None,
    ).update(
        modality=group.modality,
        location=group.location_id,
        room=group.room_id,
        sequence=F("sequence") + 1,
        updated_at=now,
    )


_TRANSITIONS: dict[str, tuple[str, ...]] = {
    # target: the statuses it may be reached from
    GroupStatus.ACTIVE: (GroupStatus.FORMING, GroupStatus.PAUSED),
    GroupStatus.PAUSED: (GroupStatus.ACTIVE, GroupStatus.FORMING),
    GroupStatus.COMPLETED: (GroupStatus.ACTIVE, GroupStatus.PAUSED),
    GroupStatus.CANCELLED: (GroupStatus.FORMING, GroupStatus.ACTIVE, GroupStatus.PAUSED),
}


_ACTION_TARGETS = {
    "activate": GroupStatus.ACTIVE,
    "pause": GroupStatus.PAUSED,
    "complete": GroupStatus.COMPLETED,
    "cancel": GroupStatus.CANCELLED,
}


def status_actions(group: TherapyGroup) -> list[str]:
    """The status changes open to a group now ("activate", "pause", ...), for pages."""
    return [a for a, target in _ACTION_TARGETS.items() if group.status in _TRANSITIONS[target]]


def _status_message(current: str, target: str) -> str:
    labels = dict(GroupStatus.choices)
    return _("A group that is %(current)s cannot become %(target)s.") % {
        "current": str(labels[current]).lower(),
        "target": str(labels[target]).lower(),
    }


def _set_status(
    *, actor: User | None, group: TherapyGroup, target: GroupStatus, verb: str
) -> TherapyGroup:
    _require(actor)
    now = dj_timezone.now()
    with transaction.atomic():
        locked = TherapyGroup.objects.select_for_update().get(pk=group.pk)
        if locked.status not in _TRANSITIONS[target]:
            raise InvalidState(_status_message(locked.status, target), field="status")
        previous = locked.status
        locked.status = target
        locked.save(update_fields=["status", "updated_at"])
        detail: dict[str, Any] = {"from": previous}
        notice: tuple[str, str] | None = None
        if target == GroupStatus.ACTIVE and previous == GroupStatus.PAUSED:
            verb = "resumed"
            _check_room_bookings(locked, now=now)
            result = _regenerate(locked, now)
            detail["sessions_restored"] = result.restored
            detail["sessions_created"] = result.created
            notice = ("group_resumed", _("%(group)s is meeting again") % {"group": locked.name})
        elif target in (GroupStatus.PAUSED, GroupStatus.COMPLETED, GroupStatus.CANCELLED):
            reason = {
                GroupStatus.PAUSED: generation.REASON_GROUP_PAUSED,
                GroupStatus.COMPLETED: generation.REASON_GROUP_COMPLETED,
                GroupStatus.CANCELLED: generation.REASON_GROUP_CANCELLED,
            }[target]
            cancelled = generation.cancel_future(locked, reason=reason, now=now)
            detail["sessions_cancelled"] = len(cancelled)
            titles = {
                GroupStatus.PAUSED: _("%(group)s is paused"),
                GroupStatus.COMPLETED: _("%(group)s has finished"),
                GroupStatus.CANCELLED: _("%(group)s was cancelled"),
            }
            notice = (f"group_{verb}", titles[target] % {"group": locked.name})
        audit_change(
            actor=actor,
            action=f"groups.group.{verb}",
            obj=locked,
            changed=["status"],
            detail=detail,
        )
        if notice is not None:
            from kindred.groups.notices import notify_group

            notify_group(
                locked,
                kind=notice[0],
                title=notice[1],
                key=f"group-{locked.pk}-{verb}-{int(now.timestamp())}",
                email=target in (GroupStatus.CANCELLED, GroupStatus.PAUSED),
            )
    group.status = locked.status
    return group


def group_activate(*, actor: User | None, group: TherapyGroup) -> TherapyGroup:
    """Forming → active, or resume a paused group (its sessions come back)."""
    return _set_status(actor=actor, group=group, target=GroupStatus.ACTIVE, verb="activated")


def group_pause(*, actor: User | None, group: TherapyGroup) -> TherapyGroup:
    """Cancel the sessions that have not started ("Group paused") until resumed."""
    return _set_status(actor=actor, group=group, target=GroupStatus.PAUSED, verb="paused")


def group_complete(*, actor: User | None, group: TherapyGroup) -> TherapyGroup:
    return _set_status(actor=actor, group=group, target=GroupStatus.COMPLETED, verb="completed")


def group_cancel(*, actor: User | None, group: TherapyGroup) -> TherapyGroup:
    return _set_status(actor=actor, group=group, target=GroupStatus.CANCELLED, verb="cancelled")


# --- Enrollments ----------------------------------------------------------------------


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _local_today(group: TherapyGroup) -> date:
    """Today where the group meets (its time zone; the practice's if it has none yet)."""
    name = group.timezone or practice_settings().timezone
    try:
        zone = ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo(practice_settings().timezone)
    return dj_timezone.localdate(timezone=zone)


def _check_eligible(group: TherapyGroup, client: Client) -> None:
    if client.status == ClientStatus.ARCHIVED:
        raise InvalidState(
            _("This client's record is archived. Restore it before adding them to a group."),
            field="client",
        )
    on = max(group.start_date, _local_today(group))
    age = age_on(client.date_of_birth, on)
    if group.min_age is not None and age < group.min_age:
        raise ValidationFailed(
            _("This group is for people aged %(min)d and over; %(name)s is %(age)d.")
            % {"min": group.min_age, "name": client.display_name, "age": age},
            field="client",
        )
    if group.max_age is not None and age > group.max_age:
        raise ValidationFailed(
            _("This group is for people aged up to %(max)d; %(name)s is %(age)d.")
            % {"max": group.max_age, "name": client.display_name, "age": age},
            field="client",
        )


def _check_no_overlap(group: TherapyGroup, client: Client, *, now: datetime) -> None:
    """The member's other groups must not meet at the same time as this one in the next
    twelve weeks. One query: this group's sessions and theirs, swept in time order."""
    from kindred.scheduling.models import GroupSession, SessionStatus

    end = now + OVERLAP_LOOKAHEAD
    other_groups = Enrollment.objects.filter(client=client, status__in=SEAT_STATUSES).values(
        "group_id"
    )
    rows = list(
        GroupSession.objects.filter(
            Q(group=group) | Q(group__in=other_groups, group__status__in=LIVE_STATUSES),
            status=SessionStatus.SCHEDULED,
            starts_at__lt=end,
            ends_at__gt=now,
        )
        .order_by("starts_at", "id")
        .values_list("group_id", "group__name", "starts_at", "ends_at")
    )
    mine = [(s, e) for g, _n, s, e in rows if g == group.pk]
    theirs = [(g, n, s, e) for g, n, s, e in rows if g != group.pk]
    for _g, other_name, s2, e2 in theirs:
        for s1, e1 in mine:
            if s1 < e2 and s2 < e1:
                local = s2.astimezone(recurrence.zone(group.timezone))
                raise Conflict(
                    _(
                        "%(name)s is in %(other)s, which meets at the same time "
                        "(%(when)s). A member cannot be in two sessions at once."
                    )
                    % {
                        "name": client.display_name,
                        "other": other_name,
                        "when": date_format(local, "DATETIME_FORMAT"),
                    },
                    field="client",
                )
            if s1 >= e2:
                break


def enrollment_invite(
    *,
    actor: User | None,
    group: TherapyGroup,
    client: Client,
    invited_at: datetime | None = None,
    screening: Screening | None = None,
) -> Enrollment:
    """Offer a client a place in the group (it takes a seat at once).

    The group row is locked and its seats counted inside the transaction, so two
    coordinators taking the last seat at the same moment cannot overfill it: the second
    waits for the first and then finds the group full.

    ``screening`` is the decided screening that admits this client to this group
    (intake/screening.py): it authorizes the offer in place of ``MANAGE_GROUPS``, so the
    clinician who screened the candidate gives them their place.
    """
    if screening is None:
        _require(actor)
    elif not (
        screening.decision == ScreeningDecision.ADMIT
        and screening.client_id == client.pk
        and screening.group_id == group.pk
    ):
        raise NotPermitted(_("Only a screening that admits them to this group offers a place."))
    now = dj_timezone.now()
    with transaction.atomic():
        locked = TherapyGroup.objects.select_for_update().get(pk=group.pk)
        if locked.status not in (*LIVE_STATUSES, GroupStatus.PAUSED):
            raise InvalidState(
                _("This group has ended; it cannot take new members."), field="group"
            )
        _check_eligible(locked, client)
        if Enrollment.objects.filter(
            group=locked, client=client, status__in=SEAT_STATUSES
        ).exists():
            raise Conflict(
                _("%(name)s already has a place in this group.") % {"name": client.display_name},
                field="client",
            )
        if seats_taken(locked) >= locked.max_size:
            raise Conflict(_("The group is full."), field="group")
        _check_no_overlap(locked, client, now=now)
        enrollment = Enrollment(
            group=locked,
            client=client,
            status=EnrollmentStatus.INVITED,
            invited_at=invited_at or now,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        try:
            with transaction.atomic():
                enrollment.save()
        except IntegrityError as exc:
            raise Conflict(
                _("%(name)s already has a place in this group.") % {"name": client.display_name},
                field="client",
            ) from exc
        audit_change(
            actor=actor,
            action="groups.enrollment.invited",
            obj=enrollment,
            client_id=client.pk,
            detail={"group": locked.pk},
        )
        # The intake questionnaires (measures/planning.py), after commit.
        measures_planning.on_commit_plan_enrollment(enrollment.pk)
    return enrollment


def _locked_enrollment(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update()
        .select_related("group", "client")
        .get(pk=enrollment.pk)
    )


def _when(value: datetime | None, *, not_before: datetime | None, now: datetime) -> datetime:
    when = value or now
    if when > now + timedelta(minutes=5):
        raise ValidationFailed(_("This date is in the future."), field="date")
    if not_before is not None and when < not_before:
        raise ValidationFailed(
            _("This must be on or after %(date)s.")
            % {"date": _d(dj_timezone.localdate(not_before))},
            field="date",
        )
    return when


def enrollment_activate(
    *,
    actor: User | None,
    enrollment: Enrollment,
    activated_at: datetime | None = None,
    automatic: bool = False,
) -> Enrollment:
    """The invited person has joined: invited → active.

    Only once their admission is complete (intake/admission.py: a screening admitted
    them and they signed the group's current agreement); otherwise ``InvalidState``
    names what is missing. ``automatic`` is the admission rule activating the place when
    its last step completes (``admission.maybe_activate``): ``actor`` completed that step
    and needs no ``MANAGE_GROUPS``. System commands (``actor=None`` and not automatic:
    seed data, imports of members screened before the practice used Kindred) are trusted.
    """
    if not automatic:
        _require(actor)
    now = dj_timezone.now()
    with transaction.atomic():
        locked = _locked_enrollment(enrollment)
        if locked.status != EnrollmentStatus.INVITED:
            raise InvalidState(_("Only an invited place can become active."), field="status")
        if locked.client.status == ClientStatus.ARCHIVED:
            raise InvalidState(_("This client's record is archived."), field="client")
        if actor is not None or automatic:
            admission.require_ready(locked)
        locked.activated_at = _when(activated_at, not_before=locked.invited_at, now=now)
        locked.status = EnrollmentStatus.ACTIVE
        locked.save(update_fields=["status", "activated_at", "updated_at"])
        audit_change(
            actor=actor,
            action="groups.enrollment.activated",
            obj=locked,
            client_id=locked.client_id,
            detail={"group": locked.group_id, **({"automatic": True} if automatic else {})},
        )
    enrollment.status, enrollment.activated_at = locked.status, locked.activated_at
    return enrollment


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_("Say why, in a few words."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            _("Use at most %(n)d characters.") % {"n": REASON_MAX_LENGTH}, field="reason"
        )
    return reason


def _end(
    *,
    actor: User | None,
    enrollment: Enrollment,
    status: EnrollmentStatus,
    reason: str,
    ended_at: datetime | None,
    allowed_from: tuple[str, ...],
    reason_required: bool,
) -> Enrollment:
    _require(actor)
    reason = _clean_reason(reason, required=reason_required)
    now = dj_timezone.now()
    with transaction.atomic():
        locked = _locked_enrollment(enrollment)
        if locked.status not in allowed_from:
            raise InvalidState(
                _("This place has already ended.")
                if locked.status not in SEAT_STATUSES
                else _("Only an active member can graduate."),
                field="status",
            )
        locked.ended_at = _when(
            ended_at, not_before=locked.activated_at or locked.invited_at, now=now
        )
        locked.status = status
        # The reason may be clinical: it stays on the enrollment, never in the audit log.
        locked.end_reason = reason
        locked.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
        audit_change(
            actor=actor,
            action=f"groups.enrollment.{status.value}",
            obj=locked,
            client_id=locked.client_id,
            detail={"group": locked.group_id},
        )
        if status == EnrollmentStatus.GRADUATED:
            # The graduation questionnaires (measures/planning.py), after commit.
            measures_planning.on_commit_plan_enrollment(locked.pk)
    enrollment.status, enrollment.ended_at, enrollment.end_reason = (
        locked.status,
        locked.ended_at,
        locked.end_reason,
    )
    return enrollment


def enrollment_graduate(
    *,
    actor: User | None,
    enrollment: Enrollment,
    reason: str = "",
    ended_at: datetime | None = None,
) -> Enrollment:
    """An active member completes the group (a planned ending)."""
    return _end(
        actor=actor,
        enrollment=enrollment,
        status=EnrollmentStatus.GRADUATED,
        reason=reason,
        ended_at=ended_at,
        allowed_from=(EnrollmentStatus.ACTIVE,),
        reason_required=False,
    )


def enrollment_withdraw(
    *, actor: User | None, enrollment: Enrollment, reason: str, ended_at: datetime | None = None
) -> Enrollment:
    """The person chose to leave (or declined the invitation)."""
    return _end(
        actor=actor,
        enrollment=enrollment,
        status=EnrollmentStatus.WITHDREW,
        reason=reason,
        ended_at=ended_at,
        allowed_from=SEAT_STATUSES,
        reason_required=True,
    )


def enrollment_remove(
    *, actor: User | None, enrollment: Enrollment, reason: str, ended_at: datetime | None = None
) -> Enrollment:
    """The practice ends the person's place."""
    return _end(
        actor=actor,
        enrollment=enrollment,
        status=EnrollmentStatus.REMOVED,
        reason=reason,
        ended_at=ended_at,
        allowed_from=SEAT_STATUSES,
        reason_required=True,
    )
