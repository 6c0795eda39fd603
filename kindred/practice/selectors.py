"""Reads for the practice's set-up, staff and clinicians. Lists are filtered by who asks
(at query level, through ``access``) and load in a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet

from kindred.practice import access, licensure
from kindred.practice.models import (
    ClinicianProfile,
    Compact,
    CompactMemberState,
    CompactPrivilege,
    License,
    Location,
    Practice,
    Room,
)
from kindred.practice.roles import Role

if TYPE_CHECKING:
    from kindred.accounts.models import User


class ActiveFilter(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    ALL = "all"

    @classmethod
    def parse(cls, value: str | None) -> ActiveFilter:
        try:
            return cls(value or cls.ACTIVE)
        except ValueError:
            return cls.ACTIVE


# --- Practice set-up ------------------------------------------------------------------


def practice_get(*, actor: User | None) -> Practice | None:
    access.require_practice_view(actor)
    return Practice.objects.filter(pk=1).first()


def location_list(
    *, actor: User | None, status: ActiveFilter = ActiveFilter.ACTIVE
) -> QuerySet[Location]:
    access.require_practice_view(actor)
    qs = Location.objects.annotate(
        room_count=Count("rooms", filter=Q(rooms__is_active=True))
    ).order_by("name", "id")
    if status == ActiveFilter.ACTIVE:
        qs = qs.filter(is_active=True)
    elif status == ActiveFilter.INACTIVE:
        qs = qs.filter(is_active=False)
    return qs


def room_list(*, actor: User | None, location: Location) -> QuerySet[Room]:
    access.require_practice_view(actor)
    return Room.objects.filter(location=location).order_by("-is_active", "name", "id")


def room_list_all(*, actor: User | None) -> QuerySet[Room]:
    access.require_practice_view(actor)
    return Room.objects.select_related("location").order_by("location__name", "name", "id")


def compact_list(*, actor: User | None) -> QuerySet[Compact]:
    """Compacts with their member-state periods prefetched (two queries)."""
    access.require_practice_view(actor)
    return Compact.objects.prefetch_related(
        Prefetch("member_states", queryset=CompactMemberState.objects.order_by("state"))
    ).order_by("name", "id")


def member_state_list(*, actor: User | None, compact: Compact) -> QuerySet[CompactMemberState]:
    access.require_practice_view(actor)
    return CompactMemberState.objects.filter(compact=compact).order_by("state", "effective_from")


def periods_of(member_states: Iterable[CompactMemberState]) -> list[licensure.MembershipPeriod]:
    return [
        licensure.MembershipPeriod(
            compact_id=m.compact_id,
            state=m.state,
            effective_from=m.effective_from,
            effective_until=m.effective_until,
        )
        for m in member_states
    ]


# --- Staff ----------------------------------------------------------------------------


def staff_list(*, actor: User | None, status: ActiveFilter = ActiveFilter.ACTIVE) -> QuerySet[User]:
    """Staff accounts with their roles and clinician profile (three queries a page)."""
    from kindred.accounts.models import User as UserModel
    from kindred.accounts.models import UserKind

    access.require_staff_manager(actor)
    qs = (
        UserModel.objects.filter(kind=UserKind.STAFF)
        .select_related("clinician")
        .prefetch_related("role_grants")
        .order_by("full_name", "id")
    )
    if status == ActiveFilter.ACTIVE:
        qs = qs.filter(is_active=True)
    elif status == ActiveFilter.INACTIVE:
        qs = qs.filter(is_active=False)
    return qs


def roles_of(user: User) -> list[Role]:
    """A user's roles from prefetched grants (no query), in the usual order."""
    held = {Role(g.role) for g in user.role_grants.all()}
    return [r for r in Role if r in held]


def staff_without_clinician_profile(*, actor: User | None) -> QuerySet[User]:
    from kindred.accounts.models import User as UserModel
    from kindred.accounts.models import UserKind

    access.require_clinicians_view(actor)
    return UserModel.objects.filter(
        kind=UserKind.STAFF, is_active=True, clinician__isnull=True
    ).order_by("full_name", "id")


# --- Clinicians -----------------------------------------------------------------------


def clinician_list(
    *, actor: User | None, status: ActiveFilter = ActiveFilter.ACTIVE
) -> QuerySet[ClinicianProfile]:
    """Clinicians with their people, supervisors, licenses and privileges (four queries)."""
    access.require_clinicians_view(actor)
    qs = (
        ClinicianProfile.objects.select_related("user", "supervisor__user")
        .prefetch_related(
            Prefetch("licenses", queryset=License.objects.order_by("state", "-expires_on", "id")),
            Prefetch(
                "privileges",
                queryset=CompactPrivilege.objects.select_related("compact").order_by(
                    "compact__name", "-valid_from", "id"
                ),
            ),
        )
        .order_by("user__full_name", "id")
    )
    if status == ActiveFilter.ACTIVE:
        qs = qs.filter(user__is_active=True)
    elif status == ActiveFilter.INACTIVE:
        qs = qs.filter(user__is_active=False)
    return qs


def supervisor_choices(
    *, actor: User | None, exclude: ClinicianProfile | None = None
) -> QuerySet[ClinicianProfile]:
    access.require_clinicians_view(actor)
    qs = ClinicianProfile.objects.filter(user__is_active=True).select_related("user")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("user__full_name", "id")


def clinician_of(actor: User) -> ClinicianProfile | None:
    """The signed-in person's own clinician profile, if they have one."""
    if not actor.is_authenticated or not actor.is_staff_member:
        return None
    return (
        ClinicianProfile.objects.select_related("user", "supervisor__user")
        .filter(user=actor)
        .first()
    )


def license_list(*, actor: User | None, clinician: ClinicianProfile) -> QuerySet[License]:
    access.require_clinicians_view(actor)
    return License.objects.filter(clinician=clinician).order_by("state", "-expires_on", "id")


def privilege_list(
    *, actor: User | None, clinician: ClinicianProfile
) -> QuerySet[CompactPrivilege]:
    access.require_clinicians_view(actor)
    return (
        CompactPrivilege.objects.filter(clinician=clinician)
        .select_related("compact")
        .order_by("compact__name", "-valid_from", "id")
    )


# --- Licensure ------------------------------------------------------------------------


def license_fact(lic: License) -> licensure.LicenseFact:
    return licensure.LicenseFact(
        id=lic.pk,
        state=lic.state,
        license_type=lic.license_type,
        number=lic.number,
        issued_on=lic.issued_on,
        expires_on=lic.expires_on,
        status=lic.status,
    )


def privilege_fact(priv: CompactPrivilege, compact_name: str) -> licensure.PrivilegeFact:
    return licensure.PrivilegeFact(
        id=priv.pk,
        compact_id=priv.compact_id,
        compact_name=compact_name,
        home_state=priv.home_state,
        privilege_states=frozenset(priv.privilege_states or []),
        valid_from=priv.valid_from,
        valid_until=priv.valid_until,
        status=priv.status,
    )


def clinicians_may_practice(
    clinician_ids: Iterable[int], state: str, on: date
) -> dict[int, licensure.LicensureDecision]:
    """For each clinician: may they practise in ``state`` on ``on``, and why. Three
    queries however many clinicians. An unknown id gets "no license"."""
    ids = sorted(set(clinician_ids))
    licenses: dict[int, list[licensure.LicenseFact]] = defaultdict(list)
    for lic in License.objects.filter(clinician_id__in=ids):
        licenses[lic.clinician_id].append(license_fact(lic))
    privileges: dict[int, list[licensure.PrivilegeFact]] = defaultdict(list)
    compact_ids: set[int] = set()
    for priv in CompactPrivilege.objects.filter(clinician_id__in=ids).select_related("compact"):
        privileges[priv.clinician_id].append(privilege_fact(priv, priv.compact.name))
        compact_ids.add(priv.compact_id)
    periods = (
        periods_of(CompactMemberState.objects.filter(compact_id__in=compact_ids))
        if compact_ids
        else []
    )
    return {
        cid: licensure.decide(
            state=state,
            on=on,
            licenses=licenses.get(cid, []),
            privileges=privileges.get(cid, []),
            memberships=periods,
        )
        for cid in ids
    }


def clinician_may_practice(clinician_id: int, state: str, on: date) -> licensure.LicensureDecision:
    """May this clinician practise in ``state`` on ``on`` (the session's local date)?
    At most three queries. Used at every virtual session."""
    return clinicians_may_practice([clinician_id], state, on)[clinician_id]
