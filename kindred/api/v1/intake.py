"""API v1: referrals.

``POST /api/v1/referrals/`` is how a partner organisation's system refers someone: it
needs the ``referrals:write`` scope (a token of a coordinator's account carrying only that
scope can refer, and read nothing). Sending the same referral again within a day answers
200 with the first one (201 the first time), so a partner may safely retry. Reading
referrals and reviewing a possible duplicate are for staff who see every client record
(``clients:read`` / ``clients:write``).

The same four steps as the web pages: authorize (intake/access.py, intake/selectors.py),
check the shape with a serializer, call one service (intake/referrals.py), respond.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.names import validate_person_name
from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of
from kindred.clients.access import get_client_for
from kindred.clients.models import ConcernTag
from kindred.core.errors import NotFound
from kindred.groups.models import TherapyGroup
from kindred.intake import referrals as referral_services
from kindred.intake import selectors
from kindred.intake.access import get_referral_for, sees_waitlist
from kindred.intake.models import Referral, ReferralSource, ReferralStatus
from kindred.intake.referrals import STAFF_SOURCES, AvailabilityRow, Outcome, Submission
from kindred.practice.models import Location

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: The sources a staff member or a partner's system may give (schema: StaffReferralSourceEnum).
STAFF_SOURCE_CHOICES = [(s.value, s.label) for s in STAFF_SOURCES]
REFERRAL_SCOPES = {"read": Scope.CLIENTS_READ, "write": Scope.REFERRALS_WRITE}
REVIEW_SCOPES = {"read": Scope.CLIENTS_READ, "write": Scope.CLIENTS_WRITE}


def require_waitlist(request: Request) -> User:
    """Only staff who see every client find referrals and the waitlist; others 404."""
    actor = actor_of(request)
    if not sees_waitlist(actor):
        raise NotFound("Not found.")
    return actor


# --- Serializers -------------------------------------------------------------------------


class AvailabilityRowSerializer(serializers.Serializer[Any]):
    weekday = serializers.IntegerField(help_text="0 = Monday … 6 = Sunday")
    start = serializers.TimeField(help_text="HH:MM, in the person's local time")
    end = serializers.TimeField(help_text="HH:MM, later than start")


class ReferralInputSerializer(serializers.Serializer[Any]):
    """The shape of a referral; intake/referrals.py checks the values (a way to contact,
    states, dates, times, concerns still offered) and answers with field errors."""

    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field, not Field.source
        choices=STAFF_SOURCE_CHOICES,
        default=ReferralSource.PARTNER,
        help_text="Who refers: a partner organisation (default), a clinician, or staff.",
    )
    referrer_name = serializers.CharField(
        validators=[validate_person_name], max_length=150, allow_blank=True, required=False
    )
    referrer_organisation = serializers.CharField(max_length=150, allow_blank=True, required=False)
    referrer_email = serializers.CharField(max_length=254, allow_blank=True, required=False)
    referrer_phone = serializers.CharField(max_length=25, allow_blank=True, required=False)
    first_name = serializers.CharField(
        validators=[validate_person_name], max_length=100, allow_blank=True
    )
    last_name = serializers.CharField(
        validators=[validate_person_name], max_length=100, allow_blank=True
    )
    preferred_name = serializers.CharField(
        validators=[validate_person_name], max_length=100, allow_blank=True, required=False
    )
    pronouns = serializers.CharField(max_length=40, allow_blank=True, required=False)
    date_of_birth = serializers.DateField(allow_null=True, required=False)
    email = serializers.CharField(max_length=254, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=25, allow_blank=True, required=False)
    state = serializers.CharField(max_length=64, allow_blank=True)
    concerns = serializers.PrimaryKeyRelatedField(
        many=True, queryset=ConcernTag.objects.all(), required=False
    )
    in_their_words = serializers.CharField(
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        max_length=3000,
        help_text="Clinical: stored exactly as sent, never in the audit log or emails.",
    )
    preferred_modality = serializers.CharField(max_length=20, required=False)
    availability = AvailabilityRowSerializer(many=True, required=False)
    language = serializers.CharField(max_length=10, required=False)
    gender = serializers.CharField(
        max_length=20,
        allow_blank=True,
        required=False,
        help_text='Optional: "woman", "man", "nonbinary", "another" or "prefer_not". '
        "Some groups are for one gender only.",
    )
    locations = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Location.objects.all(),
        required=False,
        help_text="The practice's offices the person could get to (kept for in person or either).",
    )
    urgency = serializers.CharField(max_length=20, required=False)
    group = serializers.PrimaryKeyRelatedField(
        queryset=TherapyGroup.objects.all(), allow_null=True, required=False
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.setdefault("date_of_birth", None)  # optional here, a required keyword there
        data["availability"] = [
            AvailabilityRow(row["weekday"], row["start"], row["end"])
            for row in data.get("availability", [])
        ]
        return data


class ReferralReceiptSerializer(serializers.Serializer[Any]):
    """What the referrer learns: it arrived (and whether it was a repeat), nothing about
    the practice's records."""

    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    repeated = serializers.BooleanField(
        help_text="true: the same referral was already received within a day; nothing new "
        "was saved."
    )
    out_of_state = serializers.BooleanField(
        help_text="The person lives in a state the practice does not serve (accepted, flagged)."
    )
    message = serializers.CharField()


def receipt(submission: Submission) -> dict[str, Any]:
    referral = submission.referral
    assert referral is not None  # noqa: S101 - staff submissions are never discarded
    message = referral_services.next_steps_message()
    if submission.out_of_state:
        message = f"{referral_services.out_of_state_message(referral.state)} {message}"
    return {
        "id": referral.pk,
        "received_at": referral.created_at,
        "repeated": submission.outcome == Outcome.REPEATED,
        "out_of_state": submission.out_of_state,
        "message": message,
    }


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    concerns: serializers.PrimaryKeyRelatedField[ConcernTag] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Referral
        fields: tuple[str, ...] = (
            "id",
            "status",
            "source",
            "created_at",
            "first_name",
            "last_name",
            "preferred_name",
            "pronouns",
            "date_of_birth",
            "email",
            "phone",
            "state",
            "out_of_state",
            "concerns",
            "preferred_modality",
            "language",
            "urgency",
            "group",
            "referrer_name",
            "referrer_organisation",
            "referrer_email",
            "referrer_phone",
            "client",
            "duplicate_candidates",
        )
        read_only_fields: tuple[str, ...] = fields


class ReferralDetailSerializer(ReferralSerializer):
    locations: serializers.PrimaryKeyRelatedField[Location] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta(ReferralSerializer.Meta):
        fields = (
            *ReferralSerializer.Meta.fields,
            "in_their_words",
            "availability",
            "gender",
            "locations",
        )
        read_only_fields = fields


class AttachSerializer(serializers.Serializer[Any]):
    client = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="One of the referral's duplicate_candidates: the same person.",
    )


class EntryReceiptSerializer(serializers.Serializer[Any]):
    waitlist_entry = serializers.IntegerField()
    client = serializers.IntegerField()


STATUS_PARAMETER = OpenApiParameter(
    "status",
    str,
    enum=[*ReferralStatus.values, selectors.STATUS_ALL],
    description="Only referrals with this status (default: all).",
)


# --- Views -------------------------------------------------------------------------------


class ReferralListView(GenericAPIView[Referral]):
    required_scopes = REFERRAL_SCOPES
    serializer_class = ReferralSerializer

    def get_queryset(self) -> QuerySet[Referral]:
        return Referral.objects.none()  # lists come from the selector

    @extend_schema(
        parameters=[STATUS_PARAMETER],
        responses=ReferralSerializer(many=True),
        summary="List referrals, newest first (audited)",
    )
    def get(self, request: Request) -> Response:
        actor = require_waitlist(request)
        wanted = request.query_params.get("status", selectors.STATUS_ALL)
        if wanted not in {*ReferralStatus.values, selectors.STATUS_ALL}:
            return Response({"status": ["Unknown status."]}, status=status.HTTP_400_BAD_REQUEST)
        rows = selectors.referral_list(actor=actor, status=wanted).prefetch_related("concerns")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReferralSerializer(page, many=True).data)

    @extend_schema(
        request=ReferralInputSerializer,
        responses={201: ReferralReceiptSerializer, 200: ReferralReceiptSerializer},
        summary="Refer someone to the waitlist (scope referrals:write; a repeat within a "
        "day answers 200 with the first referral)",
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        if not getattr(actor, "is_staff_member", False):
            raise NotFound("Not found.")  # members: there is nothing here for them
        serializer = ReferralInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = referral_services.referral_submit(actor=actor, **serializer.service_kwargs())
        code = status.HTTP_200_OK if submission.outcome == Outcome.REPEATED else 201
        return Response(ReferralReceiptSerializer(receipt(submission)).data, status=code)


class ReferralDetailView(GenericAPIView[Referral]):
    required_scopes = REVIEW_SCOPES
    serializer_class = ReferralDetailSerializer

    @extend_schema(responses=ReferralDetailSerializer, summary="Read one referral (audited)")
    def get(self, request: Request, referral_id: int) -> Response:
        actor = require_waitlist(request)
        referral = selectors.referral_get(actor=actor, referral_id=referral_id)
        return Response(ReferralDetailSerializer(referral).data)


class ReferralAttachView(GenericAPIView[Referral]):
    """A possible duplicate is the same person: the referral goes on their record and
    they join the waitlist."""

    required_scopes = REVIEW_SCOPES
    serializer_class = AttachSerializer

    @extend_schema(request=AttachSerializer, responses=EntryReceiptSerializer)
    def post(self, request: Request, referral_id: int) -> Response:
        actor = require_waitlist(request)
        referral = get_referral_for(actor, referral_id, write=True)
        serializer = AttachSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = get_client_for(actor, serializer.validated_data["client"], write=True)
        entry = referral_services.referral_attach(actor=actor, referral=referral, client=client)
        return Response({"waitlist_entry": entry.pk, "client": client.pk})


class ReferralNewRecordView(GenericAPIView[Referral]):
    """A possible duplicate is a different person: a new client record is made and they
    join the waitlist."""

    required_scopes = REVIEW_SCOPES
    serializer_class = EntryReceiptSerializer

    @extend_schema(request=None, responses={201: EntryReceiptSerializer})
    def post(self, request: Request, referral_id: int) -> Response:
        actor = require_waitlist(request)
        referral = get_referral_for(actor, referral_id, write=True)
        entry = referral_services.referral_create_record(actor=actor, referral=referral)
        return Response(
            {"waitlist_entry": entry.pk, "client": entry.client_id},
            status=status.HTTP_201_CREATED,
        )
