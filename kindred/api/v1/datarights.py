"""API v1: data rights. A member's own data (JSON or PDF) and their request to close
their account; coordinators' and admins' confirmation of it.

Every endpoint answers a signed-in browser session only: none declares a token scope,
so API tokens are refused (members do not use tokens, and closing an account is not
something an integration does). Members' endpoints are 404 for anyone who is not a
member (staff included). The same services as the pages decide everything.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.api.actors import actor_of, require_staff
from kindred.datarights import closure
from kindred.datarights.export import own_client, own_export
from kindred.datarights.models import ClosureRequest


class ClosureSerializer(serializers.ModelSerializer[ClosureRequest]):
    # A plain string, so the schema's enum names do not collide with other "status" fields.
    status = serializers.CharField(read_only=True, help_text="requested, withdrawn or closed")

    class Meta:
        model = ClosureRequest
        fields: tuple[str, ...] = (
            "id",
            "status",
            "requested_at",
            "decided_at",
            "posts",
            "retain_until",
        )
        read_only_fields: tuple[str, ...] = fields


class StaffClosureSerializer(ClosureSerializer):
    client_id = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(read_only=True)
    outcome = serializers.JSONField(read_only=True)

    class Meta(ClosureSerializer.Meta):
        fields = (*ClosureSerializer.Meta.fields, "client_id", "reason", "outcome")
        read_only_fields = fields


class ClosureInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class ConfirmInputSerializer(serializers.Serializer[Any]):
    posts = serializers.CharField(
        required=False, allow_blank=True, help_text="anonymize (default) or keep"
    )


class OwnDataView(APIView):
    @extend_schema(
        operation_id="me_data",
        summary="Your own data as JSON (members; signed-in session only; audited)",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        return Response(own_export(actor=actor_of(request), fmt="json").data)


class OwnDataPdfView(APIView):
    @extend_schema(
        operation_id="me_data_pdf",
        summary="Your own data as a PDF (members; signed-in session only; audited)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> HttpResponse:
        result = own_export(actor=actor_of(request), fmt="pdf")
        response = HttpResponse(result.content, content_type=result.content_type)
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        response["Cache-Control"] = "no-store"
        return response


class OwnClosureView(APIView):
    @extend_schema(
        operation_id="me_closure",
        summary="Your latest request to close your account, if any",
        description="204 (no body) when you have never asked.",
        responses={200: ClosureSerializer, 204: None},
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        own_client(actor)
        last = ClosureRequest.objects.filter(user=actor).order_by("-requested_at", "-id").first()
        if last is None:
            return Response(status=204)  # an empty 200 would claim JSON and send none
        return Response(ClosureSerializer(last).data)

    @extend_schema(
        operation_id="me_closure_request",
        summary="Ask the practice to close your account (needs a recent sign-in)",
        request=ClosureInputSerializer,
        responses={201: ClosureSerializer, 409: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        from kindred.api.v1.psychnotes import _recently_authenticated
        from kindred.core.errors import NotPermitted

        actor = actor_of(request)
        own_client(actor)
        if not _recently_authenticated(request._request):
            raise NotPermitted(
                "Closing your account needs a recent sign-in. Confirm your password, then "
                "retry within 10 minutes."
            )
        data = ClosureInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = closure.closure_request(actor=actor, reason=data.validated_data.get("reason", ""))
        return Response(ClosureSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="me_closure_withdraw",
        summary="Withdraw your request to close your account",
        responses={200: ClosureSerializer},
    )
    def delete(self, request: Request) -> Response:
        item = closure.closure_withdraw(actor=actor_of(request))
        return Response(ClosureSerializer(item).data)


class ClosureListView(APIView):
    @extend_schema(
        operation_id="account_closures",
        summary="Requests to close accounts waiting for confirmation (coordinators, admins)",
        responses={200: StaffClosureSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        rows = list(closure.pending(actor)[:200])
        return Response(StaffClosureSerializer(rows, many=True).data)


class ClosureConfirmView(APIView):
    @extend_schema(
        operation_id="account_closure_confirm",
        summary="Close the account a member asked to close (coordinators, admins; audited)",
        request=ConfirmInputSerializer,
        responses={200: StaffClosureSerializer, 409: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, request_id: int) -> Response:
        actor = require_staff(request)
        data = ConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = closure.closure_confirm(
            actor=actor, request_id=request_id, posts=data.validated_data.get("posts")
        )
        return Response(StaffClosureSerializer(item).data)
