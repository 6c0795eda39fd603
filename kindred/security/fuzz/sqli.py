"""sqlmap on every parameter of a live loopback Kindred.

A target is one URL with the parameters to test there: the query parameters of an API
list operation or of an HTML page with search, sort or filter (as the views really read
them: recorder.py), a path id (marked ``*``), or the fields of a JSON body. Each sqlmap
run is bounded (level 1, risk 1, 1 s time-based delay, 5 s timeout, no retries, and a
wall-clock cap); the whole part has a total cap too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from kindred.security.fuzz.live import LOOPBACK

SQLMAP_OPTIONS = (
    "--batch",
    "--level=1",
    "--risk=1",
    "--time-sec=1",
    "--timeout=5",
    "--retries=0",
    "--technique=BEUST",
    "--dbms=PostgreSQL",
    "--skip-waf",
    "--flush-session",
    "--disable-coloring",
    "--threads=1",
)

#: A parameter sqlmap really tested: where it is (never Cookie: level 1 leaves cookies
#: alone), its name, then what it concluded about it.
_TESTED = re.compile(
    r"(?:GET|POST|URI|JSON|\(custom\) POST) parameter '([^']+)' "
    r"(?:is dynamic|does not appear to be dynamic|does not seem to be injectable"
    r"|appears to be|is '|might be)"
)
_POINT = re.compile(r"^Parameter: (.+?) \((.+)\)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Target:
    """One sqlmap run: ``url`` (with ``*`` marking a path injection point), the
    parameters to test, and how to authenticate."""

    label: str
    url: str
    parameters: tuple[str, ...]
    headers: tuple[str, ...] = ()
    cookie: str = ""
    data: str = ""  # a JSON body (POST)

    def command(self, output_dir: Path) -> list[str]:
        if urlsplit(self.url).hostname != LOOPBACK:
            raise ValueError(f"sqlmap only ever targets {LOOPBACK}: {self.url}")
        args = [sys.executable, "-m", "sqlmap.sqlmap", "-u", self.url, *SQLMAP_OPTIONS]
        args += [f"--output-dir={output_dir}"]
        if self.parameters and "*" not in self.url:
            args += ["-p", ",".join(self.parameters)]
        if self.headers:
            args += ["--headers", "\n".join(self.headers)]
        if self.cookie:
            args += ["--cookie", self.cookie]
        if self.data:
            args += ["--data", self.data, "--method", "POST"]
        return args


@dataclass
class Outcome:
    target: Target
    tested: set[str] = field(default_factory=set)
    injectable: set[str] = field(default_factory=set)
    timed_out: bool = False
    error: str = ""
    evidence: str = ""
    seconds: float = 0.0


def parse(output: str) -> tuple[set[str], set[str]]:
    """(parameters sqlmap tested, parameters it found injectable) from its output."""
    tested = {m.group(1) for m in _TESTED.finditer(output)}
    injectable: set[str] = set()
    if "identified the following injection point" in output:
        injectable = {m.group(1) for m in _POINT.finditer(output)}
    return tested, injectable


def sqlmap_runs() -> bool:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sqlmap.sqlmap", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def run_one(target: Target, *, seconds: float) -> Outcome:
    outcome = Outcome(target)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kindred-sqlmap-") as out:
        try:
            done = subprocess.run(  # noqa: S603 - fixed sqlmap options, loopback URL only
                target.command(Path(out)),
                capture_output=True,
                text=True,
                timeout=seconds,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            outcome.timed_out = True
            raw = exc.stdout or b""
            output = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    outcome.tested, outcome.injectable = parse(output)
    if outcome.injectable:  # keep sqlmap's own account of the injection point for review
        start = output.find("identified the following injection point")
        outcome.evidence = output[start : start + 1500]
    if not outcome.tested and not outcome.timed_out:
        outcome.error = output[-800:]
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome


def run_all(
    targets: Sequence[Target],
    *,
    per_run_seconds: float,
    total_seconds: float,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Outcome], list[Target]]:
    """Run the targets in order until the total cap; returns the outcomes and the targets
    left untested for lack of time."""
    deadline = time.monotonic() + total_seconds
    outcomes: list[Outcome] = []
    for index, target in enumerate(targets):
        left = deadline - time.monotonic()
        if left < 5:
            return outcomes, list(targets[index:])
        if progress:
            progress(f"sqlmap {index + 1}/{len(targets)}: {target.label}")
        outcomes.append(run_one(target, seconds=min(per_run_seconds, left)))
    return outcomes, []


def query_target(
    label: str,
    base_url: str,
    path: str,
    parameters: Sequence[str],
    *,
    headers: Sequence[str] = (),
    cookie: str = "",
) -> Target:
    """A GET target: every parameter gets a harmless starting value."""
    query = urlencode(dict.fromkeys(parameters, "1"))
    return Target(
        label=label,
        url=f"{base_url}{path}?{query}",
        parameters=tuple(parameters),
        headers=tuple(headers),
        cookie=cookie,
    )


def json_target(
    label: str,
    base_url: str,
    path: str,
    body: dict[str, object],
    *,
    headers: Sequence[str] = (),
    cookie: str = "",
) -> Target:
    return Target(
        label=label,
        url=f"{base_url}{path}",
        parameters=tuple(body),
        headers=(*headers, "Content-Type: application/json"),
        cookie=cookie,
        data=json.dumps(body),
    )


def path_target(
    label: str,
    base_url: str,
    path: str,
    *,
    headers: Sequence[str] = (),
    cookie: str = "",
) -> Target:
    """``path`` with one segment marked ``*`` (sqlmap's custom injection point)."""
    return Target(
        label=label,
        url=f"{base_url}{path}",
        parameters=("#1*",),
        headers=tuple(headers),
        cookie=cookie,
    )
