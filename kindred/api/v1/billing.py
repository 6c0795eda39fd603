"""API v1 for billing: a session's charges (read; make them from attendance; post the
drafts), a member's charges, payments (read, record), balance, diagnoses (read, add)
and superbill PDF.

Same four steps as the web pages: authorize with billing/access.py, check the shape
with a serializer, call the services (billing/services.py), respond. Tokens need
``billing:read`` / ``billing:write``, offered to the billing role and admins; anyone
else finds nothing here (404). Amounts are whole cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import renderers, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.api.actors import require_staff
from kindred.audit.services import audit_access
from kindred.billing import pdf, selectors, services
from kindred.billing.access import get_billing_client_for, may_manage_billing
from kindred.billing.models import (
    Charge,
    ChargeKind,
    ChargeStatus,
    Diagnosis,
    FeeSource,
    Payment,
    PaymentMethod,
    PlaceOfService,
)
from kindred.clients.models import Client
from kindred.core.access import deny
from kindred.core.errors import NotFound
from kindred.scheduling.models import GroupSession

BILLING_SCOPES = {"read": Scope.BILLING_READ, "write": Scope.BILLING_WRITE}


def _many(rows: object) -> Any:
    """Rows for a ``many=True`` serializer (DRF's stubs type the instance as one)."""
    return rows


def _billing_actor(request: Request) -> User:
    actor = require_staff(request)
    if not may_manage_billing(actor):
        raise NotFound("Not found.")
    return actor


# --- Serializers ---------------------------------------------------------------------------


class ChargeSerializer(serializers.Serializer[Charge]):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    session = serializers.IntegerField(source="session_id")
    kind = serializers.ChoiceField(choices=ChargeKind.choices)
    status = serializers.ChoiceField(choices=ChargeStatus.choices)
    amount_cents = serializers.IntegerField()
    fee_source = serializers.ChoiceField(choices=FeeSource.choices)
    service_date = serializers.DateField()
    attendance_status = serializers.CharField(allow_blank=True)
    cpt_code = serializers.CharField(allow_blank=True)
    place_of_service = serializers.ChoiceField(choices=PlaceOfService.choices, allow_blank=True)
    place_assumed = serializers.BooleanField()
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    note = serializers.CharField(allow_blank=True)
    posted_at = serializers.DateTimeField(allow_null=True)


class PaymentSerializer(serializers.Serializer[Payment]):
    id = serializers.IntegerField(read_only=True)
    amount_cents = serializers.IntegerField(help_text="Whole cents, above zero.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    received_on = serializers.DateField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=80)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DiagnosisSerializer(serializers.Serializer[Diagnosis]):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(max_length=20, help_text="ICD-10-CM, e.g. F41.1")
    description = serializers.CharField(max_length=200)
    is_primary = serializers.BooleanField(default=False)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)


class BalanceSerializer(serializers.Serializer[Any]):
    client = serializers.IntegerField()
    charged_cents = serializers.IntegerField(help_text="Posted charges (with corrections).")
    paid_cents = serializers.IntegerField()
    balance_cents = serializers.IntegerField(help_text="Positive: the member owes.")
    draft_cents = serializers.IntegerField(help_text="Draft charges, not in the balance yet.")


RUN = inline_serializer(
    "ChargeRun",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "removed": serializers.IntegerField(),
        "adjustments": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "charges": ChargeSerializer(many=True),
    },
)


class PdfRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``application/pdf``; errors still come back as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data, accepted_media_type, renderer_context)


# --- Views ---------------------------------------------------------------------------------


def _session_for(actor: User, session_id: int) -> GroupSession:
    session = GroupSession.objects.select_related("group").filter(pk=session_id).first()
    if session is None:
        deny(actor, GroupSession, session_id)
    return session


class SessionChargesView(GenericAPIView[Charge]):
    required_scopes = BILLING_SCOPES
    serializer_class = ChargeSerializer
    pagination_class = None

    @extend_schema(responses=ChargeSerializer(many=True), summary="A session's charges")
    def get(self, request: Request, session_id: int) -> Response:
        actor = _billing_actor(request)
        session = _session_for(actor, session_id)
        return Response(ChargeSerializer(_many(selectors.session_charges(session)), many=True).data)

    @extend_schema(
        request=None,
        responses={200: RUN},
        summary="Make or update the session's charges from its attendance (safe to repeat; "
        "posted charges are corrected by draft adjustments, never changed)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        actor = _billing_actor(request)
        session = _session_for(actor, session_id)
        run = services.charges_create_for_session(actor=actor, session=session)
        return Response(
            {
                "created": len(run.created),
                "updated": len(run.updated),
                "removed": run.removed,
                "adjustments": len(run.adjustments),
                "unchanged": run.unchanged,
                "charges": ChargeSerializer(
                    _many(selectors.session_charges(session)), many=True
                ).data,
            }
        )


class SessionChargesPostView(GenericAPIView[Charge]):
    required_scopes = BILLING_SCOPES
    serializer_class = ChargeSerializer
    pagination_class = None

    @extend_schema(
        request=None,
        responses=ChargeSerializer(many=True),
        summary="Post the session's draft charges (they never change afterwards)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        actor = _billing_actor(request)
        session = _session_for(actor, session_id)
        drafts = [c for c in selectors.session_charges(session) if not c.is_posted]
        posted = services.charges_post(actor=actor, charges=drafts)
        return Response(ChargeSerializer(_many(posted), many=True).data)


class ClientChargesView(GenericAPIView[Charge]):
    required_scopes = BILLING_SCOPES
    serializer_class = ChargeSerializer

    @extend_schema(responses=ChargeSerializer(many=True), summary="A member's charges")
    def get(self, request: Request, client_id: int) -> Response:
        actor = _billing_actor(request)
        client = get_billing_client_for(actor, client_id)
        audit_access(actor=actor, action="billing.ledger.viewed", obj=client, client_id=client.pk)
        qs = Charge.objects.filter(client=client).order_by("service_date", "id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ChargeSerializer(_many(page), many=True).data)


class ClientPaymentsView(GenericAPIView[Payment]):
    required_scopes = BILLING_SCOPES
    serializer_class = PaymentSerializer

    @extend_schema(responses=PaymentSerializer(many=True), summary="A member's payments")
    def get(self, request: Request, client_id: int) -> Response:
        actor = _billing_actor(request)
        client = get_billing_client_for(actor, client_id)
        audit_access(actor=actor, action="billing.ledger.viewed", obj=client, client_id=client.pk)
        page = self.paginate_queryset(
            Payment.objects.filter(client=client).order_by("received_on", "id")
        )
        return self.get_paginated_response(PaymentSerializer(_many(page), many=True).data)

    @extend_schema(
        request=PaymentSerializer,
        responses={201: PaymentSerializer},
        summary="Record a payment",
    )
    def post(self, request: Request, client_id: int) -> Response:
        actor = _billing_actor(request)
        client = get_billing_client_for(actor, client_id)
        given = PaymentSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        payment = services.payment_record(actor=actor, client=client, **given.validated_data)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class ClientBalanceView(GenericAPIView[Client]):
    required_scopes = BILLING_SCOPES
    serializer_class = BalanceSerializer

    @extend_schema(responses=BalanceSerializer, summary="A member's balance")
    def get(self, request: Request, client_id: int) -> Response:
        actor = _billing_actor(request)
        client = get_billing_client_for(actor, client_id)
        audit_access(actor=actor, action="billing.ledger.viewed", obj=client, client_id=client.pk)
        book = selectors.ledger(client)
        return Response(
            {
                "client": client.pk,
                "charged_cents": book.charged_cents,
                "paid_cents": book.paid_cents,
                "balance_cents": book.balance_cents,
                "draft_cents": sum(c.amount_cents for c in book.drafts),
            }
        )


class ClientDiagnosesView(GenericAPIView[Diagnosis]):
    required_scopes = BILLING_SCOPES
    serializer_class = DiagnosisSerializer
    pagination_class = None

    @extend_schema(responses=DiagnosisSerializer(many=True), summary="A member's ICD-10 diagnoses")
    def get(self, request: Request, client_id: int) -> Response:
        actor = _billing_actor(request)
        client = get_billing_client_for(actor, client_id)
        audit_access(
            actor=actor, action="billing.diagnoses.viewed", obj=client, client_id=client.pk
        )
        return Response(DiagnosisSerializer(_many(selectors.diagnoses_of(client)), many=True).data)

    @extend_schema(
        request=DiagnosisSerializer,
        responses={201: DiagnosisSerializer},
        summary="Add a diagnosis (admins; a code that is not well formed is a 400 on code)",
    )
    def post(self, request: Request, client_id: int) -> Response:
        actor = _billing_actor(request)
        client = get_billing_client_for(actor, client_id)
        given = DiagnosisSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        diagnosis = services.diagnosis_add(actor=actor, client=client, **given.validated_data)
        return Response(DiagnosisSerializer(diagnosis).data, status=status.HTTP_201_CREATED)


class ClientSuperbillView(GenericAPIView[Client]):
    required_scopes = BILLING_SCOPES
    serializer_class = BalanceSerializer
    renderer_classes = (renderers.JSONRenderer, PdfRenderer)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="A member's superbill for a period as a PDF (audited)",
    )
    def get(self, request: Request, client_id: int) -> HttpResponse:
        actor = _billing_actor(request)
        client = get_billing_client_for(actor, client_id)
        dates = _Period(data=request.query_params)
        dates.is_valid(raise_exception=True)
        start, end = dates.validated_data["start"], dates.validated_data["end"]
        content = pdf.superbill_export(actor=actor, client=client, start=start, end=end)
        response = HttpResponse(content, content_type="application/pdf")
        name = pdf.pdf_filename("superbill", start, end)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


class _Period(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()
