"""Questionnaire pages: a member's check-ins (list, answering per item with and without
JavaScript, review, thank-you and crisis resources), and a group's questionnaires for its
facilitators and managers (schedules, who has answered, send now)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast, signed_in
from kindred.measures.answering import administration_send
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    MeasurementSchedule,
    Response,
    SafetyAlert,
)
from kindred.measures.testing import answers_for
from kindred.measures.tests.questionnaire_support import (
    answer_all,
    open_before,
    submit,
    upcoming_a,
    with_defaults,
)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def queries(http: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def phq9(cast, builtin_instruments):
    return open_before(cast, builtin_instruments.phq9)


def url(administration: Administration, page: str = "") -> str:
    return f"/my/questionnaires/{administration.pk}/{page + '/' if page else ''}"


def fields(answers: dict[str, int]) -> dict[str, Any]:
    return {f"a-{key}": str(value) for key, value in answers.items()}


# --- The list ----------------------------------------------------------------------------


def test_the_list_shows_what_is_waiting_in_plain_words(cast, phq9):
    body = text(signed_in(cast.member).get("/my/questionnaires/"))
    assert "Your check-ins" in body
    assert "How you&#x27;ve been feeling" in body
    assert "PHQ" not in body
    assert "10 questions" in body
    assert "Start" in body
    assert f'href="/my/questionnaires/{phq9.pk}/"' in body
    # Member nav item and the crisis line on every member page.
    assert 'href="/my/questionnaires/" aria-current="page">Check-ins' in body
    assert "Need help now? Call or text 988" in body


def test_the_list_is_empty_with_what_comes_next(cast):
    body = text(signed_in(cast.member).get("/my/questionnaires/"))
    assert "Nothing to answer right now." in body


def test_other_members_questionnaires_are_not_listed_and_not_reachable(cast, phq9):
    http = signed_in(cast.member_b)
    assert f"/my/questionnaires/{phq9.pk}/" not in text(http.get("/my/questionnaires/"))
    for page in ("", "review", "done"):
        assert http.get(url(phq9, page)).status_code == 404
    assert http.post(url(phq9, "answer"), {"item": "item1", "a-item1": "1"}).status_code == 404
    assert not Response.objects.exists()
    assert AuditEvent.objects.filter(action="measures.administration.denied").count() == 4


def test_staff_have_no_member_pages(cast, phq9):
    for who in (cast.facilitator, cast.admin):
        http = signed_in(who)
        assert http.get("/my/questionnaires/").status_code == 404
        assert http.get(url(phq9)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(cast, phq9):
    from django.test import Client as HttpClient

    response = HttpClient().get(url(phq9))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_home_page_says_a_check_in_is_waiting(cast, phq9):
    body = text(signed_in(cast.member).get("/home/member/"))
    assert "A short check-in is waiting" in body
    assert 'href="/my/questionnaires/"' in body


def test_list_query_count_is_constant(cast, builtin_instruments, django_assert_max_num_queries):
    http = signed_in(cast.member)
    open_before(cast, builtin_instruments.phq9)
    http.get("/my/questionnaires/")  # warm the practice and unread-count caches
    few = queries(http, "/my/questionnaires/")
    for code in ("gad7", "who5", "pcl5", "auditc", "pulse"):
        done = open_before(cast, builtin_instruments[code])
        if code in ("who5", "pulse"):
            answer_all(cast, done, 1)
            submit(cast, done)
    many = queries(http, "/my/questionnaires/")
    assert many == few
    with django_assert_max_num_queries(few):
        http.get("/my/questionnaires/")


# --- Answering -----------------------------------------------------------------------------


def test_the_answer_page_shows_every_question_as_big_choices(cast, phq9):
    response = signed_in(cast.member).get(url(phq9))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = text(response)
    assert "Over the last 2 weeks" in body
    assert body.count('type="radio"') == 40
    assert "1 of 10" in body
    assert "10 of 10" in body
    assert "<legend>" in body
    assert 'hx-post="/my/questionnaires/' in body
    assert 'name="version" value="1"' in body


def test_each_answer_is_saved_as_it_is_given_with_htmx(cast, phq9):
    http = signed_in(cast.member)
    response = http.post(
        url(phq9, "answer"),
        {"item": "item3", "a-item3": "2", "a-item1": "3", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Saved · 1 of 10 answered" in text(response)
    # Only the item named was saved, although the whole form was posted.
    assert list(Response.objects.values_list("item", "value")) == [("item3", 2)]
    response = http.post(
        url(phq9, "answer"),
        {"item": "item3", "a-item3": "9", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "is not one of the answers" in text(response)
    assert list(Response.objects.values_list("item", "value")) == [("item3", 2)]


def test_an_answer_for_another_version_is_refused(cast, phq9):
    response = signed_in(cast.member).post(
        url(phq9, "answer"),
        {"item": "item1", "a-item1": "1", "version": "7"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "different version" in text(response)
    assert not Response.objects.exists()


def test_the_page_resumes_where_the_member_left_off(cast, phq9):
    http = signed_in(cast.member)
    for key in ("item1", "item2", "item3"):
        http.post(url(phq9, "answer"), {"item": key, f"a-{key}": "1", "version": "1"})
    body = text(http.get(url(phq9)))
    assert 'href="#q-item4"' in body
    assert "Continue with question 4" in body
    assert body.count(" checked>") == 3
    assert "3 of 10 answered" in text(http.get("/my/questionnaires/"))


def test_without_javascript_the_whole_page_is_saved_then_reviewed(cast, phq9):
    http = signed_in(cast.member)
    data = {**fields(answers_for("phq9", 1, item9=0)), "version": "1", "other": "ignored"}
    response = http.post(url(phq9), data)
    assert response.status_code == 302
    assert response["Location"] == url(phq9, "review")
    assert Response.objects.count() == 9
    body = text(http.get(url(phq9, "review")))
    assert "Check your answers" in body
    assert body.count("<strong>Several days</strong>") == 8
    assert "Not answered (optional)" in body  # the difficulty question


def test_a_page_with_a_bad_answer_saves_nothing_and_says_where(cast, phq9):
    http = signed_in(cast.member)
    data = {**fields(answers_for("phq9", 1)), "a-item4": "5", "version": "1"}
    response = http.post(url(phq9), data)
    assert response.status_code == 400
    body = text(response)
    assert "Nothing was saved" in body
    assert 'id="err-item4"' in body
    assert 'aria-describedby="err-item4"' in body
    assert not Response.objects.exists()


def test_sending_with_questions_missing_names_them(cast, phq9):
    http = signed_in(cast.member)
    http.post(url(phq9), {"a-item1": "1", "version": "1"})
    response = http.post(url(phq9, "review"), {"version": "1"})
    assert response.status_code == 400
    body = text(response)
    assert body.count("Please answer this question.") == 8
    phq9.refresh_from_db()
    assert phq9.status == AdministrationStatus.IN_PROGRESS


def test_sending_thanks_the_member_without_a_score(cast, phq9):
    http = signed_in(cast.member)
    http.post(url(phq9), {**fields(answers_for("phq9", 2, item9=0)), "version": "1"})
    response = http.post(url(phq9, "review"), {"version": "1"})
    assert response.status_code == 302
    assert response["Location"] == url(phq9, "done")
    body = text(http.get(url(phq9, "done")))
    assert "Thank you — your answers are in" in body
    assert "crisis-card" not in body
    for score_word in ("16", "moderately", "Moderately", "severe"):
        assert score_word not in body.split('id="main"')[1]
    assert 'href="/my/progress/"' in body
    phq9.refresh_from_db()
    assert phq9.status == AdministrationStatus.COMPLETED


def test_item9_shows_crisis_resources_at_once(cast, phq9):
    http = signed_in(cast.member)
    http.post(url(phq9), {**fields(answers_for("phq9", 0, item9=1)), "version": "1"})
    response = http.post(url(phq9, "review"), {"version": "1"}, follow=True)
    body = text(response)
    main = body.split('id="main"')[1]
    assert "You don't have to carry this alone" in main
    assert 'href="tel:988"' in main
    assert 'href="sms:988"' in main
    assert 'href="tel:911"' in main
    crisis_card = main.split("crisis-card")[1].split("</section>")[0]
    assert escape(cast.practice.crisis_resources) in crisis_card
    assert "Minimal" not in main
    assert " 1 " not in crisis_card
    assert SafetyAlert.objects.filter(administration=phq9).count() == 1


def test_a_second_send_is_already_received(cast, phq9):
    http = signed_in(cast.member)
    http.post(url(phq9), {**fields(answers_for("phq9", 1)), "version": "1"})
    http.post(url(phq9, "review"), {"version": "1"})
    response = http.post(url(phq9, "review"), {"version": "1"})
    assert response.status_code == 302
    assert response["Location"] == url(phq9, "done")
    assert http.get(url(phq9)).status_code == 302  # the questions are not shown again
    response = http.post(
        url(phq9, "answer"),
        {"item": "item1", "a-item1": "3", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "can&#x27;t be changed" in text(response)
    assert Response.objects.get(item="item1").value == 1


def test_a_closed_questionnaire_says_so_and_stores_nothing(cast, phq9):
    assert phq9.closes_at is not None
    with time_machine.travel(phq9.closes_at + timedelta(minutes=1), tick=False):
        http = signed_in(cast.member)
        assert "This questionnaire has closed." in text(http.get(url(phq9)))
        response = http.post(url(phq9), {**fields(answers_for("phq9", 1)), "version": "1"})
        assert response.status_code == 409
        assert "This questionnaire has closed." in text(response)
        response = http.post(
            url(phq9, "answer"),
            {"item": "item1", "a-item1": "1", "version": "1"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 409
        assert "This questionnaire has closed." in text(response)
    assert not Response.objects.exists()


def test_the_done_page_waits_for_completion(cast, phq9):
    assert signed_in(cast.member).get(url(phq9, "done")).status_code == 404


# --- Staff: a group's questionnaires ----------------------------------------------------------


def group_url(cast: Cast, tail: str = "") -> str:
    return f"/groups/{cast.group_a.pk}/questionnaires/{tail}"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("facilitator", 200),
        ("coordinator", 200),
        ("admin", 200),
        ("supervisor", 403),  # sees the group, does not run it
        ("facilitator_b", 404),
        ("billing", 404),
        ("member", 404),
    ],
)
def test_who_sees_a_group_s_questionnaires(cast, builtin_instruments, who, status):
    with_defaults(cast, builtin_instruments)
    assert signed_in(getattr(cast, who)).get(group_url(cast)).status_code == status


def test_the_group_page_lists_schedules_and_counts_not_scores(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    from kindred.measures import planning

    first = upcoming_a(cast)[0]
    with time_machine.travel(first.ends_at + timedelta(minutes=1), tick=False):
        planning.plan_sessions()
        pulse = Administration.objects.get(client=cast.client, session=first)
        answer_all(cast, pulse, 3)
        submit(cast, pulse)
        body = text(signed_in(cast.facilitator).get(group_url(cast)))
    assert "PHQ-9" in body
    assert "Every 4 sessions, before the session" in body
    assert "Pulse" in body
    assert "not a validated instrument" in body
    assert "1 of 2" in body  # one of two members answered the pulse
    assert 'href="/my/' not in body
    assert "Send a questionnaire now" in body
    assert "Avery" in body  # the send form lists members


def test_group_page_query_count_is_constant(
    cast, builtin_instruments, django_assert_max_num_queries
):
    with_defaults(cast, builtin_instruments)
    http = signed_in(cast.facilitator)
    http.get(group_url(cast))  # warm the practice and unread-count caches
    few = queries(http, group_url(cast))
    from kindred.measures import planning

    for session in upcoming_a(cast)[:3]:
        with time_machine.travel(session.ends_at + timedelta(minutes=1), tick=False):
            planning.plan_sessions()
    planning.plan_intake()
    many = queries(http, group_url(cast))
    assert many == few
    with django_assert_max_num_queries(few):
        http.get(group_url(cast))


def test_adding_a_schedule_and_its_errors(cast, builtin_instruments):
    http = signed_in(cast.facilitator)
    who5 = builtin_instruments.who5
    response = http.post(
        group_url(cast, "schedules/"), {"instrument": who5.pk, "timing": "every_nth"}
    )
    assert response.status_code == 400
    body = text(response)
    assert "Say how often" in body
    assert "id_every_n_error" in body
    assert not MeasurementSchedule.objects.exists()
    response = http.post(
        group_url(cast, "schedules/"),
        {"instrument": who5.pk, "timing": "every_nth", "every_n": "3"},
    )
    assert response.status_code == 302
    row = MeasurementSchedule.objects.get()
    assert (row.instrument_id, row.timing, row.every_n) == (who5.pk, "every_nth", 3)
    response = http.post(group_url(cast, f"schedules/{row.pk}/every-n/"), {"every_n": "1"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.every_n == 3
    http.post(group_url(cast, f"schedules/{row.pk}/every-n/"), {"every_n": "6"})
    http.post(group_url(cast, f"schedules/{row.pk}/off/"))
    row.refresh_from_db()
    assert (row.every_n, row.is_active) == (6, False)
    assert "Turn on" in text(http.get(group_url(cast)))


def test_a_schedule_of_another_group_is_not_found(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    other = MeasurementSchedule.objects.filter(group=cast.group_b).first()
    assert other is not None
    response = signed_in(cast.facilitator).post(group_url(cast, f"schedules/{other.pk}/off/"))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_send_now_is_for_the_group_s_facilitators(cast, builtin_instruments):
    who5 = builtin_instruments.who5
    data = {"client": cast.client.pk, "instrument": who5.pk}
    assert "Send a questionnaire now" not in text(signed_in(cast.coordinator).get(group_url(cast)))
    assert signed_in(cast.coordinator).post(group_url(cast, "send/"), data).status_code == 403
    assert signed_in(cast.facilitator_b).post(group_url(cast, "send/"), data).status_code == 404
    assert not Administration.objects.exists()
    http = signed_in(cast.facilitator)
    response = http.post(
        group_url(cast, "send/"), {"client": cast.outsider_client.pk, "instrument": who5.pk}
    )
    assert response.status_code == 400
    assert not Administration.objects.exists()
    response = http.post(group_url(cast, "send/"), data)
    assert response.status_code == 302
    assert Administration.objects.get().client_id == cast.client.pk
    response = http.post(group_url(cast, "send/"), data)
    assert response.status_code == 400
    assert "already has WHO-5 waiting" in text(response)


def test_the_session_page_shows_each_member_s_status_and_is_audited(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    from kindred.measures import planning

    first = upcoming_a(cast)[0]
    with time_machine.travel(first.ends_at + timedelta(minutes=1), tick=False):
        planning.plan_sessions()
        pulse = Administration.objects.get(client=cast.client, session=first)
        answer_all(cast, pulse, 3)
        submit(cast, pulse)
        http = signed_in(cast.facilitator)
        body = text(http.get(group_url(cast, f"sessions/{first.pk}/")))
        assert "Avery Member" in body
        assert "Blair Member" in body
        assert "Completed" in body
        assert "Not started" in body
        assert " 15 " not in body  # never a score
        assert AuditEvent.objects.filter(
            action="measures.administration_status.viewed", object_id=str(first.pk)
        ).exists()
        other = upcoming_a(cast)[0]
        b_session = cast.group_b.sessions.first()
        assert b_session is not None
        assert http.get(group_url(cast, f"sessions/{b_session.pk}/")).status_code == 404
        assert (
            signed_in(cast.facilitator_b).get(group_url(cast, f"sessions/{other.pk}/")).status_code
            == 404
        )


def test_the_group_page_links_to_its_questionnaires(cast):
    body = text(signed_in(cast.facilitator).get(f"/groups/{cast.group_a.pk}/"))
    assert f'href="/groups/{cast.group_a.pk}/questionnaires/"' in body
    body = text(signed_in(cast.supervisor).get(f"/groups/{cast.group_a.pk}/"))
    assert "/questionnaires/" not in body


def test_a_member_told_of_a_questionnaire_sent_now(cast, builtin_instruments):
    administration_send(
        actor=cast.facilitator,
        group=cast.group_a,
        client=cast.client,
        instrument=builtin_instruments.who5,
    )
    body = text(signed_in(cast.member).get("/my/questionnaires/"))
    assert "Your well-being" in body
    assert "From your facilitator" in body
