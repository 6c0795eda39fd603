"""Throttling failed sign-ins (django-axes, database-backed): per account, per address,
429 with Retry-After, growing waits, reset on success, and no Redis needed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog

from kindred.accounts.tests.flows import new_browser, post_password
from kindred.audit.models import AuditEvent
from kindred.core.testing import PASSWORD

WRONG = "this is not the password at all"


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 18, 0, 0, tzinfo=UTC), tick=False) as t:
        yield t


def fail(http, email: str, times: int) -> list[int]:
    return [post_password(http, email, WRONG).status_code for _ in range(times)]


def is_signed_in(http) -> bool:
    return http.get("/home/").status_code == 302 and not http.get("/home/")["Location"].startswith(
        "/accounts/login/"
    )


def test_the_eleventh_attempt_is_refused_even_with_the_right_password(cast, clock):
    member = cast.member
    http = new_browser("10.0.0.1")
    statuses = fail(http, member.email, 10)
    assert statuses[:9] == [200] * 9
    # The tenth failure starts the lock-out and says so.
    assert statuses[9] == 429

    clock.shift(10)
    response = post_password(http, member.email, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    html = response.content.decode()
    assert "Signing in is paused" in html
    assert "Please wait 1 minute" in html
    assert 'class="skip-link"' in html  # the Kindred layout, not a bare error
    assert not is_signed_in(http)

    # The audit log has every attempt and the lock-out, and never a password.
    failed = AuditEvent.objects.filter(action="accounts.session.sign_in_failed")
    assert failed.count() == 11
    reasons = [e.detail["reason"] for e in failed.order_by("id")]
    assert reasons == ["not_accepted"] * 10 + ["locked_out"]
    assert set(failed.values_list("object_id", flat=True)) == {str(member.pk)}
    locked = AuditEvent.objects.get(action="accounts.session.locked_out")
    assert locked.detail == {"email": member.email, "failures": 10}
    assert locked.ip == "10.0.0.1"
    for event in AuditEvent.objects.all():
        assert WRONG not in str(event.detail)
        assert PASSWORD not in str(event.detail)
    for attempt in AccessAttempt.objects.all():
        assert WRONG not in attempt.post_data
        assert PASSWORD not in attempt.post_data


def test_allauth_passes_the_email_to_axes(cast, clock):
    http = new_browser("10.0.0.2")
    post_password(http, "  Avery.Member@Example.TEST ", WRONG)
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "avery.member@example.test"
    assert attempt.ip_address == "10.0.0.2"


def test_another_account_from_another_address_is_unaffected(cast, clock):
    fail(new_browser("10.0.0.3"), cast.member.email, 10)
    other = new_browser("10.0.0.4")
    response = post_password(other, cast.member_b.email, PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(other)
    # The locked account stays locked from any address.
    assert post_password(new_browser("10.0.0.5"), cast.member.email).status_code == 429


def test_one_address_is_limited_across_accounts(cast, clock):
    spray = new_browser("10.0.0.6")
    for n in range(10):
        post_password(spray, f"guess{n}@example.test", WRONG)
    # Even a real account with its right password is refused from that address ...
    assert post_password(spray, cast.member_b.email, PASSWORD).status_code == 429
    # ... but the same account signs in from elsewhere.
    elsewhere = new_browser("10.0.0.7")
    assert post_password(elsewhere, cast.member_b.email, PASSWORD).status_code == 302


def test_the_wait_grows_with_each_lock_out(cast, clock):
    member = cast.member
    http = new_browser("10.0.0.8")

    assert fail(http, member.email, 10)[-1] == 429
    assert post_password(http, member.email)["Retry-After"] == "60"
    clock.shift(61)

    # Second lock-out: two minutes.
    assert fail(http, member.email, 10)[-1] == 429
    response = post_password(http, member.email)
    assert response.status_code == 429
    assert response["Retry-After"] == "120"
    assert "Please wait 2 minutes" in response.content.decode()
    clock.shift(61)
    assert post_password(http, member.email).status_code == 429
    clock.shift(60)

    # Third: four minutes.
    assert fail(http, member.email, 10)[-1] == 429
    assert post_password(http, member.email)["Retry-After"] == "240"
    assert AuditEvent.objects.filter(action="accounts.session.locked_out").count() == 3
    assert AccessFailureLog.objects.filter(locked_out=True).count() == 3


def test_a_successful_sign_in_after_the_cool_off_resets(cast, clock):
    member = cast.member
    http = new_browser("10.0.0.9")
    fail(http, member.email, 10)
    clock.shift(61)

    assert post_password(http, member.email).status_code == 302
    assert is_signed_in(http)
    assert not AccessAttempt.objects.filter(username=member.email).exists()
    http.post("/accounts/logout/")

    # One slip is no longer enough to lock the account ...
    assert post_password(http, member.email, WRONG).status_code == 200
    # ... and the next lock-out starts again from one minute.
    assert fail(http, member.email, 9)[-1] == 429
    assert post_password(http, member.email)["Retry-After"] == "60"


def test_failures_older_than_the_window_do_not_add_up(cast, clock):
    member = cast.member
    http = new_browser("10.0.0.10")
    fail(http, member.email, 9)
    clock.shift(90)
    # Nine old failures are forgotten: this one is the first of a new count.
    assert post_password(http, member.email, WRONG).status_code == 200
    assert post_password(http, member.email).status_code == 302


@pytest.fixture
def redis_down(settings):
    """The production cache, pointed at an address where nothing listens."""
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "kindred.core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    yield
    settings.CACHES = working


def test_lock_out_works_while_redis_is_down(cast, clock, redis_down):
    """Axes keeps its counts in the database: a dead cache changes nothing (and the
    sign-in page never answers 500)."""
    http = new_browser("10.0.0.11")
    assert fail(http, cast.member.email, 10) == [200] * 9 + [429]
    assert post_password(http, cast.member.email).status_code == 429
    assert post_password(new_browser("10.0.0.12"), cast.member_b.email).status_code == 302


def test_the_api_gets_json_when_locked_out(cast, clock, rf):
    from django.contrib.sessions.middleware import SessionMiddleware

    from kindred.accounts.lockout import lockout_response

    request = rf.post("/api/v1/me/", REMOTE_ADDR="10.0.0.13")
    SessionMiddleware(lambda r: None).process_request(request)  # type: ignore[arg-type]
    response = lockout_response(request)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "60"
    assert b"Too many failed sign-in attempts" in response.content
