"""The email digest: once a day at the hour a person chose (in their own time zone),
counts of their unread in-app notifications since the last digest, and a link.

Never post text, group names, people's names or clinical words: each notification
``kind`` maps to a neutral phrase ("in your group's space"); a kind this module does not
know is counted as an "update". The subject is the same for everyone.

Idempotent: a ``DigestSent`` row, unique per person and local day, is claimed in the
transaction that sends the email (as the group notice emails do), so a second run, or
two runs at once, never sends a second digest that day; if sending fails the claim
rolls back and the next run tries again. People with nothing new, inactive people and
people without an email address are skipped.

Run it from ``manage.py send_digests`` (cron every 15 minutes, docs/notifications.md).
"""

from __future__ import annotations

import smtplib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.notifications.models import (
    DigestFrequency,
    DigestSent,
    Notification,
    NotificationPreference,
)
from kindred.practice.settings import practice_settings
from kindred.scheduling.recurrence import zone

BATCH = 500
#: Without an earlier digest, how far back the first one looks.
FIRST_LOOKBACK = timedelta(days=1)

#: Notification kinds (by prefix) and the neutral words a digest uses for them.
KIND_PHRASES: tuple[tuple[str, str], ...] = (
    ("space_", "space"),
    ("goal", "goals"),
    ("strateg", "goals"),
    ("milestone", "goals"),
    ("session_", "sessions"),
    ("group_", "sessions"),
    ("questionnaire_", "checkins"),
    ("journal_", "journal"),
)


def phrase_key(kind: str) -> str:
    for prefix, key in KIND_PHRASES:
        if kind.startswith(prefix):
            return key
    return "update"


def _phrase(key: str, n: int) -> str:
    phrases = {
        "space": ngettext("%(n)d in your group's space", "%(n)d in your group's space", n),
        "goals": ngettext("%(n)d about your goals", "%(n)d about your goals", n),
        "sessions": ngettext("%(n)d about your sessions", "%(n)d about your sessions", n),
        "checkins": ngettext("%(n)d check-in", "%(n)d check-ins", n),
        "journal": ngettext("%(n)d about journal entries", "%(n)d about journal entries", n),
        "update": ngettext("%(n)d other update", "%(n)d other updates", n),
    }
    return phrases[key] % {"n": n}


ORDER = ("space", "goals", "sessions", "checkins", "journal", "update")


def summary(counts: Counter[str]) -> tuple[int, str]:
    """The total and the sentence: "You have 3 new things in Kindred: 2 in your
    group's space, 1 about your goals." ``counts`` is by kind."""
    by_key: Counter[str] = Counter()
    for kind, n in counts.items():
        by_key[phrase_key(kind)] += n
    total = sum(by_key.values())
    parts = [_phrase(k, by_key[k]) for k in ORDER if by_key[k]]
    head = ngettext(
        "You have %(n)d new thing in Kindred", "You have %(n)d new things in Kindred", total
    ) % {"n": total}
    return total, f"{head}: {', '.join(parts)}."


def subject() -> str:
    return _("New in Kindred")


@dataclass
class DigestRun:
    considered: int = 0
    sent: int = 0
    not_due: int = 0
    nothing_new: int = 0
    already_sent: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _message(to: str, sentence: str) -> EmailMessage:
    site = settings.SITE_URL.rstrip("/")
    context = {
        "sentence": sentence,
        "link": f"{site}{reverse('web:notifications')}",
        "settings_link": f"{site}{reverse('web:notification_settings')}",
    }
    body = render_to_string("email/digest_body.txt", context)
    subject_line = render_to_string("email/digest_subject.txt", {"subject": subject()})
    return EmailMessage(
        subject=" ".join(subject_line.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _zones(user_ids: list[int]) -> dict[int, str]:
    from kindred.clients.models import Client

    return dict(Client.objects.filter(user_id__in=user_ids).values_list("user_id", "timezone"))


def send_digests(
    *, now: datetime | None = None, progress: Callable[[int, int], object] | None = None
) -> DigestRun:
    """Send every digest that is due at ``now``. Safe to run as often as you like."""
    now = now or timezone.now()
    run = DigestRun()
    prefs = NotificationPreference.objects.filter(
        digest=DigestFrequency.DAILY, user__is_active=True
    ).exclude(user__email="")
    total = prefs.count()
    practice_zone = practice_settings().timezone
    mail: BaseEmailBackend | None = None
    last_pk = 0
    try:
        with translation.override(settings.LANGUAGE_CODE):
            while True:
                batch = list(
                    prefs.filter(pk__gt=last_pk).select_related("user").order_by("pk")[:BATCH]
                )
                if not batch:
                    break
                last_pk = batch[-1].pk
                mail = _send_batch(batch, now, practice_zone, run, mail)
                if progress is not None:
                    progress(run.considered, total)
    finally:
        if mail is not None:
            mail.close()
    return run


def _send_batch(
    batch: list[NotificationPreference],
    now: datetime,
    practice_zone: str,
    run: DigestRun,
    mail: BaseEmailBackend | None,
) -> BaseEmailBackend | None:
    zones = _zones([p.user_id for p in batch])
    due: dict[int, tuple[NotificationPreference, date]] = {}
    for pref in batch:
        run.considered += 1
        local = now.astimezone(zone(zones.get(pref.user_id) or practice_zone))
        if local.hour < pref.digest_hour:
            run.not_due += 1
            continue
        due[pref.user_id] = (pref, local.date())
    if not due:
        return mail
    done = set(
        DigestSent.objects.filter(
            user_id__in=list(due), day__in={day for _p, day in due.values()}
        ).values_list("user_id", "day")
    )
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    since = Coalesce(
        F("user__notification_preference__last_digest_at"), Value(now - FIRST_LOOKBACK)
    )
    for user_id, kind, n in (
        Notification.objects.filter(
            user_id__in=list(due), read_at__isnull=True, created_at__lte=now
        )
        .filter(created_at__gt=since)
        .values("user_id", "kind")
        .annotate(n=Count("id"))
        .values_list("user_id", "kind", "n")
    ):
        counts[user_id][kind] += n
    for user_id, (pref, day) in due.items():
        if (user_id, day) in done:
            run.already_sent += 1
            continue
        if not counts[user_id]:
            run.nothing_new += 1
            continue
        items, sentence = summary(counts[user_id])
        if mail is None:
            mail = mailers.default
            mail.open()
        try:
            with transaction.atomic():
                DigestSent.objects.create(user_id=user_id, day=day, sent_at=now, items=items)
                NotificationPreference.objects.filter(pk=pref.pk).update(last_digest_at=now)
                mail.send_messages([_message(pref.user.email, sentence)])
        except IntegrityError:
            run.already_sent += 1  # another run claimed it first
        except (smtplib.SMTPException, OSError):
            run.failed += 1
            mail.close()
            mail = None
        else:
            run.sent += 1
    return mail
