"""The risk screener against its labelled cases (risk_cases.tsv).

Figures measured when the floors were set (2026-11-26), alert vs. no alert:

- batch 1 (181 cases, the phrase list was tuned on them): precision 1.000, recall 1.000
- batch 2 (65 held-out cases, never tuned on): precision 0.952, recall 0.571
- all 246 cases: precision 0.992, recall 0.889

The floors sit a little under those figures, so a change that loses ground fails here.
The held-out recall is the honest one: phrases nobody wrote down ("thinking about
jumping", "the urge to cut") are missed, which is why a facilitator reads the space too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kindred.space.risk import RiskCategory, categories, screen

CASES = Path(__file__).with_name("risk_cases.tsv")


@dataclass(frozen=True)
class Case:
    batch: int
    expect: bool
    kind: str
    category: str
    text: str


def load_cases() -> list[Case]:
    cases: list[Case] = []
    batch = 1
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line.startswith("# --- batch 2"):
            batch = 2
        if not line.strip() or line.startswith("#"):
            continue
        expect, kind, category, text = line.split("\t")
        cases.append(Case(batch, expect == "alert", kind, category, text))
    return cases


def figures(cases: list[Case]) -> tuple[float, float]:
    tp = sum(1 for c in cases if c.expect and screen(c.text))
    fp = sum(1 for c in cases if not c.expect and screen(c.text))
    fn = sum(1 for c in cases if c.expect and not screen(c.text))
    return tp / (tp + fp), tp / (tp + fn)


def test_the_case_file_is_big_enough_and_well_formed() -> None:
    cases = load_cases()
    assert len(cases) >= 150
    kinds = {c.kind for c in cases}
    assert kinds == {"positive", "negative", "negated", "quoted"}
    for case in cases:
        assert case.expect == (case.kind == "positive"), case.text
        if case.expect:
            assert case.category in {c.value for c in RiskCategory}, case.text


@pytest.mark.parametrize(
    ("batch", "precision_floor", "recall_floor"),
    [(1, 0.97, 0.97), (2, 0.90, 0.55), (None, 0.97, 0.85)],
)
def test_precision_and_recall_floors(
    batch: int | None, precision_floor: float, recall_floor: float
) -> None:
    cases = [c for c in load_cases() if batch is None or c.batch == batch]
    precision, recall = figures(cases)
    assert precision >= precision_floor, f"precision {precision:.3f}"
    assert recall >= recall_floor, f"recall {recall:.3f}"


def test_found_positives_carry_their_category() -> None:
    wrong = [
        c.text
        for c in load_cases()
        if c.expect and screen(c.text) and c.category not in categories(c.text)
    ]
    assert wrong == []


def test_negation_and_quotes() -> None:
    assert screen("I'm not suicidal") == []
    assert screen("I would never hurt myself") == []
    assert [m.category for m in screen("I want to die")] == [RiskCategory.SUICIDAL_IDEATION]
    # A negator in another clause does not cancel the phrase.
    assert screen("I'm not okay. I want to die.")
    assert screen("It's not that bad, but I want to die")
    # Someone else's quoted words are not the writer's; the writer's own quote is.
    assert screen('The song "Better off dead" played') == []
    assert screen('I told him "I want to kill myself"')


def test_matches_point_into_the_original_text() -> None:
    text = "Today  was   hard.\n\nHonestly I  want   to die."
    (match,) = screen(text)
    assert text[match.start : match.end] == "want   to die"


def test_word_boundaries_and_empty_text() -> None:
    assert screen("") == []
    assert screen("   ") == []
    assert screen("skillmyself") == []
    assert screen("I’m going to kill myself")  # typographic apostrophe
    assert categories("He hit me. I want to hurt myself.") == ["self_harm", "abuse"]
