"""API v1: screenings — list and read the ones you may read, start a draft, change a
draft's checklist and notes, and record its decision (admit, defer with a date to talk
again, refer to individual care).

The same four steps as the pages (web/screening/views.py): authorize
(intake/screening_access.py, intake/screening_selectors.py), check the shape with a
serializer, call one service (intake/screening.py: every rule and message is there),
respond. Who reads what is the page's rule: a screening's screener, its group's
facilitators and those who manage groups; the notes and the candidate's completed
questionnaires are shown to each of them, as on the page. Only the screener changes a
draft (403 for the other readers); a decided screening never changes (409). Reading a
screening, or a page of them, writes an access audit event.

Tokens need ``screening:read``, and ``screening:write`` to change anything (granted to
clinicians who may screen and to those who manage groups). Members find nothing (404);
staff who do not screen get 403 on the list, as on the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.models import User, UserKind
from kindred.accounts.scopes import Scope
from kindred.core.access import deny
from kindred.core.errors import NotFound, NotPermitted, ValidationFailed
from kindred.groups.access import visible_groups
from kindred.intake import screening_access, screening_selectors
from kindred.intake.models import Answer, Screening, ScreeningDecision
from kindred.intake.screening import (
    ANSWER_FIELDS,
    EXCLUSION_FIELDS,
    ScreeningResult,
    screening_create,
    screening_update,
)
from kindred.intake.screening_selectors import STATUS_DECIDED, STATUS_DRAFT, ScreeningFilters

if TYPE_CHECKING:
    from kindred.groups.models import TherapyGroup
    from kindred.measures.models import Administration

SCREENING_SCOPES = {"read": Scope.SCREENING_READ, "write": Scope.SCREENING_WRITE}
#: What a screening's ``status`` says (schema: ScreeningStatusEnum).
STATUS_CHOICES = [
    (STATUS_DRAFT, "In progress: no decision yet"),
    (STATUS_DECIDED, "Decided: it never changes"),
]


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


def _staff(request: Request) -> User:
    """Members (and anyone not on staff) find nothing here."""
    actor: User = request.user  # type: ignore[assignment]
    if not getattr(actor, "is_staff_member", False):
        raise NotFound("Not found.")
    return actor


def _screener(request: Request) -> User:
    """The list and new screenings: staff who screen (the page's 403 for the others)."""
    actor = _staff(request)
    if not screening_access.may_screen(actor):
        raise NotPermitted("You do not screen candidates.")
    return actor


def _one(request: Request, screening_id: int, *, write: bool = False) -> tuple[User, Screening]:
    actor: User = request.user  # type: ignore[assignment]
    if not getattr(actor, "is_staff_member", False):
        deny(actor, Screening, screening_id)  # a denied event, then 404
    return actor, screening_access.get_screening_for(actor, screening_id, write=write)


# --- Serializers -------------------------------------------------------------------------


class RefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class ClientRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")


class ScreenerRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="full_name")


class ScreeningSummarySerializer(serializers.ModelSerializer[Screening]):
    """A row of the list: who, for which group, by whom, and where it stands."""

    client = ClientRefSerializer(read_only=True)
    group = RefSerializer(read_only=True)
    screener = ScreenerRefSerializer(read_only=True)
    entry = serializers.IntegerField(
        source="entry_id",
        read_only=True,
        allow_null=True,
        help_text="The waitlist entry the candidate came from, if any.",
    )
    status = serializers.SerializerMethodField()
    decision = serializers.ChoiceField(
        choices=ScreeningDecision.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty while the screening is a draft.",
    )

    class Meta:
        model = Screening
        fields: tuple[str, ...] = (
            "id",
            "client",
            "group",
            "screener",
            "entry",
            "status",
            "decision",
            "revisit_on",
            "decided_at",
            "created_at",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = fields

    @extend_schema_field(serializers.ChoiceField(choices=STATUS_CHOICES))
    def get_status(self, screening: Screening) -> str:
        return STATUS_DRAFT if screening.decided_at is None else STATUS_DECIDED


class ScreeningSerializer(ScreeningSummarySerializer):
    """One screening: the checklist, the notes and the decision (clinical)."""

    motivation = serializers.ChoiceField(choices=Answer.choices, allow_blank=True, read_only=True)
    can_participate = serializers.ChoiceField(
        choices=Answer.choices, allow_blank=True, read_only=True
    )
    goals_fit = serializers.ChoiceField(choices=Answer.choices, allow_blank=True, read_only=True)
    commitment = serializers.ChoiceField(choices=Answer.choices, allow_blank=True, read_only=True)
    can_change = serializers.SerializerMethodField(
        help_text="Whether you may change it: you screen it and it is still a draft."
    )

    class Meta(ScreeningSummarySerializer.Meta):
        fields = (
            *ScreeningSummarySerializer.Meta.fields,
            *ANSWER_FIELDS,
            *EXCLUSION_FIELDS,
            "notes",
            "decision_reason",
            "can_change",
        )
        read_only_fields = fields

    def get_can_change(self, screening: Screening) -> bool:
        actor = self.context.get("actor")
        return bool(
            actor is not None and screening.decided_at is None and screening.screener_id == actor.pk
        )


class ScoreSerializer(serializers.Serializer[Any]):
    """A completed questionnaire of the candidate (as the screening page shows it)."""

    instrument = serializers.CharField(source="instrument.code")
    instrument_name = serializers.CharField(source="instrument.short_name")
    total = serializers.SerializerMethodField()
    band = serializers.CharField()
    completed_at = serializers.DateTimeField()

    def get_total(self, administration: Administration) -> int | None:
        """Null when the answers were incomplete."""
        complete = getattr(administration, "is_complete", True)
        return administration.total if complete else None


class ScreeningDetailSerializer(ScreeningSerializer):
    intake_scores = serializers.SerializerMethodField(
        help_text="The candidate's completed questionnaires, latest first."
    )

    class Meta(ScreeningSerializer.Meta):
        fields = (*ScreeningSerializer.Meta.fields, "intake_scores")
        read_only_fields = fields

    def get_intake_scores(self, screening: Screening) -> list[dict[str, Any]]:
        scores = self.context.get("scores") or []
        return [dict(row) for row in ScoreSerializer(scores, many=True).data]


class OutcomeSerializer(serializers.Serializer[Any]):
    """What recording the decision did, with the sentence the page shows."""

    message = serializers.CharField()
    enrollment = serializers.IntegerField(
        allow_null=True, help_text="The place in the group (admit), if one was given or held."
    )
    waitlist_entry = serializers.IntegerField(
        allow_null=True, help_text="The candidate's waitlist entry the decision updated."
    )
    activated = serializers.BooleanField(help_text="The place became active (a member now).")
    group_full = serializers.BooleanField(
        help_text="Admitted, but the group is full: first in line for it."
    )


class DecisionResponseSerializer(serializers.Serializer[Any]):
    screening = ScreeningSerializer()
    outcome = OutcomeSerializer()


class ScreeningFilterSerializer(serializers.Serializer[Any]):
    group = _id_field(required=False)
    client = _id_field(required=False)
    decision = serializers.ChoiceField(choices=ScreeningDecision.choices, required=False)
    pending = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: drafts only (no decision yet); false: decided only.",
    )
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only the ones you screen."
    )


class ChecklistInputSerializer(serializers.Serializer[Any]):
    """The checklist and notes of a draft; each is optional. intake/screening.py checks
    the values and answers with the field's error."""

    motivation = serializers.ChoiceField(choices=Answer.choices, allow_blank=True, required=False)
    can_participate = serializers.ChoiceField(
        choices=Answer.choices, allow_blank=True, required=False
    )
    goals_fit = serializers.ChoiceField(choices=Answer.choices, allow_blank=True, required=False)
    commitment = serializers.ChoiceField(choices=Answer.choices, allow_blank=True, required=False)
    acute_crisis = serializers.BooleanField(required=False)
    active_suicidality = serializers.BooleanField(required=False)
    active_psychosis = serializers.BooleanField(required=False)
    severe_cognitive_impairment = serializers.BooleanField(required=False)
    extreme_hostility = serializers.BooleanField(required=False)
    only_member_unlike_others = serializers.BooleanField(required=False)
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Clinical notes (at most 5,000 characters): read by the screener, the "
        "group's facilitators and coordinators.",
    )


class NewScreeningSerializer(ChecklistInputSerializer):
    client = _id_field(required=False, help_text="The candidate (or give their waitlist entry).")
    entry = _id_field(required=False, help_text="The open waitlist entry the candidate comes from.")
    group = _id_field(help_text="The group they are screened for.")
    screener = _id_field(
        required=False,
        help_text="Who screens: you (default), or, for coordinators, a clinician you ask.",
    )


class DecisionInputSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=ScreeningDecision.choices)
    decision_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Needed to defer or refer, and to admit despite an exclusion or a “no” "
        "(at most 1,000 characters). Never shown to the candidate.",
    )
    revisit_on = serializers.DateField(
        required=False, allow_null=True, help_text="For a deferral: a date after today."
    )


# --- Helpers -----------------------------------------------------------------------------


def _group(actor: User, group_id: int) -> TherapyGroup:
    """A group the actor can see; intake/screening.py then says whether they may screen
    for it (403) and whether it is still running (409)."""
    group = visible_groups(actor).filter(pk=group_id).first()
    if group is None:
        raise ValidationFailed("Choose a group you can see.", field="group")
    return group


def _named_screener(screener_id: int | None) -> User | None:
    if screener_id is None:
        return None
    user = User.objects.filter(pk=screener_id, kind=UserKind.STAFF, is_active=True).first()
    if user is None:
        raise ValidationFailed("Choose someone on staff.", field="screener")
    return user


def _fresh(screening: Screening) -> Screening:
    return Screening.objects.select_related("client", "group", "screener").get(pk=screening.pk)


def _outcome(result: ScreeningResult) -> dict[str, Any]:
    return {
        "message": result.message,
        "enrollment": result.enrollment.pk if result.enrollment is not None else None,
        "waitlist_entry": result.entry.pk if result.entry is not None else None,
        "activated": result.activated,
        "group_full": result.group_full,
    }


# --- Views -------------------------------------------------------------------------------


class ScreeningListView(GenericAPIView[Screening]):
    required_scopes = SCREENING_SCOPES
    serializer_class = ScreeningSummarySerializer

    def get_queryset(self) -> QuerySet[Screening]:
        return Screening.objects.none()  # lists come from the selector

    @extend_schema(
        parameters=[ScreeningFilterSerializer],
        responses=ScreeningSummarySerializer(many=True),
        summary="Screenings you may read, newest first (each page audited)",
    )
    def get(self, request: Request) -> Response:
        actor = _screener(request)
        params = ScreeningFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        pending = data.get("pending")
        filters = ScreeningFilters(
            status="" if pending is None else (STATUS_DRAFT if pending else STATUS_DECIDED),
            decision=data.get("decision", ""),
            client=data.get("client"),
            group=data.get("group"),
            mine=bool(data.get("mine")),
        )
        page = self.paginate_queryset(
            screening_selectors.screening_list(actor=actor, filters=filters)
        )
        rows = list(page or [])
        screening_selectors.audit_listed(actor=actor, screenings=rows, client_id=filters.client)
        return self.get_paginated_response(ScreeningSummarySerializer(rows, many=True).data)

    @extend_schema(
        request=NewScreeningSerializer,
        responses={201: ScreeningSerializer},
        summary="Start screening a candidate for a group (a draft)",
    )
    def post(self, request: Request) -> Response:
        actor = _screener(request)
        serializer = NewScreeningSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        entry_id, client_id = data.pop("entry", None), data.pop("client", None)
        entry = None
        if entry_id is not None:
            entry = screening_access.get_entry_for(actor, entry_id)
            client = entry.client
            if client_id is not None and client_id != client.pk:
                raise ValidationFailed(
                    "This waitlist entry belongs to someone else.", field="entry"
                )
        elif client_id is not None:
            client = screening_access.get_candidate_for(actor, client_id)
        else:
            raise ValidationFailed("Choose the candidate, or their waitlist entry.", field="client")
        group = _group(actor, data.pop("group"))
        screener = _named_screener(data.pop("screener", None))
        result = screening_create(
            actor=actor, client=client, group=group, entry=entry, screener=screener, **data
        )
        body = ScreeningSerializer(_fresh(result.screening), context={"actor": actor}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ScreeningDetailView(GenericAPIView[Screening]):
    required_scopes = SCREENING_SCOPES
    serializer_class = ScreeningDetailSerializer

    @extend_schema(
        responses=ScreeningDetailSerializer,
        summary="One screening with its checklist, notes, decision and the candidate's "
        "completed questionnaires (audited)",
    )
    def get(self, request: Request, screening_id: int) -> Response:
        actor: User = request.user  # type: ignore[assignment]
        if not getattr(actor, "is_staff_member", False):
            deny(actor, Screening, screening_id)
        screening = screening_selectors.screening_get(actor=actor, screening_id=screening_id)
        context = {"actor": actor, "scores": screening_selectors.intake_scores(screening.client)}
        return Response(ScreeningDetailSerializer(screening, context=context).data)

    @extend_schema(
        request=ChecklistInputSerializer,
        responses=ScreeningSerializer,
        summary="Change a draft's checklist answers and notes (its screener only)",
    )
    def patch(self, request: Request, screening_id: int) -> Response:
        actor, screening = _one(request, screening_id, write=True)
        serializer = ChecklistInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = screening_update(actor=actor, screening=screening, **serializer.validated_data)
        return Response(
            ScreeningSerializer(_fresh(result.screening), context={"actor": actor}).data
        )


class ScreeningDecideView(GenericAPIView[Screening]):
    """Record the decision of a draft whose checklist is complete. Admit gives the
    candidate a place (or first in line when the group is full); defer and refer update
    the waitlist and tell the candidate kindly, never the reason."""

    required_scopes = SCREENING_SCOPES
    serializer_class = DecisionInputSerializer

    @extend_schema(
        request=DecisionInputSerializer,
        responses=DecisionResponseSerializer,
        summary="Record the decision: admit, defer (with a date to talk again) or refer",
    )
    def post(self, request: Request, screening_id: int) -> Response:
        actor, screening = _one(request, screening_id, write=True)
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Only what was given: a reason already saved on the draft stays when omitted.
        result = screening_update(actor=actor, screening=screening, **data)
        body = {
            "screening": ScreeningSerializer(
                _fresh(result.screening), context={"actor": actor}
            ).data,
            "outcome": _outcome(result),
        }
        return Response(body)
