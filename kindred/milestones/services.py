"""Sharing, keeping private and moderating milestones.

Members share or dismiss their own milestones (``own_milestone`` finds one; anyone
else's is a 404 with a denied event). Sharing needs a place in the group: active, or
graduated within ``GRADUATED_SHARE_DAYS`` (so a graduate can still share their
graduation). The member's optional message is screened for risk language
(``kindred.space.risk``); a match raises a SafetyAlert in the same transaction and the
caller shows crisis resources at once (``milestone.risk_flagged``).

Facilitators of the group hide a shared milestone (with a reason) or restore it; the
member's words are kept either way. Every change is audited (ids and fields, never the
words).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.milestones.models import MESSAGE_MAX, REASON_MAX, Milestone, MilestoneState
from kindred.space import risk
from kindred.space.access import get_space_for

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: How long after graduating a member may still share a milestone of that group.
GRADUATED_SHARE_DAYS = 30


def own_milestone(actor: User, milestone_id: object) -> Milestone:
    """One of the member's own milestones (withdrawn ones are not theirs to act on);
    anyone else gets a denied event and 404."""
    pk = _int_or_none(milestone_id)
    milestone = None
    if pk is not None and getattr(actor, "is_member", False) and actor.is_active:
        milestone = (
            Milestone.objects.filter(pk=pk, client__user=actor)
            .exclude(state=MilestoneState.WITHDRAWN)
            .select_related("group", "client")
            .first()
        )
    if milestone is None:
        deny(actor, Milestone, milestone_id)
    return milestone


def facilitated_milestone(actor: User, milestone_id: object) -> Milestone:
    """A shared milestone of a group ``actor`` facilitates; 404 otherwise."""
    pk = _int_or_none(milestone_id)
    row = (
        Milestone.objects.filter(pk=pk or 0, state=MilestoneState.SHARED)
        .values_list("group_id", flat=True)
        .first()
    )
    if row is None:
        deny(actor, Milestone, milestone_id)
    access = get_space_for(actor, row)
    if not access.is_facilitator:
        deny(actor, Milestone, milestone_id)
    return Milestone.objects.select_related("group").get(pk=pk or 0)


def may_share_in(milestone: Milestone) -> bool:
    """Whether the member still has a place in the milestone's group to share it in."""
    recent = timezone.now() - timedelta(days=GRADUATED_SHARE_DAYS)
    return Enrollment.objects.filter(
        Q(status=EnrollmentStatus.ACTIVE)
        | Q(status=EnrollmentStatus.GRADUATED, ended_at__gte=recent),
        client_id=milestone.client_id,
        group_id=milestone.group_id,
    ).exists()


def _clean_message(message: str) -> str:
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise ValidationFailed(
            _(
                "Your message is %(length)d characters long; it can have at most %(max)d. "
                "Shorten it — nothing was shared, and your text is still here."
            )
            % {"length": len(message), "max": MESSAGE_MAX},
            field="message",
        )
    if "\x00" in message:
        raise ValidationFailed(
            _("Your message contains a character we can't store."), field="message"
        )
    return message


def milestone_share(*, actor: User, milestone: Milestone, message: str = "") -> Milestone:
    """Share ``milestone`` with its group: its neutral label, under the member's space
    name, with ``message`` (optional, the member's own words)."""
    message = _clean_message(message)
    if milestone.client.user_id != actor.pk:
        raise NotPermitted(_("Only the member can share their own milestone."))
    if milestone.state == MilestoneState.SHARED:
        raise Conflict(_("You have already shared this milestone with your group."))
    if milestone.state == MilestoneState.WITHDRAWN:
        raise InvalidState(_("This milestone is no longer current, so it can't be shared."))
    if not may_share_in(milestone):
        raise InvalidState(
            _(
                "You are no longer a member of %(group)s, so you can't share with its group "
                "space. It stays here for you."
            )
            % {"group": milestone.group.name},
            code="left_group",
        )
    found = risk.categories(message) if message else []
    now = timezone.now()
    with transaction.atomic():
        updated = Milestone.objects.filter(
            pk=milestone.pk, state__in=(MilestoneState.SUGGESTED, MilestoneState.DISMISSED)
        ).update(
            state=MilestoneState.SHARED,
            shared_at=now,
            state_changed_at=now,
            message=message,
            risk_categories=found,
        )
        if not updated:
            raise Conflict(_("This milestone changed while you were sharing it. Try again."))
        audit_change(
            actor=actor,
            action="milestones.milestone.shared",
            obj=milestone,
            client_id=milestone.client_id,
            changed=["state", "message"],
            detail={"kind": milestone.kind, "message": bool(message), "risk": bool(found)},
        )
        if found:
            from kindred.measures.models import AlertSource
            from kindred.measures.safety import raise_alert

            raise_alert(
                client_id=milestone.client_id,
                group_id=milestone.group_id,
                source=AlertSource.RISK_LANGUAGE,
                flag_code=f"milestones.share.{milestone.pk}",
            )
    milestone.refresh_from_db()
    return milestone


def milestone_dismiss(*, actor: User, milestone: Milestone) -> Milestone:
    """Keep a suggested milestone private (it stays on the member's own list)."""
    if milestone.client.user_id != actor.pk:
        raise NotPermitted(_("Only the member can decide about their own milestone."))
    if milestone.state == MilestoneState.DISMISSED:
        return milestone
    if milestone.state != MilestoneState.SUGGESTED:
        raise InvalidState(
            _("You have already shared this milestone; choose “Stop sharing” instead."),
            code="already_shared",
        )
    now = timezone.now()
    with transaction.atomic():
        updated = Milestone.objects.filter(pk=milestone.pk, state=MilestoneState.SUGGESTED).update(
            state=MilestoneState.DISMISSED, state_changed_at=now
        )
        if not updated:
            raise Conflict(_("This milestone changed in the meantime. Reload and try again."))
        audit_change(
            actor=actor,
            action="milestones.milestone.dismissed",
            obj=milestone,
            client_id=milestone.client_id,
            changed=["state"],
            detail={"kind": milestone.kind},
        )
    milestone.refresh_from_db()
    return milestone


def milestone_unshare(*, actor: User, milestone: Milestone) -> Milestone:
    """The member takes back a milestone they shared: the group no longer sees it and it
    stays on their own list, kept private (their words kept for them)."""
    if milestone.client.user_id != actor.pk:
        raise NotPermitted(_("Only the member can decide about their own milestone."))
    if milestone.state != MilestoneState.SHARED:
        raise InvalidState(_("This milestone is not shared."), code="not_shared")
    now = timezone.now()
    with transaction.atomic():
        updated = Milestone.objects.filter(pk=milestone.pk, state=MilestoneState.SHARED).update(
            state=MilestoneState.DISMISSED, shared_at=None, state_changed_at=now
        )
        if not updated:
            raise Conflict(_("This milestone changed in the meantime. Reload and try again."))
        audit_change(
            actor=actor,
            action="milestones.milestone.unshared",
            obj=milestone,
            client_id=milestone.client_id,
            changed=["state"],
            detail={"kind": milestone.kind},
        )
    milestone.refresh_from_db()
    return milestone


def milestone_hide(*, actor: User, milestone: Milestone, reason: str) -> Milestone:
    """Hide a shared milestone from the group (facilitators; a reason is required)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("Say why, in a few words."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("Keep it under %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
    if not milestone.is_shared:
        raise InvalidState(_("Only a shared milestone can be hidden."))
    if milestone.hidden:
        raise Conflict(_("This milestone is already hidden."))
    now = timezone.now()
    with transaction.atomic():
        updated = Milestone.objects.filter(
            pk=milestone.pk, state=MilestoneState.SHARED, hidden=False
        ).update(hidden=True, moderated_at=now, moderated_by=actor, moderation_reason=reason)
        if not updated:
            raise Conflict(_("This milestone changed in the meantime. Reload and try again."))
        audit_change(
            actor=actor,
            action="milestones.milestone.hidden",
            obj=milestone,
            client_id=milestone.client_id,
            changed=["hidden", "moderation_reason"],
        )
    milestone.refresh_from_db()
    return milestone


def milestone_restore(*, actor: User, milestone: Milestone) -> Milestone:
    """Show a hidden milestone to the group again (facilitators)."""
    if not milestone.hidden:
        raise Conflict(_("This milestone is not hidden."))
    now = timezone.now()
    with transaction.atomic():
        updated = Milestone.objects.filter(pk=milestone.pk, hidden=True).update(
            hidden=False, moderated_at=now, moderated_by=actor
        )
        if not updated:
            raise Conflict(_("This milestone changed in the meantime. Reload and try again."))
        audit_change(
            actor=actor,
            action="milestones.milestone.restored",
            obj=milestone,
            client_id=milestone.client_id,
            changed=["hidden"],
        )
    milestone.refresh_from_db()
    return milestone
