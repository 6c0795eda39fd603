"""The "you have a short check-in waiting" reminder.

When a questionnaire asked before a session is still unanswered ``reminder_lead()``
before the session (6 hours unless ``KINDRED_QUESTIONNAIRE_REMINDER_HOURS`` says
otherwise), the member gets one in-app notification and, if they take email reminders,
one short email. One reminder per member and session, however many questionnaires the
session has; ad-hoc questionnaires are not reminded.

Exactly once: the notification's dedupe key (``reminder_key``; unique per person) is the
claim — a second worker, or a second run, finds it taken and sends nothing. The email is
the groups app's notice email for that notification, itself claimed by a row inserted
before sending (groups/emails.py), so it goes at most once too.

The words are never clinical: no instrument, no group name, no score — "You have a short
check-in waiting in Kindred" and a sign-in link.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kindred.clients.models import ClientStatus
from kindred.measures.models import Administration
from kindred.measures.planning import BEFORE_REASONS, OPEN_STATUSES
from kindred.notifications.services import notify

if TYPE_CHECKING:
    from kindred.accounts.models import User


def reminder_lead() -> timedelta:
    """How long before the session (``KINDRED_QUESTIONNAIRE_REMINDER_HOURS``, 6 by default)."""
    return timedelta(hours=float(settings.KINDRED_QUESTIONNAIRE_REMINDER_HOURS))


REMINDER_KIND = "questionnaire_reminder"


def reminder_key(administration_id: int, session_id: int | None) -> str:
    """One reminder per member and session, however many questionnaires it has."""
    if session_id is not None:
        return f"{REMINDER_KIND}:session:{session_id}"
    return f"{REMINDER_KIND}:administration:{administration_id}"


def reminders_due(*, now: datetime | None = None) -> list[int]:
    """Open "before the session" questionnaires that are still unanswered within the
    reminder lead time of being due, and whose reminder has not gone out yet."""
    from kindred.notifications.models import Notification

    now = now or timezone.now()
    rows = list(
        Administration.objects.filter(
            status__in=OPEN_STATUSES,
            reason__in=BEFORE_REASONS,
            available_from__lte=now,
            due_at__gt=now,
            due_at__lte=now + reminder_lead(),
            client__user__is_active=True,
        )
        .order_by("due_at", "pk")
        .values_list("pk", "session_id", "client__user_id")
    )
    if not rows:
        return []
    keys = {reminder_key(pk, session_id) for pk, session_id, _u in rows}
    sent = set(
        Notification.objects.filter(
            user_id__in={u for _p, _s, u in rows}, dedupe_key__in=keys
        ).values_list("user_id", "dedupe_key")
    )
    due: list[int] = []
    seen: set[tuple[int, str]] = set()
    for pk, session_id, user_id in rows:
        key = (user_id, reminder_key(pk, session_id))
        if key in sent or key in seen:
            continue
        seen.add(key)
        due.append(pk)
    return due


def reminders_enqueue(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Queue the due reminders for the task worker (measures/tasks.py). Queueing an id
    twice is harmless: the notification's dedupe key lets one through."""
    from kindred.measures.tasks import send_questionnaire_reminders

    ids = reminders_due(now=now)
    for start in range(0, len(ids), batch_size):
        send_questionnaire_reminders.enqueue(ids[start : start + batch_size])
    return len(ids)


@dataclass
class SendResult:
    sent: int = 0
    emailed: int = 0
    # Answered, closed or cancelled meanwhile, the account was switched off, or it is not
    # yet time.
    skipped: int = 0
    # Another worker (or an earlier run) sent it.
    taken: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _still_wanted(administration: Administration, now: datetime) -> bool:
    client = administration.client
    user: User | None = client.user
    return (
        administration.status in OPEN_STATUSES
        and administration.reason in BEFORE_REASONS
        and administration.due_at is not None
        and administration.available_from <= now < administration.due_at
        and administration.due_at - reminder_lead() <= now
        and (administration.closes_at is None or now < administration.closes_at)
        and client.status == ClientStatus.ACTIVE
        and user is not None
        and user.is_active
    )


def reminders_send(administration_ids: list[int], *, now: datetime | None = None) -> SendResult:
    """Send the reminders of ``administration_ids`` that are still wanted. Safe to run
    twice, or in two workers at once (see the module docstring)."""
    from kindred.groups.tasks import send_notice_email

    now = now or timezone.now()
    result = SendResult()
    rows = list(
        Administration.objects.filter(pk__in=administration_ids)
        .select_related("client", "client__user")
        .order_by("pk")
    )
    with translation.override(settings.LANGUAGE_CODE):
        for administration in rows:
            if not _still_wanted(administration, now):
                result.skipped += 1
                continue
            client = administration.client
            user = client.user
            assert user is not None  # noqa: S101 - _still_wanted checked
            with transaction.atomic():
                note = notify(
                    user=user,
                    kind=REMINDER_KIND,
                    title=_("You have a short check-in waiting in Kindred"),
                    url=reverse("web:member_questionnaires"),
                    dedupe_key=reminder_key(administration.pk, administration.session_id),
                )
                if note is None:
                    result.taken += 1
                    continue
                result.sent += 1
                if client.email_reminders and user.email:
                    transaction.on_commit(partial(send_notice_email.enqueue, note.pk))
                    result.emailed += 1
    return result
