"""Matching pages: start a run, read the proposal (reasons in words and points, the
unplaced with the rules that blocked each group, fairness order), decide lines, the
suggestions, past runs, the weights; empty states; who may see them; constant queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from kindred.core.testing import Cast, signed_in
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Screening, Urgency
from kindred.matching import services
from kindred.matching.models import Decision, MatchingSettings, MatchRun, ProposalLine
from kindred.matching.rules import RULE_WORDS
from kindred.matching.tests.support import waiting
from kindred.matching.types import Rule

pytestmark = pytest.mark.django_db
HOME = "/matching/"


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_who_may_see_matching(cast: Cast) -> None:
    page = signed_in(cast.coordinator).get(HOME)
    assert page.status_code == 200
    assert 'href="/matching/"' in page.content.decode()
    assert signed_in(cast.admin).get(HOME).status_code == 200
    for who in (cast.facilitator, cast.supervisor, cast.billing):
        response = signed_in(who).get(HOME)
        assert response.status_code == 403
        assert 'href="/matching/"' not in signed_in(who).get("/home/").content.decode()
    assert signed_in(cast.member).get(HOME).status_code == 404


def test_run_and_read_the_proposal(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    urgent = waiting(cast, first="Ursula", urgency=Urgency.URGENT)
    waiting(cast, first="Fiona", state="FL")
    http = signed_in(cast.coordinator)
    home = _text(http.get(HOME))
    assert "Steady Ground (8)" in home
    # The run is a task; in tests (as in DEBUG) it runs as soon as it is queued.
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(HOME, {"state": "", "urgency": ""})
    run = MatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/matching/runs/{run.pk}/"
    page = _text(http.get(response["Location"]))
    assert "Ursula" in page
    assert "Steady Ground" in page
    assert "points" in page
    assert "Accept for Ursula" in page
    unplaced = _text(http.get(f"{response['Location']}?show=unplaced"))
    assert "Fiona" in unplaced
    assert RULE_WORDS[Rule.LICENSURE] in unplaced.replace("&#x27;", "'")
    assert "Open Harbor" in unplaced
    assert ProposalLine.objects.get(entry=urgent).position == 1
    # Past runs list it.
    assert "Past runs" in _text(http.get(HOME))


def test_the_proposal_page_takes_constant_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    for _n in range(3):
        waiting(cast)
    http = signed_in(cast.coordinator)
    run = services.match_run_start(actor=cast.coordinator)
    with django_assert_max_num_queries(16):
        assert http.get(f"/matching/runs/{run.pk}/").status_code == 200
    MatchRun.objects.all().delete()
    for _n in range(12):
        waiting(cast, state="FL")
    run = services.match_run_start(actor=cast.coordinator)
    for show in ("proposed", "unplaced", "decided"):
        with django_assert_max_num_queries(16):
            assert http.get(f"/matching/runs/{run.pk}/?show={show}").status_code == 200
    with django_assert_max_num_queries(12):
        assert http.get(HOME).status_code == 200


def test_accept_reject_and_stale_lines(cast: Cast) -> None:
    first = waiting(cast, first="Avril")
    second = waiting(cast, first="Bea")
    third = waiting(cast, first="Cleo")
    run = services.match_run_start(actor=cast.coordinator)
    http = signed_in(cast.coordinator)
    line = ProposalLine.objects.get(run=run, entry=first)
    response = http.post(f"/matching/lines/{line.pk}/", {"action": "accept"})
    assert response.status_code == 302
    assert Screening.objects.filter(client_id=first.client_id, screener=cast.facilitator).exists()
    assert "Fern Facilitator is asked to screen" in _text(http.get(response["Location"]))
    # Reject needs a reason, shown beside the field.
    line = ProposalLine.objects.get(run=run, entry=second)
    page = _text(http.post(f"/matching/lines/{line.pk}/", {"action": "reject", "reason": ""}))
    assert "This field is required" in page
    http.post(f"/matching/lines/{line.pk}/", {"action": "reject", "reason": "Moving away."})
    assert ProposalLine.objects.get(pk=line.pk).decision == Decision.REJECTED
    # A stale line: the group filled meanwhile (a screening holds no seat).
    TherapyGroup.objects.filter(pk=cast.group_a.pk).update(max_size=2, min_size=2)
    line = ProposalLine.objects.get(run=run, entry=third)
    response = http.post(f"/matching/lines/{line.pk}/", {"action": "accept"})
    assert response.status_code == 409
    assert "out of date" in _text(response)
    assert ProposalLine.objects.get(pk=line.pk).decision == Decision.PENDING
    decided = _text(http.get(f"/matching/runs/{run.pk}/?show=decided"))
    assert "Avril" in decided
    assert "Bea" in decided


def test_empty_states(cast: Cast) -> None:
    http = signed_in(cast.coordinator)
    TherapyGroup.objects.update(max_size=1, min_size=1)
    page = _text(http.get(HOME))
    assert "No groups have open seats right now." in page
    assert "No runs yet." in page
    waiting(cast)
    response = http.post(HOME, {})
    assert response.status_code == 200
    assert "No groups have open seats right now" in _text(response)
    assert not MatchRun.objects.exists()
    MatchRun.objects.create(started_by=cast.admin, started_at=timezone.now())
    assert "Matching is running now" in _text(http.get(HOME))


def test_weights_page(cast: Cast) -> None:
    http = signed_in(cast.coordinator)
    assert "shared concerns" in _text(http.get("/matching/settings/")).lower()
    values = {
        "concern_overlap": "6",
        "waited": "11",
        "urgency": "4",
        "composition": "2",
        "fill_minimum": "3",
        "continuity": "1",
    }
    page = _text(http.post("/matching/settings/", values))
    assert "less than or equal to 10" in page
    assert not MatchingSettings.objects.exists()
    values["waited"] = "9.5"
    assert http.post("/matching/settings/", values).status_code == 302
    assert MatchingSettings.objects.get().waited == 9.5
