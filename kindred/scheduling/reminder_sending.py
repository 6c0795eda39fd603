"""Sending a batch of due reminders: the body of the ``send_reminders`` task.

Each row is checked against the current state (the session may have been cancelled or
moved, the member may have left the group or turned a channel off), then claimed with a
conditional UPDATE so that only one worker ever sends it (reminders.py explains the
exactly-once design). Words are never clinical: a group's name, a day and time, and
where to sign in — never a video link or anyone else's name.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from kindred.groups.models import SEAT_STATUSES, Enrollment
from kindred.notifications.services import NewNotification, notify_many
from kindred.practice.settings import practice_settings
from kindred.scheduling import reminders
from kindred.scheduling.models import Reminder, ReminderChannel, ReminderStatus, SessionStatus
from kindred.scheduling.recurrence import zone
from kindred.scheduling.sms import (
    SmsError,
    SmsProvider,
    get_sms_provider,
    normalise_phone,
    sms_enabled,
)
from kindred.scheduling.sms.http_provider import MaybeSentError

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

#: Longest group name kept whole in a text message (the rest is cut with "…").
SMS_GROUP_NAME_MAX = 40
NOTIFICATION_KIND = "session_reminder"


@dataclass
class SendResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retry: int = 0
    not_due: int = 0
    # Claimed by another worker, or already done.
    taken: int = 0
    # The provider may have accepted it; left for the reaper to find out.
    unknown: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def load(queryset: QuerySet[Reminder]) -> list[Reminder]:
    """Rows with everything sending needs (one query)."""
    return list(queryset.select_related("session__group", "user", "user__client"))


def client_of(user: User) -> Client | None:
    try:
        return user.client
    except ObjectDoesNotExist:
        return None


# --- What the reminder says -----------------------------------------------------------


def _zone_name(reminder: Reminder, client: Client | None) -> str:
    return client.timezone if client is not None else reminder.session.group.timezone


def when_long(starts_at: datetime, tz_name: str) -> str:
    """ "Tuesday, March 3 at 6:00 PM CST" in ``tz_name``."""
    local = starts_at.astimezone(zone(tz_name))
    return _("%(day)s at %(time)s %(zone)s") % {
        "day": date_format(local, "l, F j"),
        "time": time_format(local, "TIME_FORMAT"),
        "zone": local.tzname(),
    }


def when_short(starts_at: datetime, tz_name: str) -> str:
    """ "Tue, Mar 3, 6:00 PM CST" in ``tz_name``."""
    local = starts_at.astimezone(zone(tz_name))
    return _("%(day)s, %(time)s %(zone)s") % {
        "day": date_format(local, "D, M j"),
        "time": time_format(local, "TIME_FORMAT"),
        "zone": local.tzname(),
    }


def _short_name(name: str) -> str:
    return name if len(name) <= SMS_GROUP_NAME_MAX else name[: SMS_GROUP_NAME_MAX - 1] + "…"


def sms_body(reminder: Reminder, client: Client | None) -> str:
    return _("%(practice)s: %(group)s meets %(when)s. Reply STOP to stop texts.") % {
        "practice": practice_settings().name,
        "group": _short_name(reminder.session.group.name),
        "when": when_short(reminder.session.starts_at, _zone_name(reminder, client)),
    }


def email_message(reminder: Reminder, client: Client | None) -> EmailMessage:
    group = reminder.session.group.name
    when = when_long(reminder.session.starts_at, _zone_name(reminder, client))
    practice = practice_settings().name
    sign_in = f"{settings.SITE_URL.rstrip('/')}{reverse('account_login')}"
    lines = [
        _("%(group)s meets %(when)s. Sign in to Kindred for details.")
        % {"group": group, "when": when},
        "",
        sign_in,
        "",
        f"— {practice}",
        "",
        _(
            "You get this reminder because you have a place in this group. To change "
            "how you get reminders, sign in and open “Your account”."
        )
        if client is not None
        else _("You get this reminder because you run this group."),
    ]
    return EmailMessage(
        subject=" ".join(
            (_("Reminder: %(group)s, %(when)s") % {"group": group, "when": when}).split()
        ),
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _in_app(reminder: Reminder, client: Client | None) -> NewNotification:
    when = when_long(reminder.session.starts_at, _zone_name(reminder, client))
    return NewNotification(
        user_id=reminder.user_id,
        kind=NOTIFICATION_KIND,
        title=_("Reminder: %(group)s meets %(when)s")
        % {"group": reminder.session.group.name, "when": when},
        url=reverse("web:member_sessions") if client is not None else reverse("web:home"),
        dedupe_key=f"reminder:{reminder.pk}",
    )


# --- Checks against the current state -------------------------------------------------


class _Batch:
    """What a batch's checks need, read once: places held, sibling reminders and the
    sessions' facilitators."""

    def __init__(self, rows: list[Reminder], now: datetime):
        self.now = now
        user_ids = {r.user_id for r in rows}
        group_ids = {r.session.group_id for r in rows}
        self.seats = set(
            Enrollment.objects.filter(
                group_id__in=group_ids, status__in=SEAT_STATUSES, client__user_id__in=user_ids
            ).values_list("group_id", "client__user_id")
        )
        self.siblings: dict[tuple[int, int, str], list[tuple[int, str]]] = defaultdict(list)
        for session_id, user_id, channel, minutes, status in Reminder.objects.filter(
            session_id__in={r.session_id for r in rows}, user_id__in=user_ids
        ).values_list("session_id", "user_id", "channel", "minutes_before", "status"):
            self.siblings[(session_id, user_id, channel)].append((minutes, status))
        staff_sessions = [r.session for r in rows if client_of(r.user) is None]
        self.facilitators: dict[int, set[int]] = {}
        if staff_sessions:
            found = reminders.facilitator_users(
                [
                    {
                        "id": s.pk,
                        "group_id": s.group_id,
                        "substitute_facilitator_id": s.substitute_facilitator_id,
                        "group__lead_facilitator_id": s.group.lead_facilitator_id,
                    }
                    for s in {s.pk: s for s in staff_sessions}.values()
                ]
            )
            self.facilitators = {k: set(v) for k, v in found.items()}
        self._sms: SmsProvider | None = None
        self._mail: BaseEmailBackend | None = None
        # An email or text that went out and is not yet recorded as sent: (id, when).
        self.went_out: tuple[int, datetime] | None = None

    def record_sent(self) -> None:
        """Mark the last email or text sent (inside the caller's transaction, if any)."""
        if self.went_out is not None:
            pk, when = self.went_out
            Reminder.objects.filter(pk=pk, status=ReminderStatus.SENDING).update(
                status=ReminderStatus.SENT, sent_at=when, last_error=""
            )
            self.went_out = None

    @property
    def mail(self) -> BaseEmailBackend:
        """One connection to the mail server for the whole batch (opened on first use;
        an SMTP server is not dialled again for every message)."""
        if self._mail is None:
            self._mail = mailers.default
            self._mail.open()
        return self._mail

    def close_mail(self) -> None:
        if self._mail is not None:
            mail, self._mail = self._mail, None
            mail.close()

    @property
    def sms(self) -> SmsProvider:
        if self._sms is None:
            self._sms = get_sms_provider()
        return self._sms

    def superseded(self, reminder: Reminder) -> bool:
        """A reminder closer to the session is due too: send only that one."""
        starts = reminder.session.starts_at
        return any(
            minutes < reminder.minutes_before
            and status in (ReminderStatus.PENDING, ReminderStatus.SENDING, ReminderStatus.SENT)
            and starts - timedelta(minutes=minutes) <= self.now
            for minutes, status in self.siblings[
                (reminder.session_id, reminder.user_id, reminder.channel)
            ]
        )


def _why_not(  # noqa: PLR0911 - one answer per reason
    reminder: Reminder, client: Client | None, batch: _Batch
) -> str | None:
    """Why this reminder should not go out now (a skip reason), or None."""
    session = reminder.session
    user = reminder.user
    if batch.now >= session.starts_at:
        return reminders.SKIP_TOO_LATE
    if batch.superseded(reminder):
        return reminders.SKIP_SUPERSEDED
    if not user.is_active:
        return reminders.SKIP_INACTIVE
    if client is not None:
        if (session.group_id, user.pk) not in batch.seats:
            return reminders.SKIP_NO_PLACE
    elif user.pk not in batch.facilitators.get(session.pk, set()):
        return reminders.SKIP_NO_PLACE
    if reminder.channel == ReminderChannel.EMAIL:
        if client is not None and not client.email_reminders:
            return reminders.SKIP_CHANNEL_OFF
        if not user.email:
            return reminders.SKIP_NO_ADDRESS
    if reminder.channel == ReminderChannel.SMS:
        if (
            client is None
            or not client.sms_reminders
            or client.sms_opted_out_at is not None
            or not sms_enabled()
        ):
            return reminders.SKIP_CHANNEL_OFF
        if not normalise_phone(client.phone):
            return reminders.SKIP_NO_ADDRESS
    return None


def _set(reminder: Reminder, *, status: str, from_status: str, **changes: object) -> int:
    return Reminder.objects.filter(pk=reminder.pk, status=from_status).update(
        status=status, **changes
    )


# --- Sending ----------------------------------------------------------------------------


def send_reminders(reminder_ids: Iterable[int], *, now: datetime | None = None) -> SendResult:
    """Send the due ones among ``reminder_ids``. Safe to run twice, or in two workers
    at once: each row is sent by the one worker that claims it.

    In-app reminders of the batch are claimed, written and marked sent in one
    transaction. Emails and texts go one at a time; recording that one went out shares
    a transaction with claiming the next, so each costs one commit, and at any moment
    at most one row of this worker is "sending"."""
    now = now or timezone.now()
    result = SendResult()
    rows = load(
        Reminder.objects.filter(pk__in=list(reminder_ids), status=ReminderStatus.PENDING).order_by(
            "due_at", "id"
        )
    )
    if not rows:
        return result
    batch = _Batch(rows, now)

    def count(outcome: str, n: int = 1) -> None:
        setattr(result, outcome, getattr(result, outcome) + n)

    in_app: list[tuple[Reminder, Client | None]] = []
    outside: list[tuple[Reminder, Client | None]] = []
    for reminder in rows:
        client = client_of(reminder.user)
        outcome = _check(reminder, client, batch)
        if outcome is not None:
            count(outcome)
        elif reminder.channel == ReminderChannel.IN_APP:
            in_app.append((reminder, client))
        else:
            outside.append((reminder, client))
    with translation.override(settings.LANGUAGE_CODE):
        if in_app:
            sent = _send_in_app(in_app)
            count("sent", sent)
            count("taken", len(in_app) - sent)
        try:
            for reminder, client in outside:
                count(_send_outside(reminder, client, batch))
        finally:
            batch.record_sent()
            batch.close_mail()
    return result


def _check(reminder: Reminder, client: Client | None, batch: _Batch) -> str | None:
    """Bring the row up to date with its session; the outcome if it is not to be sent
    now ("skipped", "not_due"), else None."""
    session = reminder.session
    if session.status == SessionStatus.CANCELLED:
        _set(
            reminder,
            status=ReminderStatus.SKIPPED,
            from_status=ReminderStatus.PENDING,
            last_error=reminders.SKIP_CANCELLED,
        )
        return "skipped"
    due = session.starts_at - timedelta(minutes=reminder.minutes_before)
    if due != reminder.due_at:  # the session moved since planning
        _set(
            reminder, status=ReminderStatus.PENDING, from_status=ReminderStatus.PENDING, due_at=due
        )
        reminder.due_at = due
    if due > batch.now:
        return "not_due"
    reason = _why_not(reminder, client, batch)
    if reason is not None:
        _set(
            reminder,
            status=ReminderStatus.SKIPPED,
            from_status=ReminderStatus.PENDING,
            last_error=reason,
        )
        return "skipped"
    return None


def _send_in_app(items: list[tuple[Reminder, Client | None]]) -> int:
    """Claim, write and mark sent in one transaction: all or nothing. Rows another
    worker holds or has done are left to it. Returns how many were sent."""
    with transaction.atomic():
        now = timezone.now()
        wanted = [r.pk for r, _ in items]
        mine = set(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(pk__in=wanted, status=ReminderStatus.PENDING)
            .values_list("pk", flat=True)
        )
        if not mine:
            return 0
        Reminder.objects.filter(pk__in=mine).update(
            status=ReminderStatus.SENT,
            claimed_at=now,
            sent_at=now,
            attempts=F("attempts") + 1,
            last_error="",
        )
        notify_many([_in_app(r, c) for r, c in items if r.pk in mine])
    return len(mine)


def _send_outside(reminder: Reminder, client: Client | None, batch: _Batch) -> str:
    """Email and text: commit the claim, send, then record it (see reminders.py)."""
    with transaction.atomic():
        batch.record_sent()
        claimed = _set(
            reminder,
            status=ReminderStatus.SENDING,
            from_status=ReminderStatus.PENDING,
            claimed_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
    if not claimed:
        return "taken"
    try:
        if reminder.channel == ReminderChannel.SMS:
            assert client is not None  # noqa: S101 - _why_not checked
            batch.sms.send(normalise_phone(client.phone), sms_body(reminder, client))
        else:
            batch.mail.send_messages([email_message(reminder, client)])
    except MaybeSentError as exc:
        Reminder.objects.filter(pk=reminder.pk).update(last_error=str(exc)[:300])
        return "unknown"
    except (SmsError, smtplib.SMTPException, OSError) as exc:
        if reminder.channel == ReminderChannel.EMAIL:
            batch.close_mail()  # start afresh with the next message
        return _failed_attempt(reminder, exc)
    batch.went_out = (reminder.pk, timezone.now())
    return "sent"


def _failed_attempt(reminder: Reminder, exc: Exception) -> str:
    """The provider did not take it: try again on the next run, unless retrying cannot
    help or it has been tried enough."""
    permanent = isinstance(exc, SmsError) and exc.permanent
    permanent = permanent or isinstance(exc, smtplib.SMTPRecipientsRefused)
    attempts = reminder.attempts + 1
    message = f"{type(exc).__name__}: {exc}"[:300]
    if permanent or attempts >= reminders.MAX_ATTEMPTS:
        _set(
            reminder,
            status=ReminderStatus.FAILED,
            from_status=ReminderStatus.SENDING,
            last_error=message,
        )
        return "failed"
    _set(
        reminder,
        status=ReminderStatus.PENDING,
        from_status=ReminderStatus.SENDING,
        claimed_at=None,
        last_error=message,
    )
    return "retry"


def sms_outcome_after_crash(reminder: Reminder) -> bool | None:
    """For a text whose worker died after claiming it: did the provider send it?"""
    client = client_of(reminder.user)
    to = normalise_phone(client.phone) if client is not None else ""
    if not to or reminder.claimed_at is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        body = sms_body(reminder, client)
    return get_sms_provider().was_sent(to, body, reminder.claimed_at - timedelta(minutes=1))
