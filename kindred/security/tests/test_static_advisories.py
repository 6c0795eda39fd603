"""The offline dependency-advisory check (kindred/security/static/advisories.py).

Tiny advisory databases are built here (a directory, a git directory without a work
tree, a git-archive tarball) naming a locked package's version as vulnerable: the check
must report it. Locks it cannot vouch for (an unpinned line, a URL, a VCS link, an
included file) and databases it cannot read must fail as "could not check", never pass
as "no vulnerabilities"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kindred.security.static import advisories
from kindred.security.static.advisories import check, read_pins

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LOCK = (
    "django==6.1.3 \\\n    --hash=sha256:abc\n    # via -r base.in\n"
    "nh3==0.3.1 ; python_version >= '3.9' \\\n    --hash=sha256:def\n"
)


def advisory(ident: str, package: str, body: str) -> str:
    """An OSV advisory for ``package``; ``body`` holds the affected entry's ranges and/or
    versions, written at the left margin."""
    affected = textwrap.indent(textwrap.dedent(body), "  ")
    return (
        f"id: {ident}\n"
        "summary: A test advisory\n"
        "affected:\n"
        "- package:\n"
        f"    name: {package}\n"
        "    ecosystem: PyPI\n"
        f"    purl: pkg:pypi/{package.lower()}\n"
        f"{affected}"
        "aliases:\n"
        "- CVE-2099-0001\n"
        'modified: "2026-01-01T00:00:00Z"\n'
    )


def make_db(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / "vulns" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_lock(tmp_path: Path, text: str = LOCK) -> Path:
    lock = tmp_path / "base.txt"
    lock.write_text(text, encoding="utf-8")
    return lock


VULNERABLE_RANGE = """\
ranges:
- type: ECOSYSTEM
  events:
  - introduced: "6.0"
  - fixed: "6.1.4"
"""
SAFE_RANGE = """\
ranges:
- type: ECOSYSTEM
  events:
  - introduced: "0"
  - fixed: "6.1.3"
"""


def test_the_real_lock_files_are_all_pinned() -> None:
    pins, problems = read_pins(advisories.LOCK_FILES)
    assert problems == []
    names = {p.name for p in pins}
    assert {"django", "cryptography", "bandit", "pyyaml"} <= names
    assert len(pins) > 100
    assert all(p.version and p.where for p in pins)


def test_a_locked_version_in_a_range_is_reported(tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "db",
        {
            "django/PYSEC-2099-1.yaml": advisory("PYSEC-2099-1", "django", VULNERABLE_RANGE),
            "django/PYSEC-2099-2.yaml": advisory("PYSEC-2099-2", "django", SAFE_RANGE),
        },
    )
    report = check([write_lock(tmp_path)], str(db), now=NOW)
    assert report.could_not_check == []
    assert report.packages_checked == 2
    assert [(f.id, f.package, f.version, f.fixed_in) for f in report.vulnerable] == [
        ("PYSEC-2099-1", "django", "6.1.3", ["6.1.4"])
    ]
    assert report.vulnerable[0].aliases == ["CVE-2099-0001"]
    assert report.exit_code == 1
    assert "VULNERABLE django==6.1.3" in advisories.describe(report)


@pytest.mark.parametrize(
    "body",
    [
        "versions:\n- 0.3.0\n- 0.3.1\n",  # an explicit versions list
        "ranges:\n- type: ECOSYSTEM\n  events:\n  - introduced: '0.3'\n  - last_affected: 0.3.1\n",
        "ranges:\n- type: ECOSYSTEM\n  events:\n  - introduced: '0'\n",  # never fixed
    ],
)
def test_every_osv_form_of_affected_versions_is_understood(tmp_path: Path, body: str) -> None:
    # The directory and the advisory spell the name differently (PEP 503 normalizes).
    db = make_db(tmp_path / "db", {"Nh3/PYSEC-2099-3.yaml": advisory("PYSEC-2099-3", "NH3", body)})
    report = check([write_lock(tmp_path)], str(db), now=NOW)
    assert report.could_not_check == []
    assert [f.package for f in report.vulnerable] == ["nh3"]


def test_a_version_just_past_the_affected_ones_is_not_reported(tmp_path: Path) -> None:
    body = "ranges:\n- type: ECOSYSTEM\n  events:\n  - introduced: '0'\n  - last_affected: 0.3.0\n"
    db = make_db(tmp_path / "db", {"nh3/PYSEC-2099-3.yaml": advisory("PYSEC-2099-3", "nh3", body)})
    report = check([write_lock(tmp_path)], str(db), now=NOW)
    assert report.exit_code == 0


def test_withdrawn_advisories_and_other_ecosystems_are_not_findings(tmp_path: Path) -> None:
    withdrawn = (
        advisory("PYSEC-2099-4", "django", VULNERABLE_RANGE) + 'withdrawn: "2026-02-01T00:00:00Z"\n'
    )
    npm = advisory("GHSA-test", "django", VULNERABLE_RANGE).replace(
        "ecosystem: PyPI", "ecosystem: npm"
    )
    db = make_db(
        tmp_path / "db", {"django/PYSEC-2099-4.yaml": withdrawn, "django/GHSA-test.yaml": npm}
    )
    report = check([write_lock(tmp_path)], str(db), now=NOW)
    assert report.vulnerable == []
    assert report.could_not_check == []
    assert report.exit_code == 0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("requests>=2.0", "not pinned to one version"),
        ("requests", "not pinned to one version"),
        ("requests==2.*", "not pinned to one version"),
        ("mylib @ https://example.org/mylib-1.0.tar.gz", "comes from a URL"),
        ("-e git+https://example.org/repo.git#egg=mylib", "is not a pinned package"),
        ("-r other.txt", "is not a pinned package"),
        ("requests==not a version!", "cannot be parsed"),
    ],
)
def test_a_lock_line_that_is_not_name_equals_version_cannot_be_checked(
    tmp_path: Path, line: str, reason: str
) -> None:
    db = make_db(
        tmp_path / "db",
        {"django/PYSEC-2099-2.yaml": advisory("PYSEC-2099-2", "django", SAFE_RANGE)},
    )
    report = check([write_lock(tmp_path, LOCK + line + "\n")], str(db), now=NOW)
    assert report.exit_code == 2
    assert any(reason in problem for problem in report.could_not_check), report.could_not_check
    assert "COULD NOT CHECK" in advisories.describe(report)


def test_a_missing_or_unreadable_database_cannot_be_checked(tmp_path: Path) -> None:
    lock = write_lock(tmp_path)
    missing = check([lock], str(tmp_path / "nowhere"), now=NOW)
    assert missing.exit_code == 2
    assert missing.database_missing
    assert missing.packages_checked == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    not_a_db = check([lock], str(empty), now=NOW)
    assert not_a_db.exit_code == 2
    assert not not_a_db.database_missing
    garbage = tmp_path / "db.tar.gz"
    garbage.write_bytes(b"not a tarball")
    assert check([lock], str(garbage), now=NOW).exit_code == 2


def test_an_advisory_with_nothing_comparable_cannot_be_checked(tmp_path: Path) -> None:
    bad_version = (
        "ranges:\n- type: ECOSYSTEM\n  events:\n  - introduced: '0'\n  - fixed: 'next tuesday'\n"
    )
    nothing = (
        "ranges:\n- type: GIT\n  repo: https://example.org/x\n  events:\n  - introduced: abc123\n"
    )
    db = make_db(
        tmp_path / "db",
        {
            "django/PYSEC-2099-5.yaml": advisory("PYSEC-2099-5", "django", bad_version),
            "nh3/PYSEC-2099-6.yaml": advisory("PYSEC-2099-6", "nh3", nothing),
            "nh3/PYSEC-2099-7.yaml": "id: [unclosed\n",
        },
    )
    report = check([write_lock(tmp_path)], str(db), now=NOW)
    assert report.exit_code == 2
    text = "\n".join(report.could_not_check)
    assert "'next tuesday' cannot be compared" in text
    assert "lists no versions or ranges" in text
    assert "not readable YAML" in text


def _git(*args: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "2026-11-01T00:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-11-01T00:00:00+00:00",
    }
    subprocess.run(  # noqa: S603
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *args],  # noqa: S607
        cwd=cwd,
        check=True,
        capture_output=True,
        env=env,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_git_directory_and_a_git_archive_are_read_with_commit_and_age(tmp_path: Path) -> None:
    work = make_db(
        tmp_path / "work",
        {"django/PYSEC-2099-1.yaml": advisory("PYSEC-2099-1", "django", VULNERABLE_RANGE)},
    )
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", "vulns", cwd=work)
    _git("commit", "-q", "-m", "db", cwd=work)
    _git("clone", "-q", "--bare", str(work), str(tmp_path / "bare.git"), cwd=tmp_path)
    _git(
        "archive",
        "--format=tar.gz",
        "--prefix=advisory-database/",
        "-o",
        str(tmp_path / "db.tar.gz"),
        "HEAD",
        cwd=work,
    )
    lock = write_lock(tmp_path)
    for location, kind in (
        (tmp_path / "bare.git", "git"),
        (tmp_path / "db.tar.gz", "tarball"),
        (work, "directory"),
    ):
        report = check([lock], str(location), now=NOW)
        assert report.database is not None
        assert report.database.kind == kind
        assert [f.id for f in report.vulnerable] == ["PYSEC-2099-1"], kind
        assert report.database.commit is not None
        assert len(report.database.commit) == 40
        assert report.database.commit_date == "2026-11-01T00:00:00+00:00"
        assert report.database.age_days == 25.5


def test_the_location_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_db(
        tmp_path / "db",
        {"django/PYSEC-2099-1.yaml": advisory("PYSEC-2099-1", "django", VULNERABLE_RANGE)},
    )
    monkeypatch.setenv(advisories.ENV_VAR, str(db))
    report = check([write_lock(tmp_path)], now=NOW)
    assert report.database is not None
    assert report.database.location == str(db)
    assert len(report.vulnerable) == 1


def real_database() -> str | None:
    try:
        return str(advisories.locate_database())
    except advisories.CouldNotCheck:
        return None


@pytest.mark.skipif(
    real_database() is None,
    reason="no advisory database here (set KINDRED_ADVISORY_DB; docs/security.md)",
)
def test_every_pinned_package_is_checked_against_the_real_database() -> None:
    report = check()
    pins, _ = read_pins(advisories.LOCK_FILES)
    assert report.could_not_check == []
    assert report.packages_checked == len(pins)
    assert report.database is not None
    assert report.database.commit_date is not None


def test_a_snapshot_keeps_the_facts_and_finds_the_same(tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "db",
        {
            "django/PYSEC-2099-1.yaml": advisory("PYSEC-2099-1", "django", VULNERABLE_RANGE),
            "django/PYSEC-2099-2.yaml": advisory("PYSEC-2099-2", "django", SAFE_RANGE),
            "flask/PYSEC-2099-3.yaml": advisory("PYSEC-2099-3", "flask", VULNERABLE_RANGE),
        },
    )
    lock = write_lock(tmp_path)
    out = tmp_path / "snapshot.json"
    built = advisories.build_snapshot(str(db), [lock], out, origin="https://example.org/adb")
    # Where the copy came from is recorded beside its commit.
    assert built["source"]["origin"] == "https://example.org/adb"
    assert (
        json.loads(out.read_text(encoding="utf-8"))["source"]["origin"] == built["source"]["origin"]
    )
    # Only the locked packages' advisories, and no advisory text.
    assert built["packages"] == ["django", "nh3"]
    assert sorted(built["advisories"]) == [
        "vulns/django/PYSEC-2099-1.yaml",
        "vulns/django/PYSEC-2099-2.yaml",
    ]
    assert "A test advisory" not in out.read_text(encoding="utf-8")
    report = check([lock], str(out), now=NOW)
    assert report.could_not_check == []
    assert report.database is not None
    assert report.database.kind == "snapshot"
    assert [(f.id, f.fixed_in) for f in report.vulnerable] == [("PYSEC-2099-1", ["6.1.4"])]
    assert report.exit_code == 1


def test_a_package_the_snapshot_was_not_built_for_cannot_be_checked(tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "db",
        {"django/PYSEC-2099-2.yaml": advisory("PYSEC-2099-2", "django", SAFE_RANGE)},
    )
    out = tmp_path / "snapshot.json"
    advisories.build_snapshot(str(db), [write_lock(tmp_path)], out)
    grown = write_lock(tmp_path, LOCK + "flask==9.9.9 \\\n    --hash=sha256:f00\n")
    report = check([grown], str(out), now=NOW)
    assert report.exit_code == 2
    assert any(
        p.startswith("flask==9.9.9: not in the advisory snapshot") for p in report.could_not_check
    )
    assert report.packages_checked == 2


def test_the_committed_snapshot_covers_every_pinned_package() -> None:
    # Adding a dependency without rebuilding the snapshot fails here (and in CI's gate).
    report = check(database=str(advisories.SNAPSHOT_FILE))
    pins, _ = read_pins(advisories.LOCK_FILES)
    assert report.could_not_check == []
    assert report.packages_checked == len(pins)
    assert report.database is not None
    assert report.database.commit_date is not None
