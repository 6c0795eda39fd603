"""Who may see and change which groups and enrollments.

``visible_groups`` is the one place that says which groups a person can see; lists,
look-ups, the client access rule (clients/access.py) and the session rules
(scheduling/access.py) all start from it, so the rule is applied inside the query.

- Admins and coordinators (``VIEW_ALL_GROUPS``): every group.
- Clinicians: the groups they lead or co-facilitate, and groups with a session they
  cover as substitute.
- Supervisors: also the groups their supervisees lead or co-facilitate.
- Members: the groups they hold (or held) a place in — member pages show them only the
  member-facing parts (selectors decide which fields).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotPermitted
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability, Role

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.practice.models import ClinicianProfile


def clinician_of(actor: User | None) -> ClinicianProfile | None:
    """The clinician profile of a signed-in staff member, if they have one."""
    if actor is None or not actor.is_authenticated or not getattr(actor, "is_staff_member", False):
        return None
    return getattr(actor, "clinician", None)


def facilitated_groups_q(clinician_ids: list[int] | QuerySet[ClinicianProfile]) -> Q:
    """Groups led or co-facilitated by these clinicians, or with a session they cover.

    Each branch is its own indexed sub-select rather than a join: joining every session
    of every group to find the few a clinician covers as substitute made this a scan
    of all sessions (100,000 at scale) on every facilitator page."""
    from kindred.scheduling.models import GroupSession

    co_led = TherapyGroup.co_facilitators.through.objects.filter(
        clinicianprofile__in=clinician_ids
    ).values("therapygroup_id")
    covered = GroupSession.objects.filter(substitute_facilitator__in=clinician_ids).values(
        "group_id"
    )
    return Q(lead_facilitator__in=clinician_ids) | Q(pk__in=co_led) | Q(pk__in=covered)


def visible_groups(actor: User | None) -> QuerySet[TherapyGroup]:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return TherapyGroup.objects.none()
    if getattr(actor, "is_member", False):
        client = getattr(actor, "client", None)
        if client is None:
            return TherapyGroup.objects.none()
        return TherapyGroup.objects.filter(
            pk__in=Enrollment.objects.filter(client=client).values("group_id")
        )
    if role_checks.has(actor, Capability.VIEW_ALL_GROUPS):
        return TherapyGroup.objects.all()
    clinician = clinician_of(actor)
    if clinician is None:
        return TherapyGroup.objects.none()
    ids: list[int] = [clinician.pk]
    if role_checks.has_role(actor, Role.SUPERVISOR):
        ids += list(clinician.supervisees.values_list("pk", flat=True))
    return TherapyGroup.objects.filter(
        pk__in=TherapyGroup.objects.filter(facilitated_groups_q(ids)).values("pk")
    )


def get_group_for(actor: User | None, group_id: object, *, write: bool = False) -> TherapyGroup:
    """The group if ``actor`` may see it (else a denied event and 404); with ``write``,
    also whether they may change it (403 if they can see it but not change it)."""
    pk = _int_or_none(group_id)
    group = visible_groups(actor).filter(pk=pk).first() if pk is not None else None
    if group is None:
        deny(actor, TherapyGroup, group_id)
    if write and not role_checks.has(actor, Capability.MANAGE_GROUPS):
        raise NotPermitted(_("You can see this group but not change it."))
    return group


def facilitates(actor: User | None, group: TherapyGroup) -> bool:
    """Does ``actor`` lead or co-facilitate ``group`` (substitutes: see scheduling)?"""
    clinician = clinician_of(actor)
    if clinician is None:
        return False
    if group.lead_facilitator_id == clinician.pk:
        return True
    return group.co_facilitators.filter(pk=clinician.pk).exists()


def get_enrollment_for(
    actor: User | None, enrollment_id: object, *, write: bool = False
) -> Enrollment:
    pk = _int_or_none(enrollment_id)
    enrollment = None
    if pk is not None:
        enrollment = (
            Enrollment.objects.filter(pk=pk, group__in=visible_groups(actor))
            .select_related("group", "client")
            .first()
        )
        # Members see only their own place, never another member's.
        is_member = getattr(actor, "is_member", False)
        if enrollment is not None and is_member and enrollment.client.user_id != actor.pk:  # type: ignore[union-attr]
            enrollment = None
    if enrollment is None:
        deny(actor, Enrollment, enrollment_id)
    if write and not role_checks.has(actor, Capability.MANAGE_GROUPS):
        raise NotPermitted(_("You can see this enrollment but not change it."))
    return enrollment
