"""API v1: a facilitator's sessions, attendance, the licensure gate, join links and the
licensure report.

The same four steps as the web pages: authorize with scheduling/access.py, check the
shape with a serializer, call one service (scheduling/attendance.py, gate.py,
reports.py), respond. Tokens need ``sessions:read`` / ``sessions:write``
(accounts/token_services.py says who may hold them); members use their browser session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of, require_staff
from kindred.core.errors import NotFound
from kindred.groups.access import clinician_of
from kindred.scheduling import access, attendance, gate, reports
from kindred.scheduling.dashboard import DashboardSession, facilitator_home_context
from kindred.scheduling.models import AttendanceStatus, GroupSession

if TYPE_CHECKING:
    from kindred.accounts.models import User

SESSION_SCOPES = {"read": Scope.SESSIONS_READ, "write": Scope.SESSIONS_WRITE}


def _require_member(request: Request) -> User:
    actor = actor_of(request)
    if not getattr(actor, "is_member", False) or getattr(actor, "client", None) is None:
        raise NotFound("Not found.")
    return actor


# --- Serializers ---------------------------------------------------------------------------


class SessionSummarySerializer(serializers.Serializer[DashboardSession]):
    id = serializers.IntegerField(source="session.pk")
    group_id = serializers.IntegerField(source="session.group_id")
    group_name = serializers.CharField(source="session.group.name")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    ends_at = serializers.DateTimeField(source="session.ends_at")
    timezone = serializers.CharField(source="session.group.timezone")
    status = serializers.CharField(source="session.status")
    modality = serializers.CharField(source="session.modality")
    room = serializers.CharField(source="session.room.name", default=None, allow_null=True)
    members_expected = serializers.IntegerField(source="expected")
    absence_notices = serializers.IntegerField()
    attestation_problems = serializers.IntegerField(
        help_text="Members stopped by the licensure gate for this session."
    )
    attendance_taken_at = serializers.DateTimeField(
        source="session.attendance_taken_at", allow_null=True
    )
    can_start = serializers.BooleanField(help_text="The join link with moderator rights is open.")


class MySessionsSerializer(serializers.Serializer[Any]):
    today = SessionSummarySerializer(many=True)
    upcoming = SessionSummarySerializer(many=True)
    attendance_to_take = SessionSummarySerializer(many=True, source="untaken")
    attendance_to_take_count = serializers.IntegerField(source="untaken_count")


class AttestationSerializer(serializers.Serializer[Any]):
    state = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True, help_text="For staff: who is not covered.")


class SheetRowSerializer(serializers.Serializer[attendance.SheetRow]):
    client_id = serializers.IntegerField(source="client.pk")
    name = serializers.CharField(source="client.display_name")
    status = serializers.ChoiceField(
        choices=AttendanceStatus.choices, allow_blank=True, help_text="Saved or suggested."
    )
    suggested = serializers.BooleanField(
        help_text="The status is a suggestion (absence notice, cancelled session), not saved."
    )
    joined_at = serializers.DateTimeField(source="attendance.joined_at", default=None)
    left_at = serializers.DateTimeField(source="attendance.left_at", default=None)
    absence_notice = serializers.SerializerMethodField()
    attestation = serializers.SerializerMethodField()

    def get_absence_notice(self, row: attendance.SheetRow) -> bool:
        return row.absence_notice is not None

    @extend_schema_field(AttestationSerializer(allow_null=True))
    def get_attestation(self, row: attendance.SheetRow) -> dict[str, Any] | None:
        a = row.attestation
        if a is None:
            return None
        return {"state": a.state, "allowed": a.allowed, "reason": a.reason}


class SheetSerializer(serializers.Serializer[attendance.AttendanceSheet]):
    session_id = serializers.IntegerField(source="session.pk")
    group_name = serializers.CharField(source="session.group.name")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    ends_at = serializers.DateTimeField(source="session.ends_at")
    cancelled = serializers.BooleanField(source="is_cancelled")
    attendance_taken_at = serializers.DateTimeField(
        source="session.attendance_taken_at", allow_null=True
    )
    rows = SheetRowSerializer(many=True)


class AttendanceRowInputSerializer(serializers.Serializer[Any]):
    client_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    joined_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    left_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class AttendanceInputSerializer(serializers.Serializer[Any]):
    rows = AttendanceRowInputSerializer(
        many=True,
        allow_empty=False,
        help_text="Members left out keep what they had. All rows are saved, or none.",
    )


class StateInputSerializer(serializers.Serializer[Any]):
    state = serializers.CharField(max_length=2, help_text="USPS code of the state you are in now.")


class GateResultSerializer(serializers.Serializer[Any]):
    state = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text="A plain explanation for the member.")
    covered_states = serializers.ListField(
        child=serializers.CharField(),
        help_text="When not allowed: the states the session's clinicians cover that day.",
    )


JOIN_RESPONSE = inline_serializer(
    "JoinLink",
    {
        "url": serializers.CharField(help_text="Open at once; never store or send it."),
        "moderator": serializers.BooleanField(),
    },
)


class UncoveredSerializer(serializers.Serializer[reports.Uncovered]):
    facilitator = serializers.CharField()
    reason = serializers.CharField()


class AtRiskSerializer(serializers.Serializer[reports.AtRiskRow]):
    session_id = serializers.IntegerField(source="session.pk")
    group_name = serializers.CharField(source="session.group.name")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    client_id = serializers.IntegerField(source="client.pk")
    member = serializers.CharField(source="client.display_name")
    state = serializers.CharField()
    state_source = serializers.ChoiceField(source="source", choices=["attested", "residence"])
    uncovered = UncoveredSerializer(many=True)


class ExpiringSerializer(serializers.Serializer[reports.ExpiringCredential]):
    kind = serializers.ChoiceField(choices=["license", "privilege"])
    clinician_id = serializers.IntegerField(source="clinician.pk")
    clinician = serializers.CharField(source="clinician.user.full_name")
    credential = serializers.CharField(source="what")
    states = serializers.CharField()
    ends_on = serializers.DateField()
    days_left = serializers.IntegerField()


class LicensureReportSerializer(serializers.Serializer[reports.LicensureReport]):
    generated_at = serializers.DateTimeField()
    at_risk_days = serializers.IntegerField()
    expiry_days = serializers.IntegerField()
    at_risk = AtRiskSerializer(many=True)
    expiring = ExpiringSerializer(many=True)


# --- Views ---------------------------------------------------------------------------------


class MySessionsView(GenericAPIView[GroupSession]):
    required_scopes = SESSION_SCOPES
    serializer_class = MySessionsSerializer
    pagination_class = None

    @extend_schema(
        responses=MySessionsSerializer,
        summary="Your sessions as a facilitator: today, the next 7 days, attendance to take",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        if clinician_of(actor) is None:
            raise NotFound("Not found.")
        return Response(MySessionsSerializer(facilitator_home_context(actor=actor)).data)


def _entry(data: dict[str, Any]) -> attendance.AttendanceEntry:
    return attendance.AttendanceEntry(
        client_id=data["client_id"],
        status=data["status"],
        joined_at=data.get("joined_at"),
        left_at=data.get("left_at"),
    )


class AttendanceView(GenericAPIView[Any]):
    required_scopes = SESSION_SCOPES
    serializer_class = SheetSerializer
    pagination_class = None

    @extend_schema(
        responses=SheetSerializer,
        summary="The attendance sheet: every member with a place that day (audited)",
    )
    def get(self, request: Request, session_id: int) -> Response:
        actor = require_staff(request)
        session = access.get_session_for_attendance(actor, session_id)
        return Response(
            SheetSerializer(attendance.attendance_sheet(actor=actor, session=session)).data
        )

    @extend_schema(
        request=AttendanceInputSerializer,
        responses=SheetSerializer,
        summary="Record attendance for several members at once (all rows or none)",
    )
    def put(self, request: Request, session_id: int) -> Response:
        actor = require_staff(request)
        session = access.get_session_for_attendance(actor, session_id)
        serializer = AttendanceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data["rows"]
        try:
            attendance.attendance_record(
                actor=actor, session=session, entries=[_entry(r) for r in rows]
            )
        except attendance.AttendanceInvalid as exc:
            # The same shape DRF gives for nested list errors: one object per row.
            by_row: list[dict[str, list[str]]] = [
                exc.row_errors.get(r["client_id"], {}) for r in rows
            ]
            return Response({"rows": by_row}, status=status.HTTP_400_BAD_REQUEST)
        sheet = attendance.attendance_sheet(actor=actor, session=session)
        return Response(SheetSerializer(sheet).data)


class AttestationView(GenericAPIView[GroupSession]):
    required_scopes = SESSION_SCOPES
    serializer_class = StateInputSerializer

    @extend_schema(
        request=StateInputSerializer,
        responses={200: GateResultSerializer},
        summary="A member says which state they are in for a virtual session (the licensure "
        "gate); opens 10 minutes before the start",
    )
    def post(self, request: Request, session_id: int) -> Response:
        actor = _require_member(request)
        session = access.get_session_for(actor, session_id)
        serializer = StateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = gate.attest_state(
            actor=actor, session=session, state=serializer.validated_data["state"]
        )
        decision = result.decision
        return Response(
            GateResultSerializer(
                {
                    "state": decision.state,
                    "allowed": decision.allowed,
                    "reason": decision.member_message(),
                    "covered_states": decision.covered_states,
                }
            ).data
        )


class JoinView(GenericAPIView[GroupSession]):
    required_scopes = SESSION_SCOPES
    serializer_class = StateInputSerializer  # unused; the schema uses JOIN_RESPONSE

    @extend_schema(
        responses={200: JOIN_RESPONSE},
        summary="The video link: for members with a place who passed the licensure gate, "
        "for facilitators with moderator rights; only from 10 minutes before the start "
        "until the end (409 otherwise)",
    )
    def get(self, request: Request, session_id: int) -> Response:
        actor = actor_of(request)
        session = access.get_session_for(actor, session_id)
        if getattr(actor, "is_member", False):
            url = gate.member_join_url(actor=actor, session=session)
            moderator = False
        else:
            url = gate.facilitator_start_url(actor=actor, session=session)
            moderator = True
        response = Response({"url": url, "moderator": moderator})
        response["Cache-Control"] = "no-store"
        return response


class LicensureReportView(GenericAPIView[Any]):
    required_scopes = SESSION_SCOPES
    serializer_class = LicensureReportSerializer
    pagination_class = None

    @extend_schema(
        responses=LicensureReportSerializer,
        summary="Virtual sessions at risk in the next 14 days, and licenses and privileges "
        "ending within 60 days (audited)",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        report = reports.licensure_report(actor=actor, now=timezone.now())
        return Response(LicensureReportSerializer(report).data)
