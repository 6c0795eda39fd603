"""Write an encrypted backup: database dump plus uploaded files (docs/backups.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from kindred.core import backups


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's backup API) and uploaded "
        "files into one archive encrypted with KINDRED_BACKUP_KEY (AES-256-GCM)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "output",
            nargs="?",
            help="The archive to write (default: kindred-<UTC date and time>.kbak here).",
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        output = Path(options["output"] or f"kindred-{stamp}.kbak")
        quiet = options["json"] or not sys.stderr.isatty()
        bar = tqdm(unit="B", unit_scale=True, desc="Encrypting", disable=quiet, leave=False)

        def say(message: str) -> None:
            if not options["json"]:
                self.stderr.write(message)

        try:
            figures = backups.backup(output, say=say, on_bytes=bar.update)
        except (backups.BackupError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        data = {"archive": str(output), **figures.as_dict()}
        if options["json"]:
            self.stdout.write(json.dumps(data))
            return
        self.stdout.write(
            f"Wrote {output} ({figures.archive_bytes:,} bytes; key {data['key_id']}) in "
            f"{figures.seconds:.1f} s: {figures.tables} tables, {figures.rows:,} rows, "
            f"{figures.media_files} uploaded files."
        )
