"""Writes for the practice: its profile, locations and rooms, compacts and their member
states, clinician profiles, licenses and compact privileges.

Each function checks the actor's capability, validates (a specific message per field,
nothing saved on error), writes the audit event in the same transaction and queues side
effects on commit. ``actor=None`` means a system command (demo data, set-up scripts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone as dj_timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, ValidationFailed, full_clean_or_fail
from kindred.practice import licensure
from kindred.practice import roles as role_checks
from kindred.practice.models import (
    ClinicianProfile,
    Compact,
    CompactMemberState,
    CompactPrivilege,
    CredentialStatus,
    License,
    Location,
    Practice,
    Room,
)
from kindred.practice.roles import Capability
from kindred.practice.settings import forget_practice_settings
from kindred.practice.states import is_state, state_name

if TYPE_CHECKING:
    from kindred.accounts.models import User

Errors = dict[str, list[str]]

IDLE_MINUTES_MIN, IDLE_MINUTES_MAX = 1, 720
RETENTION_YEARS_MIN, RETENTION_YEARS_MAX = 1, 100
ROOM_SEATS_MIN, ROOM_SEATS_MAX = 1, 500
# The statuses a license or privilege can be ended with.
ENDED_STATUSES = (
    CredentialStatus.INACTIVE,
    CredentialStatus.EXPIRED,
    CredentialStatus.SUSPENDED,
    CredentialStatus.REVOKED,
)


# --- Plumbing -------------------------------------------------------------------------


def _require(actor: User | None, capability: Capability) -> None:
    if actor is not None:
        role_checks.require(actor, capability)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _d(value: date) -> str:
    return date_format(value, "DATE_FORMAT")


def _validate(instance: models.Model, errors: Errors, *, exclude: list[str] | None = None) -> None:
    """Run the model's own validation and add our specific messages. Where we already
    explain a field, Django's generic message for it (and for the table constraint
    behind it) is dropped, so each problem is said once, beside its field."""
    try:
        full_clean_or_fail(instance, exclude=exclude)
    except ValidationFailed as exc:
        for field, messages in exc.errors.items():
            if field in errors or (field == "__all__" and errors):
                continue
            errors[field] = list(messages)
    if errors:
        raise ValidationFailed(errors=errors)


def _assign[M: models.Model](instance: M, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``instance``; return the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name, value in values.items():
        setattr(instance, name, value)
    return changed


def _save(instance: models.Model, *, changed: list[str] | None, conflict: str, field: str) -> None:
    """Insert (``changed`` None) or update the changed fields. A race that slips past the
    checks is caught by the table's constraint and reported as a conflict."""
    try:
        with transaction.atomic():
            if changed is None:
                instance.save()
            else:
                instance.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        raise Conflict(conflict, field=field) from exc


def _check_range(errors: Errors, field: str, value: int | None, low: int, high: int) -> None:
    if value is None or not low <= value <= high:
        _add(
            errors,
            field,
            _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
        )


def _check_dates(
    errors: Errors, *, start: date | None, end: date | None, end_field: str, start_label: str
) -> None:
    if start is not None and end is not None and end <= start:
        _add(
            errors,
            end_field,
            _("This must be after the %(start)s date (%(date)s).")
            % {"start": start_label, "date": _d(start)},
        )


def _check_state(errors: Errors, field: str, value: str) -> None:
    if not is_state(value):
        _add(
            errors,
            field,
            _("“%(value)s” is not a US state code (use two letters, like IL).") % {"value": value},
        )


# --- Practice profile -----------------------------------------------------------------


def practice_save(
    *,
    actor: User | None,
    name: str,
    timezone: str,
    states_served: Iterable[str],
    crisis_resources: str,
    contact_email: str = "",
    contact_phone: str = "",
    staff_idle_minutes: int = 15,
    member_idle_minutes: int = 30,
    reminder_minutes_before: list[int] | None = None,
    record_retention_years: int | None = None,
) -> Practice:
    """Create the practice profile the first time, update it afterwards.
    ``reminder_minutes_before`` or ``record_retention_years`` None keeps the current value."""
    _require(actor, Capability.MANAGE_PRACTICE)
    errors: Errors = {}
    if not (name or "").strip():
        _add(errors, "name", _("Enter the practice's name."))
    if not (crisis_resources or "").strip():
        _add(errors, "crisis_resources", _("Members must always see crisis resources."))
    _check_range(
        errors, "staff_idle_minutes", staff_idle_minutes, IDLE_MINUTES_MIN, IDLE_MINUTES_MAX
    )
    _check_range(
        errors, "member_idle_minutes", member_idle_minutes, IDLE_MINUTES_MIN, IDLE_MINUTES_MAX
    )
    if record_retention_years is not None:
        _check_range(
            errors,
            "record_retention_years",
            record_retention_years,
            RETENTION_YEARS_MIN,
            RETENTION_YEARS_MAX,
        )
    states = list(states_served)
    values: dict[str, Any] = {
        "name": name,
        "timezone": timezone,
        "states_served": sorted(states) if all(isinstance(s, str) for s in states) else states,
        "crisis_resources": crisis_resources,
        "contact_email": (contact_email or "").strip().lower(),
        "contact_phone": contact_phone or "",
        "staff_idle_minutes": staff_idle_minutes,
        "member_idle_minutes": member_idle_minutes,
    }
    if reminder_minutes_before is not None:
        offsets = list(reminder_minutes_before)
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in offsets)
        values["reminder_minutes_before"] = sorted(offsets, reverse=True) if ints else offsets
    if record_retention_years is not None:
        values["record_retention_years"] = record_retention_years
    with transaction.atomic():
        practice = Practice.objects.select_for_update().filter(pk=1).first()
        created = practice is None
        if practice is None:
            practice = Practice(pk=1)
        changed = _assign(practice, values)
        _validate(practice, errors)
        if not changed and not created:
            return practice
        _save(
            practice,
            changed=None if created else changed,
            conflict=_("The practice profile was saved by someone else; try again."),
            field="name",
        )
        audit_change(
            actor=actor,
            action="practice.practice.created" if created else "practice.practice.updated",
            obj=practice,
            changed=list(values) if created else changed,
        )
        transaction.on_commit(forget_practice_settings)
    return practice


# --- Locations and rooms --------------------------------------------------------------


def _location_values(
    *,
    name: str,
    address_line1: str,
    address_line2: str,
    city: str,
    state: str,
    postal_code: str,
    timezone: str,
    phone: str,
    directions: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "address_line1": address_line1,
        "address_line2": address_line2 or "",
        "city": city,
        "state": state,
        "postal_code": (postal_code or "").strip(),
        "timezone": timezone,
        "phone": phone or "",
        "directions": directions or "",
    }


def _check_location(location: Location, errors: Errors) -> None:
    if location.name.strip():
        taken = Location.objects.filter(name__iexact=location.name.strip())
        if location.pk:
            taken = taken.exclude(pk=location.pk)
        if taken.exists():
            _add(
                errors,
                "name",
                _("There is already a location called “%(name)s”. Choose another name.")
                % {"name": location.name},
            )
    if location.postal_code and not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", location.postal_code):
        _add(
            errors,
            "postal_code",
            _("Enter a 5-digit ZIP code, or ZIP+4 like 60601-1234."),
        )
    _check_state(errors, "state", location.state)


def location_create(
    *,
    actor: User | None,
    name: str,
    address_line1: str,
    city: str,
    state: str,
    postal_code: str,
    timezone: str,
    address_line2: str = "",
    phone: str = "",
    directions: str = "",
) -> Location:
    _require(actor, Capability.MANAGE_PRACTICE)
    location = Location(
        **_location_values(
            name=name,
            address_line1=address_line1,
            address_line2=address_line2,
            city=city,
            state=state,
            postal_code=postal_code,
            timezone=timezone,
            phone=phone,
            directions=directions,
        )
    )
    errors: Errors = {}
    _check_location(location, errors)
    _validate(location, errors)
    with transaction.atomic():
        _save(location, changed=None, conflict=_("That location name is taken."), field="name")
        audit_change(actor=actor, action="practice.location.created", obj=location)
    return location


def location_update(
    *,
    actor: User | None,
    location: Location,
    name: str,
    address_line1: str,
    address_line2: str,
    city: str,
    state: str,
    postal_code: str,
    timezone: str,
    phone: str,
    directions: str,
) -> Location:
    _require(actor, Capability.MANAGE_PRACTICE)
    changed = _assign(
        location,
        _location_values(
            name=name,
            address_line1=address_line1,
            address_line2=address_line2,
            city=city,
            state=state,
            postal_code=postal_code,
            timezone=timezone,
            phone=phone,
            directions=directions,
        ),
    )
    errors: Errors = {}
    _check_location(location, errors)
    _validate(location, errors)
    if not changed:
        return location
    with transaction.atomic():
        _save(location, changed=changed, conflict=_("That location name is taken."), field="name")
        audit_change(actor=actor, action="practice.location.updated", obj=location, changed=changed)
    return location


def _set_active(actor: User | None, obj: Location | Room, *, active: bool, action: str) -> None:
    if obj.is_active == active:
        return
    with transaction.atomic():
        obj.is_active = active
        obj.save(update_fields=["is_active", "updated_at"])
        audit_change(actor=actor, action=action, obj=obj, changed=["is_active"])


def location_deactivate(*, actor: User | None, location: Location) -> Location:
    """Take a location out of use (its rooms cannot be booked while it is)."""
    _require(actor, Capability.MANAGE_PRACTICE)
    _set_active(actor, location, active=False, action="practice.location.deactivated")
    return location


def location_reactivate(*, actor: User | None, location: Location) -> Location:
    _require(actor, Capability.MANAGE_PRACTICE)
    _set_active(actor, location, active=True, action="practice.location.reactivated")
    return location


def _check_room(room: Room, errors: Errors) -> None:
    if room.name.strip():
        taken = Room.objects.filter(location_id=room.location_id, name__iexact=room.name.strip())
        if room.pk:
            taken = taken.exclude(pk=room.pk)
        if taken.exists():
            _add(
                errors,
                "name",
                _("This location already has a room called “%(name)s”.") % {"name": room.name},
            )
    _check_range(errors, "capacity", room.capacity, ROOM_SEATS_MIN, ROOM_SEATS_MAX)


def room_create(
    *,
    actor: User | None,
    location: Location,
    name: str,
    capacity: int,
    accessibility_notes: str = "",
) -> Room:
    _require(actor, Capability.MANAGE_PRACTICE)
    room = Room(
        location=location,
        name=name,
        capacity=capacity,
        accessibility_notes=accessibility_notes or "",
    )
    errors: Errors = {}
    _check_room(room, errors)
    _validate(room, errors)
    with transaction.atomic():
        _save(room, changed=None, conflict=_("That room name is taken."), field="name")
        audit_change(actor=actor, action="practice.room.created", obj=room)
    return room


def room_update(
    *,
    actor: User | None,
    room: Room,
    name: str,
    capacity: int,
    accessibility_notes: str,
) -> Room:
    _require(actor, Capability.MANAGE_PRACTICE)
    changed = _assign(
        room,
        {"name": name, "capacity": capacity, "accessibility_notes": accessibility_notes or ""},
    )
    errors: Errors = {}
    _check_room(room, errors)
    _validate(room, errors)
    if not changed:
        return room
    with transaction.atomic():
        _save(room, changed=changed, conflict=_("That room name is taken."), field="name")
        audit_change(actor=actor, action="practice.room.updated", obj=room, changed=changed)
    return room


def room_deactivate(*, actor: User | None, room: Room) -> Room:
    _require(actor, Capability.MANAGE_PRACTICE)
    _set_active(actor, room, active=False, action="practice.room.deactivated")
    return room


def room_reactivate(*, actor: User | None, room: Room) -> Room:
    _require(actor, Capability.MANAGE_PRACTICE)
    _set_active(actor, room, active=True, action="practice.room.reactivated")
    return room


# --- Compacts and their member states -------------------------------------------------


def _membership_periods(compact_ids: Iterable[int]) -> list[licensure.MembershipPeriod]:
    return [
        licensure.MembershipPeriod(
            compact_id=row["compact_id"],
            state=row["state"],
            effective_from=row["effective_from"],
            effective_until=row["effective_until"],
        )
        for row in CompactMemberState.objects.filter(compact_id__in=list(compact_ids)).values(
            "compact_id", "state", "effective_from", "effective_until"
        )
    ]


def compact_member_states_on(compact: Compact, on_date: date) -> set[str]:
    """The states that are members of ``compact`` on ``on_date`` (one query)."""
    return licensure.member_states_on(_membership_periods([compact.pk]), compact.pk, on_date)


def _check_compact(compact: Compact, errors: Errors) -> None:
    if compact.code:
        taken = Compact.objects.filter(code__iexact=compact.code)
        if compact.pk:
            taken = taken.exclude(pk=compact.pk)
        if taken.exists():
            _add(
                errors,
                "code",
                _("Another compact already uses the code “%(code)s”.") % {"code": compact.code},
            )


def compact_create(
    *, actor: User | None, code: str, name: str, profession: str = "", notes: str = ""
) -> Compact:
    _require(actor, Capability.MANAGE_PRACTICE)
    compact = Compact(
        code=(code or "").strip().lower(), name=name, profession=profession or "", notes=notes or ""
    )
    errors: Errors = {}
    _check_compact(compact, errors)
    _validate(compact, errors)
    with transaction.atomic():
        _save(compact, changed=None, conflict=_("That code is taken."), field="code")
        audit_change(actor=actor, action="practice.compact.created", obj=compact)
    return compact


def compact_update(
    *, actor: User | None, compact: Compact, code: str, name: str, profession: str, notes: str
) -> Compact:
    _require(actor, Capability.MANAGE_PRACTICE)
    changed = _assign(
        compact,
        {
            "code": (code or "").strip().lower(),
            "name": name,
            "profession": profession or "",
            "notes": notes or "",
        },
    )
    errors: Errors = {}
    _check_compact(compact, errors)
    _validate(compact, errors)
    if not changed:
        return compact
    with transaction.atomic():
        _save(compact, changed=changed, conflict=_("That code is taken."), field="code")
        audit_change(actor=actor, action="practice.compact.updated", obj=compact, changed=changed)
    return compact


def _overlapping_period(
    compact: Compact, state: str, start: date, end: date | None, *, exclude_pk: int | None
) -> CompactMemberState | None:
    qs = CompactMemberState.objects.filter(compact=compact, state=state)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    # Ranges are inclusive: [a, b] and [c, d] overlap when a <= d and c <= b.
    qs = qs.filter(models.Q(effective_until__isnull=True) | models.Q(effective_until__gte=start))
    if end is not None:
        qs = qs.filter(effective_from__lte=end)
    return qs.order_by("effective_from").first()


def _overlap_message(period: CompactMemberState) -> str:
    if period.effective_until is None:
        return _("%(state)s is already a member from %(start)s, with no end date.") % {
            "state": state_name(period.state),
            "start": _d(period.effective_from),
        }
    return _("%(state)s is already a member from %(start)s to %(end)s.") % {
        "state": state_name(period.state),
        "start": _d(period.effective_from),
        "end": _d(period.effective_until),
    }


def compact_member_state_add(
    *,
    actor: User | None,
    compact: Compact,
    state: str,
    effective_from: date,
    effective_until: date | None = None,
) -> CompactMemberState:
    """Record that ``state`` is a member of ``compact`` from a date (to a date)."""
    _require(actor, Capability.MANAGE_PRACTICE)
    period = CompactMemberState(
        compact=compact, state=state, effective_from=effective_from, effective_until=effective_until
    )
    errors: Errors = {}
    _check_state(errors, "state", state)
    _check_dates(
        errors,
        start=effective_from,
        end=effective_until,
        end_field="effective_until",
        start_label=_("member from"),
    )
    if not errors and effective_from is not None:
        clash = _overlapping_period(
            compact, state, effective_from, effective_until, exclude_pk=None
        )
        if clash is not None:
            _add(errors, "effective_from", _overlap_message(clash))
    _validate(period, errors)
    with transaction.atomic():
        _save(
            period,
            changed=None,
            conflict=_("That state already has a membership starting that day."),
            field="effective_from",
        )
        audit_change(
            actor=actor,
            action="practice.compact_member_state.added",
            obj=period,
            detail={"compact": compact.code, "state": state},
        )
    return period


def compact_member_state_end(
    *, actor: User | None, member_state: CompactMemberState, effective_until: date | None
) -> CompactMemberState:
    """Record the last day of a state's membership (or correct it)."""
    _require(actor, Capability.MANAGE_PRACTICE)
    errors: Errors = {}
    if effective_until is None:
        _add(errors, "effective_until", _("Enter the last day of membership."))
    _check_dates(
        errors,
        start=member_state.effective_from,
        end=effective_until,
        end_field="effective_until",
        start_label=_("member from"),
    )
    if not errors:
        clash = _overlapping_period(
            member_state.compact,
            member_state.state,
            member_state.effective_from,
            effective_until,
            exclude_pk=member_state.pk,
        )
        if clash is not None:
            _add(errors, "effective_until", _overlap_message(clash))
    if errors:
        raise ValidationFailed(errors=errors)
    if member_state.effective_until == effective_until:
        return member_state
    with transaction.atomic():
        member_state.effective_until = effective_until
        member_state.save(update_fields=["effective_until", "updated_at"])
        audit_change(
            actor=actor,
            action="practice.compact_member_state.ended",
            obj=member_state,
            changed=["effective_until"],
            detail={"compact": member_state.compact.code, "state": member_state.state},
        )
    return member_state


# --- Clinician profiles ---------------------------------------------------------------


def _check_clinician(clinician: ClinicianProfile, errors: Errors) -> None:
    if clinician.npi:
        taken = ClinicianProfile.objects.filter(npi=clinician.npi)
        if clinician.pk:
            taken = taken.exclude(pk=clinician.pk)
        if taken.exists():
            _add(errors, "npi", _("Another clinician already has this NPI."))
    supervisor = clinician.supervisor
    if supervisor is None:
        return
    if clinician.pk and supervisor.pk == clinician.pk:
        _add(errors, "supervisor", _("A clinician cannot be their own supervisor."))
        return
    if not supervisor.user.is_active:
        _add(errors, "supervisor", _("This supervisor's account is deactivated."))
        return
    # Walk up the chain so A supervising B supervising A cannot be saved.
    seen: set[int] = set()
    current: ClinicianProfile | None = supervisor
    while current is not None and current.pk not in seen:
        if clinician.pk and current.pk == clinician.pk:
            _add(errors, "supervisor", _("This would make a supervision circle."))
            return
        seen.add(current.pk)
        current = current.supervisor


def clinician_create(
    *,
    actor: User | None,
    user: User,
    npi: str = "",
    credentials: str = "",
    pronouns: str = "",
    bio: str = "",
    supervisor: ClinicianProfile | None = None,
) -> ClinicianProfile:
    """Make a staff member a clinician."""
    _require(actor, Capability.MANAGE_CLINICIANS)
    errors: Errors = {}
    if not user.is_staff_member:
        _add(errors, "user", _("Only staff accounts can be clinicians."))
    elif not user.is_active:
        _add(errors, "user", _("This account is deactivated."))
    elif ClinicianProfile.objects.filter(user=user).exists():
        _add(errors, "user", _("This person is already a clinician."))
    clinician = ClinicianProfile(
        user=user,
        npi=(npi or "").strip(),
        credentials=credentials or "",
        pronouns=pronouns or "",
        bio=bio or "",
        supervisor=supervisor,
    )
    _check_clinician(clinician, errors)
    _validate(clinician, errors, exclude=["user"])
    with transaction.atomic():
        _save(
            clinician,
            changed=None,
            conflict=_("This person is already a clinician, or the NPI is taken."),
            field="npi",
        )
        audit_change(actor=actor, action="practice.clinician.created", obj=clinician)
    return clinician


def clinician_update(
    *,
    actor: User | None,
    clinician: ClinicianProfile,
    npi: str,
    credentials: str,
    pronouns: str,
    bio: str,
    supervisor: ClinicianProfile | None,
) -> ClinicianProfile:
    _require(actor, Capability.MANAGE_CLINICIANS)
    changed = _assign(
        clinician,
        {
            "npi": (npi or "").strip(),
            "credentials": credentials or "",
            "pronouns": pronouns or "",
            "bio": bio or "",
            "supervisor": supervisor,
        },
    )
    errors: Errors = {}
    _check_clinician(clinician, errors)
    _validate(clinician, errors, exclude=["user"])
    if not changed:
        return clinician
    with transaction.atomic():
        _save(clinician, changed=changed, conflict=_("The NPI is taken."), field="npi")
        audit_change(
            actor=actor, action="practice.clinician.updated", obj=clinician, changed=changed
        )
    return clinician


# --- Licenses -------------------------------------------------------------------------


def _check_license(lic: License, errors: Errors) -> None:
    _check_state(errors, "state", lic.state)
    _check_dates(
        errors,
        start=lic.issued_on,
        end=lic.expires_on,
        end_field="expires_on",
        start_label=_("issue"),
    )
    if lic.verified_on is not None and lic.verified_on > dj_timezone.localdate():
        _add(errors, "verified_on", _("This date is in the future."))
    if lic.state and lic.license_type and lic.number and "state" not in errors:
        taken = License.objects.filter(
            state=lic.state,
            license_type__iexact=lic.license_type.strip(),
            number__iexact=lic.number.strip(),
        )
        if lic.pk:
            taken = taken.exclude(pk=lic.pk)
        if taken.exists():
            _add(
                errors,
                "number",
                _("A %(type)s license number %(number)s in %(state)s is already recorded.")
                % {"type": lic.license_type, "number": lic.number, "state": state_name(lic.state)},
            )


def license_create(
    *,
    actor: User | None,
    clinician: ClinicianProfile,
    state: str,
    license_type: str,
    number: str,
    issued_on: date,
    expires_on: date,
    status: str = CredentialStatus.ACTIVE,
    verified_on: date | None = None,
) -> License:
    _require(actor, Capability.MANAGE_CLINICIANS)
    lic = License(
        clinician=clinician,
        state=state,
        license_type=(license_type or "").strip(),
        number=(number or "").strip(),
        issued_on=issued_on,
        expires_on=expires_on,
        status=status,
        verified_on=verified_on,
    )
    errors: Errors = {}
    _check_license(lic, errors)
    _validate(lic, errors)
    with transaction.atomic():
        _save(lic, changed=None, conflict=_("This license is already recorded."), field="number")
        audit_change(
            actor=actor,
            action="practice.license.created",
            obj=lic,
            detail={"clinician": clinician.pk, "state": lic.state},
        )
    return lic


def license_update(
    *,
    actor: User | None,
    license: License,  # noqa: A002 - the domain's word
    state: str,
    license_type: str,
    number: str,
    issued_on: date,
    expires_on: date,
    status: str,
    verified_on: date | None,
) -> License:
    _require(actor, Capability.MANAGE_CLINICIANS)
    changed = _assign(
        license,
        {
            "state": state,
            "license_type": (license_type or "").strip(),
            "number": (number or "").strip(),
            "issued_on": issued_on,
            "expires_on": expires_on,
            "status": status,
            "verified_on": verified_on,
        },
    )
    errors: Errors = {}
    _check_license(license, errors)
    _validate(license, errors)
    if not changed:
        return license
    with transaction.atomic():
        _save(
            license,
            changed=changed,
            conflict=_("This license is already recorded."),
            field="number",
        )
        audit_change(
            actor=actor,
            action="practice.license.updated",
            obj=license,
            changed=changed,
            detail={"clinician": license.clinician_id},
        )
    return license


def _check_end_status(status: str) -> None:
    if status not in ENDED_STATUSES:
        raise ValidationFailed(_("Choose inactive, expired, suspended or revoked."), field="status")


def license_end(
    *,
    actor: User | None,
    license: License,  # noqa: A002 - the domain's word
    status: str = CredentialStatus.INACTIVE,
) -> License:
    """Stop a license counting (lapsed, surrendered, suspended...). The row stays as a
    record; the licensure check treats it as not in force."""
    _require(actor, Capability.MANAGE_CLINICIANS)
    _check_end_status(status)
    if license.status == status:
        return license
    with transaction.atomic():
        license.status = status
        license.save(update_fields=["status", "updated_at"])
        audit_change(
            actor=actor,
            action="practice.license.ended",
            obj=license,
            changed=["status"],
            detail={"clinician": license.clinician_id, "status": status},
        )
    return license


# --- Compact privileges ---------------------------------------------------------------


def _check_privilege(priv: CompactPrivilege, errors: Errors) -> None:
    _check_state(errors, "home_state", priv.home_state)
    states = priv.privilege_states
    if not isinstance(states, list) or not all(isinstance(s, str) for s in states):
        _add(errors, "privilege_states", _("Give a list of state codes."))
        return
    if not states:
        _add(errors, "privilege_states", _("Choose at least one state."))
    unknown = [s for s in states if not is_state(s)]
    if unknown:
        _add(
            errors,
            "privilege_states",
            _("Not US state codes: %(codes)s.") % {"codes": ", ".join(unknown)},
        )
    if priv.home_state in states:
        _add(
            errors,
            "privilege_states",
            _("Leave out the home state: the home license already covers it."),
        )
    _check_dates(
        errors,
        start=priv.valid_from,
        end=priv.valid_until,
        end_field="valid_until",
        start_label=_("valid from"),
    )
    # The membership and home-license rules are about a privilege that counts; recording
    # one as revoked or lapsed (often because those rules stopped holding) must work.
    if errors or priv.status != CredentialStatus.ACTIVE:
        return
    members = licensure.member_states_on(
        _membership_periods([priv.compact_id]), priv.compact_id, priv.valid_from
    )
    when = _d(priv.valid_from)
    compact_name = priv.compact.name
    if priv.home_state not in members:
        _add(
            errors,
            "home_state",
            _("%(state)s is not a member of %(compact)s on %(date)s.")
            % {"state": state_name(priv.home_state), "compact": compact_name, "date": when},
        )
    outside = sorted(s for s in states if s not in members)
    if outside:
        _add(
            errors,
            "privilege_states",
            _("Not members of %(compact)s on %(date)s: %(states)s.")
            % {
                "compact": compact_name,
                "date": when,
                "states": ", ".join(state_name(s) for s in outside),
            },
        )
    home_licenses = [
        licensure.LicenseFact(
            id=lic.pk,
            state=lic.state,
            license_type=lic.license_type,
            number=lic.number,
            issued_on=lic.issued_on,
            expires_on=lic.expires_on,
            status=lic.status,
        )
        for lic in License.objects.filter(clinician_id=priv.clinician_id, state=priv.home_state)
    ]
    if not any(licensure.license_in_force(x, priv.valid_from) for x in home_licenses):
        _add(
            errors,
            "home_state",
            _("A privilege needs an active license in the home state (%(state)s) on %(date)s.")
            % {"state": state_name(priv.home_state), "date": when},
        )


def _privilege_values(
    *,
    compact: Compact,
    home_state: str,
    privilege_states: Iterable[str],
    valid_from: date,
    valid_until: date | None,
    identifier: str,
    status: str,
) -> dict[str, Any]:
    states = list(privilege_states)
    return {
        "compact": compact,
        "home_state": home_state,
        # Stored in a stable order; duplicates are dropped.
        "privilege_states": sorted(set(states))
        if all(isinstance(s, str) for s in states)
        else states,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "identifier": (identifier or "").strip(),
        "status": status,
    }


def privilege_create(
    *,
    actor: User | None,
    clinician: ClinicianProfile,
    compact: Compact,
    home_state: str,
    privilege_states: Iterable[str],
    valid_from: date,
    valid_until: date | None = None,
    identifier: str = "",
    status: str = CredentialStatus.ACTIVE,
) -> CompactPrivilege:
    _require(actor, Capability.MANAGE_CLINICIANS)
    priv = CompactPrivilege(
        clinician=clinician,
        **_privilege_values(
            compact=compact,
            home_state=home_state,
            privilege_states=privilege_states,
            valid_from=valid_from,
            valid_until=valid_until,
            identifier=identifier,
            status=status,
        ),
    )
    errors: Errors = {}
    _check_privilege(priv, errors)
    _validate(priv, errors)
    with transaction.atomic():
        priv.save()
        audit_change(
            actor=actor,
            action="practice.compact_privilege.created",
            obj=priv,
            detail={"clinician": clinician.pk, "compact": compact.code},
        )
    return priv


def privilege_update(
    *,
    actor: User | None,
    privilege: CompactPrivilege,
    compact: Compact,
    home_state: str,
    privilege_states: Iterable[str],
    valid_from: date,
    valid_until: date | None,
    identifier: str,
    status: str,
) -> CompactPrivilege:
    _require(actor, Capability.MANAGE_CLINICIANS)
    changed = _assign(
        privilege,
        _privilege_values(
            compact=compact,
            home_state=home_state,
            privilege_states=privilege_states,
            valid_from=valid_from,
            valid_until=valid_until,
            identifier=identifier,
            status=status,
        ),
    )
    errors: Errors = {}
    _check_privilege(privilege, errors)
    _validate(privilege, errors)
    if not changed:
        return privilege
    with transaction.atomic():
        privilege.save(update_fields=[*changed, "updated_at"])
        audit_change(
            actor=actor,
            action="practice.compact_privilege.updated",
            obj=privilege,
            changed=changed,
            detail={"clinician": privilege.clinician_id},
        )
    return privilege


def privilege_end(
    *, actor: User | None, privilege: CompactPrivilege, valid_until: date | None
) -> CompactPrivilege:
    """Record the last day a privilege counts (or correct it)."""
    _require(actor, Capability.MANAGE_CLINICIANS)
    errors: Errors = {}
    if valid_until is None:
        _add(errors, "valid_until", _("Enter the last day the privilege counts."))
    _check_dates(
        errors,
        start=privilege.valid_from,
        end=valid_until,
        end_field="valid_until",
        start_label=_("valid from"),
    )
    if errors:
        raise ValidationFailed(errors=errors)
    if privilege.valid_until == valid_until:
        return privilege
    with transaction.atomic():
        privilege.valid_until = valid_until
        privilege.save(update_fields=["valid_until", "updated_at"])
        audit_change(
            actor=actor,
            action="practice.compact_privilege.ended",
            obj=privilege,
            changed=["valid_until"],
            detail={"clinician": privilege.clinician_id},
        )
    return privilege
