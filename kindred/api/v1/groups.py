"""API v1: therapy groups, their sessions and the places in them (enrollments).

The same four steps as the web pages: authorize with groups/access.py,
scheduling/access.py and groups/selectors.py, check the shape with a serializer, call
one service (groups/services.py, scheduling/session_services.py), respond. Serializers
check shape only; the services own every rule and answer 400 with field errors, 409 for
a conflict (a full group, a booked room) or a state that does not allow the change.

Tokens need ``groups:read`` / ``groups:write``; staff who sign in with a browser session
are checked by their roles and the access functions. Members find nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.scopes import Scope
from kindred.api.actors import require_staff
from kindred.clients.access import get_client_for
from kindred.clients.models import GROUP_GENDER_CHOICES, ConcernTag
from kindred.core.access import deny
from kindred.core.errors import NotPermitted
from kindred.groups import access, selectors, services
from kindred.groups.models import (
    Enrollment,
    EnrollmentStatus,
    GroupFormat,
    GroupModality,
    GroupStatus,
    TherapyGroup,
)
from kindred.intake.models import AgreementVersion
from kindred.practice.models import ClinicianProfile, Location, Room
from kindred.scheduling import session_services
from kindred.scheduling.access import get_session_for
from kindred.scheduling.models import GroupSession, SessionStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User

GROUP_SCOPES = {"read": Scope.GROUPS_READ, "write": Scope.GROUPS_WRITE}


# --- Serializers -------------------------------------------------------------------------


class GroupSerializer(serializers.ModelSerializer[TherapyGroup]):
    # Declared so the schema allows "" (open to everyone): a read-only model field loses
    # allow_blank.
    gender_focus = serializers.ChoiceField(
        choices=GROUP_GENDER_CHOICES,
        allow_blank=True,
        read_only=True,
        help_text='"" for a group open to everyone, or the gender it is for.',
    )
    # A URL or "" (none): as URLField the schema would refuse "".
    external_video_link = serializers.CharField(
        read_only=True,
        help_text='Only for the fixed-link video provider; never sent by email. "" when none.',
    )
    seats_taken = serializers.SerializerMethodField(
        help_text="Places held (invited or active members)."
    )
    concerns: serializers.PrimaryKeyRelatedField[ConcernTag] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    co_facilitators: serializers.PrimaryKeyRelatedField[ClinicianProfile] = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    )
    format = serializers.ChoiceField(choices=GroupFormat.choices, read_only=True)
    modality = serializers.ChoiceField(choices=GroupModality.choices, read_only=True)
    status = serializers.ChoiceField(choices=GroupStatus.choices, read_only=True)
    language = serializers.CharField(
        read_only=True, help_text="The group's language: a code as for clients (en, es, ...)."
    )

    class Meta:
        model = TherapyGroup
        fields = (
            "id",
            "name",
            "slug",
            "description",
            "concerns",
            "format",
            "modality",
            "location",
            "room",
            "lead_facilitator",
            "co_facilitators",
            "min_size",
            "max_size",
            "seats_taken",
            "min_age",
            "max_age",
            "gender_focus",
            "language",
            "session_minutes",
            "recurrence",
            "start_date",
            "start_time",
            "timezone",
            "fee_cents",
            "sliding_scale",
            "fee_note",
            "status",
            "listed_publicly",
            "external_video_link",
            "agreement_version",
            "sessions_generated_until",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_seats_taken(self, group: TherapyGroup) -> int:
        value = getattr(group, "seats_taken", None)
        return int(value) if value is not None else services.seats_taken(group)


class GroupInputSerializer(serializers.Serializer[Any]):
    """The shape of a group; the service checks the values (the rule, sizes, ages, the
    place and every facilitator's license for it, room bookings) with field errors."""

    name = serializers.CharField(max_length=120, allow_blank=True)
    slug = serializers.CharField(max_length=80, allow_blank=True, required=False)
    description = serializers.CharField(max_length=4000, allow_blank=True)
    concerns = serializers.PrimaryKeyRelatedField(
        many=True, queryset=ConcernTag.objects.all(), required=False
    )
    format = serializers.ChoiceField(choices=GroupFormat.choices, required=False)
    modality = serializers.ChoiceField(choices=GroupModality.choices, required=False)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), allow_null=True, required=False
    )
    room = serializers.PrimaryKeyRelatedField(
        queryset=Room.objects.all(), allow_null=True, required=False
    )
    lead_facilitator = serializers.PrimaryKeyRelatedField(
        queryset=ClinicianProfile.objects.select_related("user")
    )
    co_facilitators = serializers.PrimaryKeyRelatedField(
        many=True, queryset=ClinicianProfile.objects.select_related("user"), required=False
    )
    min_size = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    max_size = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    min_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=1000)
    max_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=1000)
    gender_focus = serializers.CharField(
        max_length=60,
        allow_blank=True,
        required=False,
        help_text='"" for a group open to everyone, or "woman", "man" or "nonbinary": '
        "matching proposes it only to people whose record gives that gender.",
    )
    language = serializers.CharField(
        max_length=10,
        required=False,
        help_text='The language it is held in, a code as for clients ("en" by default; '
        'not "other").',
    )
    session_minutes = serializers.IntegerField(required=False, min_value=0, max_value=10000)
    recurrence = serializers.CharField(max_length=300, allow_blank=True)
    start_date = serializers.DateField()
    start_time = serializers.TimeField()
    timezone = serializers.CharField(max_length=64)
    fee_cents = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    sliding_scale = serializers.BooleanField(required=False)
    fee_note = serializers.CharField(max_length=300, allow_blank=True, required=False)
    listed_publicly = serializers.BooleanField(required=False)
    external_video_link = serializers.CharField(max_length=200, allow_blank=True, required=False)
    agreement_version = serializers.PrimaryKeyRelatedField(
        queryset=AgreementVersion.objects.all(),
        allow_null=True,
        required=False,
        help_text="The published group-agreement version members sign. A newer one asks "
        "every member to sign it before their next session.",
    )


class GroupCreateSerializer(GroupInputSerializer):
    status = serializers.ChoiceField(
        choices=[GroupStatus.FORMING, GroupStatus.ACTIVE],
        required=False,
        help_text="A new group is forming (the default) or active.",
    )


class GroupFilterSerializer(serializers.Serializer[Any]):
    search = serializers.CharField(required=False, allow_blank=True, max_length=120)
    status = serializers.ChoiceField(
        required=False,
        choices=[selectors.STATUS_LIVE, *GroupStatus.values, selectors.STATUS_ALL],
        default=selectors.STATUS_LIVE,
        help_text="live (the default) is forming, active or paused.",
    )
    modality = serializers.ChoiceField(
        required=False, choices=GroupModality.choices, allow_blank=True
    )
    facilitator = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    concern = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class SessionSerializer(serializers.ModelSerializer[GroupSession]):
    is_rescheduled = serializers.BooleanField(read_only=True)
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    modality = serializers.ChoiceField(choices=GroupModality.choices, read_only=True)

    class Meta:
        model = GroupSession
        fields = (
            "id",
            "group",
            "original_starts_at",
            "starts_at",
            "ends_at",
            "is_rescheduled",
            "status",
            "cancel_reason",
            "modality",
            "location",
            "room",
            "substitute_facilitator",
            "sequence",
            "attendance_taken_at",
        )
        read_only_fields = fields


class SessionFilterSerializer(serializers.Serializer[Any]):
    when = serializers.ChoiceField(
        required=False,
        choices=[
            selectors.SessionWhen.UPCOMING,
            selectors.SessionWhen.PAST,
            selectors.SessionWhen.ALL,
        ],
        default=selectors.SessionWhen.UPCOMING,
    )


class CancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, allow_blank=True)


class RescheduleSerializer(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField(
        help_text="With a UTC offset, e.g. 2026-12-01T18:00:00-06:00."
    )
    ends_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Leave out to keep the session's length."
    )


class SubstituteSerializer(serializers.Serializer[Any]):
    substitute_facilitator = serializers.PrimaryKeyRelatedField(
        queryset=ClinicianProfile.objects.select_related("user"), allow_null=True
    )


class SubstituteResultSerializer(serializers.Serializer[Any]):
    session = SessionSerializer()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Members' usual states the substitute is not licensed for (online).",
    )


class EnrollmentSerializer(serializers.ModelSerializer[Enrollment]):
    client_name = serializers.CharField(source="client.display_name", read_only=True)
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, read_only=True)

    class Meta:
        model = Enrollment
        fields = (
            "id",
            "group",
            "client",
            "client_name",
            "status",
            "invited_at",
            "activated_at",
            "ended_at",
            "end_reason",
        )
        read_only_fields = fields


class EnrollmentCreateSerializer(serializers.Serializer[Any]):
    client = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class EnrollmentEndSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")
    ended_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the place ended; now if left out."
    )


class EnrollmentActivateSerializer(serializers.Serializer[Any]):
    activated_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When they joined; now if left out."
    )


EMPTY = inline_serializer("Empty", {})


# --- Groups ------------------------------------------------------------------------------


class GroupListView(GenericAPIView[TherapyGroup]):
    required_scopes = GROUP_SCOPES
    serializer_class = GroupSerializer

    def get_queryset(self) -> QuerySet[TherapyGroup]:
        return TherapyGroup.objects.none()  # lists come from the selector below

    @extend_schema(
        parameters=[GroupFilterSerializer],
        responses=GroupSerializer(many=True),
        summary="List the groups you may see",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        params = GroupFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = selectors.GroupFilters(
            search=data.get("search", ""),
            status=data.get("status", selectors.STATUS_LIVE),
            modality=data.get("modality", ""),
            facilitator=data.get("facilitator"),
            concern=data.get("concern"),
        )
        page = self.paginate_queryset(selectors.group_list(actor=actor, filters=filters))
        return self.get_paginated_response(GroupSerializer(page, many=True).data)

    @extend_schema(
        request=GroupCreateSerializer,
        responses={201: GroupSerializer},
        summary="Set up a group (its sessions are generated)",
    )
    def post(self, request: Request) -> Response:
        actor = require_staff(request)
        serializer = GroupCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.group_create(actor=actor, **serializer.validated_data)
        return Response(GroupSerializer(group).data, status=status.HTTP_201_CREATED)


class GroupDetailView(GenericAPIView[TherapyGroup]):
    required_scopes = GROUP_SCOPES
    serializer_class = GroupSerializer

    @extend_schema(responses=GroupSerializer, summary="Read one group")
    def get(self, request: Request, group_id: int) -> Response:
        group = access.get_group_for(require_staff(request), group_id)
        return Response(GroupSerializer(group).data)

    @extend_schema(
        request=GroupInputSerializer(partial=True),
        responses=GroupSerializer,
        summary="Change a group (only the fields given; a new schedule regenerates future "
        "sessions only)",
    )
    def patch(self, request: Request, group_id: int) -> Response:
        actor = require_staff(request)
        group = access.get_group_for(actor, group_id, write=True)
        serializer = GroupInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        group = services.group_update(actor=actor, group=group, **serializer.validated_data)
        group.refresh_from_db()
        return Response(GroupSerializer(group).data)


class _GroupStatusView(GenericAPIView[TherapyGroup]):
    required_scopes = GROUP_SCOPES
    serializer_class = GroupSerializer
    action_name: ClassVar[str] = ""

    @extend_schema(request=None, responses={200: GroupSerializer})
    def post(self, request: Request, group_id: int) -> Response:
        actor = require_staff(request)
        group = access.get_group_for(actor, group_id, write=True)
        service = getattr(services, f"group_{self.action_name}")
        group = service(actor=actor, group=group)
        group.refresh_from_db()
        return Response(GroupSerializer(group).data)


class GroupActivateView(_GroupStatusView):
    """Forming → active, or resume a paused group (its sessions come back)."""

    action_name = "activate"


class GroupPauseView(_GroupStatusView):
    """Pause: sessions that have not started are cancelled ("Group paused")."""

    action_name = "pause"


class GroupCompleteView(_GroupStatusView):
    """The group has finished; sessions that have not started are cancelled."""

    action_name = "complete"


class GroupCancelView(_GroupStatusView):
    """Cancel the group; its coming sessions are cancelled with notice."""

    action_name = "cancel"


# --- Sessions of a group -------------------------------------------------------------------


def _session(actor: User, group_id: int, session_id: int, *, write: bool) -> GroupSession:
    group = access.get_group_for(actor, group_id, write=write)
    session = get_session_for(actor, session_id, write=write)
    if session.group_id != group.pk:
        deny(actor, GroupSession, session_id)
    session.group = group
    return session


class SessionListView(GenericAPIView[GroupSession]):
    required_scopes = GROUP_SCOPES
    serializer_class = SessionSerializer

    def get_queryset(self) -> QuerySet[GroupSession]:
        return GroupSession.objects.none()

    @extend_schema(
        parameters=[SessionFilterSerializer],
        responses=SessionSerializer(many=True),
        summary="A group's sessions (upcoming by default)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = require_staff(request)
        group = access.get_group_for(actor, group_id)
        params = SessionFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        sessions = selectors.session_list(
            actor=actor, group=group, when=params.validated_data["when"]
        )
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(SessionSerializer(page, many=True).data)


class SessionDetailView(GenericAPIView[GroupSession]):
    required_scopes = GROUP_SCOPES
    serializer_class = SessionSerializer

    @extend_schema(responses=SessionSerializer, summary="Read one session of a group")
    def get(self, request: Request, group_id: int, session_id: int) -> Response:
        session = _session(require_staff(request), group_id, session_id, write=False)
        return Response(SessionSerializer(session).data)


class SessionCancelView(GenericAPIView[GroupSession]):
    required_scopes = GROUP_SCOPES
    serializer_class = CancelSerializer

    @extend_schema(
        request=CancelSerializer,
        responses=SessionSerializer,
        summary="Cancel one session (members and facilitators are told)",
    )
    def post(self, request: Request, group_id: int, session_id: int) -> Response:
        actor = require_staff(request)
        session = _session(actor, group_id, session_id, write=True)
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_services.session_cancel(
            actor=actor, session=session, reason=serializer.validated_data["reason"]
        )
        return Response(SessionSerializer(session).data)


class SessionRescheduleView(GenericAPIView[GroupSession]):
    required_scopes = GROUP_SCOPES
    serializer_class = RescheduleSerializer

    @extend_schema(
        request=RescheduleSerializer,
        responses=SessionSerializer,
        summary="Move one session to a new time (the same length unless ends_at is given)",
    )
    def post(self, request: Request, group_id: int, session_id: int) -> Response:
        actor = require_staff(request)
        session = _session(actor, group_id, session_id, write=True)
        serializer = RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session_services.session_reschedule(
            actor=actor, session=session, starts_at=data["starts_at"], ends_at=data.get("ends_at")
        )
        return Response(SessionSerializer(session).data)


class SessionMoveOnlineView(GenericAPIView[GroupSession]):
    required_scopes = GROUP_SCOPES
    serializer_class = SessionSerializer

    @extend_schema(
        request=None, responses=SessionSerializer, summary="Hold one session online instead"
    )
    def post(self, request: Request, group_id: int, session_id: int) -> Response:
        actor = require_staff(request)
        session = _session(actor, group_id, session_id, write=True)
        session_services.session_move_online(actor=actor, session=session)
        return Response(SessionSerializer(session).data)


class SessionSubstituteView(GenericAPIView[GroupSession]):
    required_scopes = GROUP_SCOPES
    serializer_class = SubstituteSerializer

    @extend_schema(
        request=SubstituteSerializer,
        responses=SubstituteResultSerializer,
        summary="Set (or clear, with null) the substitute facilitator of one session",
    )
    def post(self, request: Request, group_id: int, session_id: int) -> Response:
        actor = require_staff(request)
        session = _session(actor, group_id, session_id, write=True)
        serializer = SubstituteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = session_services.session_set_substitute(
            actor=actor,
            session=session,
            substitute=serializer.validated_data["substitute_facilitator"],
        )
        return Response(
            {"session": SessionSerializer(result.session).data, "warnings": result.warnings}
        )


# --- Places (enrollments) ------------------------------------------------------------------


class EnrollmentListView(GenericAPIView[Enrollment]):
    required_scopes = GROUP_SCOPES
    serializer_class = EnrollmentSerializer

    def get_queryset(self) -> QuerySet[Enrollment]:
        return Enrollment.objects.none()

    @extend_schema(
        responses=EnrollmentSerializer(many=True),
        summary="Who holds or held a place (managers and the group's facilitators; audited)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = require_staff(request)
        group = access.get_group_for(actor, group_id)
        if not selectors.can_see_roster(actor, group):
            raise NotPermitted("Only the group's facilitators and coordinators see who is in it.")
        page = self.paginate_queryset(selectors.roster(actor=actor, group=group))
        return self.get_paginated_response(EnrollmentSerializer(page, many=True).data)

    @extend_schema(
        request=EnrollmentCreateSerializer,
        responses={201: EnrollmentSerializer},
        summary="Offer a client a place (it is held at once; 409 when the group is full)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = require_staff(request)
        group = access.get_group_for(actor, group_id, write=True)
        serializer = EnrollmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = get_client_for(actor, serializer.validated_data["client"])
        enrollment = services.enrollment_invite(actor=actor, group=group, client=client)
        return Response(EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)


def _enrollment(actor: User, group_id: int, enrollment_id: int) -> Enrollment:
    group = access.get_group_for(actor, group_id, write=True)
    enrollment = access.get_enrollment_for(actor, enrollment_id, write=True)
    if enrollment.group_id != group.pk:
        deny(actor, Enrollment, enrollment_id)
    return enrollment


class EnrollmentActivateView(GenericAPIView[Enrollment]):
    required_scopes = GROUP_SCOPES
    serializer_class = EnrollmentActivateSerializer

    @extend_schema(
        request=EnrollmentActivateSerializer,
        responses=EnrollmentSerializer,
        summary="The invited person has joined (invited → active)",
    )
    def post(self, request: Request, group_id: int, enrollment_id: int) -> Response:
        actor = require_staff(request)
        enrollment = _enrollment(actor, group_id, enrollment_id)
        serializer = EnrollmentActivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.enrollment_activate(
            actor=actor,
            enrollment=enrollment,
            activated_at=serializer.validated_data.get("activated_at"),
        )
        return Response(EnrollmentSerializer(enrollment).data)


class _EnrollmentEndView(GenericAPIView[Enrollment]):
    required_scopes = GROUP_SCOPES
    serializer_class = EnrollmentEndSerializer
    action_name: ClassVar[str] = ""

    @extend_schema(request=EnrollmentEndSerializer, responses=EnrollmentSerializer)
    def post(self, request: Request, group_id: int, enrollment_id: int) -> Response:
        actor = require_staff(request)
        enrollment = _enrollment(actor, group_id, enrollment_id)
        serializer = EnrollmentEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = getattr(services, f"enrollment_{self.action_name}")
        service(
            actor=actor,
            enrollment=enrollment,
            reason=serializer.validated_data["reason"],
            ended_at=serializer.validated_data.get("ended_at"),
        )
        return Response(EnrollmentSerializer(enrollment).data)


class EnrollmentGraduateView(_EnrollmentEndView):
    """An active member completes the group (reason optional)."""

    action_name = "graduate"


class EnrollmentWithdrawView(_EnrollmentEndView):
    """The person chose to leave or declined (reason required)."""

    action_name = "withdraw"


class EnrollmentRemoveView(_EnrollmentEndView):
    """The practice ends the person's place (reason required)."""

    action_name = "remove"
