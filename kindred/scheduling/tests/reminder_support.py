"""Shared by the reminder and text-message tests: the fake SMS API as a fixture, the
settings that point the HTTP provider at it, and a session of the cast's group A."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from kindred.groups.models import TherapyGroup
from kindred.scheduling.models import GroupSession
from kindred.scheduling.sms import console
from kindred.scheduling.tests import sms_server


@pytest.fixture
def sms_api() -> Iterator[sms_server.FakeSmsApi]:
    yield from sms_server.serve()


@pytest.fixture
def http_sms(settings: Any, sms_api: sms_server.FakeSmsApi) -> sms_server.FakeSmsApi:
    settings.KINDRED_SMS_PROVIDER = "http"
    settings.KINDRED_SMS_BASE_URL = sms_api.url
    settings.KINDRED_SMS_ACCOUNT_SID = sms_server.SID
    settings.KINDRED_SMS_AUTH_TOKEN = sms_server.TOKEN
    settings.KINDRED_SMS_FROM = sms_server.FROM
    settings.KINDRED_SMS_TIMEOUT_SECONDS = 0.5
    return sms_api


@pytest.fixture
def console_outbox(settings: Any) -> Iterator[list[console.SentSms]]:
    settings.KINDRED_SMS_PROVIDER = "console"
    console.outbox.clear()
    yield console.outbox
    console.outbox.clear()


def next_session(group: TherapyGroup, n: int = 0) -> GroupSession:
    return group.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at")[n]


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)
