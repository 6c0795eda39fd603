"""``manage.py extend_sessions``: keep open-ended groups' sessions generated ahead.

Run daily (cron or a scheduler). Idempotent: running it twice creates nothing new.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kindred.scheduling.generation import HORIZON, extend_sessions


class Command(BaseCommand):
    help = (
        "Generate the sessions of open-ended (rolling) groups up to the horizon "
        f"({HORIZON.days // 7} weeks ahead by default). Safe to run more than once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--weeks",
            type=int,
            default=HORIZON.days // 7,
            help="How many weeks ahead sessions should exist.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        weeks = max(1, min(int(options["weeks"]), 104))
        created = extend_sessions(horizon=timedelta(weeks=weeks))
        self.stdout.write(f"{created} sessions created.")
