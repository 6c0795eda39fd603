"""Set-up for screening and admission tests (and for other apps' tests that need a
member admitted), through the real services."""

from __future__ import annotations

from typing import Any

from kindred.clients.models import Client
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Answer, ScreeningDecision
from kindred.intake.screening import ScreeningResult, screening_create

#: A checklist that fits: every inclusion criterion met, no exclusion.
FITS: dict[str, Any] = {
    "motivation": Answer.YES,
    "can_participate": Answer.YES,
    "goals_fit": Answer.YES,
    "commitment": Answer.YES,
}


def admit(client: Client, group: TherapyGroup, *, screener: Any = None) -> ScreeningResult:
    """Screen ``client`` for ``group`` and admit them, as the group's lead facilitator
    (or ``screener``). They get a place, active at once when the group asks for no
    agreement."""
    actor = screener or group.lead_facilitator.user
    return screening_create(
        actor=actor, client=client, group=group, decision=ScreeningDecision.ADMIT, **FITS
    )
