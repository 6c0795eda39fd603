"""Sign-out, password change, password reset and deactivation end the person's other
sessions and (except plain sign-out, unless the practice asks) their API tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client as HttpClient

from kindred.accounts.services import user_deactivate
from kindred.accounts.tests.flows import new_browser, sign_in
from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent
from kindred.core.testing import PASSWORD

NEW_PASSWORD = "lantern marmalade harbour quietly"
API = "/api/v1/clients/"


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC), tick=False) as t:
        yield t


def two_browsers(cast: Any, clock: Any) -> tuple[HttpClient, HttpClient, HttpClient]:
    user = cast.coordinator
    secret = cast.totp_secrets[user.pk]
    laptop, phone = new_browser("10.2.0.1"), new_browser("10.2.0.2")
    for http in (laptop, phone):
        assert sign_in(http, user.email, secret=secret)["Location"] == "/home/"
        clock.shift(timedelta(seconds=31))  # each two-factor code works once
    raw, _ = api_token_create(actor=user, name="EHR sync", scopes=["clients:read"])
    integration = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert integration.get(API).status_code == 200
    assert laptop.get("/home/coordinator/").status_code == 200
    assert phone.get("/home/coordinator/").status_code == 200
    return laptop, phone, integration


def signed_out(http: HttpClient) -> bool:
    response = http.get("/home/coordinator/")
    return bool(response.status_code == 302 and response["Location"].startswith("/accounts/login"))


def revoked_event() -> AuditEvent:
    return AuditEvent.objects.filter(action="accounts.session.revoked").latest("id")


def test_sign_out_ends_the_other_sessions_and_keeps_tokens(cast, clock):
    laptop, phone, integration = two_browsers(cast, clock)
    laptop.post("/accounts/logout/")
    assert signed_out(laptop)
    assert signed_out(phone)
    assert not UserSession.objects.filter(user=cast.coordinator).exists()
    # The integration's token is not the browser's: it keeps working (see revocation.py).
    assert integration.get(API).status_code == 200
    assert revoked_event().detail == {"reason": "signed_out", "sessions": 2, "tokens": 0}


def test_sign_out_can_revoke_tokens_too(cast, clock, settings):
    settings.KINDRED_SIGN_OUT_REVOKES_TOKENS = True
    laptop, phone, integration = two_browsers(cast, clock)
    laptop.post("/accounts/logout/")
    assert signed_out(phone)
    assert integration.get(API).status_code == 401
    assert revoked_event().detail == {"reason": "signed_out", "sessions": 2, "tokens": 1}


def test_a_time_out_ends_only_that_session(cast, clock):
    laptop, phone, integration = two_browsers(cast, clock)
    clock.shift(timedelta(minutes=14))
    assert phone.get("/home/coordinator/").status_code == 200
    clock.shift(timedelta(minutes=2))
    assert signed_out(laptop)  # idle for 16 minutes
    assert phone.get("/home/coordinator/").status_code == 200
    assert integration.get(API).status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.session.revoked").exists()


def test_password_change_ends_every_session_and_token(cast, clock):
    laptop, phone, integration = two_browsers(cast, clock)
    response = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_out(phone)
    assert signed_out(laptop)
    assert integration.get(API).status_code == 401
    # allauth signs this browser out first (ending every session), then announces the
    # change (revoking the tokens).
    events = AuditEvent.objects.filter(action="accounts.session.revoked").order_by("id")
    assert [e.detail for e in events] == [
        {"reason": "signed_out", "sessions": 2, "tokens": 0},
        {"reason": "password_changed", "sessions": 0, "tokens": 1},
    ]


def test_password_reset_ends_every_session_and_token(cast, clock):
    laptop, phone, integration = two_browsers(cast, clock)
    stranger = new_browser("10.2.0.9")
    stranger.post("/accounts/password/reset/", {"email": cast.coordinator.email})
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", str(mail.outbox[0].body)
    )
    assert link
    step = stranger.get(link.group(1))
    done = stranger.post(step["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/password/reset/key/done/"
    assert signed_out(laptop)
    assert signed_out(phone)
    assert integration.get(API).status_code == 401
    assert revoked_event().detail == {"reason": "password_reset", "sessions": 2, "tokens": 1}


def test_deactivation_ends_every_session_and_token(cast, clock):
    laptop, phone, integration = two_browsers(cast, clock)
    user_deactivate(actor=cast.admin, user=cast.coordinator, reason="Left the practice")
    assert signed_out(laptop)
    assert signed_out(phone)
    assert integration.get(API).status_code == 401
    event = revoked_event()
    assert event.actor_id == cast.admin.pk
    assert event.detail == {"reason": "deactivated", "sessions": 2, "tokens": 1}
