"""Screenings in the demo and scale data sets (intake/screening.py).

- Demo: every place in a demo group was given after a screening that admitted the person
  (recorded as done on its date, before the place was offered: the practice screened them
  before it used Kindred's screening pages, so the place already exists); an offer not
  yet taken up has a screening in progress for its group's lead; and two people were
  screened through the real service this week: one deferred, one referred to individual
  care.
- Scale: a decided screening (mostly admits) for about half of the enrolled clients,
  bulk-inserted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from django.utils import timezone

from kindred.groups.models import Enrollment, TherapyGroup
from kindred.intake.models import Answer, Screening, ScreeningDecision
from kindred.intake.screening import screening_create

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

FITS: dict[str, str] = {
    "motivation": Answer.YES,
    "can_participate": Answer.YES,
    "goals_fit": Answer.YES,
    "commitment": Answer.YES,
}
ADMIT_NOTES = (
    "Clear about what they want from a group; no concerns about taking part.",
    "Some nerves about speaking in a group; talked through what the first session is like.",
    "Has been in a group before and found it helpful.",
    "Works shifts; agreed to give notice of absences.",
)


def _lead_user(group: TherapyGroup) -> User:
    return group.lead_facilitator.user


def past_admit(enrollment: Enrollment, *, decided_at: datetime, rng: Random) -> Screening:
    """The screening that admitted someone who already holds ``enrollment`` (decided on
    ``decided_at``, by the group's lead)."""
    return Screening.objects.create(
        client_id=enrollment.client_id,
        group_id=enrollment.group_id,
        screener=_lead_user(enrollment.group),
        **FITS,
        notes=rng.choice(ADMIT_NOTES),
        decision=ScreeningDecision.ADMIT,
        decided_at=decided_at,
    )


def in_progress(enrollment: Enrollment) -> Screening:
    """A screening the group's lead has started and not decided (their home page shows
    it as awaiting a decision)."""

    return screening_create(
        actor=_lead_user(enrollment.group),
        client=enrollment.client,
        group=enrollment.group,
        motivation=Answer.YES,
        goals_fit=Answer.PARTLY,
        notes="Call back about evening availability before deciding.",
    ).screening


def seed_demo_outcomes(clients: list[Client]) -> int:
    """One deferral and one referral through the real service, for people without a
    place (preferring people without an email address, so loading the demo prints no
    email)."""

    placed = set(Enrollment.objects.values_list("client_id", flat=True))
    free = [c for c in clients if c.pk not in placed]
    free.sort(key=lambda c: (bool(c.email), c.pk))
    groups = list(TherapyGroup.objects.select_related("lead_facilitator__user").order_by("pk"))
    if len(free) < 2 or not groups:
        return 0
    today = timezone.localdate()
    screening_create(
        actor=_lead_user(groups[0]),
        client=free[0],
        group=groups[0],
        motivation=Answer.YES,
        can_participate=Answer.YES,
        goals_fit=Answer.YES,
        commitment=Answer.PARTLY,
        notes="Starting a new job next month and worried about evenings.",
        decision=ScreeningDecision.DEFER,
        decision_reason="Wants to settle into the new job first; keen to join after.",
        revisit_on=today + timedelta(days=42),
    )
    screening_create(
        actor=_lead_user(groups[-1]),
        client=free[1],
        group=groups[-1],
        motivation=Answer.YES,
        can_participate=Answer.PARTLY,
        goals_fit=Answer.NO,
        commitment=Answer.YES,
        notes="Goals are about a specific trauma that needs one-to-one work first.",
        decision=ScreeningDecision.REFER_INDIVIDUAL,
        decision_reason="Individual trauma-focused therapy first; revisit groups afterwards.",
    )
    return 2


# --- Scale ------------------------------------------------------------------------------

DECISION_WEIGHTS = (
    (ScreeningDecision.ADMIT, 88),
    (ScreeningDecision.DEFER, 8),
    (ScreeningDecision.REFER_INDIVIDUAL, 4),
)


def seed_scale_screenings(
    *,
    group_ids: list[int],
    seed: int,
    batch_size: int,
    progress: Callable[[int], object],
) -> int:
    """A decided screening for about half of the clients holding (or having held) a
    place in these groups, decided a few days before they were offered it, by the
    group's lead. Bulk-inserted; returns the rows written."""
    rng = Random(f"{seed}:screenings")  # noqa: S311 - synthetic data, not secrets
    rows = (
        Enrollment.objects.filter(group_id__in=group_ids)
        .order_by("pk")
        .values_list("client_id", "group_id", "invited_at", "group__lead_facilitator__user_id")
    )
    decisions = [d for d, _w in DECISION_WEIGHTS]
    weights = [w for _d, w in DECISION_WEIGHTS]
    batch: list[Screening] = []
    written = 0
    for client_id, group_id, invited_at, screener_id in rows.iterator(chunk_size=batch_size):
        if rng.random() >= 0.5:
            continue
        decision = rng.choices(decisions, weights=weights)[0]
        decided_at = invited_at - timedelta(days=rng.randint(2, 10), hours=rng.randint(0, 8))
        batch.append(
            Screening(
                client_id=client_id,
                group_id=group_id,
                screener_id=screener_id,
                **FITS,
                notes="",
                decision=decision,
                decision_reason="" if decision == ScreeningDecision.ADMIT else "Not now.",
                revisit_on=(decided_at + timedelta(days=60)).date()
                if decision == ScreeningDecision.DEFER
                else None,
                decided_at=decided_at,
            )
        )
        if len(batch) >= batch_size:
            written += _flush(batch, progress)
    return written + _flush(batch, progress)


def _flush(batch: list[Screening], progress: Callable[[int], object]) -> int:
    Screening.objects.bulk_create(batch)
    progress(len(batch))
    count = len(batch)
    batch.clear()
    return count
