"""``manage.py plan_measures``: send the questionnaires groups' schedules call for.

Run every few minutes (cron or a systemd timer; docs/operations.md), like
``send_due_reminders``. Safe to run twice or to overlap: planning creates nothing that
exists (measures/planning.py), closing and reminding claim each row first.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kindred.measures.planning import plan_run


class Command(BaseCommand):
    help = (
        "Give new groups the default questionnaires, plan the questionnaires of places "
        "offered, coming and just-finished sessions and graduations, keep open ones in step "
        "with their sessions, close those whose window has passed, and queue the "
        "'check-in waiting' reminders."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = plan_run()
        r = run.reconciled
        self.stdout.write(
            f"default schedules {run.defaults}; planned intake {run.intake}, sessions "
            f"{run.sessions}, graduation {run.graduation}; cancelled {r.cancelled}, restored "
            f"{r.restored}, moved {r.moved}, re-pinned {r.repinned}; closed {run.expired}; "
            f"reminders queued {run.reminders}."
        )
