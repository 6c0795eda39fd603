"""Precision and recall of the risk-language screener on its labelled cases.

Run ``python -m kindred.space.risk_report`` for the figures table (the one in
docs/risk-screening.md). ``--misses`` lists the cases the screener gets wrong in the
tuning batches (1-3); the held-out batch's lines are left out unless
``--include-held-out`` is given, because reading them is how a held-out set stops being
held out.

The cases live in ``kindred/space/tests/risk_cases*.tsv``: one case a line, tab-separated
``expect kind category text``; a line ``# --- batch N`` starts batch N.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kindred.space.risk import RiskCategory, categories

CASES_DIR = Path(__file__).with_name("tests")
#: Batches the phrase list may be tuned on; the others are held out.
TUNING_BATCHES = frozenset({1, 2, 3})
HELD_OUT_BATCHES = frozenset({4})
KINDS = ("positive", "negative", "negated", "quoted")
BATCH_MARK = re.compile(r"^# --- batch (\d+)\b")


@dataclass(frozen=True)
class Case:
    batch: int
    expect: bool
    kind: str
    category: str
    text: str


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("risk_cases*.tsv"))


def load_cases(files: Iterable[Path] | None = None) -> list[Case]:
    cases: list[Case] = []
    for path in case_files() if files is None else files:
        batch = 1
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            mark = BATCH_MARK.match(line)
            if mark:
                batch = int(mark.group(1))
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise ValueError(f"{path.name} line {number}: expected 4 tab-separated columns")
            expect, kind, category, text = parts
            cases.append(Case(batch, expect == "alert", kind, category, text))
    return cases


@dataclass(frozen=True)
class Figures:
    cases: int
    true_alerts: int
    false_alerts: int
    missed: int

    @property
    def precision(self) -> float | None:
        flagged = self.true_alerts + self.false_alerts
        return self.true_alerts / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        positives = self.true_alerts + self.missed
        return self.true_alerts / positives if positives else None


Screener = Callable[[str], Sequence[str]]


def figures(cases: Iterable[Case], screener: Screener = categories) -> Figures:
    """Alert vs. no alert, whatever the category."""
    n = tp = fp = fn = 0
    for case in cases:
        n += 1
        alerted = bool(screener(case.text))
        if case.expect and alerted:
            tp += 1
        elif case.expect:
            fn += 1
        elif alerted:
            fp += 1
    return Figures(n, tp, fp, fn)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _batch_label(batch: int) -> str:
    return f"batch {batch}" + (" (held out)" if batch in HELD_OUT_BATCHES else "")


def table(cases: Sequence[Case], screener: Screener = categories) -> str:
    """The figures as Markdown tables: per batch, per category, per kind."""
    batches = sorted({c.batch for c in cases})
    groups: list[tuple[str, list[Case]]] = [
        (_batch_label(b), [c for c in cases if c.batch == b]) for b in batches
    ]
    groups.append(("tuning batches", [c for c in cases if c.batch in TUNING_BATCHES]))
    groups.append(("all", list(cases)))
    lines = [
        "| cases | n | true alerts | false alerts | missed | precision | recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, group in groups:
        f = figures(group, screener)
        lines.append(
            f"| {label} | {f.cases} | {f.true_alerts} | {f.false_alerts} | {f.missed} "
            f"| {_fmt(f.precision)} | {_fmt(f.recall)} |"
        )
    lines += [
        "",
        (
            "Per category: recall = positives of the category that alert; right cat. = "
            "those whose alert names it; precision = of the cases flagged with the category, "
            "the share that are true alerts."
        ),
        "",
        "| category | batch | positives | alerted | recall | right cat. | flagged | precision |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    scopes: list[tuple[str, list[Case]]] = [
        ("tuning", [c for c in cases if c.batch in TUNING_BATCHES]),
        ("held out", [c for c in cases if c.batch in HELD_OUT_BATCHES]),
    ]
    for category in RiskCategory:
        for scope, group in scopes:
            positives = [c for c in group if c.expect and c.category == category.value]
            alerted = sum(1 for c in positives if screener(c.text))
            right = sum(1 for c in positives if category.value in screener(c.text))
            flagged = [c for c in group if category.value in screener(c.text)]
            true_flagged = sum(1 for c in flagged if c.expect)
            recall = alerted / len(positives) if positives else None
            precision = true_flagged / len(flagged) if flagged else None
            lines.append(
                f"| {category.value} | {scope} | {len(positives)} | {alerted} | {_fmt(recall)} "
                f"| {right} | {len(flagged)} | {_fmt(precision)} |"
            )
    lines += [
        "",
        "Per kind: positives are measured by recall, the others by how many alert (false alerts).",
        "",
        "| kind | batch | cases | alerted | share alerted |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        for scope, group in scopes:
            of_kind = [c for c in group if c.kind == kind]
            alerted = sum(1 for c in of_kind if screener(c.text))
            share = alerted / len(of_kind) if of_kind else None
            lines.append(f"| {kind} | {scope} | {len(of_kind)} | {alerted} | {_fmt(share)} |")
    return "\n".join(lines)


def misses(cases: Iterable[Case], screener: Screener = categories) -> list[str]:
    out: list[str] = []
    for case in cases:
        found = screener(case.text)
        if case.expect and not found:
            out.append(f"missed  batch {case.batch} {case.category}: {case.text}")
        elif not case.expect and found:
            out.append(f"false   batch {case.batch} {case.kind} {','.join(found)}: {case.text}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.space.risk_report")
    parser.add_argument("--misses", action="store_true", help="list the tuning batches' misses")
    parser.add_argument(
        "--include-held-out",
        action="store_true",
        help="with --misses, list the held-out batch's misses too (it is then no longer held out)",
    )
    args = parser.parse_args(argv)
    cases = load_cases()
    out = table(cases) + "\n"
    if args.misses:
        shown = [c for c in cases if c.batch in TUNING_BATCHES or args.include_held_out]
        out += "\n" + ("\n".join(misses(shown)) or "no misses") + "\n"
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
