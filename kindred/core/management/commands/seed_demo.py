"""``manage.py seed_demo``: load the small synthetic demo practice and print its logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from kindred.core.seeding import database_has_data, demo


def write_logins(out: OutputWrapper, logins: list[demo.DemoLogin]) -> None:
    """The demo logins, notes first and the table last, so that the table is what is
    left on the screen (``./dev run`` prints it again below the server's banner)."""
    width_email = max(len("Email"), *(len(login.email) for login in logins))
    width_password = max(len("Password"), *(len(login.password) for login in logins))
    out.write("")
    out.write(
        "Staff are asked to set up two-factor verification at their first sign-in: scan "
        "the code with any authenticator app (or type the secret shown). Once a demo "
        "account has enrolled, `./dev manage demo_totp <email>` prints its current code."
    )
    out.write(
        "Every member of a demo group has a portal account with the same password; "
        "two of them are listed here."
    )
    out.write("")
    out.write("Demo logins")
    out.write(f"  {'Email':<{width_email}}  {'Password':<{width_password}}  Role")
    for login in logins:
        out.write(
            f"  {login.email:<{width_email}}  {login.password:<{width_password}}  {login.role}"
        )


class Command(BaseCommand):
    help = (
        "Load the synthetic demo practice (Prairie & Gulf Counseling Collective): staff with "
        "one login per role, clinicians and licenses, compacts, ~40 clients. Development only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and exit 0) when the database already holds data.",
        )
        group.add_argument(
            "--force",
            action="store_true",
            help="Add the demo data even though the database already holds data.",
        )
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help="Do not print the logins (`./dev run` prints them below the server's banner).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it runs only in "
                "development (DJANGO_DEBUG=1, as `./dev run` sets)."
            )
        if database_has_data():
            if options["if_empty"]:
                self.stdout.write("The database already holds data; demo data not loaded.")
                logins = demo.existing_logins()
                if logins:
                    self._print_logins(logins, options)
                return
            if not options["force"]:
                raise CommandError(
                    "The database already holds data, so the demo data was not loaded. "
                    "Use --if-empty to skip quietly, or --force to add it anyway."
                )
            if demo.existing_logins():
                raise CommandError("The demo data is already loaded in this database.")

        with tqdm(total=demo.total_steps(), desc="Demo practice", unit="step", disable=None) as bar:

            def advance(steps: int, label: str) -> None:
                bar.set_postfix_str(label)
                bar.update(steps)

            result = demo.seed_demo(advance)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {demo.PRACTICE_NAME}: {len(result.logins)} logins, "
                f"{result.clients} clients (all synthetic)."
            )
        )
        self._print_logins(result.logins, options)

    def _print_logins(self, logins: list[demo.DemoLogin], options: dict[str, Any]) -> None:
        if not options["no_logins"]:
            write_logins(self.stdout, logins)
