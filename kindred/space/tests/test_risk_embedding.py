"""The embedding second opinion (kindred/space/risk_embedding.py) and the combined screener.

Measured when the floors were set (2026-11-26, ``python -m kindred.space.risk_report``;
tuning batches leave-one-out, batch 4 held out and not among the references):

- phrase list alone, batch 4: P 0.875 R 0.343 (floors in test_risk.py)
- embedding alone, batch 4: P 0.870 R 0.657
- phrase list OR embedding (``risk.categories``), batch 4: P 0.863 R 0.748;
  tuning batches: P 0.917 R 0.986
- everyday posts (risk_everyday.tsv): 8 of 80 alert (0.100), all by the second opinion

The floors sit a little under those figures.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from typing import Any

import pytest
from django.conf import LazySettings

from kindred.space import risk, risk_embedding
from kindred.space.risk import RiskCategory, categories, list_categories
from kindred.space.risk_report import (
    HELD_OUT_BATCHES,
    TUNING_BATCHES,
    Case,
    choose_min_similarity,
    choose_threshold,
    combined_screener,
    embedding_answers,
    embedding_screener,
    figures,
    load_cases,
    load_everyday,
    main,
    reference_lines,
)

# Wording the phrase list does not know (a plan without risk words) and an ordinary post.
PARAPHRASE = "I bought rope and I know what it's for"
ORDINARY = "Today was a good day at the allotment, the beans are up"


def _answers() -> dict[str, str | None]:
    return embedding_answers(load_cases())  # cached per process


def _batch(batches: frozenset[int] | set[int]) -> list[Case]:
    return [c for c in load_cases() if c.batch in batches]


def test_the_references_are_the_tuning_batches_and_never_the_held_out_one() -> None:
    cases = load_cases()
    shipped = risk_embedding.REFERENCES_FILE.read_text(encoding="utf-8").splitlines()
    assert shipped == reference_lines(cases), (
        "run: python -m kindred.space.risk_report --write-references"
    )
    references = {r.text for r in risk_embedding.load_references()}
    assert references == {c.text for c in cases if c.batch in TUNING_BATCHES}
    assert not references & {c.text for c in cases if c.batch in HELD_OUT_BATCHES}


def test_the_threshold_is_the_one_chosen_on_the_tuning_batches() -> None:
    assert choose_threshold(_batch(TUNING_BATCHES)) == pytest.approx(risk_embedding.THRESHOLD)
    floor = choose_min_similarity(_batch(TUNING_BATCHES), risk_embedding.THRESHOLD)
    assert floor == pytest.approx(risk_embedding.MIN_SIMILARITY)
    with pytest.raises(ValueError, match="never chosen on held-out"):
        choose_min_similarity(_batch(HELD_OUT_BATCHES), risk_embedding.THRESHOLD)
    with pytest.raises(ValueError, match="never chosen on held-out"):
        choose_threshold(_batch(HELD_OUT_BATCHES))


@pytest.mark.parametrize(
    ("batches", "which", "precision_floor", "recall_floor"),
    [
        (HELD_OUT_BATCHES, "combined", 0.84, 0.73),
        (HELD_OUT_BATCHES, "embedding", 0.85, 0.64),
        (TUNING_BATCHES, "combined", 0.90, 0.97),
    ],
)
def test_combined_precision_and_recall_floors(
    batches: frozenset[int], which: str, precision_floor: float, recall_floor: float
) -> None:
    screener = (combined_screener if which == "combined" else embedding_screener)(_answers())
    result = figures(_batch(batches), screener)
    assert result.precision is not None
    assert result.recall is not None
    assert result.precision >= precision_floor, result
    assert result.recall >= recall_floor, result


def test_the_second_opinion_adds_recall_on_held_out_text_at_about_the_same_precision() -> None:
    # It is shipped only because of this (issue 8): held-out recall 0.343 -> 0.748.
    held_out = _batch(HELD_OUT_BATCHES)
    alone = figures(held_out)
    combined = figures(held_out, combined_screener(_answers()))
    assert alone.recall is not None
    assert alone.precision is not None
    assert combined.recall is not None
    assert combined.precision is not None
    assert combined.recall >= alone.recall + 0.40
    assert combined.precision >= alone.precision - 0.03


@pytest.mark.parametrize(
    ("category", "floor"),
    [
        (RiskCategory.SUICIDAL_IDEATION, 0.56),
        (RiskCategory.SELF_HARM, 0.76),
        (RiskCategory.HARM_TO_OTHERS, 0.74),
        (RiskCategory.ABUSE, 0.92),
    ],
)
def test_combined_held_out_recall_per_category(category: RiskCategory, floor: float) -> None:
    positives = [c for c in _batch(HELD_OUT_BATCHES) if c.category == category.value]
    result = figures(positives, combined_screener(_answers()))
    assert result.recall is not None
    assert result.recall >= floor, result


@pytest.mark.parametrize(
    ("kind", "ceiling"), [("negative", 0.19), ("negated", 0.25), ("quoted", 0.06)]
)
def test_combined_false_alerts_on_held_out_text(kind: str, ceiling: float) -> None:
    screener = combined_screener(_answers())
    of_kind = [c for c in _batch(HELD_OUT_BATCHES) if c.kind == kind]
    alerted = sum(1 for c in of_kind if screener(c.text))
    assert alerted / len(of_kind) <= ceiling, f"{alerted} of {len(of_kind)} {kind} cases alert"


def test_everyday_posts_alert_rarely() -> None:
    # Measured: 8 of 80 ordinary posts alert through the second opinion (0.100), none
    # through the phrase list. This ceiling keeps it from getting worse; it is the
    # figure facilitators will feel most (docs/risk-screening.md, caveats).
    everyday = load_everyday()
    assert len(everyday) >= 80
    assert not any(list_categories(text) for text in everyday)
    alerted = [
        t
        for t, found in zip(everyday, risk_embedding.second_opinion(everyday), strict=True)
        if found
    ]
    assert len(alerted) / len(everyday) <= 0.12, alerted
    assert "Today was a good day, I went for a walk by the river after work." not in alerted
    # Short ordinary texts sit far from every reference, where the margin alone is noise:
    # the minimum similarity keeps them quiet.
    assert risk_embedding.second_opinion(["Glad I came.", "ok", "Nice one"]) == [None] * 3


def test_categories_is_the_combined_screener(settings: LazySettings) -> None:
    settings.KINDRED_RISK_EMBEDDINGS = True
    combined = combined_screener(_answers())
    held_out = _batch(HELD_OUT_BATCHES)
    assert [categories(c.text) for c in held_out] == [combined(c.text) for c in held_out]


def test_turning_embeddings_off_gives_the_phrase_list_alone(settings: LazySettings) -> None:
    settings.KINDRED_RISK_EMBEDDINGS = False
    held_out = _batch(HELD_OUT_BATCHES)
    assert [categories(c.text) for c in held_out] == [list_categories(c.text) for c in held_out]
    assert categories(PARAPHRASE) == []
    settings.KINDRED_RISK_EMBEDDINGS = True
    assert categories(PARAPHRASE) == ["suicidal_ideation"]
    assert risk.embeddings_enabled()


def test_the_phrase_list_decides_when_it_finds_something(settings: LazySettings) -> None:
    settings.KINDRED_RISK_EMBEDDINGS = True
    assert categories("He hit me. I want to hurt myself.") == ["self_harm", "abuse"]
    assert categories("I'm not suicidal") == list_categories("I'm not suicidal")


def test_second_opinion_batch_api() -> None:
    assert risk_embedding.second_opinion([]) == []
    assert risk_embedding.second_opinion([PARAPHRASE, ORDINARY, "", "   "]) == [
        "suicidal_ideation",
        None,
        None,
        None,
    ]
    # A batch gives the same answers as one text at a time.
    texts = [c.text for c in _batch(HELD_OUT_BATCHES)[:40]]
    assert risk_embedding.second_opinion(texts) == [
        risk_embedding.second_opinion([t])[0] for t in texts
    ]


@pytest.fixture
def unloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the process's loaded model for one test (restored afterwards)."""
    monkeypatch.setattr(risk_embedding, "_state", risk_embedding._Loaded())


def test_a_missing_package_falls_back_to_the_phrase_list_with_one_warning(
    unloaded: None,
    monkeypatch: pytest.MonkeyPatch,
    settings: LazySettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.KINDRED_RISK_EMBEDDINGS = True
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails: not installed
    with caplog.at_level(logging.WARNING, logger="kindred.space.risk_embedding"):
        assert categories(PARAPHRASE) == []
        assert categories("I want to die") == ["suicidal_ideation"]
        assert categories("Nobody would even notice, I've picked a date") == list_categories(
            "Nobody would even notice, I've picked a date"
        )
        assert risk_embedding.second_opinion([PARAPHRASE, ORDINARY]) == [None, None]
    warnings = [r for r in caplog.records if "second opinion unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert "onnxruntime" in warnings[0].getMessage()


def test_the_model_loads_once_across_threads_with_no_network(
    unloaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network use in the risk second opinion")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    loaded: list[risk_embedding.SecondOpinion | None] = []
    threads = [
        threading.Thread(target=lambda: loaded.append(risk_embedding.get())) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert attempts == []
    assert len(loaded) == 4
    assert loaded[0] is not None
    assert all(model is loaded[0] for model in loaded)
    assert risk_embedding.second_opinion([PARAPHRASE]) == ["suicidal_ideation"]
    assert attempts == []


def test_the_report_prints_the_three_screeners(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-only"]) == 0
    out = capsys.readouterr().out
    assert "## Phrase list alone" in out
    assert "OR embedding" not in out
    assert main([]) == 0
    out = capsys.readouterr().out
    for title in ("## Phrase list alone", "## Embedding second opinion alone", "## Phrase list OR"):
        assert out.count(title) == 1
    assert out.count("| batch 4 (held out) | 248 |") == 3
    assert out.count("| abuse | held out | 35 |") == 3
    assert "| phrase list OR embedding | 80 |" in out
