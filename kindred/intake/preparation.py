"""Preparing members for their first session (AGPA 2007: "prepare members before the
first session — expectations, norms, risks"): each group's ordered preparation items
(a title and a Markdown text: what to expect, how the group works, what may feel hard,
how to join), written by the group's managers and facilitators, and read by members,
who mark each one read.

Writes follow ARCHITECTURE.md: keyword-only, atomic, permission checked (``actor=None``
is a system command), the audit event in the same transaction. Preparation is about
the group, not about anyone's care, so the audit detail names fields only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed
from kindred.groups.access import get_group_for
from kindred.groups.models import SEAT_STATUSES, Enrollment, TherapyGroup
from kindred.intake.models import PreparationItem, PreparationRead

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

TITLE_MAX = 150
BODY_MAX = 10000
#: A group's preparation is meant to be read in one sitting.
MAX_ITEMS = 30


def can_edit_preparation(actor: User | None, group: TherapyGroup) -> bool:
    """Group managers and the group's own facilitators (as for the roster)."""
    from kindred.groups.selectors import can_see_roster

    return bool(
        actor is not None
        and getattr(actor, "is_staff_member", False)
        and can_see_roster(actor, group)
    )


def _require_edit(actor: User | None, group: TherapyGroup) -> None:
    if actor is not None and not can_edit_preparation(actor, group):
        raise NotPermitted(
            _("Only the group's facilitators and coordinators change its preparation.")
        )


def preparation_items(group: TherapyGroup) -> QuerySet[PreparationItem]:
    return PreparationItem.objects.filter(group=group).order_by("position", "id")


def get_item_for(
    actor: User | None, group: TherapyGroup, item_id: object, *, write: bool = False
) -> PreparationItem:
    """An item of ``group`` (which the caller obtained through an access function); an
    item of another group is a denied event and 404."""
    pk = _int_or_none(item_id)
    item = PreparationItem.objects.filter(pk=pk, group=group).first() if pk is not None else None
    if item is None:
        deny(actor, PreparationItem, item_id)
    if write:
        _require_edit(actor, group)
    item.group = group
    return item


def staff_group(actor: User | None, group_id: object) -> TherapyGroup:
    """A group whose preparation a staff member may read (anyone who may see the group);
    members and others: 404."""
    if actor is None or not getattr(actor, "is_staff_member", False):
        deny(actor, TherapyGroup, group_id)
    return get_group_for(actor, group_id)


# --- Writing ------------------------------------------------------------------------------


def _clean(title: str, body: str) -> tuple[str, str]:
    title = (title or "").strip()
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give this part a title, such as “What to expect”.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("Use at most %(n)d characters.") % {"n": TITLE_MAX}]
    if not body.strip():
        errors["body"] = [_("Write what members should read here.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("Use at most %(n)d characters.") % {"n": BODY_MAX}]
    if errors:
        raise ValidationFailed(errors=errors)
    return title, body


def _next_position(group: TherapyGroup) -> int:
    top = PreparationItem.objects.filter(group=group).aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def _lock_group(group: TherapyGroup) -> TherapyGroup:
    return TherapyGroup.objects.select_for_update().get(pk=group.pk)


def preparation_item_create(
    *, actor: User | None, group: TherapyGroup, title: str, body: str
) -> PreparationItem:
    """Add an item at the end of the group's preparation."""
    _require_edit(actor, group)
    title, body = _clean(title, body)
    with transaction.atomic():
        locked = _lock_group(group)
        if PreparationItem.objects.filter(group=locked).count() >= MAX_ITEMS:
            raise InvalidState(
                _("A group can have at most %(n)d preparation items.") % {"n": MAX_ITEMS}
            )
        item = PreparationItem.objects.create(
            group=locked, title=title, body=body, position=_next_position(locked)
        )
        audit_change(
            actor=actor,
            action="intake.preparation_item.created",
            obj=item,
            detail={"group": locked.pk},
        )
    return item


def preparation_item_update(
    *, actor: User | None, item: PreparationItem, title: str, body: str
) -> PreparationItem:
    """Change an item's title or text. Members who already read it keep their mark."""
    _require_edit(actor, item.group)
    title, body = _clean(title, body)
    with transaction.atomic():
        locked = PreparationItem.objects.select_for_update().get(pk=item.pk)
        changed = [f for f, v in (("title", title), ("body", body)) if getattr(locked, f) != v]
        if changed:
            locked.title, locked.body = title, body
            locked.save(update_fields=[*changed, "updated_at"])
            audit_change(
                actor=actor,
                action="intake.preparation_item.updated",
                obj=locked,
                changed=changed,
                detail={"group": locked.group_id},
            )
    item.title, item.body = title, body
    return item


def preparation_item_delete(*, actor: User | None, item: PreparationItem) -> None:
    """Remove an item (and members' marks of having read it)."""
    _require_edit(actor, item.group)
    with transaction.atomic():
        _lock_group(item.group)
        audit_change(
            actor=actor,
            action="intake.preparation_item.deleted",
            obj=item,
            detail={"group": item.group_id},
        )
        PreparationItem.objects.filter(pk=item.pk).delete()
        _renumber(item.group)


def _renumber(group: TherapyGroup) -> None:
    items = list(preparation_items(group))
    moved = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            moved.append(item)
    if moved:
        PreparationItem.objects.bulk_update(moved, ["position"])


def preparation_item_move(*, actor: User | None, item: PreparationItem, up: bool) -> None:
    """Move an item one place up (earlier) or down (later)."""
    _require_edit(actor, item.group)
    with transaction.atomic():
        _lock_group(item.group)
        _renumber(item.group)
        items = list(preparation_items(item.group))
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        target = index - 1 if up else index + 1
        if not 0 <= target < len(items):
            return
        items[index], items[target] = items[target], items[index]
        for position, other in enumerate(items):
            other.position = position
        PreparationItem.objects.bulk_update(items, ["position"])
        audit_change(
            actor=actor,
            action="intake.preparation_item.moved",
            obj=item,
            changed=["position"],
            detail={"group": item.group_id},
        )


def preparation_copy(
    *, actor: User | None, group: TherapyGroup, source: TherapyGroup
) -> list[PreparationItem]:
    """Copy every item of ``source`` (a group the actor may see) to the end of
    ``group``'s preparation. Returns the new items."""
    _require_edit(actor, group)
    if source.pk == group.pk:
        raise ValidationFailed(_("Choose a different group to copy from."), field="from_group")
    originals = list(preparation_items(source))
    if not originals:
        raise ValidationFailed(
            _("%(group)s has no preparation to copy.") % {"group": source.name}, field="from_group"
        )
    with transaction.atomic():
        locked = _lock_group(group)
        existing = PreparationItem.objects.filter(group=locked).count()
        if existing + len(originals) > MAX_ITEMS:
            raise InvalidState(
                _("A group can have at most %(n)d preparation items.") % {"n": MAX_ITEMS}
            )
        start = _next_position(locked)
        copies = PreparationItem.objects.bulk_create(
            PreparationItem(group=locked, title=o.title, body=o.body, position=start + i)
            for i, o in enumerate(originals)
        )
        audit_change(
            actor=actor,
            action="intake.preparation_item.copied",
            obj=locked,
            detail={"from_group": source.pk, "items": len(copies)},
        )
    return copies


# --- Members ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberItem:
    item: PreparationItem
    read_at: datetime | None


def member_preparation(client: Client, group: TherapyGroup) -> list[MemberItem]:
    """The group's items in order, each with when the member marked it read. One query."""
    from django.db.models import OuterRef, Subquery

    reads = PreparationRead.objects.filter(item=OuterRef("pk"), client=client)
    return [
        MemberItem(item=item, read_at=item.my_read_at)
        for item in preparation_items(group).annotate(
            my_read_at=Subquery(reads.values("read_at")[:1])
        )
    ]


def preparation_mark_read(
    *, actor: User, item: PreparationItem, now: datetime | None = None
) -> tuple[PreparationRead, bool]:
    """The member has read ``item`` (of a group where they hold a place). Marking it
    again changes nothing. Returns (the mark, whether it is new)."""
    from kindred.scheduling.member import member_client

    client = member_client(actor)
    if client is None:
        raise NotPermitted(_("Only members mark preparation as read."))
    if not Enrollment.objects.filter(
        group_id=item.group_id, client=client, status__in=SEAT_STATUSES
    ).exists():
        deny(actor, PreparationItem, item.pk)
    now = now or timezone.now()
    with transaction.atomic():
        existing = PreparationRead.objects.filter(item=item, client=client).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                mark = PreparationRead.objects.create(item=item, client=client, read_at=now)
        except IntegrityError:  # marked a moment ago (another tab)
            return PreparationRead.objects.get(item=item, client=client), False
        audit_change(
            actor=actor,
            action="intake.preparation_item.read",
            obj=item,
            client_id=client.pk,
            detail={"group": item.group_id},
        )
    return mark, True
