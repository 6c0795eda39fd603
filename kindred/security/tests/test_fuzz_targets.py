"""sqlmap's targets start from values their page answers (sqlmap gives up on a first
answer of 404, and the parameter would go untested)."""

from __future__ import annotations

from kindred.security.fuzz.__main__ import starting_values
from kindred.security.fuzz.sqli import query_target

KNOWN = {"client_id": 41, "group_id": 7}


def test_parameters_naming_a_row_start_from_a_real_one():
    tries: list[dict[str, str]] = []

    def answers(values: dict[str, str]) -> bool:
        tries.append(values)
        return True

    values = starting_values(["client", "group", "q", "entry"], KNOWN, answers)
    assert values == {"client": "41", "group": "7", "q": "1", "entry": ""}
    assert len(tries) == 1


def test_when_the_real_ids_are_refused_the_rows_are_left_out_then_ones_tried():
    tries: list[dict[str, str]] = []

    def only_without_rows(values: dict[str, str]) -> bool:
        tries.append(values)
        return values.get("client") == ""

    values = starting_values(["client", "q"], KNOWN, only_without_rows)
    assert values == {"client": "", "q": "1"}
    assert tries[0] == {"client": "41", "q": "1"}

    def only_ones(values: dict[str, str]) -> bool:
        return set(values.values()) == {"1"}

    assert starting_values(["client", "q"], KNOWN, only_ones) == {"client": "1", "q": "1"}
    # Nothing answered: the first try is kept (sqlmap then reports what it could not test).
    assert starting_values(["group"], KNOWN, lambda _v: False) == {"group": "7"}


def test_the_target_url_carries_the_starting_values():
    target = query_target(
        "page", "http://127.0.0.1:1", "/x/", ["client", "q"], values={"client": "41"}
    )
    assert target.url == "http://127.0.0.1:1/x/?client=41&q=1"
    assert target.parameters == ("client", "q")
