"""Idempotency-Key on mutating /api/v1/ calls (kindred/api/idempotency.py,
docs/api-idempotency.md). Until settings.MIDDLEWARE lists the middleware, the tests add
it with override_settings; once it is listed the helper leaves the stack as it is.

Each check is a function returning what went wrong, run against the real middleware
(nothing wrong) and against deliberately broken variants defined here (caught)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone

from kindred.accounts.token_services import api_token_create, api_token_revoke
from kindred.api import idempotency
from kindred.api.idempotency import IdempotencyMiddleware, middleware_with_idempotency
from kindred.api.models import IdempotencyKey
from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.core.testing import signed_in

LIST = "/api/v1/clients/"
HERE = "kindred.api.tests.test_idempotency"


def payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "legal_first_name": "Rowan",
        "legal_last_name": "Idem",
        "date_of_birth": "1990-05-17",
        "state_of_residence": "KS",
        "email": "rowan.idem@example.test",
        "phone": "+1 785 555 0199",
        "preferred_modality": "in_person",
    }
    data.update(overrides)
    return data


def another(n: int) -> dict[str, Any]:
    """A second, third... person (so the duplicate check does not answer 409)."""
    return payload(
        legal_first_name=["Sam", "Tia", "Uma", "Vic"][n],
        date_of_birth=f"198{n}-03-0{n + 1}",
        email=f"person{n}@example.test",
        phone=f"+1 785 555 010{n}",
    )


def hash_for(data: Any, path: str = LIST, method: str = "POST") -> str:
    request = HttpRequest()
    request.method = method
    request.path = path
    request.META["CONTENT_TYPE"] = "application/json"
    return idempotency.request_hash(request, json.dumps(data).encode())


def send(http: HttpClient, method: str, url: str, data: Any, key: str | None) -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    call = getattr(http, method.lower())
    return call(url, json.dumps(data), content_type="application/json", **extra)


def stack(middleware: str | None = None) -> list[str]:
    """The middleware list with the real idempotency middleware, or a broken variant."""
    real = middleware_with_idempotency()
    if middleware is None:
        return real
    return [middleware if m == idempotency.MIDDLEWARE_PATH else m for m in real]


def clients_named(last: str) -> int:
    return Client.objects.filter(legal_last_name=last).count()


# --- Checks (each returns a list of problems) -------------------------------------------


def check_replay(http: HttpClient) -> list[str]:
    problems = []
    events_before = AuditEvent.objects.filter(action="clients.client.created").count()
    first = send(http, "POST", LIST, payload(), "create-rowan-1")
    again = send(http, "POST", LIST, payload(), "create-rowan-1")
    if first.status_code != 201:
        problems.append(f"first request answered {first.status_code}")
    if clients_named("Idem") != 1:
        problems.append(f"{clients_named('Idem')} clients created, not 1")
    if again.status_code != first.status_code or again.content != first.content:
        problems.append("the replay differs from the first answer")
    if again.get(idempotency.REPLAYED_HEADER) != "true":
        problems.append("the replay is not marked Idempotent-Replayed: true")
    if first.get(idempotency.REPLAYED_HEADER) is not None:
        problems.append("the first answer is marked as a replay")
    if AuditEvent.objects.filter(action="clients.client.created").count() != events_before + 1:
        problems.append("the view ran twice (two audit events)")
    return problems


def check_mismatch(http: HttpClient) -> list[str]:
    problems = []
    send(http, "POST", LIST, payload(), "create-rowan-2")
    other = send(http, "POST", LIST, payload(legal_last_name="Other"), "create-rowan-2")
    if other.status_code != 422:
        problems.append(f"a different body with the same key answered {other.status_code}")
    elif other.json()["detail"] != idempotency.MESSAGES["mismatch"]:
        problems.append("the 422 does not explain the key was used for another request")
    if clients_named("Other"):
        problems.append("the different request ran")
    return problems


def check_in_progress(http: HttpClient, user_pk: int) -> list[str]:
    """A row still marked running (as the first of two concurrent requests leaves it)."""
    now = timezone.now()
    IdempotencyKey.objects.create(
        owner=f"user:{user_pk}",
        key="busy-key",
        method="POST",
        path=LIST,
        request_hash=hash_for(payload(legal_last_name="Busy")),
        created_at=now,
        expires_at=now + idempotency.KEEP_FOR,
    )
    response = send(http, "POST", LIST, payload(legal_last_name="Busy"), "busy-key")
    problems = []
    if response.status_code != 409:
        problems.append(f"a key still in progress answered {response.status_code}")
    elif "still being processed" not in response.json()["detail"]:
        problems.append("the 409 does not say the request is still being processed")
    if clients_named("Busy"):
        problems.append("the second request ran")
    return problems


# --- Broken variants ---------------------------------------------------------------------


class ForgetfulMiddleware(IdempotencyMiddleware):
    """Broken: never stores anything, so every request runs."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


class BodyBlindMiddleware(IdempotencyMiddleware):
    """Broken: hashes only the method and path, so a different body replays."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        original = idempotency.request_hash
        idempotency.request_hash = lambda req, body: original(req, b"")  # type: ignore[assignment]
        try:
            return super().__call__(request)
        finally:
            idempotency.request_hash = original


class WaitIgnoringMiddleware(IdempotencyMiddleware):
    """Broken: a key that is still in progress is ignored and the request runs."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        IdempotencyKey.objects.filter(status_code=None).delete()
        return super().__call__(request)


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        (None, "replay"),
        (None, "mismatch"),
        (None, "in_progress"),
        (f"{HERE}.ForgetfulMiddleware", "replay"),
        (f"{HERE}.BodyBlindMiddleware", "mismatch"),
        (f"{HERE}.WaitIgnoringMiddleware", "in_progress"),
    ],
)
def test_checks_pass_for_the_middleware_and_catch_broken_variants(cast, variant, check):
    with override_settings(MIDDLEWARE=stack(variant)):
        http = signed_in(cast.coordinator)
        if check == "replay":
            problems = check_replay(http)
        elif check == "mismatch":
            problems = check_mismatch(http)
        else:
            problems = check_in_progress(http, cast.coordinator.pk)
    if variant is None:
        assert problems == []
    else:
        assert problems, f"{variant} was not caught by check_{check}"


# --- The rules ---------------------------------------------------------------------------


@pytest.fixture
def with_keys():
    with override_settings(MIDDLEWARE=stack()):
        yield


def test_the_header_is_optional(cast, with_keys):
    http = signed_in(cast.coordinator)
    assert send(http, "POST", LIST, payload(), None).status_code == 201
    assert send(http, "POST", LIST, another(0), None).status_code == 201
    assert clients_named("Idem") == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_400_and_nothing_runs(cast, with_keys, key):
    response = send(signed_in(cast.coordinator), "POST", LIST, payload(), key)
    assert response.status_code == 400
    assert response.json()["detail"] == idempotency.MESSAGES["invalid"]
    assert clients_named("Idem") == 0


def test_a_body_too_large_to_check_is_413_and_nothing_runs(cast, with_keys):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        response = send(signed_in(cast.coordinator), "POST", LIST, payload(), "big-body")
    assert response.status_code == 413
    assert response.json()["detail"] == idempotency.MESSAGES["too_big"]
    assert clients_named("Idem") == 0
    assert not IdempotencyKey.objects.exists()


def test_keys_belong_to_their_caller(cast, with_keys):
    raw, api_token = api_token_create(
        actor=cast.coordinator, name="Integration", scopes=["clients:write", "clients:read"]
    )
    token = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    session = signed_in(cast.coordinator)
    assert send(token, "POST", LIST, payload(), "shared-key").status_code == 201
    # The same key from the signed-in session is another caller's key: it runs.
    second = send(session, "POST", LIST, another(0), "shared-key")
    assert second.status_code == 201
    assert second.get(idempotency.REPLAYED_HEADER) is None
    assert clients_named("Idem") == 2
    owners = set(IdempotencyKey.objects.values_list("owner", flat=True))
    assert owners == {f"user:{cast.coordinator.pk}", f"token:{api_token.pk}"}
    # The token's own retry replays.
    again = send(token, "POST", LIST, payload(), "shared-key")
    assert again.status_code == 201
    assert again.get(idempotency.REPLAYED_HEADER) == "true"
    # Once the token is revoked, nothing comes back from the store.
    api_token_revoke(actor=cast.coordinator, token=api_token)
    revoked = send(token, "POST", LIST, payload(), "shared-key")
    assert revoked.status_code == 401
    assert revoked.get(idempotency.REPLAYED_HEADER) is None


def test_a_validation_error_is_a_final_answer_and_replays(cast, with_keys):
    http = signed_in(cast.coordinator)
    bad = payload(date_of_birth="2999-01-01")
    first = send(http, "POST", LIST, bad, "bad-dob")
    again = send(http, "POST", LIST, bad, "bad-dob")
    assert first.status_code == again.status_code == 400
    assert again.content == first.content
    assert again[idempotency.REPLAYED_HEADER] == "true"


def test_refusals_release_the_key(cast, with_keys):
    member = signed_in(cast.member)
    refused = send(member, "POST", LIST, payload(), "member-try")
    assert refused.status_code in (403, 404)
    if refused.status_code == 403:
        assert not IdempotencyKey.objects.exists()
    anonymous = send(HttpClient(), "POST", LIST, payload(), "anon-try")
    assert anonymous.status_code in (401, 403)
    assert not IdempotencyKey.objects.filter(key="anon-try").exists()


# Long enough that random ciphertext cannot contain it by chance (a three-letter name
# appeared in a base64 ciphertext once and failed the test).
CANARY_NAME = "Quillonberry Canarywren"


def test_patch_and_get(cast, with_keys):
    http = signed_in(cast.coordinator)
    url = f"{LIST}{cast.client.pk}/"
    first = send(http, "PATCH", url, {"preferred_name": CANARY_NAME}, "patch-1")
    again = send(http, "PATCH", url, {"preferred_name": CANARY_NAME}, "patch-1")
    assert first.status_code == again.status_code == 200
    assert again[idempotency.REPLAYED_HEADER] == "true"
    assert AuditEvent.objects.filter(action="clients.client.updated").count() == 1
    # GETs are never stored, with or without a key.
    got = http.get(url, HTTP_IDEMPOTENCY_KEY="get-key")
    assert got.status_code == 200
    assert not IdempotencyKey.objects.filter(key="get-key").exists()
    # The stored body is encrypted at rest.
    raw = IdempotencyKey.objects.filter(key="patch-1").values_list("response_body", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM api_idempotencykey WHERE key = %s", ["patch-1"])
        [(stored,)] = cursor.fetchall()
    assert CANARY_NAME not in stored
    assert list(raw)


def test_answers_that_are_not_json_or_from_exports_are_not_kept():
    request = HttpRequest()
    request.path = request.path_info = "/api/v1/clients/1/record.pdf"
    json_answer = HttpResponse(b"{}", content_type="application/json")
    assert not idempotency.keeps_body(request, json_answer)
    request.path = request.path_info = "/api/v1/psychotherapy-notes/export/"
    assert not idempotency.keeps_body(request, json_answer)
    request.path = request.path_info = "/api/v1/clients/"
    assert idempotency.keeps_body(request, json_answer)
    assert not idempotency.keeps_body(
        request, HttpResponse(b"%PDF", content_type="application/pdf")
    )
    assert not idempotency.keeps_body(request, HttpResponse(b"a,b", content_type="text/csv"))


def test_a_replay_of_an_answer_not_kept_says_so(cast, with_keys):
    now = timezone.now()
    http = signed_in(cast.coordinator)
    IdempotencyKey.objects.create(
        owner=f"user:{cast.coordinator.pk}",
        key="pdf-key",
        method="POST",
        path=LIST,
        request_hash=hash_for(payload()),
        status_code=200,
        body_kept=False,
        content_type="application/pdf",
        created_at=now,
        expires_at=now + idempotency.KEEP_FOR,
    )
    response = send(http, "POST", LIST, payload(), "pdf-key")
    assert response.status_code == 409
    assert response.json()["detail"] == idempotency.MESSAGES["not_kept"].format(status=200)
    assert response[idempotency.REPLAYED_HEADER] == "true"
    assert clients_named("Idem") == 0


def test_expired_and_abandoned_keys_can_be_used_again(cast, with_keys):
    http = signed_in(cast.coordinator)
    assert send(http, "POST", LIST, payload(), "old-key").status_code == 201
    IdempotencyKey.objects.filter(key="old-key").update(expires_at=timezone.now())
    fresh = send(http, "POST", LIST, another(1), "old-key")
    assert fresh.status_code == 201
    assert fresh.get(idempotency.REPLAYED_HEADER) is None
    long_ago = timezone.now() - idempotency.ABANDONED_AFTER - timedelta(seconds=1)
    IdempotencyKey.objects.filter(key="old-key").update(status_code=None, created_at=long_ago)
    third = send(http, "POST", LIST, another(2), "old-key")
    assert third.status_code == 201
    assert clients_named("Idem") == 3


def test_purge_command_deletes_only_expired_keys(cast, with_keys):
    http = signed_in(cast.coordinator)
    send(http, "POST", LIST, payload(), "keep-me")
    send(http, "POST", LIST, another(3), "purge-me")
    IdempotencyKey.objects.filter(key="purge-me").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "Deleted 1 expired" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["keep-me"]


# --- Real concurrency (PostgreSQL) ---------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: needs concurrent transactions on two connections, which "
    "SQLite cannot run (CI runs the suite on PostgreSQL).",
)


def _in_thread(target: Any) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@postgres_only
def test_a_second_request_while_the_first_runs_gets_409(cast, transactional_db):
    http = signed_in(cast.coordinator)
    url = f"{LIST}{cast.client.pk}/"
    answers: dict[str, Any] = {}
    with override_settings(MIDDLEWARE=stack()):
        # Hold the client's row so the first request waits inside the view.
        with transaction.atomic():
            Client.objects.select_for_update().get(pk=cast.client.pk)
            first = _in_thread(
                lambda: answers.setdefault(
                    "first", send(http, "PATCH", url, {"preferred_name": "Ave"}, "race")
                )
            )
            for _ in range(200):
                if IdempotencyKey.objects.filter(key="race", status_code=None).exists():
                    break
                threading.Event().wait(0.05)
            second = _in_thread(
                lambda: answers.setdefault(
                    "second", send(http, "PATCH", url, {"preferred_name": "Ave"}, "race")
                )
            )
            second.join(timeout=30)
            assert "first" not in answers  # still waiting for the row
        first.join(timeout=30)
        third = send(http, "PATCH", url, {"preferred_name": "Ave"}, "race")
    assert answers["second"].status_code == 409
    assert answers["second"].json()["detail"] == idempotency.MESSAGES["in_progress"]
    assert answers["first"].status_code == 200
    assert third.status_code == 200
    assert third[idempotency.REPLAYED_HEADER] == "true"
    assert AuditEvent.objects.filter(action="clients.client.updated").count() == 1


@pytest.mark.postgres
@postgres_only
def test_simultaneous_requests_with_one_key_run_the_view_once(cast, transactional_db):
    http = signed_in(cast.coordinator)
    count = 4
    barrier = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def go(i: int) -> None:
        barrier.wait(timeout=10)
        answers[i] = send(http, "POST", LIST, payload(), "together")

    with override_settings(MIDDLEWARE=stack()):
        threads = [_in_thread(lambda i=i: go(i)) for i in range(count)]
        for thread in threads:
            thread.join(timeout=60)
    statuses = sorted(a.status_code for a in answers)
    assert clients_named("Idem") == 1
    assert statuses.count(201) >= 1
    ran = [a for a in answers if a.status_code == 201 and not a.get(idempotency.REPLAYED_HEADER)]
    assert len(ran) == 1
    assert all(s in (201, 409) for s in statuses)


# --- Schema ----------------------------------------------------------------------------------


def test_every_mutating_operation_documents_the_header(db):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    before = sum(
        1
        for operations in schema["paths"].values()
        for method, op in operations.items()
        if method.upper() in idempotency.MUTATING
        and any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))
    )
    schema = idempotency.document_idempotency_key(schema)
    validate_schema(schema)  # type: ignore[no-untyped-call]
    mutating = [
        op
        for operations in schema["paths"].values()
        for method, op in operations.items()
        if method.upper() in idempotency.MUTATING
    ]
    assert len(mutating) > 50
    for op in mutating:
        headers = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
        assert len(headers) == 1, op["operationId"]
        assert headers[0]["required"] is False
    reads = [op for ops in schema["paths"].values() for m, op in ops.items() if m == "get"]
    assert not any(
        p.get("name") == "Idempotency-Key" for op in reads for p in op.get("parameters", [])
    )
    # Until settings lists the hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) the
    # generated schema has none; once it does, all of them.
    assert before in (0, len(mutating))
