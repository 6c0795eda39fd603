"""The bandit gate and the deploy check (kindred/security/static/), each against a
deliberately bad variant it must catch. The real gates over kindred/ run in CI's
"Security gates" step (``python -m kindred.security.static``), not here."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kindred.security.static import bandit_gate, deploy_check
from kindred.security.static.bandit_gate import Accepted, gate, load_accepted

BAD = """\
import subprocess
import yaml

password = "hunter2-hunter2"


def run(command):
    return subprocess.call(command, shell=True)


def load(text):
    return yaml.load(text)
"""


def bad_tree(tmp_path: Path, source: str = BAD) -> Path:
    package = tmp_path / "badpkg"
    package.mkdir()
    (package / "bad.py").write_text(source, encoding="utf-8")
    # A tests folder is excluded by the committed configuration, like kindred's own.
    (package / "tests").mkdir()
    (package / "tests" / "test_bad.py").write_text(source, encoding="utf-8")
    return package


def test_bandit_reports_a_deliberately_bad_snippet(tmp_path: Path) -> None:
    report = gate(bad_tree(tmp_path), accepted=[], root=tmp_path)
    assert report.errors == []
    found = {(f.test_id, f.path) for f in report.new}
    assert ("B602", "badpkg/bad.py") in found  # subprocess with shell=True
    assert ("B506", "badpkg/bad.py") in found  # yaml.load
    assert ("B105", "badpkg/bad.py") in found  # hard-coded password
    assert not any("tests" in path for _, path in found)
    assert report.files_scanned == 1
    assert report.exit_code == 1
    assert "NEW B602" in bandit_gate.describe(report)


def test_an_accepted_finding_needs_its_exact_line_and_stale_entries_are_listed(
    tmp_path: Path,
) -> None:
    accepted = [
        Accepted("B105", "badpkg/bad.py", 'password = "hunter2-hunter2"', "a test fixture"),
        Accepted("B602", "badpkg/bad.py", "return subprocess.call(cmd, shell=True)", "old"),
    ]
    report = gate(bad_tree(tmp_path), accepted=accepted, root=tmp_path)
    assert report.accepted == 1
    assert {f.test_id for f in report.new} >= {"B602", "B506"}
    assert "B105" not in {f.test_id for f in report.new}
    assert report.stale_accepted == ["B602 badpkg/bad.py: return subprocess.call(cmd, shell=True)"]


def test_an_inline_suppression_needs_a_reason(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """\
        import subprocess  # nosec B404 # only fixed commands below
        import yaml


        def load(text):
            return yaml.load(text)  # nosec
        """
    )
    report = gate(bad_tree(tmp_path, source), accepted=[], root=tmp_path)
    assert report.new == []  # bandit honours both comments...
    assert len(report.unexplained_nosec) == 1  # ...the gate refuses the bare one
    assert report.unexplained_nosec[0].startswith("badpkg/bad.py:6:")
    assert report.exit_code == 1


def test_bandit_that_cannot_run_is_not_a_pass(tmp_path: Path) -> None:
    missing = tmp_path / "bandit.yaml"
    missing.write_text("exclude_dirs: [unclosed\n")
    report = gate(bad_tree(tmp_path), config=missing, accepted=[], root=tmp_path)
    assert report.errors
    assert report.exit_code == 2


def test_every_accepted_finding_has_a_reason() -> None:
    for entry in load_accepted():
        assert len(entry.reason.split()) >= 3, entry
        assert (bandit_gate.REPO_ROOT / entry.path).is_file(), entry


def test_an_accepted_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accepted.toml"
    path.write_text('[[accepted]]\ntest_id = "B105"\npath = "x.py"\ncode = "x"\nreason = ""\n')
    with pytest.raises(ValueError, match="has no reason"):
        load_accepted(path)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SECRET_KEY": "django-insecure-" + "k" * 60}, "security.W009"),  # a weak key
        ({"DJANGO_DEBUG": "1"}, "security.W018"),  # DEBUG left on
    ],
)
def test_the_deploy_check_reports_a_weakened_production_setting(
    overrides: dict[str, str], expected: str
) -> None:
    report = deploy_check.run_deploy_check(**overrides)
    assert report.exit_code != 0, report.output
    assert report.warnings + report.errors >= 1, report.output
    assert expected in report.ids, report.output


def test_the_static_part_writes_its_contract(tmp_path: Path) -> None:
    from kindred.security.static.__main__ import main

    out = tmp_path / "static.json"
    code = main(["--only", "advisories", "--out", str(out)])
    data = json.loads(out.read_text())
    assert data["part"] == "static"
    assert set(data) == {"part", "passed", "figures", "findings"}
    assert "advisory_packages_checked" in data["figures"]
    assert code == (
        0 if data["passed"] else (2 if data["figures"]["advisory_could_not_check"] else 1)
    )


def test_a_proposal_for_new_findings_cannot_be_loaded_until_reasons_are_written(
    tmp_path: Path,
) -> None:
    report = gate(bad_tree(tmp_path), accepted=[], root=tmp_path)
    proposed = tmp_path / "proposed.toml"
    proposed.write_text(bandit_gate.proposal(report))
    with pytest.raises(ValueError, match="has no reason"):
        load_accepted(proposed)
    proposed.write_text(
        bandit_gate.proposal(report).replace('reason = ""', 'reason = "reviewed for the test"')
    )
    accepted = load_accepted(proposed)
    rerun = gate(tmp_path / "badpkg", accepted=accepted, root=tmp_path)
    assert rerun.new == []
    assert rerun.exit_code == 0
