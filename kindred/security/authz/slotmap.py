"""Which world slot a URL keyword names, by keyword and (where a keyword is ambiguous)
by the route it appears in. The table uses this to fill most rows; a row can override."""

from __future__ import annotations

import re

BY_KWARG: dict[str, str] = {
    "group_id": "group",
    "client_id": "client",
    "session_id": "session",
    "goal_id": "goal",
    "post_id": "post",
    "thread_id": "thread",
    "notification_id": "notification",
    "card_id": "card",
    "token_id": "token",
    "invitation_id": "invitation",
    "location_id": "location",
    "room_id": "room",
    "compact_id": "compact",
    "concern_id": "concern",
    "clinician_id": "clinician",
    "user_id": "staff_user",
    "enrollment_id": "enrollment",
    "license_id": "license",
    "window_id": "availability",
    "alert_id": "alert",
    "item_id": "preparation_item",
    "diagnosis_id": "diagnosis",
}

# (route regex, keyword) -> slot, checked before BY_KWARG.
BY_ROUTE: list[tuple[str, str, str]] = [
    (r"journal/", "entry_id", "journal_entry"),
    (r"waitlist/", "entry_id", "waitlist_entry"),
    (r"process-notes/", "note_id", "psychnote"),
    (r"account-closures/", "request_id", "closure"),
    (r"practice/locations/<int:pk>", "pk", "location"),
    (r"practice/rooms/<int:pk>", "pk", "room"),
    (r"practice/compacts/<int:pk>", "pk", "compact"),
    (r"^staff/<int:pk>", "pk", "staff_user"),
    (r"^clinicians/<int:pk>", "pk", "clinician"),
    (r"^clinicians/licenses/<int:pk>", "pk", "license"),
]

KWARG_RE = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def kwargs_of(route: str) -> list[str]:
    return [a or b for a, b in KWARG_RE.findall(route)]


def slot_for(route: str, kwarg: str) -> str | None:
    for pattern, name, slot in BY_ROUTE:
        if name == kwarg and re.search(pattern, route):
            return slot
    return BY_KWARG.get(kwarg)
