"""A practice or group name may hold a line break (forms and the API accept one inside
a name). Found by the XSS battery: calendar files and e-mail subjects carried it into a
header or property line, and the calendar download answered 500 and the mails were
never sent. Each place now makes it one line."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client as HttpClient

from kindred.accounts.services import send_staff_welcome
from kindred.core.testing import Cast, signed_in
from kindred.practice.models import Practice
from kindred.practice.settings import forget_practice_settings
from kindred.scheduling.models import GroupSession


@pytest.fixture
def broken_practice_name(cast: Cast) -> None:
    Practice.objects.filter(pk=1).update(name="Kindred\nCounseling")
    if not Practice.objects.filter(pk=1).exists():
        pytest.fail("the test cast has no practice profile")
    forget_practice_settings()


def test_a_group_name_with_a_line_break_still_makes_a_calendar(cast: Cast) -> None:
    cast.group_a.name = "Steady\r\nGround"
    cast.group_a.save(update_fields=["name"])
    session = GroupSession.objects.filter(group=cast.group_a).order_by("starts_at").first()
    assert session is not None
    response = signed_in(cast.member).get(f"/calendar/sessions/{session.pk}.ics", secure=True)
    assert response.status_code == 200
    assert b"X-WR-CALNAME:Steady Ground" in response.content


@pytest.mark.usefixtures("broken_practice_name")
def test_a_practice_name_with_a_line_break_still_lets_the_welcome_go(cast: Cast) -> None:
    mail.outbox.clear()
    send_staff_welcome(cast.coordinator.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your staff account at Kindred Counseling"
    mail.outbox[0].message()  # a header with a line break raises here


@pytest.mark.usefixtures("broken_practice_name")
def test_a_practice_name_with_a_line_break_still_lets_a_password_reset_go(cast: Cast) -> None:
    mail.outbox.clear()
    response = HttpClient().post(
        "/accounts/password/reset/", {"email": cast.member.email}, secure=True
    )
    assert response.status_code in (200, 302)
    assert len(mail.outbox) == 1
    assert "\n" not in mail.outbox[0].subject
    mail.outbox[0].message()
