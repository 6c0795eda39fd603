"""API v1 for goals: members by session, staff by session or token (space scopes); the
same rules and messages as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from kindred.accounts.scopes import Scope
from kindred.api.testing import session, token
from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast
from kindred.goals.models import CheckIn, Goal, SupportReply
from kindred.measures.models import SafetyAlert
from kindred.space.access import get_space_for
from kindred.space.services import space_pause

BASE = "/api/v1/goals"


def make(http: APIClient, **extra: Any) -> dict[str, Any]:
    response = http.post(
        f"{BASE}/",
        {"what": "Stretch daily", "why": "My back", "shared_with_group": True, **extra},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["goal"]  # type: ignore[no-any-return]


def test_member_flow_through_the_api(cast: Cast) -> None:
    a, b = session(cast.member), session(cast.member_b)
    goal = make(a)
    assert goal["role"] == "owner"
    assert goal["group_id"] == cast.group_a.pk
    first = a.post(f"{BASE}/{goal['id']}/checkins/", {"progress": 5, "note": "ok"}, format="json")
    assert first.status_code == 201
    assert first.json()["crisis"] is None
    again = a.post(f"{BASE}/{goal['id']}/checkins/", {"progress": 6}, format="json")
    assert again.status_code == 409
    assert "already checked in" in again.json()["detail"]
    replaced = a.post(
        f"{BASE}/{goal['id']}/checkins/", {"progress": 6, "replace": True}, format="json"
    )
    assert replaced.status_code == 200
    assert CheckIn.objects.get().progress == 6
    seen = b.get(f"{BASE}/{goal['id']}/").json()
    assert seen["role"] == "peer"
    assert seen["why"] is None
    assert seen["client_id"] is None
    assert seen["owner"] == "A group member"
    sent = b.post(f"{BASE}/{goal['id']}/replies/", {"body": "Keep going"}, format="json")
    assert sent.status_code == 201
    shared = b.get(f"{BASE}/shared/").json()
    assert shared[0]["goals"][0]["replies"][0]["body"] == "Keep going"
    listed = a.get(f"{BASE}/").json()
    assert listed[0]["this_week"]["progress"] == 6
    assert listed[0]["replies"] == 1
    reached = a.post(f"{BASE}/{goal['id']}/status/", {"status": "reached"}, format="json")
    assert reached.json()["status"] == "reached"
    assert reached.json()["reached_at"]


def test_bad_input_is_specific_and_changes_nothing(cast: Cast) -> None:
    a = session(cast.member)
    long = a.post(f"{BASE}/", {"what": "x" * 500}, format="json")
    assert long.status_code == 400
    assert "500 characters" in long.json()["what"][0]
    goal = make(a)
    for value in (11, -2, "ten", True, None):
        bad = a.post(f"{BASE}/{goal['id']}/checkins/", {"progress": value}, format="json")
        assert bad.status_code == 400, value
        assert "progress" in bad.json()
    script = "<script>alert(1)</script>"
    patched = a.patch(f"{BASE}/{goal['id']}/", {"next_step": script}, format="json")
    assert patched.status_code == 200
    assert patched.json()["goal"]["next_step"] == script  # data, never markup: JSON as written
    assert Goal.objects.count() == 1
    assert not CheckIn.objects.exists()


def test_reply_refused_when_the_space_is_paused_or_goal_unseen(cast: Cast) -> None:
    a, b = session(cast.member), session(cast.member_b)
    private = make(a, shared_with_group=False)
    unseen = b.post(f"{BASE}/{private['id']}/replies/", {"body": "Hi"}, format="json")
    assert unseen.status_code == 404
    goal = make(a)
    space_pause(
        actor=cast.facilitator,
        access=get_space_for(cast.facilitator, cast.group_a.pk),
        reason="Break",
    )
    paused = b.post(f"{BASE}/{goal['id']}/replies/", {"body": "Hi"}, format="json")
    assert paused.status_code == 409
    assert paused.json()["code"] == "paused"
    assert not SupportReply.objects.exists()


def test_risk_language_answers_with_crisis(cast: Cast) -> None:
    a = session(cast.member)
    goal = make(a)
    response = a.post(
        f"{BASE}/{goal['id']}/checkins/",
        {"progress": 1, "note": "I want to end my life"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["crisis"]["call"] == "988"
    assert SafetyAlert.objects.filter(flag_code__startswith="goals.checkin.").count() == 1


def test_staff_by_token_and_who_is_refused(cast: Cast) -> None:
    goal = make(session(cast.member))
    url = f"{BASE}/groups/{cast.group_a.pk}/"
    assert token(cast.facilitator, Scope.NOTES_READ).get(url).status_code == 403
    reader = token(cast.facilitator, Scope.SPACE_READ)
    view = reader.get(url)
    assert view.status_code == 200
    assert view.json()["no_checkin_this_week"] == 1
    assert AuditEvent.objects.filter(action="goals.group_goals.viewed").exists()
    assert reader.get(f"{BASE}/{goal['id']}/").json()["role"] == "staff"
    for person in (cast.outsider, cast.facilitator_b, cast.coordinator):
        assert session(person).get(url).status_code == 404
        assert session(person).get(f"{BASE}/{goal['id']}/").status_code == 404
    # Staff do not own goals: the member endpoints are not theirs.
    assert session(cast.facilitator).get(f"{BASE}/").status_code == 404


@pytest.mark.parametrize("n", [1, 6])
def test_member_list_in_constant_queries(
    cast: Cast, n: int, django_assert_max_num_queries: Any
) -> None:
    a = session(cast.member)
    for i in range(n):
        goal = make(a, what=f"Goal {i}")
        a.post(f"{BASE}/{goal['id']}/checkins/", {"progress": i}, format="json")
    with django_assert_max_num_queries(8):
        assert len(a.get(f"{BASE}/").json()) == n
    with django_assert_max_num_queries(12):
        assert a.get(f"{BASE}/shared/").status_code == 200
