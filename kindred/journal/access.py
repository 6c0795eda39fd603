"""Who may see which journal entries.

- A member's entries are theirs alone: ``get_own_entry`` finds an entry only for the
  member who wrote it. Anyone else — another member, a facilitator, an admin, a token —
  gets a denied audit event and a 404, as if it did not exist.
- A **shared** entry is also readable by the lead and co-facilitators of a group in
  which the writer holds an **active** place (``kindred.space.access.visible_space_groups``
  decides which groups a clinician facilitates). An entry linked to a session shows only
  to that session's group; an entry with no session shows to each of the writer's
  current groups. Nobody else on the staff sees it, shared or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from kindred.clients.models import Client
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.groups.access import clinician_of
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.journal.models import JournalEntry
from kindred.space.access import visible_space_groups

if TYPE_CHECKING:
    from kindred.accounts.models import User


def journal_client(actor: User | None) -> Client | None:
    """The client record of a signed-in, active member (who may keep a journal)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    if not getattr(actor, "is_member", False):
        return None
    return Client.objects.filter(user_id=actor.pk).first()


def get_journal_client(actor: User | None) -> Client:
    """The member's own record, else a denied event and a 404 (staff keep no journal)."""
    client = journal_client(actor)
    if client is None:
        deny(actor, JournalEntry, "journal")
    return client


def own_entries(actor: User) -> QuerySet[JournalEntry]:
    """Every entry ``actor`` wrote (nothing for anyone who is not an active member)."""
    if not actor.is_authenticated or not actor.is_active or not getattr(actor, "is_member", False):
        return JournalEntry.objects.none()
    return JournalEntry.objects.filter(user_id=actor.pk)


def get_own_entry(actor: User | None, entry_id: object) -> JournalEntry:
    """One of ``actor``'s own entries; for anyone else a denied event and a 404."""
    pk = _int_or_none(entry_id)
    entry = None
    if pk is not None and actor is not None:
        entry = own_entries(actor).filter(pk=pk).select_related("session__group").first()
    if entry is None:
        deny(actor, JournalEntry, entry_id)
    return entry


def facilitated_groups(actor: User | None) -> QuerySet[TherapyGroup]:
    """The groups whose shared entries ``actor`` may read: those they lead or
    co-facilitate (staff with a clinician profile only)."""
    if clinician_of(actor) is None:
        return TherapyGroup.objects.none()
    return visible_space_groups(actor)


def get_facilitated_group(actor: User | None, group_id: object) -> TherapyGroup:
    """A group ``actor`` facilitates, else a denied event and a 404."""
    pk = _int_or_none(group_id)
    group = facilitated_groups(actor).filter(pk=pk).first() if pk is not None else None
    if group is None:
        deny(actor, TherapyGroup, group_id)
    return group


def shared_with_group(group: TherapyGroup) -> QuerySet[JournalEntry]:
    """Entries shared with ``group``'s facilitators: shared, written by someone with an
    active place in it, and about one of its sessions or about no session."""
    members = Enrollment.objects.filter(group=group, status=EnrollmentStatus.ACTIVE).values(
        "client_id"
    )
    return JournalEntry.objects.filter(
        Q(session__isnull=True) | Q(session__group_id=group.pk),
        shared_with_facilitator=True,
        client_id__in=members,
    )


def audience_groups(entry: JournalEntry) -> QuerySet[TherapyGroup]:
    """The groups whose facilitators would see ``entry`` once shared (the same rule as
    ``shared_with_group``, from the entry's side)."""
    groups = TherapyGroup.objects.filter(
        pk__in=Enrollment.objects.filter(
            client_id=entry.client_id, status=EnrollmentStatus.ACTIVE
        ).values("group_id")
    )
    if entry.session_id is not None:
        groups = groups.filter(sessions__pk=entry.session_id)
    return groups.order_by("name", "pk")
