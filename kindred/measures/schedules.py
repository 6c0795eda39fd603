"""Which questionnaires a group sends when (``MeasurementSchedule``).

A group's schedules say which instrument is sent when: at intake (when a member is
offered a place), before every session, before every Nth session, after each session
(the group pulse), at graduation. A new group gets the defaults (``DEFAULT_SCHEDULES``:
PHQ-9 and GAD-7 at intake and before every 4th session, the pulse after each session)
the first time planning sees it — right after it is set up (groups/services.py asks for
it after commit) or on the next ``plan_measures`` run. A schedule that is turned off
keeps its row (``is_active`` False), so a group whose questionnaires were turned off
never gets the defaults back.

Managers (``MANAGE_GROUPS``) and the group's own facilitators see and change a group's
schedules; measures/planning.py turns them into administrations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, NotPermitted, ValidationFailed
from kindred.groups.access import facilitates
from kindred.groups.models import LIVE_STATUSES, TherapyGroup
from kindred.measures.models import Instrument, MeasurementSchedule, Timing
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: Timings a schedule may use (a clinician's one-off questionnaire is not a schedule).
SCHEDULE_TIMINGS = (
    Timing.INTAKE,
    Timing.BEFORE_SESSION,
    Timing.EVERY_NTH_SESSION,
    Timing.AFTER_SESSION,
    Timing.GRADUATION,
)
SCHEDULE_TIMING_CHOICES = [(t.value, t.label) for t in SCHEDULE_TIMINGS]
EVERY_N_MIN = 2
EVERY_N_MAX = 52

#: A new group's questionnaires: (instrument code, timing, every N).
DEFAULT_SCHEDULES: tuple[tuple[str, Timing, int | None], ...] = (
    ("phq9", Timing.INTAKE, None),
    ("gad7", Timing.INTAKE, None),
    ("phq9", Timing.EVERY_NTH_SESSION, 4),
    ("gad7", Timing.EVERY_NTH_SESSION, 4),
    ("pulse", Timing.AFTER_SESSION, None),
)

_BATCH = 2000


def can_manage_schedules(actor: User | None, group: TherapyGroup) -> bool:
    """Group managers and the group's own facilitators (never members)."""
    if actor is None or getattr(actor, "is_member", False):
        return False
    return role_checks.has(actor, Capability.MANAGE_GROUPS) or facilitates(actor, group)


def _require_manage(actor: User | None, group: TherapyGroup) -> None:
    if not can_manage_schedules(actor, group):
        raise NotPermitted(
            _("Only the group's facilitators and coordinators change its questionnaires.")
        )


def group_schedules(group: TherapyGroup) -> list[MeasurementSchedule]:
    """The group's schedules, in use first, with their instruments (one query)."""
    rows = list(
        MeasurementSchedule.objects.filter(group=group)
        .select_related("instrument")
        .order_by("-is_active", "instrument__name", "timing", "id")
    )
    order: dict[str, int] = {t.value: i for i, t in enumerate(SCHEDULE_TIMINGS)}
    rows.sort(key=lambda s: (not s.is_active, order.get(s.timing, 9), s.instrument.name))
    return rows


def _clean_every_n(timing: str, every_n: int | None) -> int | None:
    if timing != Timing.EVERY_NTH_SESSION:
        return None
    if every_n is None:
        raise ValidationFailed(_("Say how often: every how many sessions."), field="every_n")
    if not EVERY_N_MIN <= every_n <= EVERY_N_MAX:
        raise ValidationFailed(
            _("Choose a number from %(low)d to %(high)d.")
            % {"low": EVERY_N_MIN, "high": EVERY_N_MAX},
            field="every_n",
        )
    return every_n


def _check_overlap(schedule: MeasurementSchedule) -> None:
    """ "Before every session" and "before every Nth session" of one instrument would ask
    twice before the same session: refuse the second."""
    other = {
        Timing.BEFORE_SESSION: Timing.EVERY_NTH_SESSION,
        Timing.EVERY_NTH_SESSION: Timing.BEFORE_SESSION,
    }.get(Timing(schedule.timing))
    if other is None:
        return
    if MeasurementSchedule.objects.filter(
        group_id=schedule.group_id,
        instrument_id=schedule.instrument_id,
        timing=other,
        is_active=True,
    ).exists():
        raise Conflict(
            _("%(name)s is already sent %(when)s; turn that off first.")
            % {"name": schedule.instrument.short_name, "when": Timing(other).label.lower()},
            field="timing",
        )


def schedule_create(
    *,
    actor: User | None,
    group: TherapyGroup,
    instrument: Instrument,
    timing: str,
    every_n: int | None = None,
) -> MeasurementSchedule:
    """Send ``instrument`` at ``timing``. A schedule of the same instrument and timing that
    was turned off is turned back on (with the new ``every_n``)."""
    _require_manage(actor, group)
    if timing not in SCHEDULE_TIMINGS:
        raise ValidationFailed(_("Choose when to send it."), field="timing")
    if not instrument.is_active:
        raise ValidationFailed(_("This questionnaire is not in use."), field="instrument")
    every_n = _clean_every_n(timing, every_n)
    with transaction.atomic():
        TherapyGroup.objects.select_for_update().filter(pk=group.pk).first()
        schedule = MeasurementSchedule.objects.filter(
            group=group, instrument=instrument, timing=timing
        ).first()
        if schedule is not None and schedule.is_active:
            raise Conflict(
                _("This group already sends %(name)s %(when)s.")
                % {"name": instrument.short_name, "when": Timing(timing).label.lower()},
                field="timing",
            )
        verb = "reactivated" if schedule is not None else "created"
        if schedule is None:
            schedule = MeasurementSchedule(group=group, instrument=instrument, timing=timing)
        schedule.instrument = instrument
        schedule.every_n = every_n
        schedule.is_active = True
        _check_overlap(schedule)
        schedule.save()
        audit_change(
            actor=actor,
            action=f"measures.schedule.{verb}",
            obj=schedule,
            detail={"group": group.pk, "instrument": instrument.code, "timing": timing},
        )
    return schedule


def schedule_update(
    *,
    actor: User | None,
    schedule: MeasurementSchedule,
    every_n: int | None = None,
    is_active: bool | None = None,
) -> MeasurementSchedule:
    """Change how often an "every Nth session" schedule sends, or turn a schedule on or
    off. Questionnaires already sent stay as they are."""
    group = schedule.group
    _require_manage(actor, group)
    changed: list[str] = []
    with transaction.atomic():
        locked = (
            MeasurementSchedule.objects.select_for_update()
            .select_related("instrument", "group")
            .get(pk=schedule.pk)
        )
        if every_n is not None:
            if locked.timing != Timing.EVERY_NTH_SESSION:
                raise ValidationFailed(
                    _("Only “before every Nth session” has a number of sessions."),
                    field="every_n",
                )
            new = _clean_every_n(locked.timing, every_n)
            if new != locked.every_n:
                locked.every_n = new
                changed.append("every_n")
        if is_active is not None and is_active != locked.is_active:
            if is_active and not locked.instrument.is_active:
                raise ValidationFailed(_("This questionnaire is not in use."), field="is_active")
            locked.is_active = is_active
            changed.append("is_active")
            if is_active:
                _check_overlap(locked)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_change(
                actor=actor,
                action="measures.schedule.updated",
                obj=locked,
                changed=changed,
                detail={"group": group.pk},
            )
    schedule.every_n, schedule.is_active = locked.every_n, locked.is_active
    return schedule


def schedules_apply_defaults(*, groups: Iterable[TherapyGroup] | None = None) -> int:
    """Give live groups that have never had a schedule the default ones (instruments not
    loaded yet are left out; ``manage.py sync_instruments`` loads the built-in ones).
    Returns how many schedules were created. Safe to run twice or at once: a group with
    any schedule row — even one turned off — is left alone, and the unique constraint
    absorbs a race."""
    instruments = {
        i.code: i
        for i in Instrument.objects.filter(
            code__in={c for c, _t, _n in DEFAULT_SCHEDULES}, is_active=True
        )
    }
    if not instruments:
        return 0
    candidates = TherapyGroup.objects.filter(status__in=LIVE_STATUSES).exclude(
        Exists(MeasurementSchedule.objects.filter(group=OuterRef("pk")))
    )
    if groups is not None:
        candidates = candidates.filter(pk__in=[g.pk for g in groups])
    group_ids = list(candidates.values_list("pk", flat=True))
    rows = [
        MeasurementSchedule(
            group_id=group_id, instrument=instruments[code], timing=timing, every_n=every_n
        )
        for group_id in group_ids
        for code, timing, every_n in DEFAULT_SCHEDULES
        if code in instruments
    ]
    with transaction.atomic():
        for start in range(0, len(rows), _BATCH):
            MeasurementSchedule.objects.bulk_create(
                rows[start : start + _BATCH], ignore_conflicts=True
            )
        for group_id in group_ids:
            audit_change(
                actor=None,
                action="measures.schedule.defaults_applied",
                obj=None,
                detail={"group": group_id, "instruments": sorted(instruments)},
            )
    return len(rows)
