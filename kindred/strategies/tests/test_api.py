"""API v1 for coping strategies: members by session, clinicians by session or a token
with space scopes; the same rules and messages as the pages; constant query counts."""

from __future__ import annotations

from typing import Any

import pytest

from kindred.accounts.scopes import Scope
from kindred.api.testing import session, token
from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.models import SafetyAlert
from kindred.space import services as space_services
from kindred.space.access import get_space_for
from kindred.strategies.models import TITLE_MAX, Strategy, StrategyMark, StrategyStatus
from kindred.strategies.tests.test_pages import bulk_cards

BASE = "/api/v1/strategies"
CARD = {
    "title": "Tea and a window",
    "what_it_is": "I make a cup of tea and look out of the window until it cools.",
    "when_it_helps": "After a hard phone call.",
}


def shared_and_approved(cast: Cast) -> int:
    created = session(cast.member).post(f"{BASE}/groups/{cast.group_a.pk}/", CARD, format="json")
    assert created.status_code == 201, created.content
    pk = int(created.json()["strategy"]["id"])
    decided = session(cast.facilitator).post(
        f"{BASE}/cards/{pk}/decision/", {"decision": "approve"}, format="json"
    )
    assert decided.status_code == 200, decided.content
    return pk


def test_share_approve_mark_as_the_journey_goes(cast: Cast) -> None:
    member = session(cast.member)
    created = member.post(f"{BASE}/groups/{cast.group_a.pk}/", CARD, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["crisis"] is None
    assert body["strategy"]["status"] == "pending"
    assert body["strategy"]["author"] == "You"
    pk = body["strategy"]["id"]
    other = session(cast.member_b)
    assert other.get(f"{BASE}/cards/{pk}/").status_code == 404
    pending = session(cast.facilitator).get(f"{BASE}/groups/{cast.group_a.pk}/pending/").json()
    assert [c["id"] for c in pending["results"]] == [pk]
    assert pending["results"][0]["author_real_name"] == cast.member.full_name
    session(cast.facilitator).post(
        f"{BASE}/cards/{pk}/decision/", {"decision": "approve"}, format="json"
    )
    listing = other.get(f"{BASE}/groups/{cast.group_a.pk}/").json()
    assert listing["count"] == 1
    card = listing["results"][0]
    assert card["author"] == "A group member"
    assert card["author_real_name"] == ""
    assert card["risk_flagged"] is False
    marked = other.post(f"{BASE}/cards/{pk}/marks/", {"kind": "helped"}, format="json")
    assert marked.status_code == 201
    assert marked.json()["my_marks"] == ["helped"]
    assert marked.json()["helped"] == 1
    twice = other.post(f"{BASE}/cards/{pk}/marks/", {"kind": "helped"}, format="json")
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_marked"
    own = member.post(f"{BASE}/cards/{pk}/marks/", {"kind": "try"}, format="json")
    assert own.status_code == 400
    assert "your own card" in str(own.json())
    removed = other.delete(f"{BASE}/cards/{pk}/marks/helped/")
    assert removed.status_code == 200
    assert removed.json()["helped"] == 0
    assert StrategyMark.objects.count() == 0
    mine = member.get(f"{BASE}/mine/").json()
    assert mine["results"][0]["id"] == pk


def test_bad_input_is_400_with_specific_messages(cast: Cast) -> None:
    member = session(cast.member)
    url = f"{BASE}/groups/{cast.group_a.pk}/"
    long = member.post(url, {**CARD, "title": "t" * (TITLE_MAX + 3)}, format="json")
    assert long.status_code == 400
    assert f"{TITLE_MAX + 3} characters" in long.json()["title"][0]
    assert member.post(url, {**CARD, "concerns": ["x"]}, format="json").status_code == 400
    assert member.post(url, {"title": "only"}, format="json").status_code == 400
    assert not Strategy.objects.exists()


def test_risk_language_answers_with_crisis_resources(cast: Cast) -> None:
    created = session(cast.member).post(
        f"{BASE}/groups/{cast.group_a.pk}/",
        {**CARD, "what_it_is": "Nothing works, I want to die."},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["crisis"]["call"] == "988"
    pk = created.json()["strategy"]["id"]
    assert SafetyAlert.objects.filter(flag_code=f"strategies.card.{pk}").exists()
    fac = session(cast.facilitator).get(f"{BASE}/cards/{pk}/").json()
    assert fac["risk_flagged"] is True


def test_paused_muted_and_former_members_get_409(cast: Cast) -> None:
    url = f"{BASE}/groups/{cast.group_a.pk}/"
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    space_services.space_pause(actor=cast.facilitator, access=fac, reason="Review week")
    paused = session(cast.member).post(url, CARD, format="json")
    assert paused.status_code == 409
    assert paused.json()["code"] == "paused"
    space_services.space_resume(actor=cast.facilitator, access=fac)
    space_services.mute_create(
        actor=cast.facilitator, access=fac, user=cast.member, days=3, reason="Time out"
    )
    muted = session(cast.member).post(url, CARD, format="json")
    assert muted.status_code == 409
    assert muted.json()["code"] == "muted"
    enrollment = Enrollment.objects.get(client=cast.client_b, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="moved")
    left = session(cast.member_b).post(url, CARD, format="json")
    assert left.status_code == 409
    assert left.json()["code"] == "left_group"
    assert session(cast.member_b).get(url).status_code == 404
    assert not Strategy.objects.exists()


def test_outsiders_get_404_with_a_denied_event(cast: Cast) -> None:
    pk = shared_and_approved(cast)
    before = AuditEvent.objects.filter(action="strategies.strategy.denied").count()
    for user in (cast.outsider, cast.facilitator_b, cast.coordinator):
        client = session(user)
        assert client.get(f"{BASE}/groups/{cast.group_a.pk}/").status_code == 404
        assert client.get(f"{BASE}/cards/{pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="strategies.strategy.denied").count() == before + 6
    member = session(cast.member_b)
    assert member.get(f"{BASE}/groups/{cast.group_a.pk}/pending/").status_code == 404
    refused = member.post(f"{BASE}/cards/{pk}/decision/", {"decision": "approve"}, format="json")
    assert refused.status_code == 403


def test_decline_needs_a_reason_and_promote_the_confirmation(cast: Cast) -> None:
    created = session(cast.member).post(f"{BASE}/groups/{cast.group_a.pk}/", CARD, format="json")
    pk = created.json()["strategy"]["id"]
    fac = session(cast.facilitator)
    no_reason = fac.post(f"{BASE}/cards/{pk}/decision/", {"decision": "decline"}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    approved = shared_and_approved(cast)
    unconfirmed = fac.post(
        f"{BASE}/cards/{approved}/promote/", {**CARD, "confirmed_anonymous": False}, format="json"
    )
    assert unconfirmed.status_code == 400
    assert "confirmed_anonymous" in unconfirmed.json()
    promoted = fac.post(
        f"{BASE}/cards/{approved}/promote/", {**CARD, "confirmed_anonymous": True}, format="json"
    )
    assert promoted.status_code == 201
    copy = promoted.json()
    assert copy["group_id"] is None
    assert copy["author"] == ""
    assert copy["promoted_from_id"] == approved  # staff only
    library = session(cast.outsider).get(f"{BASE}/library/").json()
    assert [c["id"] for c in library["results"]] == [copy["id"]]
    assert library["results"][0]["promoted_from_id"] is None
    again = fac.post(
        f"{BASE}/cards/{approved}/promote/", {**CARD, "confirmed_anonymous": True}, format="json"
    )
    assert again.status_code == 409


def test_tokens_need_space_scopes(cast: Cast) -> None:
    shared_and_approved(cast)
    url = f"{BASE}/groups/{cast.group_a.pk}/"
    assert token(cast.facilitator, Scope.SPACE_READ).get(url).status_code == 200
    assert token(cast.facilitator, Scope.MEASURES_READ).get(url).status_code == 403
    reader = token(cast.facilitator, Scope.SPACE_READ)
    card = Strategy.objects.get()
    write = reader.post(f"{BASE}/cards/{card.pk}/withdraw/")
    assert write.status_code == 403
    card.refresh_from_db()
    assert card.status == StrategyStatus.APPROVED


@pytest.mark.parametrize("size", [6, 60])
def test_api_lists_use_a_constant_number_of_queries(
    cast: Cast, size: int, django_assert_max_num_queries: Any
) -> None:
    bulk_cards(cast, size)
    member = session(cast.member_b)
    author = session(cast.member)
    fac = session(cast.facilitator)
    g = cast.group_a.pk
    for client in (member, author, fac):
        client.get(f"{BASE}/library/")
    # Measured (SQLite and PostgreSQL alike): the same at 6 and at 60 cards.
    with django_assert_max_num_queries(13):
        assert member.get(f"{BASE}/groups/{g}/", {"q": "Idea", "page": "2"}).status_code == 200
    with django_assert_max_num_queries(10):
        assert fac.get(f"{BASE}/groups/{g}/", {"status": "all"}).status_code == 200
    with django_assert_max_num_queries(11):
        assert fac.get(f"{BASE}/groups/{g}/pending/").status_code == 200
    with django_assert_max_num_queries(8):
        assert author.get(f"{BASE}/mine/").status_code == 200
    with django_assert_max_num_queries(6):
        assert member.get(f"{BASE}/library/").status_code == 200
