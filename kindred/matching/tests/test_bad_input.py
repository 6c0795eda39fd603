"""The issue's bad input, each on the page and the API with a clear message: no groups
with seats, conflicting exclusions, a person with no availability, weights out of range,
a second run while one is in progress, accepting a stale line."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import api_token_create
from kindred.core.testing import Cast, signed_in
from kindred.groups.models import TherapyGroup
from kindred.intake.models import ExclusionReason, Screening
from kindred.intake.waitlist import exclusion_add
from kindred.matching import services
from kindred.matching.models import Decision, MatchingSettings, MatchRun, ProposalLine
from kindred.matching.rules import RULE_WORDS
from kindred.matching.tests.support import client_of, waiting
from kindred.matching.types import Rule

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/matching/runs/"
SETTINGS = "/api/v1/matching/settings/"


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode()).replace("&#x27;", "'")


def _api(user: User) -> HttpClient:
    scopes = [Scope.MATCHING_READ, Scope.MATCHING_WRITE]
    raw, _ = api_token_create(actor=user, name="Integration", scopes=scopes)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _api_line(cast: Cast, run: MatchRun, entry_id: int) -> dict[str, Any]:
    body = _api(cast.coordinator).get(f"{RUNS}{run.pk}/").json()
    return next(x for x in body["lines"] if x["entry"] == entry_id)


def test_no_groups_with_seats(cast: Cast) -> None:
    waiting(cast)
    TherapyGroup.objects.update(max_size=1, min_size=1)
    page = signed_in(cast.coordinator).post("/matching/", {})
    assert page.status_code == 200
    assert "No groups have open seats right now, so there is nothing to propose." in _text(page)
    api = _api(cast.coordinator).post(RUNS, {}, content_type="application/json")
    assert api.status_code == 409
    assert "No groups have open seats right now" in api.json()["detail"]
    assert not MatchRun.objects.exists()


def test_an_exclusion_with_a_member_of_the_only_group_that_fits(cast: Cast) -> None:
    """Avery must not be placed with someone already in Steady Ground, the one group
    whose time suits them: no crash, no proposal, and the reason in plain words."""
    avery = waiting(cast, first="Avery")
    exclusion_add(
        actor=cast.coordinator,
        client=client_of(avery),
        other=cast.client_b,
        reason=ExclusionReason.FAMILY,
    )
    run = services.match_run_start(actor=cast.coordinator)
    line = ProposalLine.objects.get(run=run, entry=avery)
    assert line.group_id is None
    rules = {r["rule"]: r for r in line.blocked["rules"]}
    assert rules["exclusion"]["examples"] == [cast.group_a.pk]
    page = _text(signed_in(cast.coordinator).get(f"/matching/lines/{line.pk}/"))
    assert (
        f'1 group:</strong> {RULE_WORDS[Rule.EXCLUSION]} <span class="muted">(Steady Ground)'
        in (page)
    )
    api = _api_line(cast, run, avery.pk)
    words = {r["rule"]: r["words"] for r in api["blocked"]["rules"]}
    assert words["exclusion"] == RULE_WORDS[Rule.EXCLUSION]
    # Choosing that group by hand is refused with the same reason; nothing changes.
    response = signed_in(cast.coordinator).post(
        f"/matching/lines/{line.pk}/", {"action": "edit", "group": cast.group_a.pk}
    )
    assert RULE_WORDS[Rule.EXCLUSION] in _text(response)
    assert ProposalLine.objects.get(pk=line.pk).decision == Decision.PENDING
    assert not Screening.objects.exists()


def test_a_person_with_no_availability_gets_a_reason_not_a_crash(cast: Cast) -> None:
    nobody = waiting(cast, first="Noor", windows=[])
    run = services.match_run_start(actor=cast.coordinator)
    line = ProposalLine.objects.get(run=run, entry=nobody)
    assert line.group_id is None
    schedule = next(r for r in line.blocked["rules"] if r["rule"] == "schedule")
    assert schedule["groups"] == run.group_count
    page = _text(signed_in(cast.coordinator).get(f"/matching/runs/{run.pk}/?show=unplaced"))
    assert f"Every group:</strong> {RULE_WORDS[Rule.SCHEDULE]}" in page
    api = _api_line(cast, run, nobody.pk)
    assert any(
        r["rule"] == "schedule" and r["groups"] == run.group_count for r in api["blocked"]["rules"]
    )


@pytest.mark.parametrize("value", ["-1", "10.5", "many", "nan"])
def test_weights_out_of_range_on_the_page(cast: Cast, value: str) -> None:
    values = dict.fromkeys(("concern_overlap", "urgency", "composition"), "1")
    values |= {"fill_minimum": "1", "continuity": "1", "waited": value}
    response = signed_in(cast.coordinator).post("/matching/settings/", values)
    assert response.status_code == 200
    text = _text(response)
    assert re.search(r"(less|greater) than or equal to|Enter a number", text), value
    assert not MatchingSettings.objects.exists()


@pytest.mark.parametrize("value", [-1, 10.5, "many", None, True])
def test_weights_out_of_range_in_the_api(cast: Cast, value: object) -> None:
    response = _api(cast.admin).patch(SETTINGS, {"waited": value}, content_type="application/json")
    assert response.status_code == 400
    assert "waited" in response.json()
    assert not MatchingSettings.objects.exists()


def test_a_second_run_while_one_is_in_progress(cast: Cast) -> None:
    waiting(cast)
    MatchRun.objects.create(started_by=cast.admin, started_at=timezone.now())
    page = signed_in(cast.coordinator).post("/matching/", {})
    assert page.status_code == 200
    assert "Matching is already running (started by Ada Admin at" in _text(page)
    api = _api(cast.coordinator).post(RUNS, {}, content_type="application/json")
    assert api.status_code == 409
    assert "Matching is already running" in api.json()["detail"]
    assert MatchRun.objects.count() == 1


def test_accepting_a_stale_line_in_the_api(cast: Cast) -> None:
    entry = waiting(cast)
    run = services.match_run_start(actor=cast.coordinator)
    line = ProposalLine.objects.get(run=run, entry=entry)
    TherapyGroup.objects.filter(pk=cast.group_a.pk).update(max_size=2, min_size=2)
    response = _api(cast.coordinator).post(f"/api/v1/matching/lines/{line.pk}/accept/")
    assert response.status_code == 409
    assert "This proposal is out of date: The group has no open places right now." in (
        response.content.decode()
    )
    assert ProposalLine.objects.get(pk=line.pk).decision == Decision.PENDING
    assert not Screening.objects.exists()
