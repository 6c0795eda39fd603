"""Scoring an administration: pure, ORM-free, one engine for every instrument.

``score(definition, answers)`` takes a validated ``Definition`` (measures/definitions.py)
and the item answers and returns a ``ScoreResult``.

Rules (../shared/design/CLINICAL.md, "Instruments we may ship" and "Missing items"):

- Answers are stored per item; the total is computed here, never typed in.
- An administration missing any scored item is **incomplete**: ``complete`` is False,
  ``total`` is None and ``band`` is "" — an incomplete questionnaire is never banded and
  never prorated ("Prorating rules differ by instrument; none is assumed").
- Item flags are evaluated on whatever has been answered, complete or not: PHQ-9 item 9
  above 0 flags ``phq9.item9`` whatever the total and whether or not the rest was
  answered (Kroenke, Spitzer & Williams 2001; CLINICAL.md "Safety").
- Flags on the total (or a subscale) are evaluated only when that score exists.
- Unscored items (the PHQ-9 "difficulty" question) may be answered; they never count.
- An answer that is not one of the item's option values, or to an item the instrument
  does not have, raises ``ScoringError`` naming the item; nothing is scored.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from kindred.core.errors import ValidationFailed
from kindred.measures.definitions import Definition, Flag, Item, Number, Subscale, _round

_OPS: dict[str, Callable[[Number, Number], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class ScoringError(ValidationFailed):
    """An answer the instrument cannot take. ``item`` names the item (the key the caller
    sent), so forms and the API can show the message beside it."""

    def __init__(self, message: str, *, item: str):
        super().__init__(message, field=item)
        self.item = item


@dataclass(frozen=True)
class ScoreResult:
    total: Number | None
    band: str
    subscales: dict[str, Number | None]
    flags: tuple[str, ...]
    complete: bool
    missing_items: tuple[str, ...]
    raw_total: Number | None = None
    band_label: str = ""
    safety_flags: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "raw_total": self.raw_total,
            "band": self.band,
            "band_label": self.band_label,
            "subscales": dict(self.subscales),
            "flags": list(self.flags),
            "safety_flags": list(self.safety_flags),
            "complete": self.complete,
            "missing_items": list(self.missing_items),
        }


def check_answer(item: Item, value: object) -> int:
    """Return ``value`` as an int when it is one of ``item``'s option values."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoringError(
            f"The answer to {item.key} must be a whole number, one of {_allowed(item)}.",
            item=item.key,
        )
    if value not in item.values:
        raise ScoringError(
            f"{value} is not an answer {item.key} accepts: use one of {_allowed(item)}.",
            item=item.key,
        )
    return value


def _allowed(item: Item) -> str:
    return ", ".join(str(v) for v in sorted(item.values))


def check_answers(definition: Definition, answers: Mapping[str, object]) -> dict[str, int]:
    """Validate every answer against the definition; return them as ints."""
    items = definition.items_by_key
    checked: dict[str, int] = {}
    for key, value in answers.items():
        item = items.get(key)
        if item is None:
            raise ScoringError(
                f"{definition.short_name} {definition.version} has no item {key!r}.", item=key
            )
        checked[key] = check_answer(item, value)
    return checked


def _item_value(definition: Definition, item: Item, value: int, *, reverse: bool) -> int:
    if reverse and item.key in definition.scoring.reverse:
        return item.min_value + item.max_value - value
    return value


def _aggregate(values: list[int], method: str, decimals: int) -> Number:
    if method == "mean":
        return _round(Decimal(sum(values)) / len(values), decimals)
    return sum(values)


def _subscale_score(
    definition: Definition, subscale: Subscale, answers: Mapping[str, int]
) -> Number | None:
    items = definition.items_by_key
    if any(key not in answers for key in subscale.items):
        return None
    values = [
        _item_value(definition, items[k], answers[k], reverse=subscale.apply_reverse)
        for k in subscale.items
    ]
    # A subscale mean is reported to two decimals, whatever the total's precision.
    return _aggregate(values, subscale.method, 2 if subscale.method == "mean" else 0)


def _flag_hit(
    flag: Flag,
    *,
    answers: Mapping[str, int],
    total: Number | None,
    raw_total: Number | None,
    subscales: Mapping[str, Number | None],
    cutoffs: Mapping[str, Number],
) -> bool:
    subject: Number | None
    if flag.on == "item":
        subject = answers.get(flag.item or "")
    elif flag.on == "total":
        subject = total
    elif flag.on == "raw_total":
        subject = raw_total
    else:
        subject = subscales.get(flag.subscale or "")
    if subject is None:
        return False
    threshold = cutoffs[flag.cutoff] if flag.cutoff is not None else flag.value
    if threshold is None:  # pragma: no cover - the definition validator forbids this
        return False
    return _OPS[flag.op](subject, threshold)


def score(
    definition: Definition,
    answers: Mapping[str, object],
    *,
    cutoffs: Mapping[str, Number] | None = None,
) -> ScoreResult:
    """Score ``answers`` (item key → option value) with ``definition``.

    ``cutoffs`` overrides the definition's tunable thresholds by key (e.g. the PCL-5
    ``provisional_ptsd`` cut-off, or AUDIT-C's ``positive`` for a practice that screens
    men at 4); unknown keys or values outside the allowed range raise ``DefinitionError``.
    """
    checked = check_answers(definition, answers)
    thresholds = definition.cutoff_values(cutoffs)
    scored = definition.scored_items
    missing = tuple(i.key for i in scored if i.key not in checked)
    complete = not missing
    total: Number | None = None
    raw_total: Number | None = None
    band = band_label = ""
    if complete:
        values = [_item_value(definition, i, checked[i.key], reverse=True) for i in scored]
        method, decimals = definition.scoring.method, definition.scoring.decimals
        raw_total = _aggregate(values, method, decimals)
        multiplier = definition.scoring.multiplier
        total = (
            _round(Decimal(str(raw_total)) * multiplier, decimals)
            if method == "mean"
            else int(raw_total) * multiplier
        )
        for b in definition.bands:
            if b.contains(total):
                band, band_label = b.code, b.label
                break
    subscales = {s.key: _subscale_score(definition, s, checked) for s in definition.subscales}
    hits = tuple(
        f.code
        for f in definition.flags
        if _flag_hit(
            f,
            answers=checked,
            total=total,
            raw_total=raw_total,
            subscales=subscales,
            cutoffs=thresholds,
        )
    )
    safety = tuple(code for code in hits if (f := definition.flag(code)) and f.safety)
    return ScoreResult(
        total=total,
        band=band,
        subscales=subscales,
        flags=hits,
        complete=complete,
        missing_items=missing,
        raw_total=raw_total,
        band_label=band_label,
        safety_flags=safety,
    )
