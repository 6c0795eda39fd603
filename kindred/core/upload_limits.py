"""Request body limits and upload type checks (issue 9; docs/security.md "Input").

``RequestSizeLimitMiddleware`` sits early in ``MIDDLEWARE`` and refuses, before any part
of the body is read or stored:

- a declared ``Content-Length`` above ``KINDRED_MAX_REQUEST_BYTES`` (413);
- a chunked body (no ``Content-Length``) that grows past the limit (413): it is read into
  memory up to the limit plus one byte, never further, and only when the server marks the
  stream as terminated (gunicorn does); otherwise 411 Length Required;
- a malformed ``Content-Length`` (400);
- a multipart body carrying a file to a view that takes none (400): files are refused by
  an upload handler at the first byte of the file, so nothing reaches
  ``FILE_UPLOAD_TEMP_DIR``. Views that do take files are listed by URL name in
  ``KINDRED_UPLOAD_VIEWS`` and install their own size-limited handler;
- too many fields or files (Django's ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` and
  ``DATA_UPLOAD_MAX_NUMBER_FILES``; 400).

Every refusal is a short plain-language page (JSON ``{"detail": ...}`` under ``/api/``
and ``/fhir/``). ``sniff_content_type`` and ``check_upload`` are for upload fields: the
type is decided from the first bytes, never from the name or the declared type.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable, Collection, Mapping
from io import BytesIO
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

log = logging.getLogger(__name__)

DEFAULT_MAX_REQUEST_BYTES = 2_621_440  # 2.5 MiB, Django's own default for form data

TOO_LARGE = "This request is too large. Kindred accepts at most {size} in one request."
NO_FILES = "This page does not accept files. Nothing was saved."
TOO_MANY = "This request has too many fields or files. Nothing was saved."
BAD_LENGTH = "This request could not be read (its Content-Length is not a number)."
NEED_LENGTH = "This request must say how large it is (Content-Length). Nothing was saved."
UNREADABLE = "This request could not be read. Nothing was saved."


def max_request_bytes() -> int:
    return int(getattr(settings, "KINDRED_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} bytes"


class FileNotAccepted(MultiPartParserError):
    """A multipart body carried a file to a view that takes none."""


class RefuseFilesUploadHandler(FileUploadHandler):
    """Stops the parse at the first file part, before a byte of it is kept anywhere."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise FileNotAccepted(NO_FILES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        raise FileNotAccepted(NO_FILES)  # pragma: no cover - new_file refused already

    def file_complete(self, file_size: int) -> None:
        return None  # pragma: no cover - new_file refused already


def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith(("/api/", "/fhir/")):
        return HttpResponse(
            json.dumps({"detail": message}).encode("utf-8"),
            status=status,
            content_type="application/json",
        )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Request refused · Kindred</title></head>"
        f"<body><main><h1>Request refused</h1><p>{html.escape(message)}</p>"
        "<p>Go back and try again with less.</p></main></body></html>"
    )
    return HttpResponse(page.encode("utf-8"), status=status, content_type="text/html")


def _takes_files(request: HttpRequest) -> bool:
    allowed: Collection[str] = getattr(settings, "KINDRED_UPLOAD_VIEWS", ())
    if not allowed:
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in allowed


class RequestSizeLimitMiddleware:
    """Refuses oversized bodies and unwanted files before the body is read or stored.

    Must come before anything that reads ``request.body``, ``request.POST`` or
    ``request.FILES`` (CSRF, the idempotency keys, authentication backends)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._check(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        limit = max_request_bytes()
        too_large = TOO_LARGE.format(size=human_size(limit))
        declared = (request.META.get("CONTENT_LENGTH") or "").strip()
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared:
            if not declared.isdigit():
                return _refusal(request, 400, BAD_LENGTH)
            if int(declared) > limit:
                log.warning("request refused: Content-Length %s over %s", declared, limit)
                return _refusal(request, 413, too_large)
        elif chunked:
            refused = self._take_chunked(request, limit, too_large)
            if refused is not None:
                return refused
        if request.content_type == "multipart/form-data" and not _takes_files(request):
            return self._parse_without_files(request, too_large)
        return None

    def _take_chunked(
        self, request: HttpRequest, limit: int, too_large: str
    ) -> HttpResponse | None:
        stream = request.META.get("wsgi.input")
        if stream is None or not request.META.get("wsgi.input_terminated"):
            # The server cannot tell where the body ends: Django would see no body at all.
            return _refusal(request, 411, NEED_LENGTH)
        data = stream.read(limit + 1)
        if len(data) > limit:
            log.warning("request refused: chunked body over %s", limit)
            return _refusal(request, 413, too_large)
        # From here on the request behaves as if it had declared its length.
        request.META["CONTENT_LENGTH"] = str(len(data))
        request._stream = LimitedStream(BytesIO(data), len(data))  # type: ignore[assignment]
        return None

    def _parse_without_files(self, request: HttpRequest, too_large: str) -> HttpResponse | None:
        request.upload_handlers = [RefuseFilesUploadHandler(request)]
        if request.method != "POST":
            return None  # never parsed by Django; a parser that tries meets the handler
        try:
            # Keep the raw body (bounded by the check above) so later readers of
            # request.body still work, then parse the fields from memory.
            request.body  # noqa: B018 - read for its effect
            request.POST  # noqa: B018 - parse now, while a refusal is still clean
        except FileNotAccepted:
            return _refusal(request, 400, NO_FILES)
        except RequestDataTooBig:
            return _refusal(request, 413, too_large)
        except (TooManyFieldsSent, TooManyFilesSent):
            return _refusal(request, 400, TOO_MANY)
        except MultiPartParserError:
            return _refusal(request, 400, UNREADABLE)
        return None


# --- JSON bodies -----------------------------------------------------------------------


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, except that a body nested too deeply for Python's decoder (a
    100 KB ``[[[[...`` is enough) is a 400 like any other malformed JSON, not a 500."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc


# --- upload type checks --------------------------------------------------------------

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
_EXTENSIONS: dict[str, frozenset[str]] = {
    PDF: frozenset({".pdf"}),
    PNG: frozenset({".png"}),
    JPEG: frozenset({".jpg", ".jpeg"}),
}
SNIFF_BYTES = 16


def sniff_content_type(head: bytes) -> str | None:
    """The type the first bytes prove (PDF, PNG, JPEG), or None when none matches."""
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    return None


def check_upload(
    upload: UploadedFile[bytes], *, allowed: Collection[str], max_bytes: int | None = None
) -> str:
    """Returns the sniffed type of ``upload`` or raises ``ValidationError`` when the file
    is too large, its content is none of ``allowed``, or its declared type or file
    extension says something else than its content (a PNG named ``.pdf`` is refused)."""
    limit = max_bytes if max_bytes is not None else max_request_bytes()
    size = upload.size or 0
    if size > limit:
        raise ValidationError(
            "The file is too large (at most %(size)s).",
            code="too_large",
            params={"size": human_size(limit)},
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = sniff_content_type(head)
    if kind is None or kind not in allowed:
        raise ValidationError("This type of file is not accepted here.", code="bad_type")
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared and declared not in ("application/octet-stream", kind):
        raise ValidationError(
            "The file's content does not match its declared type.", code="type_mismatch"
        )
    name = (upload.name or "").lower()
    if "." in name and name[name.rfind(".") :] not in _EXTENSIONS[kind]:
        raise ValidationError(
            "The file's content does not match its name.", code="extension_mismatch"
        )
    return kind
