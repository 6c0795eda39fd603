"""API: /api/v1/sessions/mine/, /sessions/{id}/attendance/, /attestation/, /join/ and
/api/v1/reports/licensure/. Scopes, access (404 for others), bad input, query counts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import allowed_scopes, api_token_create
from kindred.core.testing import Cast, signed_in
from kindred.groups.services import group_update
from kindred.scheduling import gate
from kindred.scheduling.models import AbsenceNotice, Attendance, GroupSession, StateAttestation
from kindred.scheduling.tests.g2_support import at, upcoming

LINK = "https://video.example.test/rooms/steady-ground"


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def token_for(user: User, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return bearer(raw)


def put(http: HttpClient, url: str, data: Any) -> Any:
    return http.put(url, json.dumps(data), content_type="application/json")


def post(http: HttpClient, url: str, data: Any) -> Any:
    return http.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def session(cast: Cast, settings: Any) -> GroupSession:
    settings.KINDRED_VIDEO_PROVIDER = "external"
    group_update(actor=None, group=cast.group_a, external_video_link=LINK)
    return upcoming(cast.group_a)


def sheet(session: GroupSession) -> str:
    return f"/api/v1/sessions/{session.pk}/attendance/"


def during(session: GroupSession) -> Any:
    return at(session.starts_at + timedelta(minutes=15))


def in_window(session: GroupSession) -> Any:
    return at(session.starts_at - timedelta(minutes=5))


# --- Scopes ------------------------------------------------------------------------------------


def test_who_may_hold_the_sessions_scopes(cast):
    for who in ("admin", "coordinator", "facilitator", "facilitator_b", "supervisor"):
        assert {Scope.SESSIONS_READ, Scope.SESSIONS_WRITE} <= allowed_scopes(getattr(cast, who))
    assert Scope.SESSIONS_READ not in allowed_scopes(cast.billing)
    assert Scope.SESSIONS_READ not in allowed_scopes(cast.member)


def test_read_scope_reads_the_sheet_and_cannot_write(cast, session):
    http = token_for(cast.coordinator, "sessions:read")
    assert http.get(sheet(session)).status_code == 200
    rows = [{"client_id": cast.client.pk, "status": "virtual"}]
    with during(session):
        assert put(http, sheet(session), {"rows": rows}).status_code == 403
    assert not Attendance.objects.exists()


def test_other_scopes_get_nothing(cast, session):
    http = token_for(cast.coordinator, "clients:read")
    assert http.get(sheet(session)).status_code == 403
    assert http.get("/api/v1/reports/licensure/").status_code == 403


def test_anonymous_is_refused(cast, session):
    assert HttpClient().get(sheet(session)).status_code in {401, 403}
    assert HttpClient().get("/api/v1/sessions/mine/").status_code in {401, 403}


# --- Attendance --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("facilitator", 200),
        ("coordinator", 200),
        ("supervisor", 403),
        ("facilitator_b", 404),
        ("billing", 404),
        ("member", 404),
        ("outsider", 404),
    ],
)
def test_who_may_read_the_attendance_sheet(cast, session, who, status):
    assert signed_in(getattr(cast, who)).get(sheet(session)).status_code == status


def test_the_sheet_lists_members_with_notices_and_attestations(cast, session):
    AbsenceNotice.objects.create(session=session, client=cast.client_b)
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="FL")
    data = signed_in(cast.facilitator).get(sheet(session)).json()
    assert data["session_id"] == session.pk
    assert data["attendance_taken_at"] is None
    rows = {r["client_id"]: r for r in data["rows"]}
    assert set(rows) == {cast.client.pk, cast.client_b.pk}
    assert rows[cast.client.pk]["attestation"]["state"] == "FL"
    assert rows[cast.client.pk]["attestation"]["allowed"] is False
    assert "Fern Facilitator" in rows[cast.client.pk]["attestation"]["reason"]
    assert rows[cast.client_b.pk]["absence_notice"] is True
    assert rows[cast.client_b.pk]["status"] == "absent_notice"
    assert rows[cast.client_b.pk]["suggested"] is True


def test_put_records_all_rows(cast, session):
    http = token_for(cast.coordinator, "sessions:read", "sessions:write")
    joined = (session.starts_at + timedelta(minutes=12)).isoformat()
    with during(session):
        response = put(
            http,
            sheet(session),
            {
                "rows": [
                    {"client_id": cast.client.pk, "status": "late", "joined_at": joined},
                    {"client_id": cast.client_b.pk, "status": "no_show"},
                ]
            },
        )
    assert response.status_code == 200
    data = response.json()
    assert data["attendance_taken_at"] is not None
    statuses = {r["client_id"]: (r["status"], r["suggested"]) for r in data["rows"]}
    assert statuses == {cast.client.pk: ("late", False), cast.client_b.pk: ("no_show", False)}
    assert Attendance.objects.get(client=cast.client).joined_at == session.starts_at + timedelta(
        minutes=12
    )


def test_put_with_a_bad_row_gives_field_errors_per_row_and_saves_nothing(cast, session):
    start = session.starts_at
    with during(session):
        response = put(
            signed_in(cast.facilitator),
            sheet(session),
            {
                "rows": [
                    {"client_id": cast.client_b.pk, "status": "virtual"},
                    {
                        "client_id": cast.client.pk,
                        "status": "left_early",
                        "joined_at": (start + timedelta(minutes=40)).isoformat(),
                        "left_at": (start + timedelta(minutes=10)).isoformat(),
                    },
                    {"client_id": cast.outsider_client.pk, "status": "virtual"},
                ]
            },
        )
    assert response.status_code == 400
    rows = response.json()["rows"]
    assert rows[0] == {}
    assert rows[1] == {"left_at": ["The leaving time must be after the joining time."]}
    assert "did not have a place in the group" in rows[2]["client"][0]
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"rows": []},
        {"rows": [{"client_id": "x", "status": "virtual"}]},
        {"rows": [{"client_id": 1, "status": "asleep"}]},
        {"rows": [{"client_id": 1, "status": "virtual", "joined_at": "yesterday"}]},
    ],
)
def test_put_with_the_wrong_shape_is_400(cast, session, body):
    with during(session):
        response = put(signed_in(cast.facilitator), sheet(session), body)
    assert response.status_code == 400
    assert "rows" in response.json()
    assert not Attendance.objects.exists()


def test_put_before_the_session_is_a_conflict(cast, session):
    with at(session.starts_at - timedelta(hours=3)):
        response = put(
            signed_in(cast.facilitator),
            sheet(session),
            {"rows": [{"client_id": cast.client.pk, "status": "virtual"}]},
        )
    assert response.status_code == 409
    assert not Attendance.objects.exists()


def test_others_cannot_put(cast, session):
    rows = {"rows": [{"client_id": cast.outsider_client.pk, "status": "virtual"}]}
    with during(session):
        assert put(signed_in(cast.facilitator_b), sheet(session), rows).status_code == 404
        assert put(signed_in(cast.supervisor), sheet(session), rows).status_code == 403
    assert not Attendance.objects.exists()


def test_the_sheet_takes_the_same_queries_for_more_members(cast, session):
    from kindred.web.tests.test_session_pages import add_members

    http = token_for(cast.coordinator, "sessions:read")
    http.get(sheet(session))

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(sheet(session)).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    add_members(cast.group_a, 10, name="Api")
    assert len(http.get(sheet(session)).json()["rows"]) == 12
    assert queries() == few


# --- My sessions -------------------------------------------------------------------------------


def test_my_sessions_lists_today_upcoming_and_attendance_to_take(cast, session):
    with at(session.starts_at - timedelta(minutes=5)):
        data = signed_in(cast.facilitator).get("/api/v1/sessions/mine/").json()
    assert [s["id"] for s in data["today"]] == [session.pk]
    assert data["today"][0]["members_expected"] == 2
    assert data["today"][0]["can_start"] is True
    assert data["today"][0]["group_name"] == "Steady Ground"
    assert len(data["upcoming"]) == 1
    assert data["attendance_to_take_count"] == len(data["attendance_to_take"]) >= 1


def test_my_sessions_is_for_clinicians(cast):
    assert signed_in(cast.billing).get("/api/v1/sessions/mine/").status_code == 404
    assert signed_in(cast.member).get("/api/v1/sessions/mine/").status_code == 404
    assert signed_in(cast.facilitator_b).get("/api/v1/sessions/mine/").status_code == 200


# --- Attestation and join ---------------------------------------------------------------------


def attestation(session: GroupSession) -> str:
    return f"/api/v1/sessions/{session.pk}/attestation/"


def join(session: GroupSession) -> str:
    return f"/api/v1/sessions/{session.pk}/join/"


def test_a_member_attests_and_gets_the_join_link(cast, session):
    with in_window(session):
        http = signed_in(cast.member)
        assert http.get(join(session)).status_code == 409
        response = post(http, attestation(session), {"state": "KS"})
        assert response.status_code == 200
        assert response.json()["allowed"] is True
        link = http.get(join(session))
    assert link.status_code == 200
    assert link.json() == {"url": LINK, "moderator": False}
    assert link["Cache-Control"] == "no-store"


def test_an_uncovered_state_answers_with_a_kind_reason(cast, session):
    with in_window(session):
        http = signed_in(cast.member)
        data = post(http, attestation(session), {"state": "FL"}).json()
        assert http.get(join(session)).status_code == 409
    assert data["allowed"] is False
    assert data["covered_states"] == ["IL", "KS"]
    assert "Illinois or Kansas" in data["reason"]


def test_a_bad_state_is_a_field_error_and_nothing_is_saved(cast, session):
    with in_window(session):
        response = post(signed_in(cast.member), attestation(session), {"state": "QQ"})
    assert response.status_code == 400
    assert "state" in response.json()
    assert not StateAttestation.objects.exists()


def test_attestation_and_join_are_closed_outside_the_window(cast, session):
    with at(session.starts_at - timedelta(hours=1)):
        http = signed_in(cast.member)
        assert post(http, attestation(session), {"state": "IL"}).status_code == 409
        assert http.get(join(session)).status_code == 409
    assert not StateAttestation.objects.exists()


def test_others_find_no_session_to_attest_or_join(cast, session):
    with in_window(session):
        assert (
            post(signed_in(cast.outsider), attestation(session), {"state": "FL"}).status_code == 404
        )
        assert signed_in(cast.outsider).get(join(session)).status_code == 404
        assert (
            post(signed_in(cast.facilitator), attestation(session), {"state": "IL"}).status_code
            == 404
        )
        assert signed_in(cast.facilitator_b).get(join(session)).status_code == 404
    assert not StateAttestation.objects.exists()


def test_a_facilitator_gets_a_moderator_link_in_the_window(cast, session):
    with in_window(session):
        data = signed_in(cast.facilitator).get(join(session)).json()
        assert signed_in(cast.coordinator).get(join(session)).status_code == 403
    assert data == {"url": LINK, "moderator": True}


# --- The licensure report ----------------------------------------------------------------------


def test_the_report_for_coordinators(cast, session):
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="FL")
    http = token_for(cast.coordinator, "sessions:read")
    data = http.get("/api/v1/reports/licensure/").json()
    assert data["at_risk_days"] == 14
    assert data["expiry_days"] == 60
    risky = {(r["member"], r["state"], r["state_source"]) for r in data["at_risk"]}
    assert ("Avery Member", "FL", "attested") in risky
    assert data["expiring"] == []
    assert signed_in(cast.facilitator).get("/api/v1/reports/licensure/").status_code == 403
    assert signed_in(cast.member).get("/api/v1/reports/licensure/").status_code == 404


def test_the_schema_lists_the_session_endpoints(cast):
    schema = signed_in(cast.admin).get("/api/schema/?format=json")
    assert schema.status_code == 200
    body = schema.content.decode()
    for path in (
        "/api/v1/sessions/mine/",
        "/api/v1/sessions/{session_id}/attendance/",
        "/api/v1/sessions/{session_id}/attestation/",
        "/api/v1/sessions/{session_id}/join/",
        "/api/v1/reports/licensure/",
    ):
        assert path in body, path
