"""Screening a candidate for a group, and what its decision does (CLINICAL.md, "Running
a group"; AGPA Clinical Practice Guidelines 2007: screen before admitting).

A screening holds the structured checklist (motivation, ability to take part, goals
that fit, commitment to attend: yes / partly / no; the exclusions), notes, and a
decision: admit, defer (with a date to revisit) or refer to individual care.

- A draft may be saved with any part of the checklist answered and no decision. Only
  the screener changes it (intake/screening_access.py). One draft at a time per
  candidate and group.
- Recording the decision needs every checklist answer. Admitting someone in acute
  crisis, actively suicidal or with active psychosis is refused (exclude or defer). The
  other exclusions, and an inclusion criterion answered "no", need the reason to say how
  they are addressed. A deferral needs a reason and a date to revisit after today; a
  referral a reason.
- A decided screening never changes; a new screening supersedes it.

What a decision does, in the same transaction:

- **admit**: the candidate gets a place (``enrollment_invite``; the screening authorizes
  it) unless they hold one already. When the group is full they wait for it instead (a
  waitlist entry for that group) and the screener is told so. The place becomes active
  at once when nothing else is required (``admission.maybe_activate``); otherwise once
  they sign the group's agreement. Their waitlist entry is marked placed.
- **defer** / **refer**: their waitlist entry becomes "deferred" (with the date to
  revisit; a deferred person with no entry gets one, so nobody is lost) or "referred
  elsewhere", and after commit the candidate is told kindly: an in-app notification if
  they have a portal account and a short email with next steps and crisis resources —
  never the reason, the group's name or anything clinical.

Notes and reasons are clinical: they stay on the screening, and the audit log records
field names only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.clients.models import Client, ClientStatus
from kindred.core.errors import (
    Conflict,
    InvalidState,
    NotPermitted,
    ValidationFailed,
    full_clean_or_fail,
)
from kindred.groups.models import SEAT_STATUSES, Enrollment, EnrollmentStatus, TherapyGroup
from kindred.intake import admission, screening_access
from kindred.intake.models import (
    OPEN_WAITLIST_STATUSES,
    Answer,
    Screening,
    ScreeningDecision,
    Urgency,
    WaitlistEntry,
    WaitlistStatus,
)
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User

Errors = dict[str, list[str]]

#: The inclusion criteria, answered yes / partly / no.
ANSWER_FIELDS = ("motivation", "can_participate", "goals_fit", "commitment")
#: The exclusions (true = present).
EXCLUSION_FIELDS = (
    "acute_crisis",
    "active_suicidality",
    "active_psychosis",
    "severe_cognitive_impairment",
    "extreme_hostility",
    "only_member_unlike_others",
)
#: Exclusions that refuse an admit outright (CLINICAL.md: exclude or defer).
BARRING_EXCLUSIONS = ("acute_crisis", "active_suicidality", "active_psychosis")
#: Exclusions an admit must address in its reason.
ADDRESSED_EXCLUSIONS = (
    "severe_cognitive_impairment",
    "extreme_hostility",
    "only_member_unlike_others",
)
TEXT_FIELDS = ("notes", "decision_reason")
NOTES_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 1000
#: Entry statuses a new screening moves to "in screening".
_TO_SCREENING = (WaitlistStatus.WAITING, WaitlistStatus.CONTACTED, WaitlistStatus.DEFERRED)
_OPEN = [str(s) for s in OPEN_WAITLIST_STATUSES]


class ScreeningFields(TypedDict, total=False):
    motivation: str
    can_participate: str
    goals_fit: str
    commitment: str
    acute_crisis: bool
    active_suicidality: bool
    active_psychosis: bool
    severe_cognitive_impairment: bool
    extreme_hostility: bool
    only_member_unlike_others: bool
    notes: str
    decision_reason: str
    revisit_on: date | None


#: Every field a screener fills in (the decision aside).
FIELDS: tuple[str, ...] = tuple(ScreeningFields.__annotations__)


@dataclass
class ScreeningResult:
    """A saved screening and what its decision did, with a sentence for the screener."""

    screening: Screening
    message: str
    enrollment: Enrollment | None = None
    entry: WaitlistEntry | None = None
    activated: bool = False
    group_full: bool = False


def _label(field: str) -> str:
    return str(getattr(Screening._meta.get_field(field), "verbose_name", field))


def _names(fields: list[str]) -> str:
    return ", ".join(_label(f) for f in fields)


def is_decided(screening: Screening) -> bool:
    return screening.decided_at is not None


# --- Validation ----------------------------------------------------------------------------


def _check_fields(screening: Screening, errors: Errors) -> None:
    """The shape of each answer, for drafts and decisions alike."""
    for field in ANSWER_FIELDS:
        value = getattr(screening, field)
        if value not in ("", *Answer.values):
            errors.setdefault(field, []).append(_("Choose yes, partly or no."))
    for field in EXCLUSION_FIELDS:
        if not isinstance(getattr(screening, field), bool):
            errors.setdefault(field, []).append(_("Tick the box or leave it empty."))
    limits = {"notes": NOTES_MAX_LENGTH, "decision_reason": REASON_MAX_LENGTH}
    for field, limit in limits.items():
        if len(getattr(screening, field) or "") > limit:
            errors.setdefault(field, []).append(_("Use at most %(n)d characters.") % {"n": limit})


def _check_decision(screening: Screening, errors: Errors, *, today: date) -> None:
    """The rules a decision must meet, all reported together."""
    decision = screening.decision
    if decision not in ScreeningDecision.values:
        errors.setdefault("decision", []).append(_("Choose admit, defer or refer."))
        return
    for field in ANSWER_FIELDS:
        if not getattr(screening, field):
            errors.setdefault(field, []).append(_("Answer this before recording a decision."))
    reason = screening.decision_reason.strip()
    if decision == ScreeningDecision.ADMIT:
        barring = [f for f in BARRING_EXCLUSIONS if getattr(screening, f)]
        if barring:
            errors.setdefault("decision", []).append(
                _(
                    "%(names)s: someone in acute crisis, actively suicidal or with active "
                    "psychosis is not admitted to a group now. Defer, with a date to "
                    "revisit, or refer them to individual care."
                )
                % {"names": _names(barring).capitalize()}
            )
            return
        to_address = [f for f in ADDRESSED_EXCLUSIONS if getattr(screening, f)]
        answered_no = [f for f in ANSWER_FIELDS if getattr(screening, f) == Answer.NO]
        if (to_address or answered_no) and not reason:
            concerns = [_label(f) for f in to_address]
            concerns += [
                _("“%(criterion)s” answered no") % {"criterion": _label(f)} for f in answered_no
            ]
            errors.setdefault("decision_reason", []).append(
                _("Say how this group will work for them despite: %(list)s.")
                % {"list": "; ".join(concerns)}
            )
    elif decision == ScreeningDecision.DEFER:
        if not reason:
            errors.setdefault("decision_reason", []).append(
                _("Say why, and what would make joining a better fit later.")
            )
        if screening.revisit_on is None:
            errors.setdefault("revisit_on", []).append(_("Choose when to talk again."))
        elif screening.revisit_on <= today:
            errors.setdefault("revisit_on", []).append(
                _("Choose a date after today to talk again.")
            )
    elif not reason:
        errors.setdefault("decision_reason", []).append(
            _("Say why individual care suits them better now.")
        )


def _validate(screening: Screening, *, deciding: bool, today: date) -> None:
    errors: Errors = {}
    _check_fields(screening, errors)
    if deciding:
        _check_decision(screening, errors, today=today)
    if not errors:
        # Django's own checks for the rest; blank answers are allowed in a draft.
        blank = [f for f in ANSWER_FIELDS if not getattr(screening, f)]
        exclude = ["client", "group", "entry", "screener", "decision", *blank]
        try:
            full_clean_or_fail(screening, exclude=exclude)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)


def _apply(screening: Screening, fields: ScreeningFields) -> list[str]:
    """Copy the given fields onto the screening; returns the names that changed."""
    changed = []
    for name, given in fields.items():
        if name not in FIELDS:
            continue
        value = given.strip() if name in TEXT_FIELDS and isinstance(given, str) else given
        if name in EXCLUSION_FIELDS and value is None:
            value = False
        if getattr(screening, name) != value:
            setattr(screening, name, value)
            changed.append(name)
    return changed


# --- Who screens --------------------------------------------------------------------------


def _check_screener(*, actor: User | None, group: TherapyGroup, screener: User | None) -> User:
    """The screener of a new screening: the actor, or someone a group manager names."""
    if actor is None:
        if screener is None:
            raise ValidationFailed(_("Choose who screens."), field="screener")
        return screener
    role_checks.require(actor, Capability.SCREEN_CANDIDATES)
    if not screening_access.can_screen_for(actor, group):
        raise NotPermitted(_("You can screen candidates only for the groups you facilitate."))
    if screener is None or screener.pk == actor.pk:
        if not screening_access.may_screen(actor):
            raise ValidationFailed(
                _("You cannot screen yourself; choose a clinician who will."), field="screener"
            )
        return actor
    if not screening_access.manages(actor):
        raise NotPermitted(_("Only a coordinator can ask someone else to screen."))
    if not screening_access.may_be_screener(screener):
        raise ValidationFailed(
            _("%(name)s cannot screen candidates.") % {"name": screener.full_name},
            field="screener",
        )
    return screener


# --- Services ---------------------------------------------------------------------------


def screening_create(
    *,
    actor: User | None,
    client: Client,
    group: TherapyGroup,
    entry: WaitlistEntry | None = None,
    screener: User | None = None,
    decision: str = "",
    **fields: Unpack[ScreeningFields],
) -> ScreeningResult:
    """Start screening ``client`` for ``group`` (a draft), or record it and its
    decision at once when ``decision`` is given. ``entry`` is the waitlist entry the
    candidate came from, if any. ``actor=None`` is a system command (seed data)."""
    if group.status not in screening_access.SCREENABLE_GROUP_STATUSES:
        raise InvalidState(_("This group has ended; nobody can join it now."), field="group")
    chosen = _check_screener(actor=actor, group=group, screener=screener)
    now = timezone.now()
    if entry is not None and (entry.client_id != client.pk or entry.status not in _OPEN):
        raise ValidationFailed(
            _("This waitlist entry is not an open entry of %(name)s.")
            % {"name": client.display_name},
            field="entry",
        )
    screening = Screening(client=client, group=group, entry=entry, screener=chosen)
    changed = _apply(screening, fields)
    screening.decision = decision
    _validate(screening, deciding=bool(decision), today=timezone.localdate(now))
    with transaction.atomic():
        # One draft per candidate and group: the client row serializes two starts.
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if locked.status == ClientStatus.ARCHIVED:
            raise InvalidState(
                _("This client's record is archived. Restore it before screening them."),
                field="client",
            )
        draft = Screening.objects.filter(
            client=client, group=group, decided_at__isnull=True
        ).first()
        if draft is not None:
            raise Conflict(
                _(
                    "%(name)s is already being screened for %(group)s (started %(date)s). "
                    "Continue that screening instead."
                )
                % {
                    "name": client.display_name,
                    "group": group.name,
                    "date": date_format(timezone.localdate(draft.created_at), "DATE_FORMAT"),
                },
                field="client",
            )
        screening.save()
        audit_change(
            actor=actor,
            action="intake.screening.created",
            obj=screening,
            client_id=client.pk,
            changed=changed,
            detail={"group": group.pk, "screener": chosen.pk},
        )
        if not decision:
            _mark_in_screening(actor=actor, screening=screening, now=now)
            return ScreeningResult(
                screening,
                _("The screening of %(name)s is saved as a draft.") % {"name": client.display_name},
            )
        return _decide(actor=actor, screening=screening, changed=[], now=now)


def screening_update(
    *,
    actor: User | None,
    screening: Screening,
    decision: str = "",
    **fields: Unpack[ScreeningFields],
) -> ScreeningResult:
    """Change a draft (only the fields given), and record its decision when
    ``decision`` is given. A decided screening never changes. The caller obtained the
    screening with ``get_screening_for(..., write=True)`` (its screener)."""
    if actor is not None:
        role_checks.require(actor, Capability.SCREEN_CANDIDATES)
        if screening.screener_id != actor.pk:
            raise NotPermitted(_("Only the screener can change this screening."))
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Screening.objects.select_for_update(of=("self",))
            .select_related("client", "group")
            .get(pk=screening.pk)
        )
        if is_decided(locked):
            raise InvalidState(
                _(
                    "This screening was decided on %(date)s and cannot change. Start a new "
                    "screening to record a new decision."
                )
                % {"date": date_format(timezone.localdate(locked.decided_at), "DATE_FORMAT")},
                field="decision",
            )
        changed = _apply(locked, fields)
        locked.decision = decision
        _validate(locked, deciding=bool(decision), today=timezone.localdate(now))
        if decision:
            result = _decide(actor=actor, screening=locked, changed=changed, now=now)
        else:
            if changed:
                locked.save(update_fields=[*changed, "updated_at"])
                audit_change(
                    actor=actor,
                    action="intake.screening.updated",
                    obj=locked,
                    client_id=locked.client_id,
                    changed=changed,
                )
            result = ScreeningResult(
                locked,
                _("The screening of %(name)s is saved as a draft.")
                % {"name": locked.client.display_name},
            )
    _copy(locked, screening)
    result.screening = screening
    return result


def screening_decide(
    *,
    actor: User | None,
    screening: Screening,
    decision: str,
    decision_reason: str = "",
    revisit_on: date | None = None,
) -> ScreeningResult:
    """Record the decision of a draft whose checklist is already saved."""
    return screening_update(
        actor=actor,
        screening=screening,
        decision=decision or "",
        decision_reason=decision_reason,
        revisit_on=revisit_on,
    )


def _copy(source: Screening, target: Screening) -> None:
    if source is target:
        return
    for field in (*FIELDS, "decision", "decided_at", "updated_at"):
        setattr(target, field, getattr(source, field))


# --- What a decision does -------------------------------------------------------------------


def _decide(
    *, actor: User | None, screening: Screening, changed: list[str], now: datetime
) -> ScreeningResult:
    """Record the decision of a validated screening (locked, inside the transaction)."""
    if screening.decision != ScreeningDecision.DEFER:
        screening.revisit_on = None
    screening.decided_at = now
    screening.save()
    audit_change(
        actor=actor,
        action="intake.screening.decided",
        obj=screening,
        client_id=screening.client_id,
        changed=[*changed, "decision", "decided_at"],
        detail={"group": screening.group_id},
    )
    if screening.decision == ScreeningDecision.ADMIT:
        return _admit(actor=actor, screening=screening, now=now)
    return _not_now(actor=actor, screening=screening, now=now)


def _entry_of(screening: Screening) -> WaitlistEntry | None:
    """The candidate's waitlist entry this screening is about (locked): the one it came
    from while open, else their open entry for this group, else their open entry for
    any group."""
    open_entries = WaitlistEntry.objects.select_for_update().filter(
        client_id=screening.client_id, status__in=_OPEN
    )
    if screening.entry_id is not None:
        entry = open_entries.filter(pk=screening.entry_id).first()
        if entry is not None:
            return entry
    entry = open_entries.filter(group_id=screening.group_id).first()
    if entry is not None:
        return entry
    return open_entries.filter(group__isnull=True).first()


def _move(
    *,
    actor: User | None,
    entry: WaitlistEntry,
    status: str,
    reason: str,
    now: datetime,
    revisit_on: date | None = None,
) -> None:
    """Change an entry's status with its history (the waitlist's own transition; the
    screening's decision is what authorizes it)."""
    from kindred.intake.waitlist import _transition

    _transition(
        actor=actor, entry=entry, status=status, reason=reason, revisit_on=revisit_on, now=now
    )


def _mark_in_screening(*, actor: User | None, screening: Screening, now: datetime) -> None:
    entry = _entry_of(screening)
    if entry is not None and entry.status in _TO_SCREENING:
        _move(
            actor=actor,
            entry=entry,
            status=WaitlistStatus.SCREENING,
            reason=_("Screening for %(group)s") % {"group": screening.group.name},
            now=now,
        )


def _new_entry(
    *,
    actor: User | None,
    screening: Screening,
    status: str,
    like: WaitlistEntry | None,
    now: datetime,
    revisit_on: date | None = None,
    reason: str = "",
) -> WaitlistEntry:
    entry = WaitlistEntry.objects.create(
        client_id=screening.client_id,
        group_id=screening.group_id,
        referral=like.referral if like is not None else None,
        status=status,
        urgency=like.urgency if like is not None else Urgency.ROUTINE,
        # They keep the time they have already waited.
        added_at=like.added_at if like is not None else now,
        revisit_on=revisit_on,
        status_reason=reason,
    )
    audit_change(
        actor=actor,
        action="intake.waitlist_entry.created",
        obj=entry,
        client_id=screening.client_id,
        detail={"group": screening.group_id, "screening": screening.pk},
    )
    return entry


def _admit(*, actor: User | None, screening: Screening, now: datetime) -> ScreeningResult:
    from kindred.groups.services import enrollment_invite, seats_taken

    client, group = screening.client, screening.group
    name = client.display_name
    entry = _entry_of(screening)
    enrollment = Enrollment.objects.filter(
        group=group, client=client, status__in=SEAT_STATUSES
    ).first()
    invited = False
    if enrollment is None:
        locked_group = TherapyGroup.objects.select_for_update().get(pk=group.pk)
        if seats_taken(locked_group) >= locked_group.max_size:
            return _wait_for_place(actor=actor, screening=screening, entry=entry, now=now)
        enrollment = enrollment_invite(
            actor=actor, group=locked_group, client=client, screening=screening
        )
        invited = True
    if entry is not None:
        _move(
            actor=actor,
            entry=entry,
            status=WaitlistStatus.PLACED,
            reason=_("Admitted to %(group)s") % {"group": group.name},
            now=now,
        )
    activated = admission.maybe_activate(enrollment, actor=actor)
    if activated:
        message = _("%(name)s is admitted and is now a member of %(group)s.")
    elif enrollment.status == EnrollmentStatus.ACTIVE:
        message = _("%(name)s is admitted; they were already a member of %(group)s.")
    elif invited:
        message = _(
            "%(name)s is admitted and has a place in %(group)s. They join once they have "
            "signed the group agreement."
        )
    else:
        message = _("%(name)s is admitted; they already hold a place in %(group)s.")
    return ScreeningResult(
        screening,
        message % {"name": name, "group": group.name},
        enrollment=enrollment,
        entry=entry,
        activated=activated,
    )


def _wait_for_place(
    *, actor: User | None, screening: Screening, entry: WaitlistEntry | None, now: datetime
) -> ScreeningResult:
    """An admitted candidate and a full group: they wait for this group."""
    reason = _("Admitted; waiting for a place in %(group)s") % {"group": screening.group.name}
    if entry is not None and entry.group_id is None:
        # Their "any group" entry becomes an entry for this group (a move, not a copy).
        entry.group_id = screening.group_id
        entry.save(update_fields=["group", "updated_at"])
    if entry is not None and entry.group_id == screening.group_id:
        if entry.status != WaitlistStatus.WAITING:
            _move(actor=actor, entry=entry, status=WaitlistStatus.WAITING, reason=reason, now=now)
        waiting = entry
    else:
        waiting = _new_entry(
            actor=actor,
            screening=screening,
            status=WaitlistStatus.WAITING,
            like=entry,
            now=now,
            reason=reason,
        )
    return ScreeningResult(
        screening,
        _("The group is full, so %(name)s is first in line for it.")
        % {"name": screening.client.display_name},
        entry=waiting,
        group_full=True,
    )


def _not_now(*, actor: User | None, screening: Screening, now: datetime) -> ScreeningResult:
    """Defer or refer: update the waitlist and tell the candidate (after commit)."""
    name = screening.client.display_name
    entry = _entry_of(screening)
    if screening.decision == ScreeningDecision.DEFER:
        reason = _("Deferred after screening for %(group)s") % {"group": screening.group.name}
        if entry is None:
            entry = _new_entry(
                actor=actor,
                screening=screening,
                status=WaitlistStatus.DEFERRED,
                like=None,
                now=now,
                revisit_on=screening.revisit_on,
                reason=reason,
            )
        else:
            _move(
                actor=actor,
                entry=entry,
                status=WaitlistStatus.DEFERRED,
                reason=reason,
                revisit_on=screening.revisit_on,
                now=now,
            )
        assert screening.revisit_on is not None  # noqa: S101 - validated
        message = _("%(name)s is deferred; talk with them again on %(date)s.") % {
            "name": name,
            "date": date_format(screening.revisit_on, "DATE_FORMAT"),
        }
    else:
        if entry is not None:
            _move(
                actor=actor,
                entry=entry,
                status=WaitlistStatus.REFERRED_ELSEWHERE,
                reason=_("Referred to individual care after screening"),
                now=now,
            )
        message = _("%(name)s is referred to individual care.") % {"name": name}
    transaction.on_commit(partial(tell_candidate, screening.pk))
    told = _("They will get a kind note about next steps.")
    if not screening.client.email and screening.client.user_id is None:
        told = _("They have no email address or portal account: tell them yourself.")
    return ScreeningResult(screening, f"{message} {told}", entry=entry)


def tell_candidate(screening_id: int) -> None:
    """After commit: the in-app note (portal account) and the email task (an address).
    Neither says the decision's reason, the group or anything clinical."""
    from kindred.intake.screening_notices import notify_candidate
    from kindred.intake.screening_tasks import send_screening_outcome_email

    screening = Screening.objects.select_related("client__user").filter(pk=screening_id).first()
    if screening is None:
        return
    notify_candidate(screening)
    if screening.client.email:
        send_screening_outcome_email.enqueue(screening.pk)
