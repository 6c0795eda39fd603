"""Who may read, start and change screenings (CLINICAL.md: screen before admitting).

A screening is clinical. It is read by its screener, by the facilitators of its group
(lead and co-facilitators) and by those who manage groups (``MANAGE_GROUPS``:
coordinators and admins). Members never read one, and neither does anyone else on
staff: not a supervisor as such, not a session's substitute, not billing.

Screening someone needs ``SCREEN_CANDIDATES`` and then:

- with ``MANAGE_GROUPS`` (intake staff): any live group and any client they can see;
  they may name another screener, who must be allowed to screen (a clinician, or
  someone who manages groups);
- otherwise, a clinician who leads or co-facilitates the group: for candidates waiting
  for that group (an open waitlist entry for it) or already holding a place in it. They
  are the screener.

Only the screener records answers and the decision of a draft; a decided screening
never changes (a new screening supersedes it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kindred.accounts.models import User, UserKind
from kindred.clients.access import visible_clients
from kindred.clients.models import Client
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotPermitted
from kindred.groups.access import clinician_of
from kindred.groups.models import SEAT_STATUSES, Enrollment, GroupStatus, TherapyGroup
from kindred.intake.models import OPEN_WAITLIST_STATUSES, Screening, WaitlistEntry
from kindred.practice import roles as role_checks
from kindred.practice.roles import ROLE_CAPABILITIES, Capability

if TYPE_CHECKING:
    from kindred.practice.models import ClinicianProfile

#: Groups a candidate can still be screened for.
SCREENABLE_GROUP_STATUSES = (GroupStatus.FORMING, GroupStatus.ACTIVE, GroupStatus.PAUSED)


def _is_staff(actor: User | None) -> bool:
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and getattr(actor, "is_staff_member", False)
    )


def manages(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_GROUPS)


def may_screen(actor: User | None) -> bool:
    """May ``actor`` screen anyone at all (a clinician who may screen, or intake staff)?"""
    if not _is_staff(actor) or not role_checks.has(actor, Capability.SCREEN_CANDIDATES):
        return False
    return manages(actor) or clinician_of(actor) is not None


def _facilitated_q(clinician: ClinicianProfile) -> Q:
    """Groups the clinician leads or co-facilitates (a substitute for one session does
    not screen for the group)."""
    return Q(lead_facilitator=clinician) | Q(co_facilitators=clinician)


def facilitated_group_ids(actor: User | None) -> QuerySet[TherapyGroup, int]:
    clinician = clinician_of(actor)
    if clinician is None:
        return TherapyGroup.objects.none().values_list("pk", flat=True)
    return TherapyGroup.objects.filter(_facilitated_q(clinician)).values_list("pk", flat=True)


def visible_screenings(actor: User | None) -> QuerySet[Screening]:
    """The screenings ``actor`` may read (the rule is in the query)."""
    if not _is_staff(actor):
        return Screening.objects.none()
    if manages(actor):
        return Screening.objects.all()
    return Screening.objects.filter(
        Q(screener=actor) | Q(group_id__in=facilitated_group_ids(actor))
    )


def get_screening_for(
    actor: User | None, screening_id: object, *, write: bool = False
) -> Screening:
    """The screening if ``actor`` may read it (else a denied event and 404). With
    ``write``, also whether they may record its answers and decision: only its screener
    may (403 for the others who can read it)."""
    pk = _int_or_none(screening_id)
    screening = None
    if pk is not None:
        screening = (
            visible_screenings(actor)
            .filter(pk=pk)
            .select_related("client", "group", "screener", "entry")
            .first()
        )
    if screening is None:
        deny(actor, Screening, screening_id)
    if write and (actor is None or screening.screener_id != actor.pk):
        raise NotPermitted(
            _("Only %(name)s, who is screening, can change this screening.")
            % {"name": screening.screener.full_name}
        )
    return screening


def screenable_groups(actor: User | None) -> QuerySet[TherapyGroup]:
    """Live groups ``actor`` may screen candidates for."""
    if not may_screen(actor):
        return TherapyGroup.objects.none()
    groups = TherapyGroup.objects.filter(status__in=SCREENABLE_GROUP_STATUSES)
    if manages(actor):
        return groups
    return groups.filter(pk__in=facilitated_group_ids(actor))


def can_screen_for(actor: User | None, group: TherapyGroup) -> bool:
    return screenable_groups(actor).filter(pk=group.pk).exists()


def waiting_entries(actor: User | None) -> QuerySet[WaitlistEntry]:
    """Open waitlist entries for the groups ``actor`` facilitates (the candidates a
    facilitator may screen without being assigned)."""
    if not may_screen(actor):
        return WaitlistEntry.objects.none()
    return WaitlistEntry.objects.filter(
        status__in=OPEN_WAITLIST_STATUSES,
        group_id__in=facilitated_group_ids(actor),
        group__status__in=SCREENABLE_GROUP_STATUSES,
    )


def screenable_clients(actor: User | None) -> QuerySet[Client]:
    """Clients ``actor`` may start a screening for: every client they can see when they
    manage groups; otherwise those waiting for, or holding a place in, a group they
    facilitate."""
    if not may_screen(actor):
        return Client.objects.none()
    if manages(actor):
        return visible_clients(actor)
    groups = facilitated_group_ids(actor)
    return Client.objects.filter(
        Q(pk__in=waiting_entries(actor).values("client_id"))
        | Q(
            pk__in=Enrollment.objects.filter(group_id__in=groups, status__in=SEAT_STATUSES).values(
                "client_id"
            )
        )
    )


def get_candidate_for(actor: User | None, client_id: object) -> Client:
    """A client ``actor`` may start a screening for (else a denied event and 404)."""
    pk = _int_or_none(client_id)
    client = screenable_clients(actor).filter(pk=pk).first() if pk is not None else None
    if client is None:
        deny(actor, Client, client_id)
    return client


def get_entry_for(actor: User | None, entry_id: object) -> WaitlistEntry:
    """An open waitlist entry whose person ``actor`` may screen (else 404)."""
    pk = _int_or_none(entry_id)
    entry = None
    if pk is not None and may_screen(actor):
        qs = WaitlistEntry.objects.filter(pk=pk, status__in=OPEN_WAITLIST_STATUSES)
        if not manages(actor):
            qs = qs.filter(pk__in=waiting_entries(actor).values("pk"))
        else:
            qs = qs.filter(client__in=visible_clients(actor))
        entry = qs.select_related("client", "group").first()
    if entry is None:
        deny(actor, WaitlistEntry, entry_id)
    return entry


def screening_roles() -> list[str]:
    """The roles that hold ``SCREEN_CANDIDATES`` (declared in practice/roles.py)."""
    return [
        role.value
        for role, caps in ROLE_CAPABILITIES.items()
        if Capability.SCREEN_CANDIDATES in caps
    ]


def managing_roles() -> list[str]:
    return [
        role.value for role, caps in ROLE_CAPABILITIES.items() if Capability.MANAGE_GROUPS in caps
    ]


def screener_choices(actor: User | None) -> QuerySet[User]:
    """Who a group manager may name as the screener: active staff who may screen (a
    clinician holding a screening role, or someone who manages groups)."""
    if not manages(actor):
        return User.objects.none()
    return (
        User.objects.filter(kind=UserKind.STAFF, is_active=True)
        .filter(role_grants__role__in=screening_roles())
        .filter(Q(clinician__isnull=False) | Q(role_grants__role__in=managing_roles()))
        .distinct()
        .order_by("full_name", "id")
    )


def may_be_screener(user: User) -> bool:
    """Can ``user`` be named as a screener (the same rule as ``screener_choices``)?"""
    return may_screen(user)
