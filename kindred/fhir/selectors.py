"""What a FHIR request may read, filtered in the query by the same access rules as the
rest of Kindred, and the access audit events reading writes.

- Patient: ``clients.access.visible_clients`` (admins and coordinators: everyone; a
  facilitator or supervisor: the members of their groups; members and billing: no one).
- QuestionnaireResponse and Observation: completed administrations of those clients.
- Questionnaire: every instrument version, for staff (instruments are not clinical).

Reading a patient's data is an access audit event per patient and resource type
(``fhir.patient.read``, ``fhir.questionnaire_response.read``,
``fhir.observation.read``), written in bulk: one insert whatever the page size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from kindred.audit.models import AuditEvent, Category
from kindred.clients.access import visible_clients
from kindred.clients.models import Client
from kindred.core import context
from kindred.core.access import deny
from kindred.fhir import codes, resources, search
from kindred.fhir.resources import Resource
from kindred.measures import library
from kindred.measures.definitions import Definition
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    InstrumentVersion,
    Response,
)

if TYPE_CHECKING:
    from django.http import QueryDict

    from kindred.accounts.models import User


@dataclass(frozen=True)
class Page:
    resources: list[Resource]
    total: int


def audit_patients(actor: User, action: str, client_ids: Iterable[int]) -> None:
    """One access event per patient read, in one insert (the audit log is append-only;
    this writes exactly the fields ``audit.services.audit_access`` writes)."""
    ids = sorted(set(client_ids))
    if not ids:
        return
    ctx = context.current()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                actor_label=actor.email,
                category=Category.ACCESS,
                action=action,
                client_id=pk,
                object_type="clients.client",
                object_id=str(pk),
                ip=ctx.ip,
                request_id=ctx.request_id,
                via=ctx.via,
                detail={},
            )
            for pk in ids
        ]
    )


# --- Patient -------------------------------------------------------------------------


def patients(*, actor: User, query: QueryDict, paging: search.Paging) -> Page:
    search.check_params(query, frozenset({"_id"}))
    qs = visible_clients(actor).order_by("pk")
    wanted = search.ids(query, "_id", "Patient")
    if wanted is not None:
        qs = qs.filter(pk__in=wanted)
    total = qs.count()
    rows = list(qs[paging.offset : paging.offset + paging.count])
    audit_patients(actor, "fhir.patient.read", (c.pk for c in rows))
    return Page([resources.patient(c) for c in rows], total)


def patient(*, actor: User, resource_id: str) -> Resource:
    pk = _pk(resource_id)
    client = visible_clients(actor).filter(pk=pk).first() if pk else None
    if client is None:
        deny(actor, Client, resource_id)
    audit_patients(actor, "fhir.patient.read", [client.pk])
    return resources.patient(client)


def _pk(resource_id: str) -> int | None:
    try:
        return search.resource_id(resource_id, "")
    except search.SearchError:
        return None


# --- Questionnaire -------------------------------------------------------------------


def _versions(actor: User) -> QuerySet[InstrumentVersion]:
    if not library.can_read_instruments(actor):
        return InstrumentVersion.objects.none()
    return InstrumentVersion.objects.select_related("instrument").order_by(
        "instrument__code", "created_at", "pk"
    )


def _questionnaire(version: InstrumentVersion) -> Resource:
    definition = library.parsed(version.definition, version.definition_sha256)
    return resources.questionnaire(version.instrument, version, definition)


def questionnaires(*, actor: User, query: QueryDict, paging: search.Paging) -> Page:
    search.check_params(query, frozenset({"_id", "url"}))
    qs = _versions(actor)
    wanted = search.ids(query, "_id", "Questionnaire")
    if wanted is not None:
        qs = qs.filter(pk__in=wanted)
    for url in query.getlist("url"):
        canonical, _, version = url.partition("|")
        prefix = codes.questionnaire_canonical("")
        code = canonical.removeprefix(prefix) if canonical.startswith(prefix) else None
        qs = qs.filter(instrument__code=code) if code else qs.none()
        if version:
            qs = qs.filter(version=version)
    total = qs.count()
    rows = list(qs[paging.offset : paging.offset + paging.count])
    return Page([_questionnaire(v) for v in rows], total)


def questionnaire(*, actor: User, resource_id: str) -> Resource:
    pk = _pk(resource_id)
    version = _versions(actor).filter(pk=pk).first() if pk else None
    if version is None:
        deny(actor, InstrumentVersion, resource_id)
    return _questionnaire(version)


# --- QuestionnaireResponse and Observation --------------------------------------------


def _completed(actor: User) -> QuerySet[Administration]:
    return (
        Administration.objects.filter(
            status=AdministrationStatus.COMPLETED,
            client__in=visible_clients(actor).values("pk"),
        )
        .select_related("instrument")
        .order_by("completed_at", "pk")
    )


def _definitions(rows: list[Administration]) -> dict[tuple[int, str], Definition]:
    """The definitions the administrations were answered with, in one query."""
    wanted = {(a.instrument_id, a.instrument_version) for a in rows}
    if not wanted:
        return {}
    condition = Q()
    for instrument_id, version in wanted:
        condition |= Q(instrument_id=instrument_id, version=version)
    found = {
        (v.instrument_id, v.version): library.parsed(v.definition, v.definition_sha256)
        for v in InstrumentVersion.objects.filter(condition)
    }
    for a in rows:  # a version recorded before versions were kept: the current definition
        key = (a.instrument_id, a.instrument_version)
        if key not in found and a.instrument.version == a.instrument_version:
            found[key] = library.definition_of(a.instrument)
    return found


def _filtered(qs: QuerySet[Administration], query: QueryDict) -> QuerySet[Administration]:
    wanted = search.ids(query, "_id", "")
    if wanted is not None:
        qs = qs.filter(pk__in=wanted)
    patients_wanted = search.ids(query, "patient", "Patient")
    if patients_wanted is not None:
        qs = qs.filter(client_id__in=patients_wanted)
    return qs.filter(search.date_filter(query, "completed_at"))


def _with_answers(qs: QuerySet[Administration]) -> QuerySet[Administration]:
    return qs.prefetch_related(
        Prefetch("responses", queryset=Response.objects.only("administration_id", "item", "value"))
    )


def _qr(administration: Administration, definitions: dict[tuple[int, str], Definition]) -> Resource:
    definition = definitions[(administration.instrument_id, administration.instrument_version)]
    answers = {r.item: r.value for r in administration.responses.all()}
    return resources.questionnaire_response(administration, definition, answers)


def questionnaire_responses(*, actor: User, query: QueryDict, paging: search.Paging) -> Page:
    search.check_params(query, frozenset({"_id", "patient", "date"}))
    qs = _filtered(_completed(actor), query)
    total = qs.count()
    rows = list(_with_answers(qs)[paging.offset : paging.offset + paging.count])
    definitions = _definitions(rows)
    audit_patients(actor, "fhir.questionnaire_response.read", (a.client_id for a in rows))
    return Page([_qr(a, definitions) for a in rows], total)


def questionnaire_response(*, actor: User, resource_id: str) -> Resource:
    pk = _pk(resource_id)
    row = _with_answers(_completed(actor)).filter(pk=pk).first() if pk else None
    if row is None:
        deny(actor, Administration, resource_id)
    audit_patients(actor, "fhir.questionnaire_response.read", [row.client_id])
    return _qr(row, _definitions([row]))


def _observations(actor: User) -> QuerySet[Administration]:
    return _completed(actor).filter(is_complete=True, total__isnull=False)


def _code_filter(qs: QuerySet[Administration], query: QueryDict) -> QuerySet[Administration]:
    values = query.getlist("code")
    if not values:
        return qs
    by_loinc = {total: code for code, (_p, _d, total, _t) in codes.LOINC_CODES.items()}
    instrument_codes: set[str] = set()
    for value in values:
        for part in value.split(","):
            system, code = search.token(part)
            if system in (None, codes.LOINC) and code in by_loinc:
                instrument_codes.add(by_loinc[code])
            if system in (None, codes.instrument_code_system()) and code.endswith(".total"):
                instrument = code.removesuffix(".total")
                if instrument not in codes.LOINC_CODES:  # those are coded in LOINC
                    instrument_codes.add(instrument)
    return qs.filter(instrument__code__in=instrument_codes)


def observations(*, actor: User, query: QueryDict, paging: search.Paging) -> Page:
    search.check_params(query, frozenset({"_id", "patient", "date", "code"}))
    qs = _code_filter(_filtered(_observations(actor), query), query)
    total = qs.count()
    rows = list(qs[paging.offset : paging.offset + paging.count])
    definitions = _definitions(rows)
    audit_patients(actor, "fhir.observation.read", (a.client_id for a in rows))
    return Page(
        [
            resources.observation(a, definitions[(a.instrument_id, a.instrument_version)])
            for a in rows
        ],
        total,
    )


def observation(*, actor: User, resource_id: str) -> Resource:
    pk = _pk(resource_id)
    row = _observations(actor).filter(pk=pk).first() if pk else None
    if row is None:
        deny(actor, Administration, resource_id)
    audit_patients(actor, "fhir.observation.read", [row.client_id])
    return resources.observation(
        row, _definitions([row])[(row.instrument_id, row.instrument_version)]
    )
