"""``manage.py demo_server``: the development server (``runserver``, serving static
files), with the demo logins printed below its banner, so that they are the last thing
on the screen when ``./dev run`` starts (loading the demo prints its notification
emails and progress first). Without the demo data, or outside development, it is
plain ``runserver``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import (
    Command as RunserverCommand,
)

from kindred.core.management.commands.seed_demo import write_logins
from kindred.core.seeding import demo


class Command(RunserverCommand):
    help = (
        "Run the development server (as runserver) and print the demo logins below its "
        "banner when the demo data is loaded. Development only."
    )

    def on_bind(self, server_port: int) -> None:
        super().on_bind(server_port)
        if not settings.DEBUG:
            return
        logins = demo.existing_logins()
        if logins:
            write_logins(self.stdout, logins)
