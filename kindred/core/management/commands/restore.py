"""Restore an encrypted backup written by `manage.py backup` (docs/backups.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kindred.core import backups


class Command(BaseCommand):
    help = (
        "Verify a whole encrypted backup, then restore it into the configured database "
        "(refused if that database is not empty, unless --force) and its uploaded files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The .kbak file written by `manage.py backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the objects of a database that is not empty (and uploaded files).",
        )
        parser.add_argument(
            "--info", action="store_true", help="Print the archive's header; restore nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        try:
            if options["info"]:
                self.stdout.write(
                    json.dumps(backups.inspect(path), indent=None if options["json"] else 1)
                )
                return
            quiet = options["json"] or not sys.stderr.isatty()
            total = path.stat().st_size if path.is_file() else None
            bar = tqdm(
                total=total, unit="B", unit_scale=True, desc="Verifying", disable=quiet, leave=False
            )

            def say(message: str) -> None:
                if not options["json"]:
                    self.stderr.write(message)

            try:
                figures = backups.restore(
                    path, force=options["force"], say=say, on_bytes=bar.update
                )
            finally:
                bar.close()
        except (backups.BackupError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        data = {"archive": str(path), **figures.as_dict()}
        if options["json"]:
            self.stdout.write(json.dumps(data))
            return
        self.stdout.write(
            f"Restored {path} (made {data['created_at']} at commit {data['git_commit'][:12]}) "
            f"in {figures.seconds:.1f} s (verifying {data['verify_seconds']:.1f} s): "
            f"{figures.tables} tables, {figures.rows:,} rows checked, "
            f"{figures.media_files} uploaded files."
        )
