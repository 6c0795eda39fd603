"""The demo provider: writes each text message to the log (the number masked) and keeps
it in ``outbox`` (like Django's locmem email backend), so tests and benchmarks can count
what was sent in this process."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from kindred.scheduling.sms import SmsProvider, mask_phone

logger = logging.getLogger("kindred.sms")


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    message_id: str
    sent_at: datetime


outbox: list[SentSms] = []
_lock = threading.Lock()
_ids = itertools.count(1)


class ConsoleSmsProvider(SmsProvider):
    name = "console"

    def send(self, to: str, body: str) -> str:
        with _lock:
            message_id = f"console-{next(_ids)}"
            outbox.append(SentSms(to=to, body=body, message_id=message_id, sent_at=timezone.now()))
        logger.info("Text message %s to %s: %s", message_id, mask_phone(to), body)
        return message_id

    def was_sent(self, to: str, body: str, since: datetime) -> bool | None:
        # The outbox lives in one process; after a crash it is gone, so "don't know"
        # unless this process saw it.
        with _lock:
            if any(m.to == to and m.body == body and m.sent_at >= since for m in outbox):
                return True
        return None
