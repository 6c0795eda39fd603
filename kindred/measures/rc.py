"""Change over time: the Reliable Change Index and the NHS Talking Therapies
classification. Pure functions, no ORM.

Reliable Change Index — Jacobson NS, Truax P. Clinical significance: a statistical
approach to defining meaningful change in psychotherapy research. J Consult Clin Psychol
1991;59:12–19 (../shared/design/CLINICAL.md "Change over time")::

    SE     = s1 · √(1 − r)          standard error of measurement
    S_diff = √(2 · SE²)             standard error of the difference
    RC     = (x2 − x1) / S_diff
    reliable when |RC| > 1.96

s1 is the standard deviation of a reference (usually pre-treatment) sample and r the
measure's reliability; both are configurable per instrument (``Instrument.rc_sd``,
``rc_reliability``, ``rc_source``) and shown beside every result. For an instrument where
a higher score is better (WHO-5, the pulse) a reliable *rise* is an improvement; for
symptom measures (PHQ-9, GAD-7, PCL-5) a reliable *fall* is.

NHS Talking Therapies (formerly IAPT) — Gyani A, Shafran R, Layard R, Clark DM.
Enhancing recovery rates: lessons from year one of IAPT. Behav Res Ther 2013;51:597–606:
caseness PHQ-9 ≥ 10, GAD-7 ≥ 8; reliable improvement = a fall of at least 6 (PHQ-9) or
4 (GAD-7) points; reliable deterioration = a rise of the same size; recovery = a case at
the first measurement and below caseness at the latest; reliable recovery = recovery plus
reliable improvement. The thresholds come from each definition's ``change_criteria``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from kindred.measures.definitions import Definition, Number

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

#: |RC| must exceed this (the two-tailed 5 % point of the normal distribution).
RC_THRESHOLD = 1.96


class Direction(StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"


class Outcome(StrEnum):
    """One word for a member's change, most specific first (see ``talking_therapies``)."""

    RELIABLY_RECOVERED = "reliably_recovered"
    RECOVERED = "recovered"
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"

    @property
    def label(self) -> _StrPromise:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS: dict[Outcome, _StrPromise] = {
    Outcome.RELIABLY_RECOVERED: _("Reliably recovered"),
    Outcome.RECOVERED: _("Recovered"),
    Outcome.IMPROVED: _("Reliably improved"),
    Outcome.DETERIORATED: _("Reliably deteriorated"),
    Outcome.NO_RELIABLE_CHANGE: _("No reliable change"),
}


def standard_error(sd: float, reliability: float) -> float:
    """SE = s1 · √(1 − r) (Jacobson & Truax 1991)."""
    _check_parameters(sd, reliability)
    return sd * math.sqrt(1 - reliability)


def s_diff(sd: float, reliability: float) -> float:
    """S_diff = √(2 · SE²) (Jacobson & Truax 1991)."""
    se = standard_error(sd, reliability)
    return math.sqrt(2 * se * se)


def _check_parameters(sd: float, reliability: float) -> None:
    if not (math.isfinite(sd) and sd > 0):
        raise ValueError("s1 (the reference SD) must be a positive number.")
    if not (math.isfinite(reliability) and 0 < reliability < 1):
        raise ValueError("r (the reliability) must be between 0 and 1.")


@dataclass(frozen=True)
class ReliableChange:
    first: Number
    latest: Number
    sd: float
    reliability: float
    se: float
    s_diff: float
    rci: float
    #: The smallest change (in points) that is reliable: 1.96 · S_diff.
    critical_difference: float
    reliable: bool
    direction: Direction

    @property
    def change(self) -> Number:
        return self.latest - self.first


def reliable_change(
    first: Number,
    latest: Number,
    *,
    sd: float,
    reliability: float,
    higher_is_better: bool = False,
) -> ReliableChange:
    """The Jacobson–Truax Reliable Change Index between two totals."""
    se = standard_error(sd, reliability)
    sdiff = math.sqrt(2 * se * se)
    rci = (latest - first) / sdiff
    reliable = abs(rci) > RC_THRESHOLD
    if not reliable:
        direction = Direction.NO_RELIABLE_CHANGE
    elif (rci > 0) == higher_is_better:
        direction = Direction.IMPROVED
    else:
        direction = Direction.DETERIORATED
    return ReliableChange(
        first=first,
        latest=latest,
        sd=sd,
        reliability=reliability,
        se=se,
        s_diff=sdiff,
        rci=rci,
        critical_difference=RC_THRESHOLD * sdiff,
        reliable=reliable,
        direction=direction,
    )


@dataclass(frozen=True)
class TalkingTherapiesChange:
    first: Number
    latest: Number
    caseness: Number
    reliable_change_points: Number
    case_at_first: bool
    case_at_latest: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    recovered: bool
    reliably_recovered: bool
    outcome: Outcome


def is_case(score: Number, caseness: Number, *, higher_is_better: bool = False) -> bool:
    """A symptom score at or above caseness is a case (PHQ-9 ≥ 10, GAD-7 ≥ 8); for a
    measure where higher is better, a score at or below it."""
    return score <= caseness if higher_is_better else score >= caseness


def talking_therapies(
    first: Number,
    latest: Number,
    *,
    caseness: Number,
    reliable_change_points: Number,
    higher_is_better: bool = False,
) -> TalkingTherapiesChange:
    """Classify the change from the first to the latest total (Gyani et al. 2013).

    ``outcome`` is the most specific that applies: reliably recovered, recovered,
    (reliably) improved, (reliably) deteriorated, or no reliable change.
    """
    change = latest - first
    improvement = change if higher_is_better else -change
    reliable_improvement = improvement >= reliable_change_points
    reliable_deterioration = -improvement >= reliable_change_points
    case_first = is_case(first, caseness, higher_is_better=higher_is_better)
    case_latest = is_case(latest, caseness, higher_is_better=higher_is_better)
    recovered = case_first and not case_latest
    reliably_recovered = recovered and reliable_improvement
    if reliably_recovered:
        outcome = Outcome.RELIABLY_RECOVERED
    elif recovered:
        outcome = Outcome.RECOVERED
    elif reliable_improvement:
        outcome = Outcome.IMPROVED
    elif reliable_deterioration:
        outcome = Outcome.DETERIORATED
    else:
        outcome = Outcome.NO_RELIABLE_CHANGE
    return TalkingTherapiesChange(
        first=first,
        latest=latest,
        caseness=caseness,
        reliable_change_points=reliable_change_points,
        case_at_first=case_first,
        case_at_latest=case_latest,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=reliable_deterioration,
        recovered=recovered,
        reliably_recovered=reliably_recovered,
        outcome=outcome,
    )


@dataclass(frozen=True)
class ChangeSummary:
    """Everything known about a change for one instrument: the RCI when s1 and r are
    configured, the fixed-point (Talking Therapies) classification when the definition
    defines caseness and a reliable-change size, and ``outcome`` from the latter when
    available, else from the RCI."""

    rci: ReliableChange | None
    talking_therapies: TalkingTherapiesChange | None
    outcome: Outcome | None


def summarize_change(
    definition: Definition,
    first: Number,
    latest: Number,
    *,
    sd: float | None,
    reliability: float | None,
) -> ChangeSummary:
    hib = definition.higher_is_better
    rci = (
        reliable_change(first, latest, sd=sd, reliability=reliability, higher_is_better=hib)
        if sd is not None and reliability is not None
        else None
    )
    criteria = definition.change_criteria
    tt = (
        talking_therapies(
            first,
            latest,
            caseness=criteria.caseness,
            reliable_change_points=criteria.reliable_change,
            higher_is_better=hib,
        )
        if criteria is not None
        and criteria.caseness is not None
        and criteria.reliable_change is not None
        else None
    )
    if tt is not None:
        outcome: Outcome | None = tt.outcome
    elif rci is not None:
        outcome = {
            Direction.IMPROVED: Outcome.IMPROVED,
            Direction.DETERIORATED: Outcome.DETERIORATED,
            Direction.NO_RELIABLE_CHANGE: Outcome.NO_RELIABLE_CHANGE,
        }[rci.direction]
    else:
        outcome = None
    return ChangeSummary(rci=rci, talking_therapies=tt, outcome=outcome)
