"""Sharing, keeping private and hiding milestones: who may, bad input, risk language
into a safety alert, audit events, and that a score never reaches the group."""

from __future__ import annotations

from typing import Any

import pytest

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_graduate, enrollment_withdraw
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.milestones import selectors, services
from kindred.milestones.detection import detect
from kindred.milestones.models import MESSAGE_MAX, Milestone, MilestoneKind, MilestoneState
from kindred.milestones.tests.support import improved, sessions, shared_first_session
from kindred.space import services as space_services
from kindred.space.access import get_space_for


def first_session(cast: Cast) -> Milestone:
    sessions(cast.client, cast.group_a, 1)
    detect([cast.client.pk])
    return services.own_milestone(cast.member, Milestone.objects.get(client=cast.client).pk)


def actions(**filters: Any) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).values_list("action", flat=True))


def test_share_with_a_message_is_audited_without_the_words(cast: Cast) -> None:
    milestone = first_session(cast)
    shared = services.milestone_share(
        actor=cast.member, milestone=milestone, message="  It was easier than I feared.  "
    )
    assert shared.state == MilestoneState.SHARED
    assert shared.shared_at is not None
    assert shared.message == "It was easier than I feared."
    event = AuditEvent.objects.get(action="milestones.milestone.shared")
    assert event.client_id == cast.client.pk
    assert "feared" not in str(event.detail)
    with pytest.raises(Conflict):
        services.milestone_share(actor=cast.member, milestone=shared, message="again")


def test_nobody_else_reaches_a_members_milestone(cast: Cast) -> None:
    milestone = first_session(cast)
    for person in (cast.member_b, cast.facilitator, cast.admin, cast.outsider):
        with pytest.raises(NotFound):
            services.own_milestone(person, milestone.pk)
    with pytest.raises(NotFound):
        services.own_milestone(cast.member, "nonsense")
    assert len(actions(action="milestones.milestone.denied")) == 5


def test_too_long_a_message_changes_nothing(cast: Cast) -> None:
    milestone = first_session(cast)
    with pytest.raises(ValidationFailed) as caught:
        services.milestone_share(actor=cast.member, milestone=milestone, message="x" * 501)
    assert "501 characters" in caught.value.message
    assert caught.value.field == "message"
    milestone.refresh_from_db()
    assert milestone.state == MilestoneState.SUGGESTED
    assert services.milestone_share(
        actor=cast.member, milestone=milestone, message="y" * MESSAGE_MAX
    ).is_shared


def test_risk_language_raises_an_alert_in_the_same_transaction(cast: Cast) -> None:
    milestone = first_session(cast)
    shared = services.milestone_share(
        actor=cast.member, milestone=milestone, message="Some nights I want to die."
    )
    assert shared.risk_flagged
    alert = SafetyAlert.objects.get(flag_code=f"milestones.share.{shared.pk}")
    assert alert.source == AlertSource.RISK_LANGUAGE
    assert alert.client_id == cast.client.pk
    assert alert.group_id == cast.group_a.pk
    calm = shared_first_session(cast.client_b, cast.group_a, message="Glad I came.")
    assert not calm.risk_flagged
    assert not SafetyAlert.objects.filter(flag_code=f"milestones.share.{calm.pk}").exists()


def test_leaving_the_group_stops_sharing_but_a_recent_graduate_may(cast: Cast) -> None:
    milestone = first_session(cast)
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=None, enrollment=enrollment, reason="Moved away")
    with pytest.raises(InvalidState) as caught:
        services.milestone_share(actor=cast.member, milestone=milestone)
    assert "no longer a member of Steady Ground" in caught.value.message

    enrollment_b = Enrollment.objects.get(client=cast.client_b, group=cast.group_a)
    enrollment_graduate(actor=None, enrollment=enrollment_b)
    detect([cast.client_b.pk])
    graduation = Milestone.objects.get(client=cast.client_b, kind=MilestoneKind.GRADUATION)
    assert services.milestone_share(actor=cast.member_b, milestone=graduation).is_shared


def test_dismiss_keeps_it_private_and_it_can_be_shared_later(cast: Cast) -> None:
    milestone = first_session(cast)
    kept = services.milestone_dismiss(actor=cast.member, milestone=milestone)
    assert kept.state == MilestoneState.DISMISSED
    assert "milestones.milestone.dismissed" in actions(client_id=cast.client.pk)
    assert services.milestone_share(actor=cast.member, milestone=kept).is_shared
    with pytest.raises(InvalidState):
        services.milestone_dismiss(actor=cast.member, milestone=kept)


def test_facilitator_hides_and_restores_members_do_not_see_hidden(cast: Cast) -> None:
    shared = shared_first_session(cast.client, cast.group_a, message="Hello all")
    for person in (cast.member, cast.member_b, cast.facilitator_b, cast.admin):
        with pytest.raises(NotFound):
            services.facilitated_milestone(person, shared.pk)
    milestone = services.facilitated_milestone(cast.facilitator, shared.pk)
    with pytest.raises(ValidationFailed):
        services.milestone_hide(actor=cast.facilitator, milestone=milestone, reason="  ")
    hidden = services.milestone_hide(
        actor=cast.facilitator, milestone=milestone, reason="Names another member"
    )
    assert hidden.hidden
    assert hidden.message == "Hello all"  # kept
    group_id = cast.group_a.pk
    assert selectors.shared_for_group(group_id, actor=cast.member_b, facilitator=False) == []
    rows = selectors.shared_for_group(group_id, actor=cast.facilitator, facilitator=True)
    assert [(r.hidden, r.moderation_reason) for r in rows] == [(True, "Names another member")]
    with pytest.raises(Conflict):
        services.milestone_hide(actor=cast.facilitator, milestone=hidden, reason="again")
    services.milestone_restore(actor=cast.facilitator, milestone=hidden)
    assert len(selectors.shared_for_group(group_id, actor=cast.member_b, facilitator=False)) == 1
    assert {"milestones.milestone.hidden", "milestones.milestone.restored"} <= set(
        actions(actor=cast.facilitator)
    )


def test_a_shared_improvement_says_only_marked_a_milestone(cast: Cast) -> None:
    improved(cast.client, cast.group_a, 21, 5)
    detect([cast.client.pk])
    milestone = Milestone.objects.get(client=cast.client, kind=MilestoneKind.RELIABLE_IMPROVEMENT)
    space_services.display_name_set(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk), name="Sky"
    )
    services.milestone_share(actor=cast.member, milestone=milestone)
    (row,) = selectors.shared_for_group(cast.group_a.pk, actor=cast.member_b, facilitator=False)
    assert (row.name, row.label, row.message) == ("Sky", "marked a milestone", "")
    shown = " ".join((row.name, row.label, row.message, row.moderation_reason))
    assert not any(ch.isdigit() for ch in shown)
    for leaked in ("PHQ", "answer", "score", "improve", "questionnaire"):
        assert leaked not in shown


def test_without_a_space_name_the_group_reads_a_group_member(cast: Cast) -> None:
    shared_first_session(cast.client, cast.group_a)
    (row,) = selectors.shared_for_group(cast.group_a.pk, actor=None, facilitator=False)
    assert (row.name, row.label) == ("A group member", "came to their first session")
    assert "Avery" not in row.name


def test_the_member_can_stop_sharing(cast: Cast) -> None:
    shared = shared_first_session(cast.client, cast.group_a, message="Hi")
    with pytest.raises(NotPermitted):
        services.milestone_unshare(actor=cast.member_b, milestone=shared)
    back = services.milestone_unshare(actor=cast.member, milestone=shared)
    assert back.state == MilestoneState.DISMISSED
    assert back.shared_at is None
    assert selectors.shared_for_group(cast.group_a.pk, actor=None, facilitator=True) == []
    assert "milestones.milestone.unshared" in actions(actor=cast.member)
    with pytest.raises(InvalidState):
        services.milestone_unshare(actor=cast.member, milestone=back)
    assert services.milestone_share(actor=cast.member, milestone=back).is_shared
