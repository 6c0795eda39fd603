"""Scoring of every built-in instrument, table-driven, with totals computed by hand.

Each row lists the item answers in item order and the total, band and flags worked out
on paper from CLINICAL.md — not from the code under test.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindred.measures.definitions import DefinitionError
from kindred.measures.instruments import builtin, builtins
from kindred.measures.scoring import ScoringError, score


def _items(values: list[int], prefix: str = "item") -> dict[str, int]:
    return {f"{prefix}{n}": v for n, v in enumerate(values, start=1)}


# PHQ-9: 0–4 minimal, 5–9 mild, 10–14 moderate, 15–19 moderately severe, 20–27 severe.
PHQ9_CASES = [
    # answers (items 1–9)           total band                item9 flag
    ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal", False),
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", False),
    ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", False),
    ([3, 3, 3, 0, 0, 0, 0, 0, 0], 9, "mild", False),
    ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate", False),
    ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate", False),
    ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe", False),
    ([3, 3, 3, 3, 3, 3, 1, 0, 0], 19, "moderately_severe", False),
    ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe", False),
    ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe", True),
    # item 9 above 0 flags whatever the total, even a minimal one
    ([0, 0, 0, 0, 0, 0, 0, 0, 1], 1, "minimal", True),
    ([1, 0, 1, 0, 1, 0, 0, 0, 2], 5, "mild", True),
]


@pytest.mark.parametrize(("values", "total", "band", "item9"), PHQ9_CASES)
def test_phq9(values, total, band, item9):
    result = score(builtin("phq9"), _items(values))
    assert result.complete is True
    assert result.missing_items == ()
    assert result.total == total
    assert result.band == band
    assert ("phq9.item9" in result.flags) is item9
    assert ("phq9.item9" in result.safety_flags) is item9


def test_phq9_difficulty_question_is_not_scored():
    base = _items([1, 1, 1, 1, 1, 0, 0, 0, 0])
    without = score(builtin("phq9"), base)
    with_difficulty = score(builtin("phq9"), {**base, "difficulty": 3})
    assert without.total == with_difficulty.total == 5
    assert with_difficulty.band == "mild"
    # Not answering it does not make the questionnaire incomplete.
    assert without.complete is True


def test_phq9_item9_flags_an_incomplete_administration():
    result = score(builtin("phq9"), {"item1": 0, "item9": 1})
    assert result.complete is False
    assert result.total is None
    assert result.band == ""
    assert result.flags == ("phq9.item9",)
    assert result.safety_flags == ("phq9.item9",)


def test_phq9_item9_zero_raises_nothing():
    result = score(builtin("phq9"), {"item9": 0})
    assert result.flags == ()


# GAD-7: 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe; ≥ 10 further evaluation.
GAD7_CASES = [
    ([0, 0, 0, 0, 0, 0, 0], 0, "minimal", False),
    ([1, 1, 1, 1, 0, 0, 0], 4, "minimal", False),
    ([1, 1, 1, 1, 1, 0, 0], 5, "mild", False),
    ([3, 3, 3, 0, 0, 0, 0], 9, "mild", False),
    ([2, 2, 2, 2, 2, 0, 0], 10, "moderate", True),
    ([2, 2, 2, 2, 2, 2, 2], 14, "moderate", True),
    ([3, 3, 3, 3, 3, 0, 0], 15, "severe", True),
    ([3, 3, 3, 3, 3, 3, 3], 21, "severe", True),
]


@pytest.mark.parametrize(("values", "total", "band", "evaluate"), GAD7_CASES)
def test_gad7(values, total, band, evaluate):
    result = score(builtin("gad7"), _items(values))
    assert result.total == total
    assert result.band == band
    assert ("gad7.further_evaluation" in result.flags) is evaluate
    assert result.safety_flags == ()


# WHO-5: raw 0–25, ×4 = 0–100; raw < 13 poor well-being. Higher is better.
WHO5_CASES = [
    ([0, 0, 0, 0, 0], 0, 0, True),
    ([2, 2, 2, 3, 3], 12, 48, True),  # raw 12: poor
    ([3, 3, 3, 2, 2], 13, 52, False),  # raw 13: not poor
    ([5, 5, 5, 5, 4], 24, 96, False),
    ([5, 5, 5, 5, 5], 25, 100, False),
]


@pytest.mark.parametrize(("values", "raw", "total", "poor"), WHO5_CASES)
def test_who5(values, raw, total, poor):
    result = score(builtin("who5"), _items(values))
    assert result.raw_total == raw
    assert result.total == total
    assert result.band == ""  # CLINICAL.md gives the WHO-5 no bands
    assert ("who5.poor_wellbeing" in result.flags) is poor
    assert builtin("who5").higher_is_better is True


# PCL-5: 20 items 0–4, total 0–80, no bands; provisional PTSD at the cut-off (33).
PCL5_CASES = [
    ([0] * 20, 0, False, (0, 0, 0, 0)),
    ([2] * 16 + [0] * 4, 32, False, (10, 4, 14, 4)),
    ([2] * 16 + [1, 0, 0, 0], 33, True, (10, 4, 14, 5)),
    ([4] * 20, 80, True, (20, 8, 28, 24)),
    # clusters: B 1–5, C 6–7, D 8–14, E 15–20
    ([1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4], 54, True, (5, 4, 21, 24)),
]


@pytest.mark.parametrize(("values", "total", "ptsd", "clusters"), PCL5_CASES)
def test_pcl5(values, total, ptsd, clusters):
    result = score(builtin("pcl5"), _items(values))
    assert result.total == total
    assert result.band == ""
    assert ("pcl5.provisional_ptsd" in result.flags) is ptsd
    assert (
        result.subscales["intrusion"],
        result.subscales["avoidance"],
        result.subscales["cognition_mood"],
        result.subscales["arousal"],
    ) == clusters


@pytest.mark.parametrize(("cutoff", "total", "ptsd"), [(31, 31, True), (31, 30, False)])
def test_pcl5_cutoff_is_configurable(cutoff, total, ptsd):
    values = [2] * 15 + [total - 30] + [0] * 4
    result = score(builtin("pcl5"), _items(values), cutoffs={"provisional_ptsd": cutoff})
    assert result.total == total
    assert ("pcl5.provisional_ptsd" in result.flags) is ptsd


def test_a_cutoff_outside_its_range_or_unknown_is_refused():
    with pytest.raises(DefinitionError, match="between 1 and 80"):
        score(builtin("pcl5"), {}, cutoffs={"provisional_ptsd": 81})
    with pytest.raises(DefinitionError, match="no cut-off"):
        score(builtin("pcl5"), {}, cutoffs={"nonsense": 3})


# AUDIT-C: 3 items 0–4, total 0–12; sex-neutral default positive at ≥ 3.
AUDITC_CASES = [
    ([0, 0, 0], 0, False, False),
    ([1, 1, 0], 2, False, False),
    ([1, 1, 1], 3, True, False),  # positive at the default 3, not at 4 (men)
    ([2, 1, 1], 4, True, True),
    ([4, 4, 4], 12, True, True),
]


@pytest.mark.parametrize(("values", "total", "positive_3", "positive_4"), AUDITC_CASES)
def test_auditc(values, total, positive_3, positive_4):
    default = score(builtin("auditc"), _items(values))
    men = score(builtin("auditc"), _items(values), cutoffs={"positive": 4})
    assert default.total == men.total == total
    assert ("auditc.positive" in default.flags) is positive_3
    assert ("auditc.positive" in men.flags) is positive_4


def test_auditc_default_cutoff_is_three():
    assert {c.key: c.default for c in builtin("auditc").cutoffs} == {"positive": 3}


# Pulse: 0–4 each; total reverses conflict (0–20, higher better); conflict subscale raw.
PULSE_CASES = [
    # belonging safety usefulness engagement conflict → total, flags
    ((4, 4, 4, 4, 0), 20, ()),
    ((0, 0, 0, 0, 4), 0, ("pulse.low_safety", "pulse.conflict")),
    ((3, 2, 3, 3, 1), 14, ()),
    ((2, 1, 2, 2, 3), 8, ("pulse.low_safety", "pulse.conflict")),
    ((3, 2, 3, 3, 2), 13, ()),
]


@pytest.mark.parametrize(("values", "total", "flags"), PULSE_CASES)
def test_pulse(values, total, flags):
    keys = ("belonging", "safety", "usefulness", "engagement", "conflict")
    answers = dict(zip(keys, values, strict=True))
    result = score(builtin("pulse"), answers)
    assert result.total == total
    assert result.flags == flags
    assert result.safety_flags == ()
    assert result.subscales == answers  # each item its own subscale; conflict not reversed


def test_pulse_is_labelled_not_validated():
    pulse = builtin("pulse")
    assert pulse.validated is False
    assert "Not a validated instrument" in pulse.source


# Incomplete administrations: never totalled, never banded, never prorated.
@pytest.mark.parametrize("code", ["phq9", "gad7", "who5", "pcl5", "auditc", "pulse"])
def test_incomplete_is_never_banded(code):
    definition = builtin(code)
    answers = {i.key: i.max_value for i in definition.scored_items[:-1]}
    result = score(definition, answers)
    assert result.complete is False
    assert result.total is None
    assert result.raw_total is None
    assert result.band == ""
    assert result.missing_items == (definition.scored_items[-1].key,)
    assert not any(
        f.on in ("total", "raw_total") and f.code in result.flags for f in definition.flags
    )


def test_nothing_answered():
    result = score(builtin("gad7"), {})
    assert result.complete is False
    assert result.missing_items == tuple(f"item{n}" for n in range(1, 8))


@pytest.mark.parametrize(
    ("code", "answers", "item", "message"),
    [
        ("phq9", {"item1": 4}, "item1", "4 is not an answer item1 accepts"),
        ("phq9", {"item9": -1}, "item9", "use one of 0, 1, 2, 3"),
        ("gad7", {"item3": "2"}, "item3", "must be a whole number"),
        ("gad7", {"item3": 2.0}, "item3", "must be a whole number"),
        ("who5", {"item5": True}, "item5", "must be a whole number"),
        ("who5", {"item2": 6}, "item2", "use one of 0, 1, 2, 3, 4, 5"),
        ("pcl5", {"item20": 5}, "item20", "use one of 0, 1, 2, 3, 4"),
        ("auditc", {"item4": 1}, "item4", "has no item 'item4'"),
        ("phq9", {"difficulty": 7}, "difficulty", "7 is not an answer"),
        ("pulse", {"conflict": None}, "conflict", "must be a whole number"),
    ],
)
def test_out_of_range_answers_name_the_item(code, answers, item, message):
    with pytest.raises(ScoringError, match=message) as exc:
        score(builtin(code), answers)
    assert exc.value.item == item
    assert exc.value.field == item
    assert item in exc.value.errors


@given(st.data())
def test_total_is_the_sum_of_answers_within_range(data):
    for definition in builtins():
        answers = {
            i.key: data.draw(st.sampled_from(sorted(i.values))) for i in definition.scored_items
        }
        result = score(definition, answers)
        low, high = definition.score_range
        assert result.complete
        assert result.total is not None
        assert low <= result.total <= high
        # every complete total of a covered instrument falls in exactly one band
        if definition.bands and definition.bands_cover_range:
            assert sum(b.contains(result.total) for b in definition.bands) == 1
            assert result.band


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9))
def test_phq9_item9_flag_iff_item9_above_zero(values):
    result = score(builtin("phq9"), _items(values))
    assert result.total == sum(values)
    assert ("phq9.item9" in result.flags) is (values[8] > 0)
