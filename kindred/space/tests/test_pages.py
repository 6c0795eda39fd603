"""The group space's pages: who gets in, writing, crisis resources, moderation, polling,
and constant query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast, signed_in
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_graduate
from kindred.measures.models import SafetyAlert
from kindred.space import services
from kindred.space.access import get_space_for
from kindred.space.models import POST_MAX, Post, PostStatus, Thread


def name(cast: Cast, user: Any, label: str) -> Any:
    services.display_name_set(actor=user, access=get_space_for(user, cast.group_a.pk), name=label)
    return get_space_for(user, cast.group_a.pk)


@pytest.fixture
def named(cast: Cast) -> tuple[Any, Any]:
    return name(cast, cast.member, "Sky"), name(cast, cast.member_b, "River")


def test_first_visit_asks_for_a_display_name(cast: Cast) -> None:
    http = signed_in(cast.member)
    url = reverse("web:space", args=[cast.group_a.pk])
    response = http.get(url)
    assert response.status_code == 302
    assert reverse("web:space_display_name", args=[cast.group_a.pk]) in response["Location"]
    response = http.post(response["Location"], {"name": "Sky"})
    assert response.status_code == 302
    assert response["Location"] == url
    page = http.get(url)
    assert page.status_code == 200
    assert "Sky" in page.content.decode()


@pytest.mark.parametrize(
    "who", ["outsider", "facilitator_b", "admin", "coordinator", "supervisor", "billing"]
)
def test_others_get_404_and_a_denied_event(cast: Cast, who: str) -> None:
    http = signed_in(getattr(cast, who))
    before = AuditEvent.objects.filter(action="space.space.denied").count()
    assert http.get(reverse("web:space", args=[cast.group_a.pk])).status_code == 404
    assert http.get(reverse("web:space_moderation", args=[cast.group_a.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="space.space.denied").count() == before + 2


def test_members_cannot_open_moderation(cast: Cast, named: Any) -> None:
    http = signed_in(cast.member)
    assert http.get(reverse("web:space_moderation", args=[cast.group_a.pk])).status_code == 404


def test_a_member_posts_and_the_other_reads_it_inert(cast: Cast, named: Any) -> None:
    http = signed_in(cast.member)
    response = http.post(
        reverse("web:space_thread_new", args=[cast.group_a.pk]),
        {"title": "Hello <b>all</b>", "body": "<script>alert(1)</script> *hi*"},
    )
    assert response.status_code == 302
    post = Post.objects.get()
    page = signed_in(cast.member_b).get(reverse("web:space_thread", args=[post.thread_id]))
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Hello &lt;b&gt;all&lt;/b&gt;" in html
    assert "<em>hi</em>" in html
    assert "Sky" in html
    assert "Avery" not in html  # members see the display name only
    fac = signed_in(cast.facilitator).get(reverse("web:space_thread", args=[post.thread_id]))
    assert cast.member.full_name in fac.content.decode()  # facilitators see who is who


def test_risk_language_shows_crisis_resources_at_once(cast: Cast, named: Any) -> None:
    http = signed_in(cast.member)
    response = http.post(
        reverse("web:space_thread_new", args=[cast.group_a.pk]),
        {"title": "Tonight", "body": "I want to die."},
    )
    post = Post.objects.get()
    assert f"?posted={post.pk}" in response["Location"]
    page = http.get(response["Location"])
    html = page.content.decode()
    assert 'role="alert"' in html
    assert 'href="tel:988"' in html
    assert SafetyAlert.objects.filter(flag_code=f"space.post.{post.pk}").count() == 1
    # Nobody else sees the crisis box by replaying the address.
    other = signed_in(cast.member_b).get(response["Location"]).content.decode()
    assert "space-crisis" not in other
    assert "space-crisis" not in http.get(f"/space/threads/{post.thread_id}/").content.decode()


def test_oversized_post_keeps_the_text_with_a_specific_message(cast: Cast, named: Any) -> None:
    http = signed_in(cast.member)
    body = "word " * (POST_MAX // 5 + 10)
    response = http.post(
        reverse("web:space_thread_new", args=[cast.group_a.pk]), {"title": "Long", "body": body}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "at most 5,000" in html
    assert body.strip() in html  # nothing lost
    assert Post.objects.count() == 0


def test_reporting_ones_own_post_and_reacting_twice(cast: Cast, named: Any) -> None:
    a, _b = named
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    http = signed_in(cast.member)
    response = http.post(reverse("web:space_report", args=[post.pk]), {"reason": "hurtful"})
    assert response.status_code == 400
    assert "your own post" in response.content.decode()
    other = signed_in(cast.member_b)
    url = reverse("web:space_react", args=[post.pk])
    other.post(url, {"kind": "with_you"})
    other.post(url, {"kind": "with_you"})
    page = other.get(reverse("web:space_thread", args=[post.thread_id]))
    assert "already reacted" in page.content.decode()


def test_posting_after_leaving_gets_a_specific_page(cast: Cast, named: Any) -> None:
    a, _b = named
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_graduate(actor=cast.coordinator, enrollment=enrollment)
    http = signed_in(cast.member)
    assert http.get(reverse("web:space_thread", args=[post.thread_id])).status_code == 404
    response = http.post(reverse("web:space_thread", args=[post.thread_id]), {"body": "Hi?"})
    assert response.status_code == 409
    assert "no longer a member" in response.content.decode()
    assert Post.objects.count() == 1


def test_paused_space_shows_why_and_offers_no_reply_box(cast: Cast, named: Any) -> None:
    a, _b = named
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    services.space_pause(actor=cast.facilitator, access=fac, reason="Back in January")
    http = signed_in(cast.member_b)
    page = http.get(reverse("web:space_thread", args=[post.thread_id])).content.decode()
    assert "The space is paused" in page
    assert "Post reply" not in page
    response = http.post(reverse("web:space_thread", args=[post.thread_id]), {"body": "Hi"})
    assert "Back in January" in response.content.decode()


def test_facilitator_moderates_from_the_pages(cast: Cast, named: Any) -> None:
    a, _b = named
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Name and address")
    http = signed_in(cast.facilitator)
    response = http.post(
        reverse("web:space_post_moderate", args=[post.pk]),
        {"action": "hide", "reason": "Shares an address"},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.HIDDEN
    http.post(reverse("web:space_thread_moderate", args=[post.thread_id]), {"pinned": "1"})
    assert Thread.objects.get().pinned
    response = http.post(
        reverse("web:space_moderation", args=[cast.group_a.pk]),
        {"moderation": "pre", "office_hours": "Weekdays", "rules": "Be kind"},
    )
    assert response.status_code == 302
    page = http.get(reverse("web:space_moderation", args=[cast.group_a.pk])).content.decode()
    assert "Shares an address" not in page or "Hidden posts" in page
    assert "Sky" in page
    http.post(
        reverse("web:space_mute", args=[cast.group_a.pk]),
        {"user": cast.member_b.pk, "days": 3, "reason": "A break"},
    )
    assert services.active_mute(fac_space(cast), cast.member_b) is not None


def fac_space(cast: Cast) -> Any:
    return get_space_for(cast.facilitator, cast.group_a.pk).space


def test_polling_returns_only_newer_posts(cast: Cast, named: Any) -> None:
    a, b = named
    post = services.thread_create(actor=cast.member, access=a, title="T", body="first")
    http = signed_in(cast.member)
    url = reverse("web:space_thread_poll", args=[post.thread_id])
    assert http.get(url).status_code == 302  # without htmx: the page
    reply = services.post_create(actor=cast.member_b, access=b, thread=post.thread, body="second")
    fragment = http.get(f"{url}?after={post.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert "second" in fragment
    assert "first" not in fragment
    assert f"after={reply.pk}" in fragment
    threads = http.get(reverse("web:space_threads", args=[cast.group_a.pk]), HTTP_HX_REQUEST="true")
    assert threads.status_code == 200


def _fill(cast: Cast, a: Any, b: Any, threads: int, posts: int) -> Thread:
    first = None
    for t in range(threads):
        opening = services.thread_create(actor=cast.member, access=a, title=f"T{t}", body="hi")
        first = first or opening.thread
        for p in range(posts):
            services.post_create(actor=cast.member_b, access=b, thread=opening.thread, body=f"{p}")
    assert first is not None
    return first


@pytest.mark.parametrize("who", ["member", "facilitator"])
def test_space_and_thread_pages_use_constant_queries(
    cast: Cast, named: Any, who: str, django_assert_max_num_queries: Any
) -> None:
    a, b = named
    thread = _fill(cast, a, b, threads=5, posts=1)
    http = signed_in(getattr(cast, who))
    space_url = reverse("web:space", args=[cast.group_a.pk])
    http.get(space_url)  # warm the session and the read markers
    http.get(reverse("web:space_thread", args=[thread.pk]))
    counts = {}
    with django_assert_max_num_queries(30) as small_space:
        http.get(space_url)
    with django_assert_max_num_queries(30) as small_thread:
        http.get(reverse("web:space_thread", args=[thread.pk]))
    counts["small"] = (len(small_space), len(small_thread))
    _fill(cast, a, b, threads=10, posts=4)
    for _ in range(45):
        services.post_create(actor=cast.member_b, access=b, thread=thread, body="more")
    assert Post.objects.filter(thread=thread).count() >= 47
    with django_assert_max_num_queries(30) as big_space:
        http.get(space_url)
    with django_assert_max_num_queries(30) as big_thread:
        http.get(reverse("web:space_thread", args=[thread.pk]))
    counts["big"] = (len(big_space), len(big_thread))
    assert counts["small"] == counts["big"], counts


def test_links_from_the_member_home_and_the_group_page(cast: Cast) -> None:
    space_url = reverse("web:space", args=[cast.group_a.pk])
    home = signed_in(cast.member).get(reverse("web:member_home")).content.decode()
    assert space_url in home
    group_url = reverse("web:group_detail", args=[cast.group_a.pk])
    assert space_url in signed_in(cast.facilitator).get(group_url).content.decode()
    # An admin sees the group page but the space is not theirs: no link.
    assert space_url not in signed_in(cast.admin).get(group_url).content.decode()


def test_the_alert_says_where_it_came_from(cast: Cast, named: Any) -> None:
    a, _b = named
    post = services.thread_create(actor=cast.member, access=a, title="T", body="I cut myself")
    alert = SafetyAlert.objects.get(flag_code=f"space.post.{post.pk}")
    page = signed_in(cast.facilitator).get(reverse("web:alert_detail", args=[alert.pk]))
    assert "group&#x27;s space" in page.content.decode() or "group's space" in page.content.decode()
    assert "cut" not in page.content.decode().split("<main", 1)[1]


def test_html_in_every_other_text_is_refused_or_inert(cast: Cast, named: Any) -> None:
    """The issue's bad input: HTML and script in any text — display names are refused
    with a specific message; rules, office hours, pause and mute reasons and report
    notes are shown as text (or sanitised Markdown), never run."""
    a, _b = named
    member = signed_in(cast.member)
    refused = member.post(
        reverse("web:space_display_name", args=[cast.group_a.pk]), {"name": "<script>x"}
    )
    assert "Use letters, numbers, spaces" in refused.content.decode()
    fac_access = get_space_for(cast.facilitator, cast.group_a.pk)
    script = "<script>alert(1)</script>"
    services.space_settings_update(
        actor=cast.facilitator,
        access=fac_access,
        moderation="post",
        direct_messages_allowed=False,
        office_hours=f"Mornings {script}",
        rules=f"- be kind {script}\n- [x](javascript:alert(1))",
    )
    post = services.thread_create(actor=cast.member, access=a, title="T", body="Hello")
    services.report_create(
        actor=cast.member_b,
        access=get_space_for(cast.member_b, cast.group_a.pk),
        post=post,
        reason="other",
        note=f"Note {script}",
    )
    services.mute_create(
        actor=cast.facilitator, access=fac_access, user=cast.member_b, days=1, reason=script
    )
    services.space_pause(actor=cast.facilitator, access=fac_access, reason=f"Paused {script}")
    pages = [
        member.get(reverse("web:space", args=[cast.group_a.pk])),
        signed_in(cast.member_b).post(
            reverse("web:space_thread", args=[post.thread_id]), {"body": "Hi"}
        ),
        signed_in(cast.facilitator).get(reverse("web:space_moderation", args=[cast.group_a.pk])),
    ]
    for page in pages:
        html = page.content.decode()
        assert script not in html
        assert 'href="javascript' not in html
    assert "&lt;script&gt;" in pages[0].content.decode()
    assert "&lt;script&gt;" in pages[2].content.decode()
    # Posting while paused: the specific message, and nothing written.
    assert "Paused" in pages[1].content.decode()
    assert Post.objects.count() == 1


def test_a_long_conversation_pages_and_reading_back_keeps_the_marker(
    cast: Cast, named: Any
) -> None:
    from django.utils import timezone

    from kindred.space.models import ReadMarker
    from kindred.space.selectors import POSTS_PAGE

    a, _b = named
    first = services.thread_create(actor=cast.member, access=a, title="Long", body="Post 0")
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            space=first.space,
            thread=first.thread,
            author=cast.member,
            body=f"Post {n}",
            created_at=now,
        )
        for n in range(1, POSTS_PAGE * 2 + 5)
    )
    http = signed_in(cast.member_b)
    url = reverse("web:space_thread", args=[first.thread_id])
    page = http.get(url).content.decode()
    assert f"Post {POSTS_PAGE * 2 + 4}<" in page
    assert "Post 0<" not in page
    assert page.count('class="card space-post') == POSTS_PAGE
    newest = ReadMarker.objects.get(thread=first.thread, user=cast.member_b).last_read_post_id
    earliest_shown = newest - POSTS_PAGE + 1
    assert f"?before={earliest_shown}" in page
    older = http.get(f"{url}?before={earliest_shown}").content.decode()
    assert f"Post {POSTS_PAGE + 4}<" in older
    assert f"Post {POSTS_PAGE * 2 + 4}<" not in older
    assert "Back to the newest posts" in older
    oldest = http.get(f"{url}?before={earliest_shown - POSTS_PAGE}").content.decode()
    assert "Post 0<" in oldest
    assert "Show earlier posts" not in oldest
    # Reading back never moves the read marker back.
    assert ReadMarker.objects.get(thread=first.thread, user=cast.member_b).last_read_post_id == (
        newest
    )
