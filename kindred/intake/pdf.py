"""A signed group agreement as a PDF (WeasyPrint; STACK.md): the exact text signed, who
signed it and how (typed name, the box ticked), when, from which IP address, and the
SHA-256 of the text, so the copy can be checked against the published version.

Nothing is fetched while rendering: the HTML is built here from sanitised Markdown and
the only fetcher refuses every address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from kindred.core.markdown import render_markdown
from kindred.practice.settings import practice_settings
from kindred.scheduling.member import safe_zone, zone_name

if TYPE_CHECKING:
    from kindred.intake.models import AgreementSignature

PDF_TEMPLATE = "web/agreements/signature_pdf.html"


def signature_context(signature: AgreementSignature) -> dict[str, Any]:
    version = signature.version
    practice = practice_settings()
    zone = safe_zone(signature.client.timezone or practice.timezone)
    return {
        "practice_name": practice.name,
        "signature": signature,
        "version": version,
        "template_name": version.template.name,
        "group_name": signature.group.name,
        "body_html": render_markdown(version.body, heading_offset=1),
        "signed_local": timezone.localtime(signature.signed_at, zone),
        "zone": zone_name(zone.key),
        "signed_utc": timezone.localtime(signature.signed_at, ZoneInfo("UTC")),
        "published_utc": timezone.localtime(version.published_at, ZoneInfo("UTC")),
    }


def _no_fetching() -> Any:
    """A fetcher that refuses every address: Kindred's PDFs hold everything they show."""
    # WeasyPrint is imported when a PDF is made, not when the web worker starts (it is
    # large, and most requests never make a PDF).
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NoFetching(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            raise ValueError(f"Kindred's PDFs do not load {url[:60]!r}.")

    return NoFetching()


def signature_pdf(signature: AgreementSignature) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    html = render_to_string(PDF_TEMPLATE, signature_context(signature))
    document = HTML(string=html, base_url=None, url_fetcher=_no_fetching())
    pdf: bytes = document.write_pdf()
    return pdf


def signature_filename(signature: AgreementSignature) -> str:
    day = timezone.localtime(signature.signed_at).date().isoformat()
    return f"group-agreement-v{signature.version.number}-signed-{day}-{signature.pk}.pdf"
