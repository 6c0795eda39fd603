"""A provider for a Twilio-compatible REST API, with the standard library only.

Sending: ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json`` with the form fields
To, From and Body and HTTP basic authentication (account sid : auth token); the answer
is JSON whose ``sid`` is the message id. Looking up: ``GET`` of the same address with
``To`` and ``From``, newest first (used only after a worker died mid-send).
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kindred.scheduling.sms import SmsError, SmsProvider

TIMEOUT_SECONDS = 10
API_VERSION = "2010-04-01"
# Statuses of a message the provider did not (and will not) send.
_NOT_SENT = {"failed", "canceled"}


class MaybeSentError(SmsError):
    """The request went out but no answer came back: the provider may have accepted
    the message. Never retried blindly; ``was_sent`` decides later."""


class HttpSmsProvider(SmsProvider):
    name = "http"

    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str,
        auth_token: str,
        from_number: str,
        timeout: float = TIMEOUT_SECONDS,
    ):
        if not (base_url and account_sid and auth_token and from_number):
            raise ImproperlyConfigured(
                "KINDRED_SMS_PROVIDER=http needs KINDRED_SMS_BASE_URL, "
                "KINDRED_SMS_ACCOUNT_SID, KINDRED_SMS_AUTH_TOKEN (or _FILE) and "
                "KINDRED_SMS_FROM."
            )
        self.base_url = base_url.rstrip("/")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> HttpSmsProvider:
        return cls(
            base_url=settings.KINDRED_SMS_BASE_URL,
            account_sid=settings.KINDRED_SMS_ACCOUNT_SID,
            auth_token=settings.KINDRED_SMS_AUTH_TOKEN,
            from_number=settings.KINDRED_SMS_FROM,
            timeout=float(getattr(settings, "KINDRED_SMS_TIMEOUT_SECONDS", TIMEOUT_SECONDS)),
        )

    @property
    def messages_url(self) -> str:
        sid = urllib.parse.quote(self.account_sid, safe="")
        return f"{self.base_url}/{API_VERSION}/Accounts/{sid}/Messages.json"

    def _headers(self) -> dict[str, str]:
        credentials = f"{self.account_sid}:{self.auth_token}".encode()
        return {
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "Accept": "application/json",
        }

    def _call(self, request: urllib.request.Request) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https/http base URL from settings
                payload = response.read()
        except urllib.error.HTTPError as exc:
            code = exc.code
            detail = _error_detail(exc)
            exc.close()
            # Too many requests and server errors: not accepted, worth another try.
            permanent = code != 429 and code < 500
            raise SmsError(f"SMS provider answered {code}: {detail}", permanent=permanent) from exc
        except urllib.error.URLError as exc:
            # Raised while connecting or writing the request: nothing was accepted.
            raise SmsError(f"SMS provider unreachable: {exc.reason}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise MaybeSentError(f"No answer from the SMS provider: {exc!r}") from exc
        try:
            data = json.loads(payload or b"{}")
        except ValueError as exc:
            raise MaybeSentError("The SMS provider's answer was not JSON.") from exc
        return data if isinstance(data, dict) else {}

    def send(self, to: str, body: str) -> str:
        form = urllib.parse.urlencode({"To": to, "From": self.from_number, "Body": body})
        request = urllib.request.Request(  # noqa: S310 - see _call
            self.messages_url,
            data=form.encode(),
            method="POST",
            headers={**self._headers(), "Content-Type": "application/x-www-form-urlencoded"},
        )
        data = self._call(request)
        message_id = str(data.get("sid") or "")
        if not message_id:
            raise MaybeSentError("The SMS provider accepted the request without a message id.")
        return message_id

    def was_sent(self, to: str, body: str, since: datetime) -> bool | None:
        query = urllib.parse.urlencode({"To": to, "From": self.from_number, "PageSize": 50})
        request = urllib.request.Request(  # noqa: S310 - see _call
            f"{self.messages_url}?{query}", method="GET", headers=self._headers()
        )
        try:
            data = self._call(request)
        except SmsError:
            return None
        messages = data.get("messages")
        if not isinstance(messages, list):
            return None
        for message in messages:
            if not isinstance(message, dict) or message.get("body") != body:
                continue
            created = _parse_date(message.get("date_created"))
            if created is None:
                return None
            if created >= since and message.get("status") not in _NOT_SENT:
                return True
        return False


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return exc.reason or ""
    if isinstance(data, dict):
        return str(data.get("message") or data.get("code") or exc.reason)[:200]
    return str(exc.reason)


def _parse_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
