"""API v1: client records, their availability and portal invitations, concern tags.

The same four steps as the web pages: authorize with clients/access.py and
clients/selectors.py, check the shape with a serializer, call one service, respond.
Serializers check shape only; the services own every rule (400 with field errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.names import validate_person_name
from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of, require_staff
from kindred.clients import access, selectors
from kindred.clients import invitation_services as invitations
from kindred.clients import services as client_services
from kindred.clients.models import (
    AvailabilityWindow,
    Client,
    ClientStatus,
    ConcernTag,
    Gender,
    InvitationStatus,
    PortalInvitation,
)
from kindred.practice.models import Location

if TYPE_CHECKING:
    from kindred.accounts.models import User

CLIENT_SCOPES = {"read": Scope.CLIENTS_READ, "write": Scope.CLIENTS_WRITE}


# --- Serializers -------------------------------------------------------------------------


class ConcernSerializer(serializers.ModelSerializer[ConcernTag]):
    offered = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ConcernTag
        fields = ("id", "name", "description", "offered")
        read_only_fields = fields


class ConcernInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=60, allow_blank=True)
    description = serializers.CharField(max_length=300, allow_blank=True, required=False)
    offered = serializers.BooleanField(required=False)


class ClientSerializer(serializers.ModelSerializer[Client]):
    display_name = serializers.CharField(read_only=True)
    # Declared so the schema allows "" (not given): a read-only model field loses allow_blank.
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True, read_only=True)
    has_portal_account = serializers.SerializerMethodField()
    concerns: serializers.PrimaryKeyRelatedField[ConcernTag] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    locations: serializers.PrimaryKeyRelatedField[Location] = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text="The practice's offices they could get to, for in-person groups.",
    )

    class Meta:
        model = Client
        fields = (
            "id",
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "display_name",
            "pronouns",
            "date_of_birth",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "city",
            "state_of_residence",
            "postal_code",
            "timezone",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
            "preferred_modality",
            "language",
            "gender",
            "concerns",
            "locations",
            "status",
            "has_portal_account",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_has_portal_account(self, client: Client) -> bool:
        return client.user_id is not None


class ClientInputSerializer(serializers.Serializer[Any]):
    """The shape of a client record; the service checks the values (state codes, time
    zones, phone numbers, dates of birth, duplicates) and answers with field errors."""

    legal_first_name = serializers.CharField(validators=[validate_person_name], max_length=100)
    legal_last_name = serializers.CharField(validators=[validate_person_name], max_length=100)
    preferred_name = serializers.CharField(
        validators=[validate_person_name], max_length=100, allow_blank=True, required=False
    )
    pronouns = serializers.CharField(max_length=40, allow_blank=True, required=False)
    date_of_birth = serializers.DateField()
    email = serializers.CharField(max_length=254, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=25, allow_blank=True, required=False)
    state_of_residence = serializers.CharField(max_length=64)
    timezone = serializers.CharField(max_length=64, required=False)
    address_line1 = serializers.CharField(
        max_length=200,
        allow_blank=True,
        required=False,
        help_text="Postal address, optional; when any part is given, address_line1, city "
        "and postal_code are all needed. Its state is state_of_residence.",
    )
    address_line2 = serializers.CharField(max_length=200, allow_blank=True, required=False)
    city = serializers.CharField(max_length=100, allow_blank=True, required=False)
    postal_code = serializers.CharField(
        max_length=10,
        allow_blank=True,
        required=False,
        help_text='ZIP code: 5 digits or ZIP+4 ("60601" or "60601-1234").',
    )
    emergency_contact_name = serializers.CharField(
        validators=[validate_person_name], max_length=150, allow_blank=True, required=False
    )
    emergency_contact_relationship = serializers.CharField(
        max_length=60, allow_blank=True, required=False
    )
    emergency_contact_phone = serializers.CharField(max_length=25, allow_blank=True, required=False)
    preferred_modality = serializers.CharField(max_length=20, required=False)
    language = serializers.CharField(max_length=10, required=False)
    gender = serializers.CharField(
        max_length=20,
        allow_blank=True,
        required=False,
        help_text='Optional, as the person describes it: "woman", "man", "nonbinary", '
        '"another" or "prefer_not" ("" when not given). Groups for one gender are '
        "proposed only to people whose record gives that gender.",
    )
    concerns = serializers.PrimaryKeyRelatedField(
        many=True, queryset=ConcernTag.objects.all(), required=False
    )
    locations = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Location.objects.all(),
        required=False,
        help_text="The offices they could get to for an in-person group (ids).",
    )


class ClientCreateSerializer(ClientInputSerializer):
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Set after checking the possible duplicates a 409 answer listed.",
    )


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class WindowSerializer(serializers.ModelSerializer[AvailabilityWindow]):
    class Meta:
        model = AvailabilityWindow
        fields = ("id", "weekday", "start_time", "end_time")
        read_only_fields = ("id",)
        # The service checks the order of the times and merges overlaps.
        validators: ClassVar[list[Any]] = []


class InvitationSerializer(serializers.ModelSerializer[PortalInvitation]):
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)

    class Meta:
        model = PortalInvitation
        fields = ("id", "email", "status", "created_at", "sent_at", "expires_at", "accepted_at")
        read_only_fields = fields


class ClientFilterSerializer(serializers.Serializer[Any]):
    search = serializers.CharField(required=False, allow_blank=True, max_length=100)
    status = serializers.ChoiceField(
        required=False,
        choices=[*ClientStatus.values, selectors.STATUS_ALL],
        default=ClientStatus.ACTIVE,
    )
    state = serializers.CharField(required=False, allow_blank=True, max_length=2)
    concern = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    modality = serializers.CharField(required=False, allow_blank=True, max_length=20)


DUPLICATE_RESPONSE = inline_serializer(
    "PossibleDuplicate",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "candidates": serializers.ListField(child=serializers.IntegerField()),
    },
)


# --- Clients -----------------------------------------------------------------------------


class ClientListView(GenericAPIView[Client]):
    required_scopes = CLIENT_SCOPES
    serializer_class = ClientSerializer

    def get_queryset(self) -> QuerySet[Client]:
        return Client.objects.none()  # lists come from the selector below

    @extend_schema(
        parameters=[ClientFilterSerializer],
        responses=ClientSerializer(many=True),
        summary="List the client records you may see",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        params = ClientFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = selectors.ClientFilters(
            search=data.get("search", ""),
            status=data.get("status", ClientStatus.ACTIVE),
            state=data.get("state", ""),
            concern=data.get("concern"),
            modality=data.get("modality", ""),
        )
        page = self.paginate_queryset(
            selectors.client_list(actor=actor, filters=filters).prefetch_related("locations")
        )
        return self.get_paginated_response(ClientSerializer(page, many=True).data)

    @extend_schema(
        request=ClientCreateSerializer,
        responses={201: ClientSerializer, 409: DUPLICATE_RESPONSE},
        summary="Create a client record",
    )
    def post(self, request: Request) -> Response:
        actor = require_staff(request)
        serializer = ClientCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            client = client_services.client_create(actor=actor, **data)
        except client_services.PossibleDuplicate as exc:
            visible = selectors.clients_by_ids(actor=actor, ids=exc.candidate_ids)
            return Response(
                {"detail": exc.message, "code": exc.code, "candidates": [c.pk for c in visible]},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


class ClientDetailView(GenericAPIView[Client]):
    required_scopes = CLIENT_SCOPES
    serializer_class = ClientSerializer

    @extend_schema(responses=ClientSerializer, summary="Read one client record (audited)")
    def get(self, request: Request, client_id: int) -> Response:
        client = selectors.client_get(actor=actor_of(request), client_id=client_id)
        return Response(ClientSerializer(client).data)

    @extend_schema(
        request=ClientInputSerializer(partial=True),
        responses=ClientSerializer,
        summary="Change a client record (only the fields given)",
    )
    def patch(self, request: Request, client_id: int) -> Response:
        actor = actor_of(request)
        client = access.get_client_for(actor, client_id, write=True)
        serializer = ClientInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        client = client_services.client_update(
            actor=actor, client=client, **serializer.validated_data
        )
        return Response(ClientSerializer(client).data)


class _StatusView(GenericAPIView[Client]):
    required_scopes = CLIENT_SCOPES
    serializer_class = ReasonSerializer
    archive = True

    @extend_schema(request=ReasonSerializer, responses=ClientSerializer)
    def post(self, request: Request, client_id: int) -> Response:
        actor = actor_of(request)
        client = access.get_client_for(actor, client_id, write=True)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = client_services.client_archive if self.archive else client_services.client_restore
        client = service(actor=actor, client=client, reason=serializer.validated_data["reason"])
        return Response(ClientSerializer(client).data)


class ClientArchiveView(_StatusView):
    """Archive a client record, with a reason (open invitations are revoked)."""

    archive = True


class ClientRestoreView(_StatusView):
    """Restore an archived client record, with a reason."""

    archive = False


# --- Availability ------------------------------------------------------------------------


class AvailabilityListView(GenericAPIView[AvailabilityWindow]):
    required_scopes = CLIENT_SCOPES
    serializer_class = WindowSerializer
    pagination_class = None

    @extend_schema(responses=WindowSerializer(many=True), summary="A client's weekly windows")
    def get(self, request: Request, client_id: int) -> Response:
        client = selectors.client_get(actor=actor_of(request), client_id=client_id)
        windows = client.availability.order_by("weekday", "start_time", "id")
        return Response(WindowSerializer(windows, many=True).data)

    @extend_schema(
        request=WindowSerializer,
        responses={201: WindowSerializer},
        summary="Add a weekly window (overlapping windows on the same day are merged; the "
        "merged window is returned)",
    )
    def post(self, request: Request, client_id: int) -> Response:
        actor = actor_of(request)
        client = access.get_client_for(actor, client_id, write=True)
        serializer = WindowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        window = client_services.availability_add(
            actor=actor, client=client, **serializer.validated_data
        )
        return Response(WindowSerializer(window).data, status=status.HTTP_201_CREATED)


class AvailabilityDetailView(GenericAPIView[AvailabilityWindow]):
    required_scopes = CLIENT_SCOPES
    serializer_class = WindowSerializer

    @extend_schema(responses={204: None}, summary="Remove a weekly window")
    def delete(self, request: Request, client_id: int, window_id: int) -> Response:
        actor = actor_of(request)
        client = access.get_client_for(actor, client_id, write=True)
        window = access.get_window_for(actor, client, window_id)
        client_services.availability_remove(actor=actor, window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Invitations -------------------------------------------------------------------------


class InvitationListView(GenericAPIView[PortalInvitation]):
    required_scopes = CLIENT_SCOPES
    serializer_class = InvitationSerializer
    pagination_class = None

    @extend_schema(
        responses=InvitationSerializer(many=True), summary="A client's portal invitations"
    )
    def get(self, request: Request, client_id: int) -> Response:
        actor = actor_of(request)
        client = selectors.client_get(actor=actor, client_id=client_id)
        rows = selectors.invitation_list(actor=actor, client=client)
        return Response(InvitationSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        responses={201: InvitationSerializer},
        summary="Invite the client to the member portal (the email is sent after commit; "
        "earlier open invitations are revoked)",
    )
    def post(self, request: Request, client_id: int) -> Response:
        actor = actor_of(request)
        client = access.get_client_for(actor, client_id)
        invitation = invitations.invitation_create(actor=actor, client=client)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class _InvitationActionView(GenericAPIView[PortalInvitation]):
    required_scopes = CLIENT_SCOPES
    serializer_class = InvitationSerializer

    def act(self, actor: User, invitation: PortalInvitation) -> PortalInvitation:
        raise NotImplementedError

    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request: Request, client_id: int, invitation_id: int) -> Response:
        actor = actor_of(request)
        client = access.get_client_for(actor, client_id)
        invitation = access.get_invitation_for(actor, client, invitation_id, write=True)
        invitation = self.act(actor, invitation)
        return Response(InvitationSerializer(invitation).data)


class InvitationRevokeView(_InvitationActionView):
    """Revoke an invitation: its link stops working."""

    def act(self, actor: User, invitation: PortalInvitation) -> PortalInvitation:
        return invitations.invitation_revoke(actor=actor, invitation=invitation)


class InvitationResendView(_InvitationActionView):
    """Send a fresh link (the previous one stops working) with a fresh expiry."""

    def act(self, actor: User, invitation: PortalInvitation) -> PortalInvitation:
        return invitations.invitation_resend(actor=actor, invitation=invitation)


# --- Concern tags ------------------------------------------------------------------------

CONCERN_SCOPES = {"read": Scope.CLIENTS_READ, "write": Scope.PRACTICE_WRITE}


class ConcernListView(GenericAPIView[ConcernTag]):
    required_scopes = CONCERN_SCOPES
    serializer_class = ConcernSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "offered", OpenApiTypes.BOOL, description="true: only concerns still offered"
            )
        ],
        responses=ConcernSerializer(many=True),
        summary="The practice's presenting concerns",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        offered_only = request.query_params.get("offered", "").lower() in {"1", "true"}
        rows = selectors.concern_list(actor=actor, offered_only=offered_only)
        return Response(ConcernSerializer(rows, many=True).data)

    @extend_schema(
        request=ConcernInputSerializer,
        responses={201: ConcernSerializer},
        summary="Add a concern (practice admins)",
    )
    def post(self, request: Request) -> Response:
        actor = require_staff(request)
        serializer = ConcernInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        concern = client_services.concern_create(
            actor=actor, name=data["name"], description=data.get("description", "")
        )
        return Response(ConcernSerializer(concern).data, status=status.HTTP_201_CREATED)


class ConcernDetailView(GenericAPIView[ConcernTag]):
    required_scopes = CONCERN_SCOPES
    serializer_class = ConcernSerializer

    @extend_schema(responses=ConcernSerializer)
    def get(self, request: Request, concern_id: int) -> Response:
        concern = access.get_concern_for(actor_of(request), concern_id)
        return Response(ConcernSerializer(concern).data)

    @extend_schema(
        request=ConcernInputSerializer(partial=True),
        responses=ConcernSerializer,
        summary="Rename, re-describe, retire (offered=false) or restore a concern",
    )
    def patch(self, request: Request, concern_id: int) -> Response:
        actor = actor_of(request)
        concern = access.get_concern_for(actor, concern_id, write=True)
        serializer = ConcernInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "name" in data or "description" in data:
            concern = client_services.concern_update(
                actor=actor,
                concern=concern,
                name=data.get("name", concern.name),
                description=data.get("description", concern.description),
            )
        if "offered" in data:
            concern = client_services.concern_set_offered(
                actor=actor, concern=concern, offered=data["offered"]
            )
        return Response(ConcernSerializer(concern).data)


# --- The member's own record -------------------------------------------------------------


class MemberClientSerializer(serializers.ModelSerializer[Client]):
    """What a member sees of their own record: no internal fields."""

    class Meta:
        model = Client
        fields = (
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "pronouns",
            "date_of_birth",
            "email",
            "phone",
            "state_of_residence",
            "timezone",
            "preferred_modality",
            "language",
        )
        read_only_fields = fields


class MyClientView(GenericAPIView[Client]):
    required_scopes = CLIENT_SCOPES
    serializer_class = MemberClientSerializer

    @extend_schema(responses=MemberClientSerializer, summary="A member's own record")
    def get(self, request: Request) -> Response:
        client = selectors.own_client(actor=actor_of(request))
        return Response(MemberClientSerializer(client).data)
