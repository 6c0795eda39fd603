"""Helpers for tests that sign in the way a person does: through the real pages."""

from __future__ import annotations

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from kindred.core.testing import PASSWORD

SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7=]+)<')


def totp_code(secret: str, *, offset_periods: int = 0) -> str:
    """The RFC 6238 code an authenticator app would show now (30-second steps)."""
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset_periods)))


def new_browser(ip: str = "127.0.0.1") -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="Kindred tests")


def post_password(http: Client, email: str, password: str = PASSWORD, **extra: str):
    return http.post("/accounts/login/", {"login": email, "password": password, **extra})


def sign_in(http: Client, email: str, *, secret: str | None = None, password: str = PASSWORD):
    """Password, then (when ``secret`` is given) the two-factor code; returns the last
    response."""
    response = post_password(http, email, password)
    if secret is None:
        return response
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/accounts/2fa/authenticate/"
    return http.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})


def shown_secret(html: str) -> str:
    match = SECRET_RE.search(html)
    assert match, "the enrolment page shows the secret as text"
    return match.group(1)
