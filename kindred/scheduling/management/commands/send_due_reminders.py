"""``manage.py send_due_reminders``: plan session reminders and queue the due ones.

Run every minute (cron or a systemd timer; docs/operations.md). Safe to run twice or
to overlap: planning adds nothing that exists, and only the worker that claims a
reminder sends it. It also marks task rows a stopped worker left RUNNING for over an
hour as failed (scheduling/stale_tasks.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kindred.datarights.selfexport import selfexport_housekeeping
from kindred.scheduling.reminders import reminders_run
from kindred.scheduling.stale_tasks import fail_stale_tasks


class Command(BaseCommand):
    help = (
        "Keep reminders in step with their sessions, plan the missing ones, resolve any "
        "a stopped worker left half-sent, and queue the due ones for the task worker; "
        "mark task rows a stopped worker left running as failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-plan", action="store_true", help="Only queue reminders that already exist."
        )
        parser.add_argument(
            "--plan-days",
            type=float,
            default=None,
            help="Plan sessions starting within this many days (default: the practice's "
            "earliest reminder plus an hour).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = reminders_run(plan=not options["no_plan"], plan_days=options["plan_days"])
        lost = fail_stale_tasks()
        self.stdout.write(
            f"planned {run.planned.created} (revived {run.planned.revived}) for "
            f"{run.planned.sessions} sessions; skipped {run.reconciled.skipped}, "
            f"restored {run.reconciled.restored}, moved {run.reconciled.moved}; "
            f"after a stopped worker: retried {run.reaped.retried}, sent "
            f"{run.reaped.sent}, failed {run.reaped.failed}; queued {run.queued}; "
            f"task rows left running by a stopped worker marked failed: {lost}."
        )
        # Members' own-data files (datarights/selfexport.py): wipe expired, fail stale.
        files = selfexport_housekeeping()
        self.stdout.write(
            f"own-data files wiped after expiry: {files.expired}; stopped ones marked "
            f"failed: {files.stale}."
        )
