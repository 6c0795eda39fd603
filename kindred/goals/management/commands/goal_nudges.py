"""``manage.py goal_nudges``: one gentle in-app reminder per goal per week.

For members with an active goal, reminders on, and no check-in yet this week by the
day they chose. Run it hourly (cron or a systemd timer) or from the task worker
(``kindred.goals.tasks.send_goal_nudges``). Safe to run any number of times: each goal
gets at most one reminder a week (its dedupe key is the goal and the week).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kindred.goals.services import NudgeRun, nudges_run


class Command(BaseCommand):
    help = "Send this week's gentle check-in reminders for goals (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options.get("verbosity", 1))

        def progress(run: NudgeRun) -> None:
            if verbosity > 1:
                self.stdout.write(f"... {run.considered} goals looked at, {run.sent} reminded")

        run = nudges_run(progress=progress)
        self.stdout.write(
            f"goals looked at {run.considered}; due a reminder {run.due}; sent {run.sent} "
            f"(the rest had one this week already)."
        )
