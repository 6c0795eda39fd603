"""Who may see which group space, thread and post.

A group's space is for its **active** members and its **facilitators** (lead and
co-facilitators) and nobody else: not invited or former members, not other staff (admins
and coordinators included — the space is the group's own room), so
``visible_space_groups`` filters in the query and everything else starts from it. Anyone
else asking for a space, thread or post gets a denied audit event and a 404.

A former member is let through only where they try to *write* (``allow_former``), so
the service can tell them plainly that they have left the group rather than pretend
the space does not exist; they still never read anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.groups.access import clinician_of
from kindred.groups.models import ENDED_STATUSES, Enrollment, EnrollmentStatus, TherapyGroup
from kindred.space.models import Conversation, DirectMessage, Post, PostStatus, Space, Thread

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client


class SpaceRole(StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    FORMER = "former"  # held a place that has ended: may not read or write


@dataclass(frozen=True)
class SpaceAccess:
    """A space as one person may use it."""

    space: Space
    group: TherapyGroup
    role: SpaceRole
    client: Client | None  # the member's own client record (members only)

    @property
    def is_facilitator(self) -> bool:
        return self.role == SpaceRole.FACILITATOR

    @property
    def is_member(self) -> bool:
        return self.role == SpaceRole.MEMBER


def member_client(actor: User | None) -> Client | None:
    """The client record of a signed-in, active member; None for anyone else (staff,
    the signed-out, a switched-off account)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    if not getattr(actor, "is_member", False):
        return None
    return getattr(actor, "client", None)


def visible_space_groups(actor: User | None) -> QuerySet[TherapyGroup]:
    """The groups whose space ``actor`` may read: as an active member, or as their lead
    or co-facilitator."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return TherapyGroup.objects.none()
    client = member_client(actor)
    if client is not None:
        return TherapyGroup.objects.filter(
            pk__in=Enrollment.objects.filter(client=client, status=EnrollmentStatus.ACTIVE).values(
                "group_id"
            )
        )
    clinician = clinician_of(actor)
    if clinician is None:
        return TherapyGroup.objects.none()
    return TherapyGroup.objects.filter(
        pk__in=TherapyGroup.objects.filter(
            Q(lead_facilitator=clinician) | Q(co_facilitators=clinician)
        ).values("pk")
    )


def space_of(group: TherapyGroup) -> Space:
    """The group's space, made on first use (post-moderation, not paused)."""
    space, _created = Space.objects.get_or_create(group=group)
    return space


def former_member_group(client: Client, group_pk: int) -> TherapyGroup | None:
    """Group ``group_pk`` if ``client`` held a place in it that has ended (its space
    loaded with it); None otherwise. For refusing a former member's write plainly."""
    return (
        TherapyGroup.objects.filter(
            pk=group_pk, enrollments__client=client, enrollments__status__in=ENDED_STATUSES
        )
        .select_related("space")
        .first()
    )


def loaded_space(group: TherapyGroup) -> Space:
    """The space of a group fetched with ``select_related("space")``, made on first use."""
    try:
        return group.space
    except Space.DoesNotExist:
        return space_of(group)


def _access(actor: User | None, group_id: object, *, allow_former: bool) -> SpaceAccess | None:
    pk = _int_or_none(group_id)
    if pk is None:
        return None
    client = member_client(actor)
    role = SpaceRole.MEMBER if client is not None else SpaceRole.FACILITATOR
    group = visible_space_groups(actor).filter(pk=pk).select_related("space").first()
    if group is None and allow_former and client is not None:
        role = SpaceRole.FORMER
        group = former_member_group(client, pk)
    if group is None:
        return None
    return SpaceAccess(space=loaded_space(group), group=group, role=role, client=client)


def get_space_for(
    actor: User | None, group_id: object, *, allow_former: bool = False
) -> SpaceAccess:
    """The space of group ``group_id`` as ``actor`` may use it, else a denied event and
    404. With ``allow_former`` a member whose place has ended gets a ``FORMER`` access
    (for writes only: the services refuse them with a plain message)."""
    access = _access(actor, group_id, allow_former=allow_former)
    if access is None:
        deny(actor, Space, group_id)
    return access


def member_visible_posts_q(actor: User | None) -> Q:
    """Posts a member sees: visible ones, and their own waiting for approval. Hidden
    posts are shown to members only as a line saying a post was hidden."""
    return Q(status=PostStatus.VISIBLE) | Q(status=PostStatus.PENDING, author=actor)


def threads_for(access: SpaceAccess, actor: User) -> QuerySet[Thread]:
    """Threads of the space ``actor`` may see: everything for facilitators; for members
    the threads with a visible post, and their own."""
    threads = Thread.objects.filter(space=access.space)
    if access.is_facilitator:
        return threads
    shown = Post.objects.filter(thread=OuterRef("pk"), status=PostStatus.VISIBLE)
    return threads.filter(Exists(shown) | Q(created_by=actor))


def get_thread_for(
    actor: User | None, thread_id: object, *, allow_former: bool = False
) -> tuple[SpaceAccess, Thread]:
    """A thread with the space access it was reached through; 404 otherwise."""
    pk = _int_or_none(thread_id) or 0
    row = Thread.objects.filter(pk=pk).values_list("space__group_id", flat=True).first()
    if row is None:
        deny(actor, Thread, thread_id)
    access = _access(actor, row, allow_former=allow_former)
    if access is None:
        deny(actor, Thread, thread_id)
    if access.role == SpaceRole.FORMER:
        thread = Thread.objects.filter(pk=pk).first()
    else:
        thread = threads_for(access, actor).filter(pk=pk).first()  # type: ignore[arg-type]
    if thread is None:
        deny(actor, Thread, thread_id)
    return access, thread


def get_post_for(
    actor: User | None, post_id: object, *, allow_former: bool = False
) -> tuple[SpaceAccess, Post]:
    """A post with the space access it was reached through; 404 otherwise. Members
    reach visible posts and their own."""
    pk = _int_or_none(post_id) or 0
    row = Post.objects.filter(pk=pk).values_list("space__group_id", flat=True).first()
    if row is None:
        deny(actor, Post, post_id)
    access = _access(actor, row, allow_former=allow_former)
    if access is None:
        deny(actor, Post, post_id)
    posts = Post.objects.filter(pk=pk).select_related("thread")
    if access.role == SpaceRole.MEMBER:
        posts = posts.filter(Q(status=PostStatus.VISIBLE) | Q(author=actor))
    post = posts.first()
    if post is None:
        deny(actor, Post, post_id)
    return access, post


def get_conversation_for(
    actor: User | None, conversation_id: object, *, allow_former: bool = False
) -> tuple[SpaceAccess, Conversation]:
    """A direct-message conversation with the space access it was reached through: its
    two members and the group's facilitators; 404 and a denied event for anyone else
    (a member never reaches a conversation they are not in)."""
    pk = _int_or_none(conversation_id) or 0
    conversation = Conversation.objects.filter(pk=pk).select_related("space").first()
    if conversation is None or actor is None:
        deny(actor, Conversation, conversation_id)
    access = _access(actor, conversation.space.group_id, allow_former=allow_former)
    if access is None:
        deny(actor, Conversation, conversation_id)
    if not access.is_facilitator and not conversation.includes(actor.pk):
        deny(actor, Conversation, conversation_id)
    return access, conversation


def get_own_conversation_for(
    actor: User | None, conversation_id: object, *, allow_former: bool = False
) -> tuple[SpaceAccess, Conversation]:
    """A conversation ``actor`` is one of the two members of, for writing in it (sending
    a message): checked before any input, so everyone else, the group's facilitators
    (who read every conversation but are in none) included, gets 404 and a denied event,
    never a verdict on what they sent."""
    access, conversation = get_conversation_for(actor, conversation_id, allow_former=allow_former)
    if actor is None or not conversation.includes(actor.pk):
        deny(actor, Conversation, conversation_id)
    return access, conversation


def get_message_for(
    actor: User | None, message_id: object, *, allow_former: bool = False
) -> tuple[SpaceAccess, DirectMessage]:
    """A direct message as the conversation's members or the facilitators reach it."""
    pk = _int_or_none(message_id) or 0
    conversation_id = (
        DirectMessage.objects.filter(pk=pk).values_list("conversation_id", flat=True).first()
    )
    if conversation_id is None:
        deny(actor, DirectMessage, message_id)
    access, conversation = get_conversation_for(actor, conversation_id, allow_former=allow_former)
    message = DirectMessage.objects.get(pk=pk)
    message.conversation = conversation
    return access, message


def get_own_message_for(
    actor: User | None, message_id: object, *, allow_former: bool = False
) -> tuple[SpaceAccess, DirectMessage]:
    """A direct message in a conversation ``actor`` is a member of, for reporting it:
    the facilitators (who moderate messages instead) and everyone else get 404 and a
    denied event before any input is looked at."""
    access, message = get_message_for(actor, message_id, allow_former=allow_former)
    if actor is None or not message.conversation.includes(actor.pk):
        deny(actor, DirectMessage, message_id)
    return access, message
