"""FHIR search parameters: what each search accepts, paging and the ``date`` prefixes.

Unknown parameters are refused (400) rather than ignored, so a client never believes a
filter was applied when it was not. Dates follow the FHIR search rules: a date without a
time covers that whole day (month, year) in the practice's time zone; a dateTime must
carry its offset; the prefixes ``eq`` (the default), ``ge``, ``le``, ``gt`` and ``lt`` are
supported and may be combined (``date=ge2025-01-01&date=le2025-03-31``).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.http import QueryDict

from kindred.practice.settings import practice_settings

MAX_COUNT = 200
DEFAULT_COUNT = 50
COMMON_PARAMS = frozenset({"_count", "page", "_format"})
_DATE_RE = re.compile(r"^(eq|ge|le|gt|lt)?(\d{4}(-\d{2}(-\d{2})?)?)$")
_DATETIME_RE = re.compile(r"^(eq|ge|le|gt|lt)?(\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2}))$")
_ID_RE = re.compile(r"^[1-9]\d{0,17}$")


class SearchError(ValueError):
    """A search the server cannot do as asked: answered 400 with an OperationOutcome."""


@dataclass(frozen=True)
class Paging:
    count: int
    page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.count


def check_params(query: QueryDict, allowed: frozenset[str]) -> None:
    unknown = sorted(set(query) - allowed - COMMON_PARAMS)
    if unknown:
        raise SearchError(
            f"Unsupported search parameter(s): {', '.join(unknown)}. "
            f"Supported: {', '.join(sorted(allowed | COMMON_PARAMS))}."
        )
    fmt = query.get("_format")
    if fmt is not None and fmt not in {"json", "application/fhir+json", "application/json"}:
        raise SearchError("Only JSON is available (_format=json).")


def paging(query: QueryDict) -> Paging:
    return Paging(
        count=_int_param(query, "_count", DEFAULT_COUNT, 1, MAX_COUNT),
        page=_int_param(query, "page", 1, 1, 100_000),
    )


def _int_param(query: QueryDict, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SearchError(f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def resource_id(value: str, kind: str) -> int:
    """``Patient/12`` or ``12`` → 12 (``kind`` is the resource type a reference names)."""
    raw = value.removeprefix(f"{kind}/")
    if not _ID_RE.match(raw):
        raise SearchError(f"{value!r} is not a {kind} id.")
    return int(raw)


def ids(query: QueryDict, name: str, kind: str) -> list[int] | None:
    """The ids a parameter lists (``patient=1,2`` or repeated), or None when absent."""
    values = query.getlist(name)
    if not values:
        return None
    return [resource_id(part, kind) for value in values for part in value.split(",")]


def _range(value: str) -> tuple[datetime, datetime]:
    """The [start, end) a date or dateTime search value covers."""
    if "T" in value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise SearchError(f"{value!r} is not a valid dateTime.") from exc
        return moment, moment + timedelta(microseconds=1)
    zone = zoneinfo.ZoneInfo(practice_settings().timezone)
    parts = [int(p) for p in value.split("-")]
    try:
        if len(parts) == 1:
            start = datetime(parts[0], 1, 1, tzinfo=zone)
            end = datetime(parts[0] + 1, 1, 1, tzinfo=zone)
        elif len(parts) == 2:
            start = datetime(parts[0], parts[1], 1, tzinfo=zone)
            year, month = (parts[0] + 1, 1) if parts[1] == 12 else (parts[0], parts[1] + 1)
            end = datetime(year, month, 1, tzinfo=zone)
        else:
            start = datetime(parts[0], parts[1], parts[2], tzinfo=zone)
            end = start + timedelta(days=1)
    except ValueError as exc:
        raise SearchError(f"{value!r} is not a valid date.") from exc
    return start, end


def date_filter(query: QueryDict, field: str) -> Q:
    """A ``Q`` on ``field`` for every ``date`` value (they all must hold)."""
    condition = Q()
    for raw in query.getlist("date"):
        match = _DATETIME_RE.match(raw) or _DATE_RE.match(raw)
        if match is None:
            raise SearchError(
                f"date={raw!r}: use a date (2025-03-01) or a dateTime with its offset "
                "(2025-03-01T09:00:00-06:00), with an optional prefix eq, ge, le, gt or lt."
            )
        prefix, value = match.group(1) or "eq", match.group(2)
        start, end = _range(value)
        condition &= {
            "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "ge": Q(**{f"{field}__gte": start}),
            "gt": Q(**{f"{field}__gte": end}),
            "lt": Q(**{f"{field}__lt": start}),
            "le": Q(**{f"{field}__lt": end}),
        }[prefix]
    return condition


def token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``code`` → (None, code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system or None, code
    return None, value


def links(*, base: str, query: QueryDict, paging: Paging, total: int) -> list[tuple[str, str]]:
    """self, first, previous, next and last links of a searchset."""
    params = [(k, v) for k, values in query.lists() for v in values if k != "page"]

    def url(page: int) -> str:
        return f"{base}?{urlencode([*params, ('page', str(page))])}"

    last = max(1, -(-total // paging.count))
    result = [("self", url(paging.page)), ("first", url(1))]
    if paging.page > 1:
        result.append(("previous", url(min(paging.page - 1, last))))
    if paging.page < last:
        result.append(("next", url(paging.page + 1)))
    result.append(("last", url(last)))
    return result
