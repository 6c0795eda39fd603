"""API v1 for milestones: members by session, clinicians by session or a token with the
space scopes; the same access and services as the pages."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from kindred.accounts.scopes import Scope
from kindred.api.testing import session, token
from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast
from kindred.measures.models import SafetyAlert
from kindred.milestones.models import Milestone, MilestoneKind
from kindred.milestones.tests.support import improved, sessions, shared_first_session

BASE = "/api/v1/milestones"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_member_lists_shares_and_dismisses(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 4)
    improved(cast.client, cast.group_a)
    api = session(cast.member)
    mine = api.get(f"{BASE}/mine/")
    assert mine.status_code == 200
    kinds = {m["kind"]: m for m in mine.json()}
    assert set(kinds) == {"first_session", "fourth_session", "reliable_improvement"}
    assert kinds["reliable_improvement"]["shared_label"] == "marked a milestone"
    first = kinds["first_session"]["id"]
    shared = api.post(f"{BASE}/{first}/share/", {"message": "Glad I came"}, format="json")
    assert shared.status_code == 200
    assert shared.json()["crisis"] is None
    assert shared.json()["milestone"]["state"] == "shared"
    again = api.post(f"{BASE}/{first}/share/", {}, format="json")
    assert again.status_code == 409
    long = api.post(
        f"{BASE}/{kinds['fourth_session']['id']}/share/", {"message": "z" * 501}, format="json"
    )
    assert long.status_code in (400, 422)
    assert "501 characters" in str(long.json())
    unshared = api.post(f"{BASE}/{first}/unshare/")
    assert unshared.json()["state"] == "dismissed"
    assert session(cast.member_b).get(f"{BASE}/groups/{cast.group_a.pk}/").json() == []
    dismissed = api.post(f"{BASE}/{kinds['fourth_session']['id']}/dismiss/")
    assert dismissed.json()["state"] == "dismissed"
    assert session(cast.member_b).post(f"{BASE}/{first}/dismiss/").status_code == 404


def test_shared_list_carries_no_score(cast: Cast) -> None:
    improved(cast.client, cast.group_a, 20, 4)
    api = session(cast.member)
    mine = api.get(f"{BASE}/mine/").json()
    api.post(f"{BASE}/{mine[0]['id']}/share/", {}, format="json")
    listed = session(cast.member_b).get(f"{BASE}/groups/{cast.group_a.pk}/")
    (row,) = listed.json()
    assert set(row) == {
        "id", "group_id", "name", "text", "message", "shared_at", "mine", "hidden",
        "moderation_reason",
    }  # fmt: skip
    assert (row["name"], row["text"], row["message"]) == (
        "A group member",
        "marked a milestone",
        "",
    )
    assert "20" not in str(row["text"])
    assert "PHQ" not in str(listed.json())


def test_risk_language_answers_with_crisis(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 1)
    api = session(cast.member)
    (m,) = api.get(f"{BASE}/mine/").json()
    answer = api.post(f"{BASE}/{m['id']}/share/", {"message": "I want to die"}, format="json")
    assert answer.json()["crisis"]["call"] == "988"
    assert SafetyAlert.objects.filter(flag_code=f"milestones.share.{m['id']}").exists()


def test_facilitator_hides_with_a_token_and_reads_trends(cast: Cast) -> None:
    shared = shared_first_session(cast.client, cast.group_a)
    reader = token(cast.facilitator, Scope.SPACE_READ)
    assert reader.get(f"{BASE}/groups/{cast.group_a.pk}/trends/").status_code == 200
    assert reader.post(f"{BASE}/{shared.pk}/hide/", {"reason": "x"}).status_code == 403
    assert (
        token(cast.facilitator, Scope.GROUPS_READ)
        .get(f"{BASE}/groups/{cast.group_a.pk}/")
        .status_code
        == 403
    )
    writer = token(cast.facilitator, Scope.SPACE_WRITE)
    hidden = writer.post(f"{BASE}/{shared.pk}/hide/", {"reason": "Off topic"}, format="json")
    assert hidden.status_code == 200
    assert hidden.json()["hidden"] is True
    assert session(cast.member_b).get(f"{BASE}/groups/{cast.group_a.pk}/").json() == []
    restored = writer.post(f"{BASE}/{shared.pk}/restore/")
    assert restored.json()["hidden"] is False
    trends = session(cast.facilitator).get(f"{BASE}/groups/{cast.group_a.pk}/trends/").json()
    assert trends["attendance"]["suppressed"] is True
    assert trends["attendance"]["count"] is None
    assert trends["min_cell"] == 3


def test_others_get_404(cast: Cast) -> None:
    shared = shared_first_session(cast.client, cast.group_a)
    g = cast.group_a.pk
    for person in (cast.outsider, cast.facilitator_b, cast.admin):
        api = session(person)
        assert api.get(f"{BASE}/groups/{g}/").status_code == 404
        assert api.get(f"{BASE}/groups/{g}/trends/").status_code == 404
        assert api.post(f"{BASE}/{shared.pk}/hide/", {"reason": "x"}).status_code == 404
    assert session(cast.member).get(f"{BASE}/groups/{g}/trends/").status_code == 404
    assert session(cast.facilitator).get(f"{BASE}/mine/").status_code == 404


def test_staff_read_of_a_member_is_audited(cast: Cast) -> None:
    shared_first_session(cast.client, cast.group_a)
    answer = session(cast.facilitator).get(f"{BASE}/clients/{cast.client.pk}/")
    assert answer.status_code == 200
    assert [m["kind"] for m in answer.json()["milestones"]] == [MilestoneKind.FIRST_SESSION]
    assert AuditEvent.objects.filter(
        action="milestones.client.viewed", client_id=cast.client.pk
    ).exists()
    assert session(cast.facilitator_b).get(f"{BASE}/clients/{cast.client.pk}/").status_code == 404
    assert session(cast.member).get(f"{BASE}/clients/{cast.client.pk}/").status_code == 404
    assert Milestone.objects.count() == 1
