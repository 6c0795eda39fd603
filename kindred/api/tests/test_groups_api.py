"""API v1 for groups, their sessions and places: scopes, roles, field errors, 404s,
409s and query counts."""

from __future__ import annotations

import json
from datetime import time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import allowed_scopes, api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import signed_in
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupStatus, TherapyGroup
from kindred.groups.tests.factories import chicago, enrol, make_group, next_weekday, person
from kindred.intake.tests.screening_support import admit
from kindred.scheduling.models import GroupSession, SessionStatus

LIST = "/api/v1/groups/"


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return bearer(raw)


def post(http: HttpClient, url: str, data: Any = None) -> Any:
    return http.post(url, json.dumps(data or {}), content_type="application/json")


def patch(http: HttpClient, url: str, data: Any) -> Any:
    return http.patch(url, json.dumps(data), content_type="application/json")


def payload(cast: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Monday Parenting Circle",
        "description": "Support for parents of teenagers.",
        "lead_facilitator": cast.clinician.pk,
        "recurrence": "FREQ=WEEKLY;COUNT=6",
        "start_date": next_weekday(0).isoformat(),
        "start_time": "12:00",
        "timezone": "America/Chicago",
        "min_size": 3,
        "max_size": 9,
    }
    data.update(overrides)
    return data


def upcoming(group: TherapyGroup) -> GroupSession:
    return group.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at")[0]


# --- Scopes --------------------------------------------------------------------------------


def test_who_may_hold_group_scopes(cast):
    for who in ["admin", "coordinator"]:
        assert {Scope.GROUPS_READ, Scope.GROUPS_WRITE} <= allowed_scopes(getattr(cast, who))
    for who in ["facilitator", "supervisor", "billing", "member"]:
        assert Scope.GROUPS_WRITE not in allowed_scopes(getattr(cast, who))
        assert Scope.GROUPS_READ not in allowed_scopes(getattr(cast, who))


def test_a_token_needs_the_scope(cast):
    reader = token_for(cast.coordinator, "groups:read")
    assert reader.get(LIST).status_code == 200
    assert post(reader, LIST, payload(cast)).status_code == 403
    assert token_for(cast.coordinator, "clients:read").get(LIST).status_code == 403
    writer = token_for(cast.coordinator, "groups:read", "groups:write")
    assert post(writer, LIST, payload(cast)).status_code == 201


# --- Groups --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("coordinator", {"Steady Ground", "Open Harbor"}),
        ("facilitator", {"Steady Ground"}),
        ("facilitator_b", {"Open Harbor"}),
        ("billing", set()),
    ],
)
def test_list_by_role(cast, who, names):
    response = signed_in(getattr(cast, who)).get(LIST)
    assert response.status_code == 200
    assert {g["name"] for g in response.json()["results"]} == names


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_members_find_nothing(cast, who):
    http = signed_in(getattr(cast, who))
    assert http.get(LIST).status_code == 404
    assert http.get(f"{LIST}{cast.group_a.pk}/").status_code == 404
    assert http.get(f"{LIST}{cast.group_a.pk}/enrollments/").status_code == 404


def test_list_counts_places_and_keeps_its_query_count(cast):
    http = signed_in(cast.coordinator)
    http.get(LIST)
    with CaptureQueriesContext(connection) as few:
        rows = http.get(LIST).json()["results"]
    assert {r["name"]: r["seats_taken"] for r in rows} == {"Steady Ground": 2, "Open Harbor": 1}
    for i in range(15):
        group = make_group(
            cast,
            name=f"G{i}",
            recurrence="FREQ=WEEKLY;COUNT=2",
            start_time=time(6 + i, 0),
            co_facilitators=[cast.supervisor_clinician],
        )
        enrol(cast, group, person(f"P{i}"))
    with CaptureQueriesContext(connection) as many:
        assert len(http.get(LIST).json()["results"]) == 17
    assert len(many.captured_queries) == len(few.captured_queries)


def test_bad_list_parameters_are_400(cast):
    http = signed_in(cast.coordinator)
    assert "status" in http.get(LIST, {"status": "sleeping"}).json()
    assert "facilitator" in http.get(LIST, {"facilitator": str(2**70)}).json()


def test_create_read_and_patch(cast):
    http = signed_in(cast.coordinator)
    response = post(http, LIST, payload(cast))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["seats_taken"], body["slug"]) == (
        "forming",
        0,
        "monday-parenting-circle",
    )
    group = TherapyGroup.objects.get(pk=body["id"])
    assert group.sessions.count() == 6
    assert http.get(f"{LIST}{group.pk}/").json()["name"] == "Monday Parenting Circle"
    response = patch(http, f"{LIST}{group.pk}/", {"session_minutes": 60, "max_size": 7})
    assert response.status_code == 200
    assert (response.json()["session_minutes"], response.json()["max_size"]) == (60, 7)
    assert {s.ends_at - s.starts_at for s in group.sessions.all()} == {timedelta(minutes=60)}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recurrence": "FREQ=WEEKLY"}, "recurrence"),
        ({"recurrence": "FREQ=WEEKLY;UNTIL=20000101"}, "recurrence"),
        ({"min_size": 9, "max_size": 3}, "max_size"),
        ({"modality": "in_person"}, "location"),
        ({"lead_facilitator": 987654}, "lead_facilitator"),
        ({"start_time": "9 in the evening"}, "start_time"),
        ({"timezone": "Moon/Base"}, "timezone"),
        ({"status": "completed"}, "status"),
    ],
)
def test_bad_input_is_400_with_the_field_and_nothing_saved(cast, overrides, field):
    before = (TherapyGroup.objects.count(), GroupSession.objects.count())
    response = post(signed_in(cast.coordinator), LIST, payload(cast, **overrides))
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert (TherapyGroup.objects.count(), GroupSession.objects.count()) == before


def test_unlicensed_in_person_facilitator_is_a_field_error(cast):
    loop = chicago()
    response = post(
        signed_in(cast.coordinator),
        LIST,
        payload(cast, modality="in_person", location=loop.pk, lead_facilitator=cast.clinician_b.pk),
    )
    assert response.status_code == 400
    assert "Flint Facilitator cannot practise in Illinois" in response.json()["lead_facilitator"][0]


def test_capacity_below_enrollment_is_a_field_error(cast):
    response = patch(
        signed_in(cast.coordinator), f"{LIST}{cast.group_a.pk}/", {"min_size": 1, "max_size": 1}
    )
    assert response.status_code == 400
    assert "2 people already hold a place" in response.json()["max_size"][0]


def test_facilitators_read_but_do_not_change(cast):
    http = signed_in(cast.facilitator)
    url = f"{LIST}{cast.group_a.pk}/"
    assert http.get(url).status_code == 200
    assert patch(http, url, {"name": "Mine now"}).status_code == 403
    assert post(http, f"{url}pause/").status_code == 403
    assert post(http, LIST, payload(cast)).status_code == 403
    assert signed_in(cast.facilitator_b).get(url).status_code == 404
    assert AuditEvent.objects.filter(
        category=Category.DENIED, actor=cast.facilitator_b, object_id=str(cast.group_a.pk)
    ).exists()


def test_status_actions(cast):
    http = signed_in(cast.coordinator)
    url = f"{LIST}{cast.group_a.pk}/"
    response = post(http, f"{url}pause/")
    assert response.json()["status"] == GroupStatus.PAUSED
    assert post(http, f"{url}pause/").status_code == 409
    assert post(http, f"{url}activate/").json()["status"] == GroupStatus.ACTIVE
    assert post(http, f"{url}complete/").json()["status"] == GroupStatus.COMPLETED
    response = post(http, f"{url}cancel/")
    assert response.status_code == 409
    assert "cannot become cancelled" in response.json()["detail"]


# --- Sessions ------------------------------------------------------------------------------


def test_sessions_list_and_retrieve(cast):
    http = signed_in(cast.facilitator)
    url = f"{LIST}{cast.group_a.pk}/sessions/"
    upcoming_rows = http.get(url).json()["results"]
    past_rows = http.get(url, {"when": "past"}).json()["results"]
    assert len(upcoming_rows) + len(past_rows) == 12
    one = upcoming_rows[0]
    assert http.get(f"{url}{one['id']}/").json()["starts_at"] == one["starts_at"]
    # A session of group B through group A's address is not found.
    other = upcoming(cast.group_b)
    assert signed_in(cast.coordinator).get(f"{url}{other.pk}/").status_code == 404
    assert http.get(url, {"when": "someday"}).status_code == 400


def test_session_operations(cast):
    http = signed_in(cast.coordinator)
    session = upcoming(cast.group_a)
    base = f"{LIST}{cast.group_a.pk}/sessions/{session.pk}/"
    response = post(http, f"{base}cancel/", {"reason": ""})
    assert response.status_code == 400
    assert "reason" in response.json()
    new_start = session.starts_at + timedelta(days=1)
    response = post(
        http,
        f"{base}reschedule/",
        {
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start - timedelta(hours=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert response.json()["ends_at"] == ["The end must be after the start."]
    response = post(http, f"{base}reschedule/", {"starts_at": new_start.isoformat()})
    assert response.status_code == 200
    assert response.json()["is_rescheduled"] is True
    assert response.json()["sequence"] == 1
    response = post(http, f"{base}substitute/", {"substitute_facilitator": cast.clinician_b.pk})
    assert response.status_code == 200
    assert response.json()["session"]["substitute_facilitator"] == cast.clinician_b.pk
    assert "not licensed for Illinois, Kansas" in response.json()["warnings"][0]
    response = post(http, f"{base}move-online/")
    assert response.status_code == 409  # already online
    response = post(http, f"{base}cancel/", {"reason": "Holiday"})
    assert response.json()["status"] == SessionStatus.CANCELLED
    # Facilitators cannot change sessions.
    other = upcoming(cast.group_a)
    response = post(
        signed_in(cast.facilitator),
        f"{LIST}{cast.group_a.pk}/sessions/{other.pk}/cancel/",
        {"reason": "x"},
    )
    assert response.status_code == 403


# --- Places ------------------------------------------------------------------------------


def test_roster_for_managers_and_facilitators_only(cast):
    url = f"{LIST}{cast.group_a.pk}/enrollments/"
    for who in ["coordinator", "facilitator"]:
        rows = signed_in(getattr(cast, who)).get(url).json()["results"]
        assert {r["client_name"] for r in rows} == {"Avery Member", "Blair Member"}
    assert signed_in(cast.supervisor).get(url).status_code == 403
    assert signed_in(cast.facilitator_b).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="groups.roster.viewed").count() == 2


def test_place_lifecycle_and_the_last_seat(cast):
    group = make_group(cast, min_size=1, max_size=1)
    http = signed_in(cast.coordinator)
    url = f"{LIST}{group.pk}/enrollments/"
    ana, ben = person("Ana"), person("Ben")
    response = post(http, url, {"client": ana.pk})
    assert response.status_code == 201
    enrollment_id = response.json()["id"]
    response = post(http, url, {"client": ben.pk})
    assert response.status_code == 409
    assert response.json()["detail"] == "The group is full."
    assert post(http, url, {"client": 987654}).status_code == 404
    base = f"{url}{enrollment_id}/"
    # Joining waits for a screening that admits them (intake/admission.py)...
    response = post(http, f"{base}activate/")
    assert response.status_code == 409
    assert response.json()["code"] == "admission_incomplete"
    admit(ana, group)  # ...and the admit activates the place.
    assert Enrollment.objects.get(pk=enrollment_id).status == EnrollmentStatus.ACTIVE
    response = post(http, f"{base}remove/", {"reason": ""})
    assert response.status_code == 400
    assert response.json() == {"reason": ["Say why, in a few words."]}
    response = post(http, f"{base}withdraw/", {"reason": "Moving away"})
    assert response.json()["status"] == EnrollmentStatus.WITHDREW
    assert post(http, f"{base}graduate/").status_code == 409
    # Now there is room for Ben.
    assert post(http, url, {"client": ben.pk}).status_code == 201


def test_an_enrollment_of_another_group_is_not_found(cast):
    other = Enrollment.objects.get(group=cast.group_b)
    response = post(
        signed_in(cast.coordinator),
        f"{LIST}{cast.group_a.pk}/enrollments/{other.pk}/remove/",
        {"reason": "x"},
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == EnrollmentStatus.ACTIVE
