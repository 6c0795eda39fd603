"""Re-encrypt every encrypted column with the current key (docs/operations.md).

Walks each model with encrypted columns in primary-key order, in batches: a value sealed
with an older key is decrypted and sealed again with the current key (a fresh nonce;
the same row binding). Each value is written with a conditional UPDATE (only if the
column still holds what was read), so an edit saved meanwhile is never overwritten; the
row's ``updated_at`` does not move. Values already on the current key are skipped, so
the command can be stopped and run again at any time (``--after`` starts past a
primary key). ``--dry-run`` counts without writing. Prints counts per column, never a
value.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from tqdm import tqdm

from kindred.core import crypto

DEFAULT_BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the current key of KINDRED_FIELD_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count; change nothing.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
        parser.add_argument(
            "--after", type=int, default=0, help="Start past this primary key (resuming)."
        )
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        ring = crypto.keyring()
        report: dict[str, dict[str, int]] = {}
        for model, fields in crypto.encrypted_fields():
            found = rotate_model(
                model,
                fields,
                ring=ring,
                batch_size=options["batch_size"],
                after=options["after"],
                dry_run=options["dry_run"],
            )
            report[model._meta.label] = dict(found)
        if options["json"]:
            self.stdout.write(json.dumps({"current_key": ring.current_id, "models": report}))
            return
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        self.stdout.write(f"Current key: {ring.current_id}")
        for label, counts in report.items():
            self.stdout.write(
                f"{label}: {counts.get('rows', 0)} rows, {verb} "
                f"{counts.get('rotated', 0)} values, {counts.get('current', 0)} already "
                f"current, {counts.get('changed_meanwhile', 0)} changed meanwhile, "
                f"{counts.get('failed', 0)} unreadable"
            )
        if any(c.get("failed") for c in report.values()):
            raise CommandError(
                "Some values could not be decrypted (a missing key or damaged data); they "
                "were left as they are. Run again after fixing the key ring."
            )


def rotate_model(
    model: type[models.Model],
    fields: list[crypto.EncryptedTextField],
    *,
    ring: crypto.KeyRing,
    batch_size: int,
    after: int = 0,
    dry_run: bool = False,
) -> Counter[str]:
    counts: Counter[str] = Counter()
    manager = model._base_manager
    identity = fields[0].identity
    columns = [f.attname for f in fields]
    total = manager.filter(pk__gt=after).count()
    last = after
    with tqdm(total=total, desc=model._meta.label, unit="row", disable=None) as bar:
        while True:
            rows = list(
                manager.filter(pk__gt=last)
                .order_by("pk")
                .values("pk", identity, *columns)[:batch_size]
            )
            if not rows:
                break
            with transaction.atomic():
                for row in rows:
                    counts["rows"] += 1
                    for field in fields:
                        _rotate_value(model, field, row, ring=ring, dry_run=dry_run, counts=counts)
            last = rows[-1]["pk"]
            bar.update(len(rows))
    return counts


def _rotate_value(
    model: type[models.Model],
    field: crypto.EncryptedTextField,
    row: dict[str, Any],
    *,
    ring: crypto.KeyRing,
    dry_run: bool,
    counts: Counter[str],
) -> None:
    value = row[field.attname]
    token = value.token if isinstance(value, crypto.Sealed) else value
    if not token:
        return
    try:
        if crypto.key_id_of(token) == ring.current_id:
            counts["current"] += 1
            return
        aad = crypto.associated_data(
            model._meta.db_table, str(field.column), str(row[field.identity])
        )
        plain = crypto.decrypt(token, aad=aad, ring=ring)
    except crypto.DecryptionError:
        counts["failed"] += 1
        return
    if dry_run:
        counts["rotated"] += 1
        return
    fresh = crypto.encrypt(plain, aad=aad, ring=ring)
    changed = model._base_manager.filter(
        pk=row["pk"], **{field.attname: crypto.Ciphertext(token)}
    ).update(**{field.attname: crypto.Ciphertext(fresh)})
    counts["rotated" if changed else "changed_meanwhile"] += 1
