"""``manage.py rebuild_outcome_summary``: recompute the outcome summary (one row per
member per instrument, measures/summary.py) from the administrations, set-based, a range
of clients at a time with a progress bar. ``--verify`` then compares every row with the
old per-administration computation and fails on any difference.

The answering service keeps the table current; this is for a restore, a bulk import
written straight to the tables, or to check the table after a change to the code.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kindred.measures.summary import REBUILD_CLIENTS_PER_CHUNK, client_span, rebuild, verify


class Command(BaseCommand):
    help = "Recompute the outcome summary from the administrations (set-based)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk",
            type=int,
            default=REBUILD_CLIENTS_PER_CHUNK,
            help="client ids per statement (default %(default)s)",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="afterwards, compare every row with the per-administration computation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1.")
        span = client_span()
        total = 0 if span is None else span[1] - span[0] + 1
        started = time.perf_counter()
        with tqdm(total=total, desc="Outcome summary", unit="client id", disable=None) as bar:
            rows = rebuild(chunk_clients=options["chunk"], progress=bar.update)
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {rows:,} outcome summary rows in {seconds:.1f} s.")
        )
        if options["verify"]:
            problems = verify()
            for line in problems[:20]:
                self.stderr.write(line)
            if problems:
                raise CommandError(f"{len(problems)} rows differ from the computation.")
            self.stdout.write(self.style.SUCCESS("Every row matches the computation."))
