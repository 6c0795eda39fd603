"""The battery runner (kindred/security/runner.py) over a package of stand-in parts written
here: one that passes, one with findings, one that crashes without its JSON, one that
lies (exit 0 with ``passed: false``), one that breaks the JSON contract, one too slow and
one without a ``__main__``. Only the honest passing part may count as passed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kindred.security import runner

PACKAGE = "kindred_fakeparts"

PARTS = {
    "good": """
        write({"part": "good", "passed": True, "figures": {"checked": 3}, "findings": []})
        sys.exit(0)
    """,
    "bad": """
        write({"part": "bad", "passed": False, "figures": {"checked": 3},
               "findings": [{"what": "hole"}, {"what": "leak"}]})
        sys.exit(1)
    """,
    "crash": """
        raise RuntimeError("the part fell over")
    """,
    "liar": """
        write({"part": "liar", "passed": False, "figures": {}, "findings": [{"what": "x"}]})
        sys.exit(0)
    """,
    "broken": """
        write({"part": "broken", "passed": "yes", "findings": []})
        sys.exit(0)
    """,
    "unchecked": """
        write({"part": "unchecked", "passed": False, "figures": {},
               "findings": [{"gate": "x", "could_not_check": "no database anywhere"}]})
        sys.exit(2)
    """,
    "slow": """
        import time
        time.sleep(60)
    """,
}
HEADER = """
import json, sys
args = sys.argv[1:]
out = args[args.index("--out") + 1]
full = "--full" in args
def write(data):
    data.setdefault("figures", {})["full"] = full
    open(out, "w").write(json.dumps(data))
"""


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "src"
    package = root / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, body in PARTS.items():
        (package / name).mkdir()
        (package / name / "__init__.py").write_text("")
        (package / name / "__main__.py").write_text(HEADER + textwrap.dedent(body))
    (package / "nomain").mkdir()
    (package / "nomain" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PYTHONPATH", str(root))
    return tmp_path / "results"


def test_each_status_is_told_apart_and_only_the_honest_pass_counts(
    fake_parts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = ["good", "bad", "crash", "liar", "broken", "slow", "nomain", "unchecked"]
    combined, path = runner.run(parts, full=True, out_dir=fake_parts, package=PACKAGE, time_limit=8)
    status = {name: combined["parts"][name]["status"] for name in parts}
    assert status == {
        "good": "passed",
        "bad": "findings",
        "crash": "could_not_run",
        "liar": "findings",
        "broken": "could_not_run",
        "slow": "timed_out",
        "nomain": "missing",
        "unchecked": "could_not_run",
    }
    assert combined["passed"] is False
    assert runner.exit_code(combined) == 2
    good = combined["parts"]["good"]
    assert good["figures"] == {"checked": 3, "full": True}
    assert combined["parts"]["bad"]["findings_count"] == 2
    assert "wrote no JSON" in combined["parts"]["crash"]["problem"]
    assert (
        "RuntimeError: the part fell over"
        in Path(combined["parts"]["crash"]["log_path"]).read_text()
    )
    assert "passed/figures of the wrong type" in combined["parts"]["broken"]["problem"]
    assert combined["summary"]["missing"] == ["nomain"]
    assert combined["parts"]["unchecked"]["problem"] == "exit 2: no database anywhere"
    # One combined file, timestamped, and latest.json with the same content.
    assert json.loads(path.read_text()) == json.loads((fake_parts / "latest.json").read_text())
    assert path.name.endswith("Z.json")
    for key in ("git_commit", "started", "finished", "machine"):
        assert combined[key]
    assert len(combined["machine"]["load_average_before"]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert "[1/8] good    passed in" in "\n".join(lines)
    assert any(line.startswith("[6/8] slow    TIMED OUT") for line in lines)
    assert any(line.startswith("[7/8] nomain  MISSING") for line in lines)


def test_all_passing_parts_pass_and_findings_alone_exit_1(fake_parts: Path) -> None:
    combined, _ = runner.run(["good"], out_dir=fake_parts, package=PACKAGE)
    assert combined["passed"] is True
    assert runner.exit_code(combined) == 0
    assert combined["parts"]["good"]["figures"]["full"] is False
    combined, _ = runner.run(["good", "bad"], out_dir=fake_parts, package=PACKAGE)
    assert runner.exit_code(combined) == 1


def test_the_real_parts_are_known_and_faults_only_runs_when_named() -> None:
    assert runner.DEFAULT_PARTS == ("authz", "fuzz", "xss", "static")
    assert "faults" in runner.ALL_PARTS
    assert runner.has_main("static")
    assert not runner.has_main("no_such_part")


def test_the_command_line_refuses_an_unknown_part(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "kindred.security",
            "--only",
            "static,nope",
            "--out-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=runner.REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown parts: nope" in done.stderr
    assert not any(tmp_path.iterdir())
