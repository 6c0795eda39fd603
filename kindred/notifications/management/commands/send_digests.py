"""``manage.py send_digests``: email the daily digests that are due now.

Run every 15 minutes (cron or a systemd timer; docs/notifications.md). Safe to run
twice or to overlap: each person gets at most one digest per local day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kindred.notifications.digest import send_digests


class Command(BaseCommand):
    help = (
        "Email each person who turned the daily digest on, once a day at their chosen "
        "hour: counts of their unread notifications and a link, never any text or names."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"checked {done} of {total} people with the digest on")

        run = send_digests(progress=progress)
        self.stdout.write(
            f"sent {run.sent}; not yet their hour {run.not_due}; nothing new "
            f"{run.nothing_new}; already sent today {run.already_sent}; failed {run.failed} "
            f"(of {run.considered})."
        )
