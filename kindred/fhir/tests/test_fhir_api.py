# mypy: disable-error-code="union-attr,index,no-untyped-call,operator,arg-type"
# (fhir.resources types every element Optional; the assertions check them.)
"""/fhir/r4/: token scope, access rules (a facilitator's token sees only their groups'
members), search by patient and date, paging, audit per patient, OperationOutcome
errors; every answer parses with fhir.resources (R4B)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import signed_in
from kindred.fhir.tests.support import complete, facilitator_token, token
from kindred.measures.testing import answers_for

BASE = "/fhir/r4"


def bundle(response) -> Bundle:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return Bundle.model_validate_json(response.content)


def outcome(response, status: int) -> OperationOutcome:
    assert response.status_code == status, response.content
    return OperationOutcome.model_validate_json(response.content)


@pytest.fixture
def records(cast, builtin_instruments):
    """PHQ-9s for client (two, a month apart) and client_b; a GAD-7 for client."""
    now = timezone.now()
    return {
        "phq9_early": complete(
            cast,
            builtin_instruments.phq9,
            answers_for("phq9", 2),
            now=now - timedelta(days=40),
        ),
        "phq9_late": complete(
            cast,
            builtin_instruments.phq9,
            answers_for("phq9", 1),
            now=now - timedelta(days=5),
        ),
        "phq9_b": complete(
            cast, builtin_instruments.phq9, answers_for("phq9", 0), who="member_b", now=now
        ),
        "gad7": complete(
            cast, builtin_instruments.gad7, answers_for("gad7", 1), now=now - timedelta(days=4)
        ),
    }


def test_needs_a_token_with_the_fhir_scope(cast, builtin_instruments):
    assert outcome(HttpClient().get(f"{BASE}/Patient"), 401).issue[0].code == "login"
    other = token(cast.coordinator, "clients:read")
    assert outcome(other.get(f"{BASE}/Patient"), 403).issue[0].code == "forbidden"
    assert token(cast.coordinator, "fhir:read").get(f"{BASE}/Patient").status_code == 200


def test_members_find_nothing(cast, builtin_instruments):
    member = signed_in(cast.member)
    assert outcome(member.get(f"{BASE}/Patient"), 404).issue[0].code == "not-found"
    assert member.get(f"{BASE}/Patient/{cast.client.pk}").status_code == 404


def test_metadata(cast):
    response = token(cast.coordinator, "fhir:read").get(f"{BASE}/metadata")
    statement = CapabilityStatement.model_validate_json(response.content)
    types = {r.type for r in statement.rest[0].resource}
    assert types == {"Patient", "Questionnaire", "QuestionnaireResponse", "Observation"}


def test_patient_search_for_a_coordinator_sees_everyone(cast, builtin_instruments):
    result = bundle(token(cast.coordinator, "fhir:read").get(f"{BASE}/Patient"))
    assert result.type == "searchset"
    assert result.total == 3
    ids = {e.resource.id for e in result.entry}
    assert ids == {str(c.pk) for c in (cast.client, cast.client_b, cast.outsider_client)}
    assert all(isinstance(e.resource, Patient) for e in result.entry)
    assert result.entry[0].fullUrl.endswith(f"/fhir/r4/Patient/{result.entry[0].resource.id}")


def test_a_facilitators_token_sees_only_their_groups_members(cast, records):
    http = facilitator_token(cast)
    result = bundle(http.get(f"{BASE}/Patient"))
    assert {e.resource.id for e in result.entry} == {str(cast.client.pk), str(cast.client_b.pk)}
    outsider = cast.outsider_client.pk
    assert http.get(f"{BASE}/Patient/{outsider}").status_code == 404
    assert AuditEvent.objects.filter(
        category=Category.DENIED, object_type="clients.client", object_id=str(outsider)
    ).exists()
    # and their responses: searching for the outsider finds nothing
    empty = bundle(http.get(f"{BASE}/QuestionnaireResponse", {"patient": f"Patient/{outsider}"}))
    assert empty.total == 0


def test_reading_a_patient_is_audited_per_patient(cast, records):
    http = token(cast.coordinator, "fhir:read")
    before = AuditEvent.objects.filter(action="fhir.patient.read").count()
    bundle(http.get(f"{BASE}/Patient"))
    events = AuditEvent.objects.filter(action="fhir.patient.read")
    assert events.count() == before + 3
    assert set(events.values_list("client_id", flat=True)) == {
        cast.client.pk,
        cast.client_b.pk,
        cast.outsider_client.pk,
    }
    event = events.first()
    assert event.category == Category.ACCESS
    assert event.actor == cast.coordinator
    assert event.detail == {}
    assert event.via == "api"
    patient = Patient.model_validate_json(http.get(f"{BASE}/Patient/{cast.client.pk}").content)
    assert patient.id == str(cast.client.pk)


def test_questionnaire_response_search_by_patient_and_date(cast, records):
    http = token(cast.coordinator, "fhir:read")
    mine = bundle(http.get(f"{BASE}/QuestionnaireResponse", {"patient": str(cast.client.pk)}))
    assert mine.total == 3
    assert all(isinstance(e.resource, QuestionnaireResponse) for e in mine.entry)
    # oldest first
    assert mine.entry[0].resource.id == str(records["phq9_early"].pk)
    since = (timezone.now() - timedelta(days=10)).date().isoformat()
    recent = bundle(
        http.get(
            f"{BASE}/QuestionnaireResponse",
            {"patient": f"Patient/{cast.client.pk}", "date": f"ge{since}"},
        )
    )
    assert {e.resource.id for e in recent.entry} == {
        str(records["phq9_late"].pk),
        str(records["gad7"].pk),
    }
    until = (timezone.now() - timedelta(days=20)).date().isoformat()
    old = bundle(http.get(f"{BASE}/QuestionnaireResponse", [("date", f"le{until}")]))
    assert [e.resource.id for e in old.entry] == [str(records["phq9_early"].pk)]
    window = bundle(
        http.get(
            f"{BASE}/QuestionnaireResponse?date=ge{until}&date=le{since}&patient={cast.client.pk}"
        )
    )
    assert window.total == 0
    audited = AuditEvent.objects.filter(action="fhir.questionnaire_response.read")
    assert set(audited.values_list("client_id", flat=True)) == {cast.client.pk}


def test_observation_search_by_code(cast, records):
    http = token(cast.coordinator, "fhir:read")
    phq = bundle(http.get(f"{BASE}/Observation", {"code": "http://loinc.org|44261-6"}))
    assert phq.total == 3
    assert all(isinstance(e.resource, Observation) for e in phq.entry)
    assert {e.resource.code.coding[0].code for e in phq.entry} == {"44261-6"}
    gad = bundle(http.get(f"{BASE}/Observation", {"code": "70274-6"}))
    assert [e.resource.valueInteger for e in gad.entry] == [7]
    none = bundle(http.get(f"{BASE}/Observation", {"code": "http://loinc.org|99999-9"}))
    assert none.total == 0
    one = Observation.model_validate_json(
        http.get(f"{BASE}/Observation/{records['phq9_early'].pk}").content
    )
    assert one.valueInteger == 18
    assert one.interpretation[0].text == "Moderately severe"


def test_questionnaires(cast, records):
    http = token(cast.coordinator, "fhir:read")
    all_q = bundle(http.get(f"{BASE}/Questionnaire"))
    assert all_q.total == 6
    phq = bundle(http.get(f"{BASE}/Questionnaire", {"url": all_q.entry[0].resource.url}))
    assert phq.total == 1
    qid = phq.entry[0].resource.id
    parsed = Questionnaire.model_validate_json(http.get(f"{BASE}/Questionnaire/{qid}").content)
    assert parsed.id == qid
    # a response points at its questionnaire's canonical URL and version
    qr = QuestionnaireResponse.model_validate_json(
        http.get(f"{BASE}/QuestionnaireResponse/{records['gad7'].pk}").content
    )
    assert qr.questionnaire.split("|")[1] == "1"
    assert qr.questionnaire.split("|")[0].endswith("/Questionnaire/gad7")


def test_paging_links(cast, records):
    http = token(cast.coordinator, "fhir:read")
    first = bundle(http.get(f"{BASE}/QuestionnaireResponse", {"_count": 2}))
    assert first.total == 4
    assert len(first.entry) == 2
    links = {link.relation: link.url for link in first.link}
    assert "next" in links
    assert "previous" not in links
    second_url = links["next"].split("/fhir/r4", 1)[1]
    second = bundle(http.get(f"/fhir/r4{second_url}"))
    assert len(second.entry) == 2
    assert {e.resource.id for e in first.entry}.isdisjoint({e.resource.id for e in second.entry})
    assert "next" not in {link.relation for link in second.link}


@pytest.mark.parametrize(
    "query",
    [
        {"patient": "Group/1"},
        {"date": "2025-13-01"},
        {"date": "sa2025-01-01"},
        {"date": "2025-01-01T10:00:00"},  # a dateTime needs its offset
        {"_count": "0"},
        {"_count": "500"},
        {"page": "x"},
        {"colour": "blue"},
        {"_format": "xml"},
    ],
)
def test_bad_searches_are_400_operation_outcomes(cast, builtin_instruments, query):
    http = token(cast.coordinator, "fhir:read")
    result = outcome(http.get(f"{BASE}/QuestionnaireResponse", query), 400)
    assert result.issue[0].code == "invalid"


def test_unknown_ids_are_404(cast, records):
    http = token(cast.coordinator, "fhir:read")
    for path in ("Patient/999999", "Patient/abc", "Observation/0", "QuestionnaireResponse/-1"):
        assert outcome(http.get(f"{BASE}/{path}"), 404).issue[0].code == "not-found"


def test_read_only(cast, builtin_instruments):
    http = token(cast.coordinator, "fhir:read")
    response = http.post(f"{BASE}/Patient", "{}", content_type="application/fhir+json")
    assert response.status_code in {403, 405}


def test_query_count_is_constant(cast, records, builtin_instruments, django_assert_max_num_queries):
    http = token(cast.coordinator, "fhir:read")
    with django_assert_max_num_queries(12) as small:
        bundle(http.get(f"{BASE}/QuestionnaireResponse"))
    for _ in range(3):
        complete(cast, builtin_instruments.gad7, answers_for("gad7", 2), who="member_b")
    with django_assert_max_num_queries(len(small.captured_queries)):
        result = bundle(http.get(f"{BASE}/QuestionnaireResponse"))
    assert result.total == 7
    with django_assert_max_num_queries(len(small.captured_queries)):
        bundle(http.get(f"{BASE}/Observation"))
