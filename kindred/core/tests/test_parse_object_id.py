"""Ids from URLs and request bodies: one parser for every access function."""

from __future__ import annotations

import pytest

from kindred.core.access import parse_object_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        (7, 7),
        ("0", None),
        ("-3", None),
        ("abc", None),
        (None, None),
        ("", None),
        (str(2**63), None),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_ids_are_positive_64_bit_integers_or_none(value: object, expected: int | None) -> None:
    assert parse_object_id(value) == expected
