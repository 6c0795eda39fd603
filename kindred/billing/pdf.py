"""Superbills and statements as PDF (WeasyPrint, as kindred/intake/pdf.py makes signed
agreements): the HTML is built here from the records, nothing is fetched while
rendering (the only fetcher refuses every address), and every export is audited."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.billing import selectors
from kindred.core.errors import ValidationFailed

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

SUPERBILL_TEMPLATE = "web/billing/superbill_pdf.html"
STATEMENT_TEMPLATE = "web/billing/statement_pdf.html"
#: The longest period one superbill or statement covers (about two years).
MAX_DAYS = 800


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None:
        raise ValidationFailed(_("Choose the first date."), field="start")
    if end is None:
        raise ValidationFailed(_("Choose the last date."), field="end")
    if end < start:
        raise ValidationFailed(_("The last date is before the first."), field="end")
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed(_("Choose a period of at most two years."), field="end")
    return start, end


def superbill_context(client: Client, start: date, end: date) -> dict[str, Any]:
    bill = selectors.superbill(client, start=start, end=end)
    return {"bill": bill, "client": client, "generated": timezone.localdate()}


def statement_context(client: Client, start: date, end: date) -> dict[str, Any]:
    from kindred.practice.settings import practice_settings

    book = selectors.ledger(client, start=start, end=end)
    return {
        "ledger": book,
        "opening_cents": selectors.opening_balance(book),
        "closing_cents": book.lines[-1].balance_cents
        if book.lines
        else selectors.opening_balance(book),
        "client": client,
        "start": start,
        "end": end,
        "practice_name": practice_settings().name,
        "generated": timezone.localdate(),
    }


def _no_fetching() -> Any:
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NoFetching(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            raise ValueError(f"Kindred's PDFs do not load {url[:60]!r}.")

    return NoFetching()


def html_to_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint is large and most requests never make a PDF.
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=_no_fetching()).write_pdf()
    return pdf


def _audit(actor: User, action: str, client: Client, start: date, end: date) -> None:
    audit_record(
        actor=actor,
        action=action,
        category=Category.ACCESS,
        obj=client,
        client_id=client.pk,
        detail={"format": "pdf", "start": start.isoformat(), "end": end.isoformat()},
    )


def superbill_export(*, actor: User, client: Client, start: date, end: date) -> bytes:
    """The member's superbill for the period as a PDF, audited. The caller found the
    client through the billing access rules (or it is the member's own)."""
    start, end = check_period(start, end)
    _audit(actor, "billing.superbill.exported", client, start, end)
    return html_to_pdf(render_to_string(SUPERBILL_TEMPLATE, superbill_context(client, start, end)))


def statement_export(*, actor: User, client: Client, start: date, end: date) -> bytes:
    start, end = check_period(start, end)
    _audit(actor, "billing.statement.exported", client, start, end)
    return html_to_pdf(render_to_string(STATEMENT_TEMPLATE, statement_context(client, start, end)))


def pdf_filename(kind: str, start: date, end: date) -> str:
    return f"{kind}-{start.isoformat()}-to-{end.isoformat()}.pdf"
