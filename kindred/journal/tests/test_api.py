"""API v1 for the journal: members by session for their own entries, facilitators by
session for a group's shared entries; every token refused; others get 404."""

from __future__ import annotations

import pytest

from kindred.accounts.scopes import Scope
from kindred.api.testing import session, token
from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast
from kindred.journal.models import JournalEntry
from kindred.measures.models import SafetyAlert

BASE = "/api/v1/journal"
RISKY = "Honestly I want to die some nights."


def test_member_writes_reads_changes_shares_and_deletes(cast: Cast) -> None:
    http = session(cast.member)
    sessions = http.get(f"{BASE}/sessions/").json()
    assert sessions
    assert {s["group_id"] for s in sessions} == {cast.group_a.pk}
    made = http.post(
        f"{BASE}/entries/",
        {"title": "Week", "body": "Fine *week*.", "session_id": sessions[0]["id"]},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["shared_with_facilitator"] is False
    assert body["crisis"] is None
    assert body["body_html"] == "<p>Fine <em>week</em>.</p>\n"
    url = f"{BASE}/entries/{body['id']}/"
    listing = http.get(f"{BASE}/entries/").json()
    assert [e["id"] for e in listing["results"]] == [body["id"]]
    changed = http.put(url, {"body": RISKY}, format="json").json()
    assert changed["body"] == RISKY
    assert changed["session"] is None
    assert not SafetyAlert.objects.exists()
    shared = http.post(f"{url}share/").json()
    assert shared["shared_with_facilitator"] is True
    assert "988" in shared["crisis"]["message"]
    assert SafetyAlert.objects.get().flag_code == f"journal.entry.{body['id']}"
    fac = session(cast.facilitator).get(f"{BASE}/groups/{cast.group_a.pk}/shared/").json()
    assert [e["id"] for e in fac["results"]] == [body["id"]]
    assert fac["results"][0]["risk_categories"] == ["suicidal_ideation"]
    assert AuditEvent.objects.filter(action="journal.entry.viewed").count() == 1
    unshared = http.delete(f"{url}share/").json()
    assert unshared["shared_with_facilitator"] is False
    fac = session(cast.facilitator).get(f"{BASE}/groups/{cast.group_a.pk}/shared/").json()
    assert fac["results"] == []
    assert http.delete(url).status_code == 204
    assert not JournalEntry.objects.exists()


def test_bad_input_is_a_specific_error_and_nothing_changes(cast: Cast) -> None:
    http = session(cast.member)
    response = http.post(f"{BASE}/entries/", {"body": "x", "title": "t" * 121}, format="json")
    assert response.status_code in (400, 422)
    assert "120 characters or fewer" in response.content.decode()
    other = http.post(f"{BASE}/entries/", {"body": "x", "session_id": 999999}, format="json")
    assert other.status_code in (400, 422)
    assert "your own group's sessions" in other.content.decode()
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("who", ["member_b", "facilitator", "admin", "coordinator"])
def test_nobody_else_reads_a_private_entry(cast: Cast, who: str) -> None:
    made = session(cast.member).post(f"{BASE}/entries/", {"body": "CANARY-api"}, format="json")
    url = f"{BASE}/entries/{made.json()['id']}/"
    http = session(getattr(cast, who))
    for response in (http.get(url), http.put(url, {"body": "x"}, format="json"), http.delete(url)):
        assert response.status_code == 404
        assert "CANARY" not in response.content.decode()
    assert http.post(f"{url}share/").status_code == 404
    assert JournalEntry.objects.get().body == "CANARY-api"


def test_every_token_is_refused(cast: Cast) -> None:
    made = session(cast.member).post(f"{BASE}/entries/", {"body": "CANARY-tok"}, format="json")
    entry_id = made.json()["id"]
    session(cast.member).post(f"{BASE}/entries/{entry_id}/share/")
    for user in (cast.facilitator, cast.admin):
        client = token(user, *(s.value for s in Scope))
        for url in (
            f"{BASE}/entries/",
            f"{BASE}/entries/{entry_id}/",
            f"{BASE}/groups/{cast.group_a.pk}/shared/",
        ):
            response = client.get(url)
            assert response.status_code in (401, 403)
            assert "CANARY" not in response.content.decode()


@pytest.mark.parametrize("who", ["facilitator_b", "admin", "supervisor", "member"])
def test_only_the_groups_facilitators_read_shared_entries(cast: Cast, who: str) -> None:
    made = session(cast.member).post(f"{BASE}/entries/", {"body": "CANARY-sh"}, format="json")
    session(cast.member).post(f"{BASE}/entries/{made.json()['id']}/share/")
    response = session(getattr(cast, who)).get(f"{BASE}/groups/{cast.group_a.pk}/shared/")
    assert response.status_code == 404
    assert "CANARY" not in response.content.decode()


def test_staff_have_no_journal_of_their_own(cast: Cast) -> None:
    assert session(cast.facilitator).get(f"{BASE}/entries/").status_code == 404
    assert session(cast.facilitator).get(f"{BASE}/sessions/").status_code == 404
