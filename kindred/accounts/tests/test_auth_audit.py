"""Every sign-in, sign-out, failure and security change leaves an audit event (category
AUTH) with who, when, where from, and never a password or a code."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.db.models import QuerySet

from kindred.accounts.tests.flows import new_browser, post_password, sign_in, totp_code
from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import PASSWORD, signed_in

WRONG = "definitely not my password"


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 18, 0, 5, tzinfo=UTC), tick=False) as t:
        yield t


def auth_events() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(category=Category.AUTH).order_by("id")


def test_a_day_of_signing_in_and_out(cast, clock, django_capture_on_commit_callbacks):
    admin, secret = cast.admin, cast.totp_secrets[cast.admin.pk]
    http = new_browser("203.0.113.9")
    post_password(http, admin.email, WRONG)
    post_password(http, admin.email)
    http.post("/accounts/2fa/authenticate/", {"code": totp_code(secret, offset_periods=3)})
    http.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    with django_capture_on_commit_callbacks(execute=True):
        http.post("/accounts/2fa/recovery-codes/generate/")
    http.post("/accounts/logout/")

    events = list(auth_events())
    assert [e.action for e in events] == [
        "accounts.session.sign_in_failed",
        "accounts.mfa.code_rejected",
        "accounts.session.signed_in",
        "accounts.mfa.recovery_codes_generated",
        "accounts.session.signed_out",
        "accounts.session.revoked",  # signing out ends every session (revocation.py)
    ]
    failed, rejected, signed_in_event, codes, signed_out, revoked = events
    assert revoked.detail == {"reason": "signed_out", "sessions": 1, "tokens": 0}
    assert failed.actor_id is None
    assert failed.object_type == "accounts.user"
    assert failed.object_id == str(admin.pk)
    assert rejected.actor_id is None  # not signed in yet
    assert rejected.detail == {"type": "totp", "reauthentication": False}
    assert signed_in_event.actor_id == admin.pk
    assert signed_in_event.actor_label == admin.email
    assert signed_in_event.detail == {"methods": ["mfa", "password"]}
    assert codes.actor_id == admin.pk
    assert signed_out.detail == {"reason": "signed_out"}
    # (allauth announces new codes after its transaction commits; in production that is
    # still inside the request, but the test transaction defers it past the request.)
    in_request = [failed, rejected, signed_in_event, signed_out]
    for event in in_request:
        assert event.ip == "203.0.113.9"
        assert event.via == "web"
        assert len(event.request_id) >= 8
    # One request, one id: different requests are told apart.
    assert len({e.request_id for e in in_request}) == len(in_request)

    everything = json.dumps([e.detail for e in AuditEvent.objects.all()])
    assert WRONG not in everything
    assert PASSWORD not in everything
    assert totp_code(secret) not in everything


def test_a_password_typed_into_the_email_box_is_not_kept(cast):
    http = new_browser()
    http.post("/accounts/login/", {"login": "hunter2hunter2", "password": WRONG})
    http.post("/accounts/login/", {"login": "hunter2@", "password": WRONG})
    for event in AuditEvent.objects.filter(action="accounts.session.sign_in_failed"):
        assert "hunter2" not in json.dumps(event.detail)


def test_unknown_accounts_are_recorded_by_the_address_typed(db):
    post_password(new_browser(), "nobody.here@example.test", WRONG)
    event = AuditEvent.objects.get(action="accounts.session.sign_in_failed")
    assert event.object_id == ""
    assert event.detail == {"email": "nobody.here@example.test", "reason": "not_accepted"}


def test_password_change(cast, clock):
    http = new_browser()
    sign_in(http, cast.member.email)
    new_password = "another long passphrase for a member"
    response = http.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    actions = [e.action for e in auth_events() if e.action != "accounts.session.revoked"]
    assert sorted(actions[-2:]) == ["accounts.password.changed", "accounts.session.signed_out"]
    # Changing the password signed this browser out too.
    assert http.get("/home/")["Location"].startswith("/accounts/login/")


def test_a_failed_reauthentication_is_recorded_as_such(cast):
    http = signed_in(cast.coordinator)
    http.post("/accounts/reauthenticate/", {"password": WRONG})
    event = AuditEvent.objects.get(action="accounts.session.sign_in_failed")
    assert event.actor_id == cast.coordinator.pk
    assert event.detail["step"] == "reauthenticate"


def test_receivers_are_connected_once(cast, clock):
    """AccountsConfig.ready() connects them with dispatch uids: no double rows."""
    from kindred.accounts import receivers

    receivers.connect()  # a second call must not add listeners
    post_password(new_browser(), cast.member.email, WRONG)
    assert AuditEvent.objects.filter(action="accounts.session.sign_in_failed").count() == 1
