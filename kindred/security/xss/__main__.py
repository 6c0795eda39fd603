"""``python -m kindred.security.xss --out FILE.json [--full]``: the XSS part on its own.

Runs in a throwaway test database (SQLite in memory, or ``test_<name>`` on the
PostgreSQL of DATABASE_URL; TEST_DATABASE_NAME names it) with the test settings, so it
never touches real data. Exit 0 when no payload became markup, 1 with findings (or a
covered field without rows, or a stale exclusion), 2 when the run could not be made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def _write(path: str | None, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if path:
        Path(path).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.security.xss", description=__doc__)
    parser.add_argument("--out", help="write the JSON here (default: standard output)")
    parser.add_argument(
        "--full",
        action="store_true",
        help="every role, two rounds, a larger crawl, PDFs laid out (minutes)",
    )
    args = parser.parse_args(argv)
    os.environ["KINDRED_TESTING"] = "1"  # test settings: throwaway database, local cache
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection
        from django.test.utils import setup_test_environment, teardown_test_environment

        from kindred.security.xss.run import Options, run
    except Exception as exc:
        _write(args.out, {"part": "xss", "passed": False, "error": repr(exc)})
        return 2
    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old_name = connection.settings_dict["NAME"]
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        options = Options.thorough() if args.full else Options.quick()
        report = run(options, progress=lambda text: sys.stderr.write(f"xss: {text}\n"))
    except Exception as exc:
        traceback.print_exc()
        _write(args.out, {"part": "xss", "passed": False, "error": repr(exc)})
        return 2
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    data = report.as_dict()
    _write(args.out, data)
    return 0 if data["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
