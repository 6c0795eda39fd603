"""HTML to PDF with WeasyPrint, fetching nothing (as kindred/intake/pdf.py does for
agreements): every PDF Kindred makes holds everything it shows."""

from __future__ import annotations

from typing import Any, NoReturn


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
