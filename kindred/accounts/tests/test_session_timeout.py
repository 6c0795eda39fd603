"""Automatic log-off: idle time-outs (practice setting), 12 hours at most, and sign-out
or deactivation ending sessions at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session

from kindred.accounts.services import user_deactivate
from kindred.accounts.tests.flows import new_browser, sign_in
from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.practice.models import Practice
from kindred.practice.settings import forget_practice_settings


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC), tick=False) as t:
        yield t


def signed_out_to_login(response) -> bool:
    return bool(response.status_code == 302 and response["Location"].startswith("/accounts/login/"))


@pytest.mark.parametrize(
    ("who", "page", "minutes"),
    [("coordinator", "/home/coordinator/", 15), ("member", "/home/member/", 30)],
)
def test_default_idle_time_outs(cast, clock, who, page, minutes):
    http = signed_in(getattr(cast, who))
    assert http.get(page).status_code == 200
    # Activity keeps the session alive ...
    for _ in range(3):
        clock.shift(timedelta(minutes=minutes - 1))
        assert http.get(page).status_code == 200
    # ... idleness ends it.
    clock.shift(timedelta(minutes=minutes, seconds=1))
    response = http.get(page)
    assert signed_out_to_login(response)
    assert response["Location"] == f"/accounts/login/?next=%2Fhome%2F{page.split('/')[2]}%2F"
    login_page = http.get(response["Location"]).content.decode()
    assert f"You were signed out after {minutes} minutes without activity." in login_page
    # The old session is gone, not just hidden.
    assert signed_out_to_login(http.get(page))
    event = AuditEvent.objects.get(action="accounts.session.signed_out")
    assert event.actor_id == getattr(cast, who).pk
    assert event.detail == {"reason": "idle_timeout"}


def test_the_practice_profile_sets_the_idle_time_out(cast, clock):
    Practice.objects.filter(pk=cast.practice.pk).update(
        staff_idle_minutes=5, member_idle_minutes=45
    )
    forget_practice_settings()
    staff = signed_in(cast.coordinator)
    member = signed_in(cast.member)
    staff.get("/home/coordinator/")
    member.get("/home/member/")
    clock.shift(timedelta(minutes=5, seconds=1))
    assert signed_out_to_login(staff.get("/home/coordinator/"))
    assert member.get("/home/member/").status_code == 200
    clock.shift(timedelta(minutes=44))
    assert member.get("/home/member/").status_code == 200
    clock.shift(timedelta(minutes=45, seconds=1))
    response = member.get("/home/member/")
    assert signed_out_to_login(response)
    assert "after 45 minutes" in member.get(response["Location"]).content.decode()


def test_twelve_hours_at_most_however_active(cast, clock):
    http = signed_in(cast.member)
    for _ in range(12 * 6):
        assert http.get("/home/member/").status_code == 200
        clock.shift(timedelta(minutes=10))
    clock.shift(timedelta(seconds=1))
    response = http.get("/home/member/")
    assert signed_out_to_login(response)
    login_page = http.get(response["Location"]).content.decode()
    assert "signed in for 12 hours" in login_page
    event = AuditEvent.objects.get(action="accounts.session.signed_out")
    assert event.detail == {"reason": "absolute_timeout"}


def test_api_and_htmx_requests_get_answers_they_understand(cast, clock):
    api = signed_in(cast.member)
    api.get("/api/v1/me/")
    htmx = signed_in(cast.member)
    htmx.get("/home/member/")
    clock.shift(timedelta(minutes=31))

    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert "without activity" in response.json()["detail"]

    response = htmx.get("/home/member/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/"


def test_signing_in_starts_the_clocks_afresh(cast, clock):
    """The 12-hour clock starts at each sign-in, not at the first one in this browser."""
    http = new_browser()
    sign_in(http, cast.member.email)
    clock.shift(timedelta(hours=11, minutes=50))
    # (Idle for hours, so that session ended; a new sign-in starts a new 12 hours.)
    assert signed_out_to_login(http.get("/home/member/"))
    sign_in(http, cast.member.email)
    clock.shift(timedelta(minutes=20))
    assert http.get("/home/member/").status_code == 200


def test_sign_out_ends_the_session_on_the_server(cast, clock):
    http = new_browser()
    sign_in(http, cast.member.email)
    key = http.session.session_key
    assert key
    assert Session.objects.filter(session_key=key).exists()
    response = http.post("/accounts/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    # allauth's record of it goes the next time the sessions are listed.
    assert UserSession.objects.purge_and_list(cast.member) == []
    # Replaying the old cookie does not bring it back.
    replay = new_browser()
    replay.cookies["sessionid"] = key
    assert signed_out_to_login(replay.get("/home/member/"))
    event = AuditEvent.objects.get(action="accounts.session.signed_out")
    assert event.detail == {"reason": "signed_out"}


def test_deactivation_ends_every_session_at_once(cast, clock):
    member = cast.member
    laptop, phone = new_browser("10.1.0.1"), new_browser("10.1.0.2")
    sign_in(laptop, member.email)
    sign_in(phone, member.email)
    keys = {laptop.session.session_key, phone.session.session_key}
    assert set(UserSession.objects.filter(user=member).values_list("session_key", flat=True)) == (
        keys
    )
    assert laptop.get("/home/member/").status_code == 200

    user_deactivate(actor=cast.admin, user=member, reason="Moved away")

    assert not UserSession.objects.filter(user=member).exists()
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert signed_out_to_login(laptop.get("/home/member/"))
    assert signed_out_to_login(phone.get("/home/member/"))


def test_other_sessions_can_be_ended_from_the_account_page(cast, clock):
    member = cast.member
    laptop, phone = new_browser("10.1.0.3"), new_browser("10.1.0.4")
    sign_in(laptop, member.email)
    sign_in(phone, member.email)
    page = laptop.get("/account/").content.decode()
    assert "Sign out everywhere else" in page
    assert "10.1.0.4" in page
    laptop.post("/accounts/sessions/")
    assert laptop.get("/home/member/").status_code == 200
    assert signed_out_to_login(phone.get("/home/member/"))


def test_the_absolute_limit_is_a_setting(cast, clock, settings):
    settings.KINDRED_SESSION_ABSOLUTE_HOURS = 2
    http = signed_in(cast.member)
    for _ in range(2 * 6):
        assert http.get("/home/member/").status_code == 200
        clock.shift(timedelta(minutes=10))
    clock.shift(timedelta(seconds=1))
    response = http.get("/home/member/")
    assert signed_out_to_login(response)
    assert "signed in for 2 hours" in http.get(response["Location"]).content.decode()
