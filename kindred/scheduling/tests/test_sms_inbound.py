"""Replies to our texts: the signed webhook at /api/v1/sms/inbound (STOP, START, HELP,
anything else), through the real URL, view and service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client as HttpClient

from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.scheduling.sms.signature import compute_signature

TOKEN = "inbound-test-token"
PATH = "/api/v1/sms/inbound"


@pytest.fixture(autouse=True)
def _token(settings: Any) -> None:
    settings.KINDRED_SMS_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://kindred.example.test"


def post(fields: dict[str, str], *, token: str = TOKEN, signature: str | None = None) -> Any:
    url = "https://kindred.example.test" + PATH
    if signature is None:
        signature = compute_signature(url, list(fields.items()), token)
    return HttpClient().post(
        PATH,
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def with_phone(client: Client, phone: str) -> Client:
    client.phone = phone
    client.sms_reminders = True
    client.save(update_fields=["phone", "sms_reminders"])
    return client


def test_stop_opts_out_every_record_with_that_number(cast):
    with_phone(cast.client, "(312) 555-0100")
    with_phone(cast.client_b, "+1 312 555 0100")
    with_phone(cast.outsider_client, "+1 312 555 0111")
    response = post({"From": "+13125550100", "Body": " stop ", "To": "+13125550199"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "You will get no more text messages from Test Practice" in text
    for client in (cast.client, cast.client_b, cast.outsider_client):
        client.refresh_from_db()
    assert cast.client.sms_opted_out_at is not None
    assert cast.client_b.sms_opted_out_at is not None
    assert cast.outsider_client.sms_opted_out_at is None
    events = AuditEvent.objects.filter(action="scheduling.sms_consent.stopped")
    assert sorted(events.values_list("client_id", flat=True)) == sorted(
        [cast.client.pk, cast.client_b.pk]
    )
    assert all(e.actor_id is None and e.detail["fields"] == ["sms_opted_out_at"] for e in events)


@pytest.mark.parametrize("word", ["STOP", "Unsubscribe", "cancel", "END", "quit", "STOPALL"])
def test_every_stop_word_works(cast, word):
    with_phone(cast.client, "+1 312 555 0100")
    post({"From": "+13125550100", "Body": word})
    cast.client.refresh_from_db()
    assert cast.client.sms_opted_out_at is not None


def test_start_opts_back_in(cast):
    with_phone(cast.client, "+1 312 555 0100")
    post({"From": "+13125550100", "Body": "STOP"})
    response = post({"From": "+13125550100", "Body": "Start"})
    cast.client.refresh_from_db()
    assert cast.client.sms_opted_out_at is None
    assert "again" in response.content.decode()
    assert AuditEvent.objects.filter(action="scheduling.sms_consent.started").count() == 1
    # A second START changes nothing and records nothing.
    post({"From": "+13125550100", "Body": "START"})
    assert AuditEvent.objects.filter(action="scheduling.sms_consent.started").count() == 1


def test_anything_else_is_answered_with_the_crisis_line_and_never_stored(cast):
    with_phone(cast.client, "+1 312 555 0100")
    before = AuditEvent.objects.count()
    body = "I feel really low tonight"
    response = post({"From": "+13125550100", "Body": body})
    text = response.content.decode()
    assert "cannot read replies" in text
    assert "988" in text
    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(detail__icontains="low tonight").exists()
    cast.client.refresh_from_db()
    assert cast.client.sms_opted_out_at is None


def test_help_says_who_we_are(cast):
    response = post({"From": "+13125550100", "Body": "HELP"})
    text = response.content.decode()
    assert "Test Practice sends session reminders by text" in text
    assert "988" in text


def test_the_reply_is_escaped_as_xml(cast):
    cast.practice.name = "Smith & Jones <Counselling>"
    cast.practice.save(update_fields=["name"])
    response = post({"From": "+13125550100", "Body": "STOP"})
    assert "Smith &amp; Jones &lt;Counselling&gt;" in response.content.decode()


@pytest.mark.parametrize(
    "signature", ["", "bm90IGEgc2lnbmF0dXJl", compute_signature("https://elsewhere/", [], TOKEN)]
)
def test_an_unsigned_or_forged_request_changes_nothing(cast, signature):
    with_phone(cast.client, "+1 312 555 0100")
    response = post({"From": "+13125550100", "Body": "STOP"}, signature=signature)
    assert response.status_code == 403
    cast.client.refresh_from_db()
    assert cast.client.sms_opted_out_at is None
    assert AuditEvent.objects.filter(action="scheduling.sms_inbound.denied").count() == 1


def test_a_request_signed_with_another_token_is_refused(cast):
    response = post({"From": "+13125550100", "Body": "STOP"}, token="someone-elses")
    assert response.status_code == 403


def test_without_a_configured_token_everything_is_refused(cast, settings):
    settings.KINDRED_SMS_AUTH_TOKEN = ""
    response = post({"From": "+13125550100", "Body": "STOP"}, token="")
    assert response.status_code == 403
