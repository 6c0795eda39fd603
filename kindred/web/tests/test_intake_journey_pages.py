"""What the intake journey (tests_browser/test_intake_journey.py) needs of the pages
beyond their own tests: the way from a waitlist entry to screening that person."""

from __future__ import annotations

from kindred.core.testing import signed_in
from kindred.groups.tests.factories import person
from kindred.intake.waitlist import waitlist_add, waitlist_set_status

START = "Start a screening"


def test_an_open_entry_leads_to_screening_that_person(cast):
    entry = waitlist_add(
        actor=cast.coordinator, client=person("Robin", "Waiting"), group=cast.group_a
    )
    page = signed_in(cast.coordinator).get(f"/waitlist/{entry.pk}/").content.decode()
    assert f'href="/screenings/new/?entry={entry.pk}">{START}</a>' in page
    # The link works: the screening page opens for that person.
    start = signed_in(cast.coordinator).get(f"/screenings/new/?entry={entry.pk}")
    assert start.status_code == 200
    assert "Screen Robin Waiting" in start.content.decode()


def test_a_closed_entry_does_not(cast):
    entry = waitlist_add(actor=cast.coordinator, client=person("Sam", "Gone"), group=cast.group_a)
    waitlist_set_status(
        actor=cast.coordinator, entry=entry, status="withdrawn", reason="Found a group nearby."
    )
    page = signed_in(cast.coordinator).get(f"/waitlist/{entry.pk}/").content.decode()
    assert START not in page
