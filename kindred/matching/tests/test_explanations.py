"""Why someone was left out, kept small: per rule a count and a few example groups (not
every group's id), read back on the pages and the API; "every group" when a rule kept
them out of all; the groups they fitted when the places went to others; old lines
rewritten by the migration."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import api_token_create
from kindred.core.testing import Cast, signed_in
from kindred.intake.models import WaitlistEntry
from kindred.matching import services
from kindred.matching.models import GroupSuggestion, ProposalLine
from kindred.matching.rules import RULE_WORDS
from kindred.matching.tests.support import waiting
from kindred.matching.types import EXAMPLES, Rule

pytestmark = pytest.mark.django_db
migration = importlib.import_module("kindred.matching.migrations.0004_compact_blocked")


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode()).replace("&#x27;", "'")


def _token(user: User) -> HttpClient:
    scopes = [Scope.MATCHING_READ, Scope.MATCHING_WRITE]
    raw, _ = api_token_create(actor=user, name="Integration", scopes=scopes)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_no_fit_is_kept_as_counts_per_rule_and_shown_in_words(cast: Cast) -> None:
    fiona = waiting(cast, first="Fiona", state="FL", windows=[(0, "06:00", "07:00")])
    run = services.match_run_start(actor=cast.coordinator)
    line = ProposalLine.objects.get(run=run, entry=fiona)
    stored = line.blocked
    assert set(stored) == {"groups", "rules", "fitted", "fitted_examples", "placed_elsewhere"}
    assert stored["groups"] == run.group_count >= 2
    assert stored["fitted"] == 0
    by_rule = {r["rule"]: r for r in stored["rules"]}
    # Only free at six on Monday mornings: no group's time suits her.
    assert by_rule["schedule"]["groups"] == run.group_count
    for r in stored["rules"]:
        assert len(r["examples"]) == min(r["groups"], EXAMPLES)
    http = signed_in(cast.coordinator)
    page = _text(http.get(f"/matching/runs/{run.pk}/?show=unplaced"))
    assert "No group fits them." in page
    assert f"Every group:</strong> {RULE_WORDS[Rule.SCHEDULE]}" in page
    assert "Steady Ground" in page  # an example by name
    detail = _text(http.get(f"/matching/lines/{line.pk}/"))
    assert f"Every group:</strong> {RULE_WORDS[Rule.SCHEDULE]}" in detail
    api = _token(cast.coordinator).get(f"/api/v1/matching/runs/{run.pk}/").json()
    (mine,) = [x for x in api["lines"] if x["entry"] == fiona.pk]
    assert mine["blocked"]["groups"] == run.group_count
    schedule = next(r for r in mine["blocked"]["rules"] if r["rule"] == "schedule")
    assert schedule["words"] == RULE_WORDS[Rule.SCHEDULE]
    assert schedule["groups"] == run.group_count


def test_someone_who_fitted_is_told_which_groups(cast: Cast) -> None:
    seats = 8  # Steady Ground's open seats; nine people fit it and nothing else
    people = [waiting(cast, first=f"Fit{n}") for n in range(seats + 1)]
    run = services.match_run_start(actor=cast.coordinator)
    left = ProposalLine.objects.get(run=run, group__isnull=True)
    assert left.entry_id in {p.pk for p in people}
    assert left.blocked["rules"] == []
    assert left.blocked["fitted"] == 1
    assert left.blocked["fitted_examples"] == [cast.group_a.pk]
    page = _text(signed_in(cast.coordinator).get(f"/matching/runs/{run.pk}/?show=unplaced"))
    assert "They fit 1 group (Steady Ground), but the places went to people" in page
    api = _token(cast.coordinator).get(f"/api/v1/matching/runs/{run.pk}/").json()
    placed = [x for x in api["lines"] if x["group"] is not None]
    assert all(x["blocked"] is None for x in placed)


def test_the_migration_rewrites_old_lines() -> None:
    old = {
        "schedule": [3, 1],
        "schedule,licensure": [2],
        "licensure,language": [4],
    }
    assert migration.compact(old) == {
        "groups": 4,
        "rules": [
            {"rule": "schedule", "groups": 3, "examples": [1, 3, 2]},
            {"rule": "licensure", "groups": 2, "examples": [2, 4]},
            {"rule": "language", "groups": 1, "examples": [4]},
        ],
        "fitted": 0,
        "fitted_examples": [],
        "placed_elsewhere": False,
    }
    assert migration.compact({}) is None
    assert migration.compact(migration.compact(old)) is None
    many = {"schedule": list(range(1, 1001))}
    assert migration.compact(many)["rules"][0]["examples"] == list(range(1, EXAMPLES + 1))


def test_a_suggested_group_says_its_language(cast: Cast) -> None:
    """Four Spanish speakers free at a time no group meets: a new group held in Spanish
    is suggested, and the page and the API say so."""
    for n in range(4):
        waiting(cast, first=f"Sol{n}", language="es", windows=[(2, "10:00", "13:00")])
    run = services.match_run_start(actor=cast.coordinator)
    suggestion = GroupSuggestion.objects.get(run=run)
    assert suggestion.language == "es"
    page = _text(signed_in(cast.coordinator).get(f"/matching/runs/{run.pk}/"))
    assert "4 people waiting could join. Held in Spanish." in page
    api = _token(cast.coordinator).get(f"/api/v1/matching/runs/{run.pk}/").json()
    assert api["suggestions"][0]["language"] == "es"


def test_the_proposal_shows_fairness(cast: Cast, django_assert_max_num_queries: Any) -> None:
    """Days waited of those proposed against everyone who fitted, and the longest-waiting
    people left out with why: one who fits no group, one whose group filled."""
    now = timezone.now()
    fits = [waiting(cast, first=f"Fit{n}") for n in range(9)]  # Steady Ground has 8 seats
    nowhere = waiting(cast, first="Nadia", state="FL", windows=[(0, "06:00", "07:00")])
    for days, entry in zip(range(10, 100, 10), fits, strict=True):
        WaitlistEntry.objects.filter(pk=entry.pk).update(added_at=now - timedelta(days=days))
    WaitlistEntry.objects.filter(pk=nowhere.pk).update(added_at=now - timedelta(days=400))
    run = services.match_run_start(actor=cast.coordinator)
    fair = run.fairness
    # The engine leaves out the shortest wait among the nine who fit (10 days).
    assert fair["placed"] == {"count": 8, "mean": 55.0, "median": 55.0}
    assert fair["fitted"] == {"count": 9, "mean": 50.0, "median": 50.0}
    assert fair["longest_left_out"] == {"entry_id": nowhere.pk, "waited_days": 400}
    assert fair["longest_fitted_left_out"] == {"entry_id": fits[0].pk, "waited_days": 10}
    http = signed_in(cast.coordinator)
    with django_assert_max_num_queries(19):
        page = _text(http.get(f"/matching/runs/{run.pk}/"))
    assert "The 8 people proposed have waited 55 days on average (median 55 days)." in page
    assert "Everyone waiting who fits at least one group (9 people) has waited 50 days" in page
    assert "The longest wait left out: <a" in page
    assert "Nadia" in page
    assert "waited 13 months." in page
    assert f"Every group:</strong> {RULE_WORDS[Rule.SCHEDULE]}" in page
    assert "The longest wait left out although a group fits them:" in page
    assert "They fit 1 group (Steady Ground)" in page
    api = _token(cast.coordinator).get(f"/api/v1/matching/runs/{run.pk}/").json()
    assert api["fairness"]["longest_left_out"]["waited_days"] == 400
