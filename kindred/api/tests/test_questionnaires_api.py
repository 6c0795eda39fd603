"""API v1 for questionnaires: members answer their own (session only), staff manage a
group's schedules and see status only; scopes, roles, field errors, 404s, 409s and query
counts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from kindred.accounts.token_services import api_token_create
from kindred.core.testing import signed_in
from kindred.measures import planning
from kindred.measures.models import Administration, MeasurementSchedule, Response, SafetyAlert
from kindred.measures.testing import answers_for
from kindred.measures.tests.questionnaire_support import open_before, upcoming_a, with_defaults

ME = "/api/v1/me/questionnaires/"


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(http: HttpClient, method: str, url: str, data: Any = None) -> Any:
    return getattr(http, method)(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def phq9(cast, builtin_instruments):
    return open_before(cast, builtin_instruments.phq9)


def schedules_url(cast: Any, tail: str = "") -> str:
    return f"/api/v1/groups/{cast.group_a.pk}/questionnaire-schedules/{tail}"


def admins_url(cast: Any) -> str:
    return f"/api/v1/groups/{cast.group_a.pk}/administrations/"


# --- Members -------------------------------------------------------------------------------


def test_a_member_lists_and_reads_their_check_ins(cast, phq9):
    http = signed_in(cast.member)
    body = http.get(ME).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["title"], row["questions"], row["answered"], row["version"]) == (
        phq9.pk,
        "How you've been feeling",
        10,
        0,
        "1",
    )
    detail = http.get(f"{ME}{phq9.pk}/")
    assert detail["Cache-Control"] == "no-store"
    data = detail.json()
    assert data["instructions"].startswith("Over the last 2 weeks")
    assert [i["key"] for i in data["items"]][:2] == ["item1", "item2"]
    assert data["items"][0]["options"][3] == {"value": 3, "label": "Nearly every day"}
    assert data["items"][9]["optional"] is True
    assert "total" not in data
    assert "flags" not in data


def test_member_endpoints_are_for_the_member_only(cast, phq9):
    assert signed_in(cast.member_b).get(f"{ME}{phq9.pk}/").status_code == 404
    assert signed_in(cast.member_b).get(ME).json()["count"] == 0
    assert signed_in(cast.facilitator).get(ME).status_code == 404
    assert signed_in(cast.coordinator).get(f"{ME}{phq9.pk}/").status_code == 404
    # Tokens are refused: member endpoints declare no scope.
    assert token_for(cast.coordinator, "measures:read").get(ME).status_code == 403
    assert HttpClient().get(ME).status_code in {401, 403}
    response = send(
        signed_in(cast.member_b),
        "put",
        f"{ME}{phq9.pk}/answers/item1/",
        {"value": 1, "version": "1"},
    )
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_putting_answers_and_replacing_one(cast, phq9):
    http = signed_in(cast.member)
    url = f"{ME}{phq9.pk}/answers/item2/"
    first = send(http, "put", url, {"value": 2, "version": "1"})
    assert first.status_code == 200
    assert first.json() == {
        "item": "item2",
        "value": 2,
        "replaced": False,
        "answered": 1,
        "questions": 10,
    }
    second = send(http, "put", url, {"value": 0, "version": "1"}).json()
    assert second["replaced"] is True
    assert list(Response.objects.values_list("item", "value")) == [("item2", 0)]


@pytest.mark.parametrize(
    ("item", "data", "field"),
    [
        ("item3", {"value": 4, "version": "1"}, "item3"),
        ("item3", {"value": "2", "version": "1"}, "item3"),
        ("item3", {"value": 1.0, "version": "1"}, "item3"),
        ("item3", {"value": True, "version": "1"}, "item3"),
        ("item3", {"version": "1"}, "item3"),
        ("item3", {"value": 1, "version": "2"}, "version"),
        ("item3", {"value": 1}, "version"),
        ("nope", {"value": 1, "version": "1"}, "nope"),
    ],
)
def test_bad_answers_are_400_naming_the_field_and_nothing_is_saved(cast, phq9, item, data, field):
    response = send(signed_in(cast.member), "put", f"{ME}{phq9.pk}/answers/{item}/", data)
    assert response.status_code == 400
    assert field in response.json()
    assert not Response.objects.exists()


def test_a_closed_questionnaire_is_409_and_stores_nothing(cast, phq9):
    assert phq9.closes_at is not None
    with time_machine.travel(phq9.closes_at + timedelta(minutes=1), tick=False):
        http = signed_in(cast.member)
        response = send(http, "put", f"{ME}{phq9.pk}/answers/item1/", {"value": 1, "version": "1"})
        assert response.status_code == 409
        assert response.json()["code"] == "closed"
        response = send(
            http,
            "post",
            f"{ME}{phq9.pk}/submit/",
            {"version": "1", "answers": answers_for("phq9", 1)},
        )
        assert response.status_code == 409
    assert not Response.objects.exists()


def test_submitting_idempotently_with_crisis_resources_after_item9(cast, phq9):
    http = signed_in(cast.member)
    url = f"{ME}{phq9.pk}/submit/"
    response = send(http, "post", url, {"version": "1", "answers": {"item1": 1}})
    assert response.status_code == 400
    assert sorted(response.json()) == [f"item{n}" for n in range(2, 10)]
    assert not Response.objects.exists()
    response = send(http, "post", url, {"version": "1", "answers": answers_for("phq9", 0, item9=2)})
    assert response.status_code == 200
    body = response.json()
    assert body["already_received"] is False
    assert body["status"] == "completed"
    crisis = body["crisis_resources"]
    assert (crisis["call"], crisis["text"], crisis["emergency"]) == ("988", "988", "911")
    assert crisis["practice_text"] == cast.practice.crisis_resources
    assert set(body) == {"id", "status", "already_received", "crisis_resources"}
    again = send(http, "post", url, {"version": "1"}).json()
    assert again["already_received"] is True
    assert SafetyAlert.objects.count() == 1


def test_submitting_without_a_flag_has_no_crisis_block(cast, phq9):
    body = send(
        signed_in(cast.member),
        "post",
        f"{ME}{phq9.pk}/submit/",
        {"version": "1", "answers": answers_for("phq9", 1, item9=0)},
    ).json()
    assert body["crisis_resources"] is None


def test_member_list_query_count_is_constant(
    cast, builtin_instruments, django_assert_max_num_queries
):
    http = signed_in(cast.member)
    open_before(cast, builtin_instruments.phq9)
    http.get(ME)
    with CaptureQueriesContext(connection) as few:
        http.get(ME)
    for code in ("gad7", "who5", "pulse", "pcl5"):
        open_before(cast, builtin_instruments[code])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert http.get(ME).json()["count"] == 5


# --- Staff: schedules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("facilitator", 200),
        ("coordinator", 200),
        ("supervisor", 403),
        ("facilitator_b", 404),
        ("billing", 404),
        ("member", 404),
    ],
)
def test_who_reads_a_group_s_schedules(cast, builtin_instruments, who, status):
    with_defaults(cast, builtin_instruments)
    response = signed_in(getattr(cast, who)).get(schedules_url(cast))
    assert response.status_code == status
    if status == 200:
        rows = response.json()
        assert {(r["instrument"], r["timing"], r["every_n"]) for r in rows} >= {
            ("phq9", "every_nth", 4),
            ("pulse", "after_session", None),
        }


def test_schedule_crud(cast, builtin_instruments):
    http = signed_in(cast.facilitator)
    response = send(
        http, "post", schedules_url(cast), {"instrument": "who5", "timing": "every_nth"}
    )
    assert response.status_code == 400
    assert "every_n" in response.json()
    response = send(http, "post", schedules_url(cast), {"instrument": "nope", "timing": "intake"})
    assert response.status_code == 400
    assert "instrument" in response.json()
    assert not MeasurementSchedule.objects.exists()
    response = send(
        http,
        "post",
        schedules_url(cast),
        {"instrument": "who5", "timing": "every_nth", "every_n": 3},
    )
    assert response.status_code == 201
    row = response.json()
    assert (row["instrument"], row["every_n"], row["is_active"]) == ("who5", 3, True)
    duplicate = send(
        http,
        "post",
        schedules_url(cast),
        {"instrument": "who5", "timing": "every_nth", "every_n": 2},
    )
    assert duplicate.status_code == 409
    url = schedules_url(cast, f"{row['id']}/")
    assert send(http, "patch", url, {"every_n": 5}).json()["every_n"] == 5
    assert send(http, "patch", url, {"every_n": 99}).status_code == 400
    assert http.delete(url).status_code == 204
    assert http.get(url).json()["is_active"] is False
    assert MeasurementSchedule.objects.count() == 1


def test_tokens_need_the_measures_scopes(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    data = {"instrument": "who5", "timing": "graduation"}
    reader = token_for(cast.coordinator, "measures:read")
    assert reader.get(schedules_url(cast)).status_code == 200
    assert send(reader, "post", schedules_url(cast), data).status_code == 403
    assert token_for(cast.coordinator, "groups:read").get(schedules_url(cast)).status_code == 403
    writer = token_for(cast.coordinator, "measures:read", "measures:write")
    assert send(writer, "post", schedules_url(cast), data).status_code == 201


def test_a_schedule_of_another_group_is_404(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    other = MeasurementSchedule.objects.filter(group=cast.group_b).first()
    assert other is not None
    http = signed_in(cast.coordinator)
    assert http.get(schedules_url(cast, f"{other.pk}/")).status_code == 404
    assert http.delete(schedules_url(cast, f"{other.pk}/")).status_code == 404
    other.refresh_from_db()
    assert other.is_active


# --- Staff: administrations -----------------------------------------------------------------------


def test_a_group_s_administrations_are_status_only_and_filtered(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    planning.plan_intake()
    first = upcoming_a(cast)[0]
    with time_machine.travel(first.ends_at + timedelta(minutes=1), tick=False):
        planning.plan_sessions()
        body = signed_in(cast.facilitator).get(admins_url(cast)).json()
        assert body["count"] == Administration.objects.filter(group=cast.group_a).count()
        for row in body["results"]:
            assert not {"total", "band", "flags", "subscales", "is_complete"} & set(row)
        only = signed_in(cast.coordinator).get(admins_url(cast), {"session": first.pk}).json()
        assert {r["session"] for r in only["results"]} == {first.pk}
        assert (
            signed_in(cast.coordinator).get(admins_url(cast), {"status": "bad"}).status_code == 400
        )


def test_group_administrations_query_count_is_constant(
    cast, builtin_instruments, django_assert_max_num_queries
):
    with_defaults(cast, builtin_instruments)
    http = signed_in(cast.coordinator)
    planning.plan_intake()
    http.get(admins_url(cast))
    with CaptureQueriesContext(connection) as few:
        http.get(admins_url(cast))
    for session in upcoming_a(cast)[:4]:
        with time_machine.travel(session.ends_at + timedelta(minutes=1), tick=False):
            planning.plan_sessions()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert http.get(admins_url(cast)).json()["count"] > 10


def test_sending_one_now_through_the_api(cast, builtin_instruments):
    data = {"client": cast.client.pk, "instrument": "who5"}
    assert send(signed_in(cast.coordinator), "post", admins_url(cast), data).status_code == 403
    response = send(
        signed_in(cast.facilitator),
        "post",
        admins_url(cast),
        {"client": cast.outsider_client.pk, "instrument": "who5"},
    )
    assert response.status_code == 404  # not someone the facilitator may see
    assert "Casey" not in response.content.decode()
    response = send(signed_in(cast.facilitator), "post", admins_url(cast), data)
    assert response.status_code == 201
    assert response.json()["reason"] == "adhoc"
    assert send(signed_in(cast.facilitator), "post", admins_url(cast), data).status_code == 409


def test_a_client_s_administrations(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    planning.plan_intake()
    url = f"/api/v1/clients/{cast.client.pk}/administrations/"
    coordinator = signed_in(cast.coordinator).get(url).json()
    assert coordinator["count"] == 2
    assert signed_in(cast.facilitator).get(url).json()["count"] == 2
    assert signed_in(cast.facilitator_b).get(url).status_code == 404
    assert signed_in(cast.member).get(url).status_code == 404
    other = f"/api/v1/clients/{cast.outsider_client.pk}/administrations/"
    assert signed_in(cast.facilitator).get(other).status_code == 404
