"""Session reminders: who gets which, when, and handing due ones to the task queue.

One ``Reminder`` row per session × person × channel × offset (the practice's
``reminder_minutes_before``, by default a day and an hour before). The unique
constraint on those four makes planning idempotent: planning twice adds nothing.

``manage.py send_due_reminders`` runs every minute and calls, in order:

1. ``reminders_reconcile`` — keep pending rows in step with their sessions: a
   cancelled session's reminders are skipped (and come back if the session is
   restored), a rescheduled session's are moved (``due_at`` follows ``starts_at``), and
   offsets the practice no longer uses are skipped.
2. ``reminders_plan`` — create the rows for sessions starting within the largest offset
   (plus a margin): members holding a place (in-app always; email if they want it; a
   text if they opted in, did not reply STOP and have a phone), and the facilitators
   when ``KINDRED_REMINDERS_FOR_FACILITATORS`` is on (in-app and email).
3. ``reminders_reap`` — rows a worker claimed more than ``CLAIM_TIMEOUT`` ago and never
   finished (the worker died): see "Exactly once" below.
4. ``reminders_enqueue_due`` — one task (``scheduling.tasks.send_reminders``) per
   batch of due reminder ids on the "default" queue.

Exactly once (docs/architecture.md, "Reminders"): the task claims each row with a
conditional UPDATE (pending → sending) and only the claimer sends. In-app reminders are
claimed, written and marked sent in one transaction, so a crash leaves nothing half
done. Email and text messages leave the database, so the claim is committed before
sending and the row marked sent after; a worker that dies in between leaves a
"sending" row, which the reaper resolves without ever sending twice: in-app → back to
pending (the notification's dedupe key makes a repeat harmless); text → asks the
provider whether it went, and retries only when it says no; email → marked failed as
"interrupted" (SMTP cannot tell, so at most once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kindred.clients.models import ClientStatus
from kindred.groups.models import LIVE_STATUSES, SEAT_STATUSES, Enrollment
from kindred.practice.models import Practice, default_reminder_offsets
from kindred.scheduling.models import (
    GroupSession,
    Reminder,
    ReminderChannel,
    ReminderStatus,
    SessionStatus,
)
from kindred.scheduling.sms import normalise_phone, sms_enabled

#: Planning looks this much beyond the largest offset, so a row exists before it is due.
PLAN_MARGIN = timedelta(hours=1)
#: A claim older than this, never finished, belongs to a worker that died.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: Reminder ids per task.
BATCH_SIZE = 100
#: At most this many due reminders are queued per run (the next run queues the rest).
MAX_ENQUEUE = 50_000
#: Failed attempts (provider errors) before a reminder is given up as failed.
MAX_ATTEMPTS = 5
_INSERT_BATCH = 2000

# Why a reminder was skipped or failed, kept in ``last_error`` (codes, never content).
SKIP_CANCELLED = "skipped: session cancelled"
SKIP_OFFSET_REMOVED = "skipped: the practice no longer sends this reminder"
SKIP_TOO_LATE = "skipped: the session had started"
SKIP_SUPERSEDED = "skipped: a later reminder was due at the same time"
SKIP_NO_PLACE = "skipped: no longer in the group"
SKIP_INACTIVE = "skipped: account deactivated"
SKIP_CHANNEL_OFF = "skipped: this kind of reminder is turned off"
SKIP_NO_ADDRESS = "skipped: no address to send to"
FAILED_INTERRUPTED = "interrupted: the worker stopped while sending; not sent again"
#: Skips undone when the reason goes away (the plan wants the row again).
REVIVABLE = (SKIP_NO_PLACE, SKIP_INACTIVE, SKIP_CHANNEL_OFF, SKIP_NO_ADDRESS)


def reminder_offsets() -> list[int]:
    """The practice's reminder offsets in minutes, largest first."""
    stored = Practice.objects.filter(pk=1).values_list("reminder_minutes_before", flat=True).first()
    values = stored if isinstance(stored, list) else default_reminder_offsets()
    return sorted({int(v) for v in values}, reverse=True)


# --- Who gets what -------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int
    channels: tuple[str, ...]


def member_channels(
    *,
    email: str,
    email_reminders: bool,
    sms_reminders: bool,
    sms_opted_out_at: datetime | None,
    phone: str,
) -> tuple[str, ...]:
    """The channels a member's preferences allow (in-app always)."""
    channels: list[str] = [ReminderChannel.IN_APP]
    if email_reminders and email:
        channels.append(ReminderChannel.EMAIL)
    if sms_reminders and sms_opted_out_at is None and normalise_phone(phone) and sms_enabled():
        channels.append(ReminderChannel.SMS)
    return tuple(channels)


def _member_recipients(group_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Members holding a place, with a portal account, by group. One query."""
    rows = Enrollment.objects.filter(
        group_id__in=list(group_ids),
        status__in=SEAT_STATUSES,
        client__status=ClientStatus.ACTIVE,
        client__user__isnull=False,
        client__user__is_active=True,
    ).values_list(
        "group_id",
        "client__user_id",
        "client__user__email",
        "client__email_reminders",
        "client__sms_reminders",
        "client__sms_opted_out_at",
        "client__phone",
    )
    by_group: dict[int, list[Recipient]] = defaultdict(list)
    for group_id, user_id, email, email_on, sms_on, opted_out, phone in rows:
        channels = member_channels(
            email=email,
            email_reminders=email_on,
            sms_reminders=sms_on,
            sms_opted_out_at=opted_out,
            phone=phone,
        )
        by_group[group_id].append(Recipient(user_id, channels))
    return by_group


def facilitator_users(sessions: Sequence[Mapping[str, Any]]) -> dict[int, dict[int, str]]:
    """Per session id: {user id: email} of the people running it (the substitute
    replaces the lead; co-facilitators too). Two queries."""
    from kindred.groups.models import TherapyGroup
    from kindred.practice.models import ClinicianProfile

    group_ids = {s["group_id"] for s in sessions}
    co: dict[int, set[int]] = defaultdict(set)
    for group_id, clinician_id in TherapyGroup.co_facilitators.through.objects.filter(
        therapygroup_id__in=group_ids
    ).values_list("therapygroup_id", "clinicianprofile_id"):
        co[group_id].add(clinician_id)
    wanted_clinicians: set[int] = set()
    for s in sessions:
        wanted_clinicians.add(s["substitute_facilitator_id"] or s["group__lead_facilitator_id"])
        wanted_clinicians |= co[s["group_id"]]
    users = {
        clinician_id: (user_id, email)
        for clinician_id, user_id, email in ClinicianProfile.objects.filter(
            pk__in=wanted_clinicians, user__is_active=True
        ).values_list("pk", "user_id", "user__email")
    }
    out: dict[int, dict[int, str]] = {}
    for s in sessions:
        lead = s["substitute_facilitator_id"] or s["group__lead_facilitator_id"]
        people = {lead, *co[s["group_id"]]}
        out[s["id"]] = {users[c][0]: users[c][1] for c in people if c in users}
    return out


# --- Planning -------------------------------------------------------------------------


@dataclass
class PlanResult:
    sessions: int = 0
    created: int = 0
    revived: int = 0


def reminders_plan(
    *,
    now: datetime | None = None,
    days: float | None = None,
    include_facilitators: bool | None = None,
) -> PlanResult:
    """Create the missing reminders of scheduled sessions starting within ``days``
    (default: the largest offset plus ``PLAN_MARGIN``). Idempotent: rows that exist are
    left alone (``bulk_create(ignore_conflicts=True)`` also covers a concurrent run);
    a row skipped for a reason that has gone (say, email turned back on) is revived
    while it is still ahead."""
    now = now or timezone.now()
    offsets = reminder_offsets()
    result = PlanResult()
    if not offsets:
        return result
    horizon = (
        timedelta(days=days) if days is not None else timedelta(minutes=max(offsets)) + PLAN_MARGIN
    )
    if include_facilitators is None:
        include_facilitators = bool(settings.KINDRED_REMINDERS_FOR_FACILITATORS)
    sessions = list(
        GroupSession.objects.filter(
            status=SessionStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + horizon,
            group__status__in=LIVE_STATUSES,
        )
        .order_by("starts_at", "id")
        .values(
            "id", "group_id", "starts_at", "substitute_facilitator_id", "group__lead_facilitator_id"
        )
    )
    result.sessions = len(sessions)
    if not sessions:
        return result
    members = _member_recipients({s["group_id"] for s in sessions})
    staff = facilitator_users(sessions) if include_facilitators else {}
    wanted: dict[tuple[int, int, str, int], datetime] = {}
    for s in sessions:
        recipients = list(members.get(s["group_id"], []))
        recipients += [
            Recipient(user_id, _staff_channels(email))
            for user_id, email in staff.get(s["id"], {}).items()
        ]
        for person in recipients:
            for channel in person.channels:
                for minutes in offsets:
                    key = (s["id"], person.user_id, channel, minutes)
                    wanted[key] = s["starts_at"] - timedelta(minutes=minutes)
    existing: dict[tuple[int, int, str, int], tuple[int, str, str]] = {}
    session_ids = [s["id"] for s in sessions]
    for start in range(0, len(session_ids), _INSERT_BATCH):
        for pk, session_id, user_id, channel, minutes, status, error in Reminder.objects.filter(
            session_id__in=session_ids[start : start + _INSERT_BATCH]
        ).values_list(
            "pk", "session_id", "user_id", "channel", "minutes_before", "status", "last_error"
        ):
            existing[(session_id, user_id, channel, minutes)] = (pk, status, error)
    new = [
        Reminder(
            session_id=key[0],
            user_id=key[1],
            channel=key[2],
            minutes_before=key[3],
            due_at=due,
        )
        for key, due in wanted.items()
        if key not in existing
    ]
    revive = [
        row[0]
        for key, row in existing.items()
        if key in wanted and row[1] == ReminderStatus.SKIPPED and row[2] in REVIVABLE
    ]
    with transaction.atomic():
        for start in range(0, len(new), _INSERT_BATCH):
            Reminder.objects.bulk_create(new[start : start + _INSERT_BATCH], ignore_conflicts=True)
        if revive:
            result.revived = Reminder.objects.filter(
                pk__in=revive, status=ReminderStatus.SKIPPED, session__starts_at__gt=now
            ).update(status=ReminderStatus.PENDING, last_error="")
    result.created = len(new)
    return result


def _staff_channels(email: str) -> tuple[str, ...]:
    if email:
        return (ReminderChannel.IN_APP, ReminderChannel.EMAIL)
    return (ReminderChannel.IN_APP,)


# --- Keeping rows in step with their sessions -------------------------------------------


@dataclass
class ReconcileResult:
    skipped: int = 0
    restored: int = 0
    moved: int = 0


def reminders_reconcile(*, now: datetime | None = None) -> ReconcileResult:
    """Pending reminders follow their sessions: cancelled → skipped, restored → pending
    again, rescheduled → ``due_at`` moved, offsets no longer used → skipped."""
    now = now or timezone.now()
    result = ReconcileResult()
    pending = Reminder.objects.filter(status=ReminderStatus.PENDING)
    with transaction.atomic():
        result.skipped += pending.filter(session__status=SessionStatus.CANCELLED).update(
            status=ReminderStatus.SKIPPED, last_error=SKIP_CANCELLED
        )
        result.restored = Reminder.objects.filter(
            status=ReminderStatus.SKIPPED,
            last_error=SKIP_CANCELLED,
            session__status=SessionStatus.SCHEDULED,
            session__starts_at__gt=now,
        ).update(status=ReminderStatus.PENDING, last_error="")
        offsets = reminder_offsets()
        result.skipped += pending.exclude(minutes_before__in=offsets).update(
            status=ReminderStatus.SKIPPED, last_error=SKIP_OFFSET_REMOVED
        )
        for minutes in offsets:
            gap = timedelta(minutes=minutes)
            moved = list(
                pending.filter(minutes_before=minutes)
                .exclude(due_at=F("session__starts_at") - gap)
                .values_list("pk", "session__starts_at")
            )
            rows = [Reminder(pk=pk, due_at=starts_at - gap) for pk, starts_at in moved]
            Reminder.objects.bulk_update(rows, ["due_at"], batch_size=_INSERT_BATCH)
            result.moved += len(rows)
    return result


# --- Workers that died ----------------------------------------------------------------


@dataclass
class ReapResult:
    retried: int = 0
    sent: int = 0
    failed: int = 0
    details: list[str] = field(default_factory=list)


def reminders_reap(*, now: datetime | None = None) -> ReapResult:
    """Resolve "sending" rows claimed more than ``CLAIM_TIMEOUT`` ago (their worker
    died between claiming and recording the outcome), never sending anything twice."""
    from kindred.scheduling import reminder_sending

    now = now or timezone.now()
    result = ReapResult()
    stale = Reminder.objects.filter(
        status=ReminderStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    # In-app: writing the notification is idempotent (its dedupe key), so try again.
    result.retried += stale.filter(channel=ReminderChannel.IN_APP).update(
        status=ReminderStatus.PENDING, claimed_at=None
    )
    for reminder in reminder_sending.load(stale.filter(channel=ReminderChannel.SMS)):
        outcome = reminder_sending.sms_outcome_after_crash(reminder)
        if outcome is True:
            result.sent += _finish(reminder, ReminderStatus.SENT, sent_at=reminder.claimed_at)
        elif outcome is False:
            result.retried += _finish(reminder, ReminderStatus.PENDING)
        else:
            result.failed += _finish(reminder, ReminderStatus.FAILED, error=FAILED_INTERRUPTED)
    # Email: SMTP cannot say whether a message went, so never again (at most once).
    result.failed += stale.filter(channel=ReminderChannel.EMAIL).update(
        status=ReminderStatus.FAILED, last_error=FAILED_INTERRUPTED
    )
    return result


def _finish(
    reminder: Reminder, status: str, *, error: str = "", sent_at: datetime | None = None
) -> int:
    changes: dict[str, Any] = {"status": status, "last_error": error}
    if status == ReminderStatus.PENDING:
        changes["claimed_at"] = None
    if sent_at is not None:
        changes["sent_at"] = sent_at
    return Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(**changes)


# --- Queueing due reminders -----------------------------------------------------------


def due_reminder_ids(*, now: datetime | None = None, limit: int = MAX_ENQUEUE) -> list[int]:
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(status=ReminderStatus.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def reminders_enqueue_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Queue one ``send_reminders`` task per batch of due reminders. Returns how many
    reminders were queued. Queueing the same id twice is harmless: only the task that
    claims a row sends it."""
    from kindred.scheduling.tasks import send_reminders

    ids = due_reminder_ids(now=now)
    for start in range(0, len(ids), batch_size):
        send_reminders.enqueue(ids[start : start + batch_size])
    return len(ids)


@dataclass
class RunResult:
    reconciled: ReconcileResult
    planned: PlanResult
    reaped: ReapResult
    queued: int


def reminders_run(
    *, now: datetime | None = None, plan: bool = True, plan_days: float | None = None
) -> RunResult:
    """Everything ``send_due_reminders`` does, in order."""
    now = now or timezone.now()
    reconciled = reminders_reconcile(now=now)
    planned = reminders_plan(now=now, days=plan_days) if plan else PlanResult()
    reaped = reminders_reap(now=now)
    queued = reminders_enqueue_due(now=now)
    return RunResult(reconciled=reconciled, planned=planned, reaped=reaped, queued=queued)
