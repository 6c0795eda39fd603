"""Idempotency keys for mutating API calls (SECURITY.md "Integrity": every mutating API
call accepts an idempotency key). Rules in docs/api-idempotency.md; in short:

* Only ``/api/v1/`` and only POST, PUT, PATCH and DELETE. The header is optional: a
  request without it runs as before. GETs are never stored.
* The key belongs to the caller: a valid bearer token or a signed-in user. For an
  anonymous caller, or a token the API refuses, the key is ignored (nobody to bind a
  stored answer to; the view then refuses the call as usual).
* The first request with a key inserts a row in its own transaction (a unique constraint
  on caller + key) before the view runs; a second request with the same key while the
  first still runs gets 409; after it finished, the same request gets the stored answer
  with ``Idempotent-Replayed: true`` without running the view again; a different request
  (method, path, query or body) gets 422.
* The view runs in one transaction with the recording of its answer, holding a lock on
  the key's row: if the process or the database dies in between, neither the work nor
  the answer is kept, and (PostgreSQL) the unlocked, unfinished key is taken again by
  the client's next try after ``CLAIM_GRACE`` instead of answering 409 for
  ``ABANDONED_AFTER`` and then doing the work a second time (found by the fault run,
  kindred/security/faults). Released answers (below) roll the work back too.
* Only JSON answers are kept (encrypted, 24 hours). Nothing from psychotherapy-notes or
  record exports is kept; a replay of such a request, or of one whose answer was not JSON,
  gets 409 saying so. Answers that are worth retrying (5xx, 401, 403, 408, 425, 429)
  release the key instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed

from kindred.api.authentication import ApiTokenAuthentication
from kindred.api.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PREFIX = "/api/v1/"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEEP_FOR = timedelta(hours=24)
# A request still marked as running after this long died with its process: its key may be
# taken again rather than answering 409 for a day.
ABANDONED_AFTER = timedelta(minutes=5)
# On PostgreSQL a running request holds a row lock on its key for as long as its work is
# uncommitted, so a key that is unfinished and unlocked belongs to a request that died
# (its work rolled back with it) and may be taken at once; only a key claimed this
# recently is left alone (its request is between claiming and locking it).
CLAIM_GRACE = timedelta(seconds=10)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers a client should be free to retry with the same key.
RETRYABLE = frozenset({401, 403, 408, 425, 429})
# Views whose answers are never stored, whatever their content type.
NEVER_KEPT_VIEWS = frozenset(
    {
        "api:v1:psychotherapy_notes_export",
        "api:v1:client_record",
        "api:v1:client_record_pdf",
    }
)
JSON_TYPES = ("application/json", "application/problem+json")

MESSAGES = {
    "invalid": (
        "The Idempotency-Key header must be 1 to 255 visible ASCII characters "
        "(letters, digits and punctuation, no spaces)."
    ),
    "too_big": (
        "This request body is too large to be checked against an Idempotency-Key. Send it "
        "without the header."
    ),
    "in_progress": (
        "A request with this Idempotency-Key is still being processed. Wait for it to "
        "finish, then send the request again to get its answer."
    ),
    "mismatch": (
        "This Idempotency-Key was already used for a different request (the method, path "
        "or body differ). Use a new key for a new request."
    ),
    "not_kept": (
        "This request was already processed (status {status}), but its answer is not kept: "
        "it was not JSON or it came from psychotherapy notes or a record export. Read the "
        "result with a GET, or use a new key to send the request again."
    ),
}


def _problem(http_status: int, code: str, **fmt: object) -> HttpResponse:
    body = {"detail": MESSAGES[code].format(**fmt), "code": f"idempotency_{code}"}
    return HttpResponse(json.dumps(body), status=http_status, content_type="application/json")


def applies(request: HttpRequest) -> bool:
    return request.method in MUTATING and request.path.startswith(PREFIX)


def caller_of(request: HttpRequest) -> str | None:
    """Whose key this is: a valid bearer token (checked exactly as the API checks it, so
    a revoked or expired token never gets a stored answer back) or the signed-in user;
    None for an anonymous caller or a token the API will refuse."""
    try:
        found = ApiTokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None
    if found is not None:
        return f"token:{found[1].pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def request_hash(request: HttpRequest, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (
        request.method or "",
        request.get_full_path(),
        request.headers.get("Content-Type", ""),
    ):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def keeps_body(request: HttpRequest, response: HttpResponse) -> bool:
    """Only JSON answers of views that may be stored; never streams or files."""
    if getattr(response, "streaming", False):
        return False
    if "psychotherapy-notes" in request.path:
        return False
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        view_name = ""
    if view_name in NEVER_KEPT_VIEWS:
        return False
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type in JSON_TYPES


def _claim(
    caller: str, key: str, request: HttpRequest, digest: str
) -> tuple[IdempotencyKey | None, IdempotencyKey | None]:
    """(claimed, existing): the new row, committed before the view runs, or the row that
    already holds this caller's key."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    owner=caller,
                    key=key,
                    method=request.method or "",
                    path=request.path[:2000],
                    request_hash=digest,
                    created_at=now,
                    expires_at=now + KEEP_FOR,
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(owner=caller, key=key).first()
            if existing is None:  # released in between: try once more
                continue
            stale = existing.expires_at <= now or _abandoned(existing, now)
            if not stale:
                return None, existing
            # Expired or abandoned: remove exactly that row (another request may have
            # replaced it meanwhile) and claim again.
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
        else:
            return row, None
    existing = IdempotencyKey.objects.filter(owner=caller, key=key).first()
    return None, existing


def _abandoned(existing: IdempotencyKey, now: datetime) -> bool:
    """Whether an unfinished key's request is gone: older than ``ABANDONED_AFTER``, or
    (PostgreSQL) past ``CLAIM_GRACE`` and not locked by a running request. Its work was
    rolled back with it (the view runs in the transaction that records the answer)."""
    if existing.status_code is not None:
        return False
    if existing.created_at <= now - ABANDONED_AFTER:
        return True
    if not connection.features.has_select_for_update_nowait:
        return False
    if existing.created_at > now - CLAIM_GRACE:
        return False
    try:
        with transaction.atomic():
            list(
                IdempotencyKey.objects.select_for_update(nowait=True)
                .filter(pk=existing.pk, status_code__isnull=True)
                .values_list("pk", flat=True)
            )
    except DatabaseError:  # locked: its request is still running
        return False
    return True


def _replay(request: HttpRequest, row: IdempotencyKey, digest: str) -> HttpResponse:
    if row.request_hash != digest:
        return _problem(422, "mismatch")
    if row.status_code is None:
        return _problem(409, "in_progress")
    if not row.body_kept:
        response = _problem(409, "not_kept", status=row.status_code)
    else:
        response = HttpResponse(
            row.response_body.encode("utf-8"),
            status=row.status_code,
            content_type=row.content_type or "application/json",
        )
    response[REPLAYED_HEADER] = "true"
    return response


def _released(response: HttpResponse) -> bool:
    """Answers worth retrying with the same key: the key is released (and the request's
    work rolled back)."""
    return response.status_code >= 500 or response.status_code in RETRYABLE


def _finish(request: HttpRequest, row: IdempotencyKey, response: HttpResponse) -> None:
    status = response.status_code
    row.status_code = status
    row.content_type = response.get("Content-Type", "")[:100]
    row.body_kept = keeps_body(request, response)
    if row.body_kept:
        try:
            row.response_body = response.content.decode("utf-8")
        except UnicodeDecodeError:
            row.body_kept = False
    row.save(update_fields=["status_code", "content_type", "body_kept", "response_body"])


class IdempotencyMiddleware:
    """Honours ``Idempotency-Key`` on mutating ``/api/v1/`` calls. Must come after
    ``AuthenticationMiddleware`` (it reads ``request.user`` for session callers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:  # noqa: PLR0911 - one per rule
        key = request.headers.get(HEADER)
        if key is None or not applies(request):
            return self.get_response(request)
        if not _KEY_RE.match(key):
            return _problem(400, "invalid")
        caller = caller_of(request)
        if caller is None:
            return self.get_response(request)
        try:
            body = request.body
        except RequestDataTooBig:
            return _problem(413, "too_big")
        digest = request_hash(request, body)
        claimed, existing = _claim(caller, key, request, digest)
        if claimed is None:
            if existing is None:  # pragma: no cover - claimed and released twice in a row
                return _problem(409, "in_progress")
            return _replay(request, existing, digest)
        try:
            # The view's work and the key's answer commit together: a crash in between
            # leaves neither, so the key can be taken again without doing the work
            # twice. The row lock tells other requests this one is still running.
            with transaction.atomic():
                list(
                    IdempotencyKey.objects.select_for_update()
                    .filter(pk=claimed.pk)
                    .values_list("pk", flat=True)
                )
                response = self.get_response(request)
                if _released(response):
                    transaction.set_rollback(True)
                else:
                    _finish(request, claimed, response)
        except BaseException:
            IdempotencyKey.objects.filter(pk=claimed.pk).delete()
            raise
        if _released(response):
            IdempotencyKey.objects.filter(pk=claimed.pk).delete()
        return response


def purge_expired(now: datetime | None = None) -> int:
    """Delete keys past their 24 hours; returns how many."""
    moment = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=moment).delete()
    return deleted


MIDDLEWARE_PATH = "kindred.api.idempotency.IdempotencyMiddleware"


def middleware_with_idempotency() -> list[str]:
    """settings.MIDDLEWARE with this middleware right after the session-timeout and
    account middlewares (for tests until settings.py lists it)."""
    stack = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    anchor = "kindred.accounts.middleware.ManagedAccountPagesMiddleware"
    at = stack.index(anchor) + 1 if anchor in stack else len(stack) - 1
    return [*stack[:at], MIDDLEWARE_PATH, *stack[at:]]


SCHEMA_HOOK_PATH = "kindred.api.idempotency.document_idempotency_key"
_HEADER_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "Optional. A key of your choosing (e.g. a UUID), new for each new request. Sending "
        "the same request again with the same key within 24 hours returns the first answer "
        "(header Idempotent-Replayed: true) without doing it twice; a different request with "
        "the key is refused with 422; while the first is still running, 409."
    ),
}


def document_idempotency_key(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every mutating operation lists the optional
    ``Idempotency-Key`` header (the schema gate: a client cannot send what it does not
    know)."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() not in MUTATING or not isinstance(operation, dict):
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER and p.get("in") == "header" for p in parameters):
                parameters.append(dict(_HEADER_PARAMETER))
    return result
