"""``manage.py purge_expired_records``: the closed accounts whose records are due for
destruction (closed, past ``retain_until``, not destroyed yet), and, with ``--confirm``,
their destruction (kindred/datarights/purge.py).

Never scheduled: destroying a clinical record is an admin's decision. The default is a
dry run that prints what each record's destruction would remove, table by table (the
purge run and rolled back) and changes nothing. ``--confirm --admin EMAIL`` destroys them
as that practice admin (``MANAGE_PRACTICE``; the audit events name them), ``--batch``
requests fetched at a time, each in its own transaction, with a progress bar on standard
error. Records on legal hold are listed and never destroyed.

The output names requests and clients by id, never by name, so logs hold no names.

Exit codes: 0 done (a dry run, or every due record not on hold destroyed); 1 bad use
(unknown admin, an admin without the right, a bad --batch); 3 at least one record could
not be destroyed (its transaction rolled back; the reason is printed; the others went
ahead).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kindred.accounts.models import User
from kindred.datarights import purge
from kindred.datarights.models import ClosureRequest
from kindred.practice import roles
from kindred.practice.roles import Capability

EXIT_FAILED = 3


class Command(BaseCommand):
    help = (
        "List the closed accounts whose records are due for destruction (a dry run); "
        "--confirm --admin EMAIL destroys them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be destroyed and change nothing (the default).",
        )
        mode.add_argument(
            "--confirm", action="store_true", help="Destroy the due records not on legal hold."
        )
        parser.add_argument(
            "--admin", default="", help="With --confirm: the e-mail of the practice admin deciding."
        )
        parser.add_argument(
            "--batch", type=int, default=20, help="Requests fetched at a time (default 20)."
        )

    def _admin(self, email: str) -> User:
        if not email:
            raise CommandError("--confirm needs --admin EMAIL: the practice admin deciding.")
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account with the e-mail {email!r}.")
        if not roles.has(user, Capability.MANAGE_PRACTICE):
            raise CommandError(f"{email} is not a practice admin (MANAGE_PRACTICE).")
        return user

    def _line(self, row: ClosureRequest) -> str:
        held = "  ON LEGAL HOLD" if row.held_at is not None else ""
        closed = row.decided_at.date().isoformat() if row.decided_at else "?"
        until = row.retain_until.isoformat() if row.retain_until else "?"
        return (
            f"request {row.pk}  client {row.client_id}  closed {closed}  kept until {until}{held}"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        if options["confirm"]:
            self._destroy(self._admin(options["admin"]), options["batch"])
        else:
            self._dry_run(options["batch"])

    def _dry_run(self, batch: int) -> None:
        rows = list(purge.due_requests())
        if not rows:
            self.stdout.write("No record is due for destruction.")
            return
        self.stdout.write(f"{len(rows)} record(s) due for destruction (dry run, nothing changed):")
        totals: dict[str, int] = {}
        with tqdm(total=len(rows), desc="Counting", unit="record", disable=None) as bar:
            for row in rows:
                self.stdout.write(self._line(row))
                if row.held_at is None:
                    counts = purge.purge_preview(row)["deleted"]
                    for label, n in counts.items():
                        self.stdout.write(f"    {label}: {n}")
                        totals[label] = totals.get(label, 0) + n
                bar.update(1)
        held = sum(1 for r in rows if r.held_at is not None)
        self.stdout.write(
            f"Would destroy {len(rows) - held} record(s) ({sum(totals.values())} rows); "
            f"{held} on legal hold. Run with --confirm --admin EMAIL to destroy them."
        )

    def _destroy(self, admin: User, batch: int) -> None:
        total = purge.due_requests().count()
        with tqdm(total=total, desc="Destroying", unit="record", disable=None) as bar:
            run = purge.purge_due(actor=admin, batch=batch, progress=bar.update)
        for row in run.destroyed:
            deleted = sum(row.outcome.get("purge", {}).get("deleted", {}).values())
            self.stdout.write(f"request {row.pk}: destroyed ({deleted} rows)")
        for row in run.held:
            self.stdout.write(f"request {row.pk}: on legal hold, kept")
        for row, why in run.failed:
            self.stderr.write(f"request {row.pk}: NOT destroyed: {why}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Destroyed {len(run.destroyed)} record(s); {len(run.held)} on legal hold; "
                f"{len(run.failed)} failed."
            )
        )
        if run.failed:
            sys.exit(EXIT_FAILED)
