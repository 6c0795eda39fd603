"""Keeping automated submissions out of public forms, without third-party services and
without tracking anyone.

Three defences, shared by every form a visitor can send without an account (the
directory's "Request to join", the self-referral form):

- a honeypot: a field hidden from people and from assistive technology, which only
  programs fill in (the caller discards such a submission and answers as if it worked);
- a minimum time between showing the form and sending it, read from a signed "shown at"
  stamp in a hidden field (a forged or missing stamp counts as an expired form);
- a limit per connection, counted from the saved submissions themselves by a keyed hash
  of the IP address (the address itself is never stored), so it works without Redis.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kindred.core.errors import ValidationFailed

#: A form sent sooner than this after it was shown was not filled in by a person.
MIN_FILL_TIME = timedelta(seconds=3)
#: Submissions accepted from one connection (IP address) per window.
RATE_LIMIT = 5
RATE_WINDOW = timedelta(hours=1)
#: A form older than this has expired (the page was left open overnight).
STAMP_MAX_AGE = 12 * 60 * 60


class RateLimited(ValidationFailed):
    """Too many submissions from one connection (pages answer 429)."""


def ip_key(ip: str | None, *, purpose: str) -> str:
    """A keyed hash of a visitor's IP address for ``purpose``: lets submissions be
    counted per connection without keeping the address. Empty without an address."""
    if not ip:
        return ""
    return salted_hmac(purpose, ip, algorithm="sha256").hexdigest()


def form_stamp(*, salt: str) -> str:
    """A signed "the form was shown now" value for a hidden field."""
    return signing.dumps({"t": time.time()}, salt=salt)


def read_form_stamp(value: str, *, salt: str, max_age: int = STAMP_MAX_AGE) -> datetime | None:
    """When the form carrying ``value`` was shown; None when the stamp is missing,
    forged or too old."""
    try:
        data = signing.loads(value or "", salt=salt, max_age=max_age)
        return datetime.fromtimestamp(float(data["t"]), tz=UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def check_fill_time(
    shown_at: datetime | None, *, now: datetime, minimum: timedelta = MIN_FILL_TIME
) -> None:
    """Refuse a form without a valid stamp, or one sent faster than a person could."""
    if shown_at is None:
        raise ValidationFailed(_("This form has expired. Please reload the page and try again."))
    if now - shown_at < minimum:
        raise ValidationFailed(
            _("That was very quick. Please check your details, then send the form again.")
        )


def check_rate(recent: int, *, limit: int = RATE_LIMIT) -> None:
    """Refuse a submission when ``recent`` (those from the same connection within the
    window) already reaches ``limit``."""
    if recent >= limit:
        raise RateLimited(
            _(
                "We have had several requests from this connection in the last hour. "
                "Please try again later, or contact the practice directly."
            ),
            field="__all__",
        )
