"""Group pages: list, detail with roster, create and edit, status, places, sessions."""

import re
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.audit.models import AuditEvent, Category
from kindred.clients.services import concern_create
from kindred.core.testing import signed_in
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupStatus, TherapyGroup
from kindred.groups.tests.factories import chicago, enrol, make_group, next_weekday, person, room
from kindred.intake.tests.screening_support import admit
from kindred.scheduling.models import GroupSession, SessionStatus

CHI = ZoneInfo("America/Chicago")


def field_error(response: Any, field: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def group_form(cast: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Thursday Anxiety Skills",
        "description": "Practical tools for worry, in a small group.",
        "format": "closed",
        "modality": "virtual",
        "location": "",
        "room": "",
        "lead_facilitator": cast.clinician.pk,
        "min_size": 4,
        "max_size": 8,
        "min_age": "",
        "max_age": "",
        "gender_focus": "",
        "recurrence": "FREQ=WEEKLY;COUNT=10",
        "start_date": next_weekday(3).isoformat(),
        "start_time": "17:30",
        "session_minutes": 75,
        "timezone": "America/Chicago",
        "fee": "25.00",
        "fee_note": "",
        "listed_publicly": "on",
        "external_video_link": "",
        "status": "forming",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _queries(http: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


# --- List --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", {"Steady Ground", "Open Harbor"}),
        ("coordinator", {"Steady Ground", "Open Harbor"}),
        ("facilitator", {"Steady Ground"}),
        ("supervisor", {"Steady Ground"}),  # supervises the facilitator
        ("facilitator_b", {"Open Harbor"}),
        ("billing", set()),
    ],
)
def test_each_role_lists_the_groups_it_may_see(cast, who, sees):
    body = text(signed_in(getattr(cast, who)).get("/groups/"))
    assert {n for n in ["Steady Ground", "Open Harbor"] if n in body} == sees
    if not sees:
        assert "You are not running any groups yet." in body


@pytest.mark.parametrize("who", ["member", "member_b", "outsider"])
def test_members_never_see_group_pages(cast, who):
    http = signed_in(getattr(cast, who))
    assert http.get("/groups/").status_code == 404
    assert http.get(f"/groups/{cast.group_a.pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        category=Category.DENIED, object_id=str(cast.group_a.pk), actor=getattr(cast, who)
    ).exists()


def test_anonymous_is_sent_to_sign_in(cast):
    from django.test import Client

    response = Client().get("/groups/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_list_shows_places_taken_and_filters(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    loop = chicago()
    make_group(cast, name="Grief Circle", concerns=[grief], modality="in_person", location=loop)
    http = signed_in(cast.coordinator)
    body = text(http.get("/groups/"))
    assert "2 of 10" in body  # Steady Ground: two members
    assert "Grief Circle" in body
    assert "Grief Circle" in text(http.get("/groups/", {"concern": grief.pk}))
    assert "Steady Ground" not in text(http.get("/groups/", {"concern": grief.pk}))
    assert "Grief Circle" not in text(http.get("/groups/", {"modality": "virtual"}))
    body = text(http.get("/groups/", {"facilitator": cast.clinician_b.pk}))
    assert "Open Harbor" in body
    assert "Steady Ground" not in body
    assert "No groups match these filters." in text(http.get("/groups/", {"status": "completed"}))
    # Bad filter values are ignored, never an error.
    assert http.get("/groups/", {"facilitator": "abc", "status": "nope"}).status_code == 200


def test_list_query_count_is_constant(cast, django_assert_max_num_queries):
    grief = concern_create(actor=cast.admin, name="Grief")
    http = signed_in(cast.coordinator)
    http.get("/groups/")
    few = _queries(http, "/groups/")
    for i in range(30):
        group = make_group(
            cast,
            name=f"Group {i:02d}",
            concerns=[grief],
            co_facilitators=[cast.supervisor_clinician],
            start_time=time(6 + i % 12, 0),
            recurrence="FREQ=WEEKLY;COUNT=2",
        )
        enrol(cast, group, person(f"P{i}"))
    many = _queries(http, "/groups/")
    assert many == few
    with django_assert_max_num_queries(few):
        assert http.get("/groups/").status_code == 200


# --- Detail ------------------------------------------------------------------------------


def test_the_roster_is_for_managers_and_the_groups_facilitators(cast):
    url = f"/groups/{cast.group_a.pk}/"
    for who in ["coordinator", "admin", "facilitator"]:
        body = text(signed_in(getattr(cast, who)).get(url))
        assert "Avery Member" in body, who
        assert "Blair Member" in body
    assert AuditEvent.objects.filter(
        action="groups.roster.viewed", actor=cast.facilitator, object_id=str(cast.group_a.pk)
    ).exists()
    # The supervisor sees the group, not who is in it.
    body = text(signed_in(cast.supervisor).get(url))
    assert "Steady Ground" in body
    assert "Avery Member" not in body
    # Only managers get the change controls.
    assert "Offer a place" in text(signed_in(cast.coordinator).get(url))
    assert "Offer a place" not in text(signed_in(cast.facilitator).get(url))


def test_detail_query_count_does_not_grow_with_members(cast):
    group = make_group(cast, min_size=1, max_size=12)
    http = signed_in(cast.coordinator)
    url = f"/groups/{group.pk}/"
    enrol(cast, group, person("Ana"))
    http.get(url)
    few = _queries(http, url)
    for name in ["Ben", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy"]:
        enrol(cast, group, person(name), active=name != "Ivy")
    assert _queries(http, url) == few


@pytest.mark.parametrize("who", ["facilitator_b", "billing"])
def test_someone_elses_group_is_not_found(cast, who):
    response = signed_in(getattr(cast, who)).get(f"/groups/{cast.group_a.pk}/")
    assert response.status_code == 404
    assert b"Avery" not in response.content
    assert AuditEvent.objects.filter(
        category=Category.DENIED, object_id=str(cast.group_a.pk)
    ).exists()


def test_missing_and_malformed_groups_are_not_found(cast):
    http = signed_in(cast.admin)
    assert http.get("/groups/987654/").status_code == 404
    assert http.get("/groups/987654/sessions/").status_code == 404


# --- Create and edit -----------------------------------------------------------------------


def test_coordinator_sets_up_a_group(cast):
    http = signed_in(cast.coordinator)
    assert http.get("/groups/new/").status_code == 200
    response = http.post("/groups/new/", group_form(cast))
    group = TherapyGroup.objects.get(name="Thursday Anxiety Skills")
    assert response.status_code == 302
    assert response["Location"] == f"/groups/{group.pk}/"
    assert (group.fee_cents, group.session_minutes, group.status) == (2500, 75, "forming")
    assert group.sessions.count() == 10
    local = group.sessions.order_by("starts_at")[0].starts_at.astimezone(CHI)
    assert local.time() == time(17, 30)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"modality": "in_person"}, "location", "needs a location"),
        ({"recurrence": "FREQ=WEEKLY"}, "recurrence", "A closed group needs an end"),
        ({"recurrence": "FREQ=WEEKLY;UNTIL=20000101"}, "recurrence", "gives no sessions"),
        ({"min_size": 9, "max_size": 8}, "max_size", "must be at least the minimum"),
        ({"min_age": 30, "max_age": 20}, "max_age", "must be at least the youngest"),
        ({"start_date": "2020-01-01"}, "start_date", "cannot be in the past"),
        ({"start_time": "25:00"}, "start_time", "Enter a valid time"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_saved(cast, overrides, field, message):
    http = signed_in(cast.coordinator)
    before = (TherapyGroup.objects.count(), GroupSession.objects.count())
    response = http.post("/groups/new/", group_form(cast, **overrides))
    assert response.status_code == 200
    assert message in field_error(response, field), text(response)[:3000]
    assert (TherapyGroup.objects.count(), GroupSession.objects.count()) == before


def test_an_unlicensed_in_person_facilitator_is_named(cast):
    loop = chicago()
    http = signed_in(cast.coordinator)
    response = http.post(
        "/groups/new/",
        group_form(
            cast, modality="in_person", location=loop.pk, lead_facilitator=cast.clinician_b.pk
        ),
    )
    assert "Flint Facilitator cannot practise in Illinois" in field_error(
        response, "lead_facilitator"
    )
    assert not TherapyGroup.objects.filter(name="Thursday Anxiety Skills").exists()


def test_double_booked_room_is_explained(cast):
    loop = chicago()
    room_2 = room(loop, "Room 2")
    make_group(
        cast,
        name="Grief Circle",
        modality="in_person",
        location=loop,
        room=room_2,
        start_date=next_weekday(3),
        start_time=time(17, 0),
    )
    response = signed_in(cast.coordinator).post(
        "/groups/new/",
        group_form(cast, modality="in_person", location=loop.pk, room=room_2.pk),
    )
    assert "Room 2 is booked by Grief Circle at that time" in field_error(response, "room")


def test_edit_changes_the_time_of_future_sessions(cast):
    group = cast.group_a
    http = signed_in(cast.coordinator)
    page = http.get(f"/groups/{group.pk}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif hasattr(value, "pk"):
            data[name] = value.pk
        elif value is True:
            data[name] = "on"
        else:
            data[name] = str(value)
    data["start_time"] = "19:15"
    response = http.post(f"/groups/{group.pk}/edit/", data)
    assert response.status_code == 302, field_error(response, "start_time")
    future = group.sessions.filter(starts_at__gt=timezone.now(), status="scheduled")
    assert {s.starts_at.astimezone(CHI).time() for s in future} == {time(19, 15)}


def test_only_managers_reach_the_forms(cast):
    for who in ["facilitator", "supervisor", "billing"]:
        http = signed_in(getattr(cast, who))
        assert http.get("/groups/new/").status_code == 403
        assert http.post("/groups/new/", group_form(cast)).status_code == 403
    assert signed_in(cast.facilitator).get(f"/groups/{cast.group_a.pk}/edit/").status_code == 403
    assert signed_in(cast.facilitator_b).get(f"/groups/{cast.group_a.pk}/edit/").status_code == 404
    assert not TherapyGroup.objects.filter(name="Thursday Anxiety Skills").exists()


# --- Status ------------------------------------------------------------------------------


def test_pause_asks_first_then_cancels_coming_sessions(cast):
    group = cast.group_a
    http = signed_in(cast.coordinator)
    page = http.get(f"/groups/{group.pk}/status/pause/")
    assert "Every session that has not started is cancelled" in text(page)
    assert http.post(f"/groups/{group.pk}/status/pause/").status_code == 302
    group.refresh_from_db()
    assert group.status == GroupStatus.PAUSED
    assert not group.sessions.filter(starts_at__gt=timezone.now(), status="scheduled").exists()
    # Resuming brings them back; completed cannot be paused.
    http.post(f"/groups/{group.pk}/status/activate/")
    http.post(f"/groups/{group.pk}/status/complete/")
    response = http.post(f"/groups/{group.pk}/status/pause/", follow=True)
    assert "cannot become paused" in text(response)
    assert http.get(f"/groups/{group.pk}/status/explode/").status_code == 404


def test_facilitators_cannot_change_status(cast):
    response = signed_in(cast.facilitator).post(f"/groups/{cast.group_a.pk}/status/cancel/")
    assert response.status_code == 403
    cast.group_a.refresh_from_db()
    assert cast.group_a.status == GroupStatus.ACTIVE


# --- Places --------------------------------------------------------------------------------


def test_offer_a_place_then_join_then_graduate(cast):
    group = make_group(cast, min_size=1, max_size=3)
    ana = person("Ana", "Lopez")
    http = signed_in(cast.coordinator)
    page = text(http.get(f"/groups/{group.pk}/invite/", {"q": "lop"}))
    assert "Ana Lopez" in page
    assert "3 places left." in page
    response = http.post(f"/groups/{group.pk}/invite/", {"client": ana.pk, "q": "lop"})
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(group=group, client=ana)
    assert enrollment.status == EnrollmentStatus.INVITED
    # Already placed: no longer offered.
    page = text(http.get(f"/groups/{group.pk}/invite/", {"q": "lop"}))
    assert "Offer Ana Lopez a place" not in page
    assert "No active client without a place here matches." in page
    # Joining waits for a screening that admits them (intake/admission.py): the page
    # says what is missing, and the admit then activates the place.
    response = http.post(f"/groups/{group.pk}/places/{enrollment.pk}/activate/", follow=True)
    assert "Ana Lopez cannot join the group yet: no screening has admitted them." in text(response)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.INVITED
    admit(ana, group)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    # Withdraw needs a reason; graduate does not.
    response = http.post(f"/groups/{group.pk}/places/{enrollment.pk}/withdraw/", {"reason": ""})
    assert "This field is required." in field_error(response, "reason")
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    response = http.post(f"/groups/{group.pk}/places/{enrollment.pk}/graduate/", {})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.GRADUATED


def test_a_full_group_says_so(cast):
    group = make_group(cast, min_size=1, max_size=1)
    enrol(cast, group, person("Ana"))
    ben = person("Ben")
    response = signed_in(cast.coordinator).post(
        f"/groups/{group.pk}/invite/", {"client": ben.pk}, follow=True
    )
    assert "The group is full." in text(response)
    assert not Enrollment.objects.filter(client=ben).exists()


def test_an_enrollment_of_another_group_is_not_found_here(cast):
    other = Enrollment.objects.get(group=cast.group_b)
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/places/{other.pk}/remove/"
    assert http.get(url).status_code == 404
    assert http.post(url, {"reason": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == EnrollmentStatus.ACTIVE


# --- Sessions ----------------------------------------------------------------------------


def _next(group: TherapyGroup) -> GroupSession:
    return group.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at")[0]


def test_session_list_past_and_upcoming(cast):
    http = signed_in(cast.facilitator)
    url = f"/groups/{cast.group_a.pk}/sessions/"
    upcoming = text(http.get(url))
    assert "Scheduled" in upcoming
    assert "Cancel" not in upcoming  # facilitators see, managers change
    past = text(http.get(url, {"when": "past"}))
    assert "Moved from" not in past
    assert "Cancel</a>" in text(signed_in(cast.coordinator).get(url))


def test_session_list_query_count_is_constant(cast):
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/sessions/?when=all"
    http.get(url)
    few = _queries(http, url)
    make_group(cast, name="Busy", recurrence="FREQ=DAILY;COUNT=40")
    busy = TherapyGroup.objects.get(name="Busy")
    http.get(f"/groups/{busy.pk}/sessions/?when=all")
    assert _queries(http, f"/groups/{busy.pk}/sessions/?when=all") <= few


def test_cancel_a_session_from_the_page(cast):
    session = _next(cast.group_a)
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/sessions/{session.pk}/cancel/"
    response = http.post(url, {"reason": ""})
    assert "This field is required." in field_error(response, "reason")
    response = http.post(url, {"reason": "The facilitator is unwell."})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert "The facilitator is unwell." in text(http.get(f"/groups/{cast.group_a.pk}/sessions/"))


def test_reschedule_end_before_start_is_explained(cast):
    session = _next(cast.group_a)
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/sessions/{session.pk}/reschedule/"
    day = (timezone.now() + timedelta(days=3)).astimezone(CHI).date().isoformat()
    response = http.post(url, {"date": day, "start_time": "18:00", "end_time": "17:00"})
    assert "The end must be after the start." in field_error(response, "end_time")
    before = session.starts_at
    session.refresh_from_db()
    assert session.starts_at == before
    response = http.post(url, {"date": day, "start_time": "20:00"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at.astimezone(CHI).time() == time(20, 0)
    assert session.ends_at - session.starts_at == timedelta(minutes=90)


def test_substitute_warning_and_move_online(cast):
    session = _next(cast.group_a)
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/sessions/{session.pk}/substitute/"
    response = http.post(url, {"substitute_facilitator": cast.clinician_b.pk}, follow=True)
    assert "Flint Facilitator is not licensed for Illinois, Kansas" in text(response)
    session.refresh_from_db()
    assert session.substitute_facilitator == cast.clinician_b
    # An in-person session can go online.
    loop = chicago()
    group = make_group(cast, modality="in_person", location=loop, room=room(loop))
    s = _next(group)
    assert http.post(f"/groups/{group.pk}/sessions/{s.pk}/move-online/").status_code == 302
    s.refresh_from_db()
    assert (s.modality, s.room) == ("virtual", None)


def test_a_session_of_another_group_is_not_found_through_this_one(cast):
    other = _next(cast.group_b)
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/sessions/{other.pk}/cancel/"
    assert http.post(url, {"reason": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == SessionStatus.SCHEDULED


def test_facilitators_cannot_change_sessions(cast):
    session = _next(cast.group_a)
    url = f"/groups/{cast.group_a.pk}/sessions/{session.pk}/cancel/"
    assert signed_in(cast.facilitator).post(url, {"reason": "x"}).status_code == 403
    assert signed_in(cast.facilitator_b).post(url, {"reason": "x"}).status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
