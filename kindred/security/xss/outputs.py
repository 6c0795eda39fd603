"""The surfaces that are not pages: e-mails and PDFs.

E-mails: every kind Kindred sends is sent for real (through its sending function, to the
test mail outbox) while the fields it quotes hold payloads: staff welcome, portal
invitation, group notice, safety alert, break-glass alert, screening outcome, session
reminder, daily digest and allauth's password reset. Kindred's e-mails are plain text, so
the checks are that each message is text/plain with no HTML alternative or attachment
that a mail client would render (any HTML part found is scanned as a page is), that no
header was split (Django refuses a header with a line break: that is counted as a refused
message, not an injection), and that no template expression was evaluated.

PDFs: WeasyPrint turns HTML into each PDF (record export, own-data download,
psychotherapy-note export, superbill, statement, signed agreement). The HTML it is given
is what can carry injected markup (WeasyPrint runs no script but would lay out injected
elements and styles), so a recording subclass of ``weasyprint.HTML`` keeps a copy of every
document, which is scanned as a page is. In the quick mode the layout step is skipped
(the HTML is still parsed by WeasyPrint); with ``--full`` the PDFs are laid out too.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.security.xss.detector import Scan, scan_html, scan_text


@dataclass
class Captured:
    surface: str  # "email" or "pdf"
    where: str
    scan: Scan


@dataclass
class OutputResult:
    captured: list[Captured] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be produced, and why
    refused_headers: int = 0


def _header_refused(exc: Exception) -> bool:
    """Django refuses a header with a line break (ValueError; BadHeaderError before 6.1)."""
    text = str(exc).lower()
    return isinstance(exc, ValueError) and ("linefeed" in text or "newline" in text)


def _check_message(message: EmailMessage, where: str, result: OutputResult) -> None:
    try:
        rendered = message.message()
    except ValueError as exc:
        if not _header_refused(exc):
            raise
        result.refused_headers += 1
        result.notes.append(f"{where}: Django refused a header with a line break (not sent)")
        return
    parts = list(rendered.walk())
    for part in parts:
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        payload: Any = part.get_payload(decode=True)
        charset = part.get_content_charset() or "utf-8"
        text = payload.decode(charset, "replace") if isinstance(payload, bytes) else ""
        if kind == "text/plain":
            result.captured.append(Captured("email", where, scan_text(text)))
        else:  # an HTML part (or anything else a client might render) is scanned as HTML
            result.captured.append(Captured("email", f"{where} [{kind}]", scan_html(text)))
    subject = str(message.subject)
    result.captured.append(Captured("email", f"{where} [subject]", scan_text(subject)))


def _take_outbox(where: str, result: OutputResult, start: int) -> int:
    box: list[EmailMessage] = getattr(mail, "outbox", [])
    for message in box[start:]:
        _check_message(message, where, result)
    return len(box[start:])


def send_every_email(senders: list[tuple[str, Callable[[], object]]]) -> OutputResult:
    """Run each sender; every message it leaves in the outbox is checked."""
    result = OutputResult()
    if not hasattr(mail, "outbox"):
        result.notes.append("no test mail outbox (run under the test environment)")
        return result
    for name, send in senders:
        start = len(mail.outbox)
        try:
            send()
        except Exception as exc:
            if _header_refused(exc):
                result.refused_headers += 1
                result.notes.append(f"{name}: Django refused a header ({exc})")
            else:
                result.notes.append(f"{name}: not sent ({type(exc).__name__}: {exc})"[:300])
        if _take_outbox(name, result, start) == 0:
            result.notes.append(f"{name}: no message was sent")
    return result


@contextmanager
def recording_pdfs(*, lay_out: bool) -> Iterator[list[str]]:
    """Keep every HTML document handed to WeasyPrint while inside the block."""
    with warnings.catch_warnings():
        # WeasyPrint warns at import when an optional system library (HarfBuzz-Subset) is
        # missing; the test suite turns warnings into errors.
        warnings.simplefilter("ignore", DeprecationWarning)
        import weasyprint  # type: ignore[import-untyped]

    documents: list[str] = []
    real = weasyprint.HTML

    class Recording(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            source = kwargs.get("string")
            documents.append(source if isinstance(source, str) else "")
            super().__init__(*args, **kwargs)

        def write_pdf(self, *args: Any, **kwargs: Any) -> bytes:
            if lay_out:
                pdf: bytes = super().write_pdf(*args, **kwargs)
                return pdf
            return b"%PDF-1.7\n% layout skipped by the XSS battery's quick mode\n%%EOF\n"

    weasyprint.HTML = Recording
    try:
        yield documents
    finally:
        weasyprint.HTML = real


def make_every_pdf(
    makers: list[tuple[str, Callable[[], object]]], *, lay_out: bool
) -> OutputResult:
    result = OutputResult()
    for name, make in makers:
        with recording_pdfs(lay_out=lay_out) as documents:
            try:
                make()
            except Exception as exc:
                result.notes.append(f"{name}: not made ({type(exc).__name__}: {exc})"[:300])
        if not documents:
            result.notes.append(f"{name}: no PDF was made")
        for n, document in enumerate(documents):
            where = name if len(documents) == 1 else f"{name} #{n + 1}"
            result.captured.append(Captured("pdf", where, scan_html(document)))
    return result


def password_reset(email: str) -> Callable[[], object]:
    def send() -> object:
        return HttpClient().post("/accounts/password/reset/", {"email": email})

    return send


def in_a_day() -> Any:
    return timezone.now() + timedelta(days=1)
