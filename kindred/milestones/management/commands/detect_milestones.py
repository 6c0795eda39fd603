"""Find new milestones for every member (or some), in batches, with progress."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kindred.milestones.detection import WITHIN_DAYS, DetectResult, detect


class Command(BaseCommand):
    help = (
        "Find new milestones (first and fourth session, reliable improvement, goal "
        "reached, graduation) and suggest members share them. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--client", type=int, action="append", dest="clients", help="Only this client id."
        )
        parser.add_argument(
            "--within-days",
            type=int,
            default=WITHIN_DAYS,
            help=f"Only events this recent are suggested (default {WITHIN_DAYS}; 0 for all).",
        )
        parser.add_argument(
            "--quiet-notifications",
            action="store_true",
            help="Record milestones without telling members (e.g. when back-filling).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(result: DetectResult) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"  {result.clients:,} clients checked, {result.total_created:,} found so far"
                )

        within = options["within_days"] or None
        result = detect(
            options["clients"],
            within_days=within,
            progress=progress,
            notify=not options["quiet_notifications"],
        )
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(result.created.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.total_created:,} new milestones for {result.clients:,} clients"
                + (f" ({kinds})" if kinds else "")
                + f"; {result.withdrawn} withdrawn, {result.restored} suggested again; "
                f"{result.notified} members told."
            )
        )
