"""API v1: the instrument library and the stateless scoring endpoint.

- ``GET /api/v1/instruments/`` and ``GET /api/v1/instruments/{code}/``: instruments with
  their definitions (any staff user; a token needs ``measures:read``).
- ``POST /api/v1/instruments/{code}/score``: score item answers without storing anything
  (``measures:read``). Answers outside an item's range, answers to an item the
  instrument does not have and a version other than the current one are refused with
  400 naming the item (``{"answers": {"item3": [...]}}``) or ``version``.
- ``POST /api/v1/instruments/`` loads a licensed instrument's definition and
  ``PATCH /api/v1/instruments/{code}/`` changes the practice's settings for one (s1, r
  and their source, cut-offs, in use): practice admins (``measures:write``).

The rules live in measures/library.py and measures/scoring.py; serializers check shape.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.scopes import Scope
from kindred.core.errors import NotFound
from kindred.measures import library
from kindred.measures.definition_checks import MAX_ITEMS
from kindred.measures.models import Instrument
from kindred.measures.scoring import ScoringError

if TYPE_CHECKING:
    from kindred.accounts.models import User

MEASURES_SCOPES = {"read": Scope.MEASURES_READ, "write": Scope.MEASURES_WRITE}
CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="The instrument's code.")


def _reader(request: Request) -> User:
    actor: User = request.user  # type: ignore[assignment]
    if not library.can_read_instruments(actor):
        raise NotFound("Not found.")
    return actor


class StrictIntegerField(serializers.IntegerField):
    """An integer that is an integer in the JSON: ``"2"``, ``2.0`` and ``true`` are
    refused rather than quietly turned into 2 or 1."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        value: int = super().to_internal_value(data)
        return value


class InstrumentSerializer(serializers.ModelSerializer[Instrument]):
    cutoffs = serializers.SerializerMethodField(
        help_text="The cut-offs in use: the practice's value, or the definition's default."
    )
    licence = serializers.CharField(source="licence_note", read_only=True)

    class Meta:
        model = Instrument
        fields = (
            "code",
            "name",
            "short_name",
            "version",
            "builtin",
            "validated",
            "is_active",
            "source",
            "licence",
            "rc_sd",
            "rc_reliability",
            "rc_source",
            "cutoffs",
            "definition_sha256",
            "definition",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_cutoffs(self, instrument: Instrument) -> dict[str, float]:
        definition = library.definition_of(instrument)
        return {k: float(v) for k, v in definition.cutoff_values(instrument.cutoffs).items()}


class InstrumentFilterSerializer(serializers.Serializer[Any]):
    active = serializers.BooleanField(
        required=False, default=False, help_text="Only instruments in use."
    )


class InstrumentLoadSerializer(serializers.Serializer[Any]):
    definition = serializers.JSONField(
        help_text="The definition document (docs/instrument-definitions.md)."
    )
    licence_confirmed = serializers.BooleanField(
        help_text="True to confirm the practice holds a licence for this instrument."
    )


class InstrumentSettingsSerializer(serializers.Serializer[Any]):
    rc_sd = serializers.FloatField(allow_null=True, required=False, help_text="s1")
    rc_reliability = serializers.FloatField(allow_null=True, required=False, help_text="r")
    rc_source = serializers.CharField(allow_blank=True, required=False, max_length=300)
    cutoffs = serializers.DictField(child=serializers.FloatField(), required=False)
    is_active = serializers.BooleanField(required=False)


class ScoreRequestSerializer(serializers.Serializer[Any]):
    answers = serializers.DictField(
        child=StrictIntegerField(),
        allow_empty=True,
        help_text='Item key → the value of the chosen option, e.g. {"item1": 2}.',
    )
    version = serializers.CharField(
        required=False,
        max_length=20,
        help_text="The instrument version the answers were given to; refused unless it is "
        "the current version.",
    )
    cutoffs = serializers.DictField(
        child=serializers.FloatField(),
        required=False,
        help_text="Override tunable cut-offs for this request, e.g. "
        '{"positive": 4} for AUDIT-C in men.',
    )

    def validate_answers(self, value: dict[str, int]) -> dict[str, int]:
        if len(value) > MAX_ITEMS:
            raise serializers.ValidationError(f"At most {MAX_ITEMS} answers.")
        return value


class ScoreResponseSerializer(serializers.Serializer[Any]):
    instrument = serializers.CharField()
    version = serializers.CharField()
    complete = serializers.BooleanField(
        help_text="False when a scored item is unanswered: then there is no total or band."
    )
    missing_items = serializers.ListField(child=serializers.CharField())
    total = serializers.FloatField(allow_null=True)
    raw_total = serializers.FloatField(
        allow_null=True, help_text="Before the multiplier (WHO-5: 0–25)."
    )
    band = serializers.CharField(help_text="Band code; empty when incomplete or unbanded.")
    band_label = serializers.CharField()
    subscales = serializers.DictField(child=serializers.FloatField(allow_null=True))
    flags = serializers.ListField(child=serializers.CharField())
    safety_flags = serializers.ListField(
        child=serializers.CharField(), help_text="Flags that raise a safety alert when stored."
    )


def _cutoff_values(raw: dict[str, float] | None) -> dict[str, int | float] | None:
    if raw is None:
        return None
    return {k: int(v) if float(v).is_integer() else v for k, v in raw.items()}


class InstrumentListView(GenericAPIView[Instrument]):
    required_scopes = MEASURES_SCOPES
    serializer_class = InstrumentSerializer

    def get_queryset(self) -> QuerySet[Instrument]:
        return Instrument.objects.none()  # lists come from library.instrument_list

    @extend_schema(
        parameters=[InstrumentFilterSerializer],
        responses=InstrumentSerializer(many=True),
        summary="List instruments with their definitions",
    )
    def get(self, request: Request) -> Response:
        actor = _reader(request)
        params = InstrumentFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = library.instrument_list(
            actor=actor, include_inactive=not params.validated_data["active"]
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(InstrumentSerializer(page, many=True).data)

    @extend_schema(
        request=InstrumentLoadSerializer,
        responses={201: InstrumentSerializer},
        summary="Load an instrument the practice holds a licence for (practice admins)",
    )
    def post(self, request: Request) -> Response:
        actor = _reader(request)
        serializer = InstrumentLoadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        content = json.dumps(serializer.validated_data["definition"]).encode()
        instrument = library.instrument_load(
            actor=actor,
            content=content,
            licence_confirmed=serializer.validated_data["licence_confirmed"],
        )
        return Response(InstrumentSerializer(instrument).data, status=status.HTTP_201_CREATED)


class InstrumentDetailView(GenericAPIView[Instrument]):
    required_scopes = MEASURES_SCOPES
    serializer_class = InstrumentSerializer

    @extend_schema(parameters=[CODE], responses=InstrumentSerializer, summary="Read an instrument")
    def get(self, request: Request, code: str) -> Response:
        instrument = library.get_instrument_for(_reader(request), code)
        return Response(InstrumentSerializer(instrument).data)

    @extend_schema(
        parameters=[CODE],
        request=InstrumentSettingsSerializer,
        responses=InstrumentSerializer,
        summary="Change the practice's settings for an instrument (practice admins)",
    )
    def patch(self, request: Request, code: str) -> Response:
        actor = _reader(request)
        instrument = library.get_instrument_for(actor, code)
        serializer = InstrumentSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        instrument = library.instrument_update_settings(
            actor=actor,
            instrument=instrument,
            rc_sd=data.get("rc_sd", instrument.rc_sd),
            rc_reliability=data.get("rc_reliability", instrument.rc_reliability),
            rc_source=data.get("rc_source", instrument.rc_source),
            cutoffs=_cutoff_values(data.get("cutoffs")),
            is_active=data.get("is_active"),
        )
        return Response(InstrumentSerializer(instrument).data)


class InstrumentScoreView(GenericAPIView[Instrument]):
    """Stateless: nothing is stored, no safety alert is raised (``safety_flags`` says
    which flags would raise one)."""

    # Scoring reads nothing private and writes nothing, so a POST needs only the read scope.
    required_scopes = {"read": Scope.MEASURES_READ, "write": Scope.MEASURES_READ}
    serializer_class = ScoreRequestSerializer

    @extend_schema(
        parameters=[CODE],
        request=ScoreRequestSerializer,
        responses={200: ScoreResponseSerializer},
        summary="Score item answers (nothing is stored)",
    )
    def post(self, request: Request, code: str) -> Response:
        instrument = library.get_instrument_for(_reader(request), code)
        serializer = ScoreRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = library.score_answers(
                instrument,
                data["answers"],
                version=data.get("version"),
                cutoffs=_cutoff_values(data.get("cutoffs")),
            )
        except ScoringError as exc:
            return Response(
                {"answers": {exc.item: [exc.message]}}, status=status.HTTP_400_BAD_REQUEST
            )
        body = {"instrument": instrument.code, "version": instrument.version, **result.as_dict()}
        return Response(body)
