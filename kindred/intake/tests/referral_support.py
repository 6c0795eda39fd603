"""Helpers for the referral and waitlist tests: a valid self-referral, and a snapshot of
everything a referral may write (to prove that bad input saved nothing)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from kindred.audit.models import AuditEvent, Category
from kindred.clients.models import AvailabilityWindow, Client
from kindred.intake.models import Referral, WaitlistEntry, WaitlistStatusChange
from kindred.intake.referrals import AvailabilityRow, Submission, referral_submit

#: What a person wrote about themselves: clinical text that must never reach the audit
#: log or an email.
THEIR_WORDS = "I have not slept properly since my brother died in March."


def details(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Robin",
        "last_name": "Example",
        "date_of_birth": date(1991, 5, 17),
        "state": "IL",
        "email": "robin.example@example.test",
        "phone": "+1 312 555 0188",
        "in_their_words": THEIR_WORDS,
        "preferred_modality": "virtual",
        "availability": [
            AvailabilityRow(1, time(18, 0), time(20, 0)),
            AvailabilityRow(3, time(9, 0), time(11, 0)),
        ],
        "urgency": "soon",
    }
    data.update(overrides)
    return data


def refer(**overrides: Any) -> Submission:
    """A self-referral from the public form, sent a minute after the form was shown."""
    now = overrides.pop("now", None) or timezone.now()
    data = details(**overrides)
    data.setdefault("shown_at", now - timedelta(minutes=1))
    data.setdefault("ip", "203.0.113.7")
    return referral_submit(actor=None, now=now, **data)


def staff_refer(actor: Any, **overrides: Any) -> Submission:
    data = details(**overrides)
    data.setdefault("source", "clinician")
    data.setdefault("referrer_name", "Dr Jamie Referrer")
    data.setdefault("referrer_organisation", "Lakeside Family Medicine")
    return referral_submit(actor=actor, **data)


def written() -> dict[str, int]:
    """Row counts of everything a referral or a waitlist change may write."""
    return {
        "referrals": Referral.objects.count(),
        "clients": Client.objects.count(),
        "entries": WaitlistEntry.objects.count(),
        "windows": AvailabilityWindow.objects.count(),
        "status_changes": WaitlistStatusChange.objects.count(),
        # Reads and denials are audited too; only changes count as "saved".
        "audit": AuditEvent.objects.filter(category=Category.CHANGE).count(),
    }
