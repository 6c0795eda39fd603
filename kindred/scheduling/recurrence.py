"""Expanding a group's recurrence (RFC 5545 RRULE) into session times. Pure: no ORM.

Groups meet at a wall-clock time in their own time zone ("Tuesdays 6 pm in Chicago"),
so the rule is expanded on naive local date-times and each occurrence is then placed in
the zone. Two RFC 5545 (section 3.3.5) rules apply at daylight-saving changes:

- a local time that does not exist (the spring-forward gap) is read with the UTC offset
  from before the gap, so 02:30 on the change day becomes 03:30 daylight time;
- a local time that happens twice (the fall-back overlap) means its first occurrence.

``zoneinfo`` does exactly this with ``fold=0``; normalising through UTC turns a gap
time into the real instant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

#: A bounded rule may not produce more sessions than this (10 years of weekly meetings).
MAX_OCCURRENCES = 520
_DATE_ONLY_UNTIL = re.compile(r"UNTIL=(\d{8})(?![T\d])", re.IGNORECASE)
#: Frequencies a therapy group can sensibly meet at.
ALLOWED_FREQUENCIES = {DAILY, WEEKLY, MONTHLY, YEARLY}


class RecurrenceError(ValueError):
    """The rule cannot be used; the message says why, in plain words."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC
    local_start: datetime  # aware, in the group's zone (for display)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RecurrenceError(f"Unknown time zone “{name}”.") from exc


def localize(local: datetime, tz: ZoneInfo) -> datetime:
    """Place a naive wall-clock time in ``tz`` following RFC 5545 (see module doc)."""
    if local.tzinfo is not None:
        raise ValueError("localize() takes a naive wall-clock datetime")
    aware = local.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)


def parse_rule(text: str, first_start: datetime) -> rrule:
    """Parse an RRULE (with or without the ``RRULE:`` prefix) anchored at the naive local
    ``first_start``. Raises RecurrenceError with a readable reason."""
    body = (text or "").strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body:
        raise RecurrenceError("Enter a recurrence rule, for example FREQ=WEEKLY;COUNT=12.")
    if "\n" in body or "DTSTART" in body.upper():
        raise RecurrenceError("Give only the RRULE part; the start comes from the start date.")
    # A date-only UNTIL ("UNTIL=20261117") means "up to and including that day" to the
    # people who type it; RFC 5545 wants a date-time when DTSTART has one.
    body = _DATE_ONLY_UNTIL.sub(lambda m: f"UNTIL={m.group(1)}T235959", body)
    try:
        rule = rrulestr(body, dtstart=first_start)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"This is not a valid recurrence rule ({exc}).") from exc
    if not isinstance(rule, rrule):
        raise RecurrenceError("Give a single recurrence rule.")
    parts = _parts(rule)
    if parts.get("_freq") not in ALLOWED_FREQUENCIES:
        raise RecurrenceError("Groups can meet daily, weekly, monthly or yearly, not more often.")
    until = parts.get("_until")
    if isinstance(until, datetime) and until.tzinfo is not None:
        # An UNTIL in UTC ("…Z") is compared in local time: keep the calendar date meaning.
        rule = rule.replace(until=until.replace(tzinfo=None))
    return rule


def _parts(rule: rrule) -> dict[str, Any]:
    # dateutil keeps the parsed parts in private attributes and offers no accessor.
    return vars(rule)


def is_bounded(rule: rrule) -> bool:
    parts = _parts(rule)
    return parts.get("_count") is not None or parts.get("_until") is not None


def validate_rule(text: str, *, start_date: date, start_time: time, require_bounded: bool) -> rrule:
    """Check a rule a coordinator typed: it must parse, yield at least one session, and
    (when ``require_bounded``, as for closed groups) end, with at most MAX_OCCURRENCES."""
    first = datetime.combine(start_date, start_time)
    rule = parse_rule(text, first)
    if require_bounded and not is_bounded(rule):
        raise RecurrenceError(
            "A closed group needs an end: add COUNT (number of sessions) or UNTIL (last date)."
        )
    if rule.after(first, inc=True) is None:
        raise RecurrenceError("This rule gives no sessions on or after the start date.")
    if is_bounded(rule):
        for count, _ in enumerate(rule, start=1):
            if count > MAX_OCCURRENCES:
                raise RecurrenceError(
                    f"This rule gives more than {MAX_OCCURRENCES} sessions; shorten it."
                )
    return rule


def expand(
    text: str,
    *,
    start_date: date,
    start_time: time,
    duration: timedelta,
    tz_name: str,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    limit: int = MAX_OCCURRENCES,
) -> list[Occurrence]:
    """The sessions the rule gives, optionally only those starting inside
    [window_start, window_end) (aware datetimes), at most ``limit`` of them."""
    if duration <= timedelta(0):
        raise RecurrenceError("A session must last longer than zero minutes.")
    tz = zone(tz_name)
    rule = parse_rule(text, datetime.combine(start_date, start_time))
    if not is_bounded(rule) and window_end is None:
        raise RecurrenceError("An open-ended rule needs a window end to expand.")
    return list(
        _occurrences(
            rule,
            tz=tz,
            duration=duration,
            window_start=window_start,
            window_end=window_end,
            limit=limit,
        )
    )


def _occurrences(
    rule: rrule,
    *,
    tz: ZoneInfo,
    duration: timedelta,
    window_start: datetime | None,
    window_end: datetime | None,
    limit: int,
) -> Iterator[Occurrence]:
    # Compare in local naive time first (cheap), with a day of slack for the zone offset,
    # then exactly on the aware instants.
    lo = (
        window_start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        if window_start
        else None
    )
    hi = window_end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1) if window_end else None
    produced = 0
    iterator = rule.xafter(lo, inc=True) if lo is not None else iter(rule)
    for local in iterator:
        if hi is not None and local >= hi:
            return
        start_local = localize(local, tz)
        start = start_local.astimezone(UTC)
        if window_start is not None and start < window_start:
            continue
        if window_end is not None and start >= window_end:
            return
        # The end is the same elapsed duration later (a 90-minute session across the
        # fall-back hour still lasts 90 minutes).
        yield Occurrence(starts_at=start, ends_at=start + duration, local_start=start_local)
        produced += 1
        if produced >= limit:
            return
