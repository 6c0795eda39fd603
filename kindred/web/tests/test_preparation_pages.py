"""Preparation pages (staff write, members read and mark) and the member's
getting-ready checklist on their home page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from kindred.accounts.models import User, UserKind
from kindred.core.testing import PASSWORD, signed_in
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_invite, enrollment_withdraw
from kindred.groups.tests.factories import make_group, person
from kindred.intake import preparation
from kindred.intake.checklist import member_checklists
from kindred.intake.models import PreparationItem, PreparationRead
from kindred.intake.tests.agreement_support import next_version, published, sign, use
from kindred.scheduling.attendance import AttendanceEntry, attendance_record
from kindred.scheduling.models import GroupSession


def words(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def field_error(response: Any, field: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def _add(cast: Any, title: str, body: str = "Some words.", group: Any = None) -> PreparationItem:
    return preparation.preparation_item_create(
        actor=cast.coordinator, group=group or cast.group_a, title=title, body=body
    )


# --- Staff ---------------------------------------------------------------------------------


def test_a_facilitator_writes_the_groups_preparation(cast):
    http = signed_in(cast.facilitator)
    url = f"/groups/{cast.group_a.pk}/preparation/"
    assert "No preparation yet." in words(http.get(url))
    response = http.post(url, {"title": "What to expect", "body": "We meet **weekly**."})
    item = PreparationItem.objects.get()
    assert response["Location"] == f"{url}#item-{item.pk}"
    html = http.get(url).content.decode()
    assert "<strong>weekly</strong>" in html

    http.post(url, {"title": "How to join", "body": "By video."})
    second = PreparationItem.objects.get(title="How to join")
    http.post(f"{url}{second.pk}/move/up/")
    assert list(preparation.preparation_items(cast.group_a).values_list("title", flat=True)) == [
        "How to join",
        "What to expect",
    ]
    response = http.post(f"{url}{item.pk}/edit/", {"title": "What to expect", "body": "Changed."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.body == "Changed."
    assert "Remove “How to join”?" in words(http.get(f"{url}{second.pk}/delete/"))
    http.post(f"{url}{second.pk}/delete/")
    assert list(PreparationItem.objects.values_list("title", flat=True)) == ["What to expect"]


def test_a_bad_item_shows_errors_beside_the_fields_and_saves_nothing(cast):
    response = signed_in(cast.facilitator).post(
        f"/groups/{cast.group_a.pk}/preparation/", {"title": "", "body": "   "}
    )
    assert response.status_code == 200
    assert field_error(response, "title")
    assert "Write what members should read here." in field_error(response, "body")
    assert not PreparationItem.objects.exists()


def test_copy_from_another_group(cast):
    _add(cast, "What to expect", group=cast.group_b)
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/preparation/copy/"
    page = http.get(url).content.decode()
    assert "Open Harbor" in page
    response = http.post(url, {"from_group": cast.group_b.pk})
    assert response.status_code == 302
    assert PreparationItem.objects.filter(group=cast.group_a, title="What to expect").exists()
    # A group the facilitator cannot see is not offered and cannot be sent.
    response = signed_in(cast.facilitator).post(url, {"from_group": cast.group_b.pk})
    assert response.status_code == 200
    assert "None of the other groups you can see has preparation yet." in words(response)
    assert PreparationItem.objects.filter(group=cast.group_a).count() == 1


@pytest.mark.parametrize(("who", "status"), [("facilitator_b", 404), ("member", 404)])
def test_someone_elses_group_preparation_is_not_found(cast, who, status):
    item = _add(cast, "What to expect")
    http = signed_in(getattr(cast, who))
    base = f"/groups/{cast.group_a.pk}/preparation/"
    assert http.get(base).status_code == status
    assert http.post(base, {"title": "X", "body": "Y"}).status_code == status
    assert http.post(f"{base}{item.pk}/edit/", {"title": "X", "body": "Y"}).status_code == status
    assert http.post(f"{base}{item.pk}/delete/").status_code == status
    assert PreparationItem.objects.get().title == "What to expect"


def test_a_supervisor_reads_but_does_not_change_preparation(cast):
    item = _add(cast, "What to expect")
    http = signed_in(cast.supervisor)
    base = f"/groups/{cast.group_a.pk}/preparation/"
    page = words(http.get(base))
    assert "What to expect" in page
    assert "Add a part" not in page
    assert http.post(base, {"title": "X", "body": "Y"}).status_code == 403
    assert http.post(f"{base}{item.pk}/delete/").status_code == 403
    assert http.get(f"{base}copy/").status_code == 403
    assert PreparationItem.objects.count() == 1


def test_an_item_of_another_group_is_not_found_through_this_group(cast):
    theirs = _add(cast, "Theirs", group=cast.group_b)
    response = signed_in(cast.coordinator).post(
        f"/groups/{cast.group_a.pk}/preparation/{theirs.pk}/delete/"
    )
    assert response.status_code == 404
    assert PreparationItem.objects.filter(pk=theirs.pk).exists()


def test_the_preparation_page_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/preparation/"
    _add(cast, "One")
    http.get(url)
    with django_assert_max_num_queries(20) as first:
        http.get(url)
    for n in range(8):
        _add(cast, f"Part {n}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert http.get(url).status_code == 200


# --- Members -----------------------------------------------------------------------------------


def test_a_member_reads_the_preparation_and_marks_it_read(cast):
    first = _add(cast, "What to expect", "# Our first evening\n\nWe start with names.")
    _add(cast, "How to join", "Open the link ten minutes early.")
    http = signed_in(cast.member)
    url = f"/my/groups/{cast.group_a.pk}/preparation/"
    page = http.get(url)
    html = page.content.decode()
    assert "<h3>Our first evening</h3>" in html
    assert "You have read 0 of 2 parts." in words(page)
    response = http.post(f"{url}{first.pk}/read/")
    assert response["Location"] == f"{url}#item-{first.pk}"
    text = words(http.get(url))
    assert "You have read 1 of 2 parts." in text
    assert "You read this on" in text
    assert PreparationRead.objects.get().client == cast.client


@pytest.mark.parametrize("who", ["outsider", "coordinator", "facilitator"])
def test_others_find_no_member_preparation_page(cast, who):
    item = _add(cast, "What to expect")
    http = signed_in(getattr(cast, who))
    url = f"/my/groups/{cast.group_a.pk}/preparation/"
    assert http.get(url).status_code == 404
    assert http.post(f"{url}{item.pk}/read/").status_code == 404
    assert not PreparationRead.objects.exists()


def test_a_member_cannot_mark_another_groups_item_through_their_group(cast):
    theirs = _add(cast, "Theirs", group=cast.group_b)
    response = signed_in(cast.member).post(
        f"/my/groups/{cast.group_a.pk}/preparation/{theirs.pk}/read/"
    )
    assert response.status_code == 404
    assert not PreparationRead.objects.exists()


# --- The checklist on the member's home page ---------------------------------------------------


def _steps(client: Any) -> dict[str, list[tuple[str, str]]]:
    return {c.group_name: [(s.title, s.state) for s in c.steps] for c in member_checklists(client)}


def test_the_checklist_walks_a_member_through_getting_ready(cast):
    group = cast.group_a
    version = published(cast.admin)
    use(cast.coordinator, group, version)
    item = _add(cast, "What to expect")

    steps = _steps(cast.client)["Steady Ground"]
    assert steps == [
        ("A short conversation with your facilitator", "done"),  # an active place
        ("Sign the group agreement", "todo"),
        ("Read about your group", "todo"),
        ("Your first session", "waiting"),
    ]
    page = words(signed_in(cast.member).get("/home/member/"))
    assert "Getting ready for your group" in page
    assert "Read and sign" in page
    assert "0 of 1 read." in page

    sign(cast.member, group)
    preparation.preparation_mark_read(actor=cast.member, item=item)
    steps = _steps(cast.client)["Steady Ground"]
    assert [s for _, s in steps] == ["done", "done", "done", "waiting"]

    session = GroupSession.objects.filter(group=group, starts_at__gt=timezone.now()).first()
    assert session is not None
    with time_machine.travel(session.ends_at + timedelta(minutes=10)):
        attendance_record(
            actor=cast.facilitator,
            session=session,
            entries=[AttendanceEntry(client_id=cast.client.pk, status="virtual")],
        )
        assert member_checklists(cast.client) == []  # all done: the panel goes away
        page = words(signed_in(cast.member).get("/home/member/"))
        assert "Getting ready for your group" not in page


def test_an_offered_member_sees_what_is_left_and_when_the_first_session_is(cast):
    client = person("Dana", "Newcomer")
    user = User.objects.create_user(
        "dana@example.test", PASSWORD, full_name="Dana Newcomer", kind=UserKind.MEMBER
    )
    client.user = user
    client.save(update_fields=["user"])
    enrollment_invite(actor=cast.coordinator, group=cast.group_a, client=client)
    [checklist] = member_checklists(client)
    screening, agreement, reading, first = checklist.steps
    assert (screening.state, screening.state_text) == ("waiting", "Not yet")
    assert agreement.state == "none"  # the group has no agreement
    assert reading.state == "none"
    assert first.state == "waiting"
    assert first.state_text == "Coming up"
    assert " at " in first.detail  # "Tuesday, March 3 at 6:00 PM"
    page = words(signed_in(user).get("/home/member/"))
    assert "Your care team will get in touch" in page


def test_a_new_version_brings_the_checklist_back(cast):
    version = published(cast.admin, body="One.")
    use(cast.coordinator, cast.group_a, version)
    sign(cast.member, cast.group_a)
    use(cast.coordinator, cast.group_a, next_version(cast.admin, version.template, body="Two."))
    step = _steps(cast.client)["Steady Ground"][1]
    assert step == ("Sign the group agreement", "todo")
    [checklist] = [c for c in member_checklists(cast.client) if c.group_name == "Steady Ground"]
    assert "has changed" in checklist.steps[1].detail


def test_the_checklist_costs_one_query_whatever_the_number_of_groups(
    cast, django_assert_num_queries
):
    with django_assert_num_queries(1):
        member_checklists(cast.client)
    for n in range(3):
        group = make_group(
            cast,
            name=f"Extra group {n}",
            start_time=timezone.localtime().replace(hour=8 + n).time(),
            recurrence="FREQ=WEEKLY;COUNT=4",
            start_date=timezone.localdate() + timedelta(days=1 + n),
        )
        enrollment_invite(actor=cast.coordinator, group=group, client=cast.client)
    with django_assert_num_queries(1):
        assert len(member_checklists(cast.client)) == 4


def test_a_member_without_places_sees_no_checklist(cast):
    enrollment = Enrollment.objects.get(client=cast.outsider_client)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Paused care")
    assert member_checklists(cast.outsider_client) == []
