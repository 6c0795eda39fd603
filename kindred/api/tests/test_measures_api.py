"""API v1: the instrument library and the stateless scoring endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.measures.definitions import FORMAT
from kindred.measures.models import Instrument
from kindred.measures.testing import answers_for

LIST = "/api/v1/instruments/"


def score_url(code: str) -> str:
    return f"/api/v1/instruments/{code}/score"


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(http: HttpClient, url: str, data: Any) -> Any:
    return http.post(url, json.dumps(data), content_type="application/json")


def patch(http: HttpClient, url: str, data: Any) -> Any:
    return http.patch(url, json.dumps(data), content_type="application/json")


def licensed_document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": FORMAT,
        "code": "licensed-scale",
        "name": "Licensed Scale",
        "short_name": "LS",
        "version": "1",
        "source": "Example A. A licensed scale. 2020.",
        "licence": "Licence 123 held by the practice.",
        "items": [
            {
                "key": f"q{n}",
                "text": f"Statement {n}",
                "options": [{"value": v, "label": str(v)} for v in range(3)],
            }
            for n in (1, 2)
        ],
        "scoring": {"method": "sum"},
        "higher_is_better": False,
    }
    doc.update(overrides)
    return doc


def test_list_and_retrieve_for_a_token(cast, builtin_instruments, django_assert_max_num_queries):
    http = token_for(cast.coordinator, "measures:read")
    with django_assert_max_num_queries(8):
        response = http.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    codes = [row["code"] for row in body["results"]]
    assert set(codes) == {"phq9", "gad7", "who5", "pcl5", "auditc", "pulse"}
    phq9 = next(row for row in body["results"] if row["code"] == "phq9")
    assert phq9["definition"]["items"][8]["key"] == "item9"
    assert phq9["rc_reliability"] == 0.89
    detail = http.get("/api/v1/instruments/pcl5/").json()
    assert detail["cutoffs"] == {"provisional_ptsd": 33.0}
    assert detail["validated"] is True
    assert http.get("/api/v1/instruments/pulse/").json()["validated"] is False


def test_list_query_count_is_constant(cast, builtin_instruments, django_assert_max_num_queries):
    for n in range(10):
        Instrument.objects.create(
            code=f"extra{n}",
            name=f"Extra {n}",
            short_name=f"X{n}",
            version="1",
            definition=builtin_instruments.gad7.definition,
            definition_sha256=builtin_instruments.gad7.definition_sha256,
        )
    http = signed_in(cast.coordinator)
    # session, user, practice, MFA check, count, page, session save (3): not per row
    with django_assert_max_num_queries(9):
        response = http.get(LIST)
    assert response.json()["count"] == 16


def test_token_without_the_scope_is_refused(cast, builtin_instruments):
    http = token_for(cast.coordinator, "clients:read")
    assert http.get(LIST).status_code == 403
    assert post(http, score_url("phq9"), {"answers": {}}).status_code == 403


def test_members_and_anonymous_find_nothing(cast, builtin_instruments):
    member = signed_in(cast.member)
    assert member.get(LIST).status_code == 404
    assert member.get("/api/v1/instruments/phq9/").status_code == 404
    assert post(member, score_url("phq9"), {"answers": {}}).status_code == 404
    assert HttpClient().get(LIST).status_code in {401, 403}


def test_unknown_instrument_is_404(cast, builtin_instruments):
    http = token_for(cast.coordinator, "measures:read")
    assert http.get("/api/v1/instruments/nope/").status_code == 404
    assert post(http, score_url("nope"), {"answers": {}}).status_code == 404


def test_score_complete_phq9_with_item9(cast, builtin_instruments):
    http = token_for(cast.coordinator, "measures:read")
    answers = answers_for("phq9", 1, item9=2)  # 8 × 1 + 2 = 10
    response = post(http, score_url("phq9"), {"answers": answers, "version": "1"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 10
    assert body["band"] == "moderate"
    assert body["band_label"] == "Moderate"
    assert body["complete"] is True
    assert body["missing_items"] == []
    assert body["flags"] == ["phq9.item9"]
    assert body["safety_flags"] == ["phq9.item9"]
    assert body["instrument"] == "phq9"
    # stateless: nothing stored, nothing audited
    assert (
        not AuditEvent.objects.filter(action__startswith="measures.")
        .exclude(action="measures.instrument.created")
        .exists()
    )


def test_score_incomplete_is_not_banded(cast, builtin_instruments):
    http = signed_in(cast.facilitator)
    response = post(http, score_url("gad7"), {"answers": {"item1": 3, "item2": 3}})
    body = response.json()
    assert body["complete"] is False
    assert body["total"] is None
    assert body["band"] == ""
    assert body["missing_items"] == ["item3", "item4", "item5", "item6", "item7"]


def test_score_who5_and_subscales(cast, builtin_instruments):
    http = signed_in(cast.facilitator)
    body = post(http, score_url("who5"), {"answers": answers_for("who5", 2)}).json()
    assert (body["raw_total"], body["total"], body["flags"]) == (10, 40, ["who5.poor_wellbeing"])
    pcl5 = post(http, score_url("pcl5"), {"answers": answers_for("pcl5", 1)}).json()
    assert pcl5["subscales"] == {"intrusion": 5, "avoidance": 2, "cognition_mood": 7, "arousal": 6}


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        ({"item1": 4}, "item1"),
        ({"item9": -1}, "item9"),
        ({"item2": "2"}, "item2"),
        ({"item2": 2.0}, "item2"),
        ({"item3": True}, "item3"),
        ({"item10": 1}, "item10"),
    ],
)
def test_out_of_range_answers_are_400_naming_the_item(cast, builtin_instruments, answers, item):
    http = token_for(cast.coordinator, "measures:read")
    response = post(http, score_url("phq9"), {"answers": answers})
    assert response.status_code == 400
    assert list(response.json()["answers"]) == [item]


def test_wrong_version_is_400(cast, builtin_instruments):
    http = token_for(cast.coordinator, "measures:read")
    response = post(http, score_url("phq9"), {"answers": {}, "version": "7"})
    assert response.status_code == 400
    assert "version" in response.json()
    assert "current version is 1" in response.json()["version"][0]


def test_cutoff_override_per_request(cast, builtin_instruments):
    http = signed_in(cast.facilitator)
    answers = {"item1": 2, "item2": 1, "item3": 0}  # 3
    default = post(http, score_url("auditc"), {"answers": answers}).json()
    men = post(http, score_url("auditc"), {"answers": answers, "cutoffs": {"positive": 4}}).json()
    assert default["flags"] == ["auditc.positive"]
    assert men["flags"] == []
    bad = post(http, score_url("auditc"), {"answers": answers, "cutoffs": {"positive": 40}})
    assert bad.status_code == 400
    assert "cutoffs" in bad.json()


def test_answers_must_be_an_object(cast, builtin_instruments):
    http = signed_in(cast.facilitator)
    response = post(http, score_url("phq9"), {"answers": [1, 2]})
    assert response.status_code == 400
    assert "answers" in response.json()


def test_admin_loads_a_licensed_instrument(cast, builtin_instruments):
    http = token_for(cast.admin, "measures:write", "measures:read")
    response = post(http, LIST, {"definition": licensed_document(), "licence_confirmed": True})
    assert response.status_code == 201, response.json()
    instrument = Instrument.objects.get(code="licensed-scale")
    assert instrument.builtin is False
    assert instrument.licence_confirmed_by == cast.admin
    scored = post(http, score_url("licensed-scale"), {"answers": {"q1": 2, "q2": 1}}).json()
    assert scored["total"] == 3


def test_loading_needs_the_licence_box_and_a_valid_file(cast, builtin_instruments):
    http = signed_in(cast.admin)
    response = post(http, LIST, {"definition": licensed_document(), "licence_confirmed": False})
    assert response.status_code == 400
    assert "licence_confirmed" in response.json()
    bad = licensed_document(bands={"ranges": [{"code": "a", "label": "A", "min": 0, "max": 3}]})
    response = post(http, LIST, {"definition": bad, "licence_confirmed": True})
    assert response.status_code == 400
    assert any("highest possible score is 4" in m for m in response.json()["file"])
    assert not Instrument.objects.filter(code="licensed-scale").exists()


def test_only_admins_load_or_change_settings(cast, builtin_instruments):
    http = signed_in(cast.facilitator)
    response = post(http, LIST, {"definition": licensed_document(), "licence_confirmed": True})
    assert response.status_code == 403
    assert patch(http, "/api/v1/instruments/phq9/", {"rc_sd": 5.0}).status_code == 403
    assert not Instrument.objects.filter(code="licensed-scale").exists()


def test_admin_changes_rc_parameters_and_cutoffs(cast, builtin_instruments):
    http = signed_in(cast.admin)
    response = patch(
        http,
        "/api/v1/instruments/pcl5/",
        {
            "rc_sd": 14.0,
            "rc_source": "Our intake sample (n=212), 2025",
            "cutoffs": {"provisional_ptsd": 31},
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["rc_sd"], body["rc_reliability"]) == (14.0, 0.94)
    assert body["cutoffs"] == {"provisional_ptsd": 31.0}
    assert Instrument.objects.get(code="pcl5").cutoffs == {"provisional_ptsd": 31}
    response = patch(http, "/api/v1/instruments/pcl5/", {"rc_reliability": 1.5})
    assert response.status_code == 400
    assert "rc_reliability" in response.json()
    assert Instrument.objects.get(code="pcl5").rc_reliability == 0.94
