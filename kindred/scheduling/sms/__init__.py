"""Sending text messages: one small interface, a console provider for the demo and an
HTTP provider for a Twilio-compatible REST API (docs/operations.md, "Text messages").

Settings: ``KINDRED_SMS_PROVIDER`` ("console", "http" or "none"), and for "http"
``KINDRED_SMS_BASE_URL``, ``KINDRED_SMS_ACCOUNT_SID``, ``KINDRED_SMS_AUTH_TOKEN`` (or
``KINDRED_SMS_AUTH_TOKEN_FILE``) and ``KINDRED_SMS_FROM``.

Bodies never carry clinical content: a group's name, a day and time, and how to stop.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SmsError(Exception):
    """The provider did not accept the message. ``permanent``: trying again will not
    help (a refused number, bad credentials); otherwise it may (a timeout, a 503)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(ABC):
    """Sends one text message and answers with the provider's message id."""

    name: str = "sms"

    @abstractmethod
    def send(self, to: str, body: str) -> str:
        """Send ``body`` to ``to`` (E.164, e.g. +13125550100). Raises ``SmsError`` when
        the provider did not accept it; returning means it did."""

    def was_sent(self, to: str, body: str, since: datetime) -> bool | None:
        """Whether a message with this body went to ``to`` at or after ``since``: True,
        False, or None when the provider cannot tell. Used after a worker died between
        claiming a reminder and recording that it was sent."""
        return None


class DisabledSmsProvider(SmsProvider):
    """``KINDRED_SMS_PROVIDER=none``: text messages are turned off."""

    name = "none"

    def send(self, to: str, body: str) -> str:
        raise SmsError("Text messages are turned off (KINDRED_SMS_PROVIDER=none).", permanent=True)

    def was_sent(self, to: str, body: str, since: datetime) -> bool | None:
        return False


def sms_enabled() -> bool:
    return str(getattr(settings, "KINDRED_SMS_PROVIDER", "none")) != "none"


def get_sms_provider() -> SmsProvider:
    """The provider the settings name (a new object each call: cheap, and tests can
    change the settings)."""
    kind = str(getattr(settings, "KINDRED_SMS_PROVIDER", "none"))
    if kind == "none":
        return DisabledSmsProvider()
    if kind == "console":
        from kindred.scheduling.sms.console import ConsoleSmsProvider

        return ConsoleSmsProvider()
    if kind == "http":
        from kindred.scheduling.sms.http_provider import HttpSmsProvider

        return HttpSmsProvider.from_settings()
    raise ImproperlyConfigured(f"KINDRED_SMS_PROVIDER={kind!r}: use 'console', 'http' or 'none'.")


def normalise_phone(raw: str) -> str:
    """A phone number in E.164 form (+ and digits), or "" if it cannot be one. Ten
    digits are a US number (+1 is added); 11 digits starting with 1 are too."""
    text = (raw or "").strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) == 10 and not text.startswith("+"):
        digits = "1" + digits
    if not 8 <= len(digits) <= 15:
        return ""
    return "+" + digits


def mask_phone(number: str) -> str:
    """For logs: only the last two digits."""
    digits = re.sub(r"\D", "", number or "")
    return "…" + digits[-2:] if digits else ""
