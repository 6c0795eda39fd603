"""API: /api/v1/me/sessions/ (+ absence), /api/v1/me/calendar-feed/, and the public
/api/v1/directory/groups/."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.token_services import api_token_create
from kindred.core.testing import signed_in
from kindred.scheduling.member import absence_notice_give, upcoming_sessions
from kindred.scheduling.models import AbsenceNotice, CalendarFeed
from kindred.scheduling.tests.member_setup import (
    VIDEO_LINK,
    enrol,
    make_group,
    next_weekday,
)

SESSIONS = "/api/v1/me/sessions/"
FEED = "/api/v1/me/calendar-feed/"
DIRECTORY = "/api/v1/directory/groups/"


def _next(cast: Any, client: Any = None) -> Any:
    return upcoming_sessions(client or cast.client).filter(starts_at__gt=timezone.now()).first()


def _post(http: HttpClient, url: str, data: Any = None) -> Any:
    return http.post(url, json.dumps(data or {}), content_type="application/json")


def _bearer(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- A member's sessions -------------------------------------------------------------------


def test_a_member_lists_their_own_upcoming_sessions(cast):
    cast.group_a.external_video_link = VIDEO_LINK
    cast.group_a.save(update_fields=["external_video_link"])
    absence_notice_give(actor=cast.member_b, session=_next(cast), note="Blair's note")
    response = signed_in(cast.member).get(SESSIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 1
    first = body["results"][0]
    assert first["group_name"] == "Steady Ground"
    assert first["time_zone"] == "Central Time"
    assert first["online"] is True
    assert first["place"] is None
    assert first["absence_notice"] is None
    assert first["join"]["status"] in {"not_yet", "needs_attestation"}
    text = response.content.decode()
    for word in ("video.example.test", "Blair", "Open Harbor"):
        assert word not in text
    assert {r["group_id"] for r in body["results"]} == {cast.group_a.pk}


@pytest.mark.parametrize("who", ["facilitator", "coordinator", "admin"])
def test_staff_have_no_member_sessions(cast, who):
    assert signed_in(getattr(cast, who)).get(SESSIONS).status_code == 404


def test_member_endpoints_refuse_tokens_and_anonymous_callers(cast):
    token = _bearer(cast.coordinator, "clients:read", "clients:write")
    assert token.get(SESSIONS).status_code == 403
    assert token.get(FEED).status_code == 403
    assert _post(token, FEED).status_code == 403
    assert HttpClient().get(SESSIONS).status_code in {401, 403}
    assert HttpClient().get(FEED).status_code in {401, 403}
    assert not CalendarFeed.objects.exists()


def test_the_session_list_takes_a_constant_number_of_queries(cast, django_assert_max_num_queries):
    http = signed_in(cast.member)
    http.get(SESSIONS)
    with django_assert_max_num_queries(12) as before:
        http.get(SESSIONS)
    before_count = len(before.captured_queries)  # before the next request clears the log
    for weekday in (0, 3, 4):
        enrol(
            cast,
            make_group(cast, f"Extra {weekday}", start_date=next_weekday(weekday)),
            cast.client,
        )
    with django_assert_max_num_queries(before_count):
        response = http.get(SESSIONS)
    assert len({r["group_id"] for r in response.json()["results"]}) == 4


# --- Absence notices -----------------------------------------------------------------------


def test_a_member_gives_and_withdraws_an_absence_notice(cast):
    session = _next(cast)
    http = signed_in(cast.member)
    url = f"{SESSIONS}{session.pk}/absence/"
    response = _post(http, url, {"note": "Family visit"})
    assert response.status_code == 201
    assert response.json()["note"] == "Family visit"
    listed = http.get(SESSIONS).json()["results"]
    mine = next(r for r in listed if r["id"] == session.pk)
    assert mine["absence_notice"]["note"] == "Family visit"
    assert http.delete(url).status_code == 204
    assert not AbsenceNotice.objects.exists()
    assert http.delete(url).status_code == 404


def test_bad_input_is_a_400_with_the_field_and_nothing_saved(cast):
    session = _next(cast)
    response = _post(
        signed_in(cast.member), f"{SESSIONS}{session.pk}/absence/", {"note": "x" * 501}
    )
    assert response.status_code == 400
    assert "note" in response.json()
    assert not AbsenceNotice.objects.exists()


def test_another_groups_session_is_a_404(cast):
    theirs = _next(cast, cast.outsider_client)
    response = _post(signed_in(cast.member), f"{SESSIONS}{theirs.pk}/absence/", {"note": ""})
    assert response.status_code == 404
    assert not AbsenceNotice.objects.exists()


def test_after_the_start_it_is_a_409(cast):
    session = _next(cast)
    http = signed_in(cast.member)
    with time_machine.travel(session.starts_at + timedelta(minutes=1), tick=False):
        http = signed_in(cast.member)
        response = _post(http, f"{SESSIONS}{session.pk}/absence/", {})
    assert response.status_code == 409
    assert not AbsenceNotice.objects.exists()


# --- Calendar feed -------------------------------------------------------------------------


def test_make_use_and_turn_off_a_feed_address(cast):
    http = signed_in(cast.member)
    assert http.get(FEED).json() == {"active": False, "created_at": None, "last_fetched_at": None}
    made = _post(http, FEED)
    assert made.status_code == 201
    assert made["Cache-Control"] == "no-store"
    url = made.json()["url"]
    assert made.json()["webcal_url"].startswith("webcal://")
    path = url.split("8000", 1)[1]
    assert HttpClient().get(path).status_code == 200
    assert http.get(FEED).json()["active"] is True
    assert http.delete(FEED).status_code == 204
    assert HttpClient().get(path).status_code == 404


def test_staff_manage_their_feed_through_the_api_too(cast):
    http = signed_in(cast.facilitator)
    assert _post(http, FEED).status_code == 201


# --- Public directory ------------------------------------------------------------------------


def test_anyone_reads_the_directory(cast):
    response = HttpClient().get(DIRECTORY)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    results = {g["slug"]: g for g in response.json()["results"]}
    a = results[cast.group_a.slug]
    assert a["name"] == "Steady Ground"
    assert a["serves_states"] == ["IL", "KS"]
    assert a["seats_open"] is True
    assert a["schedule"]["frequency"] == "Every week"
    assert a["city"] is None
    text = response.content.decode()
    for word in ("Avery", "Blair", "Casey", "@example.test", "external_video_link"):
        assert word not in text


def test_one_group_and_a_missing_one(cast):
    http = HttpClient()
    assert http.get(f"{DIRECTORY}{cast.group_b.slug}/").json()["serves_states"] == ["FL"]
    assert http.get(f"{DIRECTORY}no-such-group/").status_code == 404


def test_the_directory_is_read_only(cast):
    assert _post(HttpClient(), DIRECTORY, {"name": "x"}).status_code == 405
    assert HttpClient().delete(f"{DIRECTORY}{cast.group_a.slug}/").status_code == 405


def test_filters_and_a_signed_in_session_changes_nothing(cast):
    http = signed_in(cast.member)
    assert http.get(f"{DIRECTORY}?modality=in_person").json()["results"] == []
    assert len(http.get(f"{DIRECTORY}?modality=virtual").json()["results"]) == 2
    assert http.get(f"{DIRECTORY}?concern=abc").status_code == 200


def test_the_directory_api_takes_a_constant_number_of_queries(cast, django_assert_max_num_queries):
    http = HttpClient()
    http.get(DIRECTORY)
    with django_assert_max_num_queries(15) as before:
        http.get(DIRECTORY)
    before_count = len(before.captured_queries)  # before the next request clears the log
    for i, weekday in enumerate((0, 3, 4)):
        make_group(
            cast,
            f"Group {i}",
            start_date=next_weekday(weekday),
            co_facilitators=[cast.supervisor_clinician],
        )
    with django_assert_max_num_queries(before_count):
        assert len(http.get(DIRECTORY).json()["results"]) == 5


def test_the_schema_lists_the_member_and_directory_paths(cast):
    schema = signed_in(cast.admin).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    for path in (
        "/api/v1/me/sessions/",
        "/api/v1/me/sessions/{session_id}/absence/",
        "/api/v1/me/calendar-feed/",
        "/api/v1/directory/groups/",
        "/api/v1/directory/groups/{slug}/",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/directory/groups/"]) == {"get"}
    names = {p["name"] for p in paths["/api/v1/directory/groups/"]["get"]["parameters"]}
    assert {"concern", "modality", "page"} <= names
