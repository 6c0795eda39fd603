"""``manage.py check --deploy --fail-level WARNING`` with production settings, counted.

The environment is the one .ci/run's deployment step uses: DEBUG off, a fresh random
secret key and field key, a real host name and an https site URL. ``DATABASE_URL`` is
passed through when set (PostgreSQL in CI), otherwise the local PostgreSQL."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess  # nosec B404 # manage.py is run with fixed arguments, never a shell
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kindred.security.runner import say

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kindred"
_ISSUE = re.compile(r"^\S*: \((?P<id>[\w.]+\.(?P<level>[WEC])\d+)\) ", re.MULTILINE)
_COUNT = re.compile(r"System check identified (?P<n>\d+) issues?")


@dataclass
class DeployReport:
    exit_code: int = 0
    warnings: int = 0
    errors: int = 0
    ids: list[str] = field(default_factory=list)
    output: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KINDRED_TESTING", "DJANGO_DEBUG")}
    env.update(
        DJANGO_DEBUG="0",
        SECRET_KEY="deploy-check-" + secrets.token_hex(32),
        KINDRED_FIELD_KEYS="check:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="kindred.example.org",
        SITE_URL="https://kindred.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
    )
    env.pop("SECRET_KEY_FILE", None)
    env.update(overrides)
    return env


def run_deploy_check(**overrides: str) -> DeployReport:
    """Runs the check in a child process (settings are read once per process)."""
    done = subprocess.run(  # nosec B603 # fixed arguments, no shell
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = (done.stdout + done.stderr).strip()
    report = DeployReport(exit_code=done.returncode, output=output[-4000:])
    for issue in _ISSUE.finditer(output):
        report.ids.append(issue.group("id"))
        if issue.group("level") == "W":
            report.warnings += 1
        else:
            report.errors += 1
    counted = _COUNT.search(output)
    if done.returncode != 0 and not report.ids and counted is None:
        report.errors += 1  # it did not get as far as the checks (settings refused, ...)
    return report


if __name__ == "__main__":
    result = run_deploy_check()
    say(result.output or "System check identified no issues.")
    sys.exit(0 if result.exit_code == 0 and not result.warnings else 1)
