"""Goals seeding: the demo through the real services, the scale set by bulk inserts."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from kindred.clients.services import client_create
from kindred.core.seeding.goals import seed_demo_goals, seed_scale_goals
from kindred.core.seeding.space import seed_demo_space
from kindred.core.testing import Cast
from kindred.goals import selectors
from kindred.goals.models import CheckIn, Goal, GoalStatus, SupportReply
from kindred.groups.services import enrollment_activate, enrollment_invite
from kindred.measures.models import SafetyAlert


def test_seed_demo_goals(cast: Cast) -> None:
    seed_demo_space(groups=[cast.group_a, cast.group_b], seed=7)
    alerts = SafetyAlert.objects.count()
    written = seed_demo_goals([cast.group_a, cast.group_b], 7)
    # Group B has one member with an account: nobody to cheer them on there.
    assert set(Goal.objects.values_list("group_id", flat=True)) == {cast.group_a.pk}
    assert written == Goal.objects.count() + CheckIn.objects.count() + SupportReply.objects.count()
    reached = Goal.objects.get(status=GoalStatus.REACHED)
    assert reached.reached_at is not None
    shared = Goal.objects.filter(shared_with_group=True, status=GoalStatus.ACTIVE).get()
    assert shared.checkins.count() == 4
    assert shared.replies.count() == 2
    assert Goal.objects.filter(shared_with_group=False).count() == 1
    assert SafetyAlert.objects.count() == alerts  # the demo's words hold no risk language
    view = selectors.group_goals(cast.group_a, cast.facilitator)
    assert view.waiting == 1  # the private goal: no check-in this week yet
    # Members see each other under their space names.
    rows = selectors.group_shared_goals(cast.client_b, cast.member_b)[0].rows
    assert {r.owner.label for r in rows if not r.mine} == {"Sky"}


def test_seed_scale_goals_gives_every_goal_an_owner_account(cast: Cast) -> None:
    lone = client_create(
        actor=None,
        legal_first_name="Dana",
        legal_last_name="Scale",
        date_of_birth=date(1980, 1, 1),
        state_of_residence="FL",
    )
    enrollment_activate(
        actor=None, enrollment=enrollment_invite(actor=None, group=cast.group_b, client=lone)
    )
    now = timezone.now()
    first = seed_scale_goals([cast.group_a.pk, cast.group_b.pk], now=now, seed=3, batch_size=5)
    rows = Goal.objects.count() + CheckIn.objects.count() + SupportReply.objects.count()
    lone.refresh_from_db()
    made = 1 if lone.user_id else 0  # an account only when Dana was given a goal
    assert first == rows + made
    assert Goal.objects.exists()
    for goal in Goal.objects.select_related("client"):
        assert goal.client.user_id == goal.user_id
    assert not CheckIn.objects.filter(progress__gt=10).exists()
