"""The space rules other apps share (strategies, goals): who counts as a member, the group
a former member left, a group's space, and "not while paused or muted"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from kindred.core.errors import InvalidState
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.groups.services import enrollment_withdraw
from kindred.space import services
from kindred.space.access import (
    former_member_group,
    get_space_for,
    loaded_space,
    member_client,
    space_of,
)
from kindred.space.models import Mute, Space

PAUSED = "Nothing can be written now."
MUTED = "Muted until %(until)s because %(reason)s."


def test_member_client_is_an_active_members_own_record_only(cast: Cast) -> None:
    assert member_client(cast.member) == cast.client
    assert member_client(cast.member_b) == cast.client_b
    for person in (*cast.staff, None, AnonymousUser()):
        assert member_client(person) is None  # type: ignore[arg-type]
    cast.member.is_active = False
    assert member_client(cast.member) is None


def test_former_member_group_is_only_a_group_whose_place_has_ended(cast: Cast) -> None:
    group = cast.group_a.pk
    assert former_member_group(cast.client, group) is None  # still an active member
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    found = former_member_group(cast.client, group)
    assert found == cast.group_a
    assert former_member_group(cast.client_b, group) is None  # still active there
    assert former_member_group(cast.outsider_client, group) is None  # never held a place
    assert former_member_group(cast.client, cast.group_b.pk) is None


def test_loaded_space_makes_the_space_on_first_use_and_reuses_it(cast: Cast) -> None:
    assert not Space.objects.filter(group=cast.group_a).exists()
    group = TherapyGroup.objects.select_related("space").get(pk=cast.group_a.pk)
    made = loaded_space(group)
    assert made.group_id == cast.group_a.pk
    again = loaded_space(TherapyGroup.objects.select_related("space").get(pk=cast.group_a.pk))
    assert again.pk == made.pk == space_of(cast.group_a).pk
    assert Space.objects.filter(group=cast.group_a).count() == 1


def test_an_open_space_lets_a_member_write(cast: Cast) -> None:
    services.check_not_paused_or_muted(
        cast.member, space_of(cast.group_a), paused=PAUSED, muted=MUTED
    )


def test_a_paused_space_refuses_with_the_callers_words_and_the_reason(cast: Cast) -> None:
    space = space_of(cast.group_a)
    space.paused = True
    space.save(update_fields=["paused"])
    with pytest.raises(InvalidState) as bare:
        services.check_not_paused_or_muted(cast.member, space, paused=PAUSED, muted=MUTED)
    assert bare.value.code == "paused"
    assert bare.value.message == PAUSED  # no reason given: nothing added

    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    space.paused = False
    space.save(update_fields=["paused"])
    services.space_pause(actor=cast.facilitator, access=fac, reason="Between runs")
    space.refresh_from_db()
    with pytest.raises(InvalidState) as reasoned:
        services.check_not_paused_or_muted(cast.member, space, paused=PAUSED, muted=MUTED)
    assert reasoned.value.code == "paused"
    assert reasoned.value.message == f"{PAUSED} The facilitator says: Between runs"


def test_a_muted_member_is_refused_until_the_mute_ends_or_is_lifted(cast: Cast) -> None:
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    mute = services.mute_create(
        actor=cast.facilitator, access=fac, user=cast.member_b, days=2, reason="Cooling off"
    )
    space = fac.space
    with pytest.raises(InvalidState) as muted:
        services.check_not_paused_or_muted(cast.member_b, space, paused=PAUSED, muted=MUTED)
    assert muted.value.code == "muted"
    assert muted.value.message.startswith("Muted until ")
    assert muted.value.message.endswith(" because Cooling off.")
    assert "%(" not in muted.value.message
    # Another member of the same space, and the muted member in another space, may write.
    services.check_not_paused_or_muted(cast.member, space, paused=PAUSED, muted=MUTED)
    services.check_not_paused_or_muted(
        cast.member_b, space_of(cast.group_b), paused=PAUSED, muted=MUTED
    )
    # A mute that has run out, or was lifted, no longer refuses.
    Mute.objects.filter(pk=mute.pk).update(until=timezone.now() - timedelta(seconds=1))
    services.check_not_paused_or_muted(cast.member_b, space, paused=PAUSED, muted=MUTED)
    Mute.objects.filter(pk=mute.pk).update(until=timezone.now() + timedelta(days=1))
    services.mute_lift(actor=cast.facilitator, access=fac, mute=Mute.objects.get(pk=mute.pk))
    services.check_not_paused_or_muted(cast.member_b, space, paused=PAUSED, muted=MUTED)


def test_facilitator_users_are_the_groups_active_lead_and_co_facilitators(cast: Cast) -> None:
    assert services.facilitator_users(cast.group_a) == [cast.facilitator]
    assert cast.facilitator not in services.facilitator_users(cast.group_b)
    cast.group_a.co_facilitators.add(cast.clinician_b)
    both = services.facilitator_users(cast.group_a)
    assert both == sorted([cast.facilitator, cast.facilitator_b], key=lambda user: user.pk)
    cast.facilitator_b.is_active = False
    cast.facilitator_b.save(update_fields=["is_active"])
    assert services.facilitator_users(cast.group_a) == [cast.facilitator]


def test_tell_facilitators_notifies_each_active_facilitator_once(cast: Cast) -> None:
    from kindred.notifications.models import Notification

    cast.group_a.co_facilitators.add(cast.clinician_b, cast.supervisor_clinician)
    cast.supervisor.is_active = False
    cast.supervisor.save(update_fields=["is_active"])
    for _ in range(2):  # the same thing told twice reaches nobody twice
        services.tell_facilitators(
            cast.group_a, kind="space_pending", title="Waiting", url="/x/", dedupe_key="p:7"
        )
    told = Notification.objects.order_by("user_id")
    assert [n.user_id for n in told] == sorted([cast.facilitator.pk, cast.facilitator_b.pk])
    assert {(n.kind, n.title, n.url) for n in told} == {("space_pending", "Waiting", "/x/")}
    assert {n.dedupe_key for n in told} == {f"p:7:{n.user_id}" for n in told}
    services.tell_facilitators(
        cast.group_a, kind="space_pending", title="Another", url="/y/", dedupe_key="p:8"
    )
    assert Notification.objects.count() == 4
