"""API v1 for group spaces: members by session, clinicians by session or token with
space scopes; the same rules and messages as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import allowed_scopes
from kindred.api.testing import session, token
from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.models import SafetyAlert
from kindred.space.models import POST_MAX, DirectMessage, Post, PostStatus

BASE = "/api/v1/space"


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def ready(cast: Cast) -> tuple[APIClient, APIClient, APIClient]:
    a, b = session(cast.member), session(cast.member_b)
    g = cast.group_a.pk
    assert a.put(f"{BASE}/groups/{g}/display-name/", {"name": "Sky"}).status_code == 200
    assert b.put(f"{BASE}/groups/{g}/display-name/", {"name": "River"}).status_code == 200
    return a, b, session(cast.facilitator)


def test_scopes_go_to_clinicians_only(cast: Cast) -> None:
    assert {Scope.SPACE_READ, Scope.SPACE_WRITE} <= allowed_scopes(cast.facilitator)
    assert Scope.SPACE_READ not in allowed_scopes(cast.coordinator)
    assert Scope.SPACE_READ not in allowed_scopes(cast.billing)


def test_a_token_needs_the_space_scope(cast: Cast) -> None:
    url = f"{BASE}/groups/{cast.group_a.pk}/threads/"
    assert token(cast.facilitator, Scope.SPACE_READ).get(url).status_code == 200
    assert token(cast.facilitator, Scope.GROUPS_READ).get(url).status_code == 403
    writer = token(cast.facilitator, Scope.SPACE_READ)
    assert writer.post(url, {"title": "x", "body": "y"}).status_code == 403
    writer = token(cast.facilitator, Scope.SPACE_WRITE)
    assert writer.post(url, {"title": "Welcome", "body": "Hello all"}).status_code == 201


def test_members_post_react_report_and_see_specific_errors(
    cast: Cast, ready: tuple[APIClient, APIClient, APIClient]
) -> None:
    a, b, fac = ready
    g = cast.group_a.pk
    created = a.post(
        f"{BASE}/groups/{g}/threads/", {"title": "Hi", "body": "<script>x</script> hello"}
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["crisis"] is None
    assert "<script>" not in data["post"]["body_html"]
    assert data["post"]["body"] == "<script>x</script> hello"  # byte-exact
    post_id = data["post"]["id"]
    thread_id = data["post"]["thread_id"]

    listing = b.get(f"{BASE}/groups/{g}/threads/").json()
    assert listing[0]["unread"] == 1
    assert listing[0]["starter"]["name"] == "Sky"
    assert listing[0]["starter"]["real_name"] == ""

    assert b.post(f"{BASE}/posts/{post_id}/reactions/", {"kind": "me_too"}).status_code == 201
    twice = b.post(f"{BASE}/posts/{post_id}/reactions/", {"kind": "me_too"})
    assert twice.status_code == 409
    assert "already reacted" in str(twice.json())

    own = a.post(f"{BASE}/posts/{post_id}/reports/", {"reason": "hurtful"})
    assert own.status_code == 400
    assert "your own post" in str(own.json())
    assert b.post(f"{BASE}/posts/{post_id}/reports/", {"reason": "privacy"}).status_code == 201

    too_long = b.post(f"{BASE}/threads/{thread_id}/posts/", {"body": "x" * (POST_MAX + 1)})
    assert too_long.status_code == 400
    assert "at most 5,000" in str(too_long.json())

    detail = fac.get(f"{BASE}/threads/{thread_id}/").json()
    assert detail["posts"][0]["author"]["real_name"] == cast.member.full_name


def test_risk_language_answers_with_crisis_and_raises_an_alert(
    cast: Cast, ready: tuple[APIClient, APIClient, APIClient]
) -> None:
    a, _b, fac = ready
    response = a.post(
        f"{BASE}/groups/{cast.group_a.pk}/threads/", {"title": "x", "body": "I want to die"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["crisis"]["call"] == "988"
    assert body["post"]["risk_categories"] == []  # members never see the screening
    assert SafetyAlert.objects.filter(flag_code=f"space.post.{body['post']['id']}").exists()
    moderation = fac.get(f"{BASE}/groups/{cast.group_a.pk}/moderation/").json()
    assert moderation["risky"][0]["risk_categories"] == ["suicidal_ideation"]


def test_outsiders_and_other_staff_get_404(
    cast: Cast, ready: tuple[APIClient, APIClient, APIClient]
) -> None:
    a, _b, _fac = ready
    g = cast.group_a.pk
    post_id = a.post(f"{BASE}/groups/{g}/threads/", {"title": "x", "body": "y"}).json()["post"][
        "id"
    ]
    for person in (cast.outsider, cast.admin, cast.coordinator, cast.facilitator_b):
        client = session(person)
        assert client.get(f"{BASE}/groups/{g}/threads/").status_code == 404
        assert (
            client.post(f"{BASE}/posts/{post_id}/reactions/", {"kind": "me_too"}).status_code == 404
        )
    assert session(cast.member).get(f"{BASE}/groups/{g}/moderation/").status_code == 404
    assert AuditEvent.objects.filter(category="denied").count() >= 9


def test_leaving_paused_and_muted(
    cast: Cast, ready: tuple[APIClient, APIClient, APIClient]
) -> None:
    a, b, fac = ready
    g = cast.group_a.pk
    thread_id = a.post(f"{BASE}/groups/{g}/threads/", {"title": "x", "body": "y"}).json()["post"][
        "thread_id"
    ]
    paused = fac.post(f"{BASE}/groups/{g}/pause/", {"paused": True, "reason": "Holiday"})
    assert paused.status_code == 200
    refused = b.post(f"{BASE}/threads/{thread_id}/posts/", {"body": "hi"})
    assert refused.status_code == 409
    assert "Holiday" in str(refused.json())
    fac.post(f"{BASE}/groups/{g}/pause/", {"paused": False})

    mute = fac.post(
        f"{BASE}/groups/{g}/mutes/", {"user": cast.member_b.pk, "days": 1, "reason": "Pause"}
    )
    assert mute.status_code == 201
    muted = b.post(f"{BASE}/threads/{thread_id}/posts/", {"body": "hi"})
    assert muted.status_code == 409
    assert fac.post(f"{BASE}/mutes/{mute.json()['id']}/lift/").status_code == 200
    assert b.post(f"{BASE}/threads/{thread_id}/posts/", {"body": "hi"}).status_code == 201

    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved")
    left = a.post(f"{BASE}/threads/{thread_id}/posts/", {"body": "hello?"})
    assert left.status_code == 409
    assert "no longer a member" in str(left.json())
    assert a.get(f"{BASE}/threads/{thread_id}/").status_code == 404


def test_facilitator_moderates_through_the_api(
    cast: Cast, ready: tuple[APIClient, APIClient, APIClient]
) -> None:
    a, b, fac = ready
    g = cast.group_a.pk
    assert fac.patch(f"{BASE}/groups/{g}/", {"moderation": "pre"}).status_code == 200
    created = a.post(f"{BASE}/groups/{g}/threads/", {"title": "x", "body": "waiting"}).json()
    post_id = created["post"]["id"]
    assert created["post"]["status"] == "pending"
    assert b.get(f"{BASE}/groups/{g}/threads/").json() == []
    approve = fac.post(f"{BASE}/posts/{post_id}/moderation/", {"change": "approve"})
    assert approve.status_code == 200
    hide = fac.post(f"{BASE}/posts/{post_id}/moderation/", {"change": "hide", "reason": "Names"})
    assert hide.status_code == 200
    post = Post.objects.get(pk=post_id)
    assert post.status == PostStatus.HIDDEN
    assert post.body == "waiting"
    thread_url = f"{BASE}/threads/{created['post']['thread_id']}/"
    # A conversation whose only post is hidden leaves the list; its writer still sees
    # that the post was hidden, never its words again through the space.
    assert b.get(thread_url).status_code == 404
    assert a.get(thread_url).json()["posts"][0]["body"] is None
    assert b.post(f"{BASE}/posts/{post_id}/moderation/", {"change": "restore"}).status_code == 404
    assert (
        fac.patch(f"{BASE}/threads/{created['post']['thread_id']}/", {"pinned": True}).json()[
            "pinned"
        ]
        is True
    )
    spaces = b.get(f"{BASE}/groups/").json()
    assert [s["group_id"] for s in spaces] == [g]


def test_moderation_and_report_input_of_posts_and_messages(
    cast: Cast, ready: tuple[APIClient, APIClient, APIClient]
) -> None:
    """Posts and direct messages share one reading of a moderation request (only the
    group's facilitators, refused before the input is read) and of a report."""
    a, b, fac = ready
    g = cast.group_a.pk
    post_id = a.post(f"{BASE}/groups/{g}/threads/", {"title": "x", "body": "hi"}).json()["post"][
        "id"
    ]
    assert fac.patch(f"{BASE}/groups/{g}/", {"direct_messages_allowed": True}).status_code == 200
    cid = a.post(f"{BASE}/groups/{g}/conversations/", {"member": cast.member_b.pk}).json()["id"]
    message_id = a.post(f"{BASE}/conversations/{cid}/messages/", {"body": "hello"}).json()[
        "message"
    ]["id"]
    for kind, model, pk in (("posts", Post, post_id), ("messages", DirectMessage, message_id)):
        url = f"{BASE}/{kind}/{pk}/moderation/"
        denied = AuditEvent.objects.filter(action=f"space.{model._meta.model_name}.denied")
        before = denied.count()
        # A member is refused as if the thing did not exist, whatever they send.
        assert b.post(url, {"change": "nonsense"}).status_code == 404
        assert denied.count() == before + 1
        bad = fac.post(url, {"change": "nonsense"})
        assert bad.status_code == 400
        assert "change" in str(bad.json())
        too_long = fac.post(url, {"change": "hide", "reason": "x" * 5000})
        assert too_long.status_code == 400
        assert "reason" in str(too_long.json())
        report_url = f"{BASE}/{kind}/{pk}/reports/"
        unknown = b.post(report_url, {"reason": "nonsense"})
        assert unknown.status_code == 400
        assert "reason" in str(unknown.json())
        assert b.post(report_url, {"reason": "hurtful", "note": "Unkind"}).status_code == 201
    approve = fac.post(f"{BASE}/messages/{message_id}/moderation/", {"change": "approve"})
    assert approve.status_code == 400
    assert "never wait for approval" in str(approve.json())
    hidden = fac.post(f"{BASE}/posts/{post_id}/moderation/", {"change": "hide", "reason": "Names"})
    assert hidden.status_code == 200
    assert Post.objects.get(pk=post_id).status == PostStatus.HIDDEN
    restored = fac.post(
        f"{BASE}/posts/{post_id}/moderation/", {"change": "restore", "reason": "Fine after all"}
    )
    assert restored.status_code == 200
    assert Post.objects.get(pk=post_id).status == PostStatus.VISIBLE
