"""seed_scale's group spaces (kindred/core/seeding/space.py): spaces for running groups,
display names unique per group, threads whose ``last_post_at`` is their newest visible
post, hidden posts with who hid them, posts waiting in pre-moderated spaces, reactions,
read markers; deterministic; and the pages stay within budget on it."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from kindred.core.seeding.space import LONG_THREAD, scale_display_name, seed_scale_space
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupStatus, TherapyGroup
from kindred.space.models import (
    Conversation,
    DirectMessage,
    DisplayName,
    MessageReport,
    ModerationMode,
    Mute,
    Post,
    PostStatus,
    Reaction,
    ReadMarker,
    Report,
    Space,
    Thread,
)

POSTS = 3_000


def _clear_spaces() -> None:
    """Remove every space row, children first."""
    for model in (
        MessageReport,
        DirectMessage,
        Conversation,
        ReadMarker,
        Reaction,
        Report,
        Mute,
        Post,
        Thread,
        DisplayName,
        Space,
    ):
        model.objects.all().delete()


@pytest.fixture
def seeded(db: None) -> dict[str, Any]:
    call_command("seed_scale", clients=300, batch_size=500, stdout=StringIO())
    # seed_scale has its own "group spaces" step; start again from none so this test
    # measures one call with its own size and seed.
    assert Post.objects.exists()
    _clear_spaces()
    group_ids = list(TherapyGroup.objects.values_list("pk", flat=True))
    ticks: list[int] = []
    written = seed_scale_space(
        group_ids, posts=POSTS, now=timezone.now(), seed=5, batch_size=400, progress=ticks.append
    )
    return {"written": written, "ticks": ticks, "group_ids": group_ids}


def _signature() -> list[tuple[Any, ...]]:
    return list(
        Post.objects.order_by(
            "thread__space__group_id", "thread__title", "created_at", "body"
        ).values_list("thread__space__group_id", "thread__title", "status", "body")[:500]
    )


def test_spaces_posts_and_invariants(seeded: dict[str, Any]) -> None:
    posts = Post.objects.count()
    assert abs(posts - POSTS) < POSTS * 0.05
    assert sum(seeded["ticks"]) == seeded["written"]
    spaces = Space.objects.select_related("group")
    assert spaces.exists()
    assert all(s.group.status == GroupStatus.ACTIVE for s in spaces)
    assert spaces.filter(moderation=ModerationMode.PRE).exists()
    # Display names: every active member of a space's group has one, unique ignoring case.
    for space in spaces:
        names = list(DisplayName.objects.filter(space=space).values_list("name", flat=True))
        assert len({n.casefold() for n in names}) == len(names)
        members = Enrollment.objects.filter(group=space.group, status=EnrollmentStatus.ACTIVE)
        assert len(names) == members.count()
    # last_post_at is the newest visible post (or when the thread began).
    newest = dict(
        Thread.objects.annotate(
            newest=Max("posts__created_at", filter=Q(posts__status=PostStatus.VISIBLE))
        ).values_list("pk", "newest")
    )
    for thread in Thread.objects.all():
        assert thread.last_post_at == (newest[thread.pk] or thread.created_at)
    hidden = Post.objects.filter(status=PostStatus.HIDDEN)
    assert hidden.exists()
    assert not hidden.filter(Q(moderated_at__isnull=True) | Q(moderated_by__isnull=True)).exists()
    pending = Post.objects.filter(status=PostStatus.PENDING)
    assert not pending.exclude(space__moderation=ModerationMode.PRE).exists()
    # Authors are members of the group or its lead; posts belong to their thread's space.
    assert not Post.objects.exclude(space=F("thread__space")).exists()
    # The busiest space holds the longest conversation.
    longest = Thread.objects.annotate(n=Count("posts")).order_by("-n").first()
    assert longest is not None
    assert longest.n == min(LONG_THREAD, POSTS // 30)
    assert Reaction.objects.count() > posts // 10
    assert not Reaction.objects.filter(user=F("post__author")).exists()
    markers = ReadMarker.objects.select_related("thread")
    assert markers.count() > Thread.objects.count()
    marker = markers.first()
    assert marker is not None
    assert Post.objects.filter(pk=marker.last_read_post_id, thread=marker.thread).exists()


def test_deterministic_and_a_second_call_adds_nothing(seeded: dict[str, Any]) -> None:
    first = _signature()
    counts = Counter(Post.objects.values_list("status", flat=True))
    assert seed_scale_space(seeded["group_ids"], posts=POSTS, now=timezone.now(), seed=5) == 0
    _clear_spaces()
    seed_scale_space(seeded["group_ids"], posts=POSTS, now=timezone.now(), seed=5, batch_size=400)
    assert _signature() == first
    assert Counter(Post.objects.values_list("status", flat=True)) == counts


def test_display_names_are_unique_ignoring_case() -> None:
    names = [scale_display_name(i) for i in range(200)]
    assert len({n.casefold() for n in names}) == 200
