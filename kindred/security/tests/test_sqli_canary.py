"""sqlmap can catch an injection (SECURITY.md: SQL injection with sqlmap on every
parameter; kindred/security/fuzz/sqli.py). The deliberately broken variant is the canary
URL configuration: ``/canary/sqli/?q=`` concatenates its SQL and must be reported
injectable; ``/canary/safe/?q=`` binds the same value and must not be. The CLI runs the
same pair before sqlmap's real targets."""

from __future__ import annotations

import json
from urllib.request import urlopen

import pytest
from django.db import connection

from kindred.security.fuzz import sqli


def test_sqlmap_is_only_ever_pointed_at_loopback(tmp_path):
    target = sqli.query_target("x", "http://example.test", "/clients/", ["search"])
    with pytest.raises(ValueError, match="only ever targets"):
        target.command(tmp_path)
    local = sqli.query_target("x", "http://127.0.0.1:8000", "/clients/", ["search", "sort"])
    command = local.command(tmp_path)
    assert "--level=1" in command
    assert "--risk=1" in command
    assert "--technique=BEUST" in command
    assert command[command.index("-p") + 1] == "search,sort"


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: sqlmap is told the database is PostgreSQL (as production's "
    "is); CI runs this on PostgreSQL.",
)
def test_sqlmap_reports_the_concatenating_canary_and_not_the_bound_one(
    live_server, settings, transactional_db
):
    settings.ROOT_URLCONF = "kindred.security.fuzz.canary_urls"  # as canary_settings.py
    assert sqli.sqlmap_runs()
    base = live_server.url.replace("localhost", "127.0.0.1")
    # Warm the server up (URL configuration, imports): sqlmap's first request has 5 s.
    with urlopen(f"{base}/canary/safe/?q=x", timeout=120) as first:  # noqa: S310 - loopback
        assert json.load(first) == {"count": 0, "names": []}
    caught = sqli.run_one(sqli.query_target("canary", base, "/canary/sqli/", ["q"]), seconds=240)
    assert "q" in caught.tested
    assert caught.injectable == {"q"}, caught.error
    control = sqli.run_one(sqli.query_target("safe", base, "/canary/safe/", ["q"]), seconds=240)
    assert "q" in control.tested
    assert control.injectable == set()
