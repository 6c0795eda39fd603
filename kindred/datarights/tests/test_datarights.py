"""Data rights: a member's own download (what it holds and never holds, PDF, audit,
constant queries, who may), and account closure (request, withdraw, confirm: sessions
and tokens end, display names go, posts and the clinical record stay; bad input)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client as HttpClient

from kindred.accounts.models import ApiToken
from kindred.accounts.tests.flows import new_browser, sign_in
from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import PASSWORD, Cast, signed_in
from kindred.datarights import closure
from kindred.datarights.export import own_data, own_export
from kindred.datarights.models import ClosureRequest, ClosureStatus
from kindred.goals import services as goal_services
from kindred.goals.access import get_goal_for
from kindred.journal.services import entry_create
from kindred.notes.models import MemberNote
from kindred.psychnotes.services import psychnote_create
from kindred.records.tests.test_export import noted, scored  # noqa: F401  (fixtures)
from kindred.space import selectors
from kindred.space import services as space_services
from kindred.space.access import get_space_for
from kindred.space.models import DisplayName, ModerationMode, Post
from kindred.strategies import services as strategy_services
from kindred.strategies.access import get_library_for

PSY_CANARY = "CANARY-psychotherapy-71c4"
OTHER_POST = "CANARY-other-member-post-3b1"
OTHER_NAME = "River"


def named(cast: Cast, user: Any, name: str) -> Any:
    space_services.display_name_set(
        actor=user, access=get_space_for(user, cast.group_a.pk), name=name
    )
    return get_space_for(user, cast.group_a.pk)


@pytest.fixture
def written(cast: Cast, noted: Any, scored: Any) -> dict[str, Any]:  # noqa: F811
    """Avery (cast.member) and Blair write in group A's space; Avery keeps a journal, a
    goal with a check-in, a strategy card; a psychotherapy note exists about Avery."""
    a = named(cast, cast.member, "Sky")
    b = named(cast, cast.member_b, OTHER_NAME)
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    space_services.space_settings_update(
        actor=cast.facilitator,
        access=fac,
        moderation=ModerationMode.POST,
        direct_messages_allowed=True,
        office_hours="",
        rules="",
    )
    a = get_space_for(cast.member, cast.group_a.pk)
    b = get_space_for(cast.member_b, cast.group_a.pk)
    mine = space_services.thread_create(
        actor=cast.member, access=a, title="My thread about walks", body="I walked today."
    )
    theirs = space_services.thread_create(
        actor=cast.member_b, access=b, title="CANARY-other-title", body=OTHER_POST
    )
    space_services.post_create(
        actor=cast.member, access=a, thread=theirs.thread, body="Replying to you, well done."
    )
    space_services.post_create(
        actor=cast.member_b, access=b, thread=mine.thread, body=OTHER_POST + " reply"
    )
    conv = space_services.conversation_start(
        actor=cast.member, access=a, with_user_id=cast.member_b.pk
    )
    space_services.message_send(actor=cast.member, access=a, conversation=conv, body="Hi, from me.")
    space_services.message_send(
        actor=cast.member_b, access=b, conversation=conv, body="CANARY-other-dm"
    )
    entry_create(actor=cast.member, client=cast.client, title="Tuesday", body="Slept better.")
    goal = goal_services.goal_create(
        actor=cast.member, client=cast.client, data={"what": "Walk three times a week"}
    )
    goal_services.checkin_record(
        actor=cast.member, access=get_goal_for(cast.member, goal.pk), progress=6, note="Two walks"
    )
    strategy_services.strategy_share(
        actor=cast.member,
        access=get_library_for(cast.member, cast.group_a.pk),
        title="Box breathing",
        what_it_is="Breathe in four, hold four.",
        when_it_helps="Before sleep.",
    )
    psychnote_create(actor=cast.facilitator, client=cast.client, body=PSY_CANARY)
    return {"mine": mine, "theirs": theirs}


def test_the_download_holds_the_members_own_items(cast: Cast, written: Any) -> None:
    data = own_data(user=cast.member, client=cast.client)
    assert data["profile"]["legal_first_name"] == "Avery"
    assert [e["group"] for e in data["enrollments"]] == ["Steady Ground"]
    assert len(data["attendance"]) == 1
    texts = [p["text"] for p in data["group_space_posts"]]
    assert texts == ["I walked today.", "Replying to you, well done."]
    titles = [p["thread_title"] for p in data["group_space_posts"]]
    assert titles == ["My thread about walks", None]
    assert [m["text"] for m in data["direct_messages_sent"]] == ["Hi, from me."]
    assert data["journal"][0]["title"] == "Tuesday"
    assert data["journal"][0]["text"] == "Slept better."  # decrypted for its owner
    [goal] = data["goals"]
    assert goal["check_ins"][0]["note"] == "Two walks"
    assert data["coping_strategy_cards"][0]["title"] == "Box breathing"
    [q] = data["questionnaires"]
    assert q["total"] == 9
    assert len(q["answers"]) == 9


def test_the_download_never_holds_others_data_or_notes(cast: Cast, written: Any) -> None:
    text = json.dumps(own_data(user=cast.member, client=cast.client))
    for canary in (
        OTHER_POST,
        OTHER_NAME,
        "CANARY-other-title",
        "CANARY-other-dm",
        PSY_CANARY,
        "CANARY-other-member-note",
        "Blair",
        '"risk_categories"',
        '"flags"',
        "moderation_reason",
    ):
        assert canary not in text, canary
    # Not even the member's own session notes: those come through a records request.
    assert MemberNote.objects.filter(client=cast.client).exists()
    assert "Avery described a better week." not in text


def test_pdf_and_json_downloads_are_audited(cast: Cast, written: Any) -> None:
    http = signed_in(cast.member)
    pdf = http.get("/account/my-data/?format=pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf["Cache-Control"] == "no-store"
    api = http.get("/api/v1/me/data/")
    assert api.status_code == 200
    assert api.json()["kind"] == "kindred.own_data"
    api_pdf = http.get("/api/v1/me/data.pdf")
    assert api_pdf.content.startswith(b"%PDF-")
    events = AuditEvent.objects.filter(action="datarights.own_data.downloaded")
    assert [e.detail["format"] for e in events.order_by("id")] == ["pdf", "json", "pdf"]
    assert {e.category for e in events} == {Category.EXPORT}
    assert {e.client_id for e in events} == {cast.client.pk}
    assert {e.actor_id for e in events} == {cast.member.pk}


def test_the_page_explains_and_bad_format_is_404(cast: Cast) -> None:
    http = signed_in(cast.member)
    page = http.get("/account/my-data/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Prepare PDF" in body  # PDFs are prepared in the background (selfexport)
    assert "never holds other members" in body
    assert http.get("/account/my-data/?format=xml").status_code == 404
    assert not AuditEvent.objects.filter(action="datarights.own_data.downloaded").exists()
    with pytest.raises(ValidationFailed):
        own_export(actor=cast.member, fmt="csv")


def test_only_the_member_downloads_their_own_data(cast: Cast) -> None:
    for person in (cast.admin, cast.coordinator, cast.facilitator):
        http = signed_in(person)
        assert http.get("/account/my-data/?format=json").status_code == 404
        assert http.get("/api/v1/me/data/").status_code == 404
        with pytest.raises(NotFound):
            own_export(actor=person, fmt="json")
    assert HttpClient().get("/api/v1/me/data/").status_code in (401, 403)
    assert not AuditEvent.objects.filter(action="datarights.own_data.downloaded").exists()


def test_tokens_are_refused(cast: Cast) -> None:
    secret, _token = api_token_create(
        actor=cast.admin, name="integration", scopes=["records:export"]
    )
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert http.get("/api/v1/me/data/").status_code == 403
    assert http.get("/api/v1/account-closures/").status_code == 403


def test_queries_stay_constant(cast: Cast, written: Any, django_assert_num_queries: Any) -> None:
    from kindred.practice.settings import practice_settings

    practice_settings()  # cached per process in production; counted once, not per export
    with django_assert_num_queries(12):
        own_data(user=cast.member, client=cast.client)
    a = get_space_for(cast.member, cast.group_a.pk)
    thread = written["mine"].thread
    for i in range(15):
        space_services.post_create(actor=cast.member, access=a, thread=thread, body=f"More {i}")
        entry_create(actor=cast.member, client=cast.client, body=f"Entry {i}")
    with django_assert_num_queries(12):
        data = own_data(user=cast.member, client=cast.client)
    assert len(data["group_space_posts"]) == 17


# --- closure ---------------------------------------------------------------------------


def test_closure_request_withdraw_and_twice(cast: Cast) -> None:
    req = closure.closure_request(actor=cast.member, reason="Moving away.")
    assert req.status == ClosureStatus.REQUESTED
    with pytest.raises(Conflict):
        closure.closure_request(actor=cast.member)
    closure.closure_withdraw(actor=cast.member)
    with pytest.raises(InvalidState):
        closure.closure_withdraw(actor=cast.member)
    with pytest.raises(InvalidState) as withdrawn:
        closure.closure_confirm(actor=cast.coordinator, request_id=req.pk)
    assert "withdrew" in withdrawn.value.message
    assert cast.member.is_active
    actions = list(
        AuditEvent.objects.filter(action__startswith="datarights.closure")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["datarights.closure.requested", "datarights.closure.withdrawn"]


def test_closure_bad_input(cast: Cast) -> None:
    with pytest.raises(ValidationFailed):
        closure.closure_request(actor=cast.member, reason="x" * 501)
    with pytest.raises(ValidationFailed):
        closure.closure_request(actor=cast.member, reason="a\x00b")
    with pytest.raises(NotFound):
        closure.closure_request(actor=cast.coordinator)
    req = closure.closure_request(actor=cast.member)
    with pytest.raises(ValidationFailed):
        closure.closure_confirm(actor=cast.coordinator, request_id=req.pk, posts="delete")
    with pytest.raises(NotPermitted):
        closure.closure_confirm(actor=cast.facilitator, request_id=req.pk)
    with pytest.raises(NotPermitted):
        closure.closure_confirm(actor=cast.member, request_id=req.pk)
    with pytest.raises(NotFound):
        closure.closure_confirm(actor=cast.coordinator, request_id="nope")
    with pytest.raises(NotFound):
        closure.closure_confirm(actor=cast.coordinator, request_id=req.pk + 999)
    assert ClosureRequest.objects.get().status == ClosureStatus.REQUESTED
    assert not AuditEvent.objects.filter(action="datarights.closure.confirmed").exists()


def test_closure_revokes_anonymizes_and_keeps_the_record(cast: Cast, written: Any) -> None:
    http = new_browser()
    assert sign_in(http, cast.member.email).status_code == 302
    assert http.get("/account/my-data/").status_code == 200
    ApiToken.objects.create(user=cast.member, name="x", prefix="p1", token_hash="h" * 64)
    assert UserSession.objects.filter(user=cast.member).exists()
    req = closure.closure_request(actor=cast.member)
    done = closure.closure_confirm(actor=cast.coordinator, request_id=req.pk)
    cast.member.refresh_from_db()
    assert not cast.member.is_active
    assert done.status == ClosureStatus.CLOSED
    assert done.posts == "anonymize"
    assert done.outcome["tokens_revoked"] == 1
    assert done.outcome["sessions_ended"] >= 1
    assert not UserSession.objects.filter(user=cast.member).exists()
    assert done.retain_until is not None
    assert done.decided_at is not None
    assert done.retain_until.year - done.decided_at.year == 7
    assert not ApiToken.objects.filter(user=cast.member, revoked_at__isnull=True).exists()
    assert http.get("/account/my-data/").status_code == 302  # signed out
    assert not DisplayName.objects.filter(user=cast.member).exists()
    assert DisplayName.objects.filter(user=cast.member_b).exists()
    # Posts stay, text unchanged; the clinical record stays.
    assert Post.objects.filter(author=cast.member, body="I walked today.").exists()
    assert MemberNote.objects.filter(client=cast.client).exists()
    # The other member sees the post without the closed member's display name.
    b = get_space_for(cast.member_b, cast.group_a.pk)
    label = selectors.authors(b, {cast.member.pk})[cast.member.pk].label
    assert label == "A former member"
    event = AuditEvent.objects.get(action="datarights.closure.confirmed")
    assert event.actor_id == cast.coordinator.pk
    assert event.detail["posts"] == "anonymize"
    assert AuditEvent.objects.filter(
        action="accounts.session.revoked", detail__reason="account_closed"
    ).exists()
    with pytest.raises(InvalidState) as twice:
        closure.closure_confirm(actor=cast.coordinator, request_id=req.pk)
    assert "already closed" in twice.value.message


def test_closure_can_keep_display_names(cast: Cast) -> None:
    named(cast, cast.member, "Sky")
    req = closure.closure_request(actor=cast.member)
    closure.closure_confirm(actor=cast.admin, request_id=req.pk, posts="keep")
    assert DisplayName.objects.filter(user=cast.member, name="Sky").exists()


def test_closure_pages_and_api(cast: Cast) -> None:
    member = signed_in(cast.member)
    assert member.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert member.get("/account/close/").status_code == 200
    missing = member.post("/account/close/", {"reason": ""})
    assert missing.status_code == 400
    assert "Tick the box" in missing.content.decode()
    assert member.post("/account/close/", {"confirm": "on"}).status_code == 302
    assert member.post("/account/close/", {"confirm": "on"}).status_code == 409
    assert (
        member.post("/api/v1/me/closure/", {}, content_type="application/json").status_code == 409
    )
    assert member.get("/api/v1/me/closure/").json()["status"] == "requested"
    req = ClosureRequest.objects.get()
    staff = signed_in(cast.coordinator)
    assert staff.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    listing = staff.get("/account-closures/")
    assert listing.status_code == 200
    assert cast.client.display_name in listing.content.decode()
    assert staff.get("/api/v1/account-closures/").json()[0]["id"] == req.pk
    assert signed_in(cast.facilitator).get("/account-closures/").status_code == 403
    assert signed_in(cast.member_b).get("/account-closures/").status_code == 404
    assert signed_in(cast.facilitator).get("/api/v1/account-closures/").status_code == 403
    done = staff.post(f"/account-closures/{req.pk}/", {"posts": "anonymize"})
    assert done.status_code == 302
    again = staff.post(
        f"/api/v1/account-closures/{req.pk}/confirm/", {}, content_type="application/json"
    )
    assert again.status_code == 409
    assert not UserSession.objects.filter(user=cast.member).exists()
    assert member.get("/account/my-data/").status_code == 302
