"""sqlmap can catch an injection (SECURITY.md: SQL injection with sqlmap on every
parameter; kindred/security/fuzz/sqli.py). The deliberately broken variant is the canary
URL configuration: ``/canary/sqli/?q=`` concatenates its SQL and must be reported
injectable, also after the confirmation step (sqli.confirm); ``/canary/safe/?q=`` binds
the same value and must not be; ``/canary/search/?q=`` is safe but word-sensitive (the
false-positive class of a name search) and must not be reported either. The CLI runs the
same canaries before sqlmap's real targets."""

from __future__ import annotations

import json
from urllib.request import urlopen

import pytest
from django.db import connection

from kindred.security.fuzz import sqli

#: sqlmap's account of a boolean-only injection point (the shape of the false positive on a
#: name search: ``q`` on /groups/<id>/invite/).
BOOLEAN_ONLY = """identified the following injection point(s) with a total of 52 HTTP(s) requests:
---
Parameter: q (GET)
    Type: boolean-based blind
    Title: OR boolean-based blind - WHERE or HAVING clause
    Payload: q=-3307' OR 5316=5316 AND 'ZqPb'='ZqPb
---
"""


def test_injection_points_are_read_from_sqlmaps_account():
    points = sqli.injection_points(BOOLEAN_ONLY)
    assert points == {"q": [(sqli.BOOLEAN, "q=-3307' OR 5316=5316 AND 'ZqPb'='ZqPb")]}


def test_a_finding_with_another_technique_or_a_body_is_kept_without_a_differential():
    account = BOOLEAN_ONLY.rstrip("-\n") + (
        "\n\n    Type: time-based blind\n    Payload: q=1' AND 1=(SELECT 1)--\n---\n"
    )
    target = sqli.query_target("x", "http://127.0.0.1:9", "/x/", ["q"])
    outcome = sqli.Outcome(target, tested={"q"}, injectable={"q"}, evidence=account)
    (verdict,) = sqli.confirm(outcome)  # no request is sent: port 9 would refuse it
    assert verdict.confirmed
    assert "time-based blind" in verdict.reason


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
    confirmations = sqli.confirm(caught)
    assert [(c.parameter, c.confirmed) for c in confirmations] == [("q", True)], confirmations
    # The differential itself confirms the canary: sqlmap's own boolean payload when it
    # reported one, and a plain boolean payload of ours in any case.
    boolean = [p for t, p in sqli.injection_points(caught.evidence)["q"] if t == sqli.BOOLEAN]
    payloads = [p.split("=", 1)[1] for p in boolean] + ["-7411' OR 2024=2024 AND 'k'='k"]
    for payload in payloads:
        confirmed, why = sqli.differential(caught.target, "q", payload)
        assert confirmed, (payload, why)
    control = sqli.run_one(sqli.query_target("safe", base, "/canary/safe/", ["q"]), seconds=240)
    assert "q" in control.tested
    assert control.injectable == set()
    # The word-sensitive search: whatever sqlmap concludes, nothing confirmed is reported.
    search = sqli.run_one(sqli.query_target("search", base, "/canary/search/", ["q"]), seconds=240)
    assert "q" in search.tested
    assert not [c for c in sqli.confirm(search) if c.confirmed]
    # And a boolean-only claim on it, as sqlmap words one, is refused by the differential
    # (its pages differ with the words, not with SQL truth), where the same claim on the
    # concatenating canary is confirmed.
    for path, expected in (("/canary/search/", False), ("/canary/sqli/", True)):
        claim = sqli.Outcome(
            sqli.query_target("claim", base, path, ["q"]),
            tested={"q"},
            injectable={"q"},
            evidence=BOOLEAN_ONLY,
        )
        (verdict,) = sqli.confirm(claim)
        assert verdict.confirmed is expected, verdict
    assert (
        "search text"
        in sqli.confirm(
            sqli.Outcome(
                sqli.query_target("claim", base, "/canary/search/", ["q"]),
                tested={"q"},
                injectable={"q"},
                evidence=BOOLEAN_ONLY,
            )
        )[0].reason
    )


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the live server's thread leaves its SQLite connection open "
    "(a ResourceWarning, an error in this suite); CI runs this on PostgreSQL.",
)
def test_the_cli_reports_a_confirmed_claim_and_notes_a_refuted_one(
    live_server, settings, transactional_db
):
    """The CLI's sqlmap figures go through the confirmation: the same boolean-only claim
    is a finding on the concatenating canary and a note on the word-sensitive search
    (no sqlmap run: the claim is sqlmap's account of the invite-page false positive)."""
    from kindred.security.fuzz.__main__ import _sqlmap_figures

    settings.ROOT_URLCONF = "kindred.security.fuzz.canary_urls"
    base = live_server.url.replace("localhost", "127.0.0.1")
    outcomes = [
        sqli.Outcome(
            sqli.query_target(label, base, path, ["q"]),
            tested={"q"},
            injectable={"q"},
            evidence=BOOLEAN_ONLY,
        )
        for label, path in (("sqli", "/canary/sqli/"), ("search", "/canary/search/"))
    ]
    figures: dict[str, object] = {}
    findings: list[dict[str, object]] = []
    notes: list[str] = []
    _sqlmap_figures(outcomes, [], figures, findings, notes)
    assert [(f["kind"], f["operation"]) for f in findings] == [("sqli", "sqli")]
    assert figures["sqlmap_injectable"] == 1
    assert figures["sqlmap_not_confirmed"] == 1
    assert [n for n in notes if "search text changes the page" in n and "search" in n]
