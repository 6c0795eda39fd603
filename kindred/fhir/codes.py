"""Codes and code systems Kindred's FHIR export uses, and the checks of our own codes.

LOINC codes come from ../shared/design/CLINICAL.md ("Codes for FHIR export"): PHQ-9
panel 44249-1 and total 44261-6; GAD-7 panel 69737-5 and total 70274-6. Every other
instrument is coded in Kindred's own code system — no LOINC code is invented.

``fhir.resources``' R4B models check structure and types but not the value sets that
bind codes such as ``Observation.status`` (../shared/design/STACK.md), so
``check_codes`` checks every required-binding code this module emits against the FHIR
R4 value sets, and the LOINC codes against the table below.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings

LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def base_url() -> str:
    """This deployment's FHIR base: identifiers and Kindred's own code systems live
    under it, because client ids and a practice's loaded instruments are per deployment."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/r4"


def client_identifier_system() -> str:
    return f"{base_url()}/identifier/client"


def instrument_code_system() -> str:
    """Kindred's code system for instruments and their scores (``<code>.total``,
    ``<code>.<subscale>``)."""
    return f"{base_url()}/CodeSystem/kindred-instrument"


def band_code_system() -> str:
    return f"{base_url()}/CodeSystem/kindred-band"


def answer_code_system(instrument_code: str) -> str:
    return f"{base_url()}/CodeSystem/kindred-answer-{instrument_code}"


def questionnaire_canonical(instrument_code: str) -> str:
    return f"{base_url()}/Questionnaire/{instrument_code}"


# (panel code, panel display, total code, total display) per instrument, CLINICAL.md.
LOINC_CODES: dict[str, tuple[str, str, str, str]] = {
    "phq9": (
        "44249-1",
        "PHQ-9 quick depression assessment panel [Reported.PHQ]",
        "44261-6",
        "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    ),
    "gad7": (
        "69737-5",
        "Generalized anxiety disorder 7 item (GAD-7)",
        "70274-6",
        "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
    ),
}
ALLOWED_LOINC = frozenset(
    code for panel, _p, total, _t in LOINC_CODES.values() for code in (panel, total)
)

# FHIR R4 value sets with required bindings, for the elements Kindred emits.
REQUIRED_CODES: dict[str, frozenset[str]] = {
    "Bundle.type": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
    "Bundle.entry.search.mode": frozenset({"match", "include", "outcome"}),
    "Observation.status": frozenset(
        {
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    "QuestionnaireResponse.status": frozenset(
        {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
    ),
    "Questionnaire.status": frozenset({"draft", "active", "retired", "unknown"}),
    "Questionnaire.item.type": frozenset(
        {
            "group",
            "display",
            "boolean",
            "decimal",
            "integer",
            "date",
            "dateTime",
            "time",
            "string",
            "text",
            "url",
            "choice",
            "open-choice",
            "attachment",
            "reference",
            "quantity",
        }
    ),
    "HumanName.use": frozenset(
        {"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"}
    ),
    "Identifier.use": frozenset({"usual", "official", "temp", "secondary", "old"}),
    "OperationOutcome.issue.severity": frozenset({"fatal", "error", "warning", "information"}),
    "OperationOutcome.issue.code": frozenset(
        {
            "invalid",
            "structure",
            "required",
            "value",
            "invariant",
            "security",
            "login",
            "unknown",
            "expired",
            "forbidden",
            "suppressed",
            "processing",
            "not-supported",
            "duplicate",
            "multiple-matches",
            "not-found",
            "deleted",
            "too-long",
            "code-invalid",
            "extension",
            "too-costly",
            "business-rule",
            "conflict",
            "transient",
            "lock-error",
            "no-store",
            "exception",
            "timeout",
            "incomplete",
            "throttled",
            "informational",
        }
    ),
    "CapabilityStatement.status": frozenset({"draft", "active", "retired", "unknown"}),
    "CapabilityStatement.kind": frozenset({"instance", "capability", "requirements"}),
    "CapabilityStatement.format": frozenset({"json", "xml", "ttl", "mime"}),
    "CapabilityStatement.rest.mode": frozenset({"client", "server"}),
    "CapabilityStatement.rest.resource.interaction.code": frozenset(
        {
            "read",
            "vread",
            "update",
            "patch",
            "delete",
            "history-instance",
            "history-type",
            "create",
            "search-type",
        }
    ),
    "CapabilityStatement.rest.resource.searchParam.type": frozenset(
        {
            "number",
            "date",
            "string",
            "token",
            "reference",
            "composite",
            "quantity",
            "uri",
            "special",
        }
    ),
}
OBSERVATION_CATEGORIES = frozenset(
    {
        "social-history",
        "vital-signs",
        "imaging",
        "laboratory",
        "procedure",
        "survey",
        "exam",
        "therapy",
        "activity",
    }
)


class CodeError(ValueError):
    """A code Kindred emitted is not in the value set it must come from."""


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Yield (element path without indexes, value) for every element of a resource; a
    resource inside another (a Bundle entry) starts its own path."""
    if isinstance(value, Mapping):
        rtype = value.get("resourceType")
        if isinstance(rtype, str):
            path = rtype
        for key, child in value.items():
            child_path = f"{path}.{key}"
            yield child_path, child
            yield from _walk(child, child_path)
    elif isinstance(value, list):
        for child in value:
            yield path, child
            yield from _walk(child, path)


def check_codes(resource: Mapping[str, Any]) -> None:
    """Raise ``CodeError`` if any code with a required binding is outside its value set,
    a LOINC code is not one CLINICAL.md gives, or an observation category is unknown."""
    for path, value in _walk(resource, ""):
        allowed = REQUIRED_CODES.get(path)
        if allowed is not None and isinstance(value, str) and value not in allowed:
            raise CodeError(f"{path} = {value!r} is not in its FHIR value set.")
        if not isinstance(value, Mapping):
            continue
        system, code = value.get("system"), value.get("code")
        if system == LOINC and code not in ALLOWED_LOINC:
            raise CodeError(f"{path}: LOINC code {code!r} is not one we may use.")
        if system == OBSERVATION_CATEGORY and code not in OBSERVATION_CATEGORIES:
            raise CodeError(f"{path}: unknown observation category {code!r}.")
