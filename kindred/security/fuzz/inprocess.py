"""Helpers for the in-process runs (the pytest gate and fuzz tests)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


def preload_pdf_library() -> None:
    """Import WeasyPrint once with its import-time DeprecationWarning (a system library
    it would like, HarfBuzz-Subset, is missing on some machines) silenced: the suite turns
    warnings into errors, and the fuzzer would otherwise report every first PDF as a 500
    that production never gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401


@contextmanager
def wsgi_app() -> Iterator[WSGIHandler]:
    """Kindred as a WSGI application inside the test, as Django's test client runs it:
    without closing the database connection when each request starts or finishes (inside
    the test's transaction the connection is not in autocommit, so Django would close it
    and, on PostgreSQL, every later request would fail)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
