"""``manage.py escalate_alerts``: pass safety alerts nobody acknowledged in time to the
clinical lead (or every practice admin when no lead is set).

Run every few minutes (cron or a systemd timer; docs/operations.md). Safe to run twice
or to overlap: each alert is claimed once with a conditional UPDATE.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kindred.measures.escalation import escalate_due_alerts


class Command(BaseCommand):
    help = (
        "Escalate open safety alerts older than the practice's limit (Outcome settings) "
        "to the clinical lead, once each."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = escalate_due_alerts()
        self.stdout.write(
            f"{run.due} alert(s) past the limit; escalated {run.escalated} "
            f"to {run.recipients} person(s)."
        )
