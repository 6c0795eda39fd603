"""The risk screener against its labelled cases (risk_cases*.tsv) and its constructs.

Figures measured when the floors were set (2026-11-26, ``python -m
kindred.space.risk_report``), alert vs. no alert:

- batch 1 (181 cases) and batch 2 (65): the phrase list was tuned on them: P 1.000 R 1.000
- batch 3 (290): written before the list was widened, but in the same session, so its
  wording may have leaked into the phrases from memory (P 0.930 R 0.910 then); after
  that its misses were tuned on too: P 0.993 R 0.959
- batch 4 (248, held out: written after the list and never tuned on): P 0.875 R 0.343

These are the phrase list alone (``risk.list_categories``); the embedding second opinion
that ``risk.categories`` adds when the list finds nothing has its own floors in
test_risk_embedding.py. The floors sit a little under those figures, so a change that
loses ground fails here.
Batch 4's recall is the honest one, and it is low: a phrase list catches the wording it
was written for and little else, which is why a facilitator reads the space too
(docs/risk-screening.md).
"""

from __future__ import annotations

import re

import pytest

from kindred.space import risk
from kindred.space.risk import RiskCategory, categories, screen
from kindred.space.risk_report import (
    HELD_OUT_BATCHES,
    TUNING_BATCHES,
    figures,
    load_cases,
    misses,
    table,
)


def test_the_case_files_are_big_enough_and_well_formed() -> None:
    cases = load_cases()
    assert {c.batch for c in cases} == {1, 2, 3, 4}
    assert sum(1 for c in cases if c.batch == 3) >= 200
    assert sum(1 for c in cases if c.batch == 4) >= 200
    assert {c.kind for c in cases} == {"positive", "negative", "negated", "quoted"}
    for case in cases:
        assert case.expect == (case.kind == "positive"), case.text
        if case.expect:
            assert case.category in {c.value for c in RiskCategory}, case.text
        else:
            assert case.category == "-", case.text
    texts = [c.text.lower() for c in cases]
    assert len(texts) == len(set(texts)), "a case is written twice"


@pytest.mark.parametrize(
    ("batches", "precision_floor", "recall_floor"),
    [
        ({1}, 0.98, 0.98),
        ({2}, 0.98, 0.98),
        ({3}, 0.98, 0.94),
        ({4}, 0.85, 0.33),
        (TUNING_BATCHES, 0.98, 0.96),
    ],
)
def test_precision_and_recall_floors(
    batches: set[int], precision_floor: float, recall_floor: float
) -> None:
    result = figures(c for c in load_cases() if c.batch in batches)
    assert result.precision is not None
    assert result.recall is not None
    assert result.precision >= precision_floor, result
    assert result.recall >= recall_floor, result


@pytest.mark.parametrize(
    ("category", "floor"),
    [
        (RiskCategory.SUICIDAL_IDEATION, 0.20),
        (RiskCategory.SELF_HARM, 0.37),
        (RiskCategory.HARM_TO_OTHERS, 0.34),
        (RiskCategory.ABUSE, 0.43),
    ],
)
def test_held_out_recall_per_category(category: RiskCategory, floor: float) -> None:
    positives = [
        c for c in load_cases() if c.batch in HELD_OUT_BATCHES and c.category == category.value
    ]
    result = figures(positives)
    assert result.recall is not None
    assert result.recall >= floor, result


@pytest.mark.parametrize(
    ("kind", "ceiling"), [("negative", 0.03), ("negated", 0.06), ("quoted", 0.0)]
)
def test_false_alerts_per_kind_stay_low(kind: str, ceiling: float) -> None:
    of_kind = [c for c in load_cases() if c.kind == kind]
    alerted = sum(1 for c in of_kind if screen(c.text))
    assert alerted / len(of_kind) <= ceiling, f"{alerted} of {len(of_kind)} {kind} cases alert"


def test_found_positives_carry_their_category() -> None:
    wrong = [
        c.text
        for c in load_cases()
        if c.expect and screen(c.text) and c.category not in categories(c.text)
    ]
    assert wrong == []


def test_the_report_prints_every_batch_and_hides_held_out_misses_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kindred.space.risk_report import main

    assert main(["--misses", "--list-only"]) == 0
    out = capsys.readouterr().out
    assert "| batch 4 (held out) | 248 |" in out
    assert "| suicidal_ideation | held out |" in out
    assert "| quoted | held out | 20 | 0 | 0.000 |" in out
    assert "batch 4" not in "\n".join(
        line for line in out.splitlines() if line.startswith(("missed", "false"))
    )
    held_out = [c for c in load_cases() if c.batch in HELD_OUT_BATCHES]
    assert any("batch 4" in line for line in misses(held_out))
    assert table(held_out).count("\n") > 10


def _raw_phrases(text: str) -> set[str]:
    """Phrase names whose pattern matches, before negation, quotes or benign endings."""
    squashed, _ = risk._squash(risk.normalise(text))
    return {name for name, _, pattern in risk._compiled() if pattern.search(squashed)}


def _phrases(text: str) -> set[str]:
    return {m.phrase for m in screen(text)}


# Each construct: texts it must catch (with the phrase that catches them) and a near
# miss it must leave alone. The near misses are the "wrong variants": a phrase widened
# past its construct fails here.
CONSTRUCTS: list[tuple[str, str, str]] = [
    # (phrase, catches, near miss)
    ("kill_self", "honestly i want to kms", "I nearly killed myself laughing at that"),
    ("kill_self", "I'm going to unalive myself", "I'm killing myself trying to finish this"),
    ("end_life", "I think I'm going to end it.", "I'm going to end it with him tonight"),
    ("end_life", "I keep ending things in my head, tonight", "I'm ending things with my boyfriend"),
    ("want_die", "I keep thinking about dying", "I'm dying to see the film"),
    ("want_die", "I just want it all to be over for good", "I want the exam to be over"),
    ("want_die", "I don't deserve to live", "I don't deserve this cake"),
    ("wish_dead", "going to sleep and not waking up sounds nice", "I'm not waking up early"),
    ("better_off_dead", "I'm such a burden to everyone", "My dog would be lost without me"),
    ("better_off_dead", "they'd be happier without me", "I'm happier with my new job"),
    ("no_will_to_live", "i cant go on anymore", "I can't go on the trip next week"),
    ("no_will_to_live", "I don't think I can keep going", "I can keep going, I think"),
    ("no_will_to_live", "what's the point of living", "what's the point of this meeting"),
    ("no_will_to_live", "I won't be around much longer", "I won't be around on Friday"),
    ("method", "I've got a stash of sleeping pills", "I took my pills this morning"),
    ("method", "I want to jump off the bridge", "I jumped off the diving board"),
    ("method", "I've been giving away my things", "I'm giving away my old bike"),
    ("method", "this will be my last post", "this is my last week at work"),
    ("cutting", "I cut my arms again last night", "I cut my hair short"),
    ("cutting", "The urge to cut is so strong right now", "I have an urge to cut down on sugar"),
    ("on_purpose", "I burned my arm on purpose", "I burned the toast, oops"),
    ("on_purpose", "I scratched until it bled", "I scratched my head, puzzled"),
    ("harm_other", "I fantasize about killing my stepfather", "I could kill for a coffee"),
    ("harm_other", "I want to push him down the stairs", "I want to push him to apply"),
    ("threat_other", "I keep getting images of stabbing him", "I'm going to beat him at chess"),
    ("weapon", "I want to make them all pay, I have a gun", "The gun show was on TV"),
    ("abused", "He forces me to have sex when I say no", "He forces me to eat vegetables, lol"),
    ("abused", "I got hit again.", "I got hit by a car last year"),
    ("abuse_words", "My uncle abused me", "The podcast was about abuse"),
    ("unsafe_home", "My partner threw me down and kicked me", "My dog knocked the vase down"),
    ("no_will_to_live", "I don't know if I want to live anymore", "I don't know if I want tea"),
    ("suicide_self", "There's no way out except dying", "There's no way out of this meeting"),
    ("suicide_self", "I made a suicide plan", "We watched a film about a suicide attempt"),
    ("cutting", "The cuts are still fresh", "I've been cutting sugar out"),
    ("harm_self", "I bang my head against the wall", "I hit my head on the cupboard door"),
    ("resisted_urge", "I didn't cut, but I really wanted to", "I didn't cut my hair in the end"),
    ("unsafe_home", "My mother locks me in my room", "I lock my room when I study"),
    ("unsafe_home", "I don't feel safe in my own home", "I feel safe in my own home"),
    ("unsafe_home", "my bf takes all my money", "my bf takes all my fries, rude"),
]


@pytest.mark.parametrize(("phrase", "catches", "near_miss"), CONSTRUCTS)
def test_each_construct_catches_its_wording_and_not_its_near_miss(
    phrase: str, catches: str, near_miss: str
) -> None:
    assert phrase in _phrases(catches), _phrases(catches)
    assert screen(near_miss) == [], _phrases(near_miss)


# Negation and recovery: each text contains a phrase the raw patterns match (so without
# the negation or recovery handling it would alert), and screen() leaves it alone.
NEGATED = [
    "I would never hurt myself",
    "I'm not going to kill myself, I promise",
    "It's been six months since I last cut myself",
    "A year clean from self-harm today!",
    "I used to want to die, I'm better now",
    "I wanted to die, but not anymore",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negation_and_recovery_turn_a_real_match_off(text: str) -> None:
    assert _raw_phrases(text), "the raw patterns should match: this case tests the negation"
    assert screen(text) == []


# A negator that governs something else ("nobody knows", "not sure") leaves the phrase
# standing; so does a negator in another clause.
NOT_NEGATED = [
    "No one knows I've been cutting again",
    "I'm not sure I can keep going",
    "I'm not okay. I want to die.",
    "It's not that bad, but I want to die",
    "I don't know if I want to live anymore",
    "I'm not going to be around much longer",
]


@pytest.mark.parametrize("text", NOT_NEGATED)
def test_a_negator_that_governs_something_else_does_not_cancel(text: str) -> None:
    assert screen(text), text


def test_a_resisted_urge_alerts_although_it_starts_with_a_negator() -> None:
    # The phrase carries its own negator (only words before a phrase negate it), so
    # recovery talk with a fresh urge alerts and plain recovery talk does not.
    assert categories("I haven't cut in a year but tonight I really want to.") == ["self_harm"]
    assert categories("I didn't cut even though I wanted to, the urge was awful") == ["self_harm"]
    assert screen("I haven't cut in a year.") == []
    assert screen("I haven't cut in a year, but I want to celebrate") == []


@pytest.mark.parametrize(
    "text",
    [
        "The movie had a scene about self-harm",
        "Our book club is reading a novel about domestic violence",
        "The article about overdose deaths was sad",
        "The thought of killing myself never crosses my mind",
    ],
)
def test_topics_and_after_negators_turn_a_real_match_off(text: str) -> None:
    assert _raw_phrases(text)
    assert screen(text) == []


def test_a_topic_word_does_not_hide_the_writers_own_words() -> None:
    assert screen("After the documentary I keep thinking about killing myself")
    assert screen("I've been having thoughts about self-harm")


def test_negation_and_quotes() -> None:
    assert screen("I'm not suicidal") == []
    assert [m.category for m in screen("I want to die")] == [RiskCategory.SUICIDAL_IDEATION]
    # Someone else's quoted words are not the writer's; the writer's own quote is.
    assert _raw_phrases('The song "Better off dead" played')
    assert screen('The song "Better off dead" played') == []
    assert screen('I told him "I want to kill myself"')


def test_texting_spellings() -> None:
    for text in ("im gonna kill myself", "i dont want to live anymore", "cant go on anymore"):
        assert categories(text) == ["suicidal_ideation"], text
    assert categories("Feeling suicdal again") == ["suicidal_ideation"]
    assert categories("cuttin again") == ["self_harm"]


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


def test_phrase_names_are_unique_and_patterns_compile() -> None:
    names = [name for name, _, _ in risk.PHRASES]
    assert len(names) == len(set(names))
    for _, _, pattern in risk._compiled():
        assert isinstance(pattern, re.Pattern)
    assert set(risk.BENIGN_AFTER) <= set(names)
