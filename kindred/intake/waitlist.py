"""Writes for the waitlist: entries, their status, the contact log and "do not place
with" exclusions.

Each function is atomic, checks the actor's capability (``MANAGE_CLIENTS``; ``actor``
None means the system acting for a visitor's self-referral or a command), validates the
whole input (reporting every bad field at once, saving nothing) and writes its audit
event in the same transaction. Notes and reasons may be clinical: they are stored with
the entry and never copied into the audit log, which records field names only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, InvalidState, ValidationFailed, full_clean_or_fail
from kindred.intake.models import (
    OPEN_WAITLIST_STATUSES,
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    ExclusionReason,
    PlacementExclusion,
    Referral,
    Urgency,
    WaitlistEntry,
    WaitlistStatus,
    WaitlistStatusChange,
)
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.groups.models import TherapyGroup

#: Statuses that end an entry (``closed_at`` is set); the others are open.
CLOSED_STATUSES = frozenset(
    {
        WaitlistStatus.PLACED,
        WaitlistStatus.UNREACHABLE,
        WaitlistStatus.WITHDRAWN,
        WaitlistStatus.REFERRED_ELSEWHERE,
    }
)
#: Ending an entry without a place needs the reason, for whoever picks the person up later.
REASON_REQUIRED = frozenset(
    {WaitlistStatus.UNREACHABLE, WaitlistStatus.WITHDRAWN, WaitlistStatus.REFERRED_ELSEWHERE}
)
#: What a coordinator sets by hand (screening and admission set the others).
COORDINATOR_STATUSES = (
    WaitlistStatus.WAITING,
    WaitlistStatus.CONTACTED,
    WaitlistStatus.UNREACHABLE,
    WaitlistStatus.WITHDRAWN,
    WaitlistStatus.REFERRED_ELSEWHERE,
)
URGENCY_RANK = {Urgency.ROUTINE: 0, Urgency.SOON: 1, Urgency.URGENT: 2}
REASON_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 1000
EXCLUSION_NOTE_MAX_LENGTH = 500
#: A contact attempt logged a little ahead of the server's clock is a clock difference.
CLOCK_TOLERANCE = timedelta(minutes=5)
_OPEN = frozenset(str(s) for s in OPEN_WAITLIST_STATUSES)


def _require(actor: User | None) -> None:
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_CLIENTS)


def is_open(status: str) -> bool:
    return status in _OPEN


# --- Entries ---------------------------------------------------------------------------


def waitlist_add(
    *,
    actor: User | None,
    client: Client,
    group: TherapyGroup | None = None,
    urgency: str = Urgency.ROUTINE,
    referral: Referral | None = None,
    flagged_out_of_state: bool = False,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put ``client`` on the waitlist for ``group`` (None: any suitable group).

    A client has at most one open entry per group (and one for "any group"): when that
    entry exists it is kept — the person keeps their place in the queue — and takes the
    more urgent of the two urgencies, the out-of-state flag and, if it had none, the
    referral. Returns the entry (new or kept).
    """
    _require(actor)
    now = now or timezone.now()
    if urgency not in Urgency.values:
        raise ValidationFailed(_("Choose how urgent it is."), field="urgency")
    with transaction.atomic():
        same = WaitlistEntry.objects.select_for_update().filter(
            client=client, status__in=list(_OPEN)
        )
        same = same.filter(group=group) if group is not None else same.filter(group__isnull=True)
        entry = same.first()
        if entry is None:
            entry = WaitlistEntry(
                client=client,
                referral=referral,
                group=group,
                urgency=urgency,
                added_at=now,
                flagged_out_of_state=flagged_out_of_state,
            )
            full_clean_or_fail(entry, exclude=["client", "referral", "group"])
            try:
                with transaction.atomic():
                    entry.save()
            except IntegrityError as exc:  # the same entry made at the same moment
                raise Conflict(_("This person is already on the waitlist for this.")) from exc
            audit_change(
                actor=actor,
                action="intake.waitlist_entry.created",
                obj=entry,
                client_id=client.pk,
                detail={"group": group.pk if group is not None else None},
            )
            return entry
        changed = []
        if URGENCY_RANK[Urgency(urgency)] > URGENCY_RANK[Urgency(entry.urgency)]:
            entry.urgency = urgency
            changed.append("urgency")
        if flagged_out_of_state and not entry.flagged_out_of_state:
            entry.flagged_out_of_state = True
            changed.append("flagged_out_of_state")
        if referral is not None and entry.referral_id is None:
            entry.referral = referral
            changed.append("referral")
        if changed:
            entry.save(update_fields=[*changed, "updated_at"])
            audit_change(
                actor=actor,
                action="intake.waitlist_entry.updated",
                obj=entry,
                client_id=client.pk,
                changed=changed,
            )
    return entry


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(
            _("Say why, in a few words: whoever picks this up later will need to know."),
            field="reason",
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            _("Use at most %(n)d characters.") % {"n": REASON_MAX_LENGTH}, field="reason"
        )
    return reason


def waitlist_set_status(
    *,
    actor: User | None,
    entry: WaitlistEntry,
    status: str,
    reason: str = "",
    revisit_on: date | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Move an entry to ``status``, keeping the change and its reason in the entry's
    history. Unreachable, withdrawn and referred elsewhere need a reason; those and
    "placed" close the entry (``closed_at``); moving a closed entry back to an open
    status reopens it, unless the person has another open entry for the same group."""
    _require(actor)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if status not in WaitlistStatus.values:
        errors["status"] = [_("Choose a status.")]
    try:
        reason = _clean_reason(reason, required=status in REASON_REQUIRED)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if revisit_on is not None and revisit_on < timezone.localdate(now):
        errors["revisit_on"] = [_("Choose a date from today on.")]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status == status:
            raise ValidationFailed(
                _("The entry is already “%(status)s”.") % {"status": locked.get_status_display()},
                field="status",
            )
        _transition(
            actor=actor, entry=locked, status=status, reason=reason, revisit_on=revisit_on, now=now
        )
    for field in ("status", "status_reason", "revisit_on", "closed_at", "updated_at"):
        setattr(entry, field, getattr(locked, field))
    return entry


def _transition(
    *,
    actor: User | None,
    entry: WaitlistEntry,
    status: str,
    reason: str,
    revisit_on: date | None,
    now: datetime,
) -> None:
    """Change the status of a locked entry (inside the caller's transaction)."""
    before = entry.status
    entry.status = status
    entry.status_reason = reason
    entry.revisit_on = revisit_on
    if status in CLOSED_STATUSES:
        entry.closed_at = entry.closed_at if before in CLOSED_STATUSES else now
    else:
        entry.closed_at = None
    try:
        with transaction.atomic():
            entry.save(
                update_fields=["status", "status_reason", "revisit_on", "closed_at", "updated_at"]
            )
    except IntegrityError as exc:  # reopening beside another open entry
        entry.status = before
        raise Conflict(
            _(
                "This person already has another open waitlist entry for the same group. "
                "Work with that one instead."
            )
        ) from exc
    WaitlistStatusChange.objects.create(
        entry=entry,
        from_status=before,
        status=status,
        reason=reason,
        changed_by=actor if actor is not None and actor.is_authenticated else None,
        changed_at=now,
    )
    audit_change(
        actor=actor,
        action="intake.waitlist_entry.status_changed",
        obj=entry,
        client_id=entry.client_id,
        detail={"from": before, "to": status},
        changed=["status", *(["status_reason"] if reason else [])],
    )


# --- Contact log -------------------------------------------------------------------------


def contact_attempt_add(
    *,
    actor: User,
    entry: WaitlistEntry,
    at: datetime,
    method: str,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> ContactAttempt:
    """Log an attempt to reach the person. Reaching someone who was waiting marks the
    entry "contacted". The note is kept exactly as typed."""
    _require(actor)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(at):
        errors["at"] = [_("Give the date and the time.")]
    elif at > now + CLOCK_TOLERANCE:
        errors["at"] = [_("This time is in the future. Log attempts once they are made.")]
    if method not in ContactMethod.values:
        errors["method"] = [_("Choose how you tried to reach them.")]
    if outcome not in ContactOutcome.values:
        errors["outcome"] = [_("Choose what happened.")]
    note = note or ""
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [_("Use at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]
    if errors:
        raise ValidationFailed(errors=errors)
    attempt = ContactAttempt(
        entry=entry, at=at, method=method, outcome=outcome, note=note, by=actor
    )
    full_clean_or_fail(attempt, exclude=["entry", "by"])
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        attempt.save()
        audit_change(
            actor=actor,
            action="intake.contact_attempt.added",
            obj=attempt,
            client_id=locked.client_id,
            detail={"method": method, "outcome": outcome},
        )
        if outcome == ContactOutcome.REACHED and locked.status == WaitlistStatus.WAITING:
            _transition(
                actor=actor,
                entry=locked,
                status=WaitlistStatus.CONTACTED,
                reason="",
                revisit_on=None,
                now=now,
            )
            entry.status, entry.closed_at = locked.status, locked.closed_at
    return attempt


# --- "Do not place with" -----------------------------------------------------------------


def exclusion_add(
    *, actor: User, client: Client, other: Client | None, reason: str, note: str = ""
) -> PlacementExclusion:
    """Record that ``client`` and ``other`` must never be placed in the same group.
    Symmetric: stored once, with the lower client id first."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    if other is None:
        errors["other"] = [_("Find and choose the person they should not be placed with.")]
    elif other.pk == client.pk:
        errors["other"] = [_("Choose someone else: this is the same person.")]
    if reason not in ExclusionReason.values:
        errors["reason"] = [_("Choose a reason.")]
    note = note or ""
    if len(note) > EXCLUSION_NOTE_MAX_LENGTH:
        errors["note"] = [_("Use at most %(n)d characters.") % {"n": EXCLUSION_NOTE_MAX_LENGTH}]
    if errors or other is None:
        raise ValidationFailed(errors=errors)
    first, second = (client, other) if client.pk < other.pk else (other, client)
    exclusion = PlacementExclusion(
        client=first, other=second, reason=reason, note=note, created_by=actor
    )
    already = _("These two are already kept apart.")
    if PlacementExclusion.objects.filter(client=first, other=second).exists():
        raise ValidationFailed(already, field="other")
    try:
        with transaction.atomic():
            exclusion.save()
            for person, partner in ((first, second), (second, first)):
                audit_change(
                    actor=actor,
                    action="intake.placement_exclusion.added",
                    obj=exclusion,
                    client_id=person.pk,
                    detail={"other_client": partner.pk},
                    changed=["reason", *(["note"] if note else [])],
                )
    except IntegrityError as exc:  # the same pair recorded at the same moment
        raise ValidationFailed(already, field="other") from exc
    return exclusion


def exclusion_remove(*, actor: User, exclusion: PlacementExclusion) -> None:
    _require(actor)
    if exclusion.pk is None:
        raise InvalidState(_("This exclusion was already removed."))
    with transaction.atomic():
        for person, partner in (
            (exclusion.client_id, exclusion.other_id),
            (exclusion.other_id, exclusion.client_id),
        ):
            audit_change(
                actor=actor,
                action="intake.placement_exclusion.removed",
                obj=exclusion,
                client_id=person,
                detail={"other_client": partner},
            )
        exclusion.delete()
