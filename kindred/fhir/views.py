"""The FHIR R4 read API at /fhir/r4/: read and search for Patient, Questionnaire,
QuestionnaireResponse and Observation, and the CapabilityStatement at ``metadata``.

Authentication is Kindred's API token (``Authorization: Bearer kdt_…``) with the
``fhir:read`` scope, or a staff browser session; what can be read is what the token's
owner may see (kindred/fhir/selectors.py). Answers are ``application/fhir+json``; errors
are OperationOutcome resources (404 for anything not yours or not there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.accounts.scopes import Scope
from kindred.core.errors import KindredError, NotFound
from kindred.fhir import codes, resources, search, selectors
from kindred.fhir.resources import Resource

if TYPE_CHECKING:
    from kindred.accounts.models import User

FHIR_JSON = "application/fhir+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"


def _outcome(status: int, code: str, text: str, headers: dict[str, str] | None = None) -> Response:
    body = resources.validated(resources.operation_outcome(code, text))
    return Response(body, status=status, headers=headers, content_type=FHIR_JSON)


def fhir_exception_handler(  # noqa: PLR0911 - one branch per error kind
    exc: Exception, context: dict[str, Any]
) -> Response | None:
    """Every error as an OperationOutcome."""
    if isinstance(exc, search.SearchError):
        return _outcome(400, "invalid", str(exc))
    if isinstance(exc, (NotFound, Http404, exceptions.NotFound)):
        return _outcome(404, "not-found", "Not found.")
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        header = getattr(exc, "auth_header", None)
        status = exc.status_code
        return _outcome(
            status,
            "login" if status == 401 else "forbidden",
            str(exc.detail),
            {"WWW-Authenticate": header} if header else None,
        )
    if isinstance(exc, exceptions.PermissionDenied):
        return _outcome(403, "forbidden", str(exc.detail))
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _outcome(405, "not-supported", "This FHIR endpoint is read-only.")
    if isinstance(exc, exceptions.NotAcceptable):
        return _outcome(406, "not-supported", "Only application/fhir+json is available.")
    if isinstance(exc, exceptions.Throttled):
        return _outcome(429, "throttled", str(exc.detail))
    if isinstance(exc, KindredError):
        return _outcome(400, "invalid", exc.message)
    return None


PAGING = [
    OpenApiParameter("_count", int, description="Results per page (1–200, default 50)."),
    OpenApiParameter("page", int, description="Page number (follow the Bundle's links)."),
    OpenApiParameter("_format", str, description="json (the only format)."),
]
ID_PATH = OpenApiParameter(
    "resource_id", str, OpenApiParameter.PATH, description="The resource id."
)


def _params(kind: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, str, description=doc, many=name in {"date", "patient", "code"})
        for name, _type, doc in resources.SEARCH_PARAMS[kind]
    ] + PAGING


class FhirView(APIView):
    """Read-only; staff (or their tokens) only; members find nothing (404)."""

    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    required_scopes: ClassVar[dict[str, str]] = {"read": Scope.FHIR_READ}
    http_method_names = ["get", "head", "options"]

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return fhir_exception_handler

    def actor(self, request: Request) -> User:
        user: User = request.user  # type: ignore[assignment]
        if not getattr(user, "is_staff_member", False):
            raise NotFound("Not found.")
        return user

    def respond(self, resource: Resource) -> Response:
        return Response(resources.validated(resource), content_type=FHIR_JSON)


class _Search(FhirView):
    kind: ClassVar[str] = ""
    finder: ClassVar[Callable[..., selectors.Page]]

    def get(self, request: Request) -> Response:
        actor = self.actor(request)
        paging = search.paging(request.query_params)
        # The audit rows are written (one insert) before anything is answered: if they
        # cannot be written, nothing is sent. A denial's audit row must survive the 404,
        # so there is no surrounding transaction.
        page = type(self).finder(actor=actor, query=request.query_params, paging=paging)
        bundle = resources.searchset(
            resources=page.resources,
            total=page.total,
            links=search.links(
                base=f"{codes.base_url()}/{self.kind}",
                query=request.query_params,
                paging=paging,
                total=page.total,
            ),
        )
        return self.respond(bundle)


class _Read(FhirView):
    reader: ClassVar[Callable[..., Resource]]

    def get(self, request: Request, resource_id: str) -> Response:
        actor = self.actor(request)
        resource = type(self).reader(actor=actor, resource_id=resource_id)
        return self.respond(resource)


def _search_schema(kind: str) -> Callable[[Any], Any]:
    return extend_schema(
        parameters=_params(kind),
        responses={200: OpenApiTypes.OBJECT},
        summary=f"Search {kind} (a searchset Bundle)",
        operation_id=f"fhir_{kind.lower()}_search",
        tags=["fhir"],
    )


def _read_schema(kind: str) -> Callable[[Any], Any]:
    return extend_schema(
        parameters=[ID_PATH],
        responses={200: OpenApiTypes.OBJECT},
        summary=f"Read one {kind}",
        operation_id=f"fhir_{kind.lower()}_read",
        tags=["fhir"],
    )


class PatientSearch(_Search):
    kind = "Patient"
    finder = staticmethod(selectors.patients)

    @_search_schema("Patient")
    def get(self, request: Request) -> Response:
        return super().get(request)


class PatientRead(_Read):
    reader = staticmethod(selectors.patient)

    @_read_schema("Patient")
    def get(self, request: Request, resource_id: str) -> Response:
        return super().get(request, resource_id)


class QuestionnaireSearch(_Search):
    kind = "Questionnaire"
    finder = staticmethod(selectors.questionnaires)

    @_search_schema("Questionnaire")
    def get(self, request: Request) -> Response:
        return super().get(request)


class QuestionnaireRead(_Read):
    reader = staticmethod(selectors.questionnaire)

    @_read_schema("Questionnaire")
    def get(self, request: Request, resource_id: str) -> Response:
        return super().get(request, resource_id)


class QuestionnaireResponseSearch(_Search):
    kind = "QuestionnaireResponse"
    finder = staticmethod(selectors.questionnaire_responses)

    @_search_schema("QuestionnaireResponse")
    def get(self, request: Request) -> Response:
        return super().get(request)


class QuestionnaireResponseRead(_Read):
    reader = staticmethod(selectors.questionnaire_response)

    @_read_schema("QuestionnaireResponse")
    def get(self, request: Request, resource_id: str) -> Response:
        return super().get(request, resource_id)


class ObservationSearch(_Search):
    kind = "Observation"
    finder = staticmethod(selectors.observations)

    @_search_schema("Observation")
    def get(self, request: Request) -> Response:
        return super().get(request)


class ObservationRead(_Read):
    reader = staticmethod(selectors.observation)

    @_read_schema("Observation")
    def get(self, request: Request, resource_id: str) -> Response:
        return super().get(request, resource_id)


class Metadata(FhirView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="The CapabilityStatement: what this FHIR server offers",
        operation_id="fhir_metadata",
        tags=["fhir"],
    )
    def get(self, request: Request) -> Response:
        self.actor(request)
        return self.respond(resources.capability_statement(now=timezone.now()))
