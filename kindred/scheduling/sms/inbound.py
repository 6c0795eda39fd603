"""Replies to our text messages: STOP and START (and HELP).

STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT opts every client with that phone
number out of text messages (``Client.sms_opted_out_at``); START (or UNSTOP) opts them
back in. Anything else gets a short answer that this number cannot read messages, with
the crisis line — someone may text it in distress. The body of a message is never
stored or logged: it may be clinical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.clients.models import Client
from kindred.clients.services import phone_digits
from kindred.practice.models import Practice
from kindred.practice.settings import practice_settings

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


@dataclass(frozen=True)
class InboundResult:
    keyword: str  # "stop", "start", "help" or "other"
    clients: int  # how many client records changed
    reply: str


def keyword_of(body: str) -> str:
    word = re.sub(r"[^A-Za-z]", "", (body or "").strip()).upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return "other"


def clients_with_phone(number: str) -> list[Client]:
    """Client records whose phone is this number (compared by digits, ignoring the US
    country code and any formatting)."""
    digits = phone_digits(number)
    if len(digits) < 7:
        return []
    candidates = Client.objects.filter(phone__endswith=digits[-1]).only(
        "id", "phone", "sms_opted_out_at", "sms_reminders"
    )
    return [c for c in candidates.order_by("id") if phone_digits(c.phone) == digits]


def sms_inbound(*, from_number: str, body: str, now: datetime | None = None) -> InboundResult:
    """Act on one inbound text and say what to answer."""
    now = now or timezone.now()
    keyword = keyword_of(body)
    practice = practice_settings().name
    changed = 0
    if keyword in {"stop", "start"}:
        with transaction.atomic():
            for client in clients_with_phone(from_number):
                stopped = client.sms_opted_out_at is not None
                if keyword == "stop" and not stopped:
                    client.sms_opted_out_at = now
                elif keyword == "start" and stopped:
                    client.sms_opted_out_at = None
                else:
                    continue
                client.save(update_fields=["sms_opted_out_at", "updated_at"])
                verb = "stopped" if keyword == "stop" else "started"
                audit_change(
                    actor=None,
                    action=f"scheduling.sms_consent.{verb}",
                    obj=client,
                    client_id=client.pk,
                    changed=["sms_opted_out_at"],
                    detail={"via": "sms_reply"},
                )
                changed += 1
    if keyword == "stop":
        reply = _(
            "You will get no more text messages from %(practice)s. Reply START to get them again."
        ) % {"practice": practice}
    elif keyword == "start":
        reply = _("You can get text messages from %(practice)s again. Reply STOP to stop them.") % {
            "practice": practice
        }
    else:
        phone = Practice.objects.filter(pk=1).values_list("contact_phone", flat=True).first()
        reach = (
            _("To reach %(practice)s, call %(phone)s.") % {"practice": practice, "phone": phone}
            if phone
            else _("To reach %(practice)s, sign in to Kindred.") % {"practice": practice}
        )
        first = (
            _("%(practice)s sends session reminders by text. Reply STOP to stop them.")
            if keyword == "help"
            else _("This number only sends reminders and cannot read replies.")
        ) % {"practice": practice}
        reply = " ".join([first, reach, _("If you are in crisis, call or text 988, any time.")])
    return InboundResult(keyword=keyword, clients=changed, reply=reply)
