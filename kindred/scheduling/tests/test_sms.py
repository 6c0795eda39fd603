"""The text-message providers and the webhook signature, against a real HTTP server on
127.0.0.1 (sms_server.py) — nothing of ours is mocked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kindred.scheduling.sms import (
    DisabledSmsProvider,
    SmsError,
    get_sms_provider,
    mask_phone,
    normalise_phone,
)
from kindred.scheduling.sms.console import ConsoleSmsProvider
from kindred.scheduling.sms.http_provider import HttpSmsProvider, MaybeSentError
from kindred.scheduling.sms.signature import compute_signature, signature_is_valid
from kindred.scheduling.tests import sms_server
from kindred.scheduling.tests.reminder_support import console_outbox, http_sms, sms_api

__all__ = ["console_outbox", "http_sms", "sms_api"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 312 555 0100", "+13125550100"),
        ("(312) 555-0100", "+13125550100"),
        ("1-312-555-0100", "+13125550100"),
        ("+44 20 7946 0958", "+442079460958"),
        ("555 01", ""),
        ("", ""),
    ],
)
def test_numbers_are_normalised_to_e164(raw, expected):
    assert normalise_phone(raw) == expected


def test_logs_show_only_the_last_two_digits():
    assert mask_phone("+13125550100") == "…00"


def test_the_settings_choose_the_provider(settings):
    settings.KINDRED_SMS_PROVIDER = "none"
    assert isinstance(get_sms_provider(), DisabledSmsProvider)
    settings.KINDRED_SMS_PROVIDER = "console"
    assert isinstance(get_sms_provider(), ConsoleSmsProvider)
    settings.KINDRED_SMS_PROVIDER = "http"
    settings.KINDRED_SMS_ACCOUNT_SID = ""
    with pytest.raises(ImproperlyConfigured):
        get_sms_provider()
    settings.KINDRED_SMS_PROVIDER = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        get_sms_provider()


def test_disabled_provider_refuses_for_good():
    with pytest.raises(SmsError) as exc:
        DisabledSmsProvider().send("+13125550100", "hello")
    assert exc.value.permanent


def test_console_provider_keeps_an_outbox(console_outbox, caplog):
    caplog.set_level("INFO", logger="kindred.sms")
    provider = get_sms_provider()
    message_id = provider.send("+13125550100", "Group meets Tue. Reply STOP to stop texts.")
    assert message_id.startswith("console-")
    assert [(m.to, m.body) for m in console_outbox] == [
        ("+13125550100", "Group meets Tue. Reply STOP to stop texts.")
    ]
    assert "3125550100" not in caplog.text  # the number is masked in the log
    assert provider.was_sent("+13125550100", console_outbox[0].body, timezone.now()) is None
    since = timezone.now() - timedelta(minutes=1)
    assert provider.was_sent("+13125550100", console_outbox[0].body, since) is True


def test_http_provider_posts_a_twilio_style_form(http_sms):
    provider = get_sms_provider()
    assert isinstance(provider, HttpSmsProvider)
    message_id = provider.send("+13125550100", "Steady Ground meets Tue, 6:00 PM CST.")
    method, path, form, content_type = http_sms.requests[-1]
    assert method == "POST"
    assert path == f"/2010-04-01/Accounts/{sms_server.SID}/Messages.json"
    assert content_type == "application/x-www-form-urlencoded"
    assert form == {
        "To": ["+13125550100"],
        "From": [sms_server.FROM],
        "Body": ["Steady Ground meets Tue, 6:00 PM CST."],
    }
    assert message_id == http_sms.accepted[0].sid


def test_http_provider_with_a_wrong_token_fails_for_good(http_sms, settings):
    settings.KINDRED_SMS_AUTH_TOKEN = "wrong"
    with pytest.raises(SmsError) as exc:
        get_sms_provider().send("+13125550100", "x")
    assert exc.value.permanent
    assert "401" in str(exc.value)
    assert http_sms.accepted == []


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (429, False), (503, False)])
def test_http_errors_say_whether_to_try_again(http_sms, status, permanent):
    http_sms.mode = status
    with pytest.raises(SmsError) as exc:
        get_sms_provider().send("+13125550100", "x")
    assert not isinstance(exc.value, MaybeSentError)
    assert exc.value.permanent is permanent


def test_an_unreachable_provider_sent_nothing(http_sms, settings):
    settings.KINDRED_SMS_BASE_URL = "http://127.0.0.1:9"  # discard port: refused
    with pytest.raises(SmsError) as exc:
        get_sms_provider().send("+13125550100", "x")
    assert not isinstance(exc.value, MaybeSentError)
    assert not exc.value.permanent


def test_no_answer_means_it_may_have_been_sent_and_the_provider_can_say(http_sms):
    http_sms.mode = "accept_then_hang"
    provider = get_sms_provider()
    since = timezone.now() - timedelta(minutes=1)
    with pytest.raises(MaybeSentError):
        provider.send("+13125550100", "Group meets Tue.")
    assert provider.was_sent("+13125550100", "Group meets Tue.", since) is True
    assert provider.was_sent("+13125550100", "Another text.", since) is False
    assert provider.was_sent("+13125550111", "Group meets Tue.", since) is False
    later = timezone.now() + timedelta(minutes=5)
    assert provider.was_sent("+13125550100", "Group meets Tue.", later) is False


def test_a_lookup_that_fails_answers_dont_know(http_sms, settings):
    settings.KINDRED_SMS_AUTH_TOKEN = "wrong"
    assert get_sms_provider().was_sent("+13125550100", "x", timezone.now()) is None


# The example of Twilio's security documentation (webhook signature).
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675310"),
    ("Digits", "1234"),
    ("From", "+14158675310"),
    ("To", "+18005551212"),
]
TWILIO_TOKEN = "12345"  # the documentation's example token


def test_the_signature_matches_twilios_documented_example():
    assert compute_signature(TWILIO_URL, TWILIO_PARAMS, TWILIO_TOKEN) == (
        "GvWf1cFY/Q7PnoempGyD5oXAezc="
    )


def test_a_signature_is_refused_when_anything_differs():
    good = compute_signature(TWILIO_URL, TWILIO_PARAMS, TWILIO_TOKEN)
    assert signature_is_valid(TWILIO_URL, TWILIO_PARAMS, TWILIO_TOKEN, good)
    assert signature_is_valid(TWILIO_URL, list(reversed(TWILIO_PARAMS)), TWILIO_TOKEN, good)
    assert not signature_is_valid(TWILIO_URL + "&x=1", TWILIO_PARAMS, TWILIO_TOKEN, good)
    assert not signature_is_valid(TWILIO_URL, [*TWILIO_PARAMS, ("Body", "x")], TWILIO_TOKEN, good)
    assert not signature_is_valid(TWILIO_URL, TWILIO_PARAMS, "other", good)
    assert not signature_is_valid(TWILIO_URL, TWILIO_PARAMS, "", good)
    assert not signature_is_valid(TWILIO_URL, TWILIO_PARAMS, TWILIO_TOKEN, "")
