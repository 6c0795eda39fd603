"""Who may see and change the practice's set-up, its staff and its clinicians.

* Practice set-up (profile, locations, rooms, compacts): every staff role reads it (it is
  where groups meet and which compacts count); MANAGE_PRACTICE changes it.
* Clinicians, licenses, privileges: VIEW_CLINICIANS reads, MANAGE_CLINICIANS changes.
* Staff accounts: MANAGE_STAFF reads and changes.

Someone who may not see a thing at all gets a 404 and a "denied" audit event; someone who
may see it but not change it gets ``NotPermitted`` (403) when they try.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from kindred.core.access import deny
from kindred.practice import roles as role_checks
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
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User


def can_view_practice(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_PRACTICE) or role_checks.has(
        actor, Capability.VIEW_CLINICIANS
    )


def can_manage_practice(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_PRACTICE)


def can_view_clinicians(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.VIEW_CLINICIANS) or role_checks.has(
        actor, Capability.MANAGE_CLINICIANS
    )


def can_manage_clinicians(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_CLINICIANS)


def can_manage_staff(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_STAFF)


def _gate(
    actor: User | None,
    model: type[models.Model],
    object_id: object,
    *,
    may_view: bool,
    write: bool,
    write_capability: Capability,
) -> None:
    if not may_view:
        deny(actor, model, object_id)
    if write:
        role_checks.require(actor, write_capability)


def require_practice_view(actor: User | None, *, write: bool = False) -> None:
    """For pages and endpoints about the practice as a whole (lists, the profile)."""
    _gate(
        actor,
        Practice,
        "",
        may_view=can_view_practice(actor),
        write=write,
        write_capability=Capability.MANAGE_PRACTICE,
    )


def require_clinicians_view(actor: User | None, *, write: bool = False) -> None:
    _gate(
        actor,
        ClinicianProfile,
        "",
        may_view=can_view_clinicians(actor),
        write=write,
        write_capability=Capability.MANAGE_CLINICIANS,
    )


def require_staff_manager(actor: User | None) -> None:
    from kindred.accounts.models import User as UserModel

    if not can_manage_staff(actor):
        deny(actor, UserModel, "")


def _one[M: models.Model](actor: User | None, queryset: models.QuerySet[M], object_id: object) -> M:
    try:
        return queryset.get(pk=object_id)
    except (ObjectDoesNotExist, ValueError, TypeError):
        deny(actor, queryset.model, object_id)


def get_location_for(actor: User | None, location_id: object, *, write: bool = False) -> Location:
    require_practice_view(actor, write=write)
    return _one(actor, Location.objects.all(), location_id)


def get_room_for(actor: User | None, room_id: object, *, write: bool = False) -> Room:
    require_practice_view(actor, write=write)
    return _one(actor, Room.objects.select_related("location"), room_id)


def get_compact_for(actor: User | None, compact_id: object, *, write: bool = False) -> Compact:
    require_practice_view(actor, write=write)
    return _one(actor, Compact.objects.all(), compact_id)


def get_member_state_for(
    actor: User | None, member_state_id: object, *, write: bool = False
) -> CompactMemberState:
    require_practice_view(actor, write=write)
    return _one(actor, CompactMemberState.objects.select_related("compact"), member_state_id)


def get_clinician_for(
    actor: User | None, clinician_id: object, *, write: bool = False
) -> ClinicianProfile:
    require_clinicians_view(actor, write=write)
    return _one(
        actor,
        ClinicianProfile.objects.select_related("user", "supervisor__user"),
        clinician_id,
    )


def get_license_for(actor: User | None, license_id: object, *, write: bool = False) -> License:
    require_clinicians_view(actor, write=write)
    return _one(actor, License.objects.select_related("clinician__user"), license_id)


def get_privilege_for(
    actor: User | None, privilege_id: object, *, write: bool = False
) -> CompactPrivilege:
    require_clinicians_view(actor, write=write)
    return _one(
        actor,
        CompactPrivilege.objects.select_related("clinician__user", "compact"),
        privilege_id,
    )


def get_staff_for(actor: User | None, user_id: object) -> User:
    """A staff account, for someone who manages staff (reading is managing here)."""
    from kindred.accounts.models import User as UserModel
    from kindred.accounts.models import UserKind

    require_staff_manager(actor)
    return _one(
        actor,
        UserModel.objects.filter(kind=UserKind.STAFF).prefetch_related("role_grants"),
        user_id,
    )
