"""Upload type checks and the request-size settings (kindred/core/upload_limits.py).

The hostile request tests (oversized, lying lengths, files where none are taken, field
bombs) are in kindred/security/tests/test_upload_hostile.py."""

from __future__ import annotations

from collections.abc import Callable, Collection

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from kindred.core.upload_limits import (
    JPEG,
    PDF,
    PNG,
    check_upload,
    human_size,
    sniff_content_type,
)

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
HTML_BYTES = b"<html><script>alert(1)</script></html>"

Checker = Callable[..., str]


def test_sniffing_names_the_three_types_by_their_first_bytes() -> None:
    assert sniff_content_type(PDF_BYTES) == PDF
    assert sniff_content_type(PNG_BYTES) == PNG
    assert sniff_content_type(JPEG_BYTES) == JPEG
    assert sniff_content_type(HTML_BYTES) is None
    assert sniff_content_type(b"") is None
    assert sniff_content_type(b"%PD") is None  # a truncated signature proves nothing


def trusting_checker(upload: UploadedFile[bytes], *, allowed: Collection[str], **_: object) -> str:
    """A deliberately broken checker: believes the declared type."""
    declared = upload.content_type or ""
    if declared not in allowed:
        raise ValidationError("bad type")
    return declared


def problems_with(checker: Checker) -> list[str]:
    """What ``checker`` gets wrong over honest and lying files (empty when nothing)."""
    problems: list[str] = []
    honest = [
        ("report.pdf", PDF_BYTES, "application/pdf", PDF),
        ("scan.png", PNG_BYTES, "image/png", PNG),
        ("photo.JPG", JPEG_BYTES, "image/jpeg", JPEG),
        ("photo.jpeg", JPEG_BYTES, "application/octet-stream", JPEG),
    ]
    for name, content, declared, expected in honest:
        upload = SimpleUploadedFile(name, content, content_type=declared)
        try:
            got = checker(upload, allowed={PDF, PNG, JPEG})
        except ValidationError as exc:
            problems.append(f"honest {name} refused: {exc.messages}")
            continue
        if got != expected:
            problems.append(f"honest {name} sniffed as {got}")
        if upload.read() != content:
            problems.append(f"{name}: the checker did not rewind the file")
    lying = [
        ("page.pdf", HTML_BYTES, "application/pdf", {PDF}),  # HTML dressed as a PDF
        ("scan.png", PDF_BYTES, "image/png", {PNG, PDF}),  # declared type lies
        ("scan.pdf", PNG_BYTES, "application/octet-stream", {PNG, PDF}),  # name lies
        ("photo.jpg", JPEG_BYTES, "image/jpeg", {PDF}),  # a type not taken here
        ("big.pdf", PDF_BYTES + b"\x00" * 200, "application/pdf", {PDF}),  # over 100 bytes
    ]
    for name, content, declared, allowed in lying:
        upload = SimpleUploadedFile(name, content, content_type=declared)
        try:
            checker(upload, allowed=allowed, max_bytes=100 if name == "big.pdf" else None)
        except ValidationError:
            continue
        problems.append(f"lying {name} ({declared}) accepted")
    return problems


def test_check_upload_accepts_honest_files_and_refuses_lying_ones() -> None:
    assert problems_with(check_upload) == []


def test_the_check_catches_a_checker_that_trusts_the_declared_type() -> None:
    problems = problems_with(trusting_checker)
    assert "lying page.pdf (application/pdf) accepted" in problems
    assert "lying scan.png (image/png) accepted" in problems


def test_one_figure_limits_every_body_and_keeps_uploads_in_memory() -> None:
    limit = settings.KINDRED_MAX_REQUEST_BYTES
    assert limit == 2_621_440
    assert limit == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # An accepted upload is never larger than the request, so it is never spooled to disk.
    assert limit <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS is not None
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 1000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES is not None
    assert human_size(limit) == "2.5 MB"


@pytest.mark.parametrize(
    "reader",
    [
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "kindred.api.idempotency.IdempotencyMiddleware",
        "axes.middleware.AxesMiddleware",
        "kindred.core.middleware.DatabaseUnavailableMiddleware",
    ],
)
def test_the_limit_comes_before_every_middleware_that_may_read_the_body(reader: str) -> None:
    stack = list(settings.MIDDLEWARE)
    assert stack.index("kindred.core.upload_limits.RequestSizeLimitMiddleware") < stack.index(
        reader
    )


NESTED = b"[" * 50_000 + b"]" * 50_000  # 100 KB, far under the size limit


def test_too_deep_a_json_document_is_a_parse_error_not_a_crash() -> None:
    from io import BytesIO

    from rest_framework.exceptions import ParseError
    from rest_framework.parsers import JSONParser

    from kindred.core.upload_limits import BoundedJSONParser

    with pytest.raises(ParseError, match="nested too deeply"):
        BoundedJSONParser().parse(BytesIO(NESTED), "application/json", {})
    assert BoundedJSONParser().parse(BytesIO(b'{"a": [1]}'), "application/json", {}) == {"a": [1]}
    # The broken variant: DRF's own parser lets the RecursionError through (a 500).
    with pytest.raises(RecursionError):
        JSONParser().parse(BytesIO(NESTED), "application/json", {})
