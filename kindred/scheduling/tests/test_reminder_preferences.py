"""Reminder preferences: the service's rules, a member's own page and a coordinator's
page for a client. Bad input is shown beside its field and nothing is saved."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.core.errors import NotPermitted, ValidationFailed
from kindred.core.testing import signed_in
from kindred.scheduling.reminder_preferences import reminder_preferences_set


def saved(client: Client) -> tuple[bool, bool, str, datetime | None]:
    client.refresh_from_db()
    return (client.email_reminders, client.sms_reminders, client.phone, client.sms_opted_out_at)


def test_a_member_turns_texts_on_with_a_mobile_number(cast):
    reminder_preferences_set(
        actor=cast.member,
        client=cast.client,
        email_reminders=False,
        sms_reminders=True,
        phone=" +1 312 555 0100 ",
    )
    assert saved(cast.client) == (False, True, "+1 312 555 0100", None)
    event = AuditEvent.objects.get(action="scheduling.reminder_preferences.updated")
    assert event.client_id == cast.client.pk
    assert event.detail["fields"] == ["email_reminders", "phone", "sms_reminders"]
    assert "0100" not in str(event.detail)


def test_texts_need_a_number_and_nothing_is_saved_otherwise(cast):
    before = saved(cast.client)
    with pytest.raises(ValidationFailed) as exc:
        reminder_preferences_set(
            actor=cast.member, client=cast.client, email_reminders=False, sms_reminders=True
        )
    assert exc.value.errors == {"phone": ["Add a mobile number to get text messages."]}
    with pytest.raises(ValidationFailed) as exc:
        reminder_preferences_set(
            actor=cast.member,
            client=cast.client,
            email_reminders=False,
            sms_reminders=True,
            phone="call me",
        )
    assert list(exc.value.errors) == ["phone"]
    assert saved(cast.client) == before
    assert not AuditEvent.objects.filter(action="scheduling.reminder_preferences.updated")


def test_only_the_member_or_client_managers_may_change_them(cast):
    for actor in (cast.member_b, cast.facilitator, cast.billing):
        with pytest.raises(NotPermitted):
            reminder_preferences_set(
                actor=actor, client=cast.client, email_reminders=False, sms_reminders=False
            )
    reminder_preferences_set(
        actor=cast.coordinator, client=cast.client, email_reminders=False, sms_reminders=False
    )
    assert saved(cast.client)[0] is False


def test_after_stop_only_the_member_can_turn_texts_back_on(cast):
    stopped = timezone.now() - timedelta(days=2)
    cast.client.phone = "+1 312 555 0100"
    cast.client.sms_opted_out_at = stopped
    cast.client.save(update_fields=["phone", "sms_opted_out_at"])
    with pytest.raises(ValidationFailed) as exc:
        reminder_preferences_set(
            actor=cast.coordinator, client=cast.client, email_reminders=True, sms_reminders=True
        )
    assert "replied STOP" in exc.value.errors["sms_reminders"][0]
    assert saved(cast.client)[1:] == (False, "+1 312 555 0100", stopped)
    reminder_preferences_set(
        actor=cast.member, client=cast.client, email_reminders=True, sms_reminders=True
    )
    assert saved(cast.client)[1:] == (True, "+1 312 555 0100", None)


def test_the_member_page_shows_and_saves_the_choices(cast):
    http = signed_in(cast.member)
    account = http.get("/account/")
    assert account.status_code == 200
    assert "Session reminders" in account.content.decode()
    page = http.get("/account/reminders/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your reminders" in html
    assert 'type="tel"' in html
    response = http.post(
        "/account/reminders/",
        {"email_reminders": "on", "sms_reminders": "on", "phone": "+1 312 555 0100"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/#reminders"
    assert saved(cast.client)[:3] == (True, True, "+1 312 555 0100")


def test_the_member_page_shows_the_error_beside_the_phone_and_saves_nothing(cast):
    before = saved(cast.client)
    response = signed_in(cast.member).post(
        "/account/reminders/", {"email_reminders": "on", "sms_reminders": "on", "phone": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Add a mobile number to get text messages." in html
    assert 'aria-invalid="true"' in html
    assert saved(cast.client) == before


def test_staff_have_no_member_reminder_page(cast):
    assert signed_in(cast.coordinator).get("/account/reminders/").status_code == 404


def test_a_coordinator_changes_a_clients_reminders_from_the_record(cast):
    http = signed_in(cast.coordinator)
    detail = http.get(f"/clients/{cast.client.pk}/")
    assert f"/clients/{cast.client.pk}/reminders/" in detail.content.decode()
    page = http.get(f"/clients/{cast.client.pk}/reminders/")
    assert "Reminders for Avery Member" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="clients.client.viewed", actor=cast.coordinator, client_id=cast.client.pk
    ).exists()
    response = http.post(f"/clients/{cast.client.pk}/reminders/", {"phone": ""})
    assert response.status_code == 302
    assert saved(cast.client)[:2] == (False, False)


@pytest.mark.parametrize("who", ["member", "member_b", "outsider", "facilitator_b"])
def test_others_cannot_open_a_clients_reminder_page(cast, who):
    response = signed_in(getattr(cast, who)).get(f"/clients/{cast.client.pk}/reminders/")
    assert response.status_code == 404


def test_those_who_can_see_but_not_change_a_record_are_refused(cast):
    # The facilitator sees their group's clients but does not manage records.
    response = signed_in(cast.facilitator).post(
        f"/clients/{cast.client.pk}/reminders/", {"phone": ""}
    )
    assert response.status_code == 403
    assert saved(cast.client)[0] is True
