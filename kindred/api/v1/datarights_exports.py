"""API v1: a member's own-data PDF prepared in the background
(kindred/datarights/selfexport.py).

``POST /api/v1/me/exports/`` asks for one and answers 202 with the job (the same job,
202 again, while one is queued or running); ``GET /api/v1/me/exports/`` lists the
member's recent jobs; ``GET …/{id}/`` is one job's status; ``GET …/{id}/download/`` the
file (409 while not ready or after failing, 410 once expired; every download audited).
A signed-in browser session only, like the rest of the member's data-rights endpoints
(no token scope is declared, so tokens are refused); another member's job, and every job
for staff, is 404. A POST with an ``Idempotency-Key`` is replayed like any other.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.api.actors import actor_of
from kindred.datarights.export import own_client
from kindred.datarights.models import SelfExport
from kindred.datarights.selfexport import (
    Expired,
    get_for,
    selfexport_download,
    selfexport_request,
    shown_status,
)

LIST_LIMIT = 20


class SelfExportSerializer(serializers.ModelSerializer[SelfExport]):
    # A plain string, so the schema's enum names do not collide with other "status" fields.
    status = serializers.SerializerMethodField(
        help_text="queued, running, ready, failed or expired"
    )
    # Plain strings too (enum names would collide with other "format" fields).
    format = serializers.CharField(read_only=True, help_text="pdf")
    download_url = serializers.SerializerMethodField(
        help_text="Where to fetch the file while it is ready; null otherwise."
    )

    class Meta:
        model = SelfExport
        fields: tuple[str, ...] = (
            "id",
            "format",
            "status",
            "requested_at",
            "started_at",
            "finished_at",
            "expires_at",
            "size",
            "error",
            "download_url",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_status(self, obj: SelfExport) -> str:
        return shown_status(obj)

    def get_download_url(self, obj: SelfExport) -> str | None:
        if shown_status(obj) != "ready":
            return None
        return reverse("api:v1:me_export_download", args=[obj.pk])


class SelfExportRequestSerializer(serializers.Serializer[Any]):
    format = serializers.CharField(
        required=False, default="pdf", help_text="pdf (the default and, for now, the only one)"
    )

    def validate_format(self, value: str) -> str:
        if value != "pdf":
            raise serializers.ValidationError("Only a PDF is prepared in the background.")
        return value


class SelfExportListView(APIView):
    @extend_schema(
        operation_id="me_exports",
        summary="Your recent own-data files prepared in the background (members; newest "
        "first, at most 20)",
        responses={200: SelfExportSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        own_client(actor)
        rows = list(
            SelfExport.objects.filter(user=actor)
            .defer("content")
            .order_by("-requested_at", "-id")[:LIST_LIMIT]
        )
        return Response(SelfExportSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="me_export_request",
        summary="Ask for your own data as a PDF, prepared in the background (members; audited)",
        description="202 with the job. While one is queued or running, that same job "
        "(nothing new is started). Poll the job, then fetch `download_url`.",
        request=SelfExportRequestSerializer,
        responses={202: SelfExportSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        own_client(actor)
        data = SelfExportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job, _created = selfexport_request(actor=actor, fmt=data.validated_data["format"])
        return Response(SelfExportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class SelfExportDetailView(APIView):
    @extend_schema(
        operation_id="me_export",
        summary="One of your own-data files: its status",
        responses={200: SelfExportSerializer},
    )
    def get(self, request: Request, export_id: int) -> Response:
        return Response(SelfExportSerializer(get_for(actor_of(request), export_id)).data)


class SelfExportDownloadView(APIView):
    @extend_schema(
        operation_id="me_export_download",
        summary="Download one of your own-data files (members; audited)",
        description="409 while it is not ready (queued, running or failed); 410 once it "
        "has expired and was deleted.",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            409: OpenApiTypes.OBJECT,
            410: OpenApiTypes.OBJECT,
        },
    )
    def get(self, request: Request, export_id: int) -> HttpResponse | Response:
        try:
            file = selfexport_download(actor=actor_of(request), export_id=export_id)
        except Expired as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_410_GONE)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        response["Cache-Control"] = "no-store"
        return response
