"""The fault battery's checks, small and in-process (the full run with its own
PostgreSQL cluster, Redis and gunicorn is ``python -m kindred.security.faults``):

- the ledger reconciliation counts lost and duplicated writes (made-up ledgers);
- a writer whose first answers are lost and who sends the write again: with its
  Idempotency-Key nothing is stored twice; the broken writer (no key) stores duplicates
  and the reconciliation reports them — through the real middleware stack and API;
- Redis down: the sign-in form (django-axes still counting failures) and the clinical
  pages answer as usual with the production cache pointed at a dead Redis; the broken
  variant (Django's plain Redis cache) is caught by the same check.
"""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import pytest
from axes.models import AccessFailureLog
from django.test import Client as HttpClient
from django.test import override_settings

from kindred.accounts.token_services import api_token_create
from kindred.core.testing import PASSWORD, Cast, signed_in
from kindred.scheduling.models import GroupSession
from kindred.security.faults.client import Answer
from kindred.security.faults.ledger import CONNECTION_ERROR, Ledger, Write, reconcile
from kindred.security.faults.scenarios import send_until_answered
from kindred.space.access import get_space_for
from kindred.space.models import Post
from kindred.space.services import thread_create

# --- the reconciliation on its own --------------------------------------------------------


def _write(ledger: Ledger, payload: str, *outcomes: int | str) -> Write:
    write = ledger.begin(payload, f"key-{payload}")
    for outcome in outcomes:
        ledger.answer(write, outcome)
    return write


def test_reconcile_counts_lost_duplicated_and_unacknowledged_writes():
    ledger = Ledger()
    _write(ledger, "a", 201)
    _write(ledger, "b", 503, 201)  # retried after the outage, stored once
    _write(ledger, "c", 201)  # acknowledged, then lost
    _write(ledger, "d", CONNECTION_ERROR, 201)  # stored twice
    _write(ledger, "e", 503, 503)  # never acknowledged, stored once
    _write(ledger, "f", 500)  # never acknowledged, not stored
    result = reconcile(ledger.writes, ["a", "b", "d", "d", "e", "zz"])
    assert result.acknowledged == 4
    assert result.lost == 1
    assert result.lost_payloads == ["c"]
    assert result.duplicates == 1
    assert result.duplicated_payloads == ["d"]
    assert result.unacknowledged_stored == 1
    assert result.unacknowledged_missing == 1
    assert result.unexpected == 1
    assert result.answered_503 == 3
    assert result.server_errors == 1
    assert result.connection_errors == 1
    assert not result.ok


def test_reconcile_of_a_clean_ledger_is_ok():
    ledger = Ledger()
    for i in range(5):
        _write(ledger, f"p{i}", 503, 201)
    result = reconcile(ledger.writes, [f"p{i}" for i in range(5)])
    assert result.ok
    assert (result.lost, result.duplicates, result.unexpected) == (0, 0, 0)


def test_a_payload_cannot_be_used_twice_in_one_ledger():
    ledger = Ledger()
    ledger.begin("same", None)
    with pytest.raises(ValueError, match="payload used twice"):
        ledger.begin("same", None)


# --- lost answers and retries through the real API ------------------------------------


def _answer(response: Any) -> Answer:
    return Answer(
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
    )


def _lossy_writes(cast: Cast, *, keyed: bool, writes: int) -> dict[str, Any]:
    raw, _token = api_token_create(
        actor=cast.facilitator, name="faults", scopes=["space:read", "space:write"]
    )
    post = thread_create(
        actor=cast.facilitator,
        access=get_space_for(cast.facilitator, cast.group_a.pk),
        title="Ledger",
        body="The ledger's writes reply here.",
    )
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    path = f"/api/v1/space/threads/{post.thread_id}/posts/"
    prefix = f"lossy {uuid.uuid4().hex[:6]} "
    ledger = Ledger()
    for i in range(writes):
        write = ledger.begin(f"{prefix}{i}", f"k-{uuid.uuid4()}" if keyed else None)
        headers = {"Idempotency-Key": write.key} if write.key else {}

        def send(w: Write = write, h: dict[str, str] = headers) -> Answer:
            body = {"body": w.payload}
            return _answer(http.post(path, body, content_type="application/json", headers=h))

        send_until_answered(
            ledger, write, send, deadline=time.monotonic() + 30, lose_first_answer=True
        )
    stored = Post.objects.filter(thread_id=post.thread_id, body__startswith=prefix)
    return reconcile(ledger.writes, stored.values_list("body", flat=True)).as_dict()


def test_a_writer_retrying_with_its_idempotency_key_stores_each_write_once(cast):
    result = _lossy_writes(cast, keyed=True, writes=4)
    assert result["acknowledged"] == 4
    assert result["requests"] == 8  # every write sent twice: the first answer was lost
    assert result["lost"] == 0
    assert result["duplicates"] == 0


def test_broken_variant_a_writer_retrying_without_a_key_is_caught(cast):
    result = _lossy_writes(cast, keyed=False, writes=4)
    assert result["acknowledged"] == 4
    assert result["duplicates"] == 4  # the reconciliation sees every second copy
    assert result["lost"] == 0


# --- Redis down -------------------------------------------------------------------------


def _dead_redis_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cache(backend: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": backend,
            "LOCATION": f"redis://127.0.0.1:{_dead_redis_port()}/0",
            "KEY_PREFIX": "kindred",
        }
    }


def _status(http: HttpClient, method: str, path: str, data: Any = None) -> int | str:
    try:
        response = http.post(path, data) if method == "POST" else http.get(path)
    except Exception as exc:  # the broken variant raises: that is what is caught
        return type(exc).__name__
    return int(response.status_code)


def _sign_in_and_pages(cast: Cast) -> dict[str, Any]:
    session = GroupSession.objects.filter(group=cast.group_a).order_by("starts_at").first()
    assert session is not None
    member = HttpClient()
    wrong = [
        _status(
            HttpClient(),
            "POST",
            "/accounts/login/",
            {"login": cast.member_b.email, "password": "x"},
        )
        for _ in range(3)
    ]
    results: dict[str, Any] = {
        "wrong_passwords": wrong,
        "failures_recorded": AccessFailureLog.objects.filter(username=cast.member_b.email).count(),
        "member_sign_in": _status(
            member, "POST", "/accounts/login/", {"login": cast.member.email, "password": PASSWORD}
        ),
    }
    staff = signed_in(cast.facilitator)
    results["client_chart"] = _status(staff, "GET", f"/clients/{cast.client.pk}/")
    results["attendance_sheet"] = _status(staff, "GET", f"/sessions/{session.pk}/attendance/")
    results["member_home"] = _status(member, "GET", "/home/member/")
    return results


def _works_as_usual(results: dict[str, Any]) -> bool:
    return (
        results["wrong_passwords"] == [200, 200, 200]
        and results["failures_recorded"] == 3
        and results["member_sign_in"] == 302
        and all(results[k] == 200 for k in ("client_chart", "attendance_sheet", "member_home"))
    )


def test_with_redis_down_sign_in_and_clinical_pages_work(cast):
    with override_settings(CACHES=_cache("kindred.core.cache.ResilientRedisCache")):
        results = _sign_in_and_pages(cast)
    assert _works_as_usual(results), sorted(results.items())


def test_broken_variant_a_cache_that_fails_with_redis_is_caught(cast):
    with override_settings(CACHES=_cache("django.core.cache.backends.redis.RedisCache")):
        results = _sign_in_and_pages(cast)
    assert not _works_as_usual(results), sorted(results.items())
