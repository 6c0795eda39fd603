"""Session pages: the attendance sheet, "Start session", the facilitator's home, the
member's attestation and Join, and the coordinator's licensure report. Access (others'
sessions are 404), bad input (nothing saved), query counts."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.models import User
from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.clients.services import client_create
from kindred.core.testing import PASSWORD, Cast, signed_in
from kindred.groups.models import TherapyGroup
from kindred.groups.services import enrollment_activate, enrollment_invite, group_update
from kindred.practice.models import License
from kindred.practice.settings import practice_today
from kindred.scheduling import gate
from kindred.scheduling.attendance import session_local_date
from kindred.scheduling.models import AbsenceNotice, Attendance, GroupSession, StateAttestation
from kindred.scheduling.tests.g2_support import at, set_expiry, upcoming

LINK = "https://video.example.test/rooms/steady-ground"


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(response: Any) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def reauthenticated(user: User) -> HttpClient:
    http = signed_in(user)
    response = http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    return http


def count_queries(http: HttpClient, url: str) -> tuple[int, Any]:
    http.get(url)  # warm up: caches and once-per-session work are not the page's
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def add_members(group: TherapyGroup, count: int, name: str = "Page") -> list[Client]:
    group_update(actor=None, group=group, max_size=20)
    clients = []
    for i in range(count):
        client = client_create(
            actor=None,
            legal_first_name=f"{name}{i:02d}",
            legal_last_name="Member",
            date_of_birth=date(1988, 1, 1 + i),
            state_of_residence="IL",
            email=f"{name.lower()}{i:02d}@example.test",
        )
        enrollment = enrollment_activate(
            actor=None, enrollment=enrollment_invite(actor=None, group=group, client=client)
        )
        clients.append(enrollment.client)
    return clients


@pytest.fixture
def session(cast: Cast, settings: Any) -> GroupSession:
    settings.KINDRED_VIDEO_PROVIDER = "external"
    group_update(actor=None, group=cast.group_a, external_video_link=LINK)
    return upcoming(cast.group_a)


def sheet_url(session: GroupSession) -> str:
    return f"/sessions/{session.pk}/attendance/"


def during(session: GroupSession) -> time_machine.travel:
    return at(session.starts_at + timedelta(minutes=20))


def in_window(session: GroupSession) -> time_machine.travel:
    return at(session.starts_at - timedelta(minutes=5))


# --- The attendance sheet ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("facilitator", 200),
        ("coordinator", 200),
        ("admin", 200),
        ("supervisor", 403),  # sees the group (supervises its lead) but does not run it
        ("facilitator_b", 404),
        ("billing", 404),
        ("member", 404),
        ("outsider", 404),
    ],
)
def test_who_may_open_the_attendance_sheet(cast, session, who, status):
    response = signed_in(getattr(cast, who)).get(sheet_url(session))
    assert response.status_code == status


def test_a_missing_session_is_404_and_anonymous_signs_in(cast, session):
    assert signed_in(cast.facilitator).get("/sessions/999999/attendance/").status_code == 404
    response = HttpClient().get(sheet_url(session))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_elses_session_is_recorded_as_denied(cast, session):
    signed_in(cast.facilitator_b).get(sheet_url(session))
    signed_in(cast.outsider).get(sheet_url(session))
    denied = AuditEvent.objects.filter(action="scheduling.groupsession.denied")
    assert set(denied.values_list("actor__email", flat=True)) == {
        cast.facilitator_b.email,
        cast.outsider.email,
    }


def test_the_sheet_shows_members_notices_and_attested_states(cast, session):
    AbsenceNotice.objects.create(session=session, client=cast.client_b, note="At a funeral")
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="KS")
    response = signed_in(cast.facilitator).get(sheet_url(session))
    page = text(response)
    assert response["Cache-Control"] == "no-store"
    assert "Avery Member" in page
    assert "Blair Member" in page
    assert "Casey" not in page
    assert re.search(r"6 p\.m\.–7:30 p\.m\. C[SD]T", page)
    assert "Attested Kansas — allowed" in page
    assert "Absence notice" in page
    assert "At a funeral" in page
    # Blair's row suggests "absent with notice", checked but not yet saved.
    assert re.search(
        rf'name="status-{cast.client_b.pk}" value="absent_notice" checked',
        response.content.decode(),
    )
    assert "Suggested — not saved yet" in page


def test_saving_the_sheet_records_every_row_in_one_request(cast, session):
    with during(session):
        http = signed_in(cast.facilitator)
        response = http.post(
            sheet_url(session),
            {
                f"status-{cast.client.pk}": "late",
                f"joined-{cast.client.pk}": timezone.localtime(
                    session.starts_at + timedelta(minutes=15), ZoneInfo("America/Chicago")
                ).strftime("%H:%M"),
                f"status-{cast.client_b.pk}": "virtual",
            },
        )
    assert response.status_code == 302, text(response)
    rows = {a.client_id: a for a in Attendance.objects.filter(session=session)}
    assert rows[cast.client.pk].status == "late"
    assert rows[cast.client.pk].joined_at == session.starts_at + timedelta(minutes=15)
    assert rows[cast.client_b.pk].status == "virtual"
    session.refresh_from_db()
    assert session.attendance_taken_by == cast.facilitator
    page = text(signed_in(cast.facilitator).get(sheet_url(session)))
    assert "Attendance was taken on" in page
    assert "Saved: Late" in page


def test_bad_input_is_shown_beside_the_row_and_nothing_is_saved(cast, session):
    with during(session):
        http = signed_in(cast.facilitator)
        response = http.post(
            sheet_url(session),
            {
                f"status-{cast.client.pk}": "left_early",
                f"joined-{cast.client.pk}": "18:30",
                f"left-{cast.client.pk}": "18:10",
                f"status-{cast.client_b.pk}": "virtual",
            },
        )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The leaving time must be after the joining time." in body
    assert f'id="left-{cast.client.pk}-error"' in body
    assert re.search(rf'name="left-{cast.client.pk}" value="18:10" aria-invalid="true"', body)
    assert "Nothing was saved" in body
    assert not Attendance.objects.exists()


def test_times_without_a_status_are_refused(cast, session):
    with during(session):
        response = signed_in(cast.facilitator).post(
            sheet_url(session), {f"joined-{cast.client.pk}": "18:05"}
        )
    assert response.status_code == 400
    assert "Choose how they attended to save the times." in text(response)
    assert not Attendance.objects.exists()


def test_attendance_before_the_session_is_refused_with_a_message(cast, session):
    with at(session.starts_at - timedelta(hours=2)):
        response = signed_in(cast.facilitator).post(
            sheet_url(session), {f"status-{cast.client.pk}": "virtual"}
        )
    assert response.status_code == 400
    assert "Attendance can be taken from 10 minutes before the session starts." in text(response)
    assert not Attendance.objects.exists()


def test_one_row_saves_alone_without_javascript_and_with_htmx(cast, session):
    data = {f"status-{cast.client.pk}": "virtual", f"status-{cast.client_b.pk}": "no_show"}
    with during(session):
        http = signed_in(cast.facilitator)
        response = http.post(sheet_url(session), {**data, "save_row": cast.client.pk})
    assert response.status_code == 302
    assert list(Attendance.objects.values_list("client_id", "status")) == [
        (cast.client.pk, "virtual")
    ]
    with during(session):
        http = signed_in(cast.facilitator)
        response = http.post(
            sheet_url(session),
            {**data, "save_row": cast.client_b.pk},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith(
        f'<fieldset class="attendance-row" id="row-{cast.client_b.pk}"'
    )
    assert "<html" not in fragment
    assert "Saved." in fragment
    assert Attendance.objects.get(client=cast.client_b).status == "no_show"


def test_the_sheet_page_takes_the_same_queries_for_2_or_12_members(cast, session):
    http = signed_in(cast.facilitator)
    few, _ = count_queries(http, sheet_url(session))
    extra = add_members(cast.group_a, 10)
    for client in extra[:4]:
        AbsenceNotice.objects.create(session=session, client=client)
    with during(session):
        signed_in(cast.facilitator).post(
            sheet_url(session), {f"status-{c.pk}": "virtual" for c in extra[4:]}
        )
    many, response = count_queries(http, sheet_url(session))
    assert text(response).count('class="attendance-row"') == 12
    assert many == few
    assert many <= 15


# --- Start session -----------------------------------------------------------------------------


def test_start_session_sends_the_facilitator_to_the_room(cast, session):
    with in_window(session):
        http = signed_in(cast.facilitator)
        response = http.get(f"/sessions/{session.pk}/start/")
    assert response.status_code == 302
    assert response["Location"] == LINK
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    with at(session.starts_at - timedelta(hours=1)):
        http = signed_in(cast.facilitator)
        response = http.get(f"/sessions/{session.pk}/start/", follow=True)
    assert "You can start the session from" in text(response)
    assert signed_in(cast.facilitator_b).get(f"/sessions/{session.pk}/start/").status_code == 404
    assert signed_in(cast.member).get(f"/sessions/{session.pk}/start/").status_code == 404


# --- The facilitator's home ------------------------------------------------------------------


def test_the_facilitator_home_lists_today_the_week_and_attendance_to_take(cast, session):
    # The day of the session, an hour before it: the next one is a week ahead.
    AbsenceNotice.objects.create(session=session, client=cast.client_b)
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="FL")
    with at(session.starts_at - timedelta(minutes=5)):
        response = signed_in(cast.facilitator).get("/home/facilitator/")
    page = text(response)
    today, week, untaken = (
        page.split("The next 7 days")[0],
        page.split("The next 7 days")[1].split("Attendance still to take")[0],
        page.split("Attendance still to take")[1],
    )
    assert "Steady Ground" in today
    assert re.search(r"6 p\.m\.–7:30 p\.m\. C[SD]T", today)
    assert "2 members expected" in today
    assert "1 absence notice" in today
    assert "1 member could not join (licensure)" in today
    assert f"/sessions/{session.pk}/start/" in today
    assert f"/sessions/{session.pk}/attendance/" in today
    assert "Steady Ground" in week  # next week's session
    assert "Steady Ground" in untaken  # last week's, never taken
    assert "Open Harbor" not in page


def test_the_facilitator_home_has_empty_states(cast):
    with at(timezone.now() + timedelta(days=400)):
        page = text(signed_in(cast.facilitator).get("/home/facilitator/"))
    assert "No sessions today." in page
    assert "Nothing scheduled this week." in page
    assert "All caught up." in page


def test_the_facilitator_home_keeps_its_query_count_as_groups_grow(cast):
    from kindred.groups.services import group_create

    http = signed_in(cast.facilitator)
    few, _ = count_queries(http, "/home/facilitator/")
    today = practice_today()
    for i in range(4):
        group = group_create(
            actor=None,
            name=f"Evening circle {i}",
            description="A group for the query-count test.",
            lead_facilitator=cast.clinician,
            recurrence="FREQ=DAILY;COUNT=20",
            start_date=today - timedelta(days=5),
            start_time=datetime.min.time().replace(hour=7 + i),
            timezone="America/Chicago",
            modality="virtual",
            status="active",
        )
        add_members(group, 3, name=f"Circle{i}x")
    many, response = count_queries(http, "/home/facilitator/")
    assert text(response).count("Evening circle") > 20
    assert many == few
    assert many <= 15


# --- Members: attest and join ------------------------------------------------------------------


def attest_url(session: GroupSession) -> str:
    return f"/sessions/{session.pk}/attest/"


def test_one_tap_confirms_the_usual_state_then_join_shows(cast, session):
    with in_window(session):
        http = signed_in(cast.member)
        page = text(http.get(attest_url(session)))
        assert "I'm in Illinois right now" in page
        assert re.search(r"6 p\.m\.–7:30 p\.m\. C[SD]T", page)
        assert "Need help now? Call or text 988" in page
        response = http.post(attest_url(session), {"state": "IL"})
        assert response.status_code == 302
        page = text(http.get(attest_url(session)))
    assert "Join the session" in page
    assert f'href="/sessions/{session.pk}/join/"' in page
    assert StateAttestation.objects.get(client=cast.client).allowed


def test_the_last_attested_state_is_preselected_next_time(cast, session):
    with in_window(session):
        http = signed_in(cast.member_b)
        http.post(attest_url(session), {"state": "IL"})
    following = upcoming(cast.group_a, 2)
    with in_window(following):
        page = text(signed_in(cast.member_b).get(attest_url(following)))
    assert "I'm in Illinois right now" in page


def test_an_uncovered_state_is_explained_kindly_with_what_to_do(cast, session):
    with in_window(session):
        http = signed_in(cast.member)
        http.post(attest_url(session), {"state": "FL"})
        page = text(http.get(attest_url(session)))
        join = http.get(f"/sessions/{session.pk}/join/")
    assert "can only meet with you while you are in Illinois or Kansas" in page
    assert "Contact the practice" in page
    assert "988" in page
    assert "Join the session" not in page
    assert join.status_code == 302
    assert join["Location"] == attest_url(session)


def test_a_state_that_is_not_a_state_is_shown_beside_the_field(cast, session):
    with in_window(session):
        response = signed_in(cast.member).post(attest_url(session), {"state": "ZZ"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_state_error"' in body
    assert 'aria-invalid="true"' in body
    assert not StateAttestation.objects.exists()


def test_join_redirects_to_the_room_only_after_the_gate(cast, session):
    with in_window(session):
        http = signed_in(cast.member)
        first = http.get(f"/sessions/{session.pk}/join/")
        http.post(attest_url(session), {"state": "KS"})
        second = http.get(f"/sessions/{session.pk}/join/")
    assert first["Location"] == attest_url(session)
    assert second.status_code == 302
    assert second["Location"] == LINK
    assert second["Cache-Control"] == "no-store"


def test_before_the_window_the_member_is_told_when(cast, session):
    with at(session.starts_at - timedelta(hours=3)):
        http = signed_in(cast.member)
        page = text(http.get(attest_url(session)))
        response = http.post(attest_url(session), {"state": "IL"})
    assert "You can join from" in page
    assert response.status_code == 400
    assert not StateAttestation.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "facilitator", "coordinator"])
def test_attest_and_join_are_for_the_sessions_members(cast, session, who):
    with in_window(session):
        http = signed_in(getattr(cast, who))
        assert http.get(attest_url(session)).status_code == 404
        assert http.post(attest_url(session), {"state": "IL"}).status_code == 404
        assert http.get(f"/sessions/{session.pk}/join/").status_code == 404
    assert not StateAttestation.objects.exists()


# --- The licensure report ----------------------------------------------------------------------


REPORT = "/reports/licensure/"


@pytest.mark.parametrize(
    ("who", "status"),
    [("coordinator", 200), ("admin", 200), ("facilitator", 403), ("billing", 403), ("member", 404)],
)
def test_who_may_see_the_licensure_report(cast, who, status):
    assert signed_in(getattr(cast, who)).get(REPORT).status_code == status


def test_the_report_lists_members_at_risk_and_credentials_ending(cast, session):
    kansas = License.objects.get(clinician=cast.clinician, state="KS")
    set_expiry(kansas, session_local_date(session) - timedelta(days=1))
    florida = License.objects.get(clinician=cast.clinician_b)
    set_expiry(florida, practice_today() + timedelta(days=30))
    page = words(signed_in(cast.coordinator).get(REPORT))
    risk = page.split("Licenses and privileges ending")[0]
    ending = page.split("Licenses and privileges ending")[1]
    assert "Blair Member" in risk  # lives in Kansas; the Kansas license lapses first
    assert "Kansas (state of residence)" in risk
    assert re.search(r"6 p\.m\. C[SD]T", risk)  # the group's own time zone
    assert "Fern Facilitator" in risk
    assert "Avery Member" not in risk
    assert "Flint Facilitator" in ending
    assert "in 30 days" in ending
    assert "Fern Facilitator" in ending  # the Kansas license ends within 60 days too
    assert AuditEvent.objects.filter(action="scheduling.licensure_report.viewed").exists()


def test_the_report_has_empty_states(cast):
    page = text(signed_in(cast.coordinator).get(REPORT))
    assert "No sessions at risk." in page
    assert "Nothing ends soon." in page
    assert "Download as CSV" not in page


def test_the_report_downloads_as_csv_after_signing_in_again(cast, session):
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="FL")
    response = signed_in(cast.coordinator).get("/reports/licensure/at-risk.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    http = reauthenticated(cast.coordinator)
    response = http.get("/reports/licensure/at-risk.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Session start,Time zone,Group,Member,Usual state")
    assert any("Avery Member" in line and "Florida" in line for line in lines[1:])
    expiring = http.get("/reports/licensure/expiring.csv")
    assert expiring.content.decode().splitlines() == [
        "Clinician,Credential,Kind,States,Ends on,Days left"
    ]
    assert http.get("/reports/licensure/other.csv").status_code == 404
    assert AuditEvent.objects.filter(action="scheduling.licensure_report.exported").count() == 2


def test_the_report_keeps_its_query_count_as_sessions_and_members_grow(cast, session):
    http = signed_in(cast.coordinator)
    few, _ = count_queries(http, REPORT)
    add_members(cast.group_a, 6)
    add_members(cast.group_b, 3, name="Harbor")
    for lic in License.objects.filter(clinician=cast.clinician):
        set_expiry(lic, practice_today() + timedelta(days=3))
    many, response = count_queries(http, REPORT)
    assert text(response).count("Page0") >= 6
    assert many == few
    assert many <= 15
