"""API v1: goals and weekly check-ins (issue 8) — a member's own goals, check-ins,
supportive replies, the group's shared goals, and the facilitator's view of a group.

Members use their signed-in browser session (they never hold tokens); clinicians use a
session or a token with ``space:read`` / ``space:write`` (goals live beside the group's
space and reach exactly the same people). Either way the same access functions as the
pages decide (``kindred.goals.access``; 404 and a denied event for anyone else) and the
same services do the work. When what a member wrote held risk language the answer
carries ``crisis``: show it at once.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of
from kindred.api.v1.space import CRISIS, CrisisSerializer
from kindred.core.errors import NotFound
from kindred.goals import selectors, services
from kindred.goals.access import (
    GoalAccess,
    get_goal_for,
    get_staff_group_for,
)
from kindred.goals.models import (
    NEXT_STEP_MAX,
    NOTE_MAX,
    PROGRESS_MAX,
    PROGRESS_MIN,
    REASON_MAX,
    REPLY_MAX,
    WHAT_MAX,
    WHY_MAX,
    CheckIn,
    GoalStatus,
    ReplyStatus,
    SupportReply,
)
from kindred.space.access import member_client

GOAL_SCOPES = {"read": Scope.SPACE_READ, "write": Scope.SPACE_WRITE}
REPLY_CHANGES = [("hide", "Hide"), ("restore", "Restore")]


# --- serializers ---------------------------------------------------------------------------


class CheckInSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    week_of = serializers.DateField(help_text="Monday of the ISO week, in the member's zone.")
    progress = serializers.IntegerField(min_value=PROGRESS_MIN, max_value=PROGRESS_MAX)
    note = serializers.CharField(
        allow_blank=True, help_text="Empty for other members when it held risk language."
    )
    risk_flagged = serializers.BooleanField(help_text="Staff only (false for members).")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SupportReplySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    checkin_id = serializers.IntegerField(allow_null=True)
    author = serializers.CharField(help_text="Display name, 'A group member', or staff's name.")
    author_is_facilitator = serializers.BooleanField()
    author_real_name = serializers.CharField(allow_blank=True, help_text="Staff only.")
    body = serializers.CharField(allow_null=True, help_text="Null for members when hidden.")
    status = serializers.ChoiceField(choices=ReplyStatus.choices)
    hidden_reason = serializers.CharField(allow_blank=True, help_text="Staff only.")
    risk_flagged = serializers.BooleanField(help_text="Staff only (false for members).")
    created_at = serializers.DateTimeField()


class GoalSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(
        choices=["owner", "peer", "staff"], help_text="How you see this goal."
    )
    owner = serializers.CharField(help_text="'you', a display name, or 'A group member'.")
    owner_real_name = serializers.CharField(allow_blank=True, help_text="Staff only.")
    client_id = serializers.IntegerField(allow_null=True, help_text="Owner and staff only.")
    group_id = serializers.IntegerField(allow_null=True)
    what = serializers.CharField()
    why = serializers.CharField(allow_null=True, help_text="Null for other members.")
    by_when = serializers.DateField(allow_null=True)
    next_step = serializers.CharField(allow_blank=True)
    shared_with_group = serializers.BooleanField()
    status = serializers.ChoiceField(choices=GoalStatus.choices)
    reached_at = serializers.DateTimeField(allow_null=True)
    nudges = serializers.BooleanField(allow_null=True, help_text="Owner only.")
    nudge_day = serializers.IntegerField(
        min_value=0, max_value=6, allow_null=True, help_text="0 = Monday … 6 = Sunday. Owner only."
    )
    created_at = serializers.DateTimeField()
    checked_in_this_week = serializers.BooleanField()
    checkins = CheckInSerializer(many=True)
    replies = SupportReplySerializer(many=True)


class GoalSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField(allow_null=True)
    what = serializers.CharField()
    by_when = serializers.DateField(allow_null=True)
    next_step = serializers.CharField(allow_blank=True)
    shared_with_group = serializers.BooleanField()
    status = serializers.ChoiceField(choices=GoalStatus.choices)
    reached_at = serializers.DateTimeField(allow_null=True)
    nudges = serializers.BooleanField()
    nudge_day = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday.")
    this_week = CheckInSerializer(allow_null=True)
    latest_checkin = CheckInSerializer(allow_null=True)
    replies = serializers.IntegerField(help_text="Visible messages of support.")
    created_at = serializers.DateTimeField()


class GoalInputSerializer(serializers.Serializer[Any]):
    # Lengths are checked by the service (one specific message for the page and the API).
    what = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                 help_text=f"At most {WHAT_MAX} characters.")  # fmt: skip
    why = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                help_text=f"At most {WHY_MAX} characters.")  # fmt: skip
    by_when = serializers.DateField(required=False, allow_null=True)
    next_step = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                      help_text=f"At most {NEXT_STEP_MAX} characters.")  # fmt: skip
    group_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="One of your active groups; the only one "
        "is chosen when you have one."
    )  # fmt: skip
    shared_with_group = serializers.BooleanField(required=False)
    nudges = serializers.BooleanField(required=False)
    nudge_day = serializers.IntegerField(
        required=False, help_text="Remind from this day of the week: 0 = Monday … 6 = Sunday."
    )


class GoalStatusInputSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=GoalStatus.choices)


class CheckInInputSerializer(serializers.Serializer[Any]):
    progress = serializers.JSONField(help_text="A whole number from 0 to 10.")
    note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                 help_text=f"At most {NOTE_MAX} characters.")  # fmt: skip
    replace = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Change this week's check-in when there is one (otherwise 409).",
    )


class CheckInCreatedSerializer(serializers.Serializer[Any]):
    checkin = CheckInSerializer()
    created = serializers.BooleanField()
    crisis = CrisisSerializer(allow_null=True)


class ReplyInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(trim_whitespace=False, allow_blank=True,
                                 help_text=f"At most {REPLY_MAX} characters.")  # fmt: skip
    checkin_id = serializers.IntegerField(required=False, allow_null=True)


class ReplyCreatedSerializer(serializers.Serializer[Any]):
    reply = SupportReplySerializer()
    crisis = CrisisSerializer(allow_null=True)


class GoalCreatedSerializer(serializers.Serializer[Any]):
    goal = GoalSerializer()
    crisis = CrisisSerializer(allow_null=True)


class ReplyModerationInputSerializer(serializers.Serializer[Any]):
    change = serializers.ChoiceField(choices=REPLY_CHANGES)
    reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True)


class SharedGoalSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    owner = serializers.CharField()
    mine = serializers.BooleanField()
    what = serializers.CharField()
    next_step = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=GoalStatus.choices)
    latest_checkin = CheckInSerializer(allow_null=True)
    replies = SupportReplySerializer(many=True)


class SharedGroupSerializer(serializers.Serializer[Any]):
    group_id = serializers.IntegerField()
    group_name = serializers.CharField()
    goals = SharedGoalSerializer(many=True)


class StaffGoalSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    what = serializers.CharField()
    status = serializers.ChoiceField(choices=GoalStatus.choices)
    shared_with_group = serializers.BooleanField()
    checked_in_this_week = serializers.BooleanField()
    this_week = CheckInSerializer(allow_null=True)
    trend = CheckInSerializer(many=True, help_text="Up to eight weeks, newest first.")


class StaffMemberSerializer(serializers.Serializer[Any]):
    client_id = serializers.IntegerField()
    name = serializers.CharField()
    goals = StaffGoalSerializer(many=True)


GROUP_VIEW = inline_serializer(
    "GoalsGroupView",
    {
        "group_id": serializers.IntegerField(),
        "group_name": serializers.CharField(),
        "active_goals": serializers.IntegerField(),
        "no_checkin_this_week": serializers.IntegerField(),
        "members": StaffMemberSerializer(many=True),
    },
)


# --- shaping -------------------------------------------------------------------------------


def _checkin(c: CheckIn, *, staff: bool, peer: bool) -> dict[str, Any]:
    return {
        "id": c.pk,
        "week_of": c.week_of,
        "progress": c.progress,
        "note": "" if peer and c.risk_flagged else c.note,
        "risk_flagged": c.risk_flagged if staff else False,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _reply(row: selectors.ReplyRow, *, staff: bool) -> dict[str, Any]:
    r = row.reply
    return {
        "id": r.pk,
        "checkin_id": r.checkin_id,
        "author": row.author.label,
        "author_is_facilitator": row.author.is_facilitator,
        "author_real_name": row.author.real_name if staff else "",
        "body": r.body if row.shown else None,
        "status": r.status,
        "hidden_reason": r.hidden_reason if staff else "",
        "risk_flagged": r.risk_flagged if staff else False,
        "created_at": r.created_at,
    }


def _goal_data(access: GoalAccess, actor: User) -> dict[str, Any]:
    detail = selectors.goal_detail(access, actor)
    goal = detail.goal
    staff = access.is_staff
    owner = access.is_owner
    peer = not (staff or owner)
    return {
        "id": goal.pk,
        "role": str(access.role),
        "owner": "you" if owner else detail.owner.label,
        "owner_real_name": detail.owner.real_name if staff else "",
        "client_id": goal.client_id if not peer else None,
        "group_id": goal.group_id,
        "what": goal.what,
        "why": None if peer else goal.why,
        "by_when": goal.by_when,
        "next_step": goal.next_step,
        "shared_with_group": goal.shared_with_group,
        "status": goal.status,
        "reached_at": goal.reached_at,
        "nudges": goal.nudges if owner else None,
        "nudge_day": goal.nudge_day if owner else None,
        "created_at": goal.created_at,
        "checked_in_this_week": detail.this_week is not None,
        "checkins": [_checkin(c, staff=staff, peer=peer) for c in detail.checkins],
        "replies": [_reply(r, staff=staff) for r in detail.replies],
    }


def _client_or_404(actor: User) -> Any:
    client = member_client(actor)
    if client is None:
        raise NotFound("Not found.")
    return client


# --- views ---------------------------------------------------------------------------------


class GoalListView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = GoalSummarySerializer
    pagination_class = None

    @extend_schema(
        responses=GoalSummarySerializer(many=True),
        summary="Your own goals: active first, with this week's and the latest check-in (members)",
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        client = _client_or_404(actor)
        data = []
        for row in selectors.my_goals(client):
            goal = row.goal
            data.append(
                {
                    "id": goal.pk,
                    "group_id": goal.group_id,
                    "what": goal.what,
                    "by_when": goal.by_when,
                    "next_step": goal.next_step,
                    "shared_with_group": goal.shared_with_group,
                    "status": goal.status,
                    "reached_at": goal.reached_at,
                    "nudges": goal.nudges,
                    "nudge_day": goal.nudge_day,
                    "this_week": _checkin(row.this_week, staff=False, peer=False)
                    if row.this_week
                    else None,
                    "latest_checkin": _checkin(row.latest, staff=False, peer=False)
                    if row.latest
                    else None,
                    "replies": row.replies,
                    "created_at": goal.created_at,
                }
            )
        return Response(GoalSummarySerializer(data, many=True).data)

    @extend_schema(
        request=GoalInputSerializer,
        responses={201: GoalCreatedSerializer, 400: OpenApiTypes.OBJECT},
        summary="Set a goal for yourself (members)",
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        client = _client_or_404(actor)
        serializer = GoalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        goal = services.goal_create(actor=actor, client=client, data=serializer.validated_data)
        data = _goal_data(get_goal_for(actor, goal.pk), actor)
        crisis = CRISIS if goal.risk_categories else None
        return Response({"goal": data, "crisis": crisis}, status=status.HTTP_201_CREATED)


class GoalDetailView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = GoalSerializer

    @extend_schema(responses=GoalSerializer, summary="One goal as you may see it")
    def get(self, request: Request, goal_id: int) -> Response:
        actor = actor_of(request)
        return Response(GoalSerializer(_goal_data(get_goal_for(actor, goal_id), actor)).data)

    @extend_schema(
        request=GoalInputSerializer,
        responses={200: GoalCreatedSerializer, 400: OpenApiTypes.OBJECT},
        summary="Change your goal (members, their own goals)",
    )
    def patch(self, request: Request, goal_id: int) -> Response:
        actor = actor_of(request)
        access = get_goal_for(actor, goal_id)
        serializer = GoalInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        goal = services.goal_update(actor=actor, access=access, data=serializer.validated_data)
        data = _goal_data(get_goal_for(actor, goal.pk), actor)
        wrote = {"what", "why", "next_step"} & set(serializer.validated_data)
        crisis = CRISIS if goal.risk_categories and wrote else None
        return Response({"goal": data, "crisis": crisis})


class GoalStatusView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = GoalSerializer

    @extend_schema(
        request=GoalStatusInputSerializer,
        responses={200: GoalSerializer, 409: OpenApiTypes.OBJECT},
        summary="Mark your goal reached, set it aside, or take it up again",
    )
    def post(self, request: Request, goal_id: int) -> Response:
        actor = actor_of(request)
        access = get_goal_for(actor, goal_id)
        serializer = GoalStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.goal_set_status(
            actor=actor, access=access, status=serializer.validated_data["status"]
        )
        return Response(GoalSerializer(_goal_data(get_goal_for(actor, goal_id), actor)).data)


class CheckInView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = CheckInSerializer
    pagination_class = None

    @extend_schema(
        responses=CheckInSerializer(many=True),
        summary="A goal's check-ins, newest first (the last 26 weeks)",
    )
    def get(self, request: Request, goal_id: int) -> Response:
        actor = actor_of(request)
        access = get_goal_for(actor, goal_id)
        detail = selectors.goal_detail(access, actor)
        peer = not (access.is_staff or access.is_owner)
        data = [_checkin(c, staff=access.is_staff, peer=peer) for c in detail.checkins]
        return Response(CheckInSerializer(data, many=True).data)

    @extend_schema(
        request=CheckInInputSerializer,
        responses={
            201: CheckInCreatedSerializer,
            200: CheckInCreatedSerializer,
            400: OpenApiTypes.OBJECT,
            409: OpenApiTypes.OBJECT,
        },
        summary="Check in this week (one a week; 409 for a second unless replace)",
    )
    def post(self, request: Request, goal_id: int) -> Response:
        actor = actor_of(request)
        access = get_goal_for(actor, goal_id)
        serializer = CheckInInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        checkin, created = services.checkin_record(
            actor=actor,
            access=access,
            progress=values["progress"],
            note=values.get("note", ""),
            replace=values.get("replace", False),
        )
        return Response(
            {
                "checkin": _checkin(checkin, staff=False, peer=False),
                "created": created,
                "crisis": CRISIS if checkin.risk_flagged else None,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReplyView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = SupportReplySerializer

    @extend_schema(
        request=ReplyInputSerializer,
        responses={201: ReplyCreatedSerializer, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
        summary="Send a supportive reply to a goal you can see",
    )
    def post(self, request: Request, goal_id: int) -> Response:
        actor = actor_of(request)
        access = get_goal_for(actor, goal_id, allow_former=True)
        serializer = ReplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checkin = None
        checkin_id = serializer.validated_data.get("checkin_id")
        if checkin_id:
            checkin = CheckIn.objects.filter(pk=checkin_id, goal=access.goal).first()
            if checkin is None:
                raise NotFound("No check-in with that id on this goal.")
        reply = services.reply_create(
            actor=actor, access=access, body=serializer.validated_data["body"], checkin=checkin
        )
        author = selectors.Author(label="")
        for row in selectors.goal_detail(get_goal_for(actor, goal_id), actor).replies:
            if row.reply.pk == reply.pk:
                author = row.author
        data = _reply(
            selectors.ReplyRow(reply=reply, author=author, shown=True), staff=access.is_staff
        )
        crisis = CRISIS if reply.risk_flagged else None
        return Response({"reply": data, "crisis": crisis}, status=status.HTTP_201_CREATED)


class ReplyModerationView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = SupportReplySerializer

    @extend_schema(
        request=ReplyModerationInputSerializer,
        responses={200: SupportReplySerializer, 403: OpenApiTypes.OBJECT},
        summary="Hide a reply (with a reason) or show it again (the group's staff)",
    )
    def post(self, request: Request, reply_id: int) -> Response:
        actor = actor_of(request)
        goal_id = SupportReply.objects.filter(pk=reply_id).values_list("goal_id", flat=True).first()
        access = get_goal_for(actor, goal_id or 0)
        target = SupportReply.objects.get(pk=reply_id)
        serializer = ReplyModerationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["change"] == "hide":
            reply = services.reply_hide(
                actor=actor,
                access=access,
                reply=target,
                reason=serializer.validated_data.get("reason", ""),
            )
        else:
            reply = services.reply_restore(actor=actor, access=access, reply=target)
        author = selectors.Author(label="")
        row = selectors.ReplyRow(reply=reply, author=author, shown=True)
        for found in selectors.goal_detail(access, actor).replies:
            if found.reply.pk == reply.pk:
                row = found
        return Response(SupportReplySerializer(_reply(row, staff=True)).data)


class SharedGoalsView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = SharedGroupSerializer
    pagination_class = None

    @extend_schema(
        responses=SharedGroupSerializer(many=True),
        summary="The goals shared in your groups, under display names (members)",
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        client = _client_or_404(actor)
        data = [
            {
                "group_id": g.group.pk,
                "group_name": g.group.name,
                "goals": [
                    {
                        "id": row.goal.pk,
                        "owner": "you" if row.mine else row.owner.label,
                        "mine": row.mine,
                        "what": row.goal.what,
                        "next_step": row.goal.next_step,
                        "status": row.goal.status,
                        "latest_checkin": _checkin(row.latest, staff=False, peer=not row.mine)
                        if row.latest
                        else None,
                        "replies": [_reply(r, staff=False) for r in row.replies],
                    }
                    for row in g.rows
                ],
            }
            for g in selectors.group_shared_goals(client, actor)
        ]
        return Response(SharedGroupSerializer(data, many=True).data)


class GroupGoalsView(GenericAPIView[Any]):
    required_scopes = GOAL_SCOPES
    serializer_class = StaffMemberSerializer
    pagination_class = None

    @extend_schema(
        responses=GROUP_VIEW,
        summary="A group's members with their goals, this week's check-ins and the trend "
        "(facilitators, their supervisors, admins)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        group = get_staff_group_for(actor, group_id)
        view = selectors.group_goals(group, actor)
        members = [
            {
                "client_id": m.client.pk,
                "name": m.client.display_name,
                "goals": [
                    {
                        "id": r.goal.pk,
                        "what": r.goal.what,
                        "status": r.goal.status,
                        "shared_with_group": r.goal.shared_with_group,
                        "checked_in_this_week": r.this_week is not None,
                        "this_week": _checkin(r.this_week, staff=True, peer=False)
                        if r.this_week
                        else None,
                        "trend": [_checkin(c, staff=True, peer=False) for c in r.checkins],
                    }
                    for r in m.rows
                ],
            }
            for m in view.members
        ]
        return Response(
            {
                "group_id": group.pk,
                "group_name": group.name,
                "active_goals": view.active_goals,
                "no_checkin_this_week": view.waiting,
                "members": StaffMemberSerializer(members, many=True).data,
            }
        )
