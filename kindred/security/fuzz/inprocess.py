"""Helpers for the in-process runs (the pytest gate and fuzz tests)."""

from __future__ import annotations

import warnings


def preload_pdf_library() -> None:
    """Import WeasyPrint once with its import-time DeprecationWarning (a system library
    it would like, HarfBuzz-Subset, is missing on some machines) silenced: the suite turns
    warnings into errors, and the fuzzer would otherwise report every first PDF as a 500
    that production never gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401
