"""Make (or bring up to date) the charges of every session with attendance taken in a
date range, as the billing page's "Make charges from attendance" does for one session.

    manage.py create_charges --from 2026-11-01 --to 2026-11-30 [--dry-run]

Safe to run again: drafts follow attendance changes, posted charges are corrected by
draft adjustments, never changed. Sessions the practice may not bill yet (a signed note
required and missing) or without attendance are skipped and counted. A dry run does the
work inside a transaction and rolls it back, so it reports exactly what would change.
No names are printed; progress goes to stderr.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from kindred.billing.services import charges_create_for_session
from kindred.core.errors import KindredError
from kindred.practice.settings import practice_settings, practice_today
from kindred.scheduling.models import GroupSession


class Command(BaseCommand):
    help = "Make charges from attendance for the sessions in a date range."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="First date.")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, help="Last date.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from zoneinfo import ZoneInfo

        today = practice_today()
        end: date = options["end"] or today
        start: date = options["start"] or end - timedelta(days=30)
        if end < start:
            raise CommandError("--to is before --from.")
        zone = ZoneInfo(practice_settings().timezone)
        sessions = list(
            GroupSession.objects.filter(
                starts_at__gte=datetime.combine(start, time(0), tzinfo=zone),
                starts_at__lt=datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
                attendance_taken_at__isnull=False,
            )
            .select_related("group")
            .order_by("starts_at", "id")
        )
        totals = {"sessions": 0, "created": 0, "updated": 0, "removed": 0, "adjustments": 0}
        skipped = 0
        dry = options["dry_run"]
        with transaction.atomic():
            for session in tqdm(sessions, desc="Charges", unit="session", disable=None):
                try:
                    with transaction.atomic():
                        run = charges_create_for_session(actor=None, session=session)
                except KindredError:
                    skipped += 1
                    continue
                totals["sessions"] += 1
                totals["created"] += len(run.created)
                totals["updated"] += len(run.updated)
                totals["removed"] += run.removed
                totals["adjustments"] += len(run.adjustments)
            if dry:
                transaction.set_rollback(True)
        verb = "Would make" if dry else "Made"
        self.stdout.write(
            f"{verb} charges for {totals['sessions']} sessions from {start} to {end}: "
            f"{totals['created']} new, {totals['updated']} changed, {totals['removed']} "
            f"removed, {totals['adjustments']} corrections; {skipped} sessions skipped "
            "(cancelled, or not billable yet)."
        )
