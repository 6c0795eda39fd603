"""The group space's services: access, posting, bad input, moderation, risk → alert."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.notifications.models import Notification
from kindred.space import selectors, services
from kindred.space.access import SpaceRole, get_post_for, get_space_for, get_thread_for
from kindred.space.models import POST_MAX, ModerationMode, Post, PostStatus, Reaction


def named(cast: Cast, user: Any, name: str) -> Any:
    access = get_space_for(user, cast.group_a.pk)
    services.display_name_set(actor=user, access=access, name=name)
    return get_space_for(user, cast.group_a.pk)


@pytest.fixture
def a(cast: Cast) -> Any:
    return named(cast, cast.member, "Sky")


@pytest.fixture
def b(cast: Cast) -> Any:
    return named(cast, cast.member_b, "River")


@pytest.fixture
def fac(cast: Cast) -> Any:
    return get_space_for(cast.facilitator, cast.group_a.pk)


def audit_actions(**filters: Any) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).values_list("action", flat=True))


# --- who sees the space ------------------------------------------------------------------


def test_only_active_members_and_facilitators_see_the_space(cast: Cast) -> None:
    assert get_space_for(cast.member, cast.group_a.pk).role == SpaceRole.MEMBER
    assert get_space_for(cast.facilitator, cast.group_a.pk).role == SpaceRole.FACILITATOR
    for person in (
        cast.outsider,
        cast.facilitator_b,
        cast.admin,
        cast.coordinator,
        cast.supervisor,
        cast.billing,
    ):
        before = AuditEvent.objects.filter(action="space.space.denied").count()
        with pytest.raises(NotFound):
            get_space_for(person, cast.group_a.pk)
        assert AuditEvent.objects.filter(action="space.space.denied").count() == before + 1
    with pytest.raises(NotFound):
        get_space_for(cast.member, "nonsense")


def test_threads_and_posts_of_another_group_are_404(cast: Cast, a: Any) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="Hello", body="Hi all")
    with pytest.raises(NotFound):
        get_thread_for(cast.outsider, post.thread_id)
    with pytest.raises(NotFound):
        get_post_for(cast.outsider, post.pk)
    with pytest.raises(NotFound):
        get_post_for(cast.admin, post.pk)
    assert AuditEvent.objects.filter(action="space.post.denied").count() == 2


# --- display names -----------------------------------------------------------------------


def test_display_names_are_unique_in_the_group_and_required_to_post(cast: Cast, a: Any) -> None:
    access_b = get_space_for(cast.member_b, cast.group_a.pk)
    with pytest.raises(InvalidState) as missing:
        services.thread_create(actor=cast.member_b, access=access_b, title="x", body="y")
    assert missing.value.code == "display_name_required"
    with pytest.raises(ValidationFailed) as taken:
        services.display_name_set(actor=cast.member_b, access=access_b, name="sky")
    assert "already uses that name" in taken.value.errors["name"][0]
    with pytest.raises(ValidationFailed):
        services.display_name_set(actor=cast.member_b, access=access_b, name="<b>x</b>")
    with pytest.raises(NotPermitted):
        services.display_name_set(
            actor=cast.facilitator,
            access=get_space_for(cast.facilitator, cast.group_a.pk),
            name="Boss",
        )


def test_members_see_each_other_by_display_name_and_facilitators_see_who_is_who(
    cast: Cast, a: Any, b: Any, fac: Any
) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="Hello", body="Hi")
    rows, _more = selectors.thread_posts(b, cast.member_b, post.thread)
    assert rows[0].author is not None
    assert rows[0].author.label == "Sky"
    assert rows[0].author.real_name == ""
    rows, _more = selectors.thread_posts(fac, cast.facilitator, post.thread)
    assert rows[0].author is not None
    assert rows[0].author.real_name == cast.member.full_name


# --- posting and bad input ---------------------------------------------------------------


def test_a_post_is_stored_byte_exact_and_rendered_inert(cast: Cast, a: Any, b: Any) -> None:
    body = 'Hi <script>alert("x")</script> **bold** [link](javascript:alert(1))\r\n\ttabs '
    post = services.thread_create(actor=cast.member, access=a, title="T", body=body)
    post.refresh_from_db()
    assert post.body == body
    rows, _more = selectors.thread_posts(b, cast.member_b, post.thread)
    html = str(rows[0].html)
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html  # left as inert text
    assert "<strong>bold</strong>" in html
    assert "space.post.created" in audit_actions()


def test_oversized_and_empty_posts_are_refused_with_a_specific_message(cast: Cast, a: Any) -> None:
    with pytest.raises(ValidationFailed) as too_long:
        services.thread_create(actor=cast.member, access=a, title="T", body="x" * (POST_MAX + 1))
    assert "at most 5,000" in too_long.value.errors["body"][0]
    assert "still here" in too_long.value.errors["body"][0]
    with pytest.raises(ValidationFailed) as empty:
        services.thread_create(actor=cast.member, access=a, title="", body="   ")
    assert set(empty.value.errors) == {"title", "body"}
    assert Post.objects.count() == 0


def test_posting_to_a_group_one_has_left(cast: Cast, a: Any) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    with pytest.raises(NotFound):
        get_space_for(cast.member, cast.group_a.pk)  # reading: the space is gone for them
    former, thread = get_thread_for(cast.member, post.thread_id, allow_former=True)
    assert former.role == SpaceRole.FORMER
    with pytest.raises(InvalidState) as left:
        services.post_create(actor=cast.member, access=former, thread=thread, body="Still here?")
    assert left.value.code == "left_group"
    assert "no longer a member" in left.value.message
    assert Post.objects.count() == 1


def test_paused_space_and_muted_member_get_specific_messages(
    cast: Cast, a: Any, b: Any, fac: Any
) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    services.space_pause(actor=cast.facilitator, access=fac, reason="Between runs")
    paused = get_space_for(cast.member, cast.group_a.pk)
    with pytest.raises(InvalidState) as exc:
        services.post_create(actor=cast.member, access=paused, thread=post.thread, body="Hi")
    assert exc.value.code == "paused"
    assert "Between runs" in exc.value.message
    services.space_resume(
        actor=cast.facilitator, access=get_space_for(cast.facilitator, cast.group_a.pk)
    )

    services.mute_create(
        actor=cast.facilitator, access=fac, user=cast.member_b, days=2, reason="Cooling off"
    )
    with pytest.raises(InvalidState) as muted:
        services.post_create(
            actor=cast.member_b, access=get_space_for(cast.member_b, cast.group_a.pk),
            thread=post.thread, body="Hi",
        )  # fmt: skip
    assert muted.value.code == "muted"
    assert "Cooling off" in muted.value.message
    # The other member is not muted.
    services.post_create(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk),
        thread=post.thread, body="Hi again",
    )  # fmt: skip
    actions = audit_actions()
    assert {"space.space.paused", "space.space.resumed", "space.mute.created"} <= set(actions)


def test_locked_thread_refuses_member_replies(cast: Cast, a: Any, fac: Any) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    services.thread_set_flags(actor=cast.facilitator, access=fac, thread=post.thread, locked=True)
    post.thread.refresh_from_db()
    with pytest.raises(InvalidState) as exc:
        services.post_create(actor=cast.member, access=a, thread=post.thread, body="More")
    assert exc.value.code == "locked"
    services.post_create(actor=cast.facilitator, access=fac, thread=post.thread, body="Closing.")


# --- reactions and reports ---------------------------------------------------------------


def test_reacting_twice_and_reporting_ones_own_post(cast: Cast, a: Any, b: Any) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    services.reaction_add(actor=cast.member_b, access=b, post=post, kind="with_you")
    with pytest.raises(Conflict) as twice:
        services.reaction_add(actor=cast.member_b, access=b, post=post, kind="with_you")
    assert "already reacted" in twice.value.message
    services.reaction_add(actor=cast.member_b, access=b, post=post, kind="me_too")
    assert Reaction.objects.filter(post=post).count() == 2
    with pytest.raises(ValidationFailed):
        services.reaction_add(actor=cast.member_b, access=b, post=post, kind="angry")

    with pytest.raises(ValidationFailed) as own:
        services.report_create(actor=cast.member, access=a, post=post, reason="hurtful")
    assert "your own post" in own.value.message
    services.report_create(actor=cast.member_b, access=b, post=post, reason="hurtful")
    with pytest.raises(Conflict) as again:
        services.report_create(actor=cast.member_b, access=b, post=post, reason="hurtful")
    assert "already reported" in again.value.message
    assert {"space.reaction.added", "space.report.created"} <= set(audit_actions())


# --- moderation --------------------------------------------------------------------------


def test_members_cannot_moderate(cast: Cast, a: Any, b: Any) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    with pytest.raises(NotPermitted):
        services.post_hide(actor=cast.member_b, access=b, post=post, reason="no")
    with pytest.raises(NotPermitted):
        services.space_pause(actor=cast.member_b, access=b, reason="no")
    with pytest.raises(NotPermitted):
        services.thread_set_flags(actor=cast.member_b, access=b, thread=post.thread, pinned=True)


def test_hiding_keeps_the_text_and_restoring_brings_it_back(
    cast: Cast, a: Any, b: Any, fac: Any
) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Keep me")
    services.post_hide(actor=cast.facilitator, access=fac, post=post, reason="Names a person")
    post.refresh_from_db()
    assert post.status == PostStatus.HIDDEN
    assert post.body == "Keep me"
    assert post.moderated_by == cast.facilitator
    rows, _more = selectors.thread_posts(b, cast.member_b, post.thread)
    assert rows[0].html is None  # members see that a post was hidden, never its words
    rows, _more = selectors.thread_posts(fac, cast.facilitator, post.thread)
    assert "Keep me" in str(rows[0].html)
    services.post_restore(actor=cast.facilitator, access=fac, post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.VISIBLE
    assert {"space.post.hidden", "space.post.restored"} <= set(audit_actions())


def test_pre_moderation_holds_posts_until_approved(
    cast: Cast, a: Any, b: Any, fac: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.space_settings_update(
        actor=cast.facilitator, access=fac, moderation=ModerationMode.PRE,
        direct_messages_allowed=False, office_hours="Weekdays 9-5", rules="Be kind.",
    )  # fmt: skip
    a = get_space_for(cast.member, cast.group_a.pk)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.thread_create(actor=cast.member, access=a, title="T", body="Waiting")
    assert post.status == PostStatus.PENDING
    assert Notification.objects.filter(user=cast.facilitator, kind="space_pending").count() == 1
    b = get_space_for(cast.member_b, cast.group_a.pk)
    rows, _more = selectors.thread_list(b, cast.member_b)
    assert rows == []  # nobody else sees it yet
    rows, _more = selectors.thread_list(a, cast.member)
    assert [r.thread.pk for r in rows] == [post.thread_id]  # the writer does
    services.post_approve(actor=cast.facilitator, access=fac, post=post)
    rows, _more = selectors.thread_list(b, cast.member_b)
    assert [r.unread for r in rows] == [1]
    assert "space.space.settings_changed" in audit_actions()


def test_a_reply_notifies_the_starter_without_its_words(
    cast: Cast, a: Any, b: Any, django_capture_on_commit_callbacks: Any
) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(actor=cast.member_b, access=b, thread=post.thread, body="Secret words")
    note = Notification.objects.get(user=cast.member, kind="space_reply")
    assert "Secret" not in note.title + note.body
    assert note.url.endswith(f"/space/threads/{post.thread_id}/")


def test_unread_counts_follow_the_read_marker(cast: Cast, a: Any, b: Any) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="one")
    services.post_create(actor=cast.member, access=a, thread=post.thread, body="two")
    rows, _more = selectors.thread_list(b, cast.member_b)
    assert rows[0].unread == 2
    assert rows[0].posts == 2
    latest = Post.objects.filter(thread=post.thread).order_by("-id").first()
    assert latest is not None
    services.thread_mark_read(actor=cast.member_b, thread=post.thread, up_to_post_id=latest.pk)
    rows, _more = selectors.thread_list(b, cast.member_b)
    assert rows[0].unread == 0
    rows, _more = selectors.thread_list(a, cast.member)
    assert rows[0].unread == 0  # one's own posts are never unread
    assert selectors.unread_by_group(cast.member_b, [cast.group_a.pk]) == {}


# --- risk language -----------------------------------------------------------------------


def test_risk_language_raises_an_alert_in_the_same_transaction(cast: Cast, a: Any) -> None:
    post = services.thread_create(
        actor=cast.member, access=a, title="Tonight", body="I want to die, honestly."
    )
    assert post.risk_flagged
    assert post.risk_categories == ["suicidal_ideation"]
    alert = SafetyAlert.objects.get(flag_code=f"space.post.{post.pk}")
    assert alert.source == AlertSource.RISK_LANGUAGE
    assert alert.client_id == cast.client.pk
    assert alert.group_id == cast.group_a.pk
    created = AuditEvent.objects.get(action="space.post.created", object_id=str(post.pk))
    assert created.detail["risk"] is True
    assert "die" not in str(created.detail)  # never the words

    # Both or neither: a failure after the post rolls back its alert too.
    def post_then_fail() -> None:
        with transaction.atomic():
            again = services.post_create(
                actor=cast.member, access=a, thread=post.thread, body="I want to kill myself"
            )
            assert SafetyAlert.objects.filter(flag_code=f"space.post.{again.pk}").exists()
            raise RuntimeError("later failure")

    with pytest.raises(RuntimeError):
        post_then_fail()
    assert Post.objects.count() == 1
    assert SafetyAlert.objects.count() == 1


def test_negated_risk_language_and_facilitator_posts_raise_nothing(
    cast: Cast, a: Any, fac: Any
) -> None:
    post = services.thread_create(actor=cast.member, access=a, title="T", body="I'm not suicidal")
    assert not post.risk_flagged
    services.post_create(
        actor=cast.facilitator, access=fac, thread=post.thread,
        body="If you ever feel you want to die, call 988.",
    )  # fmt: skip
    assert SafetyAlert.objects.count() == 0


def test_risk_under_pre_moderation_waits_and_flags(cast: Cast, fac: Any) -> None:
    services.space_settings_update(
        actor=cast.facilitator, access=fac, moderation="pre",
        direct_messages_allowed=False, office_hours="", rules="",
    )  # fmt: skip
    a = named(cast, cast.member, "Sky")
    post = services.thread_create(actor=cast.member, access=a, title="T", body="I cut myself")
    assert post.status == PostStatus.PENDING
    assert post.risk_categories == ["self_harm"]
    assert SafetyAlert.objects.filter(client=cast.client).count() == 1
    overview = selectors.moderation_overview(fac, cast.facilitator)
    assert [r.post.pk for r in overview.pending] == [post.pk]
    assert [r.post.pk for r in overview.risky] == [post.pk]
    assert "space.space.moderation_viewed" in audit_actions()
