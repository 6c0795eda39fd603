"""API v1: milestones (issue 8) — a member's own, sharing and keeping private, a group's
shared milestones, hiding them, anonymous group trends, and a member's milestones for
staff.

Members use their signed-in browser session; clinicians a session or a token with
``space:read`` / ``space:write`` (milestones are shared in the group space, under the same
access rules: ``kindred.space.access``). A shared milestone carries only its neutral
label and the member's own words — never a score. A member whose message held risk
language gets ``crisis`` in the answer: show it at once.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.api.actors import actor_of
from kindred.api.v1.space import CRISIS, SPACE_SCOPES, CrisisSerializer
from kindred.core.access import deny
from kindred.groups.models import TherapyGroup
from kindred.milestones import selectors, services, words
from kindred.milestones.models import MESSAGE_MAX, REASON_MAX, Milestone, MilestoneKind
from kindred.milestones.trends import MIN_CELL, GroupTrends, group_trends
from kindred.space.access import get_space_for

#: The states a member sees (a withdrawn suggestion is not theirs to act on).
OWN_STATES = [
    ("suggested", "Suggested to you"),
    ("shared", "Shared with your group"),
    ("dismissed", "Kept private"),
]


class OwnMilestoneSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MilestoneKind.choices)
    title = serializers.CharField()
    reason = serializers.CharField(help_text="Why it was suggested: for the member only.")
    shared_label = serializers.CharField(help_text="What the group reads beside their name.")
    group_id = serializers.IntegerField()
    group_name = serializers.CharField()
    happened_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=OWN_STATES)
    shared_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField(allow_blank=True)
    hidden = serializers.BooleanField(help_text="A facilitator hid it from the group.")
    hidden_reason = serializers.CharField(allow_blank=True)


class SharedMilestoneSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField()
    name = serializers.CharField(help_text="The member's space display name, or “A group member”.")
    text = serializers.CharField(help_text="Neutral, e.g. “came to their first session”.")
    message = serializers.CharField(allow_blank=True, help_text="The member's own words.")
    shared_at = serializers.DateTimeField()
    mine = serializers.BooleanField()
    hidden = serializers.BooleanField(help_text="Facilitators only see hidden ones.")
    moderation_reason = serializers.CharField(allow_blank=True, help_text="Facilitators only.")


class SharedResultSerializer(serializers.Serializer[Any]):
    milestone = OwnMilestoneSerializer()
    crisis = CrisisSerializer(
        allow_null=True,
        help_text="Present when the member's words raised a safety alert: show it at once.",
    )


class ShareInputSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Optional, the member's own words; at most {MESSAGE_MAX} characters.",
    )


class HideInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=REASON_MAX * 2)


class InstrumentTrendSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    suppressed = serializers.BooleanField(
        help_text=f"Fewer than {MIN_CELL} members answered twice: no counts are given."
    )
    answered_twice = serializers.IntegerField(allow_null=True)
    improved = serializers.IntegerField(allow_null=True)
    reliably_improved = serializers.IntegerField(allow_null=True)
    reliably_worse = serializers.IntegerField(allow_null=True)
    sentence = serializers.CharField()


class CountTrendSerializer(serializers.Serializer[Any]):
    suppressed = serializers.BooleanField()
    contributors = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField(allow_null=True)
    sentence = serializers.CharField()


class TrendsSerializer(serializers.Serializer[Any]):
    group_id = serializers.IntegerField()
    members = serializers.IntegerField()
    min_cell = serializers.IntegerField()
    instruments = InstrumentTrendSerializer(many=True)
    attendance = CountTrendSerializer()
    attendance_rate = serializers.IntegerField(
        allow_null=True, help_text="Percent of recorded places attended (null if suppressed)."
    )
    goals = CountTrendSerializer(allow_null=True)


class ClientMilestonesSerializer(serializers.Serializer[Any]):
    client_id = serializers.IntegerField()
    milestones = OwnMilestoneSerializer(many=True)


def _own(milestone: Milestone) -> dict[str, Any]:
    return {
        "id": milestone.pk,
        "kind": milestone.kind,
        "title": words.title(milestone.kind),
        "reason": words.private_reason(milestone.kind),
        "shared_label": words.shared_label(milestone.kind),
        "group_id": milestone.group_id,
        "group_name": milestone.group.name,
        "happened_at": milestone.happened_at,
        "state": milestone.state,
        "shared_at": milestone.shared_at,
        "message": milestone.message,
        "hidden": milestone.hidden,
        "hidden_reason": milestone.moderation_reason if milestone.hidden else "",
    }


def _shared(row: selectors.SharedRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "group_id": row.group_id,
        "name": row.name,
        "text": row.label,
        "message": row.message,
        "shared_at": row.shared_at,
        "mine": row.mine,
        "hidden": row.hidden,
        "moderation_reason": row.moderation_reason,
    }


def _count(trend: Any) -> dict[str, Any]:
    hide = trend.suppressed
    return {
        "suppressed": hide,
        "contributors": None if hide else trend.contributors,
        "count": None if hide else trend.count,
        "sentence": trend.sentence,
    }


def _trends(found: GroupTrends) -> dict[str, Any]:
    return {
        "group_id": found.group.pk,
        "members": found.members,
        "min_cell": MIN_CELL,
        "instruments": [
            {
                "name": t.name,
                "suppressed": t.suppressed,
                "answered_twice": None if t.suppressed else t.answered_twice,
                "improved": None if t.suppressed else t.improved,
                "reliably_improved": None if t.suppressed else t.reliably_improved,
                "reliably_worse": None if t.suppressed else t.reliably_worse,
                "sentence": t.sentence,
            }
            for t in found.instruments
        ],
        "attendance": _count(found.attendance),
        "attendance_rate": found.attendance_rate,
        "goals": _count(found.goals) if found.goals is not None else None,
    }


class MyMilestonesView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = OwnMilestoneSerializer
    pagination_class = None

    @extend_schema(
        responses=OwnMilestoneSerializer(many=True),
        summary="Your milestones (members): what you could share, and what you shared",
    )
    def get(self, request: Request) -> Response:
        client = selectors.client_of(actor_of(request))
        if client is None:
            raise Http404
        selectors.detect_lazily(client)
        rows = selectors.own_milestones(client)
        return Response(OwnMilestoneSerializer([_own(r.milestone) for r in rows], many=True).data)


class ShareView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SharedResultSerializer

    @extend_schema(
        request=ShareInputSerializer,
        responses=SharedResultSerializer,
        summary="Share one of your milestones with your group, with your own words (members)",
    )
    def post(self, request: Request, milestone_id: int) -> Response:
        actor = actor_of(request)
        milestone = services.own_milestone(actor, milestone_id)
        serializer = ShareInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = services.milestone_share(
            actor=actor, milestone=milestone, message=serializer.validated_data.get("message", "")
        )
        crisis = CRISIS if milestone.risk_flagged else None
        return Response(
            SharedResultSerializer({"milestone": _own(milestone), "crisis": crisis}).data
        )


class DismissView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = OwnMilestoneSerializer

    @extend_schema(
        request=None,
        responses=OwnMilestoneSerializer,
        summary="Keep one of your suggested milestones private (members)",
    )
    def post(self, request: Request, milestone_id: int) -> Response:
        actor = actor_of(request)
        milestone = services.own_milestone(actor, milestone_id)
        milestone = services.milestone_dismiss(actor=actor, milestone=milestone)
        return Response(OwnMilestoneSerializer(_own(milestone)).data)


class UnshareView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = OwnMilestoneSerializer

    @extend_schema(
        request=None,
        responses=OwnMilestoneSerializer,
        summary="Stop sharing one of your milestones: the group no longer sees it (members)",
    )
    def post(self, request: Request, milestone_id: int) -> Response:
        actor = actor_of(request)
        milestone = services.own_milestone(actor, milestone_id)
        milestone = services.milestone_unshare(actor=actor, milestone=milestone)
        return Response(OwnMilestoneSerializer(_own(milestone)).data)


class GroupMilestonesView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SharedMilestoneSerializer
    pagination_class = None

    @extend_schema(
        responses=SharedMilestoneSerializer(many=True),
        summary="A group's shared milestones (its members and facilitators), newest first",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id)
        rows = selectors.shared_for_group(
            access.group.pk, actor=actor, facilitator=access.is_facilitator
        )
        return Response(SharedMilestoneSerializer([_shared(r) for r in rows], many=True).data)


class HideView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SharedMilestoneSerializer

    @extend_schema(
        request=HideInputSerializer,
        responses=SharedMilestoneSerializer,
        summary="Hide a shared milestone from the group, with a reason (facilitators)",
    )
    def post(self, request: Request, milestone_id: int) -> Response:
        actor = actor_of(request)
        milestone = services.facilitated_milestone(actor, milestone_id)
        serializer = HideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = services.milestone_hide(
            actor=actor, milestone=milestone, reason=serializer.validated_data["reason"]
        )
        row = selectors.shared_rows([milestone], actor=actor, facilitator=True)[0]
        return Response(SharedMilestoneSerializer(_shared(row)).data)


class RestoreView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = SharedMilestoneSerializer

    @extend_schema(
        request=None,
        responses=SharedMilestoneSerializer,
        summary="Show a hidden milestone to the group again (facilitators)",
    )
    def post(self, request: Request, milestone_id: int) -> Response:
        actor = actor_of(request)
        milestone = services.facilitated_milestone(actor, milestone_id)
        milestone = services.milestone_restore(actor=actor, milestone=milestone)
        row = selectors.shared_rows([milestone], actor=actor, facilitator=True)[0]
        return Response(SharedMilestoneSerializer(_shared(row)).data)


class TrendsView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = TrendsSerializer

    @extend_schema(
        responses=TrendsSerializer,
        summary="Anonymous group trends: counts only, small cells suppressed (facilitators)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_space_for(actor, group_id)
        if not access.is_facilitator:
            deny(actor, TherapyGroup, group_id)
        return Response(TrendsSerializer(_trends(group_trends(access.group))).data)


class ClientMilestonesView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = ClientMilestonesSerializer

    @extend_schema(
        responses=ClientMilestonesSerializer,
        summary="A member's milestones, for staff who may see the member (audited read)",
    )
    def get(self, request: Request, client_id: int) -> Response:
        actor = actor_of(request)
        if not getattr(actor, "is_staff_member", False):
            from kindred.clients.models import Client

            deny(actor, Client, client_id)
        client, rows = selectors.client_milestones(actor=actor, client_id=client_id)
        data = {"client_id": client.pk, "milestones": [_own(r.milestone) for r in rows]}
        return Response(ClientMilestonesSerializer(data).data)
