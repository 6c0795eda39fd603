"""API v1: the waitlist — entries (the same filters and order as the page), status
changes, the contact log and "do not place with" exclusions.

Staff who see every client record read it (``clients:read``) and those who manage
client records change it (``clients:write``); everyone else finds nothing (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.scopes import Scope
from kindred.api.v1.intake import require_waitlist
from kindred.clients.access import get_client_for
from kindred.clients.models import Modality
from kindred.intake import selectors
from kindred.intake import waitlist as waitlist_services
from kindred.intake.access import get_entry_for, get_exclusion_for
from kindred.intake.models import (
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    ExclusionReason,
    PlacementExclusion,
    Urgency,
    WaitlistEntry,
    WaitlistStatus,
    WaitlistStatusChange,
)
from kindred.intake.selectors import STATUS_ALL, STATUS_OPEN, WaitlistFilters

#: What the list's ``status`` parameter accepts (schema: WaitlistFilterStatusEnum).
FILTER_STATUS_CHOICES = [STATUS_OPEN, *WaitlistStatus.values, STATUS_ALL]
WAITLIST_SCOPES = {"read": Scope.CLIENTS_READ, "write": Scope.CLIENTS_WRITE}


# --- Serializers -------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    display_name = serializers.CharField()


class EntryClientSerializer(PersonSerializer):
    state_of_residence = serializers.CharField()
    preferred_modality = serializers.CharField()
    concerns = serializers.SerializerMethodField()

    def get_concerns(self, client: Any) -> list[int]:
        return [c.pk for c in client.concerns.all()]


class GroupRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class WaitlistEntrySerializer(serializers.ModelSerializer[WaitlistEntry]):
    client = EntryClientSerializer(read_only=True)
    group = GroupRefSerializer(read_only=True, allow_null=True)
    waited = serializers.SerializerMethodField(help_text='How long, in words ("6 weeks").')
    waited_days = serializers.SerializerMethodField()
    possible_duplicate = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields: tuple[str, ...] = (
            "id",
            "client",
            "group",
            "referral",
            "status",
            "urgency",
            "added_at",
            "waited",
            "waited_days",
            "flagged_out_of_state",
            "possible_duplicate",
            "status_reason",
            "revisit_on",
            "closed_at",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_waited(self, entry: WaitlistEntry) -> str:
        return selectors.waited_words(entry.added_at, entry.closed_at or timezone.now())

    def get_waited_days(self, entry: WaitlistEntry) -> int:
        return max(0, ((entry.closed_at or timezone.now()) - entry.added_at).days)

    def get_possible_duplicate(self, entry: WaitlistEntry) -> bool:
        return selectors.possible_duplicate(entry)


class StatusChangeSerializer(serializers.ModelSerializer[WaitlistStatusChange]):
    changed_by = serializers.CharField(source="changed_by.email", default=None, read_only=True)

    class Meta:
        model = WaitlistStatusChange
        fields = ("from_status", "status", "reason", "changed_by", "changed_at")
        read_only_fields = fields


class WaitlistEntryDetailSerializer(WaitlistEntrySerializer):
    status_changes = StatusChangeSerializer(many=True, read_only=True)

    class Meta(WaitlistEntrySerializer.Meta):
        fields = (*WaitlistEntrySerializer.Meta.fields, "status_changes")
        read_only_fields = fields


class WaitlistFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=FILTER_STATUS_CHOICES,
        default=STATUS_OPEN,
        required=False,
        help_text='"open" (default): every status still waiting; "all"; or one status.',
    )
    concern = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    state = serializers.CharField(required=False, allow_blank=True, max_length=2)
    modality = serializers.ChoiceField(
        choices=[Modality.VIRTUAL, Modality.IN_PERSON],
        required=False,
        help_text="People who can meet this way (including those happy with either).",
    )
    waited_weeks = serializers.IntegerField(
        required=False, min_value=1, max_value=520, help_text="Waiting longer than this."
    )
    urgency = serializers.ChoiceField(choices=Urgency.values, required=False)
    group = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class StatusInputSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=WaitlistStatus.values)
    reason = serializers.CharField(
        max_length=500,
        allow_blank=True,
        required=False,
        help_text="Needed for unreachable, withdrawn and referred_elsewhere.",
    )
    revisit_on = serializers.DateField(allow_null=True, required=False)


class ContactAttemptSerializer(serializers.ModelSerializer[ContactAttempt]):
    by = serializers.CharField(source="by.email", default=None, read_only=True)
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
    note = serializers.CharField(
        max_length=1000, allow_blank=True, required=False, trim_whitespace=False
    )

    class Meta:
        model = ContactAttempt
        fields = ("id", "at", "method", "outcome", "note", "by")
        read_only_fields = ("id", "by")


class ExclusionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="exclusion.pk")
    other = PersonSerializer()
    reason = serializers.CharField(source="exclusion.reason")
    note = serializers.CharField(source="exclusion.note")
    created_at = serializers.DateTimeField(source="exclusion.created_at")


class ExclusionInputSerializer(serializers.Serializer[Any]):
    other = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The client never to be placed with."
    )
    reason = serializers.ChoiceField(choices=ExclusionReason.choices)
    note = serializers.CharField(
        max_length=500, allow_blank=True, required=False, trim_whitespace=False
    )


# --- Views -------------------------------------------------------------------------------


class WaitlistListView(GenericAPIView[WaitlistEntry]):
    required_scopes = WAITLIST_SCOPES
    serializer_class = WaitlistEntrySerializer

    def get_queryset(self) -> QuerySet[WaitlistEntry]:
        return WaitlistEntry.objects.none()  # lists come from the selector

    @extend_schema(
        parameters=[WaitlistFilterSerializer],
        responses=WaitlistEntrySerializer(many=True),
        summary="The waitlist: most urgent first, then longest waiting",
    )
    def get(self, request: Request) -> Response:
        actor = require_waitlist(request)
        params = WaitlistFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = WaitlistFilters(
            concern=data.get("concern"),
            state=(data.get("state") or "").upper(),
            modality=data.get("modality", ""),
            waited_weeks=data.get("waited_weeks"),
            urgency=data.get("urgency", ""),
            status=data.get("status", STATUS_OPEN),
            group=data.get("group"),
        )
        page = self.paginate_queryset(selectors.waitlist_list(actor=actor, filters=filters))
        return self.get_paginated_response(WaitlistEntrySerializer(page, many=True).data)


class WaitlistDetailView(GenericAPIView[WaitlistEntry]):
    required_scopes = WAITLIST_SCOPES
    serializer_class = WaitlistEntryDetailSerializer

    @extend_schema(
        responses=WaitlistEntryDetailSerializer,
        summary="One waitlist entry with its status changes (audited)",
    )
    def get(self, request: Request, entry_id: int) -> Response:
        actor = require_waitlist(request)
        entry = selectors.entry_get(actor=actor, entry_id=entry_id)
        return Response(_detail(entry))


def _detail(entry: WaitlistEntry) -> dict[str, Any]:
    """The entry as ``WaitlistEntryDetailSerializer`` shows it, read afresh (the caller
    already checked access)."""
    fresh = (
        WaitlistEntry.objects.select_related("client", "group", "referral")
        .prefetch_related(
            "client__concerns",
            Prefetch(
                "status_changes",
                queryset=WaitlistStatusChange.objects.select_related("changed_by").order_by(
                    "-changed_at", "-id"
                ),
            ),
        )
        .get(pk=entry.pk)
    )
    return dict(WaitlistEntryDetailSerializer(fresh).data)


class WaitlistStatusView(GenericAPIView[WaitlistEntry]):
    """Change an entry's status (a reason is needed for unreachable, withdrawn and
    referred elsewhere; those and placed close the entry)."""

    required_scopes = WAITLIST_SCOPES
    serializer_class = StatusInputSerializer

    @extend_schema(request=StatusInputSerializer, responses=WaitlistEntryDetailSerializer)
    def post(self, request: Request, entry_id: int) -> Response:
        actor = require_waitlist(request)
        entry = get_entry_for(actor, entry_id, write=True)
        serializer = StatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        waitlist_services.waitlist_set_status(actor=actor, entry=entry, **serializer.validated_data)
        return Response(_detail(entry))


class ContactListView(GenericAPIView[ContactAttempt]):
    required_scopes = WAITLIST_SCOPES
    serializer_class = ContactAttemptSerializer
    pagination_class = None

    @extend_schema(responses=ContactAttemptSerializer(many=True), summary="An entry's contact log")
    def get(self, request: Request, entry_id: int) -> Response:
        actor = require_waitlist(request)
        entry = selectors.entry_get(actor=actor, entry_id=entry_id)
        rows = ContactAttempt.objects.filter(entry=entry).select_related("by")
        return Response(ContactAttemptSerializer(rows.order_by("-at", "-id"), many=True).data)

    @extend_schema(
        request=ContactAttemptSerializer,
        responses={201: ContactAttemptSerializer},
        summary="Log an attempt to reach the person (reaching someone waiting marks them "
        "contacted)",
    )
    def post(self, request: Request, entry_id: int) -> Response:
        actor = require_waitlist(request)
        entry = get_entry_for(actor, entry_id, write=True)
        serializer = ContactAttemptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempt = waitlist_services.contact_attempt_add(
            actor=actor, entry=entry, **serializer.validated_data
        )
        return Response(ContactAttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)


class ExclusionListView(GenericAPIView[PlacementExclusion]):
    required_scopes = WAITLIST_SCOPES
    serializer_class = ExclusionSerializer
    pagination_class = None

    @extend_schema(
        responses=ExclusionSerializer(many=True),
        summary="The entry's client's do-not-place-with exclusions (from either side)",
    )
    def get(self, request: Request, entry_id: int) -> Response:
        actor = require_waitlist(request)
        entry = selectors.entry_get(actor=actor, entry_id=entry_id)
        return Response(ExclusionSerializer(selectors.exclusions_of(entry.client), many=True).data)

    @extend_schema(
        request=ExclusionInputSerializer,
        responses={201: ExclusionSerializer},
        summary="Never place the entry's client in a group with another client",
    )
    def post(self, request: Request, entry_id: int) -> Response:
        actor = require_waitlist(request)
        entry = get_entry_for(actor, entry_id, write=True)
        serializer = ExclusionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        other = get_client_for(actor, data["other"])
        exclusion = waitlist_services.exclusion_add(
            actor=actor,
            client=entry.client,
            other=other,
            reason=data["reason"],
            note=data.get("note", ""),
        )
        view = selectors.ExclusionView(exclusion, other)
        return Response(ExclusionSerializer(view).data, status=status.HTTP_201_CREATED)


class ExclusionDetailView(GenericAPIView[PlacementExclusion]):
    required_scopes = WAITLIST_SCOPES
    serializer_class = ExclusionSerializer

    @extend_schema(request=None, responses={204: None}, summary="Remove an exclusion")
    def delete(self, request: Request, entry_id: int, exclusion_id: int) -> Response:
        actor = require_waitlist(request)
        entry = get_entry_for(actor, entry_id, write=True)
        exclusion = get_exclusion_for(actor, entry, exclusion_id)
        waitlist_services.exclusion_remove(actor=actor, exclusion=exclusion)
        return Response(status=status.HTTP_204_NO_CONTENT)
