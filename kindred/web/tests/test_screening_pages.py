"""Screening pages: start, save a draft, record a decision (errors beside the field,
nothing saved), who may read and change a screening, the list, the roster's admission
column, the home panels and the funnel report."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import PASSWORD, signed_in
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.groups.services import enrollment_invite
from kindred.groups.tests.factories import make_group, person
from kindred.intake.models import Screening, ScreeningDecision, WaitlistStatus
from kindred.intake.screening import screening_create
from kindred.intake.tests.screening_support import FITS, admit
from kindred.intake.waitlist import waitlist_add

NEW = "/screenings/new/"


def text(response: Any) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def field_error(response: Any, field: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


def checklist(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {**FITS, "notes": "Talked for 30 minutes.", "action": "draft"}
    data.update(overrides)
    return data


def reauthenticated(user: Any) -> HttpClient:
    http = signed_in(user)
    response = http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    return http


@pytest.fixture
def group(cast):
    return make_group(cast, max_size=6)


@pytest.fixture
def entry(cast, group):
    return waitlist_add(actor=cast.coordinator, client=person("Robin", "Candidate"), group=group)


@pytest.fixture
def draft(cast, group, entry) -> Screening:
    return screening_create(
        actor=cast.facilitator, client=entry.client, group=group, entry=entry, motivation="yes"
    ).screening


# --- Starting and deciding ---------------------------------------------------------------


def test_a_facilitator_starts_from_a_candidate_waiting_for_their_group(cast, group, entry):
    http = signed_in(cast.facilitator)
    listing = text(http.get("/screenings/"))
    assert "Waiting for your groups" in listing
    assert "Screen Robin Candidate" in listing
    page = http.get(NEW, {"entry": entry.pk})
    assert page.status_code == 200
    assert "Screen Robin Candidate" in text(page)
    assert "No completed questionnaires yet" in text(page)
    assert AuditEvent.objects.filter(
        action="intake.screening_candidate.viewed", client_id=entry.client_id
    ).exists()
    response = http.post(NEW, {"entry": entry.pk, "group": group.pk, **checklist()})
    screening = Screening.objects.get(client=entry.client)
    assert response.status_code == 302
    assert response["Location"] == f"/screenings/{screening.pk}/"
    assert screening.decided_at is None
    assert screening.notes == "Talked for 30 minutes."
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.SCREENING


def test_admitting_someone_in_crisis_shows_the_error_beside_the_decision(cast, draft):
    http = signed_in(cast.facilitator)
    response = http.post(
        f"/screenings/{draft.pk}/",
        checklist(action="decide", decision="admit", exclusions="active_suicidality"),
    )
    assert response.status_code == 200
    assert "not admitted to a group now" in field_error(response, "decision")
    draft.refresh_from_db()
    assert draft.decided_at is None
    assert not draft.active_suicidality  # nothing saved, not even the checklist
    assert not Enrollment.objects.filter(client=draft.client).exists()


def test_recording_a_decision_without_choosing_one(cast, draft):
    response = signed_in(cast.facilitator).post(
        f"/screenings/{draft.pk}/", checklist(action="decide")
    )
    assert field_error(response, "decision") == "Choose admit, defer or refer."
    draft.refresh_from_db()
    assert draft.decided_at is None


def test_a_deferral_needs_its_date_beside_the_field(cast, draft):
    response = signed_in(cast.facilitator).post(
        f"/screenings/{draft.pk}/",
        checklist(action="decide", decision="defer", decision_reason="Exams first."),
    )
    assert field_error(response, "revisit_on") == "Choose when to talk again."
    draft.refresh_from_db()
    assert draft.decided_at is None


def test_admit_from_the_page(cast, group, draft):
    http = signed_in(cast.facilitator)
    response = http.post(
        f"/screenings/{draft.pk}/", checklist(action="decide", decision="admit"), follow=True
    )
    page = text(response)
    assert "Robin Candidate is admitted and is now a member of Tuesday Grief Circle." in page
    assert "Place in the group" in page
    enrollment = Enrollment.objects.get(client=draft.client, group=group)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    # Decided: shown, no longer a form; a post changes nothing.
    assert "Record the decision" not in page
    response = http.post(
        f"/screenings/{draft.pk}/",
        checklist(action="decide", decision="refer_individual"),
        follow=True,
    )
    assert "cannot change" in text(response)
    draft.refresh_from_db()
    assert draft.decision == ScreeningDecision.ADMIT


def test_a_coordinator_asks_a_clinician_to_screen(cast, group, entry):
    http = signed_in(cast.coordinator)
    page = text(http.get(NEW, {"entry": entry.pk}))
    assert "Who screens" in page
    response = http.post(
        NEW, {"entry": entry.pk, "group": group.pk, "screener": cast.supervisor.pk, "action": ""}
    )
    assert response.status_code == 302
    screening = Screening.objects.get(client=entry.client)
    assert screening.screener == cast.supervisor
    home = text(signed_in(cast.supervisor).get("/home/supervisor/"))
    assert "1 screening is waiting for your decision." in home
    assert "Robin Candidate for Tuesday Grief Circle" in home


def test_finding_a_candidate(cast, group, entry):
    outsider = person("Quinn", "Elsewhere")
    coordinator = text(signed_in(cast.coordinator).get(NEW, {"q": "elsew"}))
    assert "Screen Quinn Elsewhere" in coordinator
    # A facilitator finds only the people waiting for (or in) their groups.
    facilitator = signed_in(cast.facilitator)
    assert "Nobody you may screen matches." in text(facilitator.get(NEW, {"q": "elsew"}))
    assert "Screen Robin Candidate" in text(facilitator.get(NEW, {"q": "cand"}))
    assert facilitator.get(NEW, {"client": outsider.pk}).status_code == 404
    assert AuditEvent.objects.filter(category=Category.DENIED, object_id=str(outsider.pk)).exists()


# --- Who may read and change -----------------------------------------------------------------


def test_who_reads_a_screening(cast, group, draft):
    url = f"/screenings/{draft.pk}/"
    for who in ("facilitator", "coordinator", "admin"):
        assert signed_in(getattr(cast, who)).get(url).status_code == 200, who
    for who in ("facilitator_b", "supervisor", "billing", "member", "outsider"):
        assert signed_in(getattr(cast, who)).get(url).status_code == 404, who
    assert signed_in(cast.facilitator).get("/screenings/987654/").status_code == 404
    viewed = AuditEvent.objects.filter(action="intake.screening.viewed", object_id=str(draft.pk))
    assert viewed.count() == 3
    assert (
        AuditEvent.objects.filter(category=Category.DENIED, object_type="intake.screening").count()
        >= 5
    )


def test_a_co_facilitator_reads_but_does_not_change(cast, draft):
    draft.group.co_facilitators.add(cast.supervisor_clinician)
    http = signed_in(cast.supervisor)
    page = text(http.get(f"/screenings/{draft.pk}/"))
    assert "has not recorded a decision yet" in page
    assert "Record the decision" not in page
    response = http.post(f"/screenings/{draft.pk}/", checklist(action="decide", decision="admit"))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.decided_at is None


def test_members_and_billing_have_no_screening_pages(cast):
    assert signed_in(cast.member).get("/screenings/").status_code == 404
    assert signed_in(cast.billing).get("/screenings/").status_code == 403
    assert signed_in(cast.billing).get(NEW).status_code == 403


# --- List ------------------------------------------------------------------------------------


def _screen_many(cast, group, n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        screening_create(
            actor=cast.facilitator,
            client=person("Many", f"Person{i}", born=date(1970 + i, 1, 1)),
            group=group,
            **FITS,
        )


def test_the_list_takes_the_same_queries_however_many(cast, group):
    http = signed_in(cast.facilitator)
    _screen_many(cast, group, 2)
    http.get("/screenings/")
    with CaptureQueriesContext(connection) as few:
        http.get("/screenings/")
    _screen_many(cast, group, 10, start=2)
    with CaptureQueriesContext(connection) as many:
        page = http.get("/screenings/")
    assert len(many) == len(few)
    assert "12 screenings are waiting for your decision." in text(page)
    listed = AuditEvent.objects.filter(action="intake.screening.listed").latest("id")
    assert len(listed.detail["screenings"]) == 12


def test_the_list_shows_only_what_each_may_read(cast, group, draft):
    assert "Robin Candidate" in text(signed_in(cast.coordinator).get("/screenings/"))
    other = text(signed_in(cast.facilitator_b).get("/screenings/"))
    assert "Robin Candidate" not in other
    assert "No screenings yet." in other


# --- Roster and home ---------------------------------------------------------------------------


def test_the_roster_shows_each_members_admission(cast, group):
    waiting = person("Wren")
    enrollment_invite(actor=cast.coordinator, group=group, client=waiting)
    admit(person("Ada"), group)
    page = text(signed_in(cast.coordinator).get(f"/groups/{group.pk}/"))
    assert "Admission" in page
    assert "Not screened" in page
    assert "Screened" in page
    assert "No agreement to sign" in page


def test_the_group_page_query_count_does_not_grow_with_members(cast, group):
    http = signed_in(cast.facilitator)
    admit(person("First"), group)
    http.get(f"/groups/{group.pk}/")
    with CaptureQueriesContext(connection) as few:
        http.get(f"/groups/{group.pk}/")
    for n in range(4):
        admit(person(f"More{n}"), group)
    with CaptureQueriesContext(connection) as many:
        http.get(f"/groups/{group.pk}/")
    assert len(many) == len(few)


def test_home_panels(cast, draft):
    facilitator = text(signed_in(cast.facilitator).get("/home/facilitator/"))
    assert "1 screening is waiting for your decision." in facilitator
    coordinator = text(signed_in(cast.coordinator).get("/home/coordinator/"))
    assert "1 screening in progress." in coordinator
    assert "Open the intake funnel" in coordinator
    assert "Open the intake funnel" not in facilitator


# --- Funnel ----------------------------------------------------------------------------------


def test_the_funnel_page_for_coordinators_only(cast, group, entry):
    today = timezone.localdate()
    admit(entry.client, group)
    http = signed_in(cast.coordinator)
    page = text(http.get("/reports/intake-funnel/"))
    assert "Intake funnel" in page
    assert "No referrals in these months." in page  # the waitlist entry came without one
    month = today.strftime("%Y-%m")
    assert http.get("/reports/intake-funnel/", {"start": month, "end": month}).status_code == 200
    assert http.get("/reports/intake-funnel/", {"start": "soon"}).status_code == 200
    for who in ("facilitator", "supervisor", "billing"):
        assert signed_in(getattr(cast, who)).get("/reports/intake-funnel/").status_code == 403
    assert signed_in(cast.member).get("/reports/intake-funnel/").status_code == 404


def test_the_funnel_csv_asks_for_a_recent_sign_in(cast):
    response = signed_in(cast.coordinator).get("/reports/intake-funnel.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = reauthenticated(cast.coordinator).get("/reports/intake-funnel.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().startswith("Breakdown,Row,Referred")
    assert AuditEvent.objects.filter(action="intake.funnel_report.exported").count() == 1


def test_a_deferred_candidate_is_listed_with_the_date_to_talk_again(cast, group, entry):
    screening_create(
        actor=cast.facilitator,
        client=entry.client,
        group=group,
        entry=entry,
        decision=ScreeningDecision.DEFER,
        decision_reason="Exams first.",
        revisit_on=timezone.localdate() + timedelta(days=21),
        **FITS,
    )
    page = text(signed_in(cast.facilitator).get("/screenings/"))
    assert "Deferred; talk again" in page  # the entry is open again, for later
