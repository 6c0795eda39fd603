"""Calendar feeds end to end: the secret address, what each person's feed holds, what it
never holds, and the .ics download of one session."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from icalendar import Calendar

from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.scheduling.calendar_feeds import (
    calendar_feed_create,
    calendar_feed_revoke,
    feed_path,
)
from kindred.scheduling.models import CalendarFeed, GroupSession, SessionStatus
from kindred.scheduling.session_services import (
    session_cancel,
    session_move_online,
    session_reschedule,
    session_set_substitute,
)
from kindred.scheduling.tests.calendar_reader import shown_events
from kindred.scheduling.tests.member_setup import (
    VIDEO_LINK,
    enrol,
    make_group,
    next_weekday,
    office,
    sessions_of,
)

CHI = ZoneInfo("America/Chicago")
ONLINE = "Online (join from Kindred)"


def _fetch(token: str) -> Any:
    response = HttpClient().get(feed_path(token))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def _uids(body: bytes) -> set[str]:
    cal: Any = Calendar.from_ical(body)
    return {str(e["UID"]) for e in cal.walk("VEVENT")}


def _expected(*groups: Any, since: datetime | None = None) -> list[tuple[datetime, datetime]]:
    since = since or timezone.now() - timedelta(days=60)
    rows = GroupSession.objects.filter(
        group__in=groups, status=SessionStatus.SCHEDULED, starts_at__gte=since
    )
    return sorted((s.starts_at, s.ends_at) for s in rows)


def _seen(body: bytes, uid_prefix: str = "") -> list[tuple[datetime, datetime]]:
    return sorted(
        (s.starts_at, s.ends_at) for s in shown_events(body) if s.uid.startswith(uid_prefix)
    )


# --- The address ------------------------------------------------------------------------


def test_only_a_hash_of_the_token_is_stored_and_the_feed_answers_text_calendar(cast):
    token, feed = calendar_feed_create(actor=cast.member)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not CalendarFeed.objects.filter(token_hash=token).exists()
    response = _fetch(token)
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response.content.startswith(b"BEGIN:VCALENDAR")
    feed.refresh_from_db()
    assert feed.last_fetched_at is not None
    assert AuditEvent.objects.filter(
        action="scheduling.calendar_feed.created", actor=cast.member
    ).exists()


def test_a_revoked_replaced_or_unknown_address_is_a_404(cast):
    old, _ = calendar_feed_create(actor=cast.member)
    new, _ = calendar_feed_create(actor=cast.member)  # replaces the old one
    anonymous = HttpClient()
    assert anonymous.get(feed_path(old)).status_code == 404
    assert anonymous.get(feed_path(new)).status_code == 200
    assert calendar_feed_revoke(actor=cast.member) == 1
    assert anonymous.get(feed_path(new)).status_code == 404
    assert anonymous.get(feed_path("x" * 43)).status_code == 404
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404
    created = AuditEvent.objects.filter(action="scheduling.calendar_feed.created")
    assert [e.detail["replaced"] for e in created.order_by("id")] == [0, 1]
    assert AuditEvent.objects.filter(action="scheduling.calendar_feed.revoked").count() == 1


def test_a_deactivated_account_has_no_feed(cast):
    token, _ = calendar_feed_create(actor=cast.member)
    cast.member.is_active = False
    cast.member.save(update_fields=["is_active"])
    assert HttpClient().get(feed_path(token)).status_code == 404


def test_the_feed_answers_head_but_not_post(cast):
    token, _ = calendar_feed_create(actor=cast.member)
    assert HttpClient().head(feed_path(token)).status_code == 200
    assert HttpClient().post(feed_path(token)).status_code == 405


# --- What a feed holds ------------------------------------------------------------------


def test_a_members_feed_is_their_groups_sessions_as_a_series(cast):
    token, _ = calendar_feed_create(actor=cast.member)
    body = _fetch(token).content
    assert _uids(body) == {f"group-{cast.group_a.pk}@127.0.0.1"}
    assert _seen(body) == _expected(cast.group_a)
    assert {s.location for s in shown_events(body)} == {ONLINE}


def test_a_member_does_not_get_the_sessions_of_a_group_they_left(cast):
    from kindred.groups.models import Enrollment
    from kindred.groups.services import enrollment_withdraw

    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    token, _ = calendar_feed_create(actor=cast.member)
    assert b"VEVENT" not in _fetch(token).content


def test_a_facilitators_feed_leaves_out_a_session_a_substitute_covers(cast):
    covered = sessions_of(cast.group_a)[-2]
    session_set_substitute(actor=cast.coordinator, session=covered, substitute=cast.clinician_b)
    lead_token, _ = calendar_feed_create(actor=cast.facilitator)
    lead_body = _fetch(lead_token).content
    assert covered.starts_at not in [s.starts_at for s in shown_events(lead_body)]
    assert len(_seen(lead_body)) == len(_expected(cast.group_a)) - 1

    sub_token, _ = calendar_feed_create(actor=cast.facilitator_b)
    sub_body = _fetch(sub_token).content
    assert f"session-{covered.pk}@127.0.0.1" in _uids(sub_body)
    assert f"group-{cast.group_b.pk}@127.0.0.1" in _uids(sub_body)
    assert covered.starts_at in [s.starts_at for s in shown_events(sub_body)]


def test_cancelled_and_rescheduled_sessions_show_as_a_calendar_program_expects(cast):
    sessions = sessions_of(cast.group_a)
    cancelled, moved = sessions[-4], sessions[-3]
    session_cancel(actor=cast.coordinator, session=cancelled, reason="Facilitator unwell")
    session_reschedule(
        actor=cast.coordinator, session=moved, starts_at=moved.starts_at + timedelta(days=1)
    )
    session_reschedule(
        actor=cast.coordinator, session=moved, starts_at=moved.starts_at + timedelta(hours=1)
    )
    token, _ = calendar_feed_create(actor=cast.member)
    body = _fetch(token).content
    assert _seen(body) == _expected(cast.group_a)
    cal: Any = Calendar.from_ical(body)
    master, exception = cal.walk("VEVENT")
    assert cancelled.original_starts_at in [d.dt.astimezone(UTC) for d in master["EXDATE"].dts]
    assert exception["RECURRENCE-ID"].dt.astimezone(UTC) == moved.original_starts_at
    assert exception["SEQUENCE"] == 2
    assert b"unwell" not in body


def test_a_series_across_the_march_change_keeps_18_00_in_chicago(cast):
    group = make_group(
        cast,
        "Spring Steps",
        start_date=date(2027, 2, 23),
        start_time=time(18, 0),
        recurrence="FREQ=WEEKLY;COUNT=6",
    )
    enrol(cast, group, cast.outsider_client)
    token, _ = calendar_feed_create(actor=cast.outsider)
    body = _fetch(token).content
    shown = [s for s in shown_events(body) if s.uid == f"group-{group.pk}@127.0.0.1"]
    assert [s.starts_at.astimezone(CHI).time() for s in shown] == [time(18, 0)] * 6
    # 14 March 2027 is the change: the UTC time moves by an hour, the local time does not.
    assert shown[2].starts_at == datetime(2027, 3, 10, 0, 0, tzinfo=UTC)
    assert shown[3].starts_at == datetime(2027, 3, 16, 23, 0, tzinfo=UTC)
    cal: Any = Calendar.from_ical(body)
    assert "America/Chicago" in {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}


def test_in_person_sessions_carry_the_address_and_never_the_video_link(cast):
    location, room = office(cast)
    group = make_group(
        cast,
        "Harbor Lights",
        modality="in_person",
        location=location,
        room=room,
        external_video_link=VIDEO_LINK,
    )
    enrol(cast, group, cast.client)
    moved_online = sessions_of(group)[2]
    session_move_online(actor=cast.coordinator, session=moved_online)
    token, _ = calendar_feed_create(actor=cast.member)
    body = _fetch(token).content
    text = body.decode()
    mine = [s for s in shown_events(body) if s.uid == f"group-{group.pk}@127.0.0.1"]
    locations = {s.location for s in mine}
    assert locations == {
        "Lakeview office (Maple room), 100 Example Street, Suite 4, Chicago, IL 60601",
        ONLINE,
    }
    assert "video.example.test" not in text
    assert "courtyard" not in text  # directions stay in Kindred


def test_no_forbidden_data_in_any_feed(cast):
    cast.group_a.external_video_link = VIDEO_LINK
    cast.group_a.save(update_fields=["external_video_link"])
    forbidden = [
        "video.example.test",
        "Avery",
        "Blair",
        "Casey",
        "Member",
        "Outsider",
        "example.test/",
        "@example.test",
        "Fern",
        "Flint",
        "LCPC",
        "1990",
    ]
    for user in (cast.member, cast.member_b, cast.facilitator, cast.facilitator_b):
        token, _ = calendar_feed_create(actor=user)
        text = _fetch(token).content.decode()
        unfolded = re.sub(r"\r\n[ \t]", "", text)
        for word in forbidden:
            assert word not in unfolded, (user.email, word)


def test_staff_without_a_clinician_profile_get_an_empty_but_valid_feed(cast):
    token, _ = calendar_feed_create(actor=cast.coordinator)
    body = _fetch(token).content
    cal: Any = Calendar.from_ical(body)
    assert cal.walk("VEVENT") == []


@pytest.mark.parametrize("who", ["member", "facilitator"])
def test_a_feed_takes_the_same_few_queries_however_much_it_holds(
    cast, who, django_assert_max_num_queries
):
    user = getattr(cast, who)
    token, _ = calendar_feed_create(actor=user)
    http = HttpClient()
    http.get(feed_path(token))  # marks it fetched
    with django_assert_max_num_queries(5) as small:
        http.get(feed_path(token))
    small_count = len(small.captured_queries)  # before the next request clears the log
    for i, weekday in enumerate((0, 3, 4)):
        group = make_group(
            cast,
            f"Extra group {i}",
            start_date=next_weekday(weekday),
            recurrence="FREQ=WEEKLY;COUNT=20",
        )
        enrol(cast, group, cast.client)
    with django_assert_max_num_queries(small_count):
        response = http.get(feed_path(token))
    assert response.status_code == 200
    assert len(_uids(response.content)) == 4


# --- One session as .ics -------------------------------------------------------------------


def test_a_member_downloads_one_of_their_sessions(cast):
    session = sessions_of(cast.group_a)[-1]
    response = signed_in(cast.member).get(f"/calendar/sessions/{session.pk}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="session-{session.pk}.ics"'
    cal: Any = Calendar.from_ical(response.content)
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.pk}@127.0.0.1"
    assert event["DTSTART"].dt.astimezone(UTC) == session.starts_at
    assert str(cal["METHOD"]) == "PUBLISH"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("outsider", 404),
        ("facilitator", 200),
        ("coordinator", 200),
        ("facilitator_b", 404),
        ("billing", 404),
    ],
)
def test_who_may_download_a_session(cast, who, status):
    session = sessions_of(cast.group_a)[-1]
    response = signed_in(getattr(cast, who)).get(f"/calendar/sessions/{session.pk}.ics")
    assert response.status_code == status


def test_anonymous_visitors_are_sent_to_sign_in_for_a_download(cast):
    session = sessions_of(cast.group_a)[-1]
    response = HttpClient().get(f"/calendar/sessions/{session.pk}.ics")
    assert response.status_code == 302


# --- The page -------------------------------------------------------------------------------


def test_the_address_is_shown_once_and_can_be_turned_off(cast):
    http = signed_in(cast.member)
    page = http.get("/calendar/")
    assert page.status_code == 200
    assert b"You have no calendar address yet" in page.content
    made = http.post("/calendar/new/")
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    url = re.search(rb'value="(http://[^"]+\.ics)"', made.content)
    assert url is not None
    token = url.group(1).decode().rsplit("/", 1)[-1].removesuffix(".ics")
    assert HttpClient().get(feed_path(token)).status_code == 200
    again = http.get("/calendar/")
    assert token.encode() not in again.content
    assert b"Make a new address" in again.content
    off = http.post("/calendar/revoke/", follow=True)
    assert b"Calendars using it stop updating" in off.content
    assert HttpClient().get(feed_path(token)).status_code == 404


def test_staff_manage_their_calendar_address_too(cast):
    http = signed_in(cast.facilitator)
    assert http.get("/calendar/").status_code == 200
    assert http.post("/calendar/new/").status_code == 200
    assert CalendarFeed.objects.filter(user=cast.facilitator, revoked_at__isnull=True).count() == 1


def test_the_calendar_page_needs_sign_in(db):
    assert HttpClient().get("/calendar/").status_code == 302
    assert HttpClient().post("/calendar/new/").status_code == 302
    assert CalendarFeed.objects.count() == 0
