"""API v1: matching runs (start, list, read with the proposal and the suggestions), a
line's decision (accept, another group, reject) and the weights.

The same steps as the pages: the capability (``RUN_MATCHING``; staff without it get 403,
anyone else 404), the shape (serializers), one service (matching/services.py), respond.
Tokens need ``matching:read``, and ``matching:write`` to change anything. Starting a run
answers 409 while another is running, 400/409 with the reason when there is nothing to
match; deciding a stale line answers 409 with why, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.api.actors import require_staff
from kindred.core.errors import NotFound, NotPermitted
from kindred.groups.models import LIVE_STATUSES, TherapyGroup
from kindred.intake.models import Urgency
from kindred.intake.selectors import STATUS_OPEN, WaitlistFilters
from kindred.matching import services
from kindred.matching.models import (
    WEIGHT_FIELDS,
    WEIGHT_MAX,
    WEIGHT_MIN,
    Decision,
    GroupSuggestion,
    MatchRun,
    ProposalLine,
    RunStatus,
)
from kindred.matching.rules import RULE_WORDS
from kindred.matching.types import EXAMPLES, Rule
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

MATCHING_SCOPES = {"read": Scope.MATCHING_READ, "write": Scope.MATCHING_WRITE}
URGENCY_CHOICES = [("", "Any"), *Urgency.choices]


def _actor(request: Request) -> User:
    actor = require_staff(request)
    if not role_checks.has(actor, Capability.RUN_MATCHING):
        raise NotPermitted("Matching is for intake coordinators and practice admins.")
    return actor


def _run(run_id: int) -> MatchRun:
    run = MatchRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound("Not found.")
    return run


def _line(line_id: int) -> ProposalLine:
    line = (
        ProposalLine.objects.select_related("client", "entry", "group", "run")
        .filter(pk=line_id)
        .first()
    )
    if line is None:
        raise NotFound("Not found.")
    return line


# --- Serializers -----------------------------------------------------------------------------


class ProposalReasonSerializer(serializers.Serializer[Any]):
    preference = serializers.CharField(help_text="A weight's name (concern_overlap, ...).")
    points = serializers.FloatField()
    words = serializers.CharField()


class BlockingRuleSerializer(serializers.Serializer[Any]):
    rule = serializers.ChoiceField(choices=[(str(r), str(r)) for r in Rule])
    words = serializers.CharField(help_text="The rule in plain words, about one group.")
    groups = serializers.IntegerField(help_text="How many of the run's groups it kept out.")
    examples = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=f"Up to {EXAMPLES} of those groups' ids, the nearest misses first (the "
        "groups this rule keeps out with the fewest other rules).",
    )


class UnplacedSerializer(serializers.Serializer[Any]):
    groups = serializers.IntegerField(help_text="Groups with open seats in the run.")
    rules = BlockingRuleSerializer(
        many=True,
        help_text="When no group fits: each rule that kept them out of at least one group "
        "(a group can be kept out by several, so the counts can add up to more than groups).",
    )
    fitted = serializers.IntegerField(
        help_text="Groups they fit whose places went to people who had waited longer or "
        "matched better (or to someone they must not be placed with)."
    )
    fitted_examples = serializers.ListField(
        child=serializers.IntegerField(), help_text="Their best-fitting groups' ids (a few)."
    )
    placed_elsewhere = serializers.BooleanField(
        help_text="The client is proposed for a group through another waitlist entry."
    )


class ProposalLineSerializer(serializers.ModelSerializer[ProposalLine]):
    client_name = serializers.CharField(source="client.display_name")
    group_name = serializers.CharField(source="group.name", default=None, allow_null=True)
    reasons = ProposalReasonSerializer(many=True)
    blocked = serializers.SerializerMethodField(
        help_text="For the unplaced: why no group was proposed (null when one was)."
    )
    decision = serializers.ChoiceField(choices=Decision.choices)

    @extend_schema_field(UnplacedSerializer(allow_null=True))
    def get_blocked(self, line: ProposalLine) -> dict[str, Any] | None:
        left = services.unplaced_of(line)
        if left is None:
            return None
        return {
            "groups": left.groups,
            "rules": [
                {
                    "rule": str(r.rule),
                    "words": RULE_WORDS[r.rule],
                    "groups": r.groups,
                    "examples": list(r.examples),
                }
                for r in left.blocked
            ],
            "fitted": left.fitted,
            "fitted_examples": list(left.fitted_examples),
            "placed_elsewhere": left.placed_elsewhere,
        }

    class Meta:
        model = ProposalLine
        fields = (
            "id",
            "position",
            "entry",
            "client",
            "client_name",
            "waited_days",
            "urgency",
            "group",
            "group_name",
            "score",
            "reasons",
            "blocked",
            "decision",
            "chosen_group",
            "decided_by",
            "decided_at",
            "screening",
            "enrollment",
        )
        read_only_fields = fields


class GroupSuggestionSerializer(serializers.ModelSerializer[GroupSuggestion]):
    class Meta:
        model = GroupSuggestion
        fields = (
            "id",
            "modality",
            "states",
            "concern",
            "meeting_start",
            "meeting_end",
            "entry_ids",
            "count",
            "language",
        )
        read_only_fields = fields


_RUN_FIELDS: tuple[str, ...] = (
    "id",
    "started_by",
    "started_at",
    "finished_at",
    "filters",
    "weights",
    "status",
    "progress",
    "error",
    "solver_status",
    "objective",
    "bound",
    "gap",
    "seconds",
    "people_count",
    "group_count",
    "placed_count",
    "unplaced_count",
    "suggestion_count",
    "fairness",
)


class MatchRunSerializer(serializers.ModelSerializer[MatchRun]):
    status = serializers.ChoiceField(choices=RunStatus.choices)

    class Meta:
        model = MatchRun
        fields: tuple[str, ...] = _RUN_FIELDS
        read_only_fields = _RUN_FIELDS


class MatchRunStartedSerializer(MatchRunSerializer):
    url = serializers.SerializerMethodField(
        help_text="Where to read the run: poll it until its status is no longer running."
    )

    class Meta(MatchRunSerializer.Meta):
        fields = (*_RUN_FIELDS, "url")
        read_only_fields = fields

    def get_url(self, run: MatchRun) -> str:
        return run_url(self.context.get("request"), run)


def run_url(request: Request | None, run: MatchRun) -> str:
    path = reverse("api:v1:matching_run", args=[run.pk])
    return request.build_absolute_uri(path) if request is not None else path


class MatchRunDetailSerializer(MatchRunSerializer):
    lines = serializers.SerializerMethodField()
    suggestions = GroupSuggestionSerializer(many=True)

    class Meta(MatchRunSerializer.Meta):
        fields = (*_RUN_FIELDS, "lines", "suggestions")
        read_only_fields = fields

    @extend_schema_field(ProposalLineSerializer(many=True))
    def get_lines(self, run: MatchRun) -> list[dict[str, Any]]:
        lines = self.context.get("lines", [])
        return list(ProposalLineSerializer(lines, many=True).data)


class MatchRunStartSerializer(serializers.Serializer[Any]):
    concern = serializers.IntegerField(required=False, allow_null=True)
    state = serializers.CharField(required=False, allow_blank=True, max_length=2)
    modality = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='People who can meet this way: "virtual" or "in_person" (or either).',
    )
    waited_weeks = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    urgency = serializers.ChoiceField(choices=URGENCY_CHOICES, required=False, allow_blank=True)
    group = serializers.IntegerField(required=False, allow_null=True)

    def validate_modality(self, value: str) -> str:
        if value not in {"", "virtual", "in_person"}:
            raise serializers.ValidationError('Use "virtual", "in_person" or leave it empty.')
        return value


class ProposalEditSerializer(serializers.Serializer[Any]):
    group = serializers.PrimaryKeyRelatedField(
        queryset=TherapyGroup.objects.filter(status__in=LIVE_STATUSES)
    )


class ProposalRejectSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH)


class WeightField(serializers.FloatField):
    """A weight from 0 to 10; true and false are not numbers here (JSON would let them
    through as 1 and 0)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=WEIGHT_MIN, max_value=WEIGHT_MAX, **kwargs)

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class MatchingWeightsSerializer(serializers.Serializer[Any]):
    concern_overlap = WeightField()
    waited = WeightField()
    urgency = WeightField()
    composition = WeightField()
    fill_minimum = WeightField()
    continuity = WeightField()


class ProposalDecisionSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    line = ProposalLineSerializer()


# --- Views -------------------------------------------------------------------------------------


class RunListView(GenericAPIView[MatchRun]):
    required_scopes = MATCHING_SCOPES
    serializer_class = MatchRunSerializer

    def get_queryset(self) -> QuerySet[MatchRun]:
        return MatchRun.objects.order_by("-started_at", "-id")

    @extend_schema(responses=MatchRunSerializer(many=True), summary="Matching runs, newest first")
    def get(self, request: Request) -> Response:
        _actor(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MatchRunSerializer(page, many=True).data)

    @extend_schema(
        request=MatchRunStartSerializer,
        responses={202: MatchRunStartedSerializer},
        summary="Start matching in the background: 202 with the run's url (poll it until "
        "its status is finished or failed; progress says what it is doing); 409 while "
        "another run is in progress or when no group has seats",
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request)
        params = MatchRunStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = WaitlistFilters(
            concern=data.get("concern"),
            state=(data.get("state") or "").upper(),
            modality=data.get("modality") or "",
            waited_weeks=data.get("waited_weeks"),
            urgency=data.get("urgency") or "",
            group=data.get("group"),
            status=STATUS_OPEN,
        )
        run = services.match_run_enqueue(actor=actor, filters=filters)
        run.refresh_from_db()  # the task may already have run (DEBUG, tests)
        body = MatchRunStartedSerializer(run, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class RunDetailView(GenericAPIView[MatchRun]):
    required_scopes = MATCHING_SCOPES
    serializer_class = MatchRunDetailSerializer

    @extend_schema(
        responses=MatchRunDetailSerializer,
        summary="A run with its proposal lines (in fairness order) and new-group suggestions",
    )
    def get(self, request: Request, run_id: int) -> Response:
        _actor(request)
        run = _run(run_id)
        lines = list(
            ProposalLine.objects.filter(run=run)
            .select_related("client", "group")
            .order_by("position", "id")
        )
        return Response(MatchRunDetailSerializer(run, context={"lines": lines}).data)


class _LineAction(GenericAPIView[ProposalLine]):
    required_scopes = MATCHING_SCOPES

    def _answer(self, result: services.LineResult) -> Response:
        return Response(
            ProposalDecisionSerializer({"message": result.message, "line": result.line}).data
        )


class LineAcceptView(_LineAction):
    serializer_class = ProposalDecisionSerializer

    @extend_schema(
        request=None,
        responses=ProposalDecisionSerializer,
        summary="Accept the proposed group (re-checked now; 409 with the reason if stale)",
    )
    def post(self, request: Request, line_id: int) -> Response:
        actor = _actor(request)
        return self._answer(services.proposal_line_accept(actor=actor, line=_line(line_id)))


class LineEditView(_LineAction):
    serializer_class = ProposalEditSerializer

    @extend_schema(
        request=ProposalEditSerializer,
        responses=ProposalDecisionSerializer,
        summary="Accept the line with another group (re-checked; 409 with the reason)",
    )
    def post(self, request: Request, line_id: int) -> Response:
        actor = _actor(request)
        line = _line(line_id)
        params = ProposalEditSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._answer(
            services.proposal_line_edit(
                actor=actor, line=line, group=params.validated_data["group"]
            )
        )


class LineRejectView(_LineAction):
    serializer_class = ProposalRejectSerializer

    @extend_schema(
        request=ProposalRejectSerializer,
        responses=ProposalDecisionSerializer,
        summary="Reject the line",
    )
    def post(self, request: Request, line_id: int) -> Response:
        actor = _actor(request)
        line = _line(line_id)
        params = ProposalRejectSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._answer(
            services.proposal_line_reject(
                actor=actor, line=line, reason=params.validated_data["reason"]
            )
        )


class SettingsView(GenericAPIView[Any]):
    required_scopes = MATCHING_SCOPES
    serializer_class = MatchingWeightsSerializer

    @extend_schema(responses=MatchingWeightsSerializer, summary="The matching weights (0-10 each)")
    def get(self, request: Request) -> Response:
        _actor(request)
        row = services.matching_settings()
        return Response({name: getattr(row, name) for name in WEIGHT_FIELDS})

    @extend_schema(
        request=MatchingWeightsSerializer(partial=True),
        responses=MatchingWeightsSerializer,
        summary="Change some or all weights (each 0-10; 400 with the field's error)",
    )
    def patch(self, request: Request) -> Response:
        actor = _actor(request)
        params = MatchingWeightsSerializer(data=request.data, partial=True)
        params.is_valid(raise_exception=True)
        row = services.matching_settings_update(actor=actor, **params.validated_data)
        return Response({name: getattr(row, name) for name in WEIGHT_FIELDS})
