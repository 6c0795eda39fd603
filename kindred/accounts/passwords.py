"""Password rules beyond Django's built-ins (NIST SP 800-63B: long, no composition rules)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PASSWORD_LENGTH = 128


class MaximumLengthValidator:
    """Accept long passphrases (at least 64 characters; we allow 128) but refuse
    absurd lengths that would only cost hashing time."""

    def __init__(self, max_length: int = MAX_PASSWORD_LENGTH):
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("At most %(max)d characters; spaces and passphrases are welcome.") % {
            "max": self.max_length
        }
