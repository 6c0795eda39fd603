"""The demo's group spaces, seeded through the real services."""

from __future__ import annotations

from kindred.core.seeding.space import seed_demo_space
from kindred.core.testing import Cast
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.space.models import (
    DirectMessage,
    DisplayName,
    Post,
    PostStatus,
    Reaction,
    Report,
    Space,
    Thread,
)


def test_seed_demo_space(cast: Cast) -> None:
    written = seed_demo_space(groups=[cast.group_a, cast.group_b], seed=7)
    # group B has one member with an account: no conversation to have there.
    assert written == Post.objects.count() > 5
    assert set(Thread.objects.values_list("space__group_id", flat=True)) == {cast.group_a.pk}
    assert DisplayName.objects.count() == 2
    assert Thread.objects.filter(pinned=True).count() == 1
    assert Reaction.objects.exists()
    assert Report.objects.filter(resolved_at__isnull=True).count() == 1
    hidden = Post.objects.get(status=PostStatus.HIDDEN)
    assert "555-0100" in hidden.body  # kept, never destroyed
    assert SafetyAlert.objects.filter(source=AlertSource.RISK_LANGUAGE).count() == 1
    # Direct messages are on in the first group, with one conversation of two messages.
    assert Space.objects.get(group=cast.group_a).direct_messages_allowed
    assert DirectMessage.objects.count() == 2
    names = set(DisplayName.objects.values_list("name", flat=True))
    assert not names & {cast.member.full_name, cast.member_b.full_name}
