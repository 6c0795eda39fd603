"""``manage.py sync_instruments``: write the built-in instrument definitions
(measures/instruments/) to the Instrument table.

Idempotent: running it twice changes nothing. Run it after every deploy (migrations
create the table; this fills it). The practice's own settings for an instrument
(reliable-change parameters, cut-offs, in use) are never overwritten.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kindred.core.errors import KindredError
from kindred.measures.library import sync_builtin_instruments


class Command(BaseCommand):
    help = "Write the built-in instruments (PHQ-9, GAD-7, WHO-5, PCL-5, AUDIT-C, pulse)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = sync_builtin_instruments()
        except KindredError as exc:
            raise CommandError(exc.message) from exc
        for label, codes in (
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
        ):
            self.stdout.write(f"{len(codes)} {label}" + (f": {', '.join(codes)}" if codes else ""))
