"""The member record export: what it holds for a member with attendance, notes and
scores; the date range; never psychotherapy notes, drafts or other members' names; who
may export; the audit event; and a constant number of queries as the record grows."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import NotPermitted, ValidationFailed
from kindred.core.testing import PASSWORD, signed_in
from kindred.intake.tests.agreement_support import published, sign, use
from kindred.measures.answering import administration_send, administration_submit
from kindred.measures.testing import answers_for
from kindred.notes import services as note_services
from kindred.notes.models import GroupNote, MemberNote, NoteStatus
from kindred.notes.testing import after, take_attendance, upcoming
from kindred.psychnotes.services import psychnote_create
from kindred.records.export import Range, member_record, record_export
from kindred.scheduling.models import Attendance, AttendanceStatus, GroupSession

PSY_CANARY = "CANARY-psychotherapy-9e2b"


def confirmed(user: Any) -> HttpClient:
    http = signed_in(user)
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


@pytest.fixture
def noted(cast):
    """Group A's next session: attended by both members, notes written and signed; the
    group note names the other member (Blair), which the export must remove."""
    session = upcoming(cast.group_a)
    take_attendance(session, cast.facilitator)
    with after(session):
        note_services.group_note_save(
            actor=cast.facilitator,
            session=session,
            themes="Avery and Blair talked about sleep.",
            process="Blair held back at first.",
        )
        note_services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.client.pk,
            sections={"data": "Avery described a better week.", "assessment": "Improving."},
            risk="No risk noted; Blair checked in with Avery after.",
            plan="Continue weekly.",
        )
        note_services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.client_b.pk,
            sections={"data": "CANARY-other-member-note", "assessment": "Steady."},
            plan="Continue.",
        )
        note_services.notes_sign_all(actor=cast.facilitator, session=session, names_confirmed=True)
    session.refresh_from_db()
    return session


@pytest.fixture
def scored(cast, builtin_instruments, noted):
    with after(noted):
        adm = administration_send(
            actor=cast.facilitator,
            group=cast.group_a,
            client=cast.client,
            instrument=builtin_instruments["phq9"],
        )
        administration_submit(
            actor=cast.member,
            administration=adm,
            version=adm.instrument_version,
            answers=answers_for("phq9", 1),
        )
    adm.refresh_from_db()
    return adm


ZONE = ZoneInfo("America/Chicago")  # the cast's practice


def local_day(session: GroupSession) -> date:
    return timezone.localdate(session.starts_at, ZONE)


def span_around(session: GroupSession, days: int = 3) -> Range:
    day = local_day(session)
    return Range(day - timedelta(days=days), day + timedelta(days=days))


def test_the_record_holds_details_places_attendance_signed_notes_and_scores(cast, noted, scored):
    version = published(cast.admin)
    use(cast.coordinator, cast.group_a, version)
    signature = sign(cast.member, cast.group_a)
    day = local_day(noted)
    data = member_record(client=cast.client, span=Range(date(2020, 1, 1), day + timedelta(days=60)))
    assert data["member"]["legal_first_name"] == "Avery"
    assert data["member"]["date_of_birth"] == "1990-04-01"
    assert [e["group"] for e in data["enrollments"]] == ["Steady Ground"]
    [entry] = data["sessions"]
    assert entry["session_id"] == noted.pk
    assert entry["attendance"] == AttendanceStatus.PRESENT_VIRTUAL
    group_note = entry["group_note"]
    assert group_note["status"] == NoteStatus.SIGNED
    assert group_note["signed_by"] == "Fern Facilitator"
    themes = group_note["parts"][0]["text"]
    assert themes == "Avery and another member talked about sleep."
    assert "Blair" not in json.dumps(data)
    member_note = entry["member_note"]
    assert member_note["sections"]["data"] == "Avery described a better week."
    assert member_note["plan"] == "Continue weekly."
    assert member_note["risk"] == "No risk noted; another member checked in with Avery after."
    assert "CANARY-other-member-note" not in json.dumps(data)
    [score] = data["questionnaires"]
    assert score["instrument"] == "phq9"
    assert score["total"] == scored.total == 9
    assert score["band"] == scored.band
    [signed] = data["agreement_signatures"]
    assert signed["text_sha256"] == signature.text_sha256
    assert signed["group"] == "Steady Ground"


def test_drafts_are_not_part_of_the_record(cast):
    session = upcoming(cast.group_a)
    take_attendance(session, cast.facilitator)
    with after(session):
        note_services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.client.pk,
            sections={"data": "CANARY-draft"},
        )
    data = member_record(client=cast.client, span=span_around(session))
    assert data["sessions"][0]["member_note"] is None
    assert "CANARY-draft" not in json.dumps(data)


def test_the_date_range_bounds_sessions_scores_and_signatures(cast, noted, scored):
    day = local_day(noted)
    before = member_record(
        client=cast.client, span=Range(day - timedelta(days=30), day - timedelta(days=1))
    )
    assert noted.pk not in [s["session_id"] for s in before["sessions"]]
    assert before["questionnaires"] == []
    on_the_day = member_record(client=cast.client, span=Range(day, day))
    assert [s["session_id"] for s in on_the_day["sessions"]] == [noted.pk]
    assert len(on_the_day["questionnaires"]) == 1
    later = member_record(
        client=cast.client, span=Range(day + timedelta(days=1), day + timedelta(days=5))
    )
    assert later["sessions"] == []
    assert later["questionnaires"] == []


def test_bad_ranges_and_choices_are_refused_beside_the_field(cast):
    with pytest.raises(ValidationFailed) as info:
        record_export(
            actor=cast.admin,
            client=cast.client,
            start=date(2026, 5, 1),
            end=date(2026, 4, 1),
            fmt="docx",
            purpose="curiosity",
        )
    assert set(info.value.errors) == {"end", "format", "purpose"}
    with pytest.raises(ValidationFailed) as info:
        record_export(
            actor=cast.admin, client=cast.client, start=None, end=None, fmt="pdf", purpose="legal"
        )
    assert set(info.value.errors) == {"start", "end"}
    assert not AuditEvent.objects.filter(category=Category.EXPORT).exists()


def _pdf_text(content: bytes) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(  # noqa: S603 - a fixed local tool on bytes we made
        [pdftotext, "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


def test_psychotherapy_notes_are_never_in_the_export(cast, noted):
    psychnote_create(
        actor=cast.facilitator,
        client=cast.client,
        title=PSY_CANARY,
        body=PSY_CANARY + " process notes",
        session=noted,
    )
    span = span_around(noted)
    as_json = record_export(
        actor=cast.admin,
        client=cast.client,
        start=span.start,
        end=span.end,
        fmt="json",
        purpose="member_request",
    )
    assert "CANARY" not in as_json.content.decode()
    as_pdf = record_export(
        actor=cast.admin,
        client=cast.client,
        start=span.start,
        end=span.end,
        fmt="pdf",
        purpose="member_request",
    )
    # The PDF is drawn from this HTML (its text is in subsetted fonts, so read the HTML;
    # and the PDF's own text too where poppler's pdftotext is installed).
    html = render_to_string("web/records/record_pdf.html", {"record": as_pdf.data})
    assert "Avery described a better week." in html  # the PDF holds the record...
    assert "CANARY" not in html  # ...and never the psychotherapy note
    assert as_pdf.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = _pdf_text(as_pdf.content)
        assert "Avery described a better week." in text
        assert "CANARY" not in text


def test_only_those_who_export_records_may(cast, noted):
    span = span_around(noted)
    for actor in (cast.coordinator, cast.facilitator, cast.supervisor, cast.billing):
        with pytest.raises(NotPermitted):
            record_export(
                actor=actor,
                client=cast.client,
                start=span.start,
                end=span.end,
                fmt="json",
                purpose="member_request",
            )
    assert not AuditEvent.objects.filter(category=Category.EXPORT).exists()


def test_every_export_is_audited_with_the_range_format_and_purpose(cast, noted):
    span = span_around(noted)
    record_export(
        actor=cast.admin,
        client=cast.client,
        start=span.start,
        end=span.end,
        fmt="json",
        purpose="transfer_of_care",
    )
    event = AuditEvent.objects.get(action="records.member_record.exported")
    assert event.category == Category.EXPORT
    assert event.client_id == cast.client.pk
    assert event.actor == cast.admin
    assert event.detail == {
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "format": "json",
        "purpose": "transfer_of_care",
        "sessions": 1,
    }


# --- Query count as the record grows ---------------------------------------------------


def _history(cast: Any, weeks: int) -> None:
    """``weeks`` past weekly sessions of group A attended by the member, each with a
    signed group note and member note (rows written directly: the services' own tests
    cover how notes are signed; here only the volume matters)."""
    now = timezone.now()
    sessions = GroupSession.objects.bulk_create(
        [
            GroupSession(
                group=cast.group_a,
                original_starts_at=now - timedelta(weeks=w, days=30),
                starts_at=now - timedelta(weeks=w, days=30),
                ends_at=now - timedelta(weeks=w, days=30) + timedelta(minutes=90),
                modality="virtual",
            )
            for w in range(weeks)
        ]
    )
    sessions = list(GroupSession.objects.filter(pk__in=[s.pk for s in sessions]))
    Attendance.objects.bulk_create(
        [
            Attendance(session=s, client=cast.client, status=AttendanceStatus.PRESENT_VIRTUAL)
            for s in sessions
        ]
    )
    signed = {
        "status": NoteStatus.SIGNED,
        "author": cast.facilitator,
        "signed_by": cast.facilitator,
    }
    for s in sessions:
        GroupNote.objects.create(
            session=s, themes="Avery and Blair.", signed_at=s.ends_at, **signed
        )
        MemberNote.objects.create(
            session=s,
            client=cast.client,
            format="dap",
            sections={"data": "Fine."},
            signed_at=s.ends_at,
            **signed,
        )


def _queries(cast: Any) -> int:
    today = timezone.localdate()
    span = Range(today - timedelta(days=9 * 365), today + timedelta(days=1))
    with CaptureQueriesContext(connection) as ctx:
        record_export(
            actor=cast.admin,
            client=cast.client,
            start=span.start,
            end=span.end,
            fmt="json",
            purpose="member_request",
        )
    return len(ctx.captured_queries)


def test_the_query_count_is_constant_as_the_record_grows(cast):
    _history(cast, 10)
    _queries(cast)  # warm: the practice settings and the admin's roles are cached after
    ten = _queries(cast)
    _history(cast, 40)
    assert MemberNote.objects.filter(client=cast.client).count() == 50
    assert _queries(cast) == ten
    assert ten <= 14


# --- Pages -----------------------------------------------------------------------------


def test_the_client_page_offers_the_form_to_admins_only(cast):
    page = signed_in(cast.admin).get(f"/clients/{cast.client.pk}/").content.decode()
    assert f"/clients/{cast.client.pk}/record/" in page
    assert 'name="purpose"' in page
    for user in (cast.coordinator, cast.facilitator):
        page = signed_in(user).get(f"/clients/{cast.client.pk}/").content.decode()
        assert "/record/" not in page


def test_the_admin_downloads_after_a_recent_sign_in(cast, noted):
    span = span_around(noted)
    url = (
        f"/clients/{cast.client.pk}/record/?start={span.start}&end={span.end}"
        "&format=pdf&purpose=member_request"
    )
    stale = signed_in(cast.admin).get(url)
    assert stale.status_code == 302
    assert stale["Location"].startswith("/accounts/reauthenticate/")
    http = confirmed(cast.admin)
    response = http.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    bad = http.get(
        f"/clients/{cast.client.pk}/record/?start={span.end}&end={span.start}&format=pdf&purpose="
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "The last day must be on or after the first day." in body or "required" in body
    assert http.get(f"/clients/{cast.client.pk}/record/").status_code == 200


def test_others_may_not_reach_the_export_page(cast):
    url = f"/clients/{cast.client.pk}/record/"
    assert confirmed(cast.coordinator).get(url).status_code == 403
    assert confirmed(cast.member).get(url).status_code == 404


# --- API -------------------------------------------------------------------------------


def test_the_api_answers_json_and_pdf_with_the_records_scope(cast, noted):
    span = span_around(noted)
    query = f"?from={span.start}&to={span.end}&purpose=member_request"
    raw, _token = api_token_create(actor=cast.admin, name="records", scopes=["records:export"])
    token = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = token.get(f"/api/v1/clients/{cast.client.pk}/record/{query}")
    assert response.status_code == 200
    data = response.json()
    assert [s["session_id"] for s in data["sessions"]] == [noted.pk]
    assert data["purpose"] == "member_request"
    pdf = token.get(f"/api/v1/clients/{cast.client.pk}/record.pdf{query}")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="records.member_record.exported").count() == 2
    missing = token.get(f"/api/v1/clients/{cast.client.pk}/record/?from=2026-01-01")
    assert missing.status_code == 400


def test_the_api_refuses_other_scopes_and_people(cast):
    query = "?from=2026-01-01&to=2026-12-31&purpose=member_request"
    raw, _token = api_token_create(actor=cast.admin, name="clients", scopes=["clients:read"])
    token = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert token.get(f"/api/v1/clients/{cast.client.pk}/record/{query}").status_code == 403
    assert (
        confirmed(cast.coordinator)
        .get(f"/api/v1/clients/{cast.client.pk}/record/{query}")
        .status_code
        == 403
    )
    assert (
        confirmed(cast.member).get(f"/api/v1/clients/{cast.client.pk}/record/{query}").status_code
        == 404
    )
    stale = signed_in(cast.admin).get(f"/api/v1/clients/{cast.client.pk}/record/{query}")
    assert stale.status_code == 403
    assert not AuditEvent.objects.filter(category=Category.EXPORT).exists()
