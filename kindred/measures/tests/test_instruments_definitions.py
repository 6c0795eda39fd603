"""The definition format: strict validation with specific messages, and the engine on a
loaded (non-built-in) definition: mean scoring, reverse items, multiplier, subscales."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kindred.measures.definitions import (
    FORMAT,
    DefinitionError,
    canonical_json,
    definition_sha256,
    parse_definition,
    parse_json_text,
)
from kindred.measures.instruments import BUILTIN_DOCUMENTS, builtins
from kindred.measures.scoring import score


def minimal() -> dict[str, Any]:
    """A small licensed-style instrument: 4 items 1–5, item 4 reverse-scored."""
    scale = [{"value": v, "label": f"Option {v}"} for v in range(1, 6)]
    return {
        "format": FORMAT,
        "code": "example-scale",
        "name": "Example Scale",
        "short_name": "EXS",
        "version": "2.0",
        "source": "Example A. An example scale. J Examples 2020;1:1–2.",
        "licence": "Licensed to the practice (example).",
        "option_sets": {"agree": scale},
        "items": [
            {"key": f"q{n}", "text": f"Statement {n}", "options": "agree"} for n in range(1, 5)
        ],
        "scoring": {"method": "sum", "reverse": ["q4"]},
        "bands": {
            "ranges": [
                {"code": "low", "label": "Low", "min": 4, "max": 9},
                {"code": "mid", "label": "Middle", "min": 10, "max": 14},
                {"code": "high", "label": "High", "min": 15, "max": 20},
            ]
        },
        "flags": [
            {
                "code": "exs.q1_high",
                "label": "Q1 at 5",
                "on": "item",
                "item": "q1",
                "op": "==",
                "value": 5,
                "safety": True,
            }
        ],
        "higher_is_better": False,
    }


def errors_of(document: object) -> dict[str, list[str]]:
    with pytest.raises(DefinitionError) as exc:
        parse_definition(document)
    return exc.value.errors


def test_minimal_is_valid_and_scores():
    definition = parse_definition(minimal())
    assert definition.score_range == (4, 20)
    # q4 answered 1 reverses to 5: 2 + 3 + 4 + 5 = 14
    result = score(definition, {"q1": 2, "q2": 3, "q3": 4, "q4": 1})
    assert (result.total, result.band) == (14, "mid")
    result = score(definition, {"q1": 5, "q2": 5, "q3": 5, "q4": 5})
    assert (result.total, result.band, result.safety_flags) == (16, "high", ("exs.q1_high",))


def test_every_builtin_is_valid():
    for definition in builtins():
        assert definition.code in BUILTIN_DOCUMENTS
        assert definition.source
        assert definition.licence


def test_unknown_keys_are_errors_everywhere():
    doc = minimal()
    doc["revrese"] = ["q1"]
    doc["items"][0]["hint"] = "x"
    doc["scoring"]["reverse_items"] = []
    doc["bands"]["ranges"][0]["colour"] = "red"
    errors = errors_of(doc)
    assert "unknown key 'revrese'" in errors["revrese"][0]
    assert "unknown key 'hint'" in errors["items[0].hint"][0]
    assert "unknown key 'reverse_items'" in errors["scoring.reverse_items"][0]
    assert "unknown key 'colour'" in errors["bands.ranges[0].colour"][0]


def test_required_keys():
    doc = minimal()
    del doc["licence"]
    del doc["higher_is_better"]
    errors = errors_of(doc)
    assert errors["licence"] == ["is required."]
    assert errors["higher_is_better"] == ["is required."]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "must be a whole number (an integer), not the decimal 1.5"),
        ("1", "must be a whole number (an integer), not text"),
        (True, "must be a whole number (an integer), not true/false"),
        (None, "must be a whole number (an integer), not null"),
    ],
)
def test_option_values_must_be_integers(value, message):
    doc = minimal()
    doc["items"][0]["options"] = [{"value": value, "label": "A"}, {"value": 2, "label": "B"}]
    assert errors_of(doc)["items[0].options[0].value"] == [message + "."]


def test_duplicate_option_values_and_item_keys():
    doc = minimal()
    doc["items"][1]["options"] = [{"value": 1, "label": "A"}, {"value": 1, "label": "B"}]
    doc["items"][2]["key"] = "q1"
    errors = errors_of(doc)
    assert "1 is used by another option" in errors["items[1].options[1].value"][0]
    assert "'q1' is used by another item" in errors["items[2].key"][0]


def test_undefined_option_set():
    doc = minimal()
    doc["items"][0]["options"] = "agreement"
    assert "option set 'agreement'" in errors_of(doc)["items[0].options"][0]


def test_overlapping_bands():
    doc = minimal()
    doc["bands"]["ranges"][1]["min"] = 9
    (message,) = errors_of(doc)["bands.ranges"]
    assert message == "'low' (4–9) and 'mid' (9–14) overlap."


def test_gap_between_bands_unless_declared():
    doc = minimal()
    doc["bands"]["ranges"][1]["min"] = 11
    (message,) = errors_of(doc)["bands.ranges"]
    assert "no band covers the scores between 9 and 11" in message
    doc["bands"]["cover_range"] = False
    definition = parse_definition(doc)
    result = score(definition, {"q1": 3, "q2": 3, "q3": 3, "q4": 5})  # 3+3+3+1 = 10
    assert (result.total, result.band) == (10, "")


def test_bands_must_reach_both_ends():
    doc = minimal()
    doc["bands"]["ranges"][0]["min"] = 5
    doc["bands"]["ranges"][2]["max"] = 19
    messages = errors_of(doc)["bands.ranges"]
    assert any("start at 5 but the lowest possible score is 4" in m for m in messages)
    assert any("end at 19 but the highest possible score is 20" in m for m in messages)


def test_band_outside_the_range_and_reversed():
    doc = minimal()
    doc["bands"]["ranges"][2]["max"] = 21
    doc["bands"]["ranges"][0] = {"code": "low", "label": "Low", "min": 9, "max": 4}
    errors = errors_of(doc)
    assert "lies outside the score range 4–20" in errors["bands.ranges[2]"][0]
    assert "min (9) is greater than max (4)" in errors["bands.ranges[0]"][0]


def test_flag_on_a_missing_item():
    doc = minimal()
    doc["flags"][0]["item"] = "q9"
    assert errors_of(doc)["flags[0].item"] == ["names the item 'q9', which does not exist."]


def test_flag_value_outside_the_items_answers():
    doc = minimal()
    doc["flags"][0]["value"] = 7
    assert "outside the answers of q1 (1–5)" in errors_of(doc)["flags[0].value"][0]


def test_flag_needs_exactly_one_threshold_and_a_known_operator():
    doc = minimal()
    doc["flags"][0]["cutoff"] = "x"
    doc["flags"].append({"code": "b", "label": "B", "on": "total", "op": "=>", "value": 3})
    errors = errors_of(doc)
    assert errors["flags[0]"] == ["give exactly one of 'value' or 'cutoff'."]
    assert "must be one of" in errors["flags[1].op"][0]


def test_flag_on_an_undefined_cutoff_or_subscale():
    doc = minimal()
    doc["flags"] = [
        {"code": "a", "label": "A", "on": "total", "op": ">=", "cutoff": "positive"},
        {"code": "b", "label": "B", "on": "subscale", "subscale": "mood", "op": ">", "value": 1},
    ]
    errors = errors_of(doc)
    assert "cut-off 'positive', which is not defined" in errors["flags[0].cutoff"][0]
    assert "subscale 'mood', which does not exist" in errors["flags[1].subscale"][0]


def test_reverse_and_subscales_name_existing_items():
    doc = minimal()
    doc["scoring"]["reverse"] = ["q7"]
    doc["subscales"] = [{"key": "part", "label": "Part", "items": ["q1", "q8"]}]
    errors = errors_of(doc)
    assert "'q7', which does not exist" in errors["scoring.reverse[0]"][0]
    assert "'q8', which does not exist" in errors["subscales[0].items[1]"][0]


def test_cutoff_default_within_its_range():
    doc = minimal()
    doc["cutoffs"] = [{"key": "pos", "label": "Pos", "default": 30, "min": 4, "max": 20}]
    assert "default 30 is not between min 4 and max 20" in errors_of(doc)["cutoffs[0]"][0]


def test_wrong_format_code_and_version():
    doc = minimal()
    doc["format"] = "something/2"
    doc["code"] = "Bad Code!"
    doc["version"] = ""
    errors = errors_of(doc)
    assert errors["format"] == [f"must be {FORMAT!r}."]
    assert "lower-case letter" in errors["code"][0]
    assert errors["version"] == ["must not be empty."]


def test_not_an_object():
    assert errors_of([1, 2]) == {"": ["must be a JSON object."]}


def test_json_text_problems():
    with pytest.raises(DefinitionError, match="not valid JSON"):
        parse_json_text(b"{not json")
    with pytest.raises(DefinitionError, match="appears twice"):
        parse_json_text('{"code": "a", "code": "b"}')
    with pytest.raises(DefinitionError, match="NaN is not a number JSON allows"):
        parse_json_text('{"x": NaN}')
    with pytest.raises(DefinitionError, match="not valid JSON"):
        parse_json_text(b"\xff\xfe")


def test_many_problems_are_reported_together():
    doc = minimal()
    doc["items"][3]["text"] = ""
    doc["scoring"]["multiplier"] = 0
    doc["flags"][0]["item"] = "nope"
    errors = errors_of(doc)
    assert {"items[3].text", "scoring.multiplier"} <= set(errors)


def test_mean_scoring_with_decimals_and_multiplier():
    doc = minimal()
    doc["scoring"] = {"method": "mean", "reverse": ["q4"], "decimals": 1, "multiplier": 10}
    doc["bands"] = {
        "ranges": [
            {"code": "low", "label": "Low", "min": 10, "max": 29.9},
            {"code": "high", "label": "High", "min": 30, "max": 50},
        ]
    }
    doc["subscales"] = [
        {"key": "first_two", "label": "1–2", "items": ["q1", "q2"], "method": "mean"}
    ]
    definition = parse_definition(doc)
    assert definition.score_range == (10.0, 50.0)
    # 1, 2, 2, reversed 5→1: mean 6/4 = 1.5 → ×10 = 15.0
    result = score(definition, {"q1": 1, "q2": 2, "q3": 2, "q4": 5})
    assert (result.raw_total, result.total, result.band) == (1.5, 15.0, "low")
    assert result.subscales == {"first_two": 1.5}
    # 3, 3, 3, reversed 3→3: mean 3 → 30 → high
    assert score(definition, {"q1": 3, "q2": 3, "q3": 3, "q4": 3}).band == "high"


def test_mean_bands_must_sit_on_the_scores_precision():
    doc = minimal()
    doc["scoring"] = {"method": "mean", "decimals": 1}
    doc["bands"] = {"ranges": [{"code": "all", "label": "All", "min": 1, "max": 4.99}]}
    messages = errors_of(doc)["bands.ranges[0]"]
    assert "multiples of 0.1" in messages[0]


def test_sum_with_decimals_is_refused():
    doc = minimal()
    doc["scoring"]["decimals"] = 1
    assert "a sum is a whole number" in errors_of(doc)["scoring.decimals"][0]


def test_fingerprint_ignores_key_order():
    doc = minimal()
    shuffled = json.loads(json.dumps(doc, sort_keys=True))
    reordered = dict(reversed(list(shuffled.items())))
    assert canonical_json(doc) == canonical_json(reordered)
    assert definition_sha256(doc) == definition_sha256(reordered)
    changed = copy.deepcopy(doc)
    changed["items"][0]["text"] = "Statement one"
    assert definition_sha256(changed) != definition_sha256(doc)
