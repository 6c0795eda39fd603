"""``manage.py seed_scale --clients N``: the large synthetic data set of PERFORMANCE.md."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from kindred.accounts.models import User
from kindred.core.seeding import database_has_data
from kindred.core.seeding.scale import (
    DEFAULT_CLIENTS,
    DEFAULT_SEED,
    ScalePlan,
    ScaleSeeder,
    run_tag,
)


class Command(BaseCommand):
    help = (
        "Bulk-insert a deterministic synthetic practice sized by --clients (default 20,000: "
        "200 clinicians, 60 locations, availability, concerns, ~5 audit events per client)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add the data even though the database already holds data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clients: int = options["clients"]
        if clients < 1:
            raise CommandError("--clients must be at least 1.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if database_has_data() and not options["force"]:
            raise CommandError(
                "The database already holds data, so nothing was added. seed_scale is meant "
                "for an empty database (e.g. one made for benchmarks); use --force to add "
                "the data anyway."
            )
        plan = ScalePlan(clients)
        seeder = ScaleSeeder(
            plan,
            seed=options["seed"],
            tag=run_tag(User.objects.count()),
            batch_size=options["batch_size"],
        )
        started = time.perf_counter()
        with tqdm(total=seeder.estimated_rows, desc="Scale data", unit="row", disable=None) as bar:
            written = seeder.run(on_step=bar.set_postfix_str, progress=bar.update)
            bar.total = bar.n  # the step sizes were estimates
            bar.refresh()
        refresh_planner_statistics()
        seconds = time.perf_counter() - started
        total = sum(written.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {total:,} rows for {clients:,} clients in {seconds:.1f} s "
                f"(seed {options['seed']})."
            )
        )
        for step, rows in written.items():
            self.stdout.write(f"  {step:<20} {rows:>10,}")


def refresh_planner_statistics() -> None:
    """Bulk inserts leave PostgreSQL with no statistics until autovacuum gets round to
    the tables, and until then it plans as if they were nearly empty (sorting 20,000 rows
    to show 50). Analyse now, as a production database would already have done."""
    if connection.vendor in {"postgresql", "sqlite"}:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
