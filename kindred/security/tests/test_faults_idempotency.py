"""Idempotency keys across a crash (found by the fault run: a PostgreSQL crash left the
keys of requests in flight "in progress"; their clients got 409 for ABANDONED_AFTER and
then, retrying, did the write a second time, because the view's work had committed
apart from the key's answer).

Now the view's work and the key's answer commit together, holding a lock on the key's
row: a request that dies leaves neither, and its unlocked key is taken again at once
(after CLAIM_GRACE) instead of after five minutes.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client as HttpClient
from django.test import RequestFactory, override_settings
from django.urls import path
from django.utils import timezone

from kindred.api import idempotency
from kindred.api.models import IdempotencyKey
from kindred.core.testing import signed_in
from kindred.notifications.models import Notification

_fail_next: list[bool] = [False]


def write_then_fail(request: HttpRequest) -> HttpResponse:
    """Writes a row, then (when told to) fails like a process dying mid-request."""
    Notification.objects.create(
        user=request.user,  # type: ignore[misc]
        kind="faults",
        title=request.body.decode()[:100],
    )
    if _fail_next[0]:
        _fail_next[0] = False
        raise RuntimeError("the request died after its write")
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("api/v1/faults-write/", write_then_fail)]
URL = "/api/v1/faults-write/"


def _post(http: HttpClient, body: str, key: str | None) -> Any:
    headers = {idempotency.HEADER: key} if key else {}
    return http.post(URL, body, content_type="application/json", headers=headers)


def _rows(title: str) -> int:
    return Notification.objects.filter(kind="faults", title=title).count()


@override_settings(ROOT_URLCONF=__name__)
def test_a_request_that_dies_after_writing_leaves_nothing_and_the_retry_writes_once(cast):
    http = signed_in(cast.coordinator)
    http.raise_request_exception = False
    _fail_next[0] = True
    first = _post(http, '"died"', "key-died")
    assert first.status_code == 500
    assert _rows('"died"') == 0  # rolled back with the request
    again = _post(http, '"died"', "key-died")
    assert again.status_code == 201
    assert _rows('"died"') == 1


@override_settings(ROOT_URLCONF=__name__)
def test_broken_variant_without_a_key_the_dead_request_write_stays_and_is_repeated(cast):
    """The same client without a key: the dead request's write is kept and the retry
    writes again; the count above would catch it."""
    http = signed_in(cast.coordinator)
    http.raise_request_exception = False
    _fail_next[0] = True
    assert _post(http, '"nokey"', None).status_code == 500
    assert _post(http, '"nokey"', None).status_code == 201
    assert _rows('"nokey"') == 2


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: tells a running request from a dead one by a row lock "
    "(SELECT ... FOR UPDATE NOWAIT), which SQLite does not have; there keys wait for "
    "ABANDONED_AFTER as before (CI runs the suite on PostgreSQL).",
)


def _dead_request_key(owner: str, key: str, body: str, seconds_ago: float) -> IdempotencyKey:
    """A key as a request that died leaves it: claimed, never finished, not locked."""
    request = RequestFactory().post(URL, body, content_type="application/json")
    digest = idempotency.request_hash(request, body.encode())
    now = timezone.now() - timedelta(seconds=seconds_ago)
    return IdempotencyKey.objects.create(
        owner=owner,
        key=key,
        method="POST",
        path=URL,
        request_hash=digest,
        created_at=now,
        expires_at=now + idempotency.KEEP_FOR,
    )


@pytest.mark.postgres
@postgres_only
@override_settings(ROOT_URLCONF=__name__)
def test_an_unlocked_unfinished_key_is_taken_again_after_the_grace(cast):
    http = signed_in(cast.coordinator)
    owner = f"user:{cast.coordinator.pk}"
    grace = idempotency.CLAIM_GRACE.total_seconds()
    _dead_request_key(owner, "fresh", '"fresh"', seconds_ago=0)
    assert _post(http, '"fresh"', "fresh").status_code == 409  # just claimed: wait
    _dead_request_key(owner, "dead", '"dead"', seconds_ago=grace + 1)
    answer = _post(http, '"dead"', "dead")
    assert answer.status_code == 201  # not 409 for five minutes
    assert _rows('"dead"') == 1
    assert IdempotencyKey.objects.get(owner=owner, key="dead").status_code == 201


@pytest.mark.postgres
@postgres_only
@override_settings(ROOT_URLCONF=__name__)
def test_a_key_locked_by_its_running_request_is_still_409(cast, transactional_db):
    http = signed_in(cast.coordinator)
    owner = f"user:{cast.coordinator.pk}"
    grace = idempotency.CLAIM_GRACE.total_seconds()
    row = _dead_request_key(owner, "running", '"running"', seconds_ago=grace + 1)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(IdempotencyKey.objects.select_for_update().filter(pk=row.pk))
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        answer = _post(http, '"running"', "running")
    finally:
        release.set()
        holder.join(30)
    assert answer.status_code == 409
    assert _rows('"running"') == 0
