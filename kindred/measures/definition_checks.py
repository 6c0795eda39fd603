"""The strict checks behind ``definitions.parse_definition`` (see that module and
docs/instrument-definitions.md for the format).

Every problem is collected with its path in the document (``items[3].options[1].value``)
so one upload shows all of them at once.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from kindred.measures.definitions import (
    CODE_RE,
    FLAG_CODE_RE,
    FLAG_TARGETS,
    FORMAT,
    KEY_RE,
    METHODS,
    OPERATORS,
    VERSION_RE,
    Band,
    ChangeCriteria,
    Cutoff,
    Definition,
    DefinitionError,
    Flag,
    Item,
    Method,
    Number,
    Option,
    ReliableChangeDefaults,
    Scoring,
    Subscale,
)

TOP_KEYS = {
    "format": True,
    "code": True,
    "name": True,
    "short_name": True,
    "version": True,
    "language": False,
    "validated": False,
    "source": True,
    "licence": True,
    "instructions": False,
    "option_sets": False,
    "items": True,
    "scoring": True,
    "subscales": False,
    "bands": False,
    "cutoffs": False,
    "flags": False,
    "higher_is_better": True,
    "reliable_change": False,
    "change_criteria": False,
    "notes": False,
}
ITEM_KEYS = {"key": True, "text": True, "options": True, "scored": False}
OPTION_KEYS = {"value": True, "label": True}
SCORING_KEYS = {"method": True, "reverse": False, "multiplier": False, "decimals": False}
SUBSCALE_KEYS = {
    "key": True,
    "label": True,
    "items": True,
    "method": False,
    "apply_reverse": False,
}
BANDS_KEYS = {"cover_range": False, "ranges": True}
BAND_KEYS = {"code": True, "label": True, "min": True, "max": True}
CUTOFF_KEYS = {"key": True, "label": True, "default": True, "min": True, "max": True, "note": False}
FLAG_KEYS = {
    "code": True,
    "label": True,
    "on": True,
    "op": True,
    "value": False,
    "cutoff": False,
    "item": False,
    "subscale": False,
    "safety": False,
}
RC_KEYS = {"sd": True, "reliability": True, "source": True}
CRITERIA_KEYS = {
    "source": True,
    "caseness": False,
    "reliable_change": False,
    "meaningful_change": False,
}

MAX_ITEMS = 200
MAX_OPTIONS = 21
MAX_TEXT = 2000
MAX_LABEL = 200


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_number(value: object) -> bool:
    return not _is_bool(value) and isinstance(value, int | float) and math.isfinite(value)


class _Checker:
    """Collects every problem with a path, so one upload shows all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def obj(self, value: object, path: str, spec: dict[str, bool]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, "must be a JSON object.")
            return None
        for key in value:
            if key not in spec:
                allowed = ", ".join(sorted(spec))
                self.add(_join(path, str(key)), f"unknown key {key!r} (allowed: {allowed}).")
        for key, required in spec.items():
            if required and key not in value:
                self.add(_join(path, key), "is required.")
        return value

    def text(self, obj: Mapping[str, Any], key: str, path: str, *, limit: int = MAX_LABEL) -> str:
        value = obj.get(key, "")
        if not isinstance(value, str):
            self.add(_join(path, key), "must be text.")
            return ""
        if key in obj and not value.strip():
            self.add(_join(path, key), "must not be empty.")
        if len(value) > limit:
            self.add(_join(path, key), f"must be at most {limit} characters.")
        return value

    def optional_text(
        self, obj: Mapping[str, Any], key: str, path: str, *, limit: int = MAX_TEXT
    ) -> str:
        value = obj.get(key, "")
        if not isinstance(value, str):
            self.add(_join(path, key), "must be text.")
            return ""
        if len(value) > limit:
            self.add(_join(path, key), f"must be at most {limit} characters.")
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add(_join(path, key), "must be true or false.")
            return default
        return value

    def number(self, obj: Mapping[str, Any], key: str, path: str) -> Number | None:
        if key not in obj:
            return None
        value = obj[key]
        if not _is_number(value):
            self.add(_join(path, key), "must be a number.")
            return None
        return value  # type: ignore[no-any-return]

    def pattern(self, value: str, path: str, regex: re.Pattern[str], what: str) -> None:
        if value and not regex.match(value):
            self.add(path, what)

    def array(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.add(path, "must be a JSON array.")
            return []
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def validate(document: object) -> Definition:
    """Validate ``document`` (parsed JSON) strictly and return its typed form.

    Raises ``DefinitionError`` listing every problem found.
    """
    c = _Checker()
    doc = c.obj(document, "", TOP_KEYS)
    if doc is None:
        raise DefinitionError(c.errors)

    if doc.get("format") != FORMAT:
        c.add("format", f"must be {FORMAT!r}.")
    code = c.text(doc, "code", "")
    c.pattern(
        code,
        "code",
        CODE_RE,
        "must start with a lower-case letter and use only a–z, 0–9, '-' and '_' "
        "(at most 40 characters).",
    )
    name = c.text(doc, "name", "")
    short_name = c.text(doc, "short_name", "", limit=40)
    version = c.text(doc, "version", "")
    c.pattern(
        version,
        "version",
        VERSION_RE,
        "must be at most 20 characters of letters, digits, '.', '-' or '_'.",
    )
    language = c.optional_text(doc, "language", "", limit=10) or "en"
    validated = c.boolean(doc, "validated", "", default=True)
    source = c.text(doc, "source", "", limit=500)
    licence = c.text(doc, "licence", "", limit=500)
    instructions = c.optional_text(doc, "instructions", "")
    notes = c.optional_text(doc, "notes", "", limit=4000)
    higher_is_better = c.boolean(doc, "higher_is_better", "", default=False)

    option_sets = _option_sets(c, doc.get("option_sets", {}))
    items = _items(c, doc.get("items", []), option_sets)
    keys = {i.key for i in items}
    scored_keys = {i.key for i in items if i.scored}
    if items and not scored_keys:
        c.add("items", "at least one item must be scored.")

    scoring = _scoring(c, doc.get("scoring"), keys, scored_keys)
    subscales = _subscales(c, doc.get("subscales", []), keys)
    subscale_keys = {s.key for s in subscales}

    # The checks below need the score range, so items with options and something scored;
    # other problems so far do not stop them, so one upload reports as much as it can.
    if not scored_keys or not all(i.options for i in items):
        raise DefinitionError(c.errors or {"items": ["must list items with answer options."]})

    partial = Definition(
        code=code,
        name=name,
        short_name=short_name,
        version=version,
        language=language,
        validated=validated,
        source=source,
        licence=licence,
        instructions=instructions,
        items=tuple(items),
        scoring=scoring,
        subscales=tuple(subscales),
        bands=(),
        bands_cover_range=False,
        cutoffs=(),
        flags=(),
        higher_is_better=higher_is_better,
        reliable_change=None,
        change_criteria=None,
        notes=notes,
        document=doc,
    )
    bands, cover = _bands(c, doc.get("bands"), partial)
    cutoffs = _cutoffs(c, doc.get("cutoffs", []), partial)
    refs = _Refs(
        items=frozenset(keys),
        subscales=frozenset(subscale_keys),
        cutoffs=frozenset(x.key for x in cutoffs),
    )
    flags = _flags(c, doc.get("flags", []), partial, refs)
    rc = _reliable_change(c, doc.get("reliable_change"))
    criteria = _criteria(c, doc.get("change_criteria"))
    if c.errors:
        raise DefinitionError(c.errors)
    return Definition(
        code=code,
        name=name,
        short_name=short_name,
        version=version,
        language=language,
        validated=validated,
        source=source,
        licence=licence,
        instructions=instructions,
        items=tuple(items),
        scoring=scoring,
        subscales=tuple(subscales),
        bands=tuple(bands),
        bands_cover_range=cover,
        cutoffs=tuple(cutoffs),
        flags=tuple(flags),
        higher_is_better=higher_is_better,
        reliable_change=rc,
        change_criteria=criteria,
        notes=notes,
        document=doc,
    )


def _options(c: _Checker, value: object, path: str) -> tuple[Option, ...]:
    raw = c.array(value, path)
    if raw and not 2 <= len(raw) <= MAX_OPTIONS:
        c.add(path, f"must list between 2 and {MAX_OPTIONS} options.")
    elif not raw and isinstance(value, list):
        c.add(path, "must list the answer options.")
    options: list[Option] = []
    seen: set[int] = set()
    for n, entry in enumerate(raw):
        p = f"{path}[{n}]"
        obj = c.obj(entry, p, OPTION_KEYS)
        if obj is None:
            continue
        label = c.text(obj, "label", p)
        v = obj.get("value")
        if "value" not in obj:
            continue
        if _is_bool(v) or not isinstance(v, int):
            c.add(f"{p}.value", "must be a whole number (an integer), not " + _kind(v) + ".")
            continue
        if not -100 <= v <= 100:
            c.add(f"{p}.value", "must be between -100 and 100.")
            continue
        if v in seen:
            c.add(f"{p}.value", f"{v} is used by another option of the same item.")
            continue
        seen.add(v)
        options.append(Option(value=v, label=label))
    return tuple(options)


def _kind(value: object) -> str:
    if _is_bool(value):
        return "true/false"
    if isinstance(value, float):
        return f"the decimal {value}"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return type(value).__name__


def _option_sets(c: _Checker, value: object) -> dict[str, tuple[Option, ...]]:
    if not isinstance(value, dict):
        c.add("option_sets", "must be a JSON object of named option lists.")
        return {}
    sets: dict[str, tuple[Option, ...]] = {}
    for name, options in value.items():
        path = f"option_sets.{name}"
        if not KEY_RE.match(str(name)):
            c.add(path, "a set's name must be a lower-case key (a–z, 0–9, '_').")
        sets[str(name)] = _options(c, options, path)
    return sets


def _items(c: _Checker, value: object, option_sets: Mapping[str, tuple[Option, ...]]) -> list[Item]:
    raw = c.array(value, "items")
    if isinstance(value, list) and not raw:
        c.add("items", "must list at least one item.")
    if len(raw) > MAX_ITEMS:
        c.add("items", f"must list at most {MAX_ITEMS} items.")
        return []
    items: list[Item] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        path = f"items[{n}]"
        obj = c.obj(entry, path, ITEM_KEYS)
        if obj is None:
            continue
        key = c.text(obj, "key", path, limit=40)
        c.pattern(key, f"{path}.key", KEY_RE, "must be a lower-case key (a–z, 0–9, '_').")
        if key in seen:
            c.add(f"{path}.key", f"{key!r} is used by another item.")
        seen.add(key)
        text = c.text(obj, "text", path, limit=MAX_TEXT)
        scored = c.boolean(obj, "scored", path, default=True)
        opts = obj.get("options")
        if isinstance(opts, str):
            if opts not in option_sets:
                c.add(f"{path}.options", f"names the option set {opts!r}, which is not defined.")
                options: tuple[Option, ...] = ()
            else:
                options = option_sets[opts]
        else:
            options = _options(c, opts, f"{path}.options")
        items.append(Item(key=key, text=text, options=options, scored=scored))
    return items


def _item_refs(
    c: _Checker, value: object, path: str, keys: set[str], *, allow_empty: bool = True
) -> tuple[str, ...]:
    raw = c.array(value, path)
    refs: list[str] = []
    for n, ref in enumerate(raw):
        if not isinstance(ref, str) or ref not in keys:
            c.add(f"{path}[{n}]", f"names the item {ref!r}, which does not exist.")
        elif ref in refs:
            c.add(f"{path}[{n}]", f"lists {ref!r} twice.")
        else:
            refs.append(ref)
    if not allow_empty and isinstance(value, list) and not raw:
        c.add(path, "must list at least one item.")
    return tuple(refs)


def _scoring(c: _Checker, value: object, keys: set[str], scored: set[str]) -> Scoring:
    obj = c.obj(value, "scoring", SCORING_KEYS)
    if obj is None:
        return Scoring(method="sum", reverse=frozenset(), multiplier=1, decimals=0)
    method = obj.get("method")
    if method not in METHODS:
        c.add("scoring.method", "must be 'sum' or 'mean'.")
        method = "sum"
    reverse = _item_refs(c, obj.get("reverse", []), "scoring.reverse", keys)
    for ref in reverse:
        if ref not in scored:
            c.add("scoring.reverse", f"{ref!r} is not scored, so it cannot be reverse-scored.")
    multiplier = obj.get("multiplier", 1)
    if _is_bool(multiplier) or not isinstance(multiplier, int) or not 1 <= multiplier <= 100:
        c.add("scoring.multiplier", "must be a whole number from 1 to 100.")
        multiplier = 1
    default_decimals = 2 if method == "mean" else 0
    decimals = obj.get("decimals", default_decimals)
    if _is_bool(decimals) or not isinstance(decimals, int) or not 0 <= decimals <= 2:
        c.add("scoring.decimals", "must be 0, 1 or 2.")
        decimals = default_decimals
    if method == "sum" and decimals != 0:
        c.add("scoring.decimals", "a sum is a whole number: leave decimals out or set it to 0.")
        decimals = 0
    return Scoring(
        method=cast("Method", method),
        reverse=frozenset(reverse),
        multiplier=multiplier,
        decimals=decimals,
    )


def _subscales(c: _Checker, value: object, keys: set[str]) -> list[Subscale]:
    subscales: list[Subscale] = []
    seen: set[str] = set()
    for n, entry in enumerate(c.array(value, "subscales")):
        path = f"subscales[{n}]"
        obj = c.obj(entry, path, SUBSCALE_KEYS)
        if obj is None:
            continue
        key = c.text(obj, "key", path, limit=40)
        c.pattern(key, f"{path}.key", KEY_RE, "must be a lower-case key (a–z, 0–9, '_').")
        if key in seen:
            c.add(f"{path}.key", f"{key!r} is used by another subscale.")
        seen.add(key)
        label = c.text(obj, "label", path)
        items = _item_refs(c, obj.get("items", []), f"{path}.items", keys, allow_empty=False)
        method = obj.get("method", "sum")
        if method not in METHODS:
            c.add(f"{path}.method", "must be 'sum' or 'mean'.")
            method = "sum"
        apply_reverse = c.boolean(obj, "apply_reverse", path, default=True)
        subscales.append(
            Subscale(
                key=key,
                label=label,
                items=items,
                method=cast("Method", method),
                apply_reverse=apply_reverse,
            )
        )
    return subscales


def _in_range(value: Number, low: Number, high: Number) -> bool:
    return low <= value <= high


def _on_grid(value: Number, step: Decimal) -> bool:
    return Decimal(str(value)) % step == 0


def _band(c: _Checker, entry: object, path: str, d: Definition) -> Band | None:
    b = c.obj(entry, path, BAND_KEYS)
    if b is None:
        return None
    code = c.text(b, "code", path, limit=40)
    c.pattern(code, f"{path}.code", KEY_RE, "must be a lower-case key (a–z, 0–9, '_').")
    label = c.text(b, "label", path, limit=40)
    bmin, bmax = c.number(b, "min", path), c.number(b, "max", path)
    if bmin is None or bmax is None:
        return None
    low, high = d.score_range
    if bmin > bmax:
        c.add(path, f"min ({bmin}) is greater than max ({bmax}).")
    elif not (_in_range(bmin, low, high) and _in_range(bmax, low, high)):
        c.add(path, f"{bmin}–{bmax} lies outside the score range {low}–{high}.")
    elif not (_on_grid(bmin, d.step) and _on_grid(bmax, d.step)):
        c.add(path, f"min and max must be multiples of {d.step} (the score's precision).")
    else:
        return Band(code=code, label=label, min=bmin, max=bmax)
    return None


def _check_band_order(c: _Checker, ordered: list[Band], d: Definition, *, cover: bool) -> None:
    """Bands must not overlap; unless ``cover_range`` is false they must also leave no
    gap and reach from the lowest to the highest possible score."""
    low, high = d.score_range
    hint = "add a band or set 'cover_range' to false."
    for prev, nxt in itertools.pairwise(ordered):
        if nxt.min <= prev.max:
            c.add(
                "bands.ranges",
                f"{prev.code!r} ({prev.min}–{prev.max}) and {nxt.code!r} "
                f"({nxt.min}–{nxt.max}) overlap.",
            )
        elif cover and Decimal(str(nxt.min)) - Decimal(str(prev.max)) != d.step:
            c.add(
                "bands.ranges",
                f"no band covers the scores between {prev.max} and {nxt.min}; {hint}",
            )
    if not cover or not ordered:
        return
    if ordered[0].min != low:
        c.add(
            "bands.ranges",
            f"the bands start at {ordered[0].min} but the lowest possible score is {low}; {hint}",
        )
    if ordered[-1].max != high:
        c.add(
            "bands.ranges",
            f"the bands end at {ordered[-1].max} but the highest possible score is {high}; {hint}",
        )


def _bands(c: _Checker, value: object, d: Definition) -> tuple[list[Band], bool]:
    if value is None:
        return [], False
    obj = c.obj(value, "bands", BANDS_KEYS)
    if obj is None:
        return [], False
    cover = c.boolean(obj, "cover_range", "bands", default=True)
    raw = c.array(obj.get("ranges", []), "bands.ranges")
    if isinstance(obj.get("ranges"), list) and not raw:
        c.add("bands.ranges", "must list at least one band (or leave 'bands' out).")
    bands: list[Band] = []
    for n, entry in enumerate(raw):
        band = _band(c, entry, f"bands.ranges[{n}]", d)
        if band is None:
            continue
        if any(b.code == band.code for b in bands):
            c.add(f"bands.ranges[{n}].code", f"{band.code!r} is used by another band.")
        bands.append(band)
    ordered = sorted(bands, key=lambda x: x.min)
    _check_band_order(c, ordered, d, cover=cover)
    return ordered, cover


def _cutoffs(c: _Checker, value: object, d: Definition) -> list[Cutoff]:
    low, high = d.score_range
    cutoffs: list[Cutoff] = []
    seen: set[str] = set()
    for n, entry in enumerate(c.array(value, "cutoffs")):
        path = f"cutoffs[{n}]"
        obj = c.obj(entry, path, CUTOFF_KEYS)
        if obj is None:
            continue
        key = c.text(obj, "key", path, limit=40)
        c.pattern(key, f"{path}.key", KEY_RE, "must be a lower-case key (a–z, 0–9, '_').")
        if key in seen:
            c.add(f"{path}.key", f"{key!r} is used by another cut-off.")
        seen.add(key)
        label = c.text(obj, "label", path)
        note = c.optional_text(obj, "note", path, limit=500)
        default, cmin, cmax = (c.number(obj, k, path) for k in ("default", "min", "max"))
        if default is None or cmin is None or cmax is None:
            continue
        if not cmin <= default <= cmax:
            c.add(path, f"the default {default} is not between min {cmin} and max {cmax}.")
            continue
        if not (_in_range(cmin, low, high) and _in_range(cmax, low, high)):
            c.add(path, f"min and max must lie within the score range {low}–{high}.")
            continue
        cutoffs.append(Cutoff(key=key, label=label, default=default, min=cmin, max=cmax, note=note))
    return cutoffs


def _flag_subject(
    c: _Checker, obj: Mapping[str, Any], path: str, refs: _Refs
) -> tuple[str | None, str | None] | None:
    """The item or subscale a flag looks at; None when the reference is wrong."""
    on = obj.get("on")
    item, subscale = obj.get("item"), obj.get("subscale")
    if on == "item" and item not in refs.items:
        c.add(f"{path}.item", f"names the item {item!r}, which does not exist.")
        return None
    if on != "item" and "item" in obj:
        c.add(f"{path}.item", "only a flag 'on': 'item' names an item.")
    if on == "subscale" and subscale not in refs.subscales:
        c.add(f"{path}.subscale", f"names the subscale {subscale!r}, which does not exist.")
        return None
    if on != "subscale" and "subscale" in obj:
        c.add(f"{path}.subscale", "only a flag 'on': 'subscale' names a subscale.")
    return (
        str(item) if on == "item" else None,
        str(subscale) if on == "subscale" else None,
    )


def _flag_threshold(
    c: _Checker, obj: Mapping[str, Any], path: str, refs: _Refs
) -> tuple[Number | None, str | None] | None:
    """A flag compares with a fixed ``value`` or a named, tunable ``cutoff``."""
    has_value, has_cutoff = "value" in obj, "cutoff" in obj
    if has_value == has_cutoff:
        c.add(path, "give exactly one of 'value' or 'cutoff'.")
        return None
    if has_value:
        value = c.number(obj, "value", path)
        return None if value is None else (value, None)
    cutoff = obj.get("cutoff")
    if cutoff not in refs.cutoffs:
        c.add(f"{path}.cutoff", f"names the cut-off {cutoff!r}, which is not defined.")
        return None
    if obj.get("on") != "total":
        c.add(f"{path}.cutoff", "a cut-off applies to the total only.")
        return None
    return (None, str(cutoff))


def _flag(c: _Checker, entry: object, path: str, d: Definition, refs: _Refs) -> Flag | None:
    obj = c.obj(entry, path, FLAG_KEYS)
    if obj is None:
        return None
    code = c.text(obj, "code", path, limit=80)
    c.pattern(
        code,
        f"{path}.code",
        FLAG_CODE_RE,
        "must be lower-case letters, digits, '.', '-' or '_' (e.g. 'phq9.item9').",
    )
    label = c.text(obj, "label", path)
    safety = c.boolean(obj, "safety", path, default=False)
    on, op = obj.get("on"), obj.get("op")
    if on not in FLAG_TARGETS:
        c.add(f"{path}.on", "must be one of: " + ", ".join(FLAG_TARGETS) + ".")
        return None
    if op not in OPERATORS:
        c.add(f"{path}.op", "must be one of: " + " ".join(OPERATORS) + ".")
        return None
    subject = _flag_subject(c, obj, path, refs)
    threshold = _flag_threshold(c, obj, path, refs)
    if subject is None or threshold is None:
        return None
    item, subscale = subject
    value, cutoff = threshold
    if item is not None and value is not None:
        it = d.items_by_key[item]
        if not it.min_value <= value <= it.max_value:
            c.add(
                f"{path}.value",
                f"{value} is outside the answers of {item} ({it.min_value}–{it.max_value}).",
            )
    return Flag(
        code=code,
        label=label,
        on=str(on),
        op=str(op),
        value=value,
        cutoff=cutoff,
        item=item,
        subscale=subscale,
        safety=safety,
    )


@dataclass(frozen=True)
class _Refs:
    """What flags may refer to."""

    items: frozenset[str]
    subscales: frozenset[str]
    cutoffs: frozenset[str]


def _flags(c: _Checker, value: object, d: Definition, refs: _Refs) -> list[Flag]:
    flags: list[Flag] = []
    for n, entry in enumerate(c.array(value, "flags")):
        flag = _flag(c, entry, f"flags[{n}]", d, refs)
        if flag is None:
            continue
        if any(f.code == flag.code for f in flags):
            c.add(f"flags[{n}].code", f"{flag.code!r} is used by another flag.")
        flags.append(flag)
    return flags


def _reliable_change(c: _Checker, value: object) -> ReliableChangeDefaults | None:
    if value is None:
        return None
    obj = c.obj(value, "reliable_change", RC_KEYS)
    if obj is None:
        return None
    source = c.text(obj, "source", "reliable_change", limit=300)
    sd, r = obj.get("sd"), obj.get("reliability")
    if sd is not None and (not _is_number(sd) or sd <= 0):
        c.add("reliable_change.sd", "must be a positive number (or null when not known).")
        sd = None
    if r is not None and (not _is_number(r) or not 0 < r < 1):
        c.add("reliable_change.reliability", "must be between 0 and 1 (or null when not known).")
        r = None
    return ReliableChangeDefaults(
        sd=float(sd) if sd is not None else None,
        reliability=float(r) if r is not None else None,
        source=source,
    )


def _criteria(c: _Checker, value: object) -> ChangeCriteria | None:
    if value is None:
        return None
    obj = c.obj(value, "change_criteria", CRITERIA_KEYS)
    if obj is None:
        return None
    source = c.text(obj, "source", "change_criteria", limit=300)
    numbers = {k: c.number(obj, k, "change_criteria") for k in CRITERIA_KEYS if k != "source"}
    for key in ("reliable_change", "meaningful_change"):
        n = numbers[key]
        if n is not None and n <= 0:
            c.add(f"change_criteria.{key}", "must be a positive number of points.")
    return ChangeCriteria(
        source=source,
        caseness=numbers["caseness"],
        reliable_change=numbers["reliable_change"],
        meaningful_change=numbers["meaningful_change"],
    )


def load_json(text: str | bytes) -> object:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError({"": [f"The file is not valid JSON: {exc}"]}) from exc
    except _BadJson as exc:
        raise DefinitionError({"": [str(exc)]}) from exc


class _BadJson(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _BadJson(f"The key {key!r} appears twice in the same object.")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise _BadJson(f"{name} is not a number JSON allows.")
