"""Member pages: home, sessions, "I can't make it" — what a member sees, and never sees."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import signed_in
from kindred.scheduling.member import absence_notice_give, upcoming_sessions
from kindred.scheduling.models import AbsenceNotice
from kindred.scheduling.session_services import session_cancel
from kindred.scheduling.tests.member_setup import enrol, make_group, next_weekday, office


def _next(cast: Any, client: Any = None) -> Any:
    return upcoming_sessions(client or cast.client).filter(starts_at__gt=timezone.now()).first()


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Home -------------------------------------------------------------------------------


def test_member_home_shows_their_group_and_next_sessions_in_their_zone(cast):
    cast.client.timezone = "America/New_York"
    cast.client.save(update_fields=["timezone"])
    response = signed_in(cast.member).get("/home/member/")
    assert response.status_code == 200
    text = _text(response)
    assert "Steady Ground" in text
    assert "Open Harbor" not in text
    assert "Times are shown in Eastern Time, where you are." in text
    assert "7:00 PM – 8:30 PM" in text  # 18:00 in Chicago
    assert "I can't make it" in text
    assert "Need help now? Call or text 988" in text
    assert "You join by video from this page" in text or "Join" in text


def test_member_home_never_names_other_members(cast):
    absence_notice_give(actor=cast.member_b, session=_next(cast), note="Blair's private note")
    text = _text(signed_in(cast.member).get("/home/member/"))
    for word in ("Blair", "private note", "Casey", "Outsider"):
        assert word not in text


def test_a_member_without_groups_sees_what_happens_next(cast):
    from kindred.groups.models import Enrollment
    from kindred.groups.services import enrollment_withdraw

    enrollment = Enrollment.objects.get(group=cast.group_b, client=cast.outsider_client)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Paused care")
    text = _text(signed_in(cast.outsider).get("/home/member/"))
    assert "What happens next" in text
    assert "Open Harbor" not in text


def test_the_join_button_opens_ten_minutes_before_the_start(cast):
    session = _next(cast)
    http = signed_in(cast.member)
    with time_machine.travel(session.starts_at - timedelta(hours=2), tick=False):
        http = signed_in(cast.member)
        text = _text(http.get("/home/member/"))
        assert "The Join button opens here at" in text
        assert "Join the session" not in text
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        http = signed_in(cast.member)
        text = _text(http.get("/home/member/"))
        assert "Join the session" in text


def test_in_person_sessions_show_the_address_and_directions(cast):
    location, room = office(cast)
    group = make_group(cast, "Harbor Lights", modality="in_person", location=location, room=room)
    enrol(cast, group, cast.client)
    text = _text(signed_in(cast.member).get("/my/sessions/"))
    assert "100 Example Street" in text
    assert "Maple room" in text
    assert "Enter from the courtyard" in text


def test_member_home_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.member)
    http.get("/home/member/")
    # PERFORMANCE.md's budget; the between-sessions panels (milestones, goals) take two.
    with django_assert_max_num_queries(15) as one_group:
        http.get("/home/member/")
    one_group_count = len(one_group.captured_queries)  # before the next request clears the log
    for weekday in (0, 3, 4):
        enrol(
            cast,
            make_group(cast, f"Extra {weekday}", start_date=next_weekday(weekday)),
            cast.client,
        )
    absence_notice_give(actor=cast.member, session=_next(cast))
    with django_assert_max_num_queries(one_group_count):
        response = http.get("/home/member/")
    assert "Extra 4" in _text(response)


# --- Sessions page ------------------------------------------------------------------------


def test_sessions_page_lists_upcoming_and_past(cast):
    response = signed_in(cast.member).get("/my/sessions/")
    assert response.status_code == 200
    text = _text(response)
    assert "Coming up" in text
    assert "Past sessions" in text
    assert "Steady Ground" in text
    assert "Add to my calendar" in text


def test_sessions_page_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.member)
    http.get("/my/sessions/")
    with django_assert_max_num_queries(12) as before:
        http.get("/my/sessions/")
    before_count = len(before.captured_queries)  # before the next request clears the log
    for weekday in (0, 3, 4):
        group = make_group(cast, f"More {weekday}", start_date=next_weekday(weekday))
        enrol(cast, group, cast.client)
    with django_assert_max_num_queries(before_count):
        assert http.get("/my/sessions/").status_code == 200


@pytest.mark.parametrize("who", ["facilitator", "coordinator", "admin"])
def test_staff_have_no_member_pages(cast, who):
    session = _next(cast)
    http = signed_in(getattr(cast, who))
    assert http.get("/my/sessions/").status_code == 404
    assert http.get(f"/my/sessions/{session.pk}/absence/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(cast):
    assert HttpClient().get("/my/sessions/").status_code == 302


# --- I can't make it ----------------------------------------------------------------------


def test_a_member_tells_the_group_they_cannot_make_it_and_takes_it_back(cast):
    session = _next(cast)
    http = signed_in(cast.member)
    form = http.get(f"/my/sessions/{session.pk}/absence/")
    assert form.status_code == 200
    assert "facilitators see this" in _text(form)
    response = http.post(f"/my/sessions/{session.pk}/absence/", {"note": "Work trip"}, follow=True)
    assert "Thank you for letting us know" in _text(response)
    notice = AbsenceNotice.objects.get(session=session, client=cast.client)
    assert notice.note == "Work trip"
    assert "Your facilitator knows." in _text(http.get("/home/member/"))
    back = http.post(f"/my/absence-notices/{notice.pk}/withdraw/", follow=True)
    assert "Your notice is withdrawn" in _text(back)
    assert not AbsenceNotice.objects.exists()


def test_a_note_that_is_too_long_is_explained_beside_the_field_and_nothing_saved(cast):
    session = _next(cast)
    response = signed_in(cast.member).post(
        f"/my/sessions/{session.pk}/absence/", {"note": "x" * 501}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_note_error"' in html
    assert 'aria-invalid="true"' in html
    assert not AbsenceNotice.objects.exists()


def test_a_cancelled_session_has_nothing_to_miss(cast):
    session = _next(cast)
    session_cancel(actor=cast.coordinator, session=session, reason="Holiday")
    http = signed_in(cast.member)
    page = _text(http.get(f"/my/sessions/{session.pk}/absence/"))
    assert "nothing to miss" in page
    response = http.post(f"/my/sessions/{session.pk}/absence/", {"note": ""})
    assert "nothing to miss" in _text(response)
    assert not AbsenceNotice.objects.exists()


def test_a_member_cannot_reach_another_groups_session_or_notice(cast):
    theirs = _next(cast, cast.outsider_client)
    http = signed_in(cast.member)
    assert http.get(f"/my/sessions/{theirs.pk}/absence/").status_code == 404
    assert http.post(f"/my/sessions/{theirs.pk}/absence/", {"note": "x"}).status_code == 404
    notice = absence_notice_give(actor=cast.member_b, session=_next(cast))
    assert http.post(f"/my/absence-notices/{notice.pk}/withdraw/").status_code == 404
    assert AbsenceNotice.objects.filter(pk=notice.pk).exists()
    assert AuditEvent.objects.filter(
        category=Category.DENIED, action="scheduling.groupsession.denied"
    ).exists()
    assert AuditEvent.objects.filter(
        category=Category.DENIED, action="scheduling.absencenotice.denied"
    ).exists()


def test_the_absence_pages_refuse_other_methods(cast):
    session = _next(cast)
    http = signed_in(cast.member)
    assert http.put(f"/my/sessions/{session.pk}/absence/").status_code == 405
    assert http.get("/my/absence-notices/1/withdraw/").status_code == 405


def test_the_facilitator_sees_the_notice_on_the_attendance_sheet(cast):
    from kindred.scheduling.attendance import attendance_sheet

    session = _next(cast)
    signed_in(cast.member).post(f"/my/sessions/{session.pk}/absence/", {"note": "At a wedding"})
    sheet = attendance_sheet(actor=cast.facilitator, session=session)
    notices = {row.client.pk: row.absence_notice for row in sheet.rows}
    mine = notices[cast.client.pk]
    assert mine is not None
    assert mine.note == "At a wedding"
    assert notices[cast.client_b.pk] is None


def test_a_cancelled_session_says_so_with_the_practices_reason(cast):
    session = _next(cast)
    session_cancel(actor=cast.coordinator, session=session, reason="Office closed for the holiday")
    text = _text(signed_in(cast.member).get("/home/member/"))
    assert "This session won&#x27;t take place." in text or "This session won't take place." in text
    assert "Office closed for the holiday" in text


def test_a_moved_session_shows_its_new_time_and_says_it_moved(cast):
    from kindred.scheduling.session_services import session_reschedule

    session = _next(cast)
    session_reschedule(
        actor=cast.coordinator, session=session, starts_at=session.starts_at + timedelta(hours=1)
    )
    text = _text(signed_in(cast.member).get("/home/member/"))
    assert "7:00 PM – 8:30 PM" in text
    assert "Moved from" in text
    assert "at 6:00 PM." in text
