"""The bandit gate: bandit over kindred/ (tests and migrations excluded, bandit.yaml)
must report nothing new.

A finding is either fixed, suppressed inline as ``# nosec B123 # reason`` (the reason
after a second ``#`` so bandit does not read its words as test names), or listed in
``bandit_accepted.toml`` with a written reason, matched by test id, file and the text of
the flagged line (not its number, so unrelated edits do not break the match). The gate
also fails on an inline suppression without a reason and reports accepted entries that
no longer match anything (stale, to be removed).
"""

from __future__ import annotations

import json
import re
import subprocess  # nosec B404 # bandit is run with fixed arguments, never a shell
import sys
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kindred.security.runner import say

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
CONFIG = HERE / "bandit.yaml"
ACCEPTED = HERE / "bandit_accepted.toml"
# An inline suppression: test ids, then a second hash sign and a reason of one word or more.
_NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
_NOSEC_WITH_REASON = re.compile(r"^:?\s*(B\d{3}[\s,]*)+#\s*\S.*$")


@dataclass(frozen=True)
class Accepted:
    test_id: str
    path: str
    code: str
    reason: str


@dataclass
class Finding:
    test_id: str
    path: str
    line: int
    severity: str
    confidence: str
    text: str
    code: str


@dataclass
class BanditReport:
    files_scanned: int = 0
    lines_scanned: int = 0
    raw_findings: int = 0
    accepted: int = 0
    inline_suppressed: int = 0
    new: list[Finding] = field(default_factory=list)
    unexplained_nosec: list[str] = field(default_factory=list)
    stale_accepted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if self.new or self.unexplained_nosec else 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        return data


def load_accepted(path: Path = ACCEPTED) -> list[Accepted]:
    if not path.exists():
        return []
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    accepted = []
    for row in data.get("accepted", []):
        reason = str(row.get("reason", "")).strip()
        if not reason:
            raise ValueError(f"{path}: the entry for {row} has no reason")
        accepted.append(
            Accepted(str(row["test_id"]), str(row["path"]), str(row["code"]).strip(), reason)
        )
    return accepted


def run_bandit(target: Path, config: Path | None = CONFIG, cwd: Path = REPO_ROOT) -> dict[str, Any]:
    """bandit's JSON report for ``target`` (raises RuntimeError when bandit fails)."""
    command = [sys.executable, "-m", "bandit", "-r", str(target), "-f", "json", "-q"]
    if config is not None:
        command += ["-c", str(config)]
    done = subprocess.run(  # noqa: S603  # nosec B603 # fixed arguments, no shell
        command, capture_output=True, text=True, cwd=cwd, timeout=600, check=False
    )
    # bandit exits 1 when it found something; anything else but 0 is a failure to run.
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise RuntimeError(f"bandit did not run (exit {done.returncode}): {done.stderr[-500:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    if report.get("errors"):
        raise RuntimeError(f"bandit could not read: {report['errors'][:5]}")
    return report


def _source_line(path: Path, number: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    if not path.is_absolute():
        path = (root / path).resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def unexplained_suppressions(files: list[Path], root: Path) -> list[str]:
    """Every ``# nosec`` in ``files`` without test ids and a reason."""
    bad: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            found = _NOSEC.search(line)
            if found and not _NOSEC_WITH_REASON.match(found.group("rest")):
                bad.append(f"{_relative(str(path), root)}:{number}: {line.strip()[:120]}")
    return bad


def gate(
    target: Path = REPO_ROOT / "kindred",
    *,
    config: Path | None = CONFIG,
    accepted: list[Accepted] | None = None,
    root: Path = REPO_ROOT,
) -> BanditReport:
    report = BanditReport()
    try:
        raw = run_bandit(target, config, cwd=root)
    except (RuntimeError, OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
        report.errors.append(str(exc))
        return report
    accepted = load_accepted() if accepted is None else accepted
    metrics = raw.get("metrics", {})
    scanned = [name for name in metrics if name != "_totals"]
    report.files_scanned = len(scanned)
    totals = metrics.get("_totals", {})
    report.lines_scanned = int(totals.get("loc", 0))
    report.inline_suppressed = int(totals.get("nosec", 0)) + int(totals.get("skipped_tests", 0))
    used: set[Accepted] = set()
    for result in raw.get("results", []):
        report.raw_findings += 1
        path = _relative(result["filename"], root)
        code = _source_line(root / path, int(result["line_number"]))
        finding = Finding(
            test_id=result["test_id"],
            path=path,
            line=int(result["line_number"]),
            severity=result["issue_severity"],
            confidence=result["issue_confidence"],
            text=result["issue_text"],
            code=code,
        )
        match = next(
            (
                a
                for a in accepted
                if a.test_id == finding.test_id and a.path == path and a.code == code
            ),
            None,
        )
        if match is not None:
            used.add(match)
            report.accepted += 1
        else:
            report.new.append(finding)
    report.stale_accepted = [f"{a.test_id} {a.path}: {a.code}" for a in accepted if a not in used]
    report.unexplained_nosec = unexplained_suppressions(
        [_resolve(name, root) for name in scanned], root
    )
    return report


def _resolve(name: str, root: Path) -> Path:
    path = Path(name)
    return path if path.is_absolute() else root / path


def describe(report: BanditReport) -> str:
    lines = [
        (
            f"bandit: {report.files_scanned} files, {report.lines_scanned} lines; "
            f"{report.raw_findings} raw findings, {report.accepted} accepted with a reason "
            f"(bandit_accepted.toml), {report.inline_suppressed} suppressed inline; "
            f"{len(report.new)} new"
        )
    ]
    lines += [
        f"NEW {f.test_id} {f.severity}/{f.confidence} {f.path}:{f.line}: {f.text} -- {f.code}"
        for f in report.new
    ]
    lines += [f"NOSEC WITHOUT A REASON {item}" for item in report.unexplained_nosec]
    lines += [
        f"stale accepted entry (matches nothing now; remove it): {item}"
        for item in report.stale_accepted
    ]
    lines += [f"COULD NOT RUN: {error}" for error in report.errors]
    return "\n".join(lines)


def proposal(report: BanditReport) -> str:
    """TOML entries for the new findings, with empty reasons: the loader refuses an entry
    until someone has looked at the line and written why it is acceptable."""
    rows: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for f in report.new:
        if (f.test_id, f.path, f.code) in seen:
            continue
        seen.add((f.test_id, f.path, f.code))
        rows += [
            f"# {f.path}:{f.line} {f.severity}/{f.confidence}: {f.text}",
            "[[accepted]]",
            f"test_id = {json.dumps(f.test_id)}",
            f"path = {json.dumps(f.path)}",
            f"code = {json.dumps(f.code)}",
            'reason = ""',
            "",
        ]
    return "\n".join(rows)


if __name__ == "__main__":
    result = gate()
    say(describe(result))
    if "--propose" in sys.argv[1:] and result.new:
        say("\n# Entries to review and add to bandit_accepted.toml (fill in every reason):")
        say(proposal(result))
    sys.exit(result.exit_code)
