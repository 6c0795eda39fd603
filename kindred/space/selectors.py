"""Reading a group's space in a fixed number of queries, whatever its size.

Every function takes the ``SpaceAccess`` from ``access.get_space_for`` (or the thread /
post look-ups), so what a person can see was already decided in the query.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kindred.audit.services import audit_access
from kindred.core.markdown import render_markdown
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.space.access import SpaceAccess, member_visible_posts_q, threads_for
from kindred.space.models import (
    Conversation,
    DirectMessage,
    DisplayName,
    MessageReport,
    Mute,
    Post,
    PostStatus,
    Reaction,
    ReactionKind,
    ReadMarker,
    Report,
    Thread,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: Threads shown on the space's page (the newest; older ones by "Show older").
THREADS_PAGE = 30
#: Posts shown in a thread (the newest; a very long thread shows "earlier posts").
POSTS_PAGE = 50


@dataclass
class Author:
    label: str  # what the group sees: the display name, or a facilitator's own name
    is_facilitator: bool = False
    real_name: str = ""  # shown to facilitators only


def display_name_of(access: SpaceAccess, user: User) -> DisplayName | None:
    return DisplayName.objects.filter(space=access.space, user=user).first()


def authors(
    access: SpaceAccess,
    user_ids: set[int],
    *,
    names: dict[int, str] | None = None,
    known: dict[int, User] | None = None,
) -> dict[int, Author]:
    """How each writer is named to the viewer: members by display name (facilitators
    also see the real name); facilitators by their own name. Two queries, fewer when the
    caller already has the space's ``names`` or some of the people (``known``)."""
    from kindred.accounts.models import User as UserModel

    found: dict[int, Author] = {}
    if not user_ids:
        return found
    if names is None:
        names = dict(
            DisplayName.objects.filter(space=access.space, user_id__in=user_ids).values_list(
                "user_id", "name"
            )
        )
    known = known or {}
    people = [(u.pk, u.full_name, u.kind, u.is_active) for pk, u in known.items() if pk in user_ids]
    missing = user_ids - set(known)
    if missing:
        people += list(
            UserModel.objects.filter(pk__in=missing).values_list(
                "pk", "full_name", "kind", "is_active"
            )
        )
    for pk, full_name, kind, is_active in people:
        if kind == "member":
            # A closed account's display name is removed (datarights/closure.py).
            fallback = _("A member") if is_active else _("A former member")
            found[pk] = Author(
                label=names.get(pk) or fallback,
                real_name=full_name if access.is_facilitator else "",
            )
        else:
            found[pk] = Author(label=full_name, is_facilitator=True)
    return found


def _count(posts: QuerySet[Post]) -> Coalesce:
    """COUNT(*) of ``posts`` as a correlated subquery (0 when none)."""
    counted = posts.order_by().values("thread").annotate(n=Count("id")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass
class ThreadRow:
    thread: Thread
    posts: int
    unread: int
    starter: Author | None


def thread_list(
    access: SpaceAccess, actor: User, *, limit: int = THREADS_PAGE
) -> tuple[list[ThreadRow], bool]:
    """The space's threads (pinned first, then the latest activity) with how many posts
    each has and how many the viewer has not read. Four queries."""
    marker = ReadMarker.objects.filter(thread=OuterRef("pk"), user=actor).values(
        "last_read_post_id"
    )[:1]
    # The page of threads first (an index walk), then the counts for those few only:
    # counting every thread's posts before the LIMIT costs a scan of the whole space.
    ids = list(
        threads_for(access, actor)
        .order_by("-pinned", "-last_post_at", "-id")
        .values_list("pk", flat=True)[: limit + 1]
    )
    more = len(ids) > limit
    ids = ids[:limit]
    # Each count is a correlated subquery walking the (thread, status, id) index of one
    # thread: a join and GROUP BY made PostgreSQL scan every post of every space.
    shown_posts = Post.objects.filter(thread=OuterRef("pk")).filter(
        Q(status=PostStatus.VISIBLE) if access.is_facilitator else member_visible_posts_q(actor)
    )
    unread_posts = Post.objects.filter(
        thread=OuterRef("pk"), status=PostStatus.VISIBLE, id__gt=OuterRef("seen")
    ).exclude(author=actor)
    counted = (
        Thread.objects.filter(pk__in=ids)
        .annotate(seen=Coalesce(Subquery(marker, output_field=IntegerField()), Value(0)))
        .annotate(n_posts=_count(shown_posts), n_unread=_count(unread_posts))
    )
    by_id = {t.pk: t for t in counted}
    threads = [by_id[pk] for pk in ids if pk in by_id]
    people = authors(access, {t.created_by_id for t in threads})
    rows = [
        ThreadRow(
            thread=t,
            posts=t.n_posts,
            unread=t.n_unread,
            starter=people.get(t.created_by_id),
        )
        for t in threads
    ]
    return rows, more


@dataclass
class PostRow:
    post: Post
    author: Author | None
    html: SafeString | None  # None when the viewer may not read it (hidden, for members)
    reactions: list[tuple[str, str, int, bool]] = field(default_factory=list)
    unread: bool = False
    reported_by_me: bool = False
    is_mine: bool = False


def thread_posts(
    access: SpaceAccess,
    actor: User,
    thread: Thread,
    *,
    limit: int = POSTS_PAGE,
    before: int | None = None,
) -> tuple[list[PostRow], bool]:
    """The posts of a thread as the viewer may see them (the newest ``limit``, or the
    ``limit`` before post id ``before``; oldest first), with reaction counts, the
    viewer's own reactions and unread marks, and whether there are earlier ones. Hidden
    posts appear to members as a line saying so, never with their words. Five queries.
    """
    posts_q = Post.objects.filter(thread=thread)
    if before is not None:
        posts_q = posts_q.filter(id__lt=before)
    if not access.is_facilitator:
        posts_q = posts_q.filter(member_visible_posts_q(actor) | Q(status=PostStatus.HIDDEN))
    newest = list(posts_q.order_by("-id")[: limit + 1])
    more = len(newest) > limit
    posts = list(reversed(newest[:limit]))
    ids = [p.pk for p in posts]
    marker = (
        ReadMarker.objects.filter(thread=thread, user=actor)
        .values_list("last_read_post_id", flat=True)
        .first()
    ) or 0
    counts: Counter[tuple[int, str]] = Counter()
    mine: set[tuple[int, str]] = set()
    for post_id, user_id, kind in Reaction.objects.filter(post_id__in=ids).values_list(
        "post_id", "user_id", "kind"
    ):
        counts[(post_id, kind)] += 1
        if user_id == actor.pk:
            mine.add((post_id, kind))
    reported = set(
        Report.objects.filter(
            post_id__in=ids, reporter=actor, resolved_at__isnull=True
        ).values_list("post_id", flat=True)
    )
    people = authors(access, {p.author_id for p in posts})
    rows: list[PostRow] = []
    for post in posts:
        readable = access.is_facilitator or post.status != PostStatus.HIDDEN
        rows.append(
            PostRow(
                post=post,
                author=people.get(post.author_id),
                html=render_markdown(post.body, heading_offset=2) if readable else None,
                reactions=[
                    (
                        kind.value,
                        str(kind.label),
                        counts[(post.pk, kind.value)],
                        (post.pk, kind.value) in mine,
                    )
                    for kind in ReactionKind
                ],
                unread=post.pk > marker and post.author_id != actor.pk,
                reported_by_me=post.pk in reported,
                is_mine=post.author_id == actor.pk,
            )
        )
    return rows, more


def newer_posts_count(access: SpaceAccess, actor: User, thread: Thread, after_id: int) -> int:
    """How many posts the viewer could see that came after ``after_id`` (polling)."""
    posts = Post.objects.filter(thread=thread, pk__gt=after_id)
    if not access.is_facilitator:
        posts = posts.filter(member_visible_posts_q(actor))
    return posts.count()


def latest_thread_activity(access: SpaceAccess, actor: User) -> str:
    """A short fingerprint of the space list (polling: has anything changed?)."""
    row = (
        threads_for(access, actor)
        .order_by("-last_post_at")
        .values_list("pk", "last_post_at")
        .first()
    )
    return f"{row[0]}:{row[1].isoformat()}" if row else ""


@dataclass
class Moderation:
    pending: list[PostRow]
    reports: list[Report]
    hidden: list[PostRow]
    risky: list[PostRow]
    mutes: list[Mute]
    members: list[tuple[User, str]]  # (member, display name or "")
    message_reports: list[MessageReport] = field(default_factory=list)
    risky_messages: list[MessageRow] = field(default_factory=list)


def moderation_overview(access: SpaceAccess, actor: User) -> Moderation:
    """What the facilitator's moderation page shows; opening it is an access audit
    event (it says who is who). A fixed number of queries (ten)."""
    audit_access(actor=actor, action="space.space.moderation_viewed", obj=access.space)
    space = access.space
    pending = list(Post.objects.filter(space=space, status=PostStatus.PENDING).order_by("id")[:50])
    hidden = list(
        Post.objects.filter(space=space, status=PostStatus.HIDDEN).order_by("-moderated_at")[:50]
    )
    risky = list(
        Post.objects.filter(space=space).exclude(risk_categories=[]).order_by("-created_at")[:20]
    )
    reports = list(
        Report.objects.filter(post__space=space, resolved_at__isnull=True)
        .select_related("post", "post__thread")
        .order_by("created_at")[:50]
    )
    mutes = list(
        Mute.objects.filter(space=space, lifted_at__isnull=True, until__gt=timezone.now())
        .select_related("user")
        .order_by("until")
    )
    message_reports = list(
        MessageReport.objects.filter(message__conversation__space=space, resolved_at__isnull=True)
        .select_related("message")
        .order_by("created_at")[:50]
    )
    risky_messages = list(
        DirectMessage.objects.filter(conversation__space=space)
        .exclude(risk_categories=[])
        .order_by("-created_at")[:20]
    )
    members, names, staff = _room(access)
    everyone = (
        {p.author_id for p in pending + hidden + risky}
        | {r.post.author_id for r in reports}
        | {m.sender_id for m in risky_messages}
    )
    known = {u.pk: u for u in [m for m, _name in members] + staff}
    people = authors(access, everyone, names=names, known=known)

    def row(post: Post) -> PostRow:
        return PostRow(
            post=post,
            author=people.get(post.author_id),
            html=render_markdown(post.body, heading_offset=2),
        )

    return Moderation(
        pending=[row(p) for p in pending],
        reports=reports,
        hidden=[row(p) for p in hidden],
        risky=[row(p) for p in risky],
        mutes=mutes,
        members=members,
        message_reports=message_reports,
        risky_messages=[
            MessageRow(
                message=m,
                author=people.get(m.sender_id),
                html=render_markdown(m.body, heading_offset=2),
            )
            for m in risky_messages
        ],
    )


def _room(access: SpaceAccess) -> tuple[list[tuple[User, str]], dict[int, str], list[User]]:
    """The group's active members with their display names, the names by user id, and
    the group's facilitators' accounts. Two queries."""
    from kindred.accounts.models import User as UserModel

    group = access.group
    # Three indexed sub-selects of user ids, not one OR over outer joins: the joins
    # made PostgreSQL hash every user, client and enrollment of the practice (97 ms at
    # 20,000 clients) to find a dozen people.
    seated = Enrollment.objects.filter(group=group, status=EnrollmentStatus.ACTIVE).values(
        "client__user_id"
    )
    leads = TherapyGroup.objects.filter(pk=group.pk).values("lead_facilitator__user_id")
    co_leads = TherapyGroup.co_facilitators.through.objects.filter(therapygroup=group).values(
        "clinicianprofile__user_id"
    )
    people = list(
        UserModel.objects.filter(Q(pk__in=seated) | Q(pk__in=leads) | Q(pk__in=co_leads)).order_by(
            "full_name", "pk"
        )
    )
    names = dict(DisplayName.objects.filter(space=access.space).values_list("user_id", "name"))
    members = [(m, names.get(m.pk, "")) for m in people if m.kind == "member"]
    staff = [m for m in people if m.kind != "member"]
    return members, names, staff


def moderation_members(access: SpaceAccess) -> list[tuple[User, str]]:
    """The group's active members with their display names (facilitators only). Two
    queries."""
    from kindred.accounts.models import User as UserModel

    members = list(
        UserModel.objects.filter(
            client__enrollments__group=access.group,
            client__enrollments__status=EnrollmentStatus.ACTIVE,
        ).order_by("full_name", "pk")
    )
    names = dict(DisplayName.objects.filter(space=access.space).values_list("user_id", "name"))
    return [(m, names.get(m.pk, "")) for m in members]


def unread_by_group(actor: User, group_ids: list[int]) -> dict[int, int]:
    """Unread visible posts per group space for ``actor`` (for links): one query."""
    if not group_ids:
        return {}
    marker = ReadMarker.objects.filter(thread=OuterRef("thread_id"), user=actor).values(
        "last_read_post_id"
    )[:1]
    rows = (
        Post.objects.filter(space__group_id__in=group_ids, status=PostStatus.VISIBLE)
        .exclude(author=actor)
        .annotate(seen=Coalesce(Subquery(marker, output_field=IntegerField()), Value(0)))
        .filter(id__gt=F("seen"))
        .values("space__group_id")
        .annotate(n=Count("id"))
    )
    found: dict[int, int] = defaultdict(int)
    for item in rows:
        found[item["space__group_id"]] = item["n"]
    return dict(found)


# --- direct messages -------------------------------------------------------------------

#: Conversations listed on the messages page; messages shown in one conversation.
CONVERSATIONS_PAGE = 50
MESSAGES_PAGE = 100


@dataclass
class ConversationRow:
    conversation: Conversation
    people: list[Author]  # the other member (members), or both members (facilitators)
    unread: int
    messages: int


def _unread_q(actor: User) -> Q:
    """Messages in a conversation ``actor`` has not seen (visible, from the other)."""
    return (
        Q(messages__status=PostStatus.VISIBLE)
        & ~Q(messages__sender=actor)
        & (
            Q(member_low=actor, messages__id__gt=F("low_read_id"))
            | Q(member_high=actor, messages__id__gt=F("high_read_id"))
        )
    )


def conversation_list(
    access: SpaceAccess, actor: User, *, limit: int = CONVERSATIONS_PAGE
) -> tuple[list[ConversationRow], bool]:
    """A member's own conversations in the space, or every conversation of the space
    for its facilitators, newest first, with unread and message counts. Four queries."""
    conversations = Conversation.objects.filter(space=access.space)
    if not access.is_facilitator:
        conversations = conversations.filter(Q(member_low=actor) | Q(member_high=actor))
    ids = list(
        conversations.order_by("-last_message_at", "-id").values_list("pk", flat=True)[: limit + 1]
    )
    more = len(ids) > limit
    ids = ids[:limit]
    shown = Q(messages__status=PostStatus.VISIBLE) if not access.is_facilitator else Q()
    counted = {
        c.pk: c
        for c in Conversation.objects.filter(pk__in=ids).annotate(
            n_messages=Count("messages", filter=shown),
            n_unread=Count("messages", filter=_unread_q(actor)),
        )
    }
    rows = [counted[pk] for pk in ids if pk in counted]
    people = authors(access, {c.member_low_id for c in rows} | {c.member_high_id for c in rows})
    result: list[ConversationRow] = []
    for c in rows:
        pair = [c.member_low_id, c.member_high_id]
        shown_ids = pair if access.is_facilitator else [c.other(actor.pk)]
        result.append(
            ConversationRow(
                conversation=c,
                people=[people[i] for i in shown_ids if i in people],
                unread=c.n_unread,
                messages=c.n_messages,
            )
        )
    return result, more


def message_summary(access: SpaceAccess, actor: User) -> tuple[int, int]:
    """(conversations, unread direct messages) of a member in this space: one query.
    Facilitators: (1, 0) — they may always open the list."""
    if not access.is_member:
        return (1, 0)
    found = (
        Conversation.objects.filter(space=access.space)
        .filter(Q(member_low=actor) | Q(member_high=actor))
        .aggregate(n=Count("id", distinct=True), unread=Count("messages", filter=_unread_q(actor)))
    )
    return (found["n"] or 0, found["unread"] or 0)


@dataclass
class MessageRow:
    message: DirectMessage
    author: Author | None
    html: SafeString | None  # None for members when hidden
    is_mine: bool = False
    unread: bool = False
    reported_by_me: bool = False


def conversation_messages(
    access: SpaceAccess, actor: User, conversation: Conversation, *, limit: int = MESSAGES_PAGE
) -> tuple[list[MessageRow], bool, list[Author]]:
    """The newest ``limit`` messages (oldest first) as the viewer may see them, whether
    there are earlier ones, and the two members. A facilitator reading a conversation
    is an access audit event. Four queries (five for facilitators)."""
    if access.is_facilitator:
        audit_access(actor=actor, action="space.conversation.read", obj=conversation)
    newest = list(
        DirectMessage.objects.filter(conversation=conversation).order_by("-id")[: limit + 1]
    )
    more = len(newest) > limit
    messages = list(reversed(newest[:limit]))
    pair = [conversation.member_low_id, conversation.member_high_id]
    people = authors(access, set(pair))
    reported = set(
        MessageReport.objects.filter(
            message_id__in=[m.pk for m in messages], reporter=actor, resolved_at__isnull=True
        ).values_list("message_id", flat=True)
    )
    seen = (
        conversation.low_read_id
        if actor.pk == conversation.member_low_id
        else conversation.high_read_id
    )
    rows = [
        MessageRow(
            message=m,
            author=people.get(m.sender_id),
            html=(
                render_markdown(m.body, heading_offset=2)
                if access.is_facilitator or m.status != PostStatus.HIDDEN
                else None
            ),
            is_mine=m.sender_id == actor.pk,
            unread=conversation.includes(actor.pk) and m.sender_id != actor.pk and m.pk > seen,
            reported_by_me=m.pk in reported,
        )
        for m in messages
    ]
    return rows, more, [people[i] for i in pair if i in people]
