"""Instrument definition files: the JSON format, its strict validation and its typed form.

Every instrument Kindred scores — the built-ins in ``measures/instruments/`` and any
instrument a practice loads under its own licence — is a document in this one format,
so there is a single scoring engine (``measures/scoring.py``). The format is described
for people in ``docs/instrument-definitions.md``; this module is its authority.

Validation is strict on purpose: an unknown key is an error (a typo such as
``"revrese"`` must not silently drop reverse scoring), band ranges may not overlap and
must cover the whole score range unless the file says they do not, and every flag,
subscale and reverse-scored entry must name an item that exists. Messages say where the
problem is (``items[3].options[1].value``) so the person loading the file can fix it.

Pure Python: no ORM, no I/O. ``parse_definition`` turns a document into a frozen
``Definition`` (the checks live in ``definition_checks.py``); ``canonical_json`` and
``definition_sha256`` fingerprint a document.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

FORMAT = "kindred.instrument/1"

CODE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FLAG_CODE_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,79}$")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")

OPERATORS: tuple[str, ...] = (">", ">=", "<", "<=", "==", "!=")
FLAG_TARGETS: tuple[str, ...] = ("item", "total", "raw_total", "subscale")
METHODS: tuple[str, ...] = ("sum", "mean")

Number = int | float
Method = Literal["sum", "mean"]


class DefinitionError(ValueError):
    """The document is not a valid instrument definition. ``errors`` maps a path in the
    document (``"bands.ranges[1]"``, ``""`` for the document itself) to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        first_path, messages = next(iter(errors.items()))
        prefix = f"{first_path}: " if first_path else ""
        super().__init__(prefix + messages[0])

    def as_lines(self) -> list[str]:
        return [f"{path}: {msg}" if path else msg for path, ms in self.errors.items() for msg in ms]


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    options: tuple[Option, ...]
    scored: bool = True

    @property
    def values(self) -> frozenset[int]:
        return frozenset(o.value for o in self.options)

    @property
    def min_value(self) -> int:
        return min(o.value for o in self.options)

    @property
    def max_value(self) -> int:
        return max(o.value for o in self.options)


@dataclass(frozen=True)
class Scoring:
    method: Method
    reverse: frozenset[str]
    multiplier: int
    decimals: int


@dataclass(frozen=True)
class Subscale:
    key: str
    label: str
    items: tuple[str, ...]
    method: Method = "sum"
    apply_reverse: bool = True


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    min: Number
    max: Number

    def contains(self, value: Number) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Cutoff:
    """A threshold a practice may tune (e.g. the PCL-5 provisional-PTSD cut-off)."""

    key: str
    label: str
    default: Number
    min: Number
    max: Number
    note: str = ""


@dataclass(frozen=True)
class Flag:
    """``<target> <op> <value or cutoff>``; ``safety`` flags raise a SafetyAlert."""

    code: str
    label: str
    on: str
    op: str
    value: Number | None = None
    cutoff: str | None = None
    item: str | None = None
    subscale: str | None = None
    safety: bool = False


@dataclass(frozen=True)
class ReliableChangeDefaults:
    """Jacobson & Truax (1991) parameters: reference SD (s1) and reliability (r)."""

    sd: float | None
    reliability: float | None
    source: str


@dataclass(frozen=True)
class ChangeCriteria:
    """Fixed-point change rules, e.g. NHS Talking Therapies (Gyani et al. 2013)."""

    source: str
    caseness: Number | None = None
    reliable_change: Number | None = None
    meaningful_change: Number | None = None


@dataclass(frozen=True)
class Definition:
    code: str
    name: str
    short_name: str
    version: str
    language: str
    validated: bool
    source: str
    licence: str
    instructions: str
    items: tuple[Item, ...]
    scoring: Scoring
    subscales: tuple[Subscale, ...]
    bands: tuple[Band, ...]
    bands_cover_range: bool
    cutoffs: tuple[Cutoff, ...]
    flags: tuple[Flag, ...]
    higher_is_better: bool
    reliable_change: ReliableChangeDefaults | None
    change_criteria: ChangeCriteria | None
    notes: str
    document: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)

    @property
    def items_by_key(self) -> dict[str, Item]:
        return {i.key: i for i in self.items}

    @property
    def raw_range(self) -> tuple[Number, Number]:
        """The range of the raw score (sum or mean of the scored items, before the
        multiplier)."""
        items = self.scored_items
        low = sum(i.min_value for i in items)
        high = sum(i.max_value for i in items)
        if self.scoring.method == "mean":
            return (
                _round(Decimal(low) / len(items), self.scoring.decimals),
                _round(Decimal(high) / len(items), self.scoring.decimals),
            )
        return (low, high)

    @property
    def score_range(self) -> tuple[Number, Number]:
        low, high = self.raw_range
        m = self.scoring.multiplier
        if self.scoring.method == "mean":
            return (
                _round(Decimal(str(low)) * m, self.scoring.decimals),
                _round(Decimal(str(high)) * m, self.scoring.decimals),
            )
        return (int(low) * m, int(high) * m)

    @property
    def step(self) -> Decimal:
        """The smallest difference between two totals (1 for sums, 0.01 for a mean to two
        decimals): bands are contiguous when the next starts one step after the last."""
        return Decimal(1).scaleb(-self.scoring.decimals)

    def cutoff_values(self, overrides: Mapping[str, Number] | None = None) -> dict[str, Number]:
        values: dict[str, Number] = {c.key: c.default for c in self.cutoffs}
        for key, value in (overrides or {}).items():
            cutoff = next((c for c in self.cutoffs if c.key == key), None)
            if cutoff is None:
                raise DefinitionError({f"cutoffs.{key}": [f"{self.code} has no cut-off {key!r}."]})
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DefinitionError({f"cutoffs.{key}": ["A cut-off must be a number."]})
            if not cutoff.min <= value <= cutoff.max:
                raise DefinitionError(
                    {
                        f"cutoffs.{key}": [
                            f"{cutoff.label} must be between {cutoff.min} and {cutoff.max}."
                        ]
                    }
                )
            values[key] = value
        return values

    def flag(self, code: str) -> Flag | None:
        return next((f for f in self.flags if f.code == code), None)

    def band(self, code: str) -> Band | None:
        return next((b for b in self.bands if b.code == code), None)


def _round(value: Decimal, decimals: int) -> Number:
    """Round half up (not banker's rounding): 1.005 → 1.01, as a clinician would."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = value.quantize(quantum, rounding="ROUND_HALF_UP")
    return int(rounded) if decimals == 0 else float(rounded)


def canonical_json(document: Mapping[str, Any]) -> str:
    """Key-sorted compact JSON: the same document always gives the same text."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def definition_sha256(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def parse_definition(document: object) -> Definition:
    """Validate ``document`` (parsed JSON) strictly and return its typed form.

    Raises ``DefinitionError`` listing every problem found (see definition_checks.py).
    """
    from kindred.measures.definition_checks import validate

    return validate(document)


def parse_json_text(text: str | bytes) -> Definition:
    """Parse a definition file's text (UTF-8 JSON) and validate it. Duplicate keys and
    NaN/Infinity are refused: JSON parsers disagree about them."""
    from kindred.measures.definition_checks import load_json

    return parse_definition(load_json(text))
