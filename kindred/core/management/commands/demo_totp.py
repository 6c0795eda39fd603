"""``manage.py demo_totp <email>``: the current two-factor code of a DEMO account.

For trying the demo without a phone at hand. Refuses outside development and for any
account that is not one of the synthetic demo accounts.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kindred.accounts.models import User
from kindred.core.seeding.demo import DEMO_DOMAIN, is_demo_email


def current_code(secret: str, *, now: float | None = None) -> tuple[str, int]:
    """The TOTP code for ``secret`` now, and the seconds it stays valid."""
    moment = time.time() if now is None else now
    period: int = mfa_settings.TOTP_PERIOD
    counter = int(moment) // period
    return format_hotp_value(hotp_value(secret, counter)), period - int(moment) % period


class Command(BaseCommand):
    help = "Print the current two-factor (TOTP) code of a demo account. Development only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help=f"a demo account (…@{DEMO_DOMAIN})")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp runs only in development (DJANGO_DEBUG=1).")
        email = options["email"].strip().lower()
        if not is_demo_email(email):
            raise CommandError(
                f"{email} is not a demo account; demo accounts end in @{DEMO_DOMAIN}."
            )
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account {email}. Load the demo with `./dev manage seed_demo`.")
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError(
                f"{email} has not set up two-factor yet. Sign in once: the set-up page shows "
                "a QR code and a secret for any authenticator app."
            )
        code, seconds = current_code(decrypt(authenticator.data["secret"]))
        self.stdout.write(f"{code}  (valid for about {seconds} more seconds; each code works once)")
