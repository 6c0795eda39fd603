"""API v1: group spaces (issue 8) — threads, posts, reactions, reports and moderation.

Members use their signed-in browser session (they never hold tokens); clinicians use a
session or a token with ``space:read`` / ``space:write``. Either way the same access
functions as the pages decide (``kindred.space.access``: active members and the
group's lead and co-facilitators; 404 and a denied event for anyone else) and the same
services do the work. A member whose post held risk language gets ``crisis`` in the
answer: show it at once.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.models import User
from kindred.accounts.names import validate_person_name
from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of
from kindred.core.access import deny
from kindred.core.errors import NotFound, ValidationFailed
from kindred.space import selectors, services
from kindred.space.access import (
    SpaceAccess,
    get_conversation_for,
    get_message_for,
    get_own_conversation_for,
    get_own_message_for,
    get_post_for,
    get_space_for,
    get_thread_for,
    visible_space_groups,
)
from kindred.space.models import (
    DISPLAY_NAME_MAX,
    POST_MAX,
    REASON_MAX,
    RULES_MAX,
    TITLE_MAX,
    DirectMessage,
    ModerationMode,
    Mute,
    Post,
    PostStatus,
    ReactionKind,
    Report,
    ReportReason,
    Space,
)

MODERATION_ACTIONS = [
    ("hide", "Hide"),
    ("restore", "Restore"),
    ("approve", "Approve"),
]
SPACE_SCOPES = {"read": Scope.SPACE_READ, "write": Scope.SPACE_WRITE}

CRISIS = {
    "message": (
        "What you wrote sounds really hard. Your facilitator has been told. If you are "
        "thinking about suicide or might hurt yourself or someone else, call or text 988 "
        "at any time; in an emergency call 911."
    ),
    "call": "988",
    "text": "988",
    "emergency": "911",
}


# --- serializers ---------------------------------------------------------------------------


class AuthorSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="Display name (members) or own name (facilitators).")
    is_facilitator = serializers.BooleanField()
    real_name = serializers.CharField(
        allow_blank=True, help_text="Facilitators only: who the member is."
    )


class ReactionCountSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReactionKind.choices)
    text = serializers.CharField(help_text="The reaction in words, e.g. “With you”.")
    count = serializers.IntegerField()
    mine = serializers.BooleanField()


class SpacePostSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    thread_id = serializers.IntegerField()
    author = AuthorSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=PostStatus.choices)
    created_at = serializers.DateTimeField()
    body = serializers.CharField(
        allow_null=True, help_text="Markdown as written; null when hidden (members)."
    )
    body_html = serializers.CharField(
        allow_null=True, help_text="Sanitised HTML; null when hidden (members)."
    )
    reactions = ReactionCountSerializer(many=True)
    unread = serializers.BooleanField()
    mine = serializers.BooleanField()
    risk_categories = serializers.ListField(
        child=serializers.CharField(), help_text="Facilitators only (empty for members)."
    )
    moderation_reason = serializers.CharField(allow_blank=True)


class SpaceThreadSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    pinned = serializers.BooleanField()
    locked = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_post_at = serializers.DateTimeField()
    posts = serializers.IntegerField()
    unread = serializers.IntegerField()
    starter = AuthorSerializer(allow_null=True)


class SpaceSerializer(serializers.Serializer[Any]):
    group_id = serializers.IntegerField()
    group_name = serializers.CharField()
    role = serializers.ChoiceField(choices=["member", "facilitator"])
    moderation = serializers.ChoiceField(choices=ModerationMode.choices)
    paused = serializers.BooleanField()
    paused_reason = serializers.CharField(allow_blank=True)
    direct_messages_allowed = serializers.BooleanField()
    office_hours = serializers.CharField(allow_blank=True)
    rules = serializers.CharField(allow_blank=True)
    display_name = serializers.CharField(allow_blank=True)
    muted_until = serializers.DateTimeField(allow_null=True)


class SpaceListItemSerializer(serializers.Serializer[Any]):
    group_id = serializers.IntegerField()
    group_name = serializers.CharField()
    unread = serializers.IntegerField()


class CrisisSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    call = serializers.CharField()
    text = serializers.CharField()
    emergency = serializers.CharField()


class PostCreatedSerializer(serializers.Serializer[Any]):
    post = SpacePostSerializer()
    crisis = CrisisSerializer(
        allow_null=True,
        help_text="Present when the writer's words raised a safety alert: show it at once.",
    )


class ThreadInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=TITLE_MAX * 2)
    body = serializers.CharField(trim_whitespace=False, help_text=f"At most {POST_MAX} characters.")


class PostInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(trim_whitespace=False, help_text=f"At most {POST_MAX} characters.")


class DisplayNameInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(validators=[validate_person_name], max_length=DISPLAY_NAME_MAX * 2)


class ReactionInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReactionKind.choices)


class ReportInputSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True)


class ModerateInputSerializer(serializers.Serializer[Any]):
    change = serializers.ChoiceField(choices=MODERATION_ACTIONS)
    reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True)


class ThreadFlagsInputSerializer(serializers.Serializer[Any]):
    pinned = serializers.BooleanField(required=False)
    locked = serializers.BooleanField(required=False)


class SettingsInputSerializer(serializers.Serializer[Any]):
    moderation = serializers.ChoiceField(choices=ModerationMode.choices, required=False)
    direct_messages_allowed = serializers.BooleanField(required=False)
    office_hours = serializers.CharField(max_length=300, required=False, allow_blank=True)
    rules = serializers.CharField(max_length=RULES_MAX, required=False, allow_blank=True)


class PauseInputSerializer(serializers.Serializer[Any]):
    paused = serializers.BooleanField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class MuteInputSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField(help_text="The member's user id (see moderation members).")
    days = serializers.IntegerField(min_value=1, max_value=services.MUTE_MAX_DAYS)
    reason = serializers.CharField(max_length=REASON_MAX)


class ResolveInputSerializer(serializers.Serializer[Any]):
    resolution = serializers.CharField(max_length=REASON_MAX)


class ReportSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    post_id = serializers.IntegerField()
    thread_id = serializers.IntegerField(source="post.thread_id")
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class MuteSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    until = serializers.DateTimeField()
    reason = serializers.CharField()
    lifted_at = serializers.DateTimeField(allow_null=True)


class MemberNameSerializer(serializers.Serializer[Any]):
    user_id = serializers.IntegerField()
    full_name = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)


class ModerationSerializer(serializers.Serializer[Any]):
    pending = SpacePostSerializer(many=True)
    hidden = SpacePostSerializer(many=True)
    risky = SpacePostSerializer(many=True)
    reports = ReportSerializer(many=True)
    mutes = MuteSerializer(many=True)
    members = MemberNameSerializer(many=True)
    message_reports = serializers.ListField(
        child=serializers.DictField(),
        help_text="Open reports of direct messages: id, message_id, conversation_id, reason, "
        "note, created_at.",
    )
    risky_messages = serializers.ListField(
        child=serializers.DictField(),
        help_text="The latest direct messages with risk language (as in a conversation).",
    )


def _author(author: selectors.Author | None) -> dict[str, Any] | None:
    if author is None:
        return None
    return {
        "name": author.label,
        "is_facilitator": author.is_facilitator,
        "real_name": author.real_name,
    }


def _post_data(access: SpaceAccess, row: selectors.PostRow) -> dict[str, Any]:
    post = row.post
    readable = row.html is not None
    return {
        "id": post.pk,
        "thread_id": post.thread_id,
        "author": _author(row.author),
        "status": post.status,
        "created_at": post.created_at,
        "body": post.body if readable else None,
        "body_html": str(row.html) if readable else None,
        "reactions": [
            {"kind": kind, "text": label, "count": count, "mine": mine}
            for kind, label, count, mine in row.reactions
        ],
        "unread": row.unread,
        "mine": row.is_mine,
        "risk_categories": list(post.risk_categories) if access.is_facilitator else [],
        "moderation_reason": post.moderation_reason if access.is_facilitator else "",
    }


def _one_post(access: SpaceAccess, actor: User, post: Post) -> dict[str, Any]:
    rows, _more = selectors.thread_posts(access, actor, post.thread)
    for row in rows:
        if row.post.pk == post.pk:
            return _post_data(access, row)
    author = selectors.authors(access, {post.author_id}).get(post.author_id)
    return _post_data(access, selectors.PostRow(post=post, author=author, html=None))


def _created(access: SpaceAccess, actor: User, post: Post) -> Response:
    crisis = CRISIS if post.risk_flagged and post.author_id == actor.pk else None
    return Response(
        {"post": _one_post(access, actor, post), "crisis": crisis}, status=status.HTTP_201_CREATED
    )


def _space_data(access: SpaceAccess, actor: User) -> dict[str, Any]:
    space = access.space
    mute = services.active_mute(space, actor) if access.is_member else None
    name = selectors.display_name_of(access, actor) if access.is_member else None
    return {
        "group_id": access.group.pk,
        "group_name": access.group.name,
        "role": str(access.role),
        "moderation": space.moderation,
        "paused": space.paused,
        "paused_reason": space.paused_reason,
        "direct_messages_allowed": space.direct_messages_allowed,
        "office_hours": space.office_hours,
        "rules": space.rules,
        "display_name": name.name if name else "",
        "muted_until": mute.until if mute else None,
    }


def _facilitator(access: SpaceAccess, actor: User, group_id: object) -> SpaceAccess:
    if not access.is_facilitator:
        deny(actor, Space, group_id)
    return access


def _moderation_asked(
    request: Request,
    access: SpaceAccess,
    actor: User,
    model: type[Post | DirectMessage],
    object_id: object,
) -> tuple[str, str]:
    """The change a facilitator asks for on a post or direct message, and their reason
    ("" when none); for anyone else a denied event and 404, before the input is read."""
    if not access.is_facilitator:
        deny(actor, model, object_id)
    serializer = ModerateInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["change"], serializer.validated_data.get("reason", "")


def _report_asked(request: Request) -> tuple[str, str]:
    """The reason and note of a member's report of a post or direct message."""
    serializer = ReportInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["reason"], serializer.validated_data.get("note", "")


# --- views ---------------------------------------------------------------------------------


class SpaceListView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpaceListItemSerializer
    pagination_class = None

    @extend_schema(
        responses=SpaceListItemSerializer(many=True),
        summary="The group spaces you can read, with unread posts",
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        groups = list(visible_space_groups(actor).order_by("name", "pk").values("pk", "name"))
        unread = selectors.unread_by_group(actor, [g["pk"] for g in groups])
        data = [
            {"group_id": g["pk"], "group_name": g["name"], "unread": unread.get(g["pk"], 0)}
            for g in groups
        ]
        return Response(SpaceListItemSerializer(data, many=True).data)


class SpaceDetailView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpaceSerializer

    @extend_schema(
        responses=SpaceSerializer, summary="A group's space: settings and your place in it"
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id)
        return Response(SpaceSerializer(_space_data(access, actor)).data)

    @extend_schema(
        request=SettingsInputSerializer,
        responses=SpaceSerializer,
        summary="Change moderation, direct messages, office hours or rules (facilitators)",
    )
    def patch(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = _facilitator(get_space_for(actor, group_id), actor, group_id)
        serializer = SettingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        space = access.space
        values = {
            "moderation": space.moderation,
            "direct_messages_allowed": space.direct_messages_allowed,
            "office_hours": space.office_hours,
            "rules": space.rules,
            **serializer.validated_data,
        }
        services.space_settings_update(actor=actor, access=access, **values)
        access = get_space_for(actor, group_id)
        return Response(SpaceSerializer(_space_data(access, actor)).data)


class SpacePauseView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpaceSerializer

    @extend_schema(
        request=PauseInputSerializer,
        responses=SpaceSerializer,
        summary="Pause the space (with a reason members see) or open it again (facilitators)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = _facilitator(get_space_for(actor, group_id), actor, group_id)
        serializer = PauseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["paused"]:
            services.space_pause(
                actor=actor, access=access, reason=serializer.validated_data.get("reason", "")
            )
        else:
            services.space_resume(actor=actor, access=access)
        access = get_space_for(actor, group_id)
        return Response(SpaceSerializer(_space_data(access, actor)).data)


class DisplayNameView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpaceSerializer

    @extend_schema(
        request=DisplayNameInputSerializer,
        responses=SpaceSerializer,
        summary="Choose the name you write under in this space (members)",
    )
    def put(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id)
        serializer = DisplayNameInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.display_name_set(
            actor=actor, access=access, name=serializer.validated_data["name"]
        )
        return Response(SpaceSerializer(_space_data(access, actor)).data)


class ThreadListView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpaceThreadSerializer
    pagination_class = None

    @extend_schema(
        responses=SpaceThreadSerializer(many=True),
        summary="The space's conversations (pinned first, then latest), with unread counts",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id)
        rows, _more = selectors.thread_list(access, actor)
        data = [
            {
                "id": r.thread.pk,
                "title": r.thread.title,
                "pinned": r.thread.pinned,
                "locked": r.thread.locked,
                "created_at": r.thread.created_at,
                "last_post_at": r.thread.last_post_at,
                "posts": r.posts,
                "unread": r.unread,
                "starter": _author(r.starter),
            }
            for r in rows
        ]
        return Response(SpaceThreadSerializer(data, many=True).data)

    @extend_schema(
        request=ThreadInputSerializer,
        responses={201: PostCreatedSerializer, 409: OpenApiTypes.OBJECT},
        summary="Start a conversation (its first post)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id, allow_former=True)
        serializer = ThreadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.thread_create(actor=actor, access=access, **serializer.validated_data)
        return _created(access, actor, post)


THREAD_DETAIL = inline_serializer(
    "SpaceThreadDetail",
    {
        "thread": SpaceThreadSerializer(),
        "posts": SpacePostSerializer(many=True),
        "earlier_posts_not_shown": serializers.BooleanField(),
    },
)


class ThreadDetailView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpaceThreadSerializer

    @extend_schema(
        responses=THREAD_DETAIL,
        summary="A conversation with its posts (marks them read)",
    )
    def get(self, request: Request, thread_id: int) -> Response:
        actor = actor_of(request)
        access, thread = get_thread_for(actor, thread_id)
        rows, more = selectors.thread_posts(access, actor, thread)
        services.thread_mark_read(
            actor=actor, thread=thread, up_to_post_id=max((r.post.pk for r in rows), default=0)
        )
        starter = selectors.authors(access, {thread.created_by_id}).get(thread.created_by_id)
        return Response(
            {
                "thread": {
                    "id": thread.pk,
                    "title": thread.title,
                    "pinned": thread.pinned,
                    "locked": thread.locked,
                    "created_at": thread.created_at,
                    "last_post_at": thread.last_post_at,
                    "posts": len(rows),
                    "unread": 0,
                    "starter": _author(starter),
                },
                "posts": [_post_data(access, r) for r in rows],
                "earlier_posts_not_shown": more,
            }
        )

    @extend_schema(
        request=ThreadFlagsInputSerializer,
        responses=SpaceThreadSerializer,
        summary="Pin or lock a conversation (facilitators)",
    )
    def patch(self, request: Request, thread_id: int) -> Response:
        actor = actor_of(request)
        access, thread = get_thread_for(actor, thread_id)
        serializer = ThreadFlagsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        thread = services.thread_set_flags(
            actor=actor, access=access, thread=thread, **serializer.validated_data
        )
        return Response(
            {
                "id": thread.pk,
                "title": thread.title,
                "pinned": thread.pinned,
                "locked": thread.locked,
                "created_at": thread.created_at,
                "last_post_at": thread.last_post_at,
                "posts": 0,
                "unread": 0,
                "starter": None,
            }
        )


class ReplyView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = PostCreatedSerializer

    @extend_schema(
        request=PostInputSerializer,
        responses={201: PostCreatedSerializer, 409: OpenApiTypes.OBJECT},
        summary="Reply in a conversation",
    )
    def post(self, request: Request, thread_id: int) -> Response:
        actor = actor_of(request)
        access, thread = get_thread_for(actor, thread_id, allow_former=True)
        serializer = PostInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_create(
            actor=actor, access=access, thread=thread, body=serializer.validated_data["body"]
        )
        return _created(access, actor, post)


class ReactionView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpacePostSerializer

    @extend_schema(
        request=ReactionInputSerializer,
        responses={201: SpacePostSerializer, 409: OpenApiTypes.OBJECT},
        summary="React to a post (once per kind)",
    )
    def post(self, request: Request, post_id: int) -> Response:
        actor = actor_of(request)
        access, post = get_post_for(actor, post_id, allow_former=True)
        serializer = ReactionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reaction_add(
            actor=actor, access=access, post=post, kind=serializer.validated_data["kind"]
        )
        return Response(_one_post(access, actor, post), status=status.HTTP_201_CREATED)


class ReactionDeleteView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpacePostSerializer

    @extend_schema(responses={204: None}, summary="Take back your reaction")
    def delete(self, request: Request, post_id: int, kind: str) -> Response:
        actor = actor_of(request)
        access, post = get_post_for(actor, post_id)
        if kind not in ReactionKind.values:
            raise NotFound("Not found.")
        services.reaction_remove(actor=actor, access=access, post=post, kind=kind)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportCreateView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = ReportSerializer

    @extend_schema(
        request=ReportInputSerializer,
        responses={201: ReportSerializer, 409: OpenApiTypes.OBJECT},
        summary="Report a post to the facilitators (members; not your own)",
    )
    def post(self, request: Request, post_id: int) -> Response:
        actor = actor_of(request)
        access, post = get_post_for(actor, post_id, allow_former=True)
        reason, note = _report_asked(request)
        report = services.report_create(
            actor=actor, access=access, post=post, reason=reason, note=note
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class PostModerationView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SpacePostSerializer

    @extend_schema(
        request=ModerateInputSerializer,
        responses=SpacePostSerializer,
        summary="Hide (with a reason), restore or approve a post (facilitators)",
    )
    def post(self, request: Request, post_id: int) -> Response:
        actor = actor_of(request)
        access, post = get_post_for(actor, post_id)
        action, reason = _moderation_asked(request, access, actor, Post, post_id)
        if action == "hide":
            post = services.post_hide(actor=actor, access=access, post=post, reason=reason)
        elif action == "restore":
            post = services.post_restore(actor=actor, access=access, post=post, reason=reason)
        else:
            post = services.post_approve(actor=actor, access=access, post=post)
        return Response(_one_post(access, actor, post))


class ModerationView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = ModerationSerializer

    @extend_schema(
        responses=ModerationSerializer,
        summary="Pending, hidden and risky posts, open reports, mutes and who is who "
        "(facilitators; audited)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = _facilitator(get_space_for(actor, group_id), actor, group_id)
        overview = selectors.moderation_overview(access, actor)
        return Response(
            {
                "pending": [_post_data(access, r) for r in overview.pending],
                "hidden": [_post_data(access, r) for r in overview.hidden],
                "risky": [_post_data(access, r) for r in overview.risky],
                "reports": ReportSerializer(overview.reports, many=True).data,
                "mutes": MuteSerializer(overview.mutes, many=True).data,
                "members": [
                    {"user_id": m.pk, "full_name": m.full_name, "display_name": name}
                    for m, name in overview.members
                ],
                "message_reports": [
                    {
                        "id": r.pk,
                        "message_id": r.message_id,
                        "conversation_id": r.message.conversation_id,
                        "reason": r.reason,
                        "note": r.note,
                        "created_at": r.created_at,
                    }
                    for r in overview.message_reports
                ],
                "risky_messages": [_message_data(access, r) for r in overview.risky_messages],
            }
        )


class MuteCreateView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = MuteSerializer

    @extend_schema(
        request=MuteInputSerializer,
        responses={201: MuteSerializer},
        summary="Stop a member posting for some days (facilitators)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = _facilitator(get_space_for(actor, group_id), actor, group_id)
        serializer = MuteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = User.objects.filter(pk=serializer.validated_data["user"]).first()
        if user is None:
            raise ValidationFailed(_("Choose a member of this group."), field="user")
        mute = services.mute_create(
            actor=actor,
            access=access,
            user=user,
            days=serializer.validated_data["days"],
            reason=serializer.validated_data["reason"],
        )
        return Response(MuteSerializer(mute).data, status=status.HTTP_201_CREATED)


class MuteLiftView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = MuteSerializer

    @extend_schema(request=None, responses=MuteSerializer, summary="Lift a mute (facilitators)")
    def post(self, request: Request, mute_id: int) -> Response:
        actor = actor_of(request)
        group_id = Mute.objects.filter(pk=mute_id).values_list("space__group_id", flat=True).first()
        if group_id is None:
            deny(actor, Mute, mute_id)
        access = _facilitator(get_space_for(actor, group_id), actor, group_id)
        mute = Mute.objects.get(pk=mute_id)
        mute = services.mute_lift(actor=actor, access=access, mute=mute)
        return Response(MuteSerializer(mute).data)


class ReportResolveView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = ReportSerializer

    @extend_schema(
        request=ResolveInputSerializer,
        responses=ReportSerializer,
        summary="Close a report, saying what was done (facilitators)",
    )
    def post(self, request: Request, report_id: int) -> Response:
        actor = actor_of(request)
        group_id = (
            Report.objects.filter(pk=report_id)
            .values_list("post__space__group_id", flat=True)
            .first()
        )
        if group_id is None:
            deny(actor, Report, report_id)
        access = _facilitator(get_space_for(actor, group_id), actor, group_id)
        serializer = ResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = Report.objects.select_related("post").get(pk=report_id)
        report = services.report_resolve(
            actor=actor,
            access=access,
            report=report,
            resolution=serializer.validated_data["resolution"],
        )
        return Response(ReportSerializer(report).data)


# --- direct messages -----------------------------------------------------------------------


class ConversationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    people = AuthorSerializer(
        many=True, help_text="The other member (members) or both members (facilitators)."
    )
    last_message_at = serializers.DateTimeField()
    messages = serializers.IntegerField()
    unread = serializers.IntegerField()


class DirectMessageSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    author = AuthorSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=PostStatus.choices)
    created_at = serializers.DateTimeField()
    body = serializers.CharField(allow_null=True, help_text="Null when hidden (members).")
    body_html = serializers.CharField(allow_null=True, help_text="Sanitised HTML.")
    mine = serializers.BooleanField()
    unread = serializers.BooleanField()
    risk_categories = serializers.ListField(
        child=serializers.CharField(), help_text="Facilitators only (empty for members)."
    )
    moderation_reason = serializers.CharField(allow_blank=True)


class MessageSentSerializer(serializers.Serializer[Any]):
    message = DirectMessageSerializer()
    crisis = CrisisSerializer(
        allow_null=True,
        help_text="Present when the writer's words raised a safety alert: show it at once.",
    )


class StartConversationInputSerializer(serializers.Serializer[Any]):
    member = serializers.IntegerField(help_text="The other member's user id.")


class MessageModerateInputSerializer(ModerateInputSerializer):
    # The same fields and choices as for posts (one enum in the schema), named apart in
    # the schema; "approve" is refused: direct messages never wait for approval.
    pass


class MessageReportSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    message_id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


CONVERSATION_DETAIL = inline_serializer(
    "SpaceConversationDetail",
    {
        "conversation": ConversationSerializer(),
        "messages": DirectMessageSerializer(many=True),
        "earlier_messages_not_shown": serializers.BooleanField(),
        "can_send": serializers.BooleanField(),
        "cannot_send_reason": serializers.CharField(allow_blank=True),
    },
)


def _message_data(access: SpaceAccess, row: selectors.MessageRow) -> dict[str, Any]:
    message = row.message
    readable = row.html is not None
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "author": _author(row.author),
        "status": message.status,
        "created_at": message.created_at,
        "body": message.body if readable else None,
        "body_html": str(row.html) if readable else None,
        "mine": row.is_mine,
        "unread": row.unread,
        "risk_categories": list(message.risk_categories) if access.is_facilitator else [],
        "moderation_reason": message.moderation_reason if access.is_facilitator else "",
    }


def _conversation_data(row: selectors.ConversationRow) -> dict[str, Any]:
    return {
        "id": row.conversation.pk,
        "people": [_author(p) for p in row.people],
        "last_message_at": row.conversation.last_message_at,
        "messages": row.messages,
        "unread": row.unread,
    }


def _one_message(access: SpaceAccess, actor: User, message: DirectMessage) -> dict[str, Any]:
    from kindred.core.markdown import render_markdown

    author = selectors.authors(access, {message.sender_id}).get(message.sender_id)
    readable = access.is_facilitator or message.status != PostStatus.HIDDEN
    row = selectors.MessageRow(
        message=message,
        author=author,
        html=render_markdown(message.body, heading_offset=2) if readable else None,
        is_mine=message.sender_id == actor.pk,
    )
    return _message_data(access, row)


class ConversationListView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = ConversationSerializer
    pagination_class = None

    @extend_schema(
        responses=ConversationSerializer(many=True),
        summary="Direct-message conversations: your own (members) or all of the group's "
        "(facilitators), newest first, with unread counts",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id)
        rows, _more = selectors.conversation_list(access, actor)
        return Response(
            ConversationSerializer([_conversation_data(r) for r in rows], many=True).data
        )

    @extend_schema(
        request=StartConversationInputSerializer,
        responses={201: ConversationSerializer, 409: OpenApiTypes.OBJECT},
        summary="Open the conversation with another member (members; when the facilitator "
        "has turned direct messages on)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id, allow_former=True)
        serializer = StartConversationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation = services.conversation_start(
            actor=actor, access=access, with_user_id=serializer.validated_data["member"]
        )
        rows, _more = selectors.conversation_list(access, actor)
        row = next(r for r in rows if r.conversation.pk == conversation.pk)
        return Response(
            ConversationSerializer(_conversation_data(row)).data, status=status.HTTP_201_CREATED
        )


class ConversationDetailView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = ConversationSerializer

    @extend_schema(
        responses=CONVERSATION_DETAIL,
        summary="A conversation with its newest messages (marks them read; a facilitator's "
        "read is audited)",
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        from kindred.web.space.messages import why_not_send

        actor = actor_of(request)
        access, conversation = get_conversation_for(actor, conversation_id)
        rows, more, pair = selectors.conversation_messages(access, actor, conversation)
        services.conversation_mark_read(
            actor=actor,
            conversation=conversation,
            up_to_id=max((r.message.pk for r in rows), default=0),
        )
        reason = why_not_send(access, actor)
        return Response(
            {
                "conversation": {
                    "id": conversation.pk,
                    "people": [_author(p) for p in pair],
                    "last_message_at": conversation.last_message_at,
                    "messages": len(rows),
                    "unread": 0,
                },
                "messages": [_message_data(access, r) for r in rows],
                "earlier_messages_not_shown": more,
                "can_send": access.is_member and not reason,
                "cannot_send_reason": reason,
            }
        )


class MessageSendView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = MessageSentSerializer

    @extend_schema(
        request=PostInputSerializer,
        responses={201: MessageSentSerializer, 409: OpenApiTypes.OBJECT},
        summary="Send a direct message (members)",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        actor = actor_of(request)
        # The two members only (404 for the facilitators too), before the body is read.
        access, conversation = get_own_conversation_for(actor, conversation_id, allow_former=True)
        serializer = PostInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_send(
            actor=actor,
            access=access,
            conversation=conversation,
            body=serializer.validated_data["body"],
        )
        crisis = CRISIS if message.risk_flagged else None
        return Response(
            {"message": _one_message(access, actor, message), "crisis": crisis},
            status=status.HTTP_201_CREATED,
        )


class MessageModerationView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = DirectMessageSerializer

    @extend_schema(
        request=MessageModerateInputSerializer,
        responses=DirectMessageSerializer,
        summary="Hide (with a reason) or restore a direct message (facilitators)",
    )
    def post(self, request: Request, message_id: int) -> Response:
        actor = actor_of(request)
        access, message = get_message_for(actor, message_id)
        change, reason = _moderation_asked(request, access, actor, DirectMessage, message_id)
        if change == "approve":
            raise ValidationFailed(
                _("Direct messages never wait for approval: choose hide or restore."),
                field="change",
            )
        if change == "hide":
            message = services.message_hide(
                actor=actor, access=access, message=message, reason=reason
            )
        else:
            message = services.message_restore(actor=actor, access=access, message=message)
        return Response(_one_message(access, actor, message))


class MessageReportCreateView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = MessageReportSerializer

    @extend_schema(
        request=ReportInputSerializer,
        responses={201: MessageReportSerializer, 409: OpenApiTypes.OBJECT},
        summary="Report a direct message you received to the facilitators (members)",
    )
    def post(self, request: Request, message_id: int) -> Response:
        actor = actor_of(request)
        # The conversation's members only (404 for the facilitators too), before the input.
        access, message = get_own_message_for(actor, message_id, allow_former=True)
        reason, note = _report_asked(request)
        report = services.message_report_create(
            actor=actor, access=access, message=message, reason=reason, note=note
        )
        return Response(MessageReportSerializer(report).data, status=status.HTTP_201_CREATED)
