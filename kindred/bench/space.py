"""Post creation throughput in a group space (issue 8), run by the orchestrator on the
full data set after the HTTP phase, as ``python -m kindred.bench.space --out FILE``.

Members of the busiest space (the one with the most posts) reply in its conversations:

- through ``space.services.post_create`` — the checks (paused, muted, locked, display
  name), risk screening of every post, the insert, the thread's ``last_post_at``, the
  audit event, the writer's read marker, and (after commit) the notification to the
  conversation's starter; one in fifty posts holds risk language, which raises a safety
  alert in the same transaction;
- through the page (``POST /space/threads/<id>/`` with Django's test client: the form,
  the access look-ups, the service and the redirect), as a member would.

Posts per second for each, with p50/p95 of one post. Writes into the benchmark's own
database only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from kindred.bench.stats import percentiles

SERVICE_POSTS = 1_000
PAGE_POSTS = 300
#: One post in this many holds risk language (a safety alert each).
RISKY_EVERY = 50
BODIES = (
    "Thank you for sharing this. It helped me to read it today.",
    "I tried the **breathing exercise** again and it worked better the second time.",
    "Same here. Mornings are the hardest part for me too.\n\n- walk\n- tea\n- one small task",
    "Sending strength for the week ahead, everyone.",
)
RISKY = "Some nights I feel like I want to die and I don't know who to tell."


def _writers(space_id: int, group_id: int) -> list[Any]:
    """The space's named members with an active place (accounts switched on: seeded
    accounts are off)."""
    from kindred.accounts.models import User
    from kindred.groups.models import EnrollmentStatus
    from kindred.space.models import DisplayName

    ids = list(
        DisplayName.objects.filter(
            space_id=space_id,
            user__client__enrollments__group_id=group_id,
            user__client__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    User.objects.filter(pk__in=ids, is_active=False).update(is_active=True)
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _body(n: int) -> str:
    return RISKY if n % RISKY_EVERY == RISKY_EVERY - 1 else BODIES[n % len(BODIES)]


def busiest_space() -> tuple[int, int] | None:
    """(space id, group id) of the space with the most posts."""
    from django.db.models import Count

    from kindred.space.models import Post

    found = (
        Post.objects.values("space_id")
        .annotate(n=Count("id"))
        .order_by("-n", "space_id")
        .values_list("space_id", "space__group_id")
        .first()
    )
    return (found[0], found[1]) if found else None


def _open_threads(space_id: int) -> list[Any]:
    from kindred.space.models import Thread

    return list(Thread.objects.filter(space_id=space_id, locked=False).order_by("-id")[:50])


def _reopen(space_id: int) -> None:
    """The benchmark measures writing, so it opens a paused space first."""
    from kindred.space.models import Mute, Space

    Space.objects.filter(pk=space_id).update(paused=False, paused_reason="")
    Mute.objects.filter(space_id=space_id).delete()


def through_services(space_id: int, group_id: int, *, posts: int) -> dict[str, Any]:
    from kindred.measures.models import SafetyAlert
    from kindred.space import services
    from kindred.space.access import get_space_for
    from kindred.space.models import Post

    writers = _writers(space_id, group_id)
    threads = _open_threads(space_id)
    if len(writers) < 2 or not threads:
        return {"skipped": "no space with two named members and an open conversation"}
    access = {w.pk: get_space_for(w, group_id) for w in writers}
    alerts_before = SafetyAlert.objects.count()
    before = Post.objects.count()
    samples: list[float] = []
    started = time.perf_counter()
    for n in range(posts):
        writer = writers[n % len(writers)]
        one = time.perf_counter_ns()
        services.post_create(
            actor=writer, access=access[writer.pk], thread=threads[n % len(threads)], body=_body(n)
        )
        samples.append((time.perf_counter_ns() - one) / 1e6)
    seconds = time.perf_counter() - started
    return {
        "posts": posts,
        "written": Post.objects.count() - before,
        "writers": len(writers),
        "risky_posts": posts // RISKY_EVERY,
        "alerts_raised": SafetyAlert.objects.count() - alerts_before,
        "seconds": round(seconds, 3),
        "posts_per_second": round(posts / seconds, 1) if seconds else None,
        "latency_ms": percentiles(samples),
    }


def through_the_page(space_id: int, group_id: int, *, posts: int) -> dict[str, Any]:
    from kindred.bench.inprocess import signed_in_client
    from kindred.space.models import Post

    writers = _writers(space_id, group_id)
    threads = _open_threads(space_id)
    if len(writers) < 2 or not threads:
        return {"skipped": "no space with two named members and an open conversation"}
    clients = [signed_in_client(w) for w in writers]
    before = Post.objects.count()
    samples: list[float] = []
    errors = 0
    started = time.perf_counter()
    for n in range(posts):
        url = f"/space/threads/{threads[n % len(threads)].pk}/"
        one = time.perf_counter_ns()
        response = clients[n % len(clients)].post(url, {"body": _body(n)}, secure=True)
        samples.append((time.perf_counter_ns() - one) / 1e6)
        errors += response.status_code != 302
    seconds = time.perf_counter() - started
    return {
        "posts": posts,
        "written": Post.objects.count() - before,
        "errors": errors,
        "seconds": round(seconds, 3),
        "posts_per_second": round(posts / seconds, 1) if seconds else None,
        "latency_ms": percentiles(samples),
    }


def measure(*, service_posts: int = SERVICE_POSTS, page_posts: int = PAGE_POSTS) -> dict[str, Any]:
    found = busiest_space()
    if found is None:
        return {"skipped": "no group space in the data (seed_scale's group spaces step)"}
    space_id, group_id = found
    _reopen(space_id)
    # Load the URLconf (the first reverse() imports every view, seconds) before timing.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    return {
        "space_id": space_id,
        "services": through_services(space_id, group_id, posts=service_posts),
        "page": through_the_page(space_id, group_id, posts=page_posts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.bench.space")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--posts", type=int, default=SERVICE_POSTS)
    parser.add_argument("--page-posts", type=int, default=PAGE_POSTS)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    import django

    django.setup()
    result = measure(service_posts=args.posts, page_posts=args.page_posts)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
