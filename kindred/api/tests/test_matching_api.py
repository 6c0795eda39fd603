"""API v1 for matching: runs (start, list, read with lines and suggestions), a line's
accept / edit / reject (a stale line is 409 with why), the weights; scopes and roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import allowed_scopes, api_token_create
from kindred.core.testing import Cast, signed_in
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Screening
from kindred.matching.models import Decision, MatchRun, ProposalLine
from kindred.matching.tests.support import waiting

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/matching/runs/"
BOTH = {Scope.MATCHING_READ, Scope.MATCHING_WRITE}


def _token(user: User, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _json(response: Any) -> Any:
    return response.json()


def test_scopes_follow_the_capability(cast: Cast) -> None:
    for who in ("coordinator", "admin"):
        assert allowed_scopes(getattr(cast, who)) >= BOTH, who
    for who in ("facilitator", "supervisor", "billing"):
        assert not allowed_scopes(getattr(cast, who)) & BOTH, who


def test_start_list_read_and_decide(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    first = waiting(cast)
    second = waiting(cast)
    api = _token(cast.coordinator, Scope.MATCHING_READ, Scope.MATCHING_WRITE)
    # The run is a task; in tests (as in DEBUG) it runs as soon as it is queued.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(RUNS, {"state": "il"}, content_type="application/json")
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"{RUNS}{_json(response)['id']}/")
    run = _json(api.get(response["Location"]))
    assert run["status"] == "finished"
    assert run["filters"] == {"state": "IL"}
    assert run["placed_count"] == 2
    listed = _json(api.get(RUNS))
    assert listed["results"][0]["id"] == run["id"]
    detail = _json(api.get(f"{RUNS}{run['id']}/"))
    assert [line["entry"] for line in detail["lines"]] == [first.pk, second.pk]
    line = detail["lines"][0]
    assert line["group"] == cast.group_a.pk
    assert line["reasons"][0]["words"]
    assert "suggestions" in detail

    accepted = api.post(f"/api/v1/matching/lines/{line['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert _json(accepted)["line"]["decision"] == Decision.ACCEPTED
    assert Screening.objects.filter(client_id=first.client_id).exists()
    again = api.post(f"/api/v1/matching/lines/{line['id']}/accept/")
    assert again.status_code == 409

    other = detail["lines"][1]["id"]
    bad = api.post(
        f"/api/v1/matching/lines/{other}/reject/", {"reason": ""}, content_type="application/json"
    )
    assert bad.status_code == 400
    # Another group that breaks a rule (B: no license in IL, meets in the morning): 409.
    stale = api.post(
        f"/api/v1/matching/lines/{other}/edit/",
        {"group": cast.group_b.pk},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert "out of date" in stale.content.decode()
    assert ProposalLine.objects.get(pk=other).decision == Decision.PENDING
    rejected = api.post(
        f"/api/v1/matching/lines/{other}/reject/",
        {"reason": "Starting individual therapy first."},
        content_type="application/json",
    )
    assert rejected.status_code == 200
    assert ProposalLine.objects.get(pk=other).decision == Decision.REJECTED


def test_refusals(cast: Cast) -> None:
    waiting(cast)
    read_only = _token(cast.coordinator, Scope.MATCHING_READ)
    assert read_only.get(RUNS).status_code == 200
    assert read_only.post(RUNS, {}, content_type="application/json").status_code == 403
    # Staff without the capability: 403; members: 404.
    assert signed_in(cast.facilitator).get(RUNS).status_code == 403
    assert signed_in(cast.member).get(RUNS).status_code == 404
    api = signed_in(cast.coordinator)
    MatchRun.objects.create(started_at=timezone.now())
    busy = api.post(RUNS, {}, content_type="application/json")
    assert busy.status_code == 409
    assert "already running" in busy.content.decode()
    MatchRun.objects.all().delete()
    TherapyGroup.objects.update(max_size=1, min_size=1)
    full = api.post(RUNS, {}, content_type="application/json")
    assert full.status_code == 409
    assert "No groups have open seats" in full.content.decode()
    assert api.get(f"{RUNS}999/").status_code == 404


def test_weights(cast: Cast) -> None:
    api = _token(cast.admin, Scope.MATCHING_READ, Scope.MATCHING_WRITE)
    assert _json(api.get("/api/v1/matching/settings/"))["concern_overlap"] == 2.0
    bad = api.patch("/api/v1/matching/settings/", {"waited": 12}, content_type="application/json")
    assert bad.status_code == 400
    assert "waited" in bad.content.decode()
    good = api.patch("/api/v1/matching/settings/", {"waited": 7.5}, content_type="application/json")
    assert good.status_code == 200
    assert _json(good)["waited"] == 7.5
    assert _json(good)["urgency"] == 2.0
