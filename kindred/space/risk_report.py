"""Precision and recall of the risk-language screener on its labelled cases.

Run ``python -m kindred.space.risk_report`` for the figures tables (the ones in
docs/risk-screening.md): the phrase list alone, the embedding second opinion alone and
the two combined (what ``risk.categories`` does). On the tuning batches the embedding is
measured leave-one-out (a case never matches itself, since batches 1-3 are its
references); batch 4 is held out and is not among the references.

``--misses`` lists the cases the screener gets wrong in the tuning batches (1-3); the
held-out batch's lines are left out unless ``--include-held-out`` is given, because
reading them is how a held-out set stops being held out. ``--threshold`` chooses the
second opinion's threshold again (tuning batches only), ``--timing`` measures its cost.

The cases live in ``kindred/space/tests/risk_cases*.tsv``: one case a line, tab-separated
``expect kind category text``; a line ``# --- batch N`` starts batch N.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from kindred.space.risk import RiskCategory, list_categories

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


EVERYDAY_FILE = CASES_DIR / "risk_everyday.tsv"


def load_everyday(path: Path = EVERYDAY_FILE) -> list[str]:
    """Ordinary posts with no risk language (not a batch, never tuned on or referenced)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


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


def figures(cases: Iterable[Case], screener: Screener = list_categories) -> Figures:
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


def table(cases: Sequence[Case], screener: Screener = list_categories) -> str:
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


def misses(cases: Iterable[Case], screener: Screener = list_categories) -> list[str]:
    out: list[str] = []
    for case in cases:
        found = screener(case.text)
        if case.expect and not found:
            out.append(f"missed  batch {case.batch} {case.category}: {case.text}")
        elif not case.expect and found:
            out.append(f"false   batch {case.batch} {case.kind} {','.join(found)}: {case.text}")
    return out


# --- the embedding second opinion -----------------------------------------------------


def reference_lines(cases: Iterable[Case]) -> list[str]:
    """The tuning cases as ``data/risk_references.tsv`` lines (held-out cases never)."""
    lines = [
        "# Reference cases for the risk second opinion (kindred/space/risk_embedding.py).",
        "# Generated from the tuning batches of kindred/space/tests/risk_cases*.tsv by",
        "# `python -m kindred.space.risk_report --write-references`; do not edit by hand.",
    ]
    lines.extend(
        f"{'alert' if c.expect else 'none'}\t{c.kind}\t{c.category}\t{c.text}"
        for c in cases
        if c.batch in TUNING_BATCHES
    )
    return lines


def embedding_answers(
    cases: Sequence[Case], threshold: float | None = None
) -> dict[str, str | None]:
    """Per case text, the second opinion's category (None: no alert), leave-one-out.
    Cached per process: the report and the tests ask for the same cases."""

    chosen = _threshold() if threshold is None else threshold
    return dict(_embedding_answers(tuple(c.text for c in cases), chosen))


def _threshold() -> float:
    from kindred.space import risk_embedding

    return risk_embedding.THRESHOLD


@cache
def _embedding_answers(
    texts: tuple[str, ...], threshold: float
) -> tuple[tuple[str, str | None], ...]:
    from kindred.space import risk_embedding

    model = risk_embedding.get()
    if model is None:
        raise SystemExit("the embedding model cannot load (see the warning above)")
    found = model.categories(texts, threshold=threshold, leave_out_same_text=True)
    return tuple(zip(texts, found, strict=True))


def embedding_screener(answers: dict[str, str | None]) -> Screener:
    def screener(text: str) -> list[str]:
        found = answers[text]
        return [found] if found else []

    return screener


def combined_screener(answers: dict[str, str | None]) -> Screener:
    """The phrase list, or when it finds nothing the second opinion (risk.categories)."""

    def screener(text: str) -> list[str]:
        found = list_categories(text)
        if found:
            return found
        second = answers[text]
        return [second] if second else []

    return screener


def choose_threshold(cases: Sequence[Case], min_precision: float = 0.90) -> float:
    """The margin threshold with the highest recall of "phrase list OR embedding" on
    ``cases`` (leave-one-out) at precision >= ``min_precision``; on a tie the lower one.
    Only ever called with the tuning batches."""
    from kindred.space import risk_embedding

    if any(c.batch not in TUNING_BATCHES for c in cases):
        raise ValueError("the threshold is never chosen on held-out cases")
    model = risk_embedding.get()
    if model is None:
        raise SystemExit("the embedding model cannot load (see the warning above)")
    texts = [c.text for c in cases]
    margin, _ = model.margins(texts, leave_out_same_text=True)
    listed = [bool(list_categories(t)) for t in texts]
    best: tuple[float, float] | None = None  # (threshold, recall)
    for threshold in sorted({round(float(m), 3) for m in margin}):
        tp = fp = fn = 0
        for case, by_list, m in zip(cases, listed, margin, strict=True):
            alerted = by_list or float(m) >= threshold
            tp += case.expect and alerted
            fp += (not case.expect) and alerted
            fn += case.expect and not alerted
        if tp + fp == 0 or tp / (tp + fp) < min_precision:
            continue
        recall = tp / (tp + fn)
        if best is None or recall > best[1]:
            best = (threshold, recall)
    if best is None:
        raise ValueError(f"no threshold reaches precision {min_precision}")
    return best[0]


def choose_min_similarity(cases: Sequence[Case], threshold: float, percentile: float = 5) -> float:
    """The similarity to the nearest positive below which the second opinion stays
    silent: the ``percentile`` of it over the positives in ``cases`` whose margin reaches
    ``threshold`` (leave-one-out). Only ever called with the tuning batches."""
    from kindred.space import risk_embedding

    if any(c.batch not in TUNING_BATCHES for c in cases):
        raise ValueError("the floor is never chosen on held-out cases")
    model = risk_embedding.get()
    if model is None:
        raise SystemExit("the embedding model cannot load (see the warning above)")
    positives = [c.text for c in cases if c.expect]
    margin, closest, _ = model.scores(positives, leave_out_same_text=True)
    caught = [float(s) for m, s in zip(margin, closest, strict=True) if float(m) >= threshold]
    return round(float(np.percentile(caught, percentile)), 3)


def timing(texts: Sequence[str]) -> str:
    """Milliseconds per text for the second opinion, one text a call (as a post is)."""
    import statistics
    import time

    from kindred.space import risk_embedding

    started = time.perf_counter()
    model = risk_embedding.get()
    loaded = time.perf_counter() - started
    if model is None:
        raise SystemExit("the embedding model cannot load (see the warning above)")
    each: list[float] = []
    for text in texts:
        t0 = time.perf_counter()
        model.categories([text])
        each.append((time.perf_counter() - t0) * 1000)
    each.sort()
    return (
        f"load (model and reference vectors): {loaded * 1000:.0f} ms; "
        f"{len(each)} texts one at a time: median {statistics.median(each):.1f} ms, "
        f"mean {statistics.fmean(each):.1f} ms, "
        f"p95 {each[int(0.95 * (len(each) - 1))]:.1f} ms, max {each[-1]:.1f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.space.risk_report")
    parser.add_argument("--misses", action="store_true", help="list the tuning batches' misses")
    parser.add_argument(
        "--include-held-out",
        action="store_true",
        help="with --misses, list the held-out batch's misses too (it is then no longer held out)",
    )
    parser.add_argument(
        "--list-only", action="store_true", help="the phrase list alone (no embedding model)"
    )
    parser.add_argument(
        "--threshold",
        action="store_true",
        help="choose the second opinion's threshold again on the tuning batches",
    )
    parser.add_argument(
        "--timing", action="store_true", help="milliseconds per text for the second opinion"
    )
    parser.add_argument(
        "--write-references",
        action="store_true",
        help="write the tuning cases to kindred/space/data/risk_references.tsv",
    )
    args = parser.parse_args(argv)
    cases = load_cases()
    if args.write_references:
        from kindred.space.risk_embedding import REFERENCES_FILE

        REFERENCES_FILE.write_text("\n".join(reference_lines(cases)) + "\n", encoding="utf-8")
        sys.stdout.write(f"wrote {REFERENCES_FILE}\n")
        return 0
    shown = [c for c in cases if c.batch in TUNING_BATCHES or args.include_held_out]
    if args.timing:  # first, so that the load is measured too
        sys.stdout.write(timing([c.text for c in cases if c.batch in HELD_OUT_BATCHES]) + "\n\n")
    out = "## Phrase list alone\n\n" + table(cases) + "\n"
    if args.misses:
        out += "\n" + ("\n".join(misses(shown)) or "no misses") + "\n"
    if not args.list_only:
        answers = embedding_answers(cases)
        for title, screener in (
            ("Embedding second opinion alone", embedding_screener(answers)),
            ("Phrase list OR embedding (risk.categories)", combined_screener(answers)),
        ):
            out += f"\n## {title}\n\n" + table(cases, screener) + "\n"
            if args.misses:
                out += "\n" + ("\n".join(misses(shown, screener)) or "no misses") + "\n"
    if not args.list_only:
        everyday = load_everyday()
        answers = dict(_embedding_answers(tuple(everyday), _threshold()))
        out += (
            "\n## Everyday posts (risk_everyday.tsv, no risk language)\n\n"
            "| screener | posts | alerted | share alerted |\n| --- | ---: | ---: | ---: |\n"
        )
        for title, screener in (
            ("phrase list alone", list_categories),
            ("embedding alone", embedding_screener(answers)),
            ("phrase list OR embedding", combined_screener(answers)),
        ):
            alerted = sum(1 for text in everyday if screener(text))
            out += f"| {title} | {len(everyday)} | {alerted} | {alerted / len(everyday):.3f} |\n"
    if args.threshold:
        tuning = [c for c in cases if c.batch in TUNING_BATCHES]
        for min_precision in (0.85, 0.90, 0.95):
            chosen = choose_threshold(tuning, min_precision)
            out += f"\nthreshold at precision >= {min_precision:.2f} on batches 1-3: {chosen:.3f}"
            floor = choose_min_similarity(tuning, chosen)
            out += f", minimum similarity (5th percentile of its catches): {floor:.3f}"
        out += "\n"
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
