"""Building FHIR R4 resources from Kindred's records, and validating them.

Every resource leaves through ``validated``: our own code checks (codes.check_codes),
then ``fhir.resources``' R4B model, and what is sent is the model's own serialisation.

- Patient ← clients.Client: minimal demographics (name, preferred name, birth date,
  active); the identifier is the Kindred client id.
- Questionnaire ← one version of an instrument definition (measures.InstrumentVersion):
  items as ``choice`` questions whose options carry their scoring weight
  (``ordinalValue``); PHQ-9 and GAD-7 carry their LOINC panel code.
- QuestionnaireResponse ← a completed administration and its item answers.
- Observation ← a completed administration's total (PHQ-9 LOINC 44261-6, GAD-7 LOINC
  70274-6, others Kindred's own code), its band as the interpretation, subscales as
  components, derived from the QuestionnaireResponse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from kindred.clients.models import Client, ClientStatus
from kindred.fhir import codes
from kindred.measures.definitions import Definition, Item, Number
from kindred.measures.models import Administration, Instrument, InstrumentVersion

Resource = dict[str, Any]


def validated(resource: Mapping[str, Any]) -> Resource:
    """Check our codes, validate with the R4B model, and return the model's JSON form.
    Raises ``codes.CodeError`` or pydantic's ``ValidationError``: a bug, never sent."""
    codes.check_codes(resource)
    model = get_fhir_model_class(str(resource["resourceType"])).model_validate(dict(resource))
    dumped: Resource = model.model_dump(mode="json", exclude_none=True, by_alias=True)
    return dumped


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _ref(kind: str, pk: object) -> dict[str, str]:
    return {"reference": f"{kind}/{pk}"}


# --- Patient -------------------------------------------------------------------------


def patient(client: Client) -> Resource:
    names: list[dict[str, Any]] = [
        {"use": "official", "family": client.legal_last_name, "given": [client.legal_first_name]}
    ]
    if client.preferred_name:
        names.append({"use": "usual", "given": [client.preferred_name]})
    return {
        "resourceType": "Patient",
        "id": str(client.pk),
        "meta": {"lastUpdated": _instant(client.updated_at)},
        "identifier": [
            {"use": "usual", "system": codes.client_identifier_system(), "value": str(client.pk)}
        ],
        "active": client.status == ClientStatus.ACTIVE,
        "name": names,
        "birthDate": client.date_of_birth.isoformat(),
    }


# --- Questionnaire -------------------------------------------------------------------


def computable_name(code: str) -> str:
    """A machine-friendly name (FHIR invariant que-0: ``[A-Z][A-Za-z0-9_]*``)."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", code) if part)
    return name if name[:1].isalpha() else f"Q{name}"


def instrument_coding(instrument_code: str, name: str) -> dict[str, str]:
    loinc = codes.LOINC_CODES.get(instrument_code)
    if loinc is not None:
        return {"system": codes.LOINC, "code": loinc[0], "display": loinc[1]}
    return {"system": codes.instrument_code_system(), "code": instrument_code, "display": name}


def _choice_item(item: Item, system: str) -> dict[str, Any]:
    return {
        "linkId": item.key,
        "text": item.text,
        "type": "choice",
        "required": item.scored,
        "answerOption": [
            {
                "valueCoding": {
                    "extension": [{"url": codes.ORDINAL_VALUE, "valueDecimal": option.value}],
                    "system": system,
                    "code": str(option.value),
                    "display": option.label,
                }
            }
            for option in item.options
        ],
    }


def questionnaire(
    instrument: Instrument, version: InstrumentVersion, definition: Definition
) -> Resource:
    current = version.version == instrument.version and instrument.is_active
    items: list[dict[str, Any]] = []
    if definition.instructions:
        items.append({"linkId": "instructions", "text": definition.instructions, "type": "display"})
    system = codes.answer_code_system(instrument.code)
    items.extend(_choice_item(item, system) for item in definition.items)
    resource: Resource = {
        "resourceType": "Questionnaire",
        "id": str(version.pk),
        "meta": {"lastUpdated": _instant(version.created_at)},
        "url": codes.questionnaire_canonical(instrument.code),
        "version": version.version,
        "name": computable_name(instrument.code),
        "title": definition.name,
        "status": "active" if current else "retired",
        "date": _instant(version.created_at),
        "description": definition.source,
        "copyright": definition.licence,
        "code": [instrument_coding(instrument.code, definition.name)],
        "item": items,
    }
    if not definition.validated:
        resource["purpose"] = "Not a validated instrument."
    return resource


# --- QuestionnaireResponse -----------------------------------------------------------


def questionnaire_response(
    administration: Administration, definition: Definition, answers: Mapping[str, int]
) -> Resource:
    system = codes.answer_code_system(administration.instrument.code)
    items = []
    for item in definition.items:
        if item.key not in answers:
            continue
        value = answers[item.key]
        label = next((o.label for o in item.options if o.value == value), str(value))
        items.append(
            {
                "linkId": item.key,
                "text": item.text,
                "answer": [
                    {"valueCoding": {"system": system, "code": str(value), "display": label}}
                ],
            }
        )
    completed = administration.completed_at or administration.updated_at
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(administration.pk),
        "meta": {"lastUpdated": _instant(administration.updated_at)},
        "questionnaire": (
            f"{codes.questionnaire_canonical(administration.instrument.code)}"
            f"|{administration.instrument_version}"
        ),
        "status": "completed",
        "subject": _ref("Patient", administration.client_id),
        "authored": _instant(completed),
    }
    if items:
        resource["item"] = items
    return resource


# --- Observation ---------------------------------------------------------------------


def _value(value: Number) -> dict[str, Any]:
    if isinstance(value, int):
        return {"valueInteger": value}
    return {
        "valueQuantity": {
            "value": value,
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
    }


def total_coding(instrument_code: str, short_name: str) -> dict[str, str]:
    loinc = codes.LOINC_CODES.get(instrument_code)
    if loinc is not None:
        return {"system": codes.LOINC, "code": loinc[2], "display": loinc[3]}
    return {
        "system": codes.instrument_code_system(),
        "code": f"{instrument_code}.total",
        "display": f"{short_name} total score",
    }


def observation(administration: Administration, definition: Definition) -> Resource:
    """The total of a complete administration (the caller passes only those)."""
    if administration.total is None:
        raise ValueError("Only a complete administration has a total to export.")
    instrument = administration.instrument
    completed = administration.completed_at or administration.updated_at
    resource: Resource = {
        "resourceType": "Observation",
        "id": str(administration.pk),
        "meta": {"lastUpdated": _instant(administration.updated_at)},
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": codes.OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
                ]
            }
        ],
        "code": {
            "coding": [total_coding(instrument.code, definition.short_name)],
            "text": f"{definition.short_name} total score",
        },
        "subject": _ref("Patient", administration.client_id),
        "effectiveDateTime": _instant(completed),
        "issued": _instant(completed),
        **_value(administration.total),
        "derivedFrom": [_ref("QuestionnaireResponse", administration.pk)],
    }
    band = definition.band(administration.band) if administration.band else None
    if band is not None:
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": codes.band_code_system(),
                        "code": f"{instrument.code}.{band.code}",
                        "display": band.label,
                    }
                ],
                "text": band.label,
            }
        ]
    components = []
    for subscale in definition.subscales:
        value = (administration.subscales or {}).get(subscale.key)
        if value is None:
            continue
        components.append(
            {
                "code": {
                    "coding": [
                        {
                            "system": codes.instrument_code_system(),
                            "code": f"{instrument.code}.{subscale.key}",
                            "display": subscale.label,
                        }
                    ],
                    "text": subscale.label,
                },
                **_value(value),
            }
        )
    if components:
        resource["component"] = components
    return resource


# --- Bundles, outcomes, capabilities --------------------------------------------------


def searchset(
    *, resources: Sequence[Resource], total: int, links: Iterable[tuple[str, str]]
) -> Resource:
    base = codes.base_url()
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links],
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def operation_outcome(code: str, diagnostics: str, *, severity: str = "error") -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


SEARCH_PARAMS: dict[str, list[tuple[str, str, str]]] = {
    "Patient": [("_id", "token", "The Kindred client id.")],
    "Questionnaire": [
        ("_id", "token", "The questionnaire (instrument version) id."),
        ("url", "uri", "The instrument's canonical URL."),
    ],
    "QuestionnaireResponse": [
        ("_id", "token", "The response id."),
        ("patient", "reference", "Patient/<id> or <id>."),
        ("date", "date", "When it was completed (ge, le, gt, lt, eq; repeatable)."),
    ],
    "Observation": [
        ("_id", "token", "The observation id."),
        ("patient", "reference", "Patient/<id> or <id>."),
        ("date", "date", "When the questionnaire was completed (ge, le, gt, lt, eq)."),
        ("code", "token", "system|code or code, e.g. http://loinc.org|44261-6."),
    ],
}


def capability_statement(*, now: datetime) -> Resource:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": _instant(now),
        "kind": "instance",
        "software": {"name": "Kindred"},
        "implementation": {"description": "Kindred FHIR R4 export", "url": codes.base_url()},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Bearer token (Authorization: Bearer kdt_…) with the "
                    "fhir:read scope. A token sees what its owner may see."
                },
                "resource": [
                    {
                        "type": kind,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": ptype, "documentation": doc}
                            for name, ptype, doc in params
                        ],
                    }
                    for kind, params in SEARCH_PARAMS.items()
                ],
            }
        ],
    }
