"""API v1: questionnaires (administrations) and a group's schedules.

Members (a signed-in browser session only: these views declare no token scope, so API
tokens are refused — members do not use tokens):

- ``GET /api/v1/me/questionnaires/``: what is waiting now.
- ``GET /api/v1/me/questionnaires/{id}/``: one, with its questions and saved answers.
- ``PUT /api/v1/me/questionnaires/{id}/answers/{item}/``: save one answer
  (``{"value": 2, "version": "1"}``); a changed answer replaces the previous one.
- ``POST /api/v1/me/questionnaires/{id}/submit/``: send (optionally with the last
  answers). A second send answers 200 with ``already_received``; after a safety flag the
  response carries crisis resources, never a score.

Staff (``measures:read`` / ``measures:write`` for tokens; managers of groups and the
group's facilitators, as on the pages):

- ``GET/POST /api/v1/groups/{group_id}/questionnaire-schedules/`` and
  ``GET/PATCH/DELETE …/{schedule_id}/`` (DELETE turns the schedule off; its row stays,
  because the questionnaires it sent refer to it).
- ``GET /api/v1/groups/{group_id}/administrations/`` (``session``, ``status`` filters)
  and ``POST`` to send one to a member now (the group's facilitators).
- ``GET /api/v1/clients/{client_id}/administrations/``.

Staff see status only — never answers, totals, bands or flags (those are the outcomes
API's). Every rule lives in measures/schedules.py, measures/answering.py and
measures/administrations.py; serializers check shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of, require_staff
from kindred.clients.access import get_client_for
from kindred.clients.models import Client
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotFound, ValidationFailed
from kindred.measures import administrations as admins
from kindred.measures.answering import administration_send, administration_submit, answer_save
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Instrument,
    MeasurementSchedule,
    Timing,
)
from kindred.measures.schedules import (
    EVERY_N_MAX,
    EVERY_N_MIN,
    SCHEDULE_TIMING_CHOICES,
    group_schedules,
    schedule_create,
    schedule_update,
)
from kindred.practice.settings import practice_settings

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

MEASURES_SCOPES = {"read": Scope.MEASURES_READ, "write": Scope.MEASURES_WRITE}


def _member(request: Request) -> Client:
    """Members' own questionnaires do not exist for anyone else: 404."""
    client = admins.member_client(actor_of(request))
    if client is None:
        raise NotFound("Not found.")
    return client


class StrictIntegerField(serializers.IntegerField):
    """An integer in the JSON: ``"2"``, ``2.0`` and ``true`` are refused."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        value: int = super().to_internal_value(data)
        return value


# --- Members -------------------------------------------------------------------------------


class QuestionnaireOptionSerializer(serializers.Serializer[Any]):
    value = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]


class QuestionnaireItemSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    number = serializers.IntegerField()
    text = serializers.CharField()
    optional = serializers.BooleanField()
    options = QuestionnaireOptionSerializer(many=True)
    answer = serializers.IntegerField(allow_null=True)


class MemberQuestionnaireSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="In plain words, not the instrument's name.")
    context = serializers.CharField(  # type: ignore[assignment]
        help_text="Why now, e.g. “Before Tuesday's session”."
    )
    status = serializers.ChoiceField(choices=AdministrationStatus.choices)
    version = serializers.CharField(help_text="Send it back with every answer.")
    available_from = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    questions = serializers.IntegerField()
    answered = serializers.IntegerField()


class MemberQuestionnaireDetailSerializer(MemberQuestionnaireSerializer):
    instructions = serializers.CharField()
    items = QuestionnaireItemSerializer(many=True)


def _member_data(item: admins.MemberItem) -> dict[str, Any]:
    administration = item.administration
    return {
        "id": administration.pk,
        "title": item.title,
        "context": item.context,
        "status": administration.status,
        "version": administration.instrument_version,
        "available_from": administration.available_from,
        "due_at": administration.due_at,
        "closes_at": administration.closes_at,
        "questions": item.questions,
        "answered": item.answered,
    }


def _zone(client: Client) -> Any:
    from kindred.scheduling.member import safe_zone

    return safe_zone(client.timezone)


class MemberQuestionnaireListView(GenericAPIView[Administration]):
    serializer_class = MemberQuestionnaireSerializer

    def get_queryset(self) -> QuerySet[Administration]:
        return Administration.objects.none()  # the list comes from administrations.py

    @extend_schema(
        responses=MemberQuestionnaireSerializer(many=True),
        summary="Your check-ins waiting now (members; signed-in session only)",
    )
    def get(self, request: Request) -> Response:
        client = _member(request)
        page = self.paginate_queryset(admins.open_for_member(client))
        zone = _zone(client)
        data = [_member_data(admins.present_for_member(a, zone=zone)) for a in page or []]
        return self.get_paginated_response(MemberQuestionnaireSerializer(data, many=True).data)


def _detail(client: Client, administration: Administration) -> dict[str, Any]:
    answers = admins.stored_answers(administration)
    item = admins.present_for_member(administration, zone=_zone(client), answered=len(answers))
    definition = admins.definition_for(administration)
    data = _member_data(item)
    data["instructions"] = definition.instructions
    data["items"] = [
        {
            "key": q.key,
            "number": q.number,
            "text": q.item.text,
            "optional": not q.item.scored,
            "options": [{"value": o.value, "label": o.label} for o in q.item.options],
            "answer": q.answer,
        }
        for q in admins.questions(administration, answers=answers)
    ]
    return data


class MemberQuestionnaireDetailView(GenericAPIView[Administration]):
    serializer_class = MemberQuestionnaireDetailSerializer

    @extend_schema(
        responses=MemberQuestionnaireDetailSerializer,
        summary="One of your check-ins, with its questions and your saved answers",
    )
    def get(self, request: Request, administration_id: int) -> Response:
        client = _member(request)
        administration = admins.get_own_administration(actor_of(request), administration_id)
        response = Response(
            MemberQuestionnaireDetailSerializer(_detail(client, administration)).data
        )
        response["Cache-Control"] = "no-store"
        return response


class QuestionnaireAnswerInputSerializer(serializers.Serializer[Any]):
    value = StrictIntegerField(help_text="One of the item's option values.")
    version = serializers.CharField(max_length=20, help_text="The questionnaire's version.")


class QuestionnaireAnswerResultSerializer(serializers.Serializer[Any]):
    item = serializers.CharField()
    value = serializers.IntegerField()
    replaced = serializers.BooleanField(help_text="True when it changed an earlier answer.")
    answered = serializers.IntegerField()
    questions = serializers.IntegerField()


class MemberAnswerView(GenericAPIView[Administration]):
    serializer_class = QuestionnaireAnswerInputSerializer

    @extend_schema(
        request=QuestionnaireAnswerInputSerializer,
        responses={
            200: QuestionnaireAnswerResultSerializer,
            400: OpenApiTypes.OBJECT,
            409: OpenApiTypes.OBJECT,
        },
        summary="Save one answer (400 names the item; 409 when closed or already sent)",
    )
    def put(self, request: Request, administration_id: int, item: str) -> Response:
        _member(request)
        administration = admins.get_own_administration(actor_of(request), administration_id)
        serializer = QuestionnaireAnswerInputSerializer(data=request.data)
        if not serializer.is_valid():
            errors = dict(serializer.errors)
            if "value" in errors:
                errors[item] = errors.pop("value")
            raise ValidationFailed(errors={k: [str(m) for m in v] for k, v in errors.items()})
        data = serializer.validated_data
        result = answer_save(
            actor=actor_of(request),
            administration=administration,
            item=item,
            value=data["value"],
            version=data["version"],
        )
        return Response(
            QuestionnaireAnswerResultSerializer(
                {
                    "item": item,
                    "value": data["value"],
                    "replaced": bool(result.replaced),
                    "answered": result.answered,
                    "questions": result.questions,
                }
            ).data
        )


class QuestionnaireSubmitInputSerializer(serializers.Serializer[Any]):
    version = serializers.CharField(max_length=20)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Answers not saved yet, by item key (optional).",
    )


class CrisisResourcesSerializer(serializers.Serializer[Any]):
    call = serializers.CharField()
    text = serializers.CharField()
    emergency = serializers.CharField()
    practice_text = serializers.CharField()


class QuestionnaireSubmitResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    already_received = serializers.BooleanField()
    crisis_resources = CrisisResourcesSerializer(
        allow_null=True, help_text="Shown at once when the answers raised a safety flag."
    )


def crisis_resources() -> dict[str, str]:
    return {
        "call": "988",
        "text": "988",
        "emergency": "911",
        "practice_text": practice_settings().crisis_resources,
    }


class MemberSubmitView(GenericAPIView[Administration]):
    serializer_class = QuestionnaireSubmitInputSerializer

    @extend_schema(
        request=QuestionnaireSubmitInputSerializer,
        responses={
            200: QuestionnaireSubmitResultSerializer,
            400: OpenApiTypes.OBJECT,
            409: OpenApiTypes.OBJECT,
        },
        summary="Send your answers (idempotent: a second send is 'already received')",
    )
    def post(self, request: Request, administration_id: int) -> Response:
        _member(request)
        administration = admins.get_own_administration(actor_of(request), administration_id)
        serializer = QuestionnaireSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = administration_submit(
            actor=actor_of(request),
            administration=administration,
            version=data["version"],
            answers=data.get("answers") or {},
        )
        return Response(
            QuestionnaireSubmitResultSerializer(
                {
                    "id": result.administration.pk,
                    "status": result.administration.status,
                    "already_received": result.already_received,
                    "crisis_resources": crisis_resources() if result.crisis else None,
                }
            ).data
        )


# --- Staff: schedules ------------------------------------------------------------------------


class QuestionnaireScheduleSerializer(serializers.ModelSerializer[MeasurementSchedule]):
    instrument: serializers.SlugRelatedField[Instrument] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    timing = serializers.ChoiceField(choices=SCHEDULE_TIMING_CHOICES, read_only=True)

    class Meta:
        model = MeasurementSchedule
        fields = ("id", "group", "instrument", "timing", "every_n", "is_active", "updated_at")
        read_only_fields = fields


class QuestionnaireScheduleCreateSerializer(serializers.Serializer[Any]):
    instrument = serializers.SlugRelatedField(
        slug_field="code", queryset=Instrument.objects.all(), help_text="An instrument code."
    )
    timing = serializers.ChoiceField(choices=SCHEDULE_TIMING_CHOICES)
    every_n = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=EVERY_N_MIN,
        max_value=EVERY_N_MAX,
        help_text="For every_nth only.",
    )


class QuestionnaireScheduleUpdateSerializer(serializers.Serializer[Any]):
    every_n = serializers.IntegerField(required=False, min_value=EVERY_N_MIN, max_value=EVERY_N_MAX)
    is_active = serializers.BooleanField(required=False)


def _group(request: Request, group_id: int) -> tuple[User, TherapyGroup]:
    actor = require_staff(request)
    return actor, admins.get_group_for_questionnaires(actor, group_id)


class ScheduleListView(GenericAPIView[MeasurementSchedule]):
    required_scopes = MEASURES_SCOPES
    serializer_class = QuestionnaireScheduleSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[MeasurementSchedule]:
        return MeasurementSchedule.objects.none()

    @extend_schema(
        responses=QuestionnaireScheduleSerializer(many=True),
        summary="A group's questionnaire schedules (its facilitators and group managers)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        _unused, group = _group(request, group_id)
        return Response(QuestionnaireScheduleSerializer(group_schedules(group), many=True).data)

    @extend_schema(
        request=QuestionnaireScheduleCreateSerializer,
        responses={201: QuestionnaireScheduleSerializer, 409: OpenApiTypes.OBJECT},
        summary="Send an instrument at a timing (turns a schedule that was off back on)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor, group = _group(request, group_id)
        serializer = QuestionnaireScheduleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        schedule = schedule_create(
            actor=actor,
            group=group,
            instrument=data["instrument"],
            timing=data["timing"],
            every_n=data.get("every_n"),
        )
        return Response(
            QuestionnaireScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED
        )


def _schedule(actor: User, group: TherapyGroup, schedule_id: int) -> MeasurementSchedule:
    pk = _int_or_none(schedule_id)
    schedule = (
        MeasurementSchedule.objects.filter(pk=pk, group=group)
        .select_related("instrument", "group")
        .first()
        if pk is not None
        else None
    )
    if schedule is None:
        deny(actor, MeasurementSchedule, schedule_id)
    return schedule


class ScheduleDetailView(GenericAPIView[MeasurementSchedule]):
    required_scopes = MEASURES_SCOPES
    serializer_class = QuestionnaireScheduleSerializer

    @extend_schema(responses=QuestionnaireScheduleSerializer, summary="One schedule of a group")
    def get(self, request: Request, group_id: int, schedule_id: int) -> Response:
        actor, group = _group(request, group_id)
        return Response(QuestionnaireScheduleSerializer(_schedule(actor, group, schedule_id)).data)

    @extend_schema(
        request=QuestionnaireScheduleUpdateSerializer,
        responses=QuestionnaireScheduleSerializer,
        summary="Change how often (every_n) or turn on or off",
    )
    def patch(self, request: Request, group_id: int, schedule_id: int) -> Response:
        actor, group = _group(request, group_id)
        schedule = _schedule(actor, group, schedule_id)
        serializer = QuestionnaireScheduleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        schedule = schedule_update(
            actor=actor,
            schedule=schedule,
            every_n=data.get("every_n"),
            is_active=data.get("is_active"),
        )
        return Response(QuestionnaireScheduleSerializer(schedule).data)

    @extend_schema(
        responses={204: None},
        summary="Turn the schedule off (the row stays; questionnaires sent refer to it)",
    )
    def delete(self, request: Request, group_id: int, schedule_id: int) -> Response:
        actor, group = _group(request, group_id)
        schedule_update(actor=actor, schedule=_schedule(actor, group, schedule_id), is_active=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Staff: administrations (status only) -------------------------------------------------


class AdministrationStatusSerializer(serializers.ModelSerializer[Administration]):
    instrument: serializers.SlugRelatedField[Instrument] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    reason = serializers.ChoiceField(choices=Timing.choices, read_only=True)
    status = serializers.ChoiceField(choices=AdministrationStatus.choices, read_only=True)

    class Meta:
        model = Administration
        fields = (
            "id",
            "client",
            "group",
            "session",
            "instrument",
            "instrument_version",
            "reason",
            "status",
            "available_from",
            "due_at",
            "closes_at",
            "completed_at",
            "sent_by",
        )
        read_only_fields = fields


class AdministrationFilterSerializer(serializers.Serializer[Any]):
    session = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(
        required=False, choices=AdministrationStatus.choices, allow_blank=True
    )


class QuestionnaireSendSerializer(serializers.Serializer[Any]):
    client = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    instrument = serializers.SlugRelatedField(
        slug_field="code", queryset=Instrument.objects.all(), help_text="An instrument code."
    )


class GroupAdministrationListView(GenericAPIView[Administration]):
    required_scopes = MEASURES_SCOPES
    serializer_class = AdministrationStatusSerializer

    def get_queryset(self) -> QuerySet[Administration]:
        return Administration.objects.none()

    @extend_schema(
        parameters=[AdministrationFilterSerializer],
        responses=AdministrationStatusSerializer(many=True),
        summary="A group's questionnaires, status only (audited)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor, group = _group(request, group_id)
        params = AdministrationFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = admins.group_administrations(
            actor=actor,
            group=group,
            session_id=params.validated_data.get("session"),
            status=params.validated_data.get("status") or "",
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AdministrationStatusSerializer(page, many=True).data)

    @extend_schema(
        request=QuestionnaireSendSerializer,
        responses={201: AdministrationStatusSerializer, 409: OpenApiTypes.OBJECT},
        summary="Send a questionnaire to one member now (the group's facilitators)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor, group = _group(request, group_id)
        serializer = QuestionnaireSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Someone the actor may not see is a 404, and never named in an error.
        client = get_client_for(actor, serializer.validated_data["client"])
        administration = administration_send(
            actor=actor,
            group=group,
            client=client,
            instrument=serializer.validated_data["instrument"],
        )
        return Response(
            AdministrationStatusSerializer(administration).data, status=status.HTTP_201_CREATED
        )


class ClientAdministrationListView(GenericAPIView[Administration]):
    required_scopes = MEASURES_SCOPES
    serializer_class = AdministrationStatusSerializer

    def get_queryset(self) -> QuerySet[Administration]:
        return Administration.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("client_id", int, OpenApiParameter.PATH)],
        responses=AdministrationStatusSerializer(many=True),
        summary="One client's questionnaires in the groups you run or manage, status only",
    )
    def get(self, request: Request, client_id: int) -> Response:
        actor = require_staff(request)
        client = get_client_for(actor, client_id)
        page = self.paginate_queryset(admins.client_administrations(actor=actor, client=client))
        return self.get_paginated_response(AdministrationStatusSerializer(page, many=True).data)
