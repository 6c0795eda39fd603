"""API v1: the practice profile, locations and rooms, compacts and their member states,
staff accounts, clinicians, licenses and compact privileges, and the licensure check.

The same four steps as the web pages: authorize with practice/access.py and
practice/selectors.py, check the shape with a serializer, call one service, respond.
Serializers check shape only (unknown keys are ignored); the services own every rule and
answer with field errors (400). Scopes: practice:read/write for the profile, locations
and compacts; clinicians:read/write for staff, clinicians, licenses and privileges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts import services as account_services
from kindred.accounts.models import ApiToken, User, UserKind
from kindred.accounts.names import validate_person_name
from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of
from kindred.core.errors import NotFound, ValidationFailed
from kindred.practice import access, licensure, selectors, services
from kindred.practice.models import (
    ClinicianProfile,
    Compact,
    CompactMemberState,
    CompactPrivilege,
    License,
    Location,
    Practice,
    Room,
)
from kindred.practice.roles import Role

if TYPE_CHECKING:
    from kindred.practice.licensure import Finding, LicensureDecision

PRACTICE_SCOPES = {"read": Scope.PRACTICE_READ, "write": Scope.PRACTICE_WRITE}
CLINICIAN_SCOPES = {"read": Scope.CLINICIANS_READ, "write": Scope.CLINICIANS_WRITE}
ROLE_VALUES = [r.value for r in Role]
REAUTH_MESSAGE = _(
    "Changing staff accounts needs a recent sign-in. Confirm your password (or sign in "
    "again), then retry within 10 minutes. API tokens are not asked."
)
REAUTH_RESPONSE = OpenApiResponse(
    response=inline_serializer(
        "ReauthenticationRequired",
        {"detail": serializers.CharField(), "code": serializers.CharField(required=False)},
    ),
    description="A browser session that has not re-authenticated recently (code "
    '"reauthentication_required"), or a token without the scope (detail only).',
)


def _merged(instance: Model, data: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A PATCH: the given values, the current ones for the rest (services take them all)."""
    return {f: data[f] if f in data else getattr(instance, f) for f in fields}


def _lookup[M: Model](queryset: QuerySet[M], pk: int | None, field: str, message: str) -> M | None:
    """Turn an id in a payload into an object, or a field error."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationFailed(message, field=field)
    return found


# --- Serializers: what we answer --------------------------------------------------------


class PracticeSerializer(serializers.ModelSerializer[Practice]):
    # An address or "" (none given): as EmailField the schema would refuse "".
    contact_email = serializers.CharField(read_only=True, help_text='An email address, or "".')

    class Meta:
        model = Practice
        fields = (
            "name",
            "timezone",
            "states_served",
            "crisis_resources",
            "contact_email",
            "contact_phone",
            "staff_idle_minutes",
            "member_idle_minutes",
            "reminder_minutes_before",
            "record_retention_years",
            "updated_at",
        )
        read_only_fields = fields


class LocationSerializer(serializers.ModelSerializer[Location]):
    class Meta:
        model = Location
        fields = (
            "id",
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "timezone",
            "phone",
            "directions",
            "is_active",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class RoomSerializer(serializers.ModelSerializer[Room]):
    class Meta:
        model = Room
        fields = ("id", "location", "name", "capacity", "accessibility_notes", "is_active")
        read_only_fields = fields


class MemberStateSerializer(serializers.ModelSerializer[CompactMemberState]):
    class Meta:
        model = CompactMemberState
        fields = ("id", "compact", "state", "effective_from", "effective_until")
        read_only_fields = fields


class CompactSerializer(serializers.ModelSerializer[Compact]):
    member_states = MemberStateSerializer(many=True, read_only=True)

    class Meta:
        model = Compact
        fields = ("id", "code", "name", "profession", "notes", "member_states")
        read_only_fields = fields


class StaffSerializer(serializers.ModelSerializer[User]):
    roles = serializers.SerializerMethodField()
    clinician = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "full_name",
            "roles",
            "is_active",
            "date_joined",
            "deactivated_at",
            "clinician",
        )
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return [r.value for r in selectors.roles_of(user)]

    def get_clinician(self, user: User) -> int | None:
        """The id of the person's clinician profile, if they have one."""
        profile = getattr(user, "clinician", None)
        return profile.pk if profile is not None else None


class ClinicianSerializer(serializers.ModelSerializer[ClinicianProfile]):
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)

    class Meta:
        model = ClinicianProfile
        fields = (
            "id",
            "user",
            "full_name",
            "email",
            "is_active",
            "npi",
            "credentials",
            "pronouns",
            "bio",
            "supervisor",
        )
        read_only_fields = fields


class LicenseSerializer(serializers.ModelSerializer[License]):
    class Meta:
        model = License
        fields = (
            "id",
            "clinician",
            "state",
            "license_type",
            "number",
            "issued_on",
            "expires_on",
            "status",
            "verified_on",
        )
        read_only_fields = fields


class PrivilegeSerializer(serializers.ModelSerializer[CompactPrivilege]):
    privilege_states = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CompactPrivilege
        fields = (
            "id",
            "clinician",
            "compact",
            "home_state",
            "privilege_states",
            "identifier",
            "valid_from",
            "valid_until",
            "status",
        )
        read_only_fields = fields


#: The licensure reasons (schema: LicensureReasonEnum, named in settings).
LICENSURE_REASONS = [r.value for r in licensure.Reason]


class FindingSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=LICENSURE_REASONS)
    message = serializers.CharField()
    license = serializers.IntegerField(allow_null=True)
    privilege = serializers.IntegerField(allow_null=True)
    date = serializers.DateField(allow_null=True)


class DecisionSerializer(serializers.Serializer[Any]):
    state = serializers.CharField()
    on = serializers.DateField()
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=LICENSURE_REASONS)
    message = serializers.CharField()
    findings = FindingSerializer(many=True)


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "reason": f.reason.value,
        "message": f.message,
        "license": f.license.id if f.license else None,
        "privilege": f.privilege.id if f.privilege else None,
        "date": f.when,
    }


def _decision(d: LicensureDecision) -> dict[str, Any]:
    return {
        "state": d.state,
        "on": d.on,
        "allowed": d.allowed,
        "reason": d.reason.value,
        "message": d.message,
        "findings": [_finding(f) for f in d.findings],
    }


# --- Serializers: what we accept (shape only) --------------------------------------------


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    """Text kept exactly as sent (no trimming); the service says what is wrong with it."""
    return serializers.CharField(max_length=max_length, trim_whitespace=False, **kwargs)


def _optional(max_length: int) -> serializers.CharField:
    return _text(max_length, allow_blank=True, required=False, default="")


class PracticeInput(serializers.Serializer[Any]):
    name = _text(200, allow_blank=True)
    timezone = _text(64)
    states_served = serializers.ListField(
        child=serializers.CharField(max_length=8), max_length=80, required=False, default=list
    )
    crisis_resources = _text(4000, allow_blank=True)
    contact_email = _optional(254)
    contact_phone = _optional(40)
    staff_idle_minutes = serializers.IntegerField(required=False, default=15)
    member_idle_minutes = serializers.IntegerField(required=False, default=30)
    reminder_minutes_before = serializers.ListField(
        child=serializers.IntegerField(),
        max_length=10,
        required=False,
        help_text="Minutes before each session that members get a reminder, e.g. [1440, 60] "
        "(a day and an hour); up to four, from 5 to 10080; [] turns reminders off. "
        "Left out: unchanged.",
    )
    record_retention_years = serializers.IntegerField(
        required=False,
        help_text="Years a closed member's clinical record is kept (1 to 100). Applies to "
        "accounts closed from then on. Left out: unchanged.",
    )


LOCATION_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "timezone",
    "phone",
    "directions",
)


class LocationInput(serializers.Serializer[Any]):
    name = _text(200, allow_blank=True)
    address_line1 = _text(300, allow_blank=True)
    address_line2 = _optional(300)
    city = _text(200, allow_blank=True)
    state = _text(8, allow_blank=True)
    postal_code = _text(20, allow_blank=True)
    timezone = _text(64)
    phone = _optional(40)
    directions = _optional(4000)


ROOM_FIELDS = ("name", "capacity", "accessibility_notes")


class RoomInput(serializers.Serializer[Any]):
    name = _text(200, allow_blank=True)
    capacity = serializers.IntegerField()
    accessibility_notes = _optional(600)


COMPACT_FIELDS = ("code", "name", "profession", "notes")


class CompactInput(serializers.Serializer[Any]):
    code = _text(60, allow_blank=True)
    name = _text(200, allow_blank=True)
    profession = _optional(200)
    notes = _optional(4000)


class MemberStateInput(serializers.Serializer[Any]):
    state = _text(8)
    effective_from = serializers.DateField()
    effective_until = serializers.DateField(required=False, allow_null=True, default=None)


class MemberStateEndInput(serializers.Serializer[Any]):
    effective_until = serializers.DateField()


class StaffCreateInput(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    full_name = serializers.CharField(max_length=300, validators=[validate_person_name])
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_VALUES))


class StaffUpdateInput(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    full_name = serializers.CharField(max_length=300, validators=[validate_person_name])


class RolesInput(serializers.Serializer[Any]):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_VALUES))


class ReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


CLINICIAN_FIELDS = ("npi", "credentials", "pronouns", "bio", "supervisor")


class ClinicianInput(serializers.Serializer[Any]):
    npi = _optional(20)
    credentials = _optional(200)
    pronouns = _optional(80)
    bio = _optional(6000)
    supervisor = serializers.IntegerField(required=False, allow_null=True, default=None)


class ClinicianCreateInput(ClinicianInput):
    user = serializers.IntegerField(help_text="The id of a staff account without a profile.")


LICENSE_FIELDS = (
    "state",
    "license_type",
    "number",
    "issued_on",
    "expires_on",
    "status",
    "verified_on",
)


class LicenseInput(serializers.Serializer[Any]):
    state = _text(8)
    license_type = _text(120, allow_blank=True)
    number = _text(80, allow_blank=True)
    issued_on = serializers.DateField()
    expires_on = serializers.DateField()
    status = serializers.CharField(max_length=20, required=False, default="active")
    verified_on = serializers.DateField(required=False, allow_null=True, default=None)


class LicenseEndInput(serializers.Serializer[Any]):
    status = serializers.CharField(max_length=20, required=False, default="inactive")


PRIVILEGE_FIELDS = (
    "compact",
    "home_state",
    "privilege_states",
    "valid_from",
    "valid_until",
    "identifier",
    "status",
)


class PrivilegeInput(serializers.Serializer[Any]):
    compact = serializers.IntegerField()
    home_state = _text(8)
    privilege_states = serializers.ListField(
        child=serializers.CharField(max_length=8), max_length=80
    )
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    identifier = _optional(120)
    status = serializers.CharField(max_length=20, required=False, default="active")


class PrivilegeEndInput(serializers.Serializer[Any]):
    valid_until = serializers.DateField()


class StatusFilter(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[f.value for f in selectors.ActiveFilter],
        required=False,
        default=selectors.ActiveFilter.ACTIVE.value,
        help_text="active (default), inactive or all",
    )


class LicensureQuery(serializers.Serializer[Any]):
    state = serializers.CharField(max_length=8, help_text="Two-letter state code, like KS.")
    on = serializers.DateField(help_text="The session's local date.")


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any, **kw: Any) -> Any:
    serializer = serializer_class(data=data, **kw)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _status(request: Request) -> selectors.ActiveFilter:
    return selectors.ActiveFilter(_valid(StatusFilter, request.query_params)["status"])


# --- Practice profile --------------------------------------------------------------------


class PracticeView(GenericAPIView[Practice]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = PracticeSerializer
    pagination_class = None

    @extend_schema(
        operation_id="practice_retrieve",
        responses={200: PracticeSerializer, 404: OpenApiResponse(description="Not set up yet")},
        summary="The practice profile",
    )
    def get(self, request: Request) -> Response:
        practice = selectors.practice_get(actor=actor_of(request))
        if practice is None:
            raise NotFound(str(_("The practice profile is not set up yet.")))
        return Response(PracticeSerializer(practice).data)

    @extend_schema(
        operation_id="practice_update",
        request=PracticeInput,
        responses=PracticeSerializer,
        summary="Set up or replace the practice profile",
    )
    def put(self, request: Request) -> Response:
        actor = actor_of(request)
        access.require_practice_view(actor, write=True)
        practice = services.practice_save(actor=actor, **_valid(PracticeInput, request.data))
        return Response(PracticeSerializer(practice).data)


# --- Locations and rooms -----------------------------------------------------------------


class LocationListView(GenericAPIView[Location]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = LocationSerializer
    queryset = Location.objects.none()

    @extend_schema(
        operation_id="locations_list",
        parameters=[StatusFilter],
        responses=LocationSerializer(many=True),
        summary="Locations",
    )
    def get(self, request: Request) -> Response:
        qs = selectors.location_list(actor=actor_of(request), status=_status(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(LocationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="locations_create",
        request=LocationInput,
        responses={201: LocationSerializer},
        summary="Add a location",
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        access.require_practice_view(actor, write=True)
        location = services.location_create(actor=actor, **_valid(LocationInput, request.data))
        return Response(LocationSerializer(location).data, status=status.HTTP_201_CREATED)


class LocationDetailView(GenericAPIView[Location]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = LocationSerializer
    queryset = Location.objects.none()

    @extend_schema(operation_id="locations_retrieve", summary="One location")
    def get(self, request: Request, location_id: int) -> Response:
        location = access.get_location_for(actor_of(request), location_id)
        return Response(LocationSerializer(location).data)

    @extend_schema(
        operation_id="locations_partial_update",
        request=LocationInput(partial=True),
        responses=LocationSerializer,
        summary="Change a location (only the fields given)",
    )
    def patch(self, request: Request, location_id: int) -> Response:
        actor = actor_of(request)
        location = access.get_location_for(actor, location_id, write=True)
        data = _valid(LocationInput, request.data, partial=True)
        location = services.location_update(
            actor=actor, location=location, **_merged(location, data, LOCATION_FIELDS)
        )
        return Response(LocationSerializer(location).data)


class _LocationSwitchView(GenericAPIView[Location]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = LocationSerializer
    queryset = Location.objects.none()
    activate = False

    @extend_schema(request=None, responses=LocationSerializer)
    def post(self, request: Request, location_id: int) -> Response:
        actor = actor_of(request)
        location = access.get_location_for(actor, location_id, write=True)
        service = services.location_reactivate if self.activate else services.location_deactivate
        return Response(LocationSerializer(service(actor=actor, location=location)).data)


class LocationDeactivateView(_LocationSwitchView):
    """Take a location out of use."""

    activate = False


class LocationReactivateView(_LocationSwitchView):
    """Put a location back in use."""

    activate = True


class RoomListView(GenericAPIView[Room]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = RoomSerializer
    queryset = Room.objects.none()

    @extend_schema(
        operation_id="location_rooms_list",
        responses=RoomSerializer(many=True),
        summary="The rooms of a location",
    )
    def get(self, request: Request, location_id: int) -> Response:
        actor = actor_of(request)
        location = access.get_location_for(actor, location_id)
        page = self.paginate_queryset(selectors.room_list(actor=actor, location=location))
        return self.get_paginated_response(RoomSerializer(page, many=True).data)

    @extend_schema(
        operation_id="location_rooms_create",
        request=RoomInput,
        responses={201: RoomSerializer},
        summary="Add a room to a location",
    )
    def post(self, request: Request, location_id: int) -> Response:
        actor = actor_of(request)
        location = access.get_location_for(actor, location_id, write=True)
        room = services.room_create(
            actor=actor, location=location, **_valid(RoomInput, request.data)
        )
        return Response(RoomSerializer(room).data, status=status.HTTP_201_CREATED)


class RoomDetailView(GenericAPIView[Room]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = RoomSerializer
    queryset = Room.objects.none()

    @extend_schema(operation_id="rooms_retrieve", summary="One room")
    def get(self, request: Request, room_id: int) -> Response:
        return Response(RoomSerializer(access.get_room_for(actor_of(request), room_id)).data)

    @extend_schema(
        operation_id="rooms_partial_update",
        request=RoomInput(partial=True),
        responses=RoomSerializer,
        summary="Change a room (only the fields given)",
    )
    def patch(self, request: Request, room_id: int) -> Response:
        actor = actor_of(request)
        room = access.get_room_for(actor, room_id, write=True)
        data = _valid(RoomInput, request.data, partial=True)
        room = services.room_update(actor=actor, room=room, **_merged(room, data, ROOM_FIELDS))
        return Response(RoomSerializer(room).data)


class _RoomSwitchView(GenericAPIView[Room]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = RoomSerializer
    queryset = Room.objects.none()
    activate = False

    @extend_schema(request=None, responses=RoomSerializer)
    def post(self, request: Request, room_id: int) -> Response:
        actor = actor_of(request)
        room = access.get_room_for(actor, room_id, write=True)
        service = services.room_reactivate if self.activate else services.room_deactivate
        return Response(RoomSerializer(service(actor=actor, room=room)).data)


class RoomDeactivateView(_RoomSwitchView):
    """Take a room out of use."""

    activate = False


class RoomReactivateView(_RoomSwitchView):
    """Put a room back in use."""

    activate = True


# --- Compacts ----------------------------------------------------------------------------


class CompactListView(GenericAPIView[Compact]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = CompactSerializer
    queryset = Compact.objects.none()

    @extend_schema(
        operation_id="compacts_list",
        responses=CompactSerializer(many=True),
        summary="Compacts with their member states",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.compact_list(actor=actor_of(request)))
        return self.get_paginated_response(CompactSerializer(page, many=True).data)

    @extend_schema(
        operation_id="compacts_create",
        request=CompactInput,
        responses={201: CompactSerializer},
        summary="Add a compact",
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        access.require_practice_view(actor, write=True)
        compact = services.compact_create(actor=actor, **_valid(CompactInput, request.data))
        return Response(CompactSerializer(compact).data, status=status.HTTP_201_CREATED)


class CompactDetailView(GenericAPIView[Compact]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = CompactSerializer
    queryset = Compact.objects.none()

    @extend_schema(operation_id="compacts_retrieve", summary="One compact")
    def get(self, request: Request, compact_id: int) -> Response:
        compact = access.get_compact_for(actor_of(request), compact_id)
        return Response(CompactSerializer(compact).data)

    @extend_schema(
        operation_id="compacts_partial_update",
        request=CompactInput(partial=True),
        responses=CompactSerializer,
        summary="Change a compact (only the fields given)",
    )
    def patch(self, request: Request, compact_id: int) -> Response:
        actor = actor_of(request)
        compact = access.get_compact_for(actor, compact_id, write=True)
        data = _valid(CompactInput, request.data, partial=True)
        compact = services.compact_update(
            actor=actor, compact=compact, **_merged(compact, data, COMPACT_FIELDS)
        )
        return Response(CompactSerializer(compact).data)


class MemberStateListView(GenericAPIView[CompactMemberState]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = MemberStateSerializer
    queryset = CompactMemberState.objects.none()

    @extend_schema(
        operation_id="compact_member_states_list",
        responses=MemberStateSerializer(many=True),
        summary="A compact's members",
    )
    def get(self, request: Request, compact_id: int) -> Response:
        actor = actor_of(request)
        compact = access.get_compact_for(actor, compact_id)
        page = self.paginate_queryset(selectors.member_state_list(actor=actor, compact=compact))
        return self.get_paginated_response(MemberStateSerializer(page, many=True).data)

    @extend_schema(
        operation_id="compact_member_states_create",
        request=MemberStateInput,
        responses={201: MemberStateSerializer},
        summary="Add a member state (with the dates its membership holds)",
    )
    def post(self, request: Request, compact_id: int) -> Response:
        actor = actor_of(request)
        compact = access.get_compact_for(actor, compact_id, write=True)
        member = services.compact_member_state_add(
            actor=actor, compact=compact, **_valid(MemberStateInput, request.data)
        )
        return Response(MemberStateSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberStateEndView(GenericAPIView[CompactMemberState]):
    required_scopes = PRACTICE_SCOPES
    serializer_class = MemberStateSerializer
    queryset = CompactMemberState.objects.none()

    @extend_schema(
        operation_id="compact_member_states_end",
        request=MemberStateEndInput,
        responses=MemberStateSerializer,
        summary="Record the last day of a state's membership",
    )
    def post(self, request: Request, member_state_id: int) -> Response:
        actor = actor_of(request)
        member = access.get_member_state_for(actor, member_state_id, write=True)
        member = services.compact_member_state_end(
            actor=actor, member_state=member, **_valid(MemberStateEndInput, request.data)
        )
        return Response(MemberStateSerializer(member).data)


# --- Staff -------------------------------------------------------------------------------


def _reauth_refusal(request: Request) -> Response | None:
    """A browser session must have signed in or re-authenticated recently; a token is the
    integration's own credential, created by a re-authenticated person with this scope."""
    if isinstance(request.auth, ApiToken):
        return None
    from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate

    from kindred.accounts.adapter import signed_in_recently

    raw: HttpRequest = request._request
    if signed_in_recently(raw) or did_recently_reauthenticate(raw):
        return None
    return Response(
        {"detail": REAUTH_MESSAGE, "code": "reauthentication_required"},
        status=status.HTTP_403_FORBIDDEN,
    )


class StaffListView(GenericAPIView[User]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = StaffSerializer
    queryset = User.objects.none()

    @extend_schema(
        operation_id="staff_list",
        parameters=[StatusFilter],
        responses=StaffSerializer(many=True),
        summary="Staff",
    )
    def get(self, request: Request) -> Response:
        qs = selectors.staff_list(actor=actor_of(request), status=_status(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(StaffSerializer(page, many=True).data)

    @extend_schema(
        operation_id="staff_create",
        request=StaffCreateInput,
        responses={201: StaffSerializer, 403: REAUTH_RESPONSE},
        summary="Add a staff member (they are emailed a link to choose a password)",
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        access.require_staff_manager(actor)
        if refusal := _reauth_refusal(request):
            return refusal
        data = _valid(StaffCreateInput, request.data)
        user = account_services.staff_invite(
            actor=actor,
            email=data["email"],
            full_name=data["full_name"],
            roles=[Role(r) for r in data["roles"]],
        )
        user = access.get_staff_for(actor, user.pk)
        return Response(StaffSerializer(user).data, status=status.HTTP_201_CREATED)


class StaffDetailView(GenericAPIView[User]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = StaffSerializer
    queryset = User.objects.none()

    @extend_schema(operation_id="staff_retrieve", summary="One staff account")
    def get(self, request: Request, user_id: int) -> Response:
        return Response(StaffSerializer(access.get_staff_for(actor_of(request), user_id)).data)

    @extend_schema(
        operation_id="staff_partial_update",
        request=StaffUpdateInput(partial=True),
        responses={200: StaffSerializer, 403: REAUTH_RESPONSE},
        summary="Change a staff member's name or email",
    )
    def patch(self, request: Request, user_id: int) -> Response:
        actor = actor_of(request)
        user = access.get_staff_for(actor, user_id)
        if refusal := _reauth_refusal(request):
            return refusal
        data = _valid(StaffUpdateInput, request.data, partial=True)
        account_services.staff_update(
            actor=actor,
            user=user,
            email=data.get("email", user.email),
            full_name=data.get("full_name", user.full_name),
        )
        return Response(StaffSerializer(access.get_staff_for(actor, user_id)).data)


class StaffRolesView(GenericAPIView[User]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = StaffSerializer
    queryset = User.objects.none()

    @extend_schema(
        operation_id="staff_roles_update",
        request=RolesInput,
        responses={200: StaffSerializer, 403: REAUTH_RESPONSE},
        summary="Replace a staff member's roles (the last admin stays an admin)",
    )
    def put(self, request: Request, user_id: int) -> Response:
        actor = actor_of(request)
        user = access.get_staff_for(actor, user_id)
        if refusal := _reauth_refusal(request):
            return refusal
        roles = [Role(r) for r in _valid(RolesInput, request.data)["roles"]]
        account_services.staff_set_roles(actor=actor, user=user, roles=roles)
        return Response(StaffSerializer(access.get_staff_for(actor, user_id)).data)


class StaffDeactivateView(GenericAPIView[User]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = StaffSerializer
    queryset = User.objects.none()

    @extend_schema(
        operation_id="staff_deactivate",
        request=ReasonInput,
        responses={200: StaffSerializer, 403: REAUTH_RESPONSE},
        summary="Deactivate a staff account, with a reason (sessions and tokens end)",
    )
    def post(self, request: Request, user_id: int) -> Response:
        actor = actor_of(request)
        user = access.get_staff_for(actor, user_id)
        if refusal := _reauth_refusal(request):
            return refusal
        reason = _valid(ReasonInput, request.data)["reason"]
        account_services.user_deactivate(actor=actor, user=user, reason=reason)
        return Response(StaffSerializer(access.get_staff_for(actor, user_id)).data)


class StaffReactivateView(GenericAPIView[User]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = StaffSerializer
    queryset = User.objects.none()

    @extend_schema(
        operation_id="staff_reactivate",
        request=None,
        responses={200: StaffSerializer, 403: REAUTH_RESPONSE},
        summary="Reactivate a staff account",
    )
    def post(self, request: Request, user_id: int) -> Response:
        actor = actor_of(request)
        user = access.get_staff_for(actor, user_id)
        if refusal := _reauth_refusal(request):
            return refusal
        account_services.user_reactivate(actor=actor, user=user)
        return Response(StaffSerializer(access.get_staff_for(actor, user_id)).data)


# --- Clinicians --------------------------------------------------------------------------


def _supervisor(pk: int | None) -> ClinicianProfile | None:
    return _lookup(
        ClinicianProfile.objects.select_related("user"),
        pk,
        "supervisor",
        str(_("No clinician with this id.")),
    )


class ClinicianListView(GenericAPIView[ClinicianProfile]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = ClinicianSerializer
    queryset = ClinicianProfile.objects.none()

    @extend_schema(
        operation_id="clinicians_list",
        parameters=[StatusFilter],
        responses=ClinicianSerializer(many=True),
        summary="Clinicians",
    )
    def get(self, request: Request) -> Response:
        qs = selectors.clinician_list(actor=actor_of(request), status=_status(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ClinicianSerializer(page, many=True).data)

    @extend_schema(
        operation_id="clinicians_create",
        request=ClinicianCreateInput,
        responses={201: ClinicianSerializer},
        summary="Make a staff member a clinician",
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        access.require_clinicians_view(actor, write=True)
        data = dict(_valid(ClinicianCreateInput, request.data))
        user = _lookup(
            User.objects.filter(kind=UserKind.STAFF),
            data.pop("user"),
            "user",
            str(_("No staff account with this id.")),
        )
        assert user is not None  # noqa: S101 - the id is required, so a user was found
        data["supervisor"] = _supervisor(data["supervisor"])
        clinician = services.clinician_create(actor=actor, user=user, **data)
        return Response(ClinicianSerializer(clinician).data, status=status.HTTP_201_CREATED)


class ClinicianDetailView(GenericAPIView[ClinicianProfile]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = ClinicianSerializer
    queryset = ClinicianProfile.objects.none()

    @extend_schema(operation_id="clinicians_retrieve", summary="One clinician")
    def get(self, request: Request, clinician_id: int) -> Response:
        clinician = access.get_clinician_for(actor_of(request), clinician_id)
        return Response(ClinicianSerializer(clinician).data)

    @extend_schema(
        operation_id="clinicians_partial_update",
        request=ClinicianInput(partial=True),
        responses=ClinicianSerializer,
        summary="Change a clinician profile (only the fields given)",
    )
    def patch(self, request: Request, clinician_id: int) -> Response:
        actor = actor_of(request)
        clinician = access.get_clinician_for(actor, clinician_id, write=True)
        data = dict(_valid(ClinicianInput, request.data, partial=True))
        if "supervisor" in data:
            data["supervisor"] = _supervisor(data["supervisor"])
        clinician = services.clinician_update(
            actor=actor, clinician=clinician, **_merged(clinician, data, CLINICIAN_FIELDS)
        )
        return Response(ClinicianSerializer(clinician).data)


class LicensureView(GenericAPIView[ClinicianProfile]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = DecisionSerializer
    queryset = ClinicianProfile.objects.none()
    pagination_class = None

    @extend_schema(
        operation_id="clinician_licensure_check",
        parameters=[LicensureQuery],
        responses=DecisionSerializer,
        summary="May this clinician practise in a state on a date, and why",
    )
    def get(self, request: Request, clinician_id: int) -> Response:
        clinician = access.get_clinician_for(actor_of(request), clinician_id)
        query = _valid(LicensureQuery, request.query_params)
        decision = selectors.clinician_may_practice(clinician.pk, query["state"], query["on"])
        return Response(DecisionSerializer(_decision(decision)).data)


# --- Licenses ----------------------------------------------------------------------------


class LicenseListView(GenericAPIView[License]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = LicenseSerializer
    queryset = License.objects.none()

    @extend_schema(
        operation_id="clinician_licenses_list",
        responses=LicenseSerializer(many=True),
        summary="A clinician's licenses",
    )
    def get(self, request: Request, clinician_id: int) -> Response:
        actor = actor_of(request)
        clinician = access.get_clinician_for(actor, clinician_id)
        page = self.paginate_queryset(selectors.license_list(actor=actor, clinician=clinician))
        return self.get_paginated_response(LicenseSerializer(page, many=True).data)

    @extend_schema(
        operation_id="clinician_licenses_create",
        request=LicenseInput,
        responses={201: LicenseSerializer},
        summary="Add a license",
    )
    def post(self, request: Request, clinician_id: int) -> Response:
        actor = actor_of(request)
        clinician = access.get_clinician_for(actor, clinician_id, write=True)
        lic = services.license_create(
            actor=actor, clinician=clinician, **_valid(LicenseInput, request.data)
        )
        return Response(LicenseSerializer(lic).data, status=status.HTTP_201_CREATED)


class LicenseDetailView(GenericAPIView[License]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = LicenseSerializer
    queryset = License.objects.none()

    @extend_schema(operation_id="licenses_retrieve", summary="One license")
    def get(self, request: Request, license_id: int) -> Response:
        return Response(
            LicenseSerializer(access.get_license_for(actor_of(request), license_id)).data
        )

    @extend_schema(
        operation_id="licenses_partial_update",
        request=LicenseInput(partial=True),
        responses=LicenseSerializer,
        summary="Change a license (only the fields given)",
    )
    def patch(self, request: Request, license_id: int) -> Response:
        actor = actor_of(request)
        lic = access.get_license_for(actor, license_id, write=True)
        data = _valid(LicenseInput, request.data, partial=True)
        lic = services.license_update(
            actor=actor, license=lic, **_merged(lic, data, LICENSE_FIELDS)
        )
        return Response(LicenseSerializer(lic).data)


class LicenseEndView(GenericAPIView[License]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = LicenseSerializer
    queryset = License.objects.none()

    @extend_schema(
        operation_id="licenses_end",
        request=LicenseEndInput,
        responses=LicenseSerializer,
        summary="Stop a license counting (inactive, expired, suspended or revoked)",
    )
    def post(self, request: Request, license_id: int) -> Response:
        actor = actor_of(request)
        lic = access.get_license_for(actor, license_id, write=True)
        lic = services.license_end(
            actor=actor, license=lic, **_valid(LicenseEndInput, request.data)
        )
        return Response(LicenseSerializer(lic).data)


# --- Compact privileges ------------------------------------------------------------------


def _privilege_data(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "compact" in data:
        data["compact"] = _lookup(
            Compact.objects.all(), data["compact"], "compact", str(_("No compact with this id."))
        )
    return data


class PrivilegeListView(GenericAPIView[CompactPrivilege]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = PrivilegeSerializer
    queryset = CompactPrivilege.objects.none()

    @extend_schema(
        operation_id="clinician_privileges_list",
        responses=PrivilegeSerializer(many=True),
        summary="A clinician's compact privileges",
    )
    def get(self, request: Request, clinician_id: int) -> Response:
        actor = actor_of(request)
        clinician = access.get_clinician_for(actor, clinician_id)
        page = self.paginate_queryset(selectors.privilege_list(actor=actor, clinician=clinician))
        return self.get_paginated_response(PrivilegeSerializer(page, many=True).data)

    @extend_schema(
        operation_id="clinician_privileges_create",
        request=PrivilegeInput,
        responses={201: PrivilegeSerializer},
        summary="Add a compact privilege",
    )
    def post(self, request: Request, clinician_id: int) -> Response:
        actor = actor_of(request)
        clinician = access.get_clinician_for(actor, clinician_id, write=True)
        data = _privilege_data(_valid(PrivilegeInput, request.data))
        priv = services.privilege_create(actor=actor, clinician=clinician, **data)
        return Response(PrivilegeSerializer(priv).data, status=status.HTTP_201_CREATED)


class PrivilegeDetailView(GenericAPIView[CompactPrivilege]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = PrivilegeSerializer
    queryset = CompactPrivilege.objects.none()

    @extend_schema(operation_id="privileges_retrieve", summary="One compact privilege")
    def get(self, request: Request, privilege_id: int) -> Response:
        priv = access.get_privilege_for(actor_of(request), privilege_id)
        return Response(PrivilegeSerializer(priv).data)

    @extend_schema(
        operation_id="privileges_partial_update",
        request=PrivilegeInput(partial=True),
        responses=PrivilegeSerializer,
        summary="Change a compact privilege (only the fields given)",
    )
    def patch(self, request: Request, privilege_id: int) -> Response:
        actor = actor_of(request)
        priv = access.get_privilege_for(actor, privilege_id, write=True)
        data = _privilege_data(_valid(PrivilegeInput, request.data, partial=True))
        priv = services.privilege_update(
            actor=actor, privilege=priv, **_merged(priv, data, PRIVILEGE_FIELDS)
        )
        return Response(PrivilegeSerializer(priv).data)


class PrivilegeEndView(GenericAPIView[CompactPrivilege]):
    required_scopes = CLINICIAN_SCOPES
    serializer_class = PrivilegeSerializer
    queryset = CompactPrivilege.objects.none()

    @extend_schema(
        operation_id="privileges_end",
        request=PrivilegeEndInput,
        responses=PrivilegeSerializer,
        summary="Record the last day a compact privilege counts",
    )
    def post(self, request: Request, privilege_id: int) -> Response:
        actor = actor_of(request)
        priv = access.get_privilege_for(actor, privilege_id, write=True)
        priv = services.privilege_end(
            actor=actor, privilege=priv, **_valid(PrivilegeEndInput, request.data)
        )
        return Response(PrivilegeSerializer(priv).data)
