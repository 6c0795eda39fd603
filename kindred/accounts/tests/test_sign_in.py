"""Signing in the way people do: password, two-step verification, recovery codes,
password reset, and the pages allauth serves in Kindred's layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core import mail

from kindred.accounts.models import User
from kindred.accounts.services import staff_create
from kindred.accounts.tests.flows import (
    new_browser,
    post_password,
    shown_secret,
    sign_in,
    totp_code,
)
from kindred.audit.models import AuditEvent
from kindred.core.testing import PASSWORD
from kindred.practice.roles import Role

ACTIVATE = "/accounts/2fa/totp/activate/"
AUTHENTICATE = "/accounts/2fa/authenticate/"


@pytest.fixture
def clock():
    """A fixed clock, so TOTP codes fall in known 30-second windows."""
    with time_machine.travel(datetime(2026, 3, 2, 18, 0, 5, tzinfo=UTC), tick=False) as t:
        yield t


@pytest.fixture
def new_staff(cast) -> User:
    return staff_create(
        actor=None,
        email="nova.staff@example.test",
        full_name="Nova Staff",
        roles=[Role.COORDINATOR],
        password=PASSWORD,
    )


def enrol(http, django_capture_on_commit_callbacks) -> str:
    """Walk the enrolment page as a new staff member would; returns the secret shown."""
    page = http.get(ACTIVATE)
    assert page.status_code == 200
    secret = shown_secret(page.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    return secret


def test_staff_enrol_totp_at_first_sign_in_end_to_end(
    new_staff, clock, django_capture_on_commit_callbacks
):
    http = new_browser()
    response = post_password(http, new_staff.email)
    assert response.status_code == 302

    # Every page sends them to enrolment until they have enrolled ...
    for path in ("/home/", "/account/", "/audit/"):
        response = http.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == ACTIVATE, path
    # ... and the API refuses their session.
    assert http.get("/api/v1/me/").status_code == 403

    # The page offers a QR code AND the secret as text, and no password prompt: they have
    # just signed in.
    page = http.get(ACTIVATE)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    assert "Set up two-step verification" in html
    secret = shown_secret(html)

    # A wrong code: a message beside the field, and nothing saved.
    wrong = http.post(ACTIVATE, {"code": totp_code(secret, offset_periods=5)})
    assert wrong.status_code == 200
    assert "That code did not work" in wrong.content.decode()
    assert 'aria-invalid="true"' in wrong.content.decode()
    assert not Authenticator.objects.filter(user=new_staff).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = http.post(ACTIVATE, {"code": totp_code(secret)})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/2fa/recovery-codes/"
    codes_page = http.get("/accounts/2fa/recovery-codes/").content.decode()
    codes = re.findall(r"<li><code>(\d{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert "I have saved them" in codes_page
    download = http.get("/accounts/2fa/recovery-codes/download/")
    assert download.status_code == 200
    assert codes[0] in download.content.decode()

    landed = http.get("/home/", follow=True)
    assert landed.redirect_chain[-1][0] == "/home/coordinator/"
    assert landed.status_code == 200
    assert http.get("/api/v1/me/").status_code == 200

    actions = set(AuditEvent.objects.filter(actor=new_staff).values_list("action", flat=True))
    assert {"accounts.mfa.enrolled", "accounts.mfa.recovery_codes_generated"} <= actions

    # The next sign-in asks for the code before anything else.
    http.post("/accounts/logout/")
    clock.shift(60)
    response = post_password(http, new_staff.email)
    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE
    assert http.get("/home/")["Location"].startswith("/accounts/login/")
    page = http.get(AUTHENTICATE)
    assert "Two-step verification" in page.content.decode()
    response = http.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/home/"
    assert http.get("/home/", follow=True).status_code == 200


def test_a_recovery_code_signs_in_once(cast, clock, django_capture_on_commit_callbacks):
    from kindred.core.testing import enrol_totp

    member = cast.member
    http = new_browser()
    sign_in(http, member.email)
    enrol_totp(member)
    with django_capture_on_commit_callbacks(execute=True):
        http.post("/accounts/2fa/recovery-codes/generate/")
    code = re.findall(
        r"<li><code>(\d{8})</code></li>",
        http.get("/accounts/2fa/recovery-codes/").content.decode(),
    )[0]
    http.post("/accounts/logout/")

    post_password(http, member.email)
    assert http.post(AUTHENTICATE, {"code": code})["Location"] == "/home/"
    http.post("/accounts/logout/")
    post_password(http, member.email)
    again = http.post(AUTHENTICATE, {"code": code})
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="accounts.mfa.recovery_code_used").count() == 1


def test_totp_codes_work_only_once(cast, clock):
    admin, secret = cast.admin, cast.totp_secrets[cast.admin.pk]
    http = new_browser()
    assert sign_in(http, admin.email, secret=secret)["Location"] == "/home/"
    http.post("/accounts/logout/")

    # Same 30-second window, same code: refused, even with the right password first.
    clock.shift(5)
    post_password(http, admin.email)
    reused = http.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert reused.status_code == 200
    assert "each works only once" in reused.content.decode()
    assert http.get("/home/")["Location"].startswith("/accounts/login/")
    rejected = AuditEvent.objects.filter(action="accounts.mfa.code_rejected", object_id=admin.pk)
    assert rejected.count() == 1

    # The next code works.
    clock.shift(30)
    assert http.post(AUTHENTICATE, {"code": totp_code(secret)})["Location"] == "/home/"


def test_wrong_two_factor_codes_are_limited(cast, clock):
    admin, secret = cast.admin, cast.totp_secrets[cast.admin.pk]
    http = new_browser()
    post_password(http, admin.email)
    for n in range(5):
        wrong = http.post(AUTHENTICATE, {"code": totp_code(secret, offset_periods=10 + n)})
        assert "That code did not work" in wrong.content.decode()
    blocked = http.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert blocked.status_code == 200
    assert "Too many attempts" in blocked.content.decode()
    assert http.get("/home/")["Location"].startswith("/accounts/login/")


def test_password_reset_never_bypasses_two_factor(cast, clock):
    admin, secret = cast.admin, cast.totp_secrets[cast.admin.pk]
    http = new_browser()
    response = http.post("/accounts/password/reset/", {"email": admin.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = str(mail.outbox[0].body)
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", body)
    assert link, body
    # The email says what to do, nothing about the person's care.
    assert "client" not in body.lower()

    step = http.get(link.group(1))
    set_password_url = step["Location"] if step.status_code == 302 else link.group(1)
    new_password = "a completely different passphrase for tests"
    done = http.post(set_password_url, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/key/done/"
    # Resetting does not sign anyone in.
    assert http.get("/home/")["Location"].startswith("/accounts/login/")

    response = post_password(http, admin.email, new_password)
    assert response["Location"] == AUTHENTICATE
    assert http.get("/home/")["Location"].startswith("/accounts/login/")
    assert http.post(AUTHENTICATE, {"code": totp_code(secret)})["Location"] == "/home/"

    actions = list(
        AuditEvent.objects.filter(object_id=str(admin.pk), action__startswith="accounts.password")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["accounts.password.reset_requested", "accounts.password.reset_done"]


def test_reset_for_an_unknown_address_sends_nothing_and_says_the_same(db):
    http = new_browser()
    response = http.post("/accounts/password/reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert mail.outbox == []


def test_staff_cannot_remove_totp(cast):
    http = new_browser()
    http.force_login(
        cast.coordinator, backend="allauth.account.auth_backends.AuthenticationBackend"
    )
    page = http.get("/accounts/2fa/totp/deactivate/")
    # Re-authentication first (this session has no recent sign-in step) ...
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/reauthenticate/")
    http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = http.get("/accounts/2fa/totp/deactivate/")
    assert page.status_code == 200
    assert "Staff accounts must keep two-step verification" in page.content.decode()
    http.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(
        user=cast.coordinator, type=Authenticator.Type.TOTP
    ).exists()
    account = http.get("/account/").content.decode()
    assert "/accounts/2fa/totp/deactivate/" not in account


def test_member_may_opt_in_and_out(cast, clock, django_capture_on_commit_callbacks):
    member = cast.member
    http = new_browser()
    assert sign_in(http, member.email)["Location"] == "/home/"
    # Members are not forced to enrol.
    assert http.get("/home/member/").status_code == 200
    account = http.get("/account/").content.decode()
    assert "Turn on two-step verification" in account

    secret = enrol(http, django_capture_on_commit_callbacks)
    assert "Turn off two-step verification" in http.get("/account/").content.decode()
    http.post("/accounts/logout/")
    clock.shift(60)
    assert sign_in(http, member.email, secret=secret)["Location"] == "/home/"

    assert http.get("/accounts/2fa/totp/deactivate/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        http.post("/accounts/2fa/totp/deactivate/")
    assert not Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(actor=member, action="accounts.mfa.removed").exists()


def test_sensitive_pages_need_recent_authentication(cast, clock):
    """A fresh sign-in counts; ten minutes later the password is asked again."""
    member = cast.member
    http = new_browser()
    sign_in(http, member.email)
    assert http.get(ACTIVATE).status_code == 200
    clock.shift(11 * 60)
    assert http.get(ACTIVATE)["Location"].startswith("/accounts/reauthenticate/")
    page = http.get("/accounts/reauthenticate/?next=" + ACTIVATE)
    assert "Confirm it is you" in page.content.decode()
    wrong = http.post("/accounts/reauthenticate/?next=" + ACTIVATE, {"password": "not it at all"})
    assert wrong.status_code == 200
    assert 'aria-invalid="true"' in wrong.content.decode()
    ok = http.post("/accounts/reauthenticate/?next=" + ACTIVATE, {"password": PASSWORD})
    assert ok["Location"] == ACTIVATE
    assert http.get(ACTIVATE).status_code == 200


def test_sign_up_is_closed_kindly(db):
    response = new_browser().get("/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Accounts are created by your practice" in html
    assert "invitation" in html
    posted = new_browser().post(
        "/accounts/signup/",
        {"email": "walk.in@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert posted.status_code == 200
    assert not User.objects.filter(email="walk.in@example.test").exists()


def test_email_addresses_are_managed_by_the_practice(cast):
    http = new_browser()
    http.force_login(cast.member, backend="allauth.account.auth_backends.AuthenticationBackend")
    response = http.post("/accounts/email/", {"email": "other@example.test", "action_add": ""})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    from allauth.account.models import EmailAddress

    assert not EmailAddress.objects.filter(email="other@example.test").exists()


def test_wrong_password_shows_a_message_beside_the_form(cast):
    http = new_browser()
    response = post_password(http, cast.member.email, "not the right one at all")
    assert response.status_code == 200
    html = response.content.decode()
    assert "That email address and password do not match" in html
    assert http.get("/home/")["Location"].startswith("/accounts/login/")


def test_deactivated_account_cannot_sign_in(cast):
    from kindred.accounts.services import user_deactivate

    user_deactivate(actor=cast.admin, user=cast.billing, reason="Left the practice")
    http = new_browser()
    response = post_password(http, cast.billing.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert "This account is switched off" in http.get("/accounts/inactive/").content.decode()
    assert http.get("/home/")["Location"].startswith("/accounts/login/")
    failed = AuditEvent.objects.get(action="accounts.session.sign_in_failed")
    assert failed.object_id == str(cast.billing.pk)
    assert failed.detail["reason"] == "not_accepted"
    refused = AuditEvent.objects.get(action="accounts.session.inactive_refused")
    assert refused.request_id == failed.request_id


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/login/", "Sign in"),
        ("/accounts/signup/", "Accounts are created by your practice"),
        ("/accounts/password/reset/", "Reset your password"),
        ("/accounts/password/reset/done/", "Check your email"),
        ("/accounts/password/reset/key/done/", "Your password is changed"),
        ("/accounts/password/reset/key/1-bad-key/", "This link has expired"),
    ],
)
def test_public_account_pages_use_the_kindred_layout(db, path, heading):
    response = new_browser().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'class="skip-link"' in html  # base.html
    assert "kindred/app.css" in html
    assert html.count("<h1>") == 1


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/password/change/", "Change your password"),
        ("/accounts/logout/", "Sign out"),
        ("/accounts/2fa/", "Two-step verification"),
        ("/accounts/2fa/recovery-codes/generate/", "Make new recovery codes"),
        ("/accounts/sessions/", "Where you are signed in"),
        ("/accounts/reauthenticate/", "Confirm it is you"),
        ("/accounts/2fa/reauthenticate/", "Confirm it is you"),
    ],
)
def test_signed_in_account_pages_use_the_kindred_layout(cast, clock, path, heading):
    http = new_browser()
    sign_in(http, cast.admin.email, secret=cast.totp_secrets[cast.admin.pk])
    response = http.get(path)
    assert response.status_code == 200, response.get("Location")
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'class="skip-link"' in html
    assert 'aria-label="Main"' in html  # the signed-in navigation
    assert "<label" in html or "<table" in html or "<a" in html


def test_password_change_errors_sit_beside_their_fields(cast, clock):
    http = new_browser()
    sign_in(http, cast.member.email)
    response = http.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong", "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_oldpassword_error"' in html
    assert 'id="id_password1_error"' in html
    member = User.objects.get(pk=cast.member.pk)
    assert member.check_password(PASSWORD)
