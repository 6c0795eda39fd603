"""Milestones for the demo and the scale data set (issue 8).

Demo: detection runs over the demo groups' members (their attendance, answers, goals and
places, seeded before this), then in each group a couple of members share one milestone
through the real service — one with a few words of their own — and the rest stay
suggested, so the member page, the group's list and the space panel all have something
to show. Synthetic text only.

Scale: detection over the scale groups' members in batches (the same set-based code
``manage.py detect_milestones`` runs), without notifications, then about a third of the
suggestions are marked shared in bulk so the group pages have realistic volume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from django.db import transaction

from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.milestones.detection import BATCH, DetectResult, detect
from kindred.milestones.models import Milestone, MilestoneState

if TYPE_CHECKING:
    from kindred.groups.models import TherapyGroup

MESSAGES = (
    "Glad I came, even on the weeks I almost didn't.",
    "Small steps add up. Thank you all for listening.",
    "",
)
#: Members per demo group who share a milestone.
SHARERS_PER_GROUP = 2


def _client_ids(group_ids: Sequence[int]) -> list[int]:
    return sorted(
        set(
            Enrollment.objects.filter(
                group_id__in=list(group_ids),
                status__in=(EnrollmentStatus.ACTIVE, EnrollmentStatus.GRADUATED),
            ).values_list("client_id", flat=True)
        )
    )


def seed_demo_milestones(groups: Sequence[TherapyGroup], seed: int) -> int:
    """Detect the demo members' milestones and share a couple per group. Returns how many
    milestones there are for these groups afterwards. Safe to run twice."""
    from kindred.milestones.services import milestone_share

    rng = Random(seed)  # noqa: S311 — demo data, not secrets
    group_ids = [g.pk for g in groups]
    detect(_client_ids(group_ids), within_days=None)
    for group_id in group_ids:
        if Milestone.objects.filter(group_id=group_id, state=MilestoneState.SHARED).exists():
            continue  # already seeded
        candidates = list(
            Milestone.objects.filter(
                group_id=group_id,
                state=MilestoneState.SUGGESTED,
                client__user__isnull=False,
                client__enrollments__group_id=group_id,
                client__enrollments__status=EnrollmentStatus.ACTIVE,
            )
            .select_related("client__user", "group")
            .order_by("client_id", "happened_at", "pk")
        )
        chosen: dict[int, Milestone] = {}
        for milestone in candidates:
            chosen.setdefault(milestone.client_id, milestone)
        picks = sorted(chosen.values(), key=lambda m: m.client_id)
        rng.shuffle(picks)
        for i, milestone in enumerate(picks[:SHARERS_PER_GROUP]):
            user = milestone.client.user
            if user is None:  # filtered above
                continue
            milestone_share(actor=user, milestone=milestone, message=MESSAGES[i % len(MESSAGES)])
    return Milestone.objects.filter(group_id__in=group_ids).count()


def seed_scale_milestones(
    group_ids: Sequence[int],
    *,
    now: datetime,
    seed: int,
    batch_size: int = BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Detect milestones for the scale groups' members (batches of ``BATCH`` clients, a
    fixed number of queries each), then share about a third. Returns rows written."""
    rng = Random(seed)  # noqa: S311 — demo data, not secrets
    seen = 0

    def step(result: DetectResult) -> None:
        nonlocal seen
        if progress is not None:
            progress(result.total_created - seen)
        seen = result.total_created

    result = detect(_client_ids(group_ids), now=now, notify=False, progress=step)
    rows = list(
        Milestone.objects.filter(group_id__in=list(group_ids), state=MilestoneState.SUGGESTED)
        .order_by("pk")
        .values_list("pk", "happened_at")
    )
    picked = [
        Milestone(
            pk=pk,
            state=MilestoneState.SHARED,
            shared_at=min(now, happened_at + timedelta(days=1)),
            state_changed_at=min(now, happened_at + timedelta(days=1)),
            message=MESSAGES[rng.randrange(len(MESSAGES))],
        )
        for pk, happened_at in rows
        if rng.random() < 1 / 3
    ]
    for start in range(0, len(picked), batch_size):
        with transaction.atomic():
            Milestone.objects.bulk_update(
                picked[start : start + batch_size],
                ["state", "shared_at", "state_changed_at", "message"],
            )
    return result.total_created
