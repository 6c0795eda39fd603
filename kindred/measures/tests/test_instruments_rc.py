"""Reliable change (Jacobson & Truax 1991) and the NHS Talking Therapies classification
(Gyani et al. 2013), against values worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindred.measures.instruments import builtin
from kindred.measures.rc import (
    Direction,
    Outcome,
    reliable_change,
    s_diff,
    standard_error,
    summarize_change,
    talking_therapies,
)

# sd, r → SE = sd·√(1−r), S_diff = √(2·SE²), all by hand:
#   5, 0.84  → SE = 5·0.4 = 2.0,  S_diff = √8  = 2.8284271
#   4, 0.75  → SE = 4·0.5 = 2.0,  S_diff = √8  = 2.8284271
#   10, 0.91 → SE = 10·0.3 = 3.0, S_diff = √18 = 4.2426407
#   20, 0.84 → SE = 20·0.4 = 8.0, S_diff = √128 = 11.3137085
PARAMS = [
    (5, 0.84, 2.0, 2.8284271),
    (4, 0.75, 2.0, 2.8284271),
    (10, 0.91, 3.0, 4.2426407),
    (20, 0.84, 8.0, 11.3137085),
]


@pytest.mark.parametrize(("sd", "r", "se", "sdiff"), PARAMS)
def test_standard_errors(sd, r, se, sdiff):
    assert standard_error(sd, r) == pytest.approx(se)
    assert s_diff(sd, r) == pytest.approx(sdiff)


RCI_CASES = [
    # first latest sd  r     higher_better  RC (by hand)       direction
    (20, 14, 5, 0.84, False, -6 / 2.8284271, Direction.IMPROVED),  # −2.1213
    (20, 15, 5, 0.84, False, -5 / 2.8284271, Direction.NO_RELIABLE_CHANGE),  # −1.7678
    (14, 20, 5, 0.84, False, 6 / 2.8284271, Direction.DETERIORATED),  # +2.1213
    (30, 39, 10, 0.91, False, 9 / 4.2426407, Direction.DETERIORATED),  # +2.1213
    (30, 38, 10, 0.91, False, 8 / 4.2426407, Direction.NO_RELIABLE_CHANGE),  # +1.8856
    # WHO-5 style, higher is better: a rise is an improvement
    (40, 64, 20, 0.84, True, 24 / 11.3137085, Direction.IMPROVED),  # +2.1213
    (64, 40, 20, 0.84, True, -24 / 11.3137085, Direction.DETERIORATED),
    (40, 60, 20, 0.84, True, 20 / 11.3137085, Direction.NO_RELIABLE_CHANGE),  # +1.7678
    (12, 12, 5, 0.84, False, 0.0, Direction.NO_RELIABLE_CHANGE),
]


@pytest.mark.parametrize("case", RCI_CASES)
def test_reliable_change_index(case):
    x1, x2, sd, r, hib, rci, direction = case
    result = reliable_change(x1, x2, sd=sd, reliability=r, higher_is_better=hib)
    assert result.rci == pytest.approx(rci, abs=1e-6)
    assert result.direction is direction
    assert result.reliable is (direction is not Direction.NO_RELIABLE_CHANGE)
    assert result.change == x2 - x1
    assert result.critical_difference == pytest.approx(1.96 * s_diff(sd, r))


def test_the_threshold_is_strict():
    # sd 1, r 0.5: SE = √0.5, S_diff = √(2·0.5) = 1, so RC equals the change.
    assert s_diff(1, 0.5) == pytest.approx(1.0)
    assert reliable_change(0, 1.95, sd=1, reliability=0.5).reliable is False
    assert reliable_change(0, 1.97, sd=1, reliability=0.5).reliable is True


@pytest.mark.parametrize(
    ("sd", "r"), [(0, 0.8), (-1, 0.8), (5, 0), (5, 1), (5, 1.2), (math.nan, 0.8)]
)
def test_bad_parameters_are_refused(sd, r):
    with pytest.raises(ValueError, match="must be"):
        reliable_change(10, 5, sd=sd, reliability=r)


TT_CASES = [
    # PHQ-9: caseness ≥ 10, reliable change 6
    (15, 9, 10, 6, Outcome.RELIABLY_RECOVERED),
    (12, 9, 10, 6, Outcome.RECOVERED),
    (10, 9, 10, 6, Outcome.RECOVERED),  # 10 is a case, 9 is not
    (18, 12, 10, 6, Outcome.IMPROVED),  # fell 6, still a case
    (18, 13, 10, 6, Outcome.NO_RELIABLE_CHANGE),  # fell 5
    (8, 2, 10, 6, Outcome.IMPROVED),  # not a case at first: improvement, not recovery
    (9, 3, 10, 6, Outcome.IMPROVED),
    (10, 16, 10, 6, Outcome.DETERIORATED),  # rose 6
    (10, 15, 10, 6, Outcome.NO_RELIABLE_CHANGE),  # rose 5
    (4, 10, 10, 6, Outcome.DETERIORATED),
    # GAD-7: caseness ≥ 8, reliable change 4
    (8, 7, 8, 4, Outcome.RECOVERED),
    (12, 7, 8, 4, Outcome.RELIABLY_RECOVERED),
    (12, 8, 8, 4, Outcome.IMPROVED),  # 8 is still a case
    (11, 7, 8, 4, Outcome.RELIABLY_RECOVERED),  # fell exactly 4
    (7, 11, 8, 4, Outcome.DETERIORATED),
    (7, 10, 8, 4, Outcome.NO_RELIABLE_CHANGE),
]


@pytest.mark.parametrize(("first", "latest", "caseness", "points", "outcome"), TT_CASES)
def test_talking_therapies(first, latest, caseness, points, outcome):
    result = talking_therapies(first, latest, caseness=caseness, reliable_change_points=points)
    assert result.outcome is outcome
    assert result.recovered is (outcome in (Outcome.RECOVERED, Outcome.RELIABLY_RECOVERED))
    assert result.reliably_recovered is (outcome is Outcome.RELIABLY_RECOVERED)


def test_talking_therapies_flags():
    result = talking_therapies(15, 9, caseness=10, reliable_change_points=6)
    assert (result.case_at_first, result.case_at_latest) == (True, False)
    assert result.reliable_improvement is True
    assert result.reliable_deterioration is False


def test_builtin_criteria_are_the_talking_therapies_thresholds():
    phq9, gad7 = builtin("phq9").change_criteria, builtin("gad7").change_criteria
    assert phq9 is not None
    assert gad7 is not None
    assert (phq9.caseness, phq9.reliable_change) == (10, 6)
    assert (gad7.caseness, gad7.reliable_change) == (8, 4)
    assert "Gyani" in phq9.source


def test_summary_uses_talking_therapies_when_the_definition_has_it():
    summary = summarize_change(builtin("phq9"), 15, 9, sd=5, reliability=0.84)
    assert summary.outcome is Outcome.RELIABLY_RECOVERED
    assert summary.rci is not None
    assert summary.rci.direction is Direction.IMPROVED  # −6/2.828 = −2.12
    assert summary.talking_therapies is not None


def test_summary_falls_back_to_the_rci_and_respects_direction():
    summary = summarize_change(builtin("who5"), 40, 64, sd=20, reliability=0.84)
    assert summary.talking_therapies is None
    assert summary.outcome is Outcome.IMPROVED


def test_summary_without_parameters_says_nothing():
    summary = summarize_change(builtin("pcl5"), 50, 20, sd=None, reliability=0.94)
    assert summary.rci is None
    assert summary.outcome is None


@given(
    st.integers(min_value=0, max_value=27),
    st.integers(min_value=0, max_value=27),
    st.floats(min_value=0.5, max_value=20),
    st.floats(min_value=0.05, max_value=0.99),
)
def test_rci_properties(x1, x2, sd, r):
    forward = reliable_change(x1, x2, sd=sd, reliability=r)
    backward = reliable_change(x2, x1, sd=sd, reliability=r)
    assert forward.rci == pytest.approx(-backward.rci)
    assert forward.reliable is backward.reliable
    if forward.reliable:
        assert {forward.direction, backward.direction} == {
            Direction.IMPROVED,
            Direction.DETERIORATED,
        }
    # reliable exactly when the change exceeds the critical difference
    assert forward.reliable is (abs(x2 - x1) > forward.critical_difference)
    flipped = reliable_change(x1, x2, sd=sd, reliability=r, higher_is_better=True)
    if forward.reliable:
        assert flipped.direction is not forward.direction


@given(st.integers(0, 27), st.integers(0, 27))
def test_reliable_recovery_implies_recovery_and_improvement(x1, x2):
    result = talking_therapies(x1, x2, caseness=10, reliable_change_points=6)
    if result.reliably_recovered:
        assert result.recovered
        assert result.reliable_improvement
    assert not (result.reliable_improvement and result.reliable_deterioration)
