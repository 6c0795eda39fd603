"""The group-space benchmark targets (issue 8): their placeholders point at the busiest
space and its longest conversation, the seeded member and the lead sign in, every page
answers within the query budget with the same number of queries at two data sizes, and
the post-creation job writes what it says (alerts included)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kindred.bench import inprocess, run, targets
from kindred.bench import space as space_bench
from kindred.core.seeding.space import seed_scale_space
from kindred.groups.models import GroupStatus
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.space.models import Post, PostStatus, Reaction, ReadMarker, Thread

SPACE = {
    "space",
    "space_facilitator",
    "space_thread",
    "api_space_threads",
    "api_space_thread",
    "space_moderation",
}


def _seed(cast: Any, posts: int) -> None:
    assert cast.group_a.status == GroupStatus.ACTIVE
    seed_scale_space([cast.group_a.pk], posts=posts, now=timezone.now(), seed=3)


def _grow(space_id: int, threads: int, per_thread: int) -> None:
    """More conversations, posts, reactions and read markers in the space (bulk)."""
    first = Post.objects.filter(space_id=space_id).order_by("id").first()
    assert first is not None
    people = list(
        Post.objects.filter(space_id=space_id)
        .order_by("author_id")
        .values_list("author_id", flat=True)
        .distinct()
    )
    now = timezone.now()
    for t in range(threads):
        thread = Thread.objects.create(
            space_id=space_id,
            title=f"More {t}",
            created_by_id=people[t % len(people)],
            created_at=now - timedelta(days=1),
            last_post_at=now - timedelta(minutes=t),
        )
        posts = Post.objects.bulk_create(
            Post(
                space_id=space_id,
                thread=thread,
                author_id=people[n % len(people)],
                body=f"Post {n}",
                created_at=now - timedelta(days=1) + timedelta(minutes=n),
                status=PostStatus.HIDDEN if n % 9 == 8 else PostStatus.VISIBLE,
                moderated_at=now if n % 9 == 8 else None,
            )
            for n in range(per_thread)
        )
        Reaction.objects.bulk_create(
            Reaction(post=p, user_id=people[(i + 1) % len(people)], kind="with_you", created_at=now)
            for i, p in enumerate(posts)
            if p.author_id != people[(i + 1) % len(people)]
        )
        ReadMarker.objects.bulk_create(
            ReadMarker(thread=thread, user_id=u, last_read_post_id=posts[0].pk, updated_at=now)
            for u in people
        )


def _measure(values: dict[str, str], lead: int | None, writer: int | None) -> dict[str, Any]:
    assert lead is not None
    assert writer is not None
    people = {
        "space_facilitator": inprocess.bench_facilitator(lead),
        "space_member": inprocess.space_member(writer),
    }
    chosen = tuple(t for t in targets.TARGETS if t.name in SPACE)
    assert {t.name for t in chosen} == SPACE
    return inprocess.measure(chosen, people=people, values=values, requests=1, warmup=0)


def test_values_point_at_the_busiest_space_and_its_longest_conversation(cast: Any) -> None:
    assert inprocess.space_values() == ({}, None, None)
    _seed(cast, 300)
    values, lead, writer = inprocess.space_values()
    assert values["space_group_id"] == str(cast.group_a.pk)
    longest = min(Thread.objects.all(), key=lambda t: (-t.posts.count(), t.pk))
    assert values["space_thread_id"] == str(longest.pk)
    assert lead == cast.facilitator.pk
    assert writer in {cast.member.pk, cast.member_b.pk}


def test_space_targets_answer_within_budget_with_constant_queries(cast: Any) -> None:
    _seed(cast, 300)
    values, lead, writer = inprocess.space_values()
    small = _measure(values, lead, writer)
    for name, result in small.items():
        assert result.get("status") == 200, (name, result)
        assert result["queries"] <= run.MAX_QUERIES, (name, result["queries"])
    space_id = Post.objects.values_list("space_id", flat=True).first()
    assert space_id is not None
    _grow(space_id, threads=40, per_thread=130)  # the longest thread now pages
    assert Post.objects.count() > 5_000
    values, lead, writer = inprocess.space_values()
    large = _measure(values, lead, writer)
    assert {n: r["queries"] for n, r in large.items()} == {
        n: r["queries"] for n, r in small.items()
    }
    # The long conversation shows a page of posts, not all of them.
    assert large["space_thread"]["bytes"] < 400_000


def test_post_creation_job_writes_every_post_and_raises_the_alerts(cast: Any) -> None:
    assert space_bench.measure(service_posts=5, page_posts=3) == {
        "skipped": "no group space in the data (seed_scale's group spaces step)"
    }
    _seed(cast, 120)
    before = Post.objects.count()
    result = space_bench.measure(service_posts=space_bench.RISKY_EVERY, page_posts=4)
    assert result["services"]["written"] == space_bench.RISKY_EVERY
    assert result["services"]["alerts_raised"] == 1
    assert result["page"]["written"] == 4
    assert result["page"]["errors"] == 0
    assert Post.objects.count() == before + space_bench.RISKY_EVERY + 4
    assert SafetyAlert.objects.filter(source=AlertSource.RISK_LANGUAGE).count() == 1
    assert result["services"]["posts_per_second"] > 0
