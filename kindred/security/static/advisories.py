"""Offline dependency-advisory check: every pinned ``name==version`` of the lock files
against an OSV-format advisory database on disk (the PyPA advisory database layout,
``vulns/<package>/<ID>.yaml``).

It never claims "no vulnerabilities" for a package it could not check: a missing or
unreadable database, a lock line that is not ``name==version`` (a URL, a VCS link, an
unpinned range, an included file), a version that cannot be compared, or an advisory for
a locked package with nothing to compare against all make the check fail as "could not
check" (exit 2), separately from "vulnerable" (exit 1).

The database can be a checkout (a directory holding ``vulns/``), a git directory without
a work tree (read with ``git ls-tree``/``git cat-file``), or a ``git archive`` tarball
(``.tar``/``.tar.gz``; the commit is in its pax header). Its location comes from
``KINDRED_ADVISORY_DB`` or, when unset, the first of :data:`DEFAULT_LOCATIONS` that
exists. See docs/security.md for how CI gets a copy.

A clean clone has none of those, so the repository carries a **snapshot**
(``advisory-snapshot.json`` beside this module, the last default location): for every
package the lock files named when it was built, the ids, aliases and affected versions
and ranges of its advisories — facts only, no advisory text — and the source database's
commit and date. A package the snapshot was not built for cannot be checked (exit 2):
adding a dependency means rebuilding it (``--build-snapshot`` from a full database).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess  # nosec B404 # git is run with fixed arguments, never a shell
import sys
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from kindred.security.runner import say

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCK_FILES = (REPO_ROOT / "requirements" / "base.txt", REPO_ROOT / "requirements" / "dev.txt")
ENV_VAR = "KINDRED_ADVISORY_DB"
# Looked at in this order when KINDRED_ADVISORY_DB is unset: the steering repo's shared/
# folder beside the checkout (CI gets a copy of it), then a local copy in .kindred/.
DEFAULT_LOCATIONS = (
    REPO_ROOT.parent / "shared" / "advisory-database.tar.gz",
    REPO_ROOT.parent / "shared" / "advisory-database",
    REPO_ROOT / ".kindred" / "advisory-database.tar.gz",
    REPO_ROOT / ".kindred" / "advisory-database",
    Path(__file__).with_name("advisory-snapshot.json"),
)
SNAPSHOT_FILE = DEFAULT_LOCATIONS[-1]
SNAPSHOT_FORMAT = 1
# Global pip options that name no package and change nothing we check.
_HARMLESS_OPTIONS = (
    "--index-url",
    "-i",
    "--extra-index-url",
    "--trusted-host",
    "--prefer-binary",
    "--require-hashes",
    "--only-binary",
    "--no-binary",
)
_HASH_OPTION = re.compile(r"\s--hash[=\s]\S+")
# Older than this, the report warns that newer advisories are not being checked.
STALE_AFTER_DAYS = 30


class CouldNotCheck(Exception):
    """The check cannot vouch for the result; the message says why."""


class NoDatabase(CouldNotCheck):
    """No advisory database where one was looked for."""


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503) name
    version: str
    where: str  # file:line

    @property
    def parsed(self) -> Version:
        return Version(self.version)


@dataclass
class Finding:
    id: str
    package: str
    version: str
    fixed_in: list[str]
    aliases: list[str]
    summary: str
    where: str


@dataclass
class DatabaseInfo:
    location: str
    kind: str  # directory | git | tarball | snapshot
    commit: str | None = None
    commit_date: str | None = None
    age_days: float | None = None


@dataclass
class Report:
    database: DatabaseInfo | None
    packages_checked: int = 0
    advisories_read: int = 0
    vulnerable: list[Finding] = field(default_factory=list)
    could_not_check: list[str] = field(default_factory=list)
    database_missing: bool = False

    @property
    def exit_code(self) -> int:
        if self.could_not_check:
            return 2
        return 1 if self.vulnerable else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": asdict(self.database) if self.database else None,
            "packages_checked": self.packages_checked,
            "advisories_read": self.advisories_read,
            "vulnerable": [asdict(f) for f in self.vulnerable],
            "could_not_check": self.could_not_check,
            "database_missing": self.database_missing,
            "exit_code": self.exit_code,
        }


# --- lock files ------------------------------------------------------------------------


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Joins backslash continuations and drops comments; yields (first line no, text)."""
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        line = "" if line.lstrip().startswith("#") else re.sub(r"(^|\s)#.*$", "", line)
        if not buffer:
            start = number
        if line.rstrip().endswith("\\"):
            buffer.append(line.rstrip()[:-1])
            continue
        buffer.append(line)
        joined = " ".join(part.strip() for part in buffer).strip()
        buffer = []
        if joined:
            yield start, joined
    if buffer:
        joined = " ".join(part.strip() for part in buffer).strip()
        if joined:
            yield start, joined


def read_pins(paths: Sequence[Path]) -> tuple[list[Pin], list[str]]:
    """Every pinned package of ``paths`` (deduplicated) and the lines that are not."""
    pins: dict[tuple[str, str], Pin] = {}
    problems: list[str] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(f"{path}: cannot read the lock file ({exc.strerror})")
            continue
        for number, line in _logical_lines(text):
            where = f"{path.name}:{number}"
            pin, problem = _parse_pin(line, where)
            if problem:
                problems.append(problem)
            elif pin is not None:
                pins.setdefault((pin.name, pin.version), pin)
    return sorted(pins.values(), key=lambda p: (p.name, p.version)), problems


def _parse_pin(  # noqa: PLR0911 - one return per kind of unusable line
    line: str, where: str
) -> tuple[Pin | None, str | None]:
    if line.startswith("-"):
        option = re.split(r"[\s=]", line, maxsplit=1)[0]
        if option in _HARMLESS_OPTIONS:
            return None, None
        return None, f"{where}: '{line[:80]}' is not a pinned package (option {option})"
    requirement_text = _HASH_OPTION.sub("", " " + line).strip()
    try:
        requirement = Requirement(requirement_text)
    except InvalidRequirement as exc:
        return None, f"{where}: '{line[:80]}' cannot be parsed ({exc})"
    if requirement.url:
        return None, f"{where}: {requirement.name} comes from a URL, not a pinned version"
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return None, f"{where}: {requirement.name} is not pinned to one version ({line[:80]})"
    version = specs[0].version
    try:
        Version(version)
    except InvalidVersion:
        return None, f"{where}: {requirement.name}=={version} is not a comparable version"
    return Pin(canonicalize_name(requirement.name), version, where), None


# --- the database ----------------------------------------------------------------------


class Database:
    """Read access to ``vulns/<dir>/*.yaml`` whatever the storage."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self.snapshot_packages: set[str] = set()
        if location.is_file() and location.suffix == ".json":
            self.kind = "snapshot"
            self._open_snapshot()
        elif location.is_file() and tarfile.is_tarfile(location):
            self.kind = "tarball"
            self._open_tarball()
        elif (location / "vulns").is_dir():
            self.kind = "directory"
            self._files = {
                str(p.relative_to(location)): p for p in (location / "vulns").glob("*/*.yaml")
            }
        elif (location / "HEAD").is_file() and (location / "objects").is_dir():
            self.kind = "git"
            self._list_git()
        elif not location.exists():
            raise NoDatabase(f"no advisory database at {location}")
        else:
            raise CouldNotCheck(
                f"{location} is not an advisory database (no vulns/, not a git directory, "
                "not a tarball)"
            )
        if not self.names():
            raise CouldNotCheck(f"the advisory database at {location} holds no advisories")

    # storage kinds ------------------------------------------------------------------
    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            done = subprocess.run(  # noqa: S603  # nosec B603 B607 # fixed git arguments, no shell
                ["git", f"--git-dir={self.location}", *args],  # noqa: S607
                input=stdin,
                capture_output=True,
                check=True,
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise CouldNotCheck(f"cannot read the git advisory database: {exc}") from exc
        return done.stdout

    def _list_git(self) -> None:
        listing = self._git("ls-tree", "-r", "HEAD", "vulns")
        self._git_blobs: dict[str, str] = {}
        for row in listing.decode("utf-8", "replace").splitlines():
            meta, _, path = row.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and path.endswith(".yaml"):
                self._git_blobs[path] = parts[2]
        self._files = {}

    def _open_tarball(self) -> None:
        try:
            with tarfile.open(self.location) as archive:
                members = archive.getmembers()
                self.tar_commit = archive.pax_headers.get("comment")
                self._tar_texts: dict[str, bytes] = {}
                self._tar_mtime = 0
                for member in members:
                    if not member.isfile():
                        continue
                    path = member.name.removeprefix("./")
                    if not path.startswith("vulns/"):
                        path = path.split("/", 1)[-1]  # a git archive --prefix folder
                    if path.startswith("vulns/") and path.endswith(".yaml"):
                        handle = archive.extractfile(member)
                        if handle is not None:
                            self._tar_texts[path] = handle.read()
                        self._tar_mtime = max(self._tar_mtime, int(member.mtime))
        except (OSError, tarfile.TarError) as exc:
            raise CouldNotCheck(f"cannot read the advisory tarball {self.location}: {exc}") from exc
        self._files = {}

    def _open_snapshot(self) -> None:
        try:
            data = json.loads(self.location.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CouldNotCheck(
                f"cannot read the advisory snapshot {self.location}: {exc}"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise CouldNotCheck(f"{self.location} is not a format-{SNAPSHOT_FORMAT} snapshot")
        self._snapshot_docs: dict[str, dict[str, Any]] = dict(data.get("advisories") or {})
        self.snapshot_packages = {canonicalize_name(n) for n in data.get("packages") or []}
        self._snapshot_source: dict[str, Any] = dict(data.get("source") or {})
        self._files = {}

    def names(self) -> list[str]:
        if self.kind == "snapshot":
            return list(self._snapshot_docs)
        if self.kind == "git":
            return list(self._git_blobs)
        if self.kind == "tarball":
            return list(self._tar_texts)
        return list(self._files)

    def read(self, paths: Sequence[str]) -> dict[str, bytes]:
        if self.kind == "snapshot":
            # JSON is YAML: the caller parses every kind the same way.
            return {p: json.dumps(self._snapshot_docs[p]).encode() for p in paths}
        if self.kind == "git":
            ids = [self._git_blobs[p] for p in paths]
            raw = self._git("cat-file", "--batch", stdin=("\n".join(ids) + "\n").encode())
            texts: dict[str, bytes] = {}
            offset = 0
            for path in paths:
                header_end = raw.index(b"\n", offset)
                size = int(raw[offset:header_end].split()[2])
                texts[path] = raw[header_end + 1 : header_end + 1 + size]
                offset = header_end + 1 + size + 1
            return texts
        if self.kind == "tarball":
            return {p: self._tar_texts[p] for p in paths}
        try:
            return {p: self._files[p].read_bytes() for p in paths}
        except OSError as exc:
            raise CouldNotCheck(f"cannot read an advisory: {exc}") from exc

    def info(self, now: datetime) -> DatabaseInfo:
        info = DatabaseInfo(location=str(self.location), kind=self.kind)
        when: datetime | None = None
        if self.kind == "snapshot":
            # The age is the source database's, not the file's: that is what is stale.
            info.commit = self._snapshot_source.get("commit")
            if self._snapshot_source.get("commit_date"):
                when = datetime.fromisoformat(str(self._snapshot_source["commit_date"]))
        elif self.kind == "git":
            out = self._git("log", "-1", "--format=%H %cI", "HEAD").decode().split()
            info.commit = out[0]
            when = datetime.fromisoformat(out[1])
        elif self.kind == "tarball":
            info.commit = self.tar_commit
            if self._tar_mtime:
                when = datetime.fromtimestamp(self._tar_mtime, tz=UTC)
        elif (self.location / ".git").exists():
            try:
                found = subprocess.run(  # noqa: S603  # nosec B603 B607 # fixed git arguments, no shell
                    ["git", "-C", str(self.location), "log", "-1", "--format=%H %cI"],  # noqa: S607
                    capture_output=True,
                    check=True,
                    timeout=60,
                    text=True,
                ).stdout.split()
                info.commit = found[0]
                when = datetime.fromisoformat(found[1])
            except (OSError, subprocess.SubprocessError, IndexError):
                when = None
        if when is not None:
            info.commit_date = when.astimezone(UTC).isoformat()
            info.age_days = round((now - when).total_seconds() / 86400, 1)
        return info


def locate_database(explicit: str | None = None) -> Path:
    chosen = explicit or os.environ.get(ENV_VAR)
    if chosen:
        return Path(chosen).expanduser()
    for candidate in DEFAULT_LOCATIONS:
        if candidate.exists():
            return candidate
    raise NoDatabase(
        f"no advisory database: set {ENV_VAR} or put one at "
        + " or ".join(str(p) for p in DEFAULT_LOCATIONS)
    )


# --- matching --------------------------------------------------------------------------


def _version(text: str, advisory: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise CouldNotCheck(f"{advisory}: version '{text}' cannot be compared") from exc


def _range_hits(events: Iterable[dict[str, Any]], version: Version, advisory: str) -> bool:
    """OSV ECOSYSTEM range evaluation: introduced/fixed/last_affected in version order."""
    ordered: list[tuple[Version, int, str]] = []
    for event in events:
        for kind, order in (("introduced", 0), ("fixed", 1), ("last_affected", 2)):
            if kind in event:
                value = str(event[kind])
                at = Version("0") if value == "0" else _version(value, advisory)
                ordered.append((at, order, kind))
    affected = False
    for at, _, kind in sorted(ordered):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def _version_order(text: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)


def match(  # noqa: PLR0912 - the OSV affected-entry rules, one branch each
    advisory: dict[str, Any], pin: Pin, path: str
) -> Finding | None:
    """The finding when ``advisory`` covers ``pin``; raises CouldNotCheck when it names the
    package but gives nothing comparable."""
    ident = str(advisory.get("id") or path)
    if advisory.get("withdrawn"):
        return None
    version = pin.parsed
    hit = False
    fixed: list[str] = []
    named = False
    for affected in advisory.get("affected") or []:
        package = affected.get("package") or {}
        if str(package.get("ecosystem", "")).split(":")[0] != "PyPI":
            continue
        if canonicalize_name(str(package.get("name", ""))) != pin.name:
            continue
        named = True
        comparable = False
        versions = [str(v) for v in affected.get("versions") or []]
        if versions:
            comparable = True
            for listed in versions:
                try:
                    same = Version(listed) == version
                except InvalidVersion:
                    same = listed == pin.version
                if same:
                    hit = True
        for rng in affected.get("ranges") or []:
            if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue  # GIT ranges name commits; the versions list covers them
            comparable = True
            events = rng.get("events") or []
            if _range_hits(events, version, ident):
                hit = True
                fixed += [str(e["fixed"]) for e in events if "fixed" in e]
        if not comparable:
            raise CouldNotCheck(f"{ident}: names {pin.name} but lists no versions or ranges")
    if not named or not hit:
        return None
    return Finding(
        id=ident,
        package=pin.name,
        version=pin.version,
        fixed_in=sorted(set(fixed), key=_version_order),
        aliases=[str(a) for a in advisory.get("aliases") or []],
        summary=str(advisory.get("summary") or advisory.get("details") or "")[:200],
        where=pin.where,
    )


def _covered_by_snapshot(db: Database, pins: list[Pin], report: Report) -> list[Pin]:
    """The pins the snapshot was built for; the others go to "could not check"."""
    for pin in pins:
        if pin.name not in db.snapshot_packages:
            report.could_not_check.append(
                f"{pin.name}=={pin.version}: not in the advisory snapshot, which was built "
                "for the lock files of its day; rebuild it from a full database: "
                "python -m kindred.security.static.advisories --build-snapshot --db <dir>"
            )
    return [pin for pin in pins if pin.name in db.snapshot_packages]


def check(  # noqa: PLR0912 - one branch per way a check can fall short
    lock_files: Sequence[Path] = LOCK_FILES,
    database: str | None = None,
    now: datetime | None = None,
) -> Report:
    now = now or datetime.now(UTC)
    pins, problems = read_pins(lock_files)
    try:
        db = Database(locate_database(database))
        info = db.info(now)
    except CouldNotCheck as exc:
        return Report(
            database=None,
            could_not_check=[str(exc), *problems],
            database_missing=isinstance(exc, NoDatabase),
        )
    report = Report(database=info, could_not_check=list(problems))
    if db.kind == "snapshot":
        pins = _covered_by_snapshot(db, pins, report)
    by_dir: dict[str, list[str]] = {}
    for path in db.names():
        parts = path.split("/")
        if len(parts) == 3:
            by_dir.setdefault(canonicalize_name(parts[1]), []).append(path)
    wanted = sorted({p for pin in pins for p in by_dir.get(pin.name, [])})
    try:
        texts = db.read(wanted)
    except CouldNotCheck as exc:
        report.could_not_check.append(str(exc))
        return report
    parsed: dict[str, dict[str, Any]] = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path, text in texts.items():
        try:
            document = yaml.load(text, Loader=loader)  # noqa: S506  # nosec B506 # a safe loader
        except yaml.YAMLError as exc:
            report.could_not_check.append(f"{path}: not readable YAML ({exc})")
            continue
        if not isinstance(document, dict):
            report.could_not_check.append(f"{path}: not an advisory")
            continue
        parsed[path] = document
    report.advisories_read = len(parsed)
    for pin in pins:
        for path in by_dir.get(pin.name, []):
            advisory = parsed.get(path)
            if advisory is None:
                continue
            try:
                finding = match(advisory, pin, path)
            except CouldNotCheck as exc:
                report.could_not_check.append(f"{pin.name}=={pin.version}: {exc}")
                continue
            if finding is not None:
                report.vulnerable.append(finding)
        report.packages_checked += 1
    return report


def build_snapshot(
    database: str | None,
    lock_files: Sequence[Path] = LOCK_FILES,
    out: Path = SNAPSHOT_FILE,
    origin: str | None = None,
) -> dict[str, Any]:
    """Write the snapshot for the packages of ``lock_files`` from a full database: per
    advisory only its id, aliases, withdrawn date and the affected entries (versions,
    ranges) for those packages. ``origin`` says where the database copy came from (a
    clone URL or mirror), recorded beside the commit. Returns the snapshot."""
    pins, problems = read_pins(lock_files)
    if problems:
        raise CouldNotCheck("; ".join(problems))
    db = Database(locate_database(database))
    if db.kind == "snapshot":
        raise CouldNotCheck("a snapshot is built from a full database, not from a snapshot")
    info = db.info(datetime.now(UTC))
    names = sorted({pin.name for pin in pins})
    wanted: list[str] = []
    for path in db.names():
        parts = path.split("/")
        if len(parts) == 3 and canonicalize_name(parts[1]) in names:
            wanted.append(path)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    kept: dict[str, dict[str, Any]] = {}
    for path, text in sorted(db.read(sorted(wanted)).items()):
        document = yaml.load(text, Loader=loader)  # noqa: S506  # nosec B506 # a safe loader
        if not isinstance(document, dict):
            raise CouldNotCheck(f"{path}: not an advisory")
        affected = [
            {key: entry[key] for key in ("package", "versions", "ranges") if key in entry}
            for entry in document.get("affected") or []
            if canonicalize_name(str((entry.get("package") or {}).get("name", ""))) in names
        ]
        facts: dict[str, Any] = {"id": str(document.get("id") or path), "affected": affected}
        for key in ("aliases", "withdrawn"):
            if document.get(key):
                facts[key] = document[key]
        kept[path] = json.loads(json.dumps(facts, default=str))
    snapshot = {
        "format": SNAPSHOT_FORMAT,
        "source": {
            "database": "PyPA advisory database (OSV format)",
            "commit": info.commit,
            "commit_date": info.commit_date,
            **({"origin": origin} if origin else {}),
        },
        "packages": names,
        "advisories": kept,
    }
    out.write_text(json.dumps(snapshot, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return snapshot


def describe(report: Report) -> str:
    lines: list[str] = []
    db = report.database
    if db is not None:
        lines.append(
            f"advisory database: {db.location} ({db.kind}), commit {db.commit or 'unknown'}, "
            f"dated {db.commit_date or 'unknown'}, "
            f"{db.age_days if db.age_days is not None else '?'} days old"
        )
        if db.age_days is None or db.age_days > STALE_AFTER_DAYS:
            lines.append(
                f"WARNING: the advisory database is older than {STALE_AFTER_DAYS} days (or of "
                "unknown age): advisories published since are not checked; refresh it"
            )
    lines.append(
        f"packages checked: {report.packages_checked}; advisories read: {report.advisories_read}"
    )
    for finding in report.vulnerable:
        fixed = ", ".join(finding.fixed_in) or "no fixed version listed"
        aliases = f" ({', '.join(finding.aliases)})" if finding.aliases else ""
        lines.append(
            f"VULNERABLE {finding.package}=={finding.version} [{finding.where}]: "
            f"{finding.id}{aliases}; fixed in {fixed}"
        )
    lines += [f"COULD NOT CHECK: {problem}" for problem in report.could_not_check]
    if report.exit_code == 0:
        lines.append("no known vulnerability in any pinned package")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--db", help=f"database location (default: ${ENV_VAR} or shared/)")
    parser.add_argument("--lock", action="append", type=Path, help="lock file (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--build-snapshot",
        action="store_true",
        help=f"write {SNAPSHOT_FILE.name} for the lock files from the full database --db",
    )
    parser.add_argument(
        "--origin", help="with --build-snapshot: where the database copy came from (recorded)"
    )
    args = parser.parse_args(argv)
    if args.build_snapshot:
        try:
            built = build_snapshot(args.db, args.lock or LOCK_FILES, origin=args.origin)
        except CouldNotCheck as exc:
            say(f"could not build the snapshot: {exc}")
            return 2
        say(
            f"{SNAPSHOT_FILE}: {len(built['packages'])} packages, "
            f"{len(built['advisories'])} advisories, source {built['source']['commit']}"
        )
        return 0
    report = check(args.lock or LOCK_FILES, args.db)
    if args.json:
        say(json.dumps(report.as_dict(), indent=2))
    else:
        say(describe(report))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
