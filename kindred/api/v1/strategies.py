"""API v1: coping strategies (issue 8) — members' cards, marks, approval and the
practice library.

Like the group space, members use their signed-in browser session (they never hold
tokens); clinicians use a session or a token with ``space:read`` / ``space:write`` (a
group's cards are part of its space). The same access functions as the pages decide
(``kindred.strategies.access``: active members and the group's facilitators; admins
read; 404 and a denied event for anyone else) and the same services do the work. A
member whose card held risk language gets ``crisis`` in the answer: show it at once.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.models import User
from kindred.api.actors import actor_of
from kindred.api.v1.space import CRISIS, SPACE_SCOPES, CrisisSerializer
from kindred.core.access import deny
from kindred.core.errors import NotFound
from kindred.strategies import selectors, services
from kindred.strategies.access import (
    CardAccess,
    get_card_for,
    get_library_for,
    may_read_library,
)
from kindred.strategies.models import (
    REASON_MAX,
    TITLE_MAX,
    WHAT_MAX,
    WHEN_MAX,
    MarkKind,
    Strategy,
    StrategyStatus,
)

DECISIONS = [("approve", "Approve: the group sees it"), ("decline", "Don't share it")]
#: Filter values of a group's list for facilitators and admins ("all" for every state).
STATUS_FILTERS = [*StrategyStatus.choices, ("all", "All")]

# --- serializers ---------------------------------------------------------------------------


class StrategyConcernSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StrategySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField(
        allow_null=True, help_text="Null for a card of the practice library."
    )
    title = serializers.CharField()
    what_it_is = serializers.CharField(help_text="Markdown as written.")
    what_it_is_html = serializers.CharField(help_text="Sanitised HTML.")
    when_it_helps = serializers.CharField(help_text="Markdown as written.")
    when_it_helps_html = serializers.CharField(help_text="Sanitised HTML.")
    concerns = StrategyConcernSerializer(many=True)
    status = serializers.ChoiceField(choices=StrategyStatus.choices)
    created_at = serializers.DateTimeField()
    author = serializers.CharField(
        allow_blank=True,
        help_text="“You”, the author's display name in the group's space, or “A group "
        "member”; empty for practice-library cards. Never the author's real name.",
    )
    author_real_name = serializers.CharField(
        allow_blank=True, help_text="The group's facilitators and admins only."
    )
    mine = serializers.BooleanField()
    tried = serializers.IntegerField(help_text="How many marked “I'll try it”.")
    helped = serializers.IntegerField(help_text="How many marked “This helped”.")
    my_marks = serializers.ListField(child=serializers.ChoiceField(choices=MarkKind.choices))
    decline_reason = serializers.CharField(
        allow_blank=True, help_text="The author and the group's facilitators only."
    )
    risk_flagged = serializers.BooleanField(help_text="The group's facilitators and admins only.")
    promoted_from_id = serializers.IntegerField(
        allow_null=True, help_text="Library cards, staff only: the group card it was copied from."
    )


class StrategyPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = StrategySerializer(many=True)


class StrategyCreatedSerializer(serializers.Serializer[Any]):
    strategy = StrategySerializer()
    crisis = CrisisSerializer(
        allow_null=True,
        help_text="Present when the writer's words raised a safety alert: show it at once.",
    )


class StrategyInputSerializer(serializers.Serializer[Any]):
    # Generous limits here: the service gives the specific message (how long, how much).
    title = serializers.CharField(max_length=TITLE_MAX * 4, help_text=f"At most {TITLE_MAX}.")
    what_it_is = serializers.CharField(
        trim_whitespace=False, max_length=WHAT_MAX * 4, help_text=f"At most {WHAT_MAX}."
    )
    when_it_helps = serializers.CharField(
        trim_whitespace=False, max_length=WHEN_MAX * 4, help_text=f"At most {WHEN_MAX}."
    )
    concerns = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=50, help_text="Tag ids."
    )


class PromoteInputSerializer(StrategyInputSerializer):
    confirmed_anonymous = serializers.BooleanField(
        help_text="True: “I removed anything that could identify someone”."
    )


class MarkInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=MarkKind.choices)


class StrategyDecisionInputSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=DECISIONS)
    reason = serializers.CharField(
        max_length=REASON_MAX * 2,
        required=False,
        allow_blank=True,
        help_text=f"Required to decline (the author reads it); at most {REASON_MAX}.",
    )


def _card_data(
    row: selectors.CardRow, actor: User, *, facilitator: bool, staff_library: bool
) -> dict[str, Any]:
    card = row.card
    mine = card.author_id is not None and card.author_id == actor.pk
    return {
        "id": card.pk,
        "group_id": card.group_id,
        "title": card.title,
        "what_it_is": card.what_it_is,
        "what_it_is_html": str(row.what_html),
        "when_it_helps": card.when_it_helps,
        "when_it_helps_html": str(row.when_html),
        "concerns": [{"id": c.pk, "name": c.name} for c in row.concerns],
        "status": card.status,
        "created_at": card.created_at,
        "author": row.author,
        "author_real_name": row.real_name if facilitator else "",
        "mine": mine,
        "tried": row.tried,
        "helped": row.helped,
        "my_marks": [
            k for k, on in ((MarkKind.TRY, row.my_try), (MarkKind.HELPED, row.my_helped)) if on
        ],
        "decline_reason": card.decline_reason if (mine or facilitator) else "",
        "risk_flagged": card.risk_flagged if facilitator else False,
        "promoted_from_id": card.promoted_from_id if staff_library else None,
    }


def _page_data(page: Page[Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": rows,
    }


def _one(card_access: CardAccess, actor: User) -> dict[str, Any]:
    access = card_access.group_access
    row = selectors.card_row(card_access.card, actor, access)
    return _card_data(
        row,
        actor,
        facilitator=access is not None and access.sees_everything,
        staff_library=access is None and actor.is_staff_member,
    )


def _card_for_write(actor: User, card_id: int) -> CardAccess:
    return get_card_for(actor, card_id, allow_former=True)


LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Words in the title or text."),
    OpenApiParameter("concern", int, description="A concern tag id."),
    OpenApiParameter("page", int),
]


# --- views ---------------------------------------------------------------------------------


class GroupStrategiesView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter(
                "status",
                str,
                enum=[value for value, _label in STATUS_FILTERS],
                description="Facilitators and admins: which cards (shared ones by default).",
            ),
        ],
        responses=StrategyPageSerializer,
        summary="A group's coping strategies: search by words and concern (20 a page)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_library_for(actor, group_id)
        wanted = request.query_params.get("status", StrategyStatus.APPROVED)
        chosen = "" if wanted == "all" else wanted
        if not access.sees_everything or chosen not in {*StrategyStatus.values, ""}:
            chosen = StrategyStatus.APPROVED
        found = selectors.group_cards(
            access,
            actor,
            selectors.Filters.from_params(request.query_params),
            page=request.query_params.get("page"),
            status=chosen,
        )
        rows = [
            _card_data(r, actor, facilitator=access.sees_everything, staff_library=False)
            for r in found.rows
        ]
        return Response(_page_data(found.page, rows))

    @extend_schema(
        request=StrategyInputSerializer,
        responses={201: StrategyCreatedSerializer, 409: OpenApiTypes.OBJECT},
        summary="Share a card with the group (members; it waits for a facilitator)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_library_for(actor, group_id, allow_former=True)
        serializer = StrategyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.strategy_share(actor=actor, access=access, **serializer.validated_data)
        data = _one(get_card_for(actor, card.pk), actor)
        crisis = CRISIS if card.risk_flagged else None
        return Response({"strategy": data, "crisis": crisis}, status=status.HTTP_201_CREATED)


class PendingStrategiesView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=StrategyPageSerializer,
        summary="The group's cards waiting for approval, oldest first (facilitators, admins)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        access = get_library_for(actor, group_id)
        if not access.sees_everything:
            deny(actor, Strategy, group_id)
        found = selectors.approval_queue(access, actor, page=request.query_params.get("page"))
        rows = [_card_data(r, actor, facilitator=True, staff_library=False) for r in found.rows]
        return Response(_page_data(found.page, rows))


class LibraryView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer
    pagination_class = None

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses=StrategyPageSerializer,
        summary="The practice library: anonymised cards for every group (20 a page)",
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        if not may_read_library(actor):
            raise NotFound("Not found.")
        found = selectors.library_page(
            actor,
            selectors.Filters.from_params(request.query_params),
            page=request.query_params.get("page"),
        )
        staff = actor.is_staff_member
        rows = [_card_data(r, actor, facilitator=False, staff_library=staff) for r in found.rows]
        return Response(_page_data(found.page, rows))


class MyStrategiesView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=StrategyPageSerializer,
        summary="The cards you shared, in every group, with their marks (members)",
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        if not actor.is_member:
            raise NotFound("Not found.")
        found = selectors.my_cards(actor, page=request.query_params.get("page"))
        rows = [_card_data(r, actor, facilitator=False, staff_library=False) for r in found.rows]
        return Response(_page_data(found.page, rows))


class StrategyDetailView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer

    @extend_schema(responses=StrategySerializer, summary="One card")
    def get(self, request: Request, card_id: int) -> Response:
        actor = actor_of(request)
        return Response(_one(get_card_for(actor, card_id), actor))


class StrategyWithdrawView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer

    @extend_schema(
        request=None,
        responses={200: StrategySerializer, 409: OpenApiTypes.OBJECT},
        summary="Withdraw your card (its author), or take one out of the library (admins)",
    )
    def post(self, request: Request, card_id: int) -> Response:
        actor = actor_of(request)
        card_access = _card_for_write(actor, card_id)
        card = services.strategy_withdraw(actor=actor, card_access=card_access)
        access = card_access.group_access
        row = selectors.card_row(card, actor, access)
        return Response(
            _card_data(
                row,
                actor,
                facilitator=access is not None and access.sees_everything,
                staff_library=access is None and actor.is_staff_member,
            )
        )


class MarkView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer

    @extend_schema(
        request=MarkInputSerializer,
        responses={201: StrategySerializer, 409: OpenApiTypes.OBJECT},
        summary="Mark a card “I'll try it” or “This helped” (members; once each)",
    )
    def post(self, request: Request, card_id: int) -> Response:
        actor = actor_of(request)
        card_access = _card_for_write(actor, card_id)
        serializer = MarkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.mark_add(
            actor=actor, card_access=card_access, kind=serializer.validated_data["kind"]
        )
        return Response(_one(card_access, actor), status=status.HTTP_201_CREATED)


class MarkDeleteView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer

    @extend_schema(
        request=None,
        responses={200: StrategySerializer, 409: OpenApiTypes.OBJECT},
        summary="Take a mark back (nothing happens when there was none)",
    )
    def delete(self, request: Request, card_id: int, kind: str) -> Response:
        actor = actor_of(request)
        card_access = _card_for_write(actor, card_id)
        services.mark_remove(actor=actor, card_access=card_access, kind=kind)
        return Response(_one(card_access, actor))


class DecisionView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer

    @extend_schema(
        request=StrategyDecisionInputSerializer,
        responses={200: StrategySerializer, 409: OpenApiTypes.OBJECT},
        summary="Approve a waiting card, or decline it with a reason (the group's facilitators)",
    )
    def post(self, request: Request, card_id: int) -> Response:
        actor = actor_of(request)
        card_access = get_card_for(actor, card_id)
        serializer = StrategyDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["decision"] == "approve":
            services.strategy_approve(actor=actor, card_access=card_access)
        else:
            services.strategy_decline(
                actor=actor,
                card_access=card_access,
                reason=serializer.validated_data.get("reason", ""),
            )
        return Response(_one(get_card_for(actor, card_id), actor))


class PromoteView(GenericAPIView[Any]):
    required_scopes = SPACE_SCOPES
    serializer_class = StrategySerializer

    @extend_schema(
        request=PromoteInputSerializer,
        responses={201: StrategySerializer, 409: OpenApiTypes.OBJECT},
        summary="Copy an approved card, edited to be anonymous, into the practice library "
        "(the group's facilitators)",
    )
    def post(self, request: Request, card_id: int) -> Response:
        actor = actor_of(request)
        card_access = get_card_for(actor, card_id)
        serializer = PromoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = services.strategy_promote(
            actor=actor, card_access=card_access, **serializer.validated_data
        )
        return Response(_one(get_card_for(actor, copy.pk), actor), status=status.HTTP_201_CREATED)
