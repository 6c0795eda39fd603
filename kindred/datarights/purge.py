"""Destroying a closed member's record once its retention period has passed, and the
legal hold that stops it (issue 9, data rights; docs/data-rights.md "Destroying a
record").

Who decides: a practice admin (``MANAGE_PRACTICE``), never a schedule. Destroying a
clinical record cannot be undone, so Kindred lists what is due (``due``, the "Due for
destruction" page, ``manage.py purge_expired_records``) and an admin destroys each
record (``record_purge``) after confirming their password.

What goes, in one transaction (``PLAN`` below, in an order that satisfies the PROTECT
foreign keys): the client row and every row that hangs off that client in every app
(places, attendance, questionnaires and their answers, safety alerts, member notes and
their addenda, absence entries, psychotherapy notes, screenings, referrals, waitlist and
matching entries, agreement signatures, goals, journal, milestones, billing, break-glass
grants, downloads), the member's coping-strategy cards and marks, and the personal rows
of their portal account (e-mail addresses, authenticators, sessions, notifications,
calendar feeds, reminders, display names). The Client delete goes through Django's
collector, so a row of a model added later that PROTECTs the client stops the purge
(rolled back, nothing changed) instead of being left behind.

What stays: the audit log (append-only); the portal user row, switched off since
closure, with its name and e-mail replaced by a tombstone (audit rows, posts and
messages point to it); group-space posts and direct messages (kept as long as the
group's space, shown without a name: display names are removed even if closure kept
them); group notes (the member's own notes, absence entries and attendance go); revoked
API tokens; the library copies of the member's strategy cards (already stripped of
anything identifying; their link back to the original is cleared); the ClosureRequest
itself as a tombstone: ``purged_at``, ``purged_by`` and counts per table in
``outcome["purge"]``, its client link emptied and the member's note wiped.

Signed notes, addenda, absence entries, agreement signatures and posted charges are
immutable: the models refuse deletes and, on PostgreSQL, so do triggers. The purge
deletes them through the models' plain base managers, and on PostgreSQL sets the
transaction-local setting ``kindred.purge`` that the triggers accept for DELETE only
(datarights migration 0004); it is reset before the transaction ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import InvalidState, NotFound, ValidationFailed
from kindred.datarights.models import ClosureRequest, ClosureStatus
from kindred.practice import roles
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from kindred.accounts.models import User
    from kindred.clients.models import Client

HOLD_REASON_MAX = 500
#: What the portal user row keeps once the record is destroyed (the e-mail is unique,
#: so it carries the row's id; ``.invalid`` can never be delivered, RFC 2606).
TOMBSTONE_NAME = "Former member"
#: The PostgreSQL setting the immutability triggers accept for DELETE (migration 0004).
BYPASS_SETTING = "kindred.purge"


def tombstone_email(user_id: int) -> str:
    return f"former-member-{user_id}@purged.invalid"


# --- what is destroyed ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """Rows to delete: ``model`` (an app label) filtered by ``lookup`` on the client or
    the portal user."""

    model: str
    lookup: str
    on: str = "client"  # or "user"

    def queryset(self, client: Client, user: User | None) -> QuerySet[Any] | None:
        target = client if self.on == "client" else user
        if target is None:
            return None
        model = apps.get_model(self.model)
        # The base manager: a plain QuerySet, so the models' refusals of delete (signed
        # notes, signatures, posted charges) do not apply to this one deliberate purge.
        manager: models.Manager[Any] = model._base_manager
        return manager.filter(**{self.lookup: target})


#: In order: children before the rows they PROTECT.
PLAN: tuple[Step, ...] = (
    # Notes: addenda of the member's notes, then the notes; absence entries.
    Step("notes.Addendum", "member_note__client"),
    Step("notes.MemberNote", "client"),
    Step("notes.AbsenceEntry", "client"),
    Step("psychnotes.PsychotherapyNote", "client"),
    # Questionnaires: alerts PROTECT administrations; answers cascade with them.
    Step("measures.SafetyAlert", "client"),
    Step("measures.Administration", "client"),
    Step("measures.OutcomeSummary", "client"),
    # Sessions.
    Step("scheduling.Attendance", "client"),
    Step("scheduling.StateAttestation", "client"),
    Step("scheduling.AbsenceNotice", "client"),
    # Billing: charges go leaf first (``_delete_charges``); fee overrides PROTECT places.
    Step("billing.Charge", "client"),
    Step("billing.FeeOverride", "enrollment__client"),
    Step("billing.Payment", "client"),
    Step("billing.Diagnosis", "client"),
    # Matching and intake.
    Step("matching.ProposalLine", "client"),
    Step("intake.Screening", "client"),
    Step("intake.WaitlistEntry", "client"),
    Step("intake.Referral", "client"),
    Step("intake.PlacementExclusion", "client"),
    Step("intake.PlacementExclusion", "other"),
    Step("intake.PreparationRead", "client"),
    Step("intake.AgreementSignature", "client"),
    # Places in groups (after everything above that points to them).
    Step("groups.Enrollment", "client"),
    # Between sessions.
    Step("goals.Goal", "client"),
    Step("milestones.Milestone", "client"),
    Step("journal.JournalEntry", "client"),
    Step("strategies.StrategyMark", "user", on="user"),
    Step("strategies.Strategy", "author", on="user"),
    # Emergency access and downloads of this member's record.
    Step("breakglass.BreakGlassGrant", "client"),
    Step("datarights.SelfExport", "client"),
    # The portal account's personal rows (the user row itself stays, as a tombstone).
    Step("account.EmailAddress", "user", on="user"),
    Step("mfa.Authenticator", "user", on="user"),
    Step("usersessions.UserSession", "user", on="user"),
    Step("notifications.Notification", "user", on="user"),
    Step("notifications.NotificationPreference", "user", on="user"),
    Step("notifications.DigestSent", "user", on="user"),
    Step("scheduling.CalendarFeed", "user", on="user"),
    Step("scheduling.Reminder", "user", on="user"),
    Step("space.DisplayName", "user", on="user"),
    Step("space.ReadMarker", "user", on="user"),
)

#: Rows that point to the client and are kept on purpose (everything else that points to
#: it must be gone afterwards; the tests check this against the model registry).
KEPT_CLIENT_REFERENCES: frozenset[tuple[str, str]] = frozenset(
    {("audit.AuditEvent", "client"), ("datarights.ClosureRequest", "client")}
)


def _installed(label: str) -> bool:
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


@dataclass
class Tally:
    deleted: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)

    def add(self, result: tuple[int, dict[str, int]]) -> None:
        for label, count in result[1].items():
            if count:
                self.deleted[label] += count

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            "deleted": dict(sorted(self.deleted.items())),
            "changed": dict(sorted(self.changed.items())),
        }


def _delete_charges(client: Client, tally: Tally) -> None:
    """A correction PROTECTs the charge it corrects: delete the charges nothing corrects
    first, then again, until none is left (a chain is as long as its corrections)."""
    charge = apps.get_model("billing.Charge")
    mine = charge._base_manager.filter(client=client)
    for _round in range(1000):
        leaves = mine.filter(adjustments__isnull=True)
        result = leaves.delete()
        tally.add(result)
        if not result[0]:
            return


def _unlink_library_copies(user: User, tally: Tally) -> None:
    """Library copies of the member's cards stay (a facilitator stripped them of
    anything identifying); only their staff-only link back to the original goes."""
    strategy = apps.get_model("strategies.Strategy")
    copies = strategy._base_manager.filter(promoted_from__author=user)
    count = copies.update(promoted_from=None)
    if count:
        tally.changed["strategies.Strategy (library copy unlinked)"] += count


def _drop_duplicate_candidate(client_id: int, tally: Tally) -> None:
    """Other referrals may name this client as a possible duplicate (a list of ids)."""
    referral = apps.get_model("intake.Referral")
    rows = referral._base_manager.exclude(duplicate_candidates=[]).exclude(
        duplicate_candidates__isnull=True
    )
    if connection.features.supports_json_field_contains:
        rows = rows.filter(duplicate_candidates__contains=[client_id])
    for pk, candidates in rows.values_list("pk", "duplicate_candidates").iterator():
        if not isinstance(candidates, list) or client_id not in candidates:
            continue
        kept = [c for c in candidates if c != client_id]
        referral._base_manager.filter(pk=pk).update(duplicate_candidates=kept)
        tally.changed["intake.Referral (duplicate candidate removed)"] += 1


#: django-axes' sign-in records, kept by the e-mail typed (lower-cased): they name the
#: member, so they go with the record.
SIGN_IN_LOGS = ("axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog")


def _emails_of(user: User) -> set[str]:
    emails = {user.email.strip().lower()} if user.email else set()
    if _installed("account.EmailAddress"):
        address = apps.get_model("account.EmailAddress")
        emails |= {
            e.strip().lower()
            for e in address._base_manager.filter(user=user).values_list("email", flat=True)
        }
    return emails


def _drop_sign_in_logs(emails: set[str], tally: Tally) -> None:
    for label in SIGN_IN_LOGS:
        if emails and _installed(label):
            model = apps.get_model(label)
            tally.add(model._base_manager.filter(username__in=sorted(emails)).delete())


def _tombstone_user(user: User, tally: Tally) -> None:
    user.email = tombstone_email(user.pk)
    user.full_name = TOMBSTONE_NAME
    user.is_active = False
    user.deactivated_at = user.deactivated_at or timezone.now()
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "is_active", "deactivated_at", "password"])
    tally.changed["accounts.User (tombstone)"] += 1


def _set_bypass(value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [BYPASS_SETTING, value])


def _destroy(request: ClosureRequest, tally: Tally) -> None:
    """Every delete and change of a purge (inside the caller's transaction)."""
    from kindred.clients.models import Client

    if request.client_id is None:
        raise InvalidState(_("This record has already been destroyed."))
    client = Client._base_manager.get(pk=request.client_id)
    user: User | None = request.user
    emails = _emails_of(user) if user is not None else set()
    _set_bypass(str(request.pk))
    try:
        for step in PLAN:
            if not _installed(step.model):
                continue
            if step.model == "billing.Charge":
                _delete_charges(client, tally)
                continue
            if step.model == "strategies.Strategy" and user is not None:
                _unlink_library_copies(user, tally)
            qs = step.queryset(client, user)
            if qs is not None:
                tally.add(qs.delete())
        request.client = None
        request.save(update_fields=["client"])
        try:
            tally.add(Client._base_manager.filter(pk=client.pk).delete())
        except (ProtectedError, RestrictedError) as exc:
            left = sorted({o._meta.label for o in exc.args[1]}) if len(exc.args) > 1 else []
            raise InvalidState(
                _(
                    "The record could not be destroyed: rows of %(tables)s still point to "
                    "it. Nothing was changed. Kindred's purge needs updating for them."
                )
                % {"tables": ", ".join(left) or "another table"}
            ) from exc
        _drop_duplicate_candidate(client.pk, tally)
        _drop_sign_in_logs(emails, tally)
        if user is not None:
            _tombstone_user(user, tally)
    finally:
        _set_bypass("")


# --- reading ----------------------------------------------------------------------------


def today() -> date:
    return timezone.localdate()


def is_due(request: ClosureRequest, *, on: date | None = None) -> bool:
    """Closed, past its last day, not destroyed yet (held or not)."""
    day = on or today()
    return (
        request.status == ClosureStatus.CLOSED
        and request.purged_at is None
        and request.retain_until is not None
        and request.retain_until < day
    )


def due(actor: User, *, on: date | None = None) -> QuerySet[ClosureRequest]:
    """Requests whose record may be destroyed (held ones included, marked by
    ``held_at``), oldest first. One query whatever the number."""
    roles.require(actor, Capability.MANAGE_PRACTICE)
    return due_requests(on=on)


def due_requests(*, on: date | None = None) -> QuerySet[ClosureRequest]:
    day = on or today()
    return (
        ClosureRequest.objects.filter(
            status=ClosureStatus.CLOSED, purged_at__isnull=True, retain_until__lt=day
        )
        .select_related("client", "user", "held_by")
        .order_by("retain_until", "id")
    )


def get_closed_for(actor: User, request_id: object) -> ClosureRequest:
    """A closure request for the purge and hold pages (admins only)."""
    roles.require(actor, Capability.MANAGE_PRACTICE)
    try:
        pk = int(str(request_id))
    except ValueError as exc:
        raise NotFound(_("Not found.")) from exc
    found = (
        ClosureRequest.objects.select_related("client", "user", "held_by", "purged_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("Not found."))
    return found


def refusal(request: ClosureRequest, *, on: date | None = None) -> str | None:
    """Why this record may not be destroyed now, in plain words (None: it may)."""
    day = on or today()
    if request.status != ClosureStatus.CLOSED:
        return _("Only the record of a closed account can be destroyed; this request is %(s)s.") % {
            "s": request.get_status_display().lower()
        }
    if request.retain_until is None or request.retain_until >= day:
        until = request.retain_until
        return _("The record must be kept until %(until)s. It can be destroyed from %(next)s.") % {
            "until": until.isoformat() if until else "?",
            "next": (until + timedelta(days=1)).isoformat() if until else "?",
        }
    if request.held_at is not None:
        return _("The record is under a legal hold. Lift the hold before destroying it.")
    return None


class _DryRun(Exception):
    def __init__(self, tally: Tally) -> None:
        super().__init__("dry run")
        self.tally = tally


def purge_preview(request: ClosureRequest) -> dict[str, dict[str, int]]:
    """What ``record_purge`` would destroy and change, per table: the purge itself, run
    and rolled back (so the counts are exactly what a real purge does). No audit event."""
    if request.purged_at is not None or request.client_id is None:
        return Tally().as_dict()
    try:
        with transaction.atomic():
            _destroy_then_roll_back(request.pk)
    except _DryRun as done:
        return done.tally.as_dict()
    return Tally().as_dict()  # pragma: no cover (the dry run always raises)


def _destroy_then_roll_back(request_id: int) -> None:
    tally = Tally()
    _destroy(ClosureRequest.objects.select_related("user").get(pk=request_id), tally)
    raise _DryRun(tally)


# --- writing ----------------------------------------------------------------------------


def record_purge(
    *, actor: User, request_id: object, confirm: object = None, on: date | None = None
) -> ClosureRequest:
    """Destroy the record of a closed account whose retention period has passed.

    ``confirm`` must be the request's id typed back when given (the pages and the API
    ask for it; the command passes its own). Already destroyed: nothing happens and the
    request is returned as it is (safe to run twice). Refused (InvalidState, nothing
    changed): not closed, before the day after ``retain_until``, under a legal hold.
    """
    roles.require(actor, Capability.MANAGE_PRACTICE)
    found = get_closed_for(actor, request_id)
    if confirm is not None and str(confirm).strip() != str(found.pk):
        raise ValidationFailed(
            _("Type the request number, %(n)d, to confirm.") % {"n": found.pk}, field="confirm"
        )
    with transaction.atomic():
        request = ClosureRequest.objects.select_for_update().select_related("user").get(pk=found.pk)
        if request.purged_at is not None:
            return request
        why = refusal(request, on=on)
        if why is not None:
            raise InvalidState(why)
        client_id = request.client_id
        tally = Tally()
        _destroy(request, tally)
        summary = tally.as_dict()
        request.purged_at = timezone.now()
        request.purged_by = actor
        request.reason = ""
        request.outcome = {**(request.outcome or {}), "purge": summary}
        request.save(update_fields=["purged_at", "purged_by", "reason", "outcome"])
        audit_change(
            actor=actor,
            action="datarights.record.purged",
            obj=request,
            client_id=client_id,
            detail={
                **summary,
                "retain_until": request.retain_until.isoformat() if request.retain_until else "",
            },
        )
    return request


def _clean_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed(_("Give the reason for the hold."), field="reason")
    if "\x00" in reason:
        raise ValidationFailed(_("The reason has a character we can't store."), field="reason")
    if len(reason) > HOLD_REASON_MAX:
        raise ValidationFailed(
            _("Keep the reason to %(n)d characters.") % {"n": HOLD_REASON_MAX}, field="reason"
        )
    return reason


def record_hold(*, actor: User, request_id: object, reason: object) -> ClosureRequest:
    """Put a closed account's record on legal hold: it is never destroyed while held."""
    roles.require(actor, Capability.MANAGE_PRACTICE)
    found = get_closed_for(actor, request_id)
    text = _clean_reason(reason)
    with transaction.atomic():
        request = ClosureRequest.objects.select_for_update().get(pk=found.pk)
        if request.status != ClosureStatus.CLOSED:
            raise InvalidState(_("Only the record of a closed account can be put on hold."))
        if request.purged_at is not None:
            raise InvalidState(_("This record has already been destroyed."))
        if request.held_at is not None:
            raise InvalidState(_("This record is already on hold."))
        request.held_at = timezone.now()
        request.held_by = actor
        request.hold_reason = text
        request.save(update_fields=["held_at", "held_by", "hold_reason"])
        audit_change(
            actor=actor,
            action="datarights.record.held",
            obj=request,
            client_id=request.client_id,
            changed=["held_at", "held_by", "hold_reason"],
        )
    return request


def record_release(*, actor: User, request_id: object) -> ClosureRequest:
    """Lift a legal hold (the record becomes destroyable again once it is due)."""
    roles.require(actor, Capability.MANAGE_PRACTICE)
    found = get_closed_for(actor, request_id)
    with transaction.atomic():
        request = ClosureRequest.objects.select_for_update().get(pk=found.pk)
        if request.held_at is None:
            raise InvalidState(_("This record is not on hold."))
        held_since = request.held_at
        request.held_at = None
        request.held_by = None
        request.hold_reason = ""
        request.save(update_fields=["held_at", "held_by", "hold_reason"])
        audit_change(
            actor=actor,
            action="datarights.record.hold_lifted",
            obj=request,
            client_id=request.client_id,
            changed=["held_at", "held_by", "hold_reason"],
            detail={"held_since": held_since.isoformat()},
        )
    return request


#: For the command: the steps' models, to show what a purge touches.
def plan_models() -> list[str]:
    return [step.model for step in PLAN if _installed(step.model)]


Progress = Callable[[int], object]


@dataclass
class PurgeRun:
    """What ``purge_due`` did: destroyed, left alone (held), and refused or failed (each
    with its reason; their transactions rolled back)."""

    destroyed: list[ClosureRequest] = field(default_factory=list)
    held: list[ClosureRequest] = field(default_factory=list)
    failed: list[tuple[ClosureRequest, str]] = field(default_factory=list)


def purge_due(
    *, actor: User, batch: int = 20, on: date | None = None, progress: Progress | None = None
) -> PurgeRun:
    """Destroy every due record not on hold, ``batch`` requests fetched at a time, each
    in its own transaction (one that fails rolls back alone)."""
    roles.require(actor, Capability.MANAGE_PRACTICE)
    run = PurgeRun()
    seen: set[int] = set()
    while True:
        rows = list(due_requests(on=on).exclude(pk__in=seen)[:batch])
        if not rows:
            return run
        for row in rows:
            seen.add(row.pk)
            if row.held_at is not None:
                run.held.append(row)
            else:
                try:
                    run.destroyed.append(record_purge(actor=actor, request_id=row.pk, on=on))
                except InvalidState as exc:
                    run.failed.append((row, exc.message))
            if progress is not None:
                progress(1)


__all__ = [
    "KEPT_CLIENT_REFERENCES",
    "PLAN",
    "due",
    "purge_due",
    "purge_preview",
    "record_hold",
    "record_purge",
    "record_release",
]
