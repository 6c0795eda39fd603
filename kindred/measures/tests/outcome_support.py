"""Test helpers for safety alerts and outcomes: instruments and completed
administrations written straight to the tables (as the answering flow leaves them,
outcome summary included), so these tests do not depend on the answering pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kindred.measures.instruments import builtin
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Instrument,
    Response,
    Timing,
)
from kindred.measures.summary import summary_record
from kindred.measures.testing import install_builtin_instruments


def instrument(code: str) -> Instrument:
    """A built-in instrument row (the library synced into the database)."""
    existing = Instrument.objects.filter(code=code).first()
    return existing or install_builtin_instruments()[code]


def band_for(code: str, total: int) -> str:
    """The band code the built-in definition gives ``total``."""
    for band in builtin(code).bands:
        if band.contains(total):
            return band.code
    return ""


def _total(code: str, answers: Mapping[str, int]) -> int:
    definition = builtin(code)
    reverse = definition.scoring.reverse
    items = {i.key: i for i in definition.scored_items}
    raw = sum(
        (items[k].min_value + items[k].max_value - v) if k in reverse else v
        for k, v in answers.items()
        if k in items
    )
    return raw * definition.scoring.multiplier


def completed(
    client: Any,
    code: str,
    answers: Mapping[str, int] | None = None,
    *,
    total: int | None = None,
    flags: Sequence[str | dict[str, Any]] = (),
    group: Any = None,
    session: Any = None,
    when: datetime | None = None,
    complete: bool = True,
) -> Administration:
    """A completed administration with its answers and cached results."""
    inst = instrument(code)
    when = when or timezone.now()
    if answers is None and total is not None:
        answers = {}
        left = total
        for item in builtin(code).scored_items:
            if item.key == "item9" and code == "phq9":
                continue  # a total alone never answers the risk item
            answers[item.key] = min(item.max_value, left)
            left -= answers[item.key]
    answers = dict(answers or {})
    if total is None and complete:
        total = _total(code, answers)
    admin = Administration.objects.create(
        client=client,
        instrument=inst,
        instrument_version=inst.version,
        group=group,
        session=session,
        reason=Timing.ADHOC,
        status=AdministrationStatus.COMPLETED,
        available_from=when - timedelta(hours=1),
        completed_at=when,
        is_complete=complete,
        total=total if complete else None,
        band=band_for(code, total) if complete and total is not None else "",
        flags=list(flags),
    )
    Response.objects.bulk_create(
        Response(administration=admin, item=k, value=v, answered_at=when)
        for k, v in answers.items()
    )
    # As administration_submit does in the completion's transaction.
    summary_record(admin)
    return admin


def set_rc(code: str, sd: float | None, reliability: float | None) -> Instrument:
    """Enter s1 and r for a built-in (as an admin would in the instrument library)."""
    inst = instrument(code)
    inst.rc_sd = sd
    inst.rc_reliability = reliability
    inst.rc_source = "test values"
    inst.save(update_fields=["rc_sd", "rc_reliability", "rc_source"])
    return inst


def attended(
    client: Any, group: Any, count: int, *, after: datetime, status: str = "virtual"
) -> list[Any]:
    """``count`` past sessions of ``group`` after ``after`` that ``client`` attended
    (sessions added when the group has too few; attendance rows as the sheet saves them)."""
    from kindred.scheduling.models import Attendance, GroupSession, SessionStatus

    sessions = list(
        GroupSession.objects.filter(
            group=group, starts_at__gt=after, starts_at__lte=timezone.now()
        ).order_by("starts_at")[:count]
    )
    start = after + timedelta(hours=1)
    while len(sessions) < count:
        start = start + timedelta(days=1)
        sessions.append(
            GroupSession.objects.create(
                group=group,
                original_starts_at=start,
                starts_at=start,
                ends_at=start + timedelta(minutes=90),
                status=SessionStatus.SCHEDULED,
                modality=group.modality,
                sequence=1000 + len(sessions),
            )
        )
    for session in sessions:
        Attendance.objects.update_or_create(
            session=session, client=client, defaults={"status": status}
        )
    return sessions
