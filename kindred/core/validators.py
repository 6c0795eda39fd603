"""Field validators shared by models, forms and serializers."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.practice.states import US_STATES

_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{7,25}$")


def validate_state_code(value: str) -> None:
    if value not in US_STATES:
        raise ValidationError(
            _("“%(value)s” is not a US state code (use two letters, like IL)."),
            code="unknown_state",
            params={"value": value},
        )


def validate_state_codes(values: Iterable[str]) -> None:
    if not isinstance(values, list):
        raise ValidationError(_("Give a list of state codes."), code="invalid")
    unknown = [v for v in values if not isinstance(v, str) or v not in US_STATES]
    if unknown:
        raise ValidationError(
            _("Not US state codes: %(codes)s."),
            code="unknown_state",
            params={"codes": ", ".join(map(str, unknown))},
        )
    if len(set(values)) != len(values):
        raise ValidationError(_("A state is listed twice."), code="duplicate_state")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a time zone name (for example America/Chicago)."),
            code="unknown_timezone",
            params={"value": value},
        )


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value)
    if not _PHONE_RE.match(value) or not 7 <= len(digits) <= 15:
        raise ValidationError(
            _("Enter a phone number with 7 to 15 digits, for example +1 312 555 0100."),
            code="invalid_phone",
        )


def validate_not_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future_date")


def validate_npi(value: str) -> None:
    """A National Provider Identifier: 10 digits whose last is a Luhn check digit
    computed over the prefix 80840 plus the first nine digits (CMS NPI standard)."""
    if not re.fullmatch(r"\d{10}", value):
        raise ValidationError(_("An NPI is exactly 10 digits."), code="invalid_npi")
    digits = [int(d) for d in "80840" + value[:9]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        weighted = digit * 2 if i % 2 == 0 else digit
        total += weighted - 9 if weighted > 9 else weighted
    check = (10 - total % 10) % 10
    if check != int(value[9]):
        raise ValidationError(
            _("This NPI's check digit does not match; please re-check the number."),
            code="invalid_npi",
        )


def validate_reminder_offsets(values: object) -> None:
    """Reminder times in minutes before a session: 1 to 4 distinct whole numbers between
    5 minutes and 7 days."""
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        raise ValidationError(_("Give reminder times as whole minutes."), code="invalid")
    if len(values) > 4:
        raise ValidationError(_("At most four reminders per session."), code="too_many")
    if len(set(values)) != len(values):
        raise ValidationError(_("A reminder time is listed twice."), code="duplicate")
    if any(v < 5 or v > 7 * 24 * 60 for v in values):
        raise ValidationError(
            _("Reminders can be from 5 minutes to 7 days (10080 minutes) before."),
            code="out_of_range",
        )
