# mypy: disable-error-code="union-attr,index,no-untyped-call,operator,arg-type"
# (fhir.resources types every element Optional; the assertions check them.)
"""Resources built from Kindred's records parse back with fhir.resources (R4B) and carry
the codes CLINICAL.md gives; our own code checks catch what R4B does not."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kindred.fhir import codes, resources
from kindred.fhir.tests.support import complete
from kindred.measures.library import definition_of
from kindred.measures.models import InstrumentVersion
from kindred.measures.testing import answers_for


def roundtrip(resource, model):
    """Serialise as the server does and parse back with the R4B model."""
    return model.model_validate_json(json.dumps(resources.validated(resource)))


def test_patient(cast):
    cast.client.preferred_name = "Ave"
    parsed = roundtrip(resources.patient(cast.client), Patient)
    assert parsed.id == str(cast.client.pk)
    assert parsed.identifier[0].value == str(cast.client.pk)
    assert parsed.identifier[0].system.endswith("/fhir/r4/identifier/client")
    assert parsed.name[0].family == "Member"
    assert parsed.name[0].given == ["Avery"]
    assert parsed.name[1].use == "usual"
    assert parsed.name[1].given == ["Ave"]
    assert parsed.birthDate.isoformat() == "1990-04-01"
    assert parsed.active is True
    # minimal: no contact details, no address
    assert parsed.telecom is None
    assert parsed.address is None


@pytest.mark.parametrize("code", ["phq9", "gad7", "who5", "pcl5", "auditc", "pulse"])
def test_questionnaire_for_every_builtin(cast, builtin_instruments, code):
    instrument = builtin_instruments[code]
    version = InstrumentVersion.objects.get(instrument=instrument, version=instrument.version)
    definition = definition_of(instrument)
    parsed = roundtrip(resources.questionnaire(instrument, version, definition), Questionnaire)
    assert parsed.status == "active"
    assert parsed.version == "1"
    assert parsed.url.endswith(f"/fhir/r4/Questionnaire/{code}")
    questions = [i for i in parsed.item if i.type == "choice"]
    assert [q.linkId for q in questions] == [i.key for i in definition.items]
    first = questions[0].answerOption[0].valueCoding
    assert first.extension[0].url == codes.ORDINAL_VALUE
    assert first.extension[0].valueDecimal == int(first.code)
    if code == "pulse":
        assert parsed.purpose == "Not a validated instrument."


def test_questionnaire_loinc_panels(cast, builtin_instruments):
    def panel(code):
        instrument = builtin_instruments[code]
        version = instrument.versions.get()
        return roundtrip(
            resources.questionnaire(instrument, version, definition_of(instrument)), Questionnaire
        ).code[0]

    assert (panel("phq9").system, panel("phq9").code) == ("http://loinc.org", "44249-1")
    assert (panel("gad7").system, panel("gad7").code) == ("http://loinc.org", "69737-5")
    who5 = panel("who5")
    assert who5.system != "http://loinc.org"
    assert who5.code == "who5"


def test_phq9_difficulty_is_not_required(cast, builtin_instruments):
    instrument = builtin_instruments.phq9
    q = roundtrip(
        resources.questionnaire(instrument, instrument.versions.get(), definition_of(instrument)),
        Questionnaire,
    )
    required = {i.linkId: i.required for i in q.item if i.type == "choice"}
    assert required["item9"] is True
    assert required["difficulty"] is False
    assert q.item[0].type == "display"  # the instructions


def test_phq9_response_and_observation(cast, builtin_instruments):
    answers = answers_for("phq9", 1, item9=2) | {"difficulty": 1}  # total 8 + 2 = 10
    administration = complete(cast, builtin_instruments.phq9, answers)
    definition = definition_of(builtin_instruments.phq9)
    qr = roundtrip(
        resources.questionnaire_response(administration, definition, answers),
        QuestionnaireResponse,
    )
    assert qr.status == "completed"
    assert qr.subject.reference == f"Patient/{cast.client.pk}"
    assert qr.questionnaire.endswith("/fhir/r4/Questionnaire/phq9|1")
    by_link = {i.linkId: i.answer[0].valueCoding for i in qr.item}
    assert by_link["item9"].code == "2"
    assert by_link["item9"].display == "More than half the days"
    assert by_link["difficulty"].display == "Somewhat difficult"

    obs = roundtrip(resources.observation(administration, definition), Observation)
    assert obs.status == "final"
    assert (obs.code.coding[0].system, obs.code.coding[0].code) == ("http://loinc.org", "44261-6")
    assert obs.valueInteger == 10
    assert obs.interpretation[0].text == "Moderate"
    assert obs.category[0].coding[0].code == "survey"
    assert obs.derivedFrom[0].reference == f"QuestionnaireResponse/{administration.pk}"
    assert obs.subject.reference == f"Patient/{cast.client.pk}"


def test_gad7_observation_is_loinc_70274_6(cast, builtin_instruments):
    administration = complete(cast, builtin_instruments.gad7, answers_for("gad7", 3))
    obs = roundtrip(
        resources.observation(administration, definition_of(builtin_instruments.gad7)), Observation
    )
    assert (obs.code.coding[0].code, obs.valueInteger) == ("70274-6", 21)
    assert obs.interpretation[0].text == "Severe"


def test_other_instruments_use_kindreds_code_system(cast, builtin_instruments):
    administration = complete(cast, builtin_instruments.pcl5, answers_for("pcl5", 2))
    obs = roundtrip(
        resources.observation(administration, definition_of(builtin_instruments.pcl5)), Observation
    )
    coding = obs.code.coding[0]
    assert coding.system == codes.instrument_code_system()
    assert coding.code == "pcl5.total"
    assert obs.valueInteger == 40
    assert obs.interpretation is None  # the PCL-5 has no bands
    components = {c.code.coding[0].code: c.valueInteger for c in obs.component}
    assert components == {
        "pcl5.intrusion": 10,
        "pcl5.avoidance": 4,
        "pcl5.cognition_mood": 14,
        "pcl5.arousal": 12,
    }


def test_operation_outcome():
    parsed = roundtrip(resources.operation_outcome("not-found", "Not found."), OperationOutcome)
    assert parsed.issue[0].code == "not-found"


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            {"resourceType": "Observation", "status": "done", "code": {"text": "x"}},
            "Observation.status",
        ),
        (
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "12345-6"}]},
            },
            "LOINC code '12345-6'",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [
                    {"resource": {"resourceType": "QuestionnaireResponse", "status": "done"}}
                ],
            },
            "QuestionnaireResponse.status",
        ),
        (
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "x"},
                "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "mood"}]}],
            },
            "unknown observation category",
        ),
    ],
)
def test_our_code_checks_catch_what_r4b_does_not(resource, message):
    # R4B accepts these (no value-set checks) ...
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    # ... our checks do not.
    with pytest.raises(codes.CodeError, match=message):
        resources.validated(resource)
