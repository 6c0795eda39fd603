"""Direct messages between two members (issue 8): off unless a facilitator turns them
on; under the facilitator's eye (they read and hide, audited); risk screened like posts;
reports and mutes apply; specific refusals when off, paused, muted or left, with the
conversation kept; unread counts; the recipient told without the words; pages and API
within a constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kindred.api.testing import session
from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast, signed_in
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.notifications.models import Notification
from kindred.space import selectors, services
from kindred.space.access import get_conversation_for, get_message_for, get_space_for
from kindred.space.models import (
    POST_MAX,
    Conversation,
    DirectMessage,
    MessageReport,
    ModerationMode,
    PostStatus,
)


def named(cast: Cast, user: Any, name: str) -> Any:
    services.display_name_set(actor=user, access=get_space_for(user, cast.group_a.pk), name=name)
    return get_space_for(user, cast.group_a.pk)


def set_dm(cast: Cast, allowed: bool) -> None:
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    services.space_settings_update(
        actor=cast.facilitator,
        access=fac,
        moderation=ModerationMode.POST,
        direct_messages_allowed=allowed,
        office_hours="",
        rules="",
    )


@pytest.fixture
def pair(cast: Cast) -> None:
    """Both members named in group A's space, direct messages turned on."""
    named(cast, cast.member, "Sky")
    named(cast, cast.member_b, "River")
    set_dm(cast, True)


def start(cast: Cast) -> Conversation:
    return services.conversation_start(
        actor=cast.member,
        access=get_space_for(cast.member, cast.group_a.pk),
        with_user_id=cast.member_b.pk,
    )


def send(cast: Cast, user: Any, convo: Conversation, body: str) -> DirectMessage:
    return services.message_send(
        actor=user, access=get_space_for(user, cast.group_a.pk), conversation=convo, body=body
    )


def test_off_unless_the_facilitator_turns_them_on(cast: Cast) -> None:
    named(cast, cast.member, "Sky")
    named(cast, cast.member_b, "River")
    with pytest.raises(InvalidState) as off:
        start(cast)
    assert off.value.code == "direct_messages_off"
    assert "turned off" in off.value.message
    assert not Conversation.objects.exists()
    set_dm(cast, True)
    convo = start(cast)
    assert start(cast).pk == convo.pk  # one conversation per pair
    assert "space.conversation.created" in AuditEvent.objects.values_list("action", flat=True)


def test_a_message_reaches_the_other_and_counts_as_unread(
    cast: Cast, pair: Any, django_capture_on_commit_callbacks: Any
) -> None:
    convo = start(cast)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(cast, cast.member, convo, "Hi <script>alert(1)</script> **there**")
    assert DirectMessage.objects.get(pk=message.pk).body.startswith("Hi <script>")
    b = get_space_for(cast.member_b, cast.group_a.pk)
    assert selectors.message_summary(b, cast.member_b) == (1, 1)
    assert (
        selectors.message_summary(get_space_for(cast.member, cast.group_a.pk), cast.member)[1] == 0
    )
    note = Notification.objects.get(user=cast.member_b, kind=services.NOTIFY_MESSAGE)
    assert "Hi" not in note.title
    assert "Sky" not in note.title
    assert cast.member.full_name not in note.title
    rows, _more, people = selectors.conversation_messages(b, cast.member_b, convo)
    assert "<script>" not in str(rows[0].html)
    assert rows[0].author is not None
    assert rows[0].author.label == "Sky"
    assert rows[0].author.real_name == ""  # members see display names only
    assert {p.label for p in people} == {"Sky", "River"}
    services.conversation_mark_read(actor=cast.member_b, conversation=convo, up_to_id=message.pk)
    assert selectors.message_summary(b, cast.member_b) == (1, 0)


def test_only_the_two_members_and_the_facilitators_reach_it(cast: Cast, pair: Any) -> None:
    convo = start(cast)
    message = send(cast, cast.member, convo, "Just between us")
    for who in (cast.outsider, cast.facilitator_b, cast.admin, cast.coordinator):
        with pytest.raises(NotFound):
            get_conversation_for(who, convo.pk)
        with pytest.raises(NotFound):
            get_message_for(who, message.pk)
    fac, _ = get_conversation_for(cast.facilitator, convo.pk)
    rows, _more, _people = selectors.conversation_messages(fac, cast.facilitator, convo)
    assert rows[0].author is not None
    assert rows[0].author.real_name == cast.member.full_name  # who is who
    assert AuditEvent.objects.filter(action="space.conversation.read").count() == 1
    listed, _ = selectors.conversation_list(fac, cast.facilitator)
    assert [r.conversation.pk for r in listed] == [convo.pk]


def test_bad_input_gets_specific_messages_and_changes_nothing(cast: Cast, pair: Any) -> None:
    a = get_space_for(cast.member, cast.group_a.pk)
    with pytest.raises(ValidationFailed):
        services.conversation_start(actor=cast.member, access=a, with_user_id=cast.member.pk)
    with pytest.raises(ValidationFailed):
        services.conversation_start(actor=cast.member, access=a, with_user_id=cast.outsider.pk)
    convo = start(cast)
    with pytest.raises(ValidationFailed) as long:
        send(cast, cast.member, convo, "x" * (POST_MAX + 1))
    assert "at most" in long.value.errors["body"][0]
    with pytest.raises(ValidationFailed):
        send(cast, cast.member, convo, "   ")
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    with pytest.raises(NotPermitted):
        services.message_send(actor=cast.facilitator, access=fac, conversation=convo, body="Hi")
    assert not DirectMessage.objects.exists()


def test_turned_off_paused_muted_and_left_refuse_and_keep_the_history(
    cast: Cast, pair: Any
) -> None:
    convo = start(cast)
    send(cast, cast.member, convo, "Hello")
    set_dm(cast, False)
    with pytest.raises(InvalidState) as off:
        send(cast, cast.member_b, convo, "Hello back")
    assert off.value.code == "direct_messages_off"
    b = get_space_for(cast.member_b, cast.group_a.pk)
    rows, _m, _p = selectors.conversation_messages(b, cast.member_b, convo)
    assert [r.message.body for r in rows] == ["Hello"]  # still readable
    set_dm(cast, True)

    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    services.space_pause(actor=cast.facilitator, access=fac, reason="Between runs")
    with pytest.raises(InvalidState) as paused:
        send(cast, cast.member_b, convo, "Hello back")
    assert paused.value.code == "paused"
    assert "Between runs" in paused.value.message
    services.space_resume(
        actor=cast.facilitator, access=get_space_for(cast.facilitator, cast.group_a.pk)
    )

    services.mute_create(
        actor=cast.facilitator, access=fac, user=cast.member_b, days=1, reason="Cooling off"
    )
    with pytest.raises(InvalidState) as muted:
        send(cast, cast.member_b, convo, "Hello back")
    assert muted.value.code == "muted"
    assert "Cooling off" in muted.value.message

    enrollment = Enrollment.objects.get(client=cast.client_b, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    with pytest.raises(InvalidState) as gone:
        send(cast, cast.member, convo, "Are you there?")
    assert gone.value.code == "recipient_left"
    former, convo_again = get_conversation_for(cast.member_b, convo.pk, allow_former=True)
    with pytest.raises(InvalidState) as left:
        services.message_send(
            actor=cast.member_b, access=former, conversation=convo_again, body="Bye"
        )
    assert left.value.code == "left_group"
    with pytest.raises(NotFound):
        get_conversation_for(cast.member_b, convo.pk)  # a former member reads nothing
    assert DirectMessage.objects.count() == 1


def test_risk_language_raises_an_alert_in_the_same_transaction(cast: Cast, pair: Any) -> None:
    convo = start(cast)
    message = send(cast, cast.member, convo, "Some nights I want to die.")
    assert message.risk_flagged
    alert = SafetyAlert.objects.get(source=AlertSource.RISK_LANGUAGE)
    assert alert.client_id == cast.client.pk
    assert alert.flag_code == f"space.message.{message.pk}"
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    overview = selectors.moderation_overview(fac, cast.facilitator)
    assert [r.message.pk for r in overview.risky_messages] == [message.pk]


def test_facilitator_hides_and_restores_with_audit(cast: Cast, pair: Any) -> None:
    convo = start(cast)
    message = send(cast, cast.member, convo, "Call me at 555-0100")
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    member_a = get_space_for(cast.member, cast.group_a.pk)
    with pytest.raises(NotPermitted):
        services.message_hide(actor=cast.member, access=member_a, message=message, reason="x")
    with pytest.raises(ValidationFailed):
        services.message_hide(actor=cast.facilitator, access=fac, message=message, reason="")
    hidden = services.message_hide(
        actor=cast.facilitator, access=fac, message=message, reason="Phone number"
    )
    assert hidden.status == PostStatus.HIDDEN
    assert DirectMessage.objects.get(pk=message.pk).body == "Call me at 555-0100"
    b = get_space_for(cast.member_b, cast.group_a.pk)
    rows, _m, _p = selectors.conversation_messages(b, cast.member_b, convo)
    assert rows[0].html is None
    with pytest.raises(InvalidState):
        services.message_hide(actor=cast.facilitator, access=fac, message=hidden, reason="again")
    services.message_restore(actor=cast.facilitator, access=fac, message=hidden)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"space.message.hidden", "space.message.restored"} <= actions


def test_reports_of_messages(
    cast: Cast, pair: Any, django_capture_on_commit_callbacks: Any
) -> None:
    convo = start(cast)
    message = send(cast, cast.member, convo, "You never listen")
    a = get_space_for(cast.member, cast.group_a.pk)
    b = get_space_for(cast.member_b, cast.group_a.pk)
    with pytest.raises(ValidationFailed) as own:
        services.message_report_create(
            actor=cast.member, access=a, message=message, reason="hurtful"
        )
    assert "your own message" in own.value.errors["reason"][0]
    with django_capture_on_commit_callbacks(execute=True):
        report = services.message_report_create(
            actor=cast.member_b, access=b, message=message, reason="hurtful"
        )
    with pytest.raises(Conflict):
        services.message_report_create(
            actor=cast.member_b, access=b, message=message, reason="hurtful"
        )
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    overview = selectors.moderation_overview(fac, cast.facilitator)
    assert [r.pk for r in overview.message_reports] == [report.pk]
    assert Notification.objects.filter(
        user=cast.facilitator, kind=services.NOTIFY_MESSAGE_REPORT
    ).exists()
    services.message_report_resolve(
        actor=cast.facilitator, access=fac, report=report, resolution="Talked to both"
    )
    assert MessageReport.objects.get(pk=report.pk).resolved_at is not None


# --- pages ---------------------------------------------------------------------------------


def test_pages_start_send_read_and_crisis(cast: Cast, pair: Any) -> None:
    http = signed_in(cast.member)
    url = reverse("web:space_messages", args=[cast.group_a.pk])
    page = http.get(url)
    assert page.status_code == 200
    assert "facilitators can read every conversation" in page.content.decode()
    response = http.post(url, {"member": cast.member_b.pk})
    assert response.status_code == 302
    convo = Conversation.objects.get()
    assert response["Location"] == reverse("web:space_conversation", args=[convo.pk])
    sent = http.post(response["Location"], {"body": "<img src=x onerror=alert(1)> hello"})
    assert sent.status_code == 302
    other = signed_in(cast.member_b)
    space_page = other.get(reverse("web:space", args=[cast.group_a.pk])).content.decode()
    assert "1 new" in space_page
    read = other.get(response["Location"]).content.decode()
    assert "hello" in read
    assert "<img" not in read  # shown as text, never an element
    risky = other.post(response["Location"], {"body": "I want to kill myself"})
    assert "#support" in risky["Location"]
    crisis = other.get(risky["Location"]).content.decode()
    assert "988" in crisis
    assert "You don&#x27;t have to go through this alone" in crisis or "alone" in crisis
    # The other member does not get the crisis box for someone else's message.
    assert "Call 988" not in http.get(risky["Location"]).content.decode()
    too_long = other.post(response["Location"], {"body": "y" * (POST_MAX + 1)})
    assert too_long.status_code == 400
    assert "at most" in too_long.content.decode()
    assert "y" * 100 in too_long.content.decode()  # the text is kept in the box


def test_pages_when_turned_off_and_for_outsiders(cast: Cast, pair: Any) -> None:
    convo = start(cast)
    send(cast, cast.member, convo, "Hello")
    set_dm(cast, False)
    http = signed_in(cast.member_b)
    page = http.get(reverse("web:space_conversation", args=[convo.pk])).content.decode()
    assert "Hello" in page
    assert "turned off for this group" in page
    refused = http.post(reverse("web:space_conversation", args=[convo.pk]), {"body": "Hi"})
    assert refused.status_code == 400
    assert "turned off for this group" in refused.content.decode()
    assert DirectMessage.objects.count() == 1
    for who in (cast.outsider, cast.facilitator_b, cast.admin):
        assert (
            signed_in(who).get(reverse("web:space_conversation", args=[convo.pk])).status_code
            == 404
        )


def test_facilitator_pages_hide_and_moderation(cast: Cast, pair: Any) -> None:
    convo = start(cast)
    message = send(cast, cast.member, convo, "Call me at 555-0100")
    services.message_report_create(
        actor=cast.member_b,
        access=get_space_for(cast.member_b, cast.group_a.pk),
        message=message,
        reason="privacy",
    )
    http = signed_in(cast.facilitator)
    listing = http.get(reverse("web:space_messages", args=[cast.group_a.pk])).content.decode()
    assert cast.member.full_name in listing
    moderation = http.get(reverse("web:space_moderation", args=[cast.group_a.pk]))
    assert "The message, in its conversation" in moderation.content.decode()
    url = reverse("web:space_message_moderate", args=[message.pk])
    assert http.post(url, {"action": "hide", "reason": ""}).status_code == 400
    assert http.post(url, {"action": "hide", "reason": "Phone number"}).status_code == 302
    assert DirectMessage.objects.get(pk=message.pk).status == PostStatus.HIDDEN
    member_view = signed_in(cast.member_b).get(reverse("web:space_conversation", args=[convo.pk]))
    assert "A facilitator hid this message." in member_view.content.decode()
    assert "555-0100" not in member_view.content.decode()
    assert signed_in(cast.member).post(url, {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_conversation_pages_use_constant_queries(
    cast: Cast, pair: Any, count: int, django_assert_max_num_queries: Any
) -> None:
    convo = start(cast)
    for n in range(count):
        send(cast, cast.member if n % 2 else cast.member_b, convo, f"Message {n}")
    http = signed_in(cast.member_b)
    fac = signed_in(cast.facilitator)
    for client, url in (
        (http, reverse("web:space_conversation", args=[convo.pk])),
        (http, reverse("web:space_messages", args=[cast.group_a.pk])),
        (fac, reverse("web:space_conversation", args=[convo.pk])),
        (fac, reverse("web:space_messages", args=[cast.group_a.pk])),
    ):
        client.get(url)
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


# --- API -----------------------------------------------------------------------------------


def test_api_conversations_messages_moderation_and_refusals(cast: Cast) -> None:
    base = "/api/v1/space"
    g = cast.group_a.pk
    a, b, fac = session(cast.member), session(cast.member_b), session(cast.facilitator)
    assert a.put(f"{base}/groups/{g}/display-name/", {"name": "Sky"}).status_code == 200
    assert b.put(f"{base}/groups/{g}/display-name/", {"name": "River"}).status_code == 200
    off = a.post(f"{base}/groups/{g}/conversations/", {"member": cast.member_b.pk})
    assert off.status_code == 409
    assert "turned off" in str(off.json())
    # A member cannot turn them on; the facilitator can.
    assert a.patch(f"{base}/groups/{g}/", {"direct_messages_allowed": True}).status_code == 404
    turned = fac.patch(f"{base}/groups/{g}/", {"direct_messages_allowed": True}, format="json")
    assert turned.json()["direct_messages_allowed"] is True
    opened = a.post(f"{base}/groups/{g}/conversations/", {"member": cast.member_b.pk})
    assert opened.status_code == 201
    assert opened.json()["people"][0]["name"] == "River"
    cid = opened.json()["id"]
    sent = a.post(f"{base}/conversations/{cid}/messages/", {"body": "<b>hi</b> there"})
    assert sent.status_code == 201
    assert sent.json()["crisis"] is None
    assert "<b>" not in sent.json()["message"]["body_html"]
    listed = b.get(f"{base}/groups/{g}/conversations/").json()
    assert listed[0]["unread"] == 1
    detail = b.get(f"{base}/conversations/{cid}/").json()
    assert detail["can_send"] is True
    assert detail["messages"][0]["author"]["real_name"] == ""
    assert b.get(f"{base}/groups/{g}/conversations/").json()[0]["unread"] == 0
    risky = b.post(f"{base}/conversations/{cid}/messages/", {"body": "I want to end my life"})
    assert risky.json()["crisis"]["call"] == "988"
    assert SafetyAlert.objects.filter(source=AlertSource.RISK_LANGUAGE).count() == 1
    mid = sent.json()["message"]["id"]
    own = a.post(f"{base}/messages/{mid}/reports/", {"reason": "hurtful"})
    assert own.status_code == 400
    assert b.post(f"{base}/messages/{mid}/reports/", {"reason": "hurtful"}).status_code == 201
    assert b.post(f"{base}/messages/{mid}/reports/", {"reason": "hurtful"}).status_code == 409
    overview = fac.get(f"{base}/groups/{g}/moderation/").json()
    assert [r["message_id"] for r in overview["message_reports"]] == [mid]
    assert len(overview["risky_messages"]) == 1
    assert a.post(f"{base}/messages/{mid}/moderation/", {"change": "hide"}).status_code == 404
    no_reason = fac.post(f"{base}/messages/{mid}/moderation/", {"change": "hide"})
    assert no_reason.status_code == 400
    hidden = fac.post(f"{base}/messages/{mid}/moderation/", {"change": "hide", "reason": "Rule 2"})
    assert hidden.json()["status"] == "hidden"
    assert hidden.json()["body"] == "<b>hi</b> there"  # facilitators still read it
    member_view = b.get(f"{base}/conversations/{cid}/").json()
    assert member_view["messages"][0]["body"] is None
    assert session(cast.outsider).get(f"{base}/conversations/{cid}/").status_code == 404
    fac.patch(f"{base}/groups/{g}/", {"direct_messages_allowed": False}, format="json")
    after = b.get(f"{base}/conversations/{cid}/").json()
    assert after["can_send"] is False
    assert "turned off" in after["cannot_send_reason"]
    refused = b.post(f"{base}/conversations/{cid}/messages/", {"body": "still?"})
    assert refused.status_code == 409
    assert DirectMessage.objects.count() == 2


def test_sending_and_reporting_ask_who_before_the_input(cast: Cast, pair: Any) -> None:
    """Issue 9: the group's facilitator reads every conversation but is in none, so
    sending in one or reporting a message is refused with 404 (and a denied event)
    before the body or the reason is looked at; the members still get the 400."""
    convo = start(cast)
    message = send(cast, cast.member, convo, "Hello")
    api = "/api/v1/space"
    fac = session(cast.facilitator)
    assert fac.get(f"{api}/conversations/{convo.pk}/").status_code == 200  # reads it
    assert fac.post(f"{api}/conversations/{convo.pk}/messages/", {}).status_code == 404
    assert fac.post(f"{api}/conversations/{convo.pk}/messages/", {"body": "Hi"}).status_code == 404
    assert fac.post(f"{api}/messages/{message.pk}/reports/", {}).status_code == 404
    member_b = session(cast.member_b)
    assert member_b.post(f"{api}/conversations/{convo.pk}/messages/", {}).status_code == 400
    assert member_b.post(f"{api}/messages/{message.pk}/reports/", {}).status_code == 400
    http = signed_in(cast.facilitator)
    page = reverse("web:space_conversation", args=[convo.pk])
    assert http.get(page).status_code == 200  # reads it
    assert http.post(page, {"body": ""}).status_code == 404
    assert http.post(page, {"body": "Hi"}).status_code == 404
    report = reverse("web:space_message_report", args=[message.pk])
    assert http.get(report).status_code == 404
    assert http.post(report, {}).status_code == 404
    assert signed_in(cast.member_b).post(page, {"body": ""}).status_code == 400
    assert signed_in(cast.member_b).get(report).status_code == 200
    assert DirectMessage.objects.count() == 1
    assert not MessageReport.objects.exists()
    denied = AuditEvent.objects.filter(actor=cast.facilitator, action__endswith=".denied")
    assert denied.count() == 7  # one per refused request above
