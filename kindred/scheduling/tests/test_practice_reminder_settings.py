"""When members are reminded: the practice profile's "Remind members" checkboxes and the
same setting in the API (practice:write). Bad input is refused beside the field and
nothing is saved."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.practice.models import Practice

FORM = {
    "name": "Test Practice",
    "timezone": "America/Chicago",
    "states_served": ["IL", "KS", "FL"],
    "crisis_resources": "Call or text 988, any time.",
    "staff_idle_minutes": "15",
    "member_idle_minutes": "30",
}
PROFILE = {
    "name": "Test Practice",
    "timezone": "America/Chicago",
    "states_served": ["IL"],
    "crisis_resources": "Call or text 988.",
}


def offsets() -> list[int]:
    return list(Practice.objects.get().reminder_minutes_before)


def checked(html: str) -> set[str]:
    boxes = re.findall(r'<input type="checkbox" name="reminder_minutes_before"[^>]*>', html)
    return {re.search(r'value="(\d+)"', b).group(1) for b in boxes if "checked" in b}  # type: ignore[union-attr]


def test_the_profile_offers_common_reminder_times(cast):
    html = signed_in(cast.admin).get("/practice/").content.decode()
    assert "Remind members" in html
    assert "A day before" in html
    assert "An hour before" in html
    assert checked(html) == {"1440", "60"}


def test_choosing_reminder_times_saves_them_largest_first(cast):
    response = signed_in(cast.admin).post(
        "/practice/", {**FORM, "reminder_minutes_before": ["120", "2880"]}
    )
    assert response.status_code == 302
    assert offsets() == [2880, 120]
    event = AuditEvent.objects.filter(action="practice.practice.updated").latest("id")
    assert "reminder_minutes_before" in event.detail["fields"]


def test_no_box_ticked_turns_reminders_off(cast):
    signed_in(cast.admin).post("/practice/", FORM)
    assert offsets() == []


def test_too_many_reminder_times_are_refused_beside_the_field(cast):
    before = offsets()
    response = signed_in(cast.admin).post(
        "/practice/", {**FORM, "reminder_minutes_before": ["10080", "2880", "1440", "60", "30"]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "At most four reminders per session." in html
    assert offsets() == before


def test_an_unusual_time_set_through_the_api_stays_choosable(cast):
    Practice.objects.filter(pk=1).update(reminder_minutes_before=[90])
    html = signed_in(cast.admin).get("/practice/").content.decode()
    assert "90 minutes before" in html
    assert checked(html) == {"90"}


def test_readers_see_the_reminder_times(cast):
    html = signed_in(cast.facilitator).get("/practice/").content.decode()
    assert "1440, 60" in html


def _put(cast: Any, payload: dict[str, Any]) -> Any:
    return signed_in(cast.admin).put(
        "/api/v1/practice/", json.dumps(payload), content_type="application/json"
    )


def test_the_api_reads_and_sets_reminder_times(cast):
    http = signed_in(cast.admin)
    assert http.get("/api/v1/practice/").json()["reminder_minutes_before"] == [1440, 60]
    response = _put(cast, {**PROFILE, "reminder_minutes_before": [60, 1440, 15]})
    assert response.status_code == 200
    assert response.json()["reminder_minutes_before"] == [1440, 60, 15]
    # Left out, they stay as they are.
    assert _put(cast, PROFILE).json()["reminder_minutes_before"] == [1440, 60, 15]
    assert offsets() == [1440, 60, 15]


@pytest.mark.parametrize(
    "value", [[3], [60, 60], [1, 2, 3, 4, 5], ["soon"], [20000], "1440", [True]]
)
def test_bad_reminder_times_are_refused_by_the_api(cast, value):
    before = (offsets(), AuditEvent.objects.count())
    response = _put(cast, {**PROFILE, "reminder_minutes_before": value})
    assert response.status_code == 400
    assert "reminder_minutes_before" in response.json()
    assert (offsets(), AuditEvent.objects.count()) == before
