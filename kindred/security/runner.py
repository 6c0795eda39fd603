"""The battery runner: ``python -m kindred.security [--full] [--only a,b] [--out-dir D]``.

Each part runs as its own process, ``python -m kindred.security.<part> --out F.json
[--full]``, and keeps a contract: it writes ``{"part", "passed", "figures", "findings"}``
to F and exits 0 (passed), 1 (findings) or 2 (could not run). The runner prints one
progress line per part, keeps each part's output in a log beside the results, and writes
one combined JSON (a timestamped file and ``latest.json``) with the git commit, start and
finish times, the machine's load average and each part's status and figures.

A part whose module has no ``__main__`` yet is "missing"; a part that exits without its
JSON, or with a JSON that breaks the contract, "could not run"; a part over its time
limit is stopped and "timed out". None of these count as passed. The faults part runs
only when asked (``--only faults``; ``make faults``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import signal
import subprocess  # nosec B404 # the parts run as python -m with fixed arguments
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PARTS = ("authz", "fuzz", "xss", "static")
ALL_PARTS = (*DEFAULT_PARTS, "faults")
DEFAULT_OUT_DIR = REPO_ROOT / "bench" / "results" / "security"
# Per-part wall-clock limits in seconds (fast run, --full run).
TIME_LIMITS: dict[str, tuple[int, int]] = {
    "authz": (900, 1800),
    "fuzz": (1200, 3600),
    "xss": (900, 1800),
    "static": (600, 600),
    "faults": (1800, 3600),
}
STATUSES = ("passed", "findings", "could_not_run", "missing", "timed_out")


@dataclass
class PartResult:
    part: str
    status: str
    exit_code: int | None = None
    seconds: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)
    findings_count: int = 0
    findings: list[Any] = field(default_factory=list)
    problem: str | None = None
    json_path: str | None = None
    log_path: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def say(text: str) -> None:
    """One line on standard output, flushed (progress must show while a part runs)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def has_main(part: str, package: str = "kindred.security") -> bool:
    try:
        return importlib.util.find_spec(f"{package}.{part}.__main__") is not None
    except ModuleNotFoundError:
        return False


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux
        return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603 B607 # fixed git arguments, no shell
            ["git", *args],  # noqa: S607
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def _read_contract(  # noqa: PLR0911 - one return per broken rule of the contract
    path: Path, part: str
) -> tuple[dict[str, Any] | None, str | None]:
    if not path.exists():
        return None, "the part wrote no JSON"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"the part's JSON is unreadable: {exc}"
    if not isinstance(data, dict):
        return None, "the part's JSON is not an object"
    missing = [k for k in ("part", "passed", "figures", "findings") if k not in data]
    if missing:
        return None, f"the part's JSON lacks {', '.join(missing)}"
    if data["part"] != part:
        return None, f"the part's JSON names part {data['part']!r}"
    if not isinstance(data["passed"], bool) or not isinstance(data["figures"], dict):
        return None, "the part's JSON has passed/figures of the wrong type"
    if not isinstance(data["findings"], list):
        return None, "the part's findings are not a list"
    return data, None


def run_part(
    part: str,
    *,
    full: bool,
    out_dir: Path,
    stamp: str,
    package: str = "kindred.security",
    time_limit: float | None = None,
    extra_args: Sequence[str] = (),
) -> PartResult:
    if not has_main(part, package):
        return PartResult(part, "missing", problem=f"{package}.{part} has no __main__ yet")
    json_path = out_dir / f"{stamp}-{part}.json"
    log_path = out_dir / f"{stamp}-{part}.log"
    command = [sys.executable, "-m", f"{package}.{part}", "--out", str(json_path)]
    if full:
        command.append("--full")
    command += list(extra_args)
    limit = time_limit if time_limit is not None else TIME_LIMITS.get(part, (900, 1800))[full]
    started = time.monotonic()
    result = PartResult(part, "could_not_run", json_path=str(json_path), log_path=str(log_path))
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(  # noqa: S603  # nosec B603 # fixed arguments, no shell
            command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a timeout stops the part's own children too
        )
        try:
            result.exit_code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            result.seconds = round(time.monotonic() - started, 1)
            result.status = "timed_out"
            result.problem = f"stopped after {limit:.0f} s"
            return result
    result.seconds = round(time.monotonic() - started, 1)
    data, problem = _read_contract(json_path, part)
    if data is None:
        result.problem = f"{problem} (exit {result.exit_code})"
        return result
    result.figures = data["figures"]
    result.findings = data["findings"][:50]
    result.findings_count = len(data["findings"])
    if result.exit_code == 0 and data["passed"]:
        result.status = "passed"
    elif result.exit_code == 1 or (result.exit_code == 0 and not data["passed"]):
        result.status = "findings"
    else:
        result.status = "could_not_run"
        result.problem = f"exit {result.exit_code}"
        # The part's own words, so the progress line says why (the rest is in the JSON).
        reasons = [f for f in data["findings"] if isinstance(f, dict)]
        unchecked = [f for f in reasons if {"could_not_check", "could_not_run"} & set(f)]
        if unchecked or reasons:
            first = (unchecked or reasons)[0]
            text = first.get("could_not_check") or first.get("could_not_run") or first
            result.problem += f": {str(text)[:200]}"
    return result


def progress_line(index: int, total: int, result: PartResult) -> str:
    label = {
        "passed": "passed",
        "findings": f"FINDINGS ({result.findings_count})",
        "could_not_run": "COULD NOT RUN",
        "missing": "MISSING",
        "timed_out": "TIMED OUT",
    }[result.status]
    tail = f": {result.problem}" if result.problem else ""
    return f"[{index}/{total}] {result.part:<7} {label} in {result.seconds:.1f} s{tail}"


def run(
    parts: Sequence[str],
    *,
    full: bool = False,
    out_dir: Path = DEFAULT_OUT_DIR,
    package: str = "kindred.security",
    time_limit: float | None = None,
    part_args: dict[str, list[str]] | None = None,
) -> tuple[dict[str, Any], Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    load_before = _load_average()
    results: list[PartResult] = []
    for index, part in enumerate(parts, start=1):
        say(f"[{index}/{len(parts)}] {part:<7} running ...")
        result = run_part(
            part,
            full=full,
            out_dir=out_dir,
            stamp=stamp,
            package=package,
            time_limit=time_limit,
            extra_args=(part_args or {}).get(part, []),
        )
        results.append(result)
        say(progress_line(index, len(parts), result))
    finished = datetime.now(UTC)
    combined: dict[str, Any] = {
        "battery": "kindred.security",
        "full": full,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "seconds": round((finished - started).total_seconds(), 1),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "machine": {
            "load_average_before": load_before,
            "load_average_after": _load_average(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "passed": bool(results) and all(r.passed for r in results),
        "summary": {s: [r.part for r in results if r.status == s] for s in STATUSES},
        "parts": {r.part: asdict(r) for r in results},
    }
    path = out_dir / f"{stamp}.json"
    text = json.dumps(combined, indent=2, default=str) + "\n"
    path.write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    return combined, path


def exit_code(combined: dict[str, Any]) -> int:
    if combined["passed"]:
        return 0
    statuses = {part["status"] for part in combined["parts"].values()}
    return 1 if statuses <= {"passed", "findings"} and combined["parts"] else 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kindred.security",
        description="Run the security battery (docs/security.md) and write one JSON of figures.",
    )
    parser.add_argument("--full", action="store_true", help="each part's full (slow) run")
    parser.add_argument(
        "--only",
        help=f"comma-separated parts (default {','.join(DEFAULT_PARTS)}; faults only when named)",
    )
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument(
        "--time-limit", type=float, help="seconds per part (default: per-part limits)"
    )
    args = parser.parse_args(argv)
    parts = list(DEFAULT_PARTS)
    if args.only:
        parts = [p.strip() for p in args.only.split(",") if p.strip()]
        unknown = [p for p in parts if p not in ALL_PARTS]
        if unknown:
            parser.error(f"unknown parts: {', '.join(unknown)} (known: {', '.join(ALL_PARTS)})")
    say(
        f"security battery: {', '.join(parts)}{' (full)' if args.full else ''} -> {args.out_dir}",
    )
    combined, path = run(parts, full=args.full, out_dir=args.out_dir, time_limit=args.time_limit)
    verdict = "PASSED" if combined["passed"] else "FAILED"
    say(f"security battery {verdict} in {combined['seconds']:.1f} s; results in {path}")
    for status in STATUSES[1:]:
        if combined["summary"][status]:
            say(f"  {status}: {', '.join(combined['summary'][status])}")
    return exit_code(combined)
