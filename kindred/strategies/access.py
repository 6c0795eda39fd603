"""Who may see and write which coping-strategy cards.

A group's cards follow the group space's rules (``kindred.space.access``): its active
members and its lead and co-facilitators, nobody else; a former member is let through
only to be told plainly, when they try to write, that they have left. On top of the
space, a practice **admin** may read every group's cards (pending ones included) but
decides nothing: approval is the facilitators' job.

The practice library (cards with no group) is open to anyone with an active place in
any group, and to every staff member.

Anyone else asking for a group's cards or a card gets a denied audit event and a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.practice.roles import Role
from kindred.space.access import (
    former_member_group,
    loaded_space,
    member_client,
    visible_space_groups,
)
from kindred.space.models import Space
from kindred.strategies.models import Strategy, StrategyStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client


class LibraryRole(StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    ADMIN = "admin"  # reads everything, decides nothing
    FORMER = "former"  # held a place that has ended: may not read or write


@dataclass(frozen=True)
class LibraryAccess:
    """A group's cards as one person may use them."""

    group: TherapyGroup
    space: Space
    role: LibraryRole
    client: Client | None  # the member's own client record (members only)

    @property
    def is_member(self) -> bool:
        return self.role == LibraryRole.MEMBER

    @property
    def is_facilitator(self) -> bool:
        return self.role == LibraryRole.FACILITATOR

    @property
    def sees_everything(self) -> bool:
        """Pending, declined and withdrawn cards, and who wrote each."""
        return self.role in (LibraryRole.FACILITATOR, LibraryRole.ADMIN)


def _active(actor: User | None) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def is_admin(actor: User | None) -> bool:
    return (
        _active(actor) and getattr(actor, "is_staff_member", False) and Role.ADMIN in actor.roles  # type: ignore[union-attr]
    )


def _access(actor: User | None, group_id: object, *, allow_former: bool) -> LibraryAccess | None:
    pk = _int_or_none(group_id)
    if pk is None or not _active(actor):
        return None
    client = member_client(actor)
    role = LibraryRole.MEMBER if client is not None else LibraryRole.FACILITATOR
    group = visible_space_groups(actor).filter(pk=pk).select_related("space").first()
    if group is None and client is None and is_admin(actor):
        role = LibraryRole.ADMIN
        group = TherapyGroup.objects.filter(pk=pk).select_related("space").first()
    if group is None and allow_former and client is not None:
        role = LibraryRole.FORMER
        group = former_member_group(client, pk)
    if group is None:
        return None
    return LibraryAccess(group=group, space=loaded_space(group), role=role, client=client)


def get_library_for(
    actor: User | None, group_id: object, *, allow_former: bool = False
) -> LibraryAccess:
    """Group ``group_id``'s cards as ``actor`` may use them, else a denied event and 404.
    With ``allow_former`` a member whose place has ended gets a ``FORMER`` access (for
    writes only: the services refuse them with a plain message)."""
    access = _access(actor, group_id, allow_former=allow_former)
    if access is None:
        deny(actor, Strategy, group_id)
    return access


def cards_for(access: LibraryAccess, actor: User) -> QuerySet[Strategy]:
    """The group's cards ``actor`` may see: everything for facilitators and admins; for
    members the approved ones and their own (whatever their state)."""
    cards = Strategy.objects.filter(group=access.group)
    if access.sees_everything:
        return cards
    if access.role == LibraryRole.FORMER:
        return cards.none()
    return cards.filter(Q(status=StrategyStatus.APPROVED) | Q(author=actor))


def may_read_library(actor: User | None) -> bool:
    """The practice library: staff, and members with an active place in any group."""
    if not _active(actor):
        return False
    if getattr(actor, "is_staff_member", False):
        return True
    client = member_client(actor)
    return (
        client is not None
        and Enrollment.objects.filter(client=client, status=EnrollmentStatus.ACTIVE).exists()
    )


def library_cards(actor: User | None) -> QuerySet[Strategy]:
    """Practice-library cards ``actor`` may see (approved ones; admins also withdrawn)."""
    if not may_read_library(actor):
        return Strategy.objects.none()
    cards = Strategy.objects.filter(group__isnull=True)
    if is_admin(actor):
        return cards
    return cards.filter(status=StrategyStatus.APPROVED)


@dataclass(frozen=True)
class CardAccess:
    """One card and how ``actor`` reached it: through its group (``library`` None) or
    the practice library (``library`` True)."""

    card: Strategy
    group_access: LibraryAccess | None

    @property
    def in_library(self) -> bool:
        return self.group_access is None


def get_card_for(actor: User | None, card_id: object, *, allow_former: bool = False) -> CardAccess:
    """A card ``actor`` may see, else a denied event and 404."""
    pk = _int_or_none(card_id) or 0
    row = Strategy.objects.filter(pk=pk).values_list("group_id", flat=True).first()
    if pk == 0 or (row is None and not Strategy.objects.filter(pk=pk).exists()):
        deny(actor, Strategy, card_id)
    if row is None:  # the practice library
        card = library_cards(actor).filter(pk=pk).select_related("promoted_from").first()
        if card is None:
            deny(actor, Strategy, card_id)
        return CardAccess(card=card, group_access=None)
    access = _access(actor, row, allow_former=allow_former)
    if access is None:
        deny(actor, Strategy, card_id)
    if access.role == LibraryRole.FORMER:
        card = Strategy.objects.filter(pk=pk).first()
    else:
        card = cards_for(access, actor).filter(pk=pk).first()  # type: ignore[arg-type]
    if card is None:
        deny(actor, Strategy, card_id)
    return CardAccess(card=card, group_access=access)
