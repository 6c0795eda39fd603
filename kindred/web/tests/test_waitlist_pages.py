"""The coordinator's waitlist: the list page (rows, filters, order, paging, a constant
query count), an entry's page (status, contact log, exclusions), the home panel, the
navigation, and who may see any of it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.clients.services import concern_create, search_key
from kindred.core.testing import signed_in
from kindred.intake.models import (
    ContactAttempt,
    PlacementExclusion,
    WaitlistEntry,
    WaitlistStatus,
)
from kindred.intake.tests.referral_support import THEIR_WORDS, refer, written
from kindred.intake.waitlist import exclusion_add, waitlist_add

LIST = "/waitlist/"
CHICAGO = ZoneInfo("America/Chicago")  # the cast practice's time zone


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _many(count: int, *, start: int = 0) -> list[WaitlistEntry]:
    """``count`` people waiting (bulk-made, like seed_scale), each with a concern."""
    grief = concern_create(actor=None, name=f"Concern {start}")
    now = timezone.now()
    clients = Client.objects.bulk_create(
        Client(
            legal_first_name=f"Person{n}",
            legal_last_name="Waiting",
            date_of_birth=date(1980, 1, 1) + timedelta(days=n),
            state_of_residence="IL",
            search_name=search_key(f"Person{n}", "Waiting"),
        )
        for n in range(start, start + count)
    )
    Client.concerns.through.objects.bulk_create(
        Client.concerns.through(client_id=c.pk, concerntag_id=grief.pk) for c in clients
    )
    return WaitlistEntry.objects.bulk_create(
        WaitlistEntry(
            client=c,
            added_at=now - timedelta(days=n),
            urgency=("urgent", "soon", "routine")[n % 3],
            flagged_out_of_state=n % 7 == 0,
        )
        for n, c in enumerate(clients)
    )


# --- The list -------------------------------------------------------------------------------


def test_the_waitlist_shows_who_waits_how_long_urgency_flags_and_the_group(cast):
    now = timezone.now()
    waitlist_add(
        actor=cast.coordinator,
        client=cast.client,
        group=cast.group_a,
        urgency="urgent",
        flagged_out_of_state=True,
        now=now - timedelta(weeks=6, days=1),
    )
    response = signed_in(cast.coordinator).get(LIST)
    assert response.status_code == 200
    text = _text(response)
    assert "Avery Member" in text
    assert "6 weeks" in text
    assert "Urgent" in text
    assert "Out of state" in text
    assert "Steady Ground" in text
    assert "1 person, most urgent first, then longest waiting." in text


def test_a_possible_duplicate_is_flagged_on_the_list(cast):
    from kindred.intake.referrals import referral_create_record

    referral = refer(
        first_name="Avery",
        last_name="Member",
        date_of_birth=date(1990, 4, 1),
        email="avery.other@example.test",
    ).referral
    assert referral is not None
    referral_create_record(actor=cast.coordinator, referral=referral)
    assert "Possible duplicate" in _text(signed_in(cast.coordinator).get(LIST))


def test_the_waitlist_filters(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    cast.client_b.concerns.add(grief)
    waitlist_add(actor=cast.coordinator, client=cast.client, urgency="urgent")
    waitlist_add(
        actor=cast.coordinator, client=cast.client_b, now=timezone.now() - timedelta(weeks=5)
    )
    http = signed_in(cast.coordinator)

    def names(query: str) -> list[str]:
        html = http.get(LIST + query).content.decode()
        return re.findall(r'<a href="/waitlist/\d+/">([^<]+)</a>', html)

    assert names("") == ["Avery Member", "Blair Member"]
    assert names(f"?concern={grief.pk}") == ["Blair Member"]
    assert names("?state=IL") == ["Avery Member"]
    assert names("?waited=4") == ["Blair Member"]
    assert names("?urgency=urgent") == ["Avery Member"]
    assert names("?status=withdrawn") == []
    assert "Nobody on the waitlist matches these filters." in _text(http.get(LIST + "?state=TX"))
    # Bad values are ignored, not errors.
    assert names("?waited=abc&status=lost&concern=x") == ["Avery Member", "Blair Member"]


def test_an_empty_waitlist_says_how_people_join(cast):
    text = _text(signed_in(cast.coordinator).get(LIST))
    assert "Nobody is waiting." in text
    assert "public form" in text


def test_the_waitlist_is_paged_and_its_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.coordinator)
    _many(5)
    http.get(LIST)
    with django_assert_max_num_queries(15) as before:
        http.get(LIST)
    count = len(before.captured_queries)
    _many(60, start=100)
    with django_assert_max_num_queries(count):
        response = http.get(LIST)
    text = _text(response)
    assert "65 people" in text
    assert "Page 1 of 2" in text
    with django_assert_max_num_queries(count):
        second = http.get(LIST + "?page=2&urgency=")
    assert second.status_code == 200
    # Most urgent first, then longest waiting: the first row is the oldest urgent entry.
    first_row = re.search(r'<a href="/waitlist/\d+/">([^<]+)</a>', text)
    assert first_row is not None
    assert first_row.group(1) == "Person157 Waiting"  # urgent, waiting 57 days


# --- An entry -------------------------------------------------------------------------------


def test_an_entry_shows_the_person_their_referral_and_is_audited(cast):
    submission = refer(group=cast.group_a)
    entry = submission.entry
    assert entry is not None
    http = signed_in(cast.coordinator)
    response = http.get(f"/waitlist/{entry.pk}/")
    assert response.status_code == 200
    text = _text(response)
    assert "Robin Example" in text
    assert f'href="/clients/{entry.client_id}/"' in response.content.decode()
    assert THEIR_WORDS in text
    assert "Tuesday" in text
    assert "Steady Ground" in text
    assert AuditEvent.objects.filter(
        action="intake.waitlist_entry.viewed", client_id=entry.client_id
    ).exists()


def test_ending_an_entry_needs_a_reason_shown_beside_the_field(cast):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    http = signed_in(cast.coordinator)
    before = written()
    response = http.post(f"/waitlist/{entry.pk}/status/", {"status": "withdrawn", "reason": ""})
    assert response.status_code == 200
    assert 'id="id_reason_error"' in response.content.decode()
    assert written() == before
    response = http.post(
        f"/waitlist/{entry.pk}/status/",
        {"status": "referred_elsewhere", "reason": "Needs a specialist eating-disorder service"},
        follow=True,
    )
    assert "Status changed to “Referred elsewhere”." in _text(response)
    assert "Needs a specialist eating-disorder service" in _text(response)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.REFERRED_ELSEWHERE
    assert entry.closed_at is not None


def test_a_contact_attempt_is_logged_in_the_practice_time(cast):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    http = signed_in(cast.coordinator)
    when = timezone.now() - timedelta(hours=3)
    local = timezone.localtime(when, CHICAGO)
    response = http.post(
        f"/waitlist/{entry.pk}/contacts/",
        {
            "at": local.strftime("%Y-%m-%dT%H:%M"),
            "method": "phone",
            "outcome": "reached",
            "note": "Prefers Tuesday evenings.",
        },
        follow=True,
    )
    assert "Contact attempt logged." in _text(response)
    attempt = ContactAttempt.objects.get()
    assert abs((attempt.at - when).total_seconds()) < 60
    entry.refresh_from_db()
    assert entry.status == "contacted"
    future = timezone.localtime(timezone.now() + timedelta(days=1), CHICAGO)
    response = http.post(
        f"/waitlist/{entry.pk}/contacts/",
        {"at": future.strftime("%Y-%m-%dT%H:%M"), "method": "phone", "outcome": "no_answer"},
    )
    assert 'id="id_at_error"' in response.content.decode()
    assert ContactAttempt.objects.count() == 1


def test_a_coordinator_keeps_two_people_apart_and_both_entries_show_it(cast):
    mine = waitlist_add(actor=cast.coordinator, client=cast.client)
    theirs = waitlist_add(actor=cast.coordinator, client=cast.client_b)
    http = signed_in(cast.coordinator)
    found = http.get(f"/waitlist/{mine.pk}/?find=blair")
    html = found.content.decode()
    assert "Blair Member, born 1985-09-12" in html
    assert f'value="{cast.client.pk}"' not in html  # not themselves
    missing = http.post(f"/waitlist/{mine.pk}/exclusions/", {"find": "blair", "reason": "family"})
    assert 'id="id_other_error"' in missing.content.decode()
    response = http.post(
        f"/waitlist/{mine.pk}/exclusions/",
        {"find": "blair", "other": cast.client_b.pk, "reason": "family", "note": "Sisters"},
        follow=True,
    )
    assert "will not be placed in the same group" in _text(response)
    exclusion = PlacementExclusion.objects.get()
    assert "Avery Member" in _text(http.get(f"/waitlist/{theirs.pk}/"))
    assert "Family member: Sisters" in _text(http.get(f"/waitlist/{theirs.pk}/"))
    # A client outside the search cannot be slipped in.
    outsider = http.post(
        f"/waitlist/{mine.pk}/exclusions/",
        {"find": "blair", "other": cast.outsider_client.pk, "reason": "coworker"},
    )
    assert 'id="id_other_error"' in outsider.content.decode()
    http.post(f"/waitlist/{theirs.pk}/exclusions/{exclusion.pk}/remove/")
    assert not PlacementExclusion.objects.exists()


def test_an_exclusion_search_that_finds_nobody_says_so(cast):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    text = _text(signed_in(cast.coordinator).get(f"/waitlist/{entry.pk}/?find=zzzz"))
    assert "No client found for “zzzz”." in text


def test_an_exclusion_of_another_entry_cannot_be_removed_from_here(cast):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    other = exclusion_add(
        actor=cast.coordinator, client=cast.client_b, other=cast.outsider_client, reason="social"
    )
    response = signed_in(cast.coordinator).post(
        f"/waitlist/{entry.pk}/exclusions/{other.pk}/remove/"
    )
    assert response.status_code == 404
    assert PlacementExclusion.objects.exists()


def test_the_entry_page_query_count_is_constant(cast, django_assert_max_num_queries):
    entry = refer().entry
    assert entry is not None
    http = signed_in(cast.coordinator)
    http.get(f"/waitlist/{entry.pk}/")
    with django_assert_max_num_queries(30) as before:
        http.get(f"/waitlist/{entry.pk}/")
    count = len(before.captured_queries)
    for n in range(5):
        http.post(
            f"/waitlist/{entry.pk}/contacts/",
            {
                "at": f"{timezone.localdate() - timedelta(days=n + 1):%Y-%m-%d}T10:00",
                "method": "email",
                "outcome": "no_answer",
            },
        )
    http.post(f"/waitlist/{entry.pk}/status/", {"status": "contacted"})
    exclusion_add(actor=cast.coordinator, client=entry.client, other=cast.client, reason="other")
    exclusion_add(actor=cast.coordinator, client=entry.client, other=cast.client_b, reason="other")
    with django_assert_max_num_queries(count):
        http.get(f"/waitlist/{entry.pk}/")


# --- Access, navigation, home ------------------------------------------------------------------


WAITLIST_PAGES = [
    ("get", "/waitlist/"),
    ("get", "/waitlist/{id}/"),
    ("post", "/waitlist/{id}/status/"),
    ("post", "/waitlist/{id}/contacts/"),
    ("post", "/waitlist/{id}/exclusions/"),
    ("post", "/waitlist/{id}/exclusions/{x}/remove/"),
]


@pytest.mark.parametrize(
    "who", ["facilitator", "facilitator_b", "supervisor", "billing", "member", "outsider"]
)
def test_members_and_facilitators_find_no_waitlist(cast, who):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    x = exclusion_add(
        actor=cast.coordinator, client=cast.client, other=cast.client_b, reason="family"
    )
    http = signed_in(getattr(cast, who))
    before = written()
    data = {"status": "withdrawn", "reason": "x", "at": "2026-01-01T10:00", "method": "phone"}
    for method, path in WAITLIST_PAGES:
        response = getattr(http, method)(path.format(id=entry.pk, x=x.pk), data)
        assert response.status_code == 404, (method, path)
    assert written() == before
    assert PlacementExclusion.objects.exists()
    assert AuditEvent.objects.filter(
        action="intake.waitlistentry.denied", object_id=str(entry.pk)
    ).exists()


@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_coordinators_and_admins_open_the_waitlist(cast, who):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    http = signed_in(getattr(cast, who))
    assert http.get(LIST).status_code == 200
    assert http.get(f"/waitlist/{entry.pk}/").status_code == 200


def test_a_missing_entry_is_404(cast):
    http = signed_in(cast.coordinator)
    assert http.get("/waitlist/999999/").status_code == 404
    assert http.post("/waitlist/999999/status/", {"status": "contacted"}).status_code == 404


def test_the_waitlist_needs_sign_in(db):
    response = HttpClient().get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("who", "shown"),
    [("coordinator", True), ("admin", True), ("facilitator", False), ("billing", False)],
)
def test_the_waitlist_is_in_the_navigation_of_those_who_see_every_client(cast, who, shown):
    html = signed_in(getattr(cast, who)).get("/notifications/").content.decode()
    assert ('href="/waitlist/"' in html) is shown


def test_the_coordinator_home_shows_the_waitlist_panel(cast, django_assert_max_num_queries):
    waitlist_add(
        actor=cast.coordinator,
        client=cast.client,
        urgency="urgent",
        now=timezone.now() - timedelta(weeks=3),
    )
    refer(first_name="Avery", last_name="Member", date_of_birth=date(1990, 4, 1))
    http = signed_in(cast.coordinator)
    text = _text(http.get("/home/coordinator/"))
    assert "Longest wait" in text
    assert "3 weeks" in text
    assert "1 referral needs review" in text
    assert "Open the waitlist" in text
