"""API v1: destroying closed members' records and the legal hold (kindred/datarights/
purge.py). Practice admins only (``MANAGE_PRACTICE``): other staff 403, anyone else 404.

A signed-in browser session only (no token scope is declared, so API tokens are refused:
destroying a record is not something an integration does). Destroying and lifting a hold
need a recent sign-in, as on the pages. Mutating calls accept an ``Idempotency-Key``
(docs/api-idempotency.md); a second destroy of the same record is a no-op anyway.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.api.actors import require_staff
from kindred.core.errors import NotPermitted
from kindred.datarights import purge
from kindred.datarights.models import ClosureRequest

REAUTH_MESSAGE = "This needs a recent sign-in. Confirm your password, then retry within 10 minutes."


class RetentionSerializer(serializers.ModelSerializer[ClosureRequest]):
    # Plain strings, so the schema's enum names do not collide with other "status" fields.
    status = serializers.CharField(read_only=True, help_text="requested, withdrawn or closed")
    client_id = serializers.IntegerField(read_only=True, allow_null=True)
    held = serializers.SerializerMethodField()
    purge_counts = serializers.SerializerMethodField(
        help_text="After destruction: rows deleted and changed, per table (no content)."
    )

    class Meta:
        model = ClosureRequest
        fields: tuple[str, ...] = (
            "id",
            "status",
            "client_id",
            "decided_at",
            "retain_until",
            "held",
            "held_at",
            "hold_reason",
            "purged_at",
            "purge_counts",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_held(self, obj: ClosureRequest) -> bool:
        return obj.held_at is not None

    def get_purge_counts(self, obj: ClosureRequest) -> dict[str, dict[str, int]] | None:
        found: dict[str, dict[str, int]] | None = (obj.outcome or {}).get("purge")
        return found


class DestroyInputSerializer(serializers.Serializer[Any]):
    confirm = serializers.CharField(help_text="The request's id, typed back to confirm.")


class HoldInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        help_text="Why the record must be kept (required, up to 500 characters).",
        trim_whitespace=False,
        allow_blank=True,
    )


def _recent(request: Request) -> None:
    from kindred.api.v1.psychnotes import _recently_authenticated

    if not _recently_authenticated(request._request):
        raise NotPermitted(REAUTH_MESSAGE)


class DueListView(APIView):
    @extend_schema(
        operation_id="account_closures_due",
        summary="Closed accounts whose records are due for destruction (practice admins)",
        description="Oldest first; records on legal hold are listed with held=true. At most 500.",
        responses={200: RetentionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        rows = list(purge.due(actor)[:500])
        return Response(RetentionSerializer(rows, many=True).data)


class DestroyView(APIView):
    @extend_schema(
        operation_id="account_closure_destroy",
        summary="Destroy a closed member's record after its retention period (admins)",
        description="Needs a recent sign-in and the request's id typed back in `confirm`. "
        "409 before the day after retain_until, for a request not closed, or under legal "
        "hold (nothing changes). Already destroyed: 200 with the earlier result.",
        request=DestroyInputSerializer,
        responses={200: RetentionSerializer, 409: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, request_id: int) -> Response:
        actor = require_staff(request)
        purge.get_closed_for(actor, request_id)  # 403 / 404 before anything else
        _recent(request)
        data = DestroyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = purge.record_purge(
            actor=actor, request_id=request_id, confirm=data.validated_data["confirm"]
        )
        return Response(RetentionSerializer(item).data)


class HoldView(APIView):
    @extend_schema(
        operation_id="account_closure_hold",
        summary="Put a closed member's record on legal hold (admins; reason required)",
        request=HoldInputSerializer,
        responses={200: RetentionSerializer, 409: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, request_id: int) -> Response:
        actor = require_staff(request)
        purge.get_closed_for(actor, request_id)
        data = HoldInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = purge.record_hold(
            actor=actor, request_id=request_id, reason=data.validated_data["reason"]
        )
        return Response(RetentionSerializer(item).data)

    @extend_schema(
        operation_id="account_closure_hold_lift",
        summary="Lift a legal hold (admins; needs a recent sign-in)",
        responses={200: RetentionSerializer, 409: OpenApiTypes.OBJECT},
    )
    def delete(self, request: Request, request_id: int) -> Response:
        actor = require_staff(request)
        purge.get_closed_for(actor, request_id)
        _recent(request)
        item = purge.record_release(actor=actor, request_id=request_id)
        return Response(RetentionSerializer(item).data)
