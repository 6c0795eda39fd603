"""Helpers for the questionnaire (administration) tests: the cast's group A with the
default schedules, its sessions, and answering through the real services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.utils import timezone

from kindred.core.testing import Cast
from kindred.measures.answering import SubmitResult, administration_submit, answers_save
from kindred.measures.models import Administration, Instrument, MeasurementSchedule, Timing
from kindred.measures.schedules import schedules_apply_defaults
from kindred.measures.testing import BuiltinInstruments, answers_for
from kindred.scheduling.models import GroupSession, SessionStatus


def with_defaults(cast: Cast, instruments: BuiltinInstruments) -> None:
    """Group A (and B) with the default schedules."""
    assert instruments.phq9.pk
    schedules_apply_defaults()


def schedule(cast: Cast, instrument: Instrument, timing: str, every_n: int | None = None) -> None:
    MeasurementSchedule.objects.create(
        group=cast.group_a, instrument=instrument, timing=timing, every_n=every_n
    )


def sessions_a(cast: Cast) -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(group=cast.group_a, status=SessionStatus.SCHEDULED).order_by(
            "starts_at"
        )
    )


def next_session(cast: Cast, *, after: datetime | None = None) -> GroupSession:
    after = after or timezone.now()
    return next(s for s in sessions_a(cast) if s.starts_at > after)


def open_before(cast: Cast, instrument: Instrument) -> Administration:
    """A before-the-session administration of ``instrument`` for ``cast.client`` whose
    window is open now (written as planning writes it)."""
    now = timezone.now()
    session = next_session(cast)
    return Administration.objects.create(
        client=cast.client,
        instrument=instrument,
        instrument_version=instrument.version,
        group=cast.group_a,
        session=session,
        reason=Timing.BEFORE_SESSION,
        available_from=now - timedelta(hours=1),
        due_at=session.starts_at,
        closes_at=max(session.ends_at, now + timedelta(days=1)),
    )


def answer_all(
    cast: Cast, administration: Administration, value: int = 1, **overrides: int
) -> Administration:
    answers = answers_for(administration.instrument, value, **overrides)
    answers_save(
        actor=cast.member,
        administration=administration,
        answers=answers,
        version=administration.instrument_version,
    )
    return administration


def submit(
    cast: Cast, administration: Administration, answers: Mapping[str, object] | None = None
) -> SubmitResult:
    return administration_submit(
        actor=cast.member,
        administration=administration,
        version=administration.instrument_version,
        answers=answers,
    )


def upcoming_a(cast: Cast) -> list[GroupSession]:
    """Group A's sessions starting after now (the members' 1st, 2nd, … sessions)."""
    now = timezone.now()
    return [s for s in sessions_a(cast) if s.starts_at > now]
