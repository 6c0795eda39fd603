"""API v1: safety alerts (list for your groups, read, acknowledge), a member's change
over time per instrument, and a group's dashboard.

The same four steps as the pages: authorize (measures/safety_selectors.py for alerts,
clients/access.py for a member's outcomes, groups/access.py for the dashboard; not yours
= 404), check the shape with a serializer, call one service, respond. Tokens need
``measures:read``, and ``measures:write`` to acknowledge. Staff only: members read their
own progress on their page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.scopes import Scope
from kindred.api.actors import require_staff
from kindred.measures.dashboard import GroupDashboard, MemberRow, group_dashboard
from kindred.measures.models import AlertAction, AlertStatus, SafetyAlert
from kindred.measures.outcomes import Trajectory, member_outcomes, rules_explained
from kindred.measures.safety import ACTION_NOTE_MAX, alert_acknowledge, flag_label
from kindred.measures.safety_selectors import alert_get, alert_list

if TYPE_CHECKING:
    pass

MEASURE_SCOPES = {"read": Scope.MEASURES_READ, "write": Scope.MEASURES_WRITE}


# --- Alerts --------------------------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="full_name")


class AlertSerializer(serializers.ModelSerializer[SafetyAlert]):
    client_name = serializers.CharField(source="client.display_name")
    group_name = serializers.CharField(source="group.name", default=None, allow_null=True)
    instrument = serializers.CharField(
        source="administration.instrument.code", default=None, allow_null=True
    )
    what_raised_it = serializers.SerializerMethodField()
    acknowledged_by = PersonRefSerializer(allow_null=True)

    class Meta:
        model = SafetyAlert
        fields = (
            "id",
            "status",
            "source",
            "flag_code",
            "what_raised_it",
            "client_id",
            "client_name",
            "group_id",
            "group_name",
            "administration_id",
            "instrument",
            "created_at",
            "escalated_at",
            "escalated_to_id",
            "acknowledged_at",
            "acknowledged_by",
            "action",
            "action_note",
        )
        read_only_fields = fields

    def get_what_raised_it(self, alert: SafetyAlert) -> str:
        return flag_label(alert)


class AlertFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=AlertStatus.choices, required=False)


class AcknowledgeSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=AlertAction.choices)
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=ACTION_NOTE_MAX,
        help_text="Required when the action is 'other'.",
    )


class AlertListView(GenericAPIView[SafetyAlert]):
    required_scopes = MEASURE_SCOPES
    serializer_class = AlertSerializer

    def get_queryset(self) -> QuerySet[SafetyAlert]:
        return SafetyAlert.objects.none()  # lists come from the selector below

    @extend_schema(
        parameters=[AlertFilterSerializer],
        responses=AlertSerializer(many=True),
        summary="Safety alerts of the members of your groups (open first, oldest first)",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        params = AlertFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        alerts = alert_list(actor=actor, status=params.validated_data.get("status", ""))
        page = self.paginate_queryset(alerts)
        return self.get_paginated_response(AlertSerializer(page, many=True).data)


class AlertDetailView(GenericAPIView[SafetyAlert]):
    required_scopes = MEASURE_SCOPES
    serializer_class = AlertSerializer

    @extend_schema(responses=AlertSerializer, summary="Read one safety alert (audited)")
    def get(self, request: Request, alert_id: int) -> Response:
        alert = alert_get(actor=require_staff(request), alert_id=alert_id)
        return Response(AlertSerializer(alert).data)


class AlertAcknowledgeView(GenericAPIView[SafetyAlert]):
    required_scopes = MEASURE_SCOPES
    serializer_class = AcknowledgeSerializer

    @extend_schema(
        request=AcknowledgeSerializer,
        responses={200: AlertSerializer},
        summary="Record the action taken; the alert becomes read-only (409 if it already is)",
    )
    def post(self, request: Request, alert_id: int) -> Response:
        actor = require_staff(request)
        alert = alert_get(actor=actor, alert_id=alert_id, write=True)
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        done = alert_acknowledge(
            actor=actor, alert=alert, action=data["action"], note=data.get("note", "")
        )
        done.client = alert.client
        done.group = alert.group
        done.administration = alert.administration
        return Response(AlertSerializer(done).data)


# --- A member's change over time ---------------------------------------------------------


class PointSerializer(serializers.Serializer[Any]):
    administration_id = serializers.IntegerField()
    completed_at = serializers.DateTimeField()
    total = serializers.FloatField()
    band = serializers.CharField()
    band_label = serializers.CharField()


class BandSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField(source="label")
    min = serializers.FloatField()
    max = serializers.FloatField()


class RciSerializer(serializers.Serializer[Any]):
    rci = serializers.FloatField(help_text="(latest − first) / S_diff (Jacobson & Truax 1991).")
    se = serializers.FloatField()
    s_diff = serializers.FloatField()
    critical_difference = serializers.FloatField(help_text="1.96 · S_diff, in points.")
    reliable = serializers.BooleanField(help_text="|RCI| > 1.96")
    direction = serializers.CharField()


class TalkingTherapiesSerializer(serializers.Serializer[Any]):
    caseness = serializers.FloatField()
    reliable_change_points = serializers.FloatField()
    case_at_first = serializers.BooleanField()
    case_at_latest = serializers.BooleanField()
    reliable_improvement = serializers.BooleanField()
    reliable_deterioration = serializers.BooleanField()
    recovered = serializers.BooleanField()
    reliably_recovered = serializers.BooleanField()
    outcome = serializers.CharField()


class NotOnTrackSerializer(serializers.Serializer[Any]):
    flagged = serializers.BooleanField()
    deteriorated = serializers.BooleanField()
    no_improvement = serializers.BooleanField()
    sessions_attended = serializers.IntegerField()
    after_sessions = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class TrajectorySerializer(serializers.Serializer[Trajectory]):
    instrument = serializers.CharField(source="instrument.code")
    instrument_name = serializers.CharField(source="instrument.name")
    validated = serializers.BooleanField(source="instrument.validated")
    higher_is_better = serializers.BooleanField(source="definition.higher_is_better")
    points = PointSerializer(many=True)
    bands = BandSerializer(many=True)
    outcome = serializers.CharField(allow_null=True)
    rci = RciSerializer(source="change.rci", allow_null=True, default=None)
    talking_therapies = TalkingTherapiesSerializer(
        source="change.talking_therapies", allow_null=True, default=None
    )
    rc_s1 = serializers.FloatField(source="instrument.rc_sd", allow_null=True)
    rc_r = serializers.FloatField(source="instrument.rc_reliability", allow_null=True)
    rc_source = serializers.CharField(source="instrument.rc_source")
    change_criteria_source = serializers.CharField(
        source="definition.change_criteria.source", default="", allow_blank=True
    )
    not_on_track = NotOnTrackSerializer(allow_null=True)


class MemberOutcomesSerializer(serializers.Serializer[Any]):
    client_id = serializers.IntegerField(source="client.pk")
    client_name = serializers.CharField(source="client.display_name")
    trajectories = TrajectorySerializer(many=True)
    not_on_track_rules = serializers.ListField(child=serializers.CharField())


class MemberOutcomesView(GenericAPIView[Any]):
    required_scopes = MEASURE_SCOPES
    serializer_class = MemberOutcomesSerializer

    @extend_schema(
        responses=MemberOutcomesSerializer,
        summary="A member's totals, bands, reliable change and classification per "
        "instrument (audited)",
    )
    def get(self, request: Request, client_id: int) -> Response:
        outcomes = member_outcomes(actor=require_staff(request), client_id=client_id)
        payload = {
            "client": outcomes.client,
            "trajectories": outcomes.trajectories,
            "not_on_track_rules": rules_explained(outcomes.rules),
        }
        return Response(MemberOutcomesSerializer(payload).data)


# --- The group dashboard -----------------------------------------------------------------


class SessionAttendanceSerializer(serializers.Serializer[Any]):
    session_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    cancelled = serializers.BooleanField()
    attended = serializers.IntegerField()
    absent_notice = serializers.IntegerField()
    no_show = serializers.IntegerField()


class PulsePointSerializer(serializers.Serializer[Any]):
    session_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    averages = serializers.DictField(child=serializers.FloatField(allow_null=True))
    answers = serializers.IntegerField()


class BandCountSerializer(serializers.Serializer[Any]):
    band = serializers.CharField(source="band.code")
    name = serializers.CharField(source="band.label")
    members = serializers.IntegerField(source="count")


class SeveritySerializer(serializers.Serializer[Any]):
    instrument = serializers.CharField(source="instrument.code")
    counts = BandCountSerializer(many=True)
    not_measured = serializers.IntegerField()


class OffTrackInstrumentSerializer(serializers.Serializer[Any]):
    instrument = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class OffTrackSerializer(serializers.Serializer[MemberRow]):
    client_id = serializers.IntegerField(source="client.pk")
    client_name = serializers.CharField(source="client.display_name")
    instruments = serializers.SerializerMethodField()

    @extend_schema_field(OffTrackInstrumentSerializer(many=True))
    def get_instruments(self, row: MemberRow) -> list[dict[str, Any]]:
        return [
            {"instrument": t.instrument.code, "reasons": t.not_on_track.reasons}
            for t in row.off_track
            if t.not_on_track is not None
        ]


class DashboardSerializer(serializers.Serializer[GroupDashboard]):
    group_id = serializers.IntegerField(source="group.pk")
    group_name = serializers.CharField(source="group.name")
    attendance = SessionAttendanceSerializer(many=True)
    pulse = PulsePointSerializer(many=True)
    pulse_labels = serializers.DictField(child=serializers.CharField())
    severity = SeveritySerializer(many=True)
    not_on_track = OffTrackSerializer(many=True)
    open_alert_count = serializers.IntegerField()
    open_alert_ids = serializers.SerializerMethodField(
        help_text="Only for those who may open the alerts (clinicians, admins)."
    )
    not_on_track_rules = serializers.SerializerMethodField()

    def get_open_alert_ids(self, d: GroupDashboard) -> list[int]:
        return [a.pk for a in d.open_alerts]

    def get_not_on_track_rules(self, d: GroupDashboard) -> list[str]:
        return rules_explained(d.rules)


class GroupDashboardView(GenericAPIView[Any]):
    required_scopes = MEASURE_SCOPES
    serializer_class = DashboardSerializer

    @extend_schema(
        responses=DashboardSerializer,
        parameters=[OpenApiParameter("group_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        summary="A group's attendance, pulse trend, current severity, members not on "
        "track and open alerts (audited)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        dashboard = group_dashboard(actor=require_staff(request), group_id=group_id)
        return Response(DashboardSerializer(dashboard).data)
