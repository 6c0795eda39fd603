"""``manage.py load_default_agreement``: Kindred's example group agreement as a template,
published as version 1 (or left as a draft with ``--draft``) for a new practice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kindred.intake.agreements import load_default_agreement


class Command(BaseCommand):
    help = (
        "Add Kindred's example group agreement (confidentiality and its limits, attendance, "
        "absence, contact outside the group, social media, leaving, removal) and publish it "
        "as version 1. Does nothing if a template with its name already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--draft",
            action="store_true",
            help="Leave it unpublished, for the practice admin to read and change first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        template, version, created = load_default_agreement(publish=not options["draft"])
        if not created:
            self.stdout.write(f"“{template.name}” is already there; nothing changed.")
        elif version is None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added “{template.name}” as a draft: read and publish it on the "
                    "Group agreements page."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added “{template.name}” and published version {version.number}. Choose "
                    "it on each group's page."
                )
            )
