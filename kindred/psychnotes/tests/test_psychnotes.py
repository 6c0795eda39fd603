"""Psychotherapy notes: author-only in services, pages and the one API endpoint; denied
attempts (admins included) are 404 with an event in the notes' own audit category; the
text never shows on anyone else's page, list or export; delete destroys the text and
keeps the event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.accounts.models import ApiToken
from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import PASSWORD, signed_in
from kindred.psychnotes import selectors, services
from kindred.psychnotes.models import PsychotherapyNote
from kindred.scheduling.models import GroupSession

CANARY = "CANARY-psy-5d1e body text"
TITLE = "CANARY-psy-title"


@pytest.fixture
def note(cast) -> PsychotherapyNote:
    return services.psychnote_create(
        actor=cast.facilitator, client=cast.client, title=TITLE, body=CANARY
    )


def confirmed(user) -> HttpClient:
    http = signed_in(user)
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# --- Services --------------------------------------------------------------------------


def test_a_clinician_writes_a_note_audited_in_its_own_category(cast, note):
    event = AuditEvent.objects.get(action="psychnotes.note.created")
    assert event.category == Category.PSYCHOTHERAPY_NOTES
    assert event.actor == cast.facilitator
    assert event.object_id == str(note.pk)
    assert event.client_id is None  # nothing on the client's activity list
    assert "CANARY" not in json.dumps(event.detail)


def test_only_clinicians_keep_notes_and_only_about_clients_they_see(cast):
    for actor in (cast.admin, cast.coordinator, cast.billing):
        with pytest.raises(NotPermitted):
            services.psychnote_create(actor=actor, client=cast.client, body="x")
    with pytest.raises(NotPermitted):  # facilitator_b does not see group A's client
        services.psychnote_create(actor=cast.facilitator_b, client=cast.client, body="x")
    assert not PsychotherapyNote.objects.exists()


def test_bad_input_is_refused_beside_the_field(cast):
    with pytest.raises(ValidationFailed) as info:
        services.psychnote_create(actor=cast.facilitator, client=cast.client, body="  ")
    assert "body" in info.value.errors
    with pytest.raises(ValidationFailed) as info:
        services.psychnote_create(
            actor=cast.facilitator, client=cast.client, title="t" * 201, body="x" * 20001
        )
    assert set(info.value.errors) == {"title", "body"}
    other = GroupSession.objects.filter(group=cast.group_b).first()
    with pytest.raises(ValidationFailed) as info:
        services.psychnote_create(
            actor=cast.facilitator, client=cast.client, body="x", session=other
        )
    assert "session" in info.value.errors
    assert not PsychotherapyNote.objects.exists()


def test_a_note_may_name_one_of_the_clients_sessions(cast):
    session = GroupSession.objects.filter(group=cast.group_a).order_by("starts_at").first()
    note = services.psychnote_create(
        actor=cast.facilitator, client=cast.client, body="x", session=session
    )
    assert note.session == session


def test_nobody_else_reads_it_not_even_an_admin_or_the_supervisor(cast, note):
    for actor in (cast.admin, cast.supervisor, cast.coordinator, cast.facilitator_b):
        with pytest.raises(NotFound):
            selectors.get_note_for(actor, note.pk)
        assert not selectors.own_notes(actor).exists()
    denied = events("psychnotes.note.denied")
    assert len(denied) == 4
    assert {e.category for e in denied} == {Category.PSYCHOTHERAPY_NOTES}
    assert selectors.get_note_for(cast.facilitator, note.pk).body == CANARY


def test_update_and_delete_are_the_authors_alone(cast, note):
    with pytest.raises(NotPermitted):
        services.psychnote_update(actor=cast.supervisor, note=note, body="taken over")
    with pytest.raises(NotPermitted):
        services.psychnote_delete(actor=cast.supervisor, note=note)
    services.psychnote_update(actor=cast.facilitator, note=note, title=TITLE, body="changed")
    assert PsychotherapyNote.objects.get(pk=note.pk).body == "changed"
    changed = AuditEvent.objects.get(action="psychnotes.note.changed")
    assert changed.detail == {"fields": ["body"]}
    services.psychnote_delete(actor=cast.facilitator, note=note)
    assert not PsychotherapyNote.objects.filter(pk=note.pk).exists()
    deleted = AuditEvent.objects.get(action="psychnotes.note.deleted")
    assert deleted.category == Category.PSYCHOTHERAPY_NOTES
    assert deleted.object_id == str(note.pk)


# --- Pages -----------------------------------------------------------------------------


def test_the_author_writes_reads_edits_and_deletes_from_the_client_page(cast):
    http = signed_in(cast.facilitator)
    page = http.get(f"/clients/{cast.client.pk}/").content.decode()
    assert f"/clients/{cast.client.pk}/process-notes/" in page
    assert "Private process notes" in page

    form = http.get(f"/clients/{cast.client.pk}/process-notes/new/")
    assert form.status_code == 200
    empty = http.post(f"/clients/{cast.client.pk}/process-notes/new/", {"title": "", "body": ""})
    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()
    response = http.post(
        f"/clients/{cast.client.pk}/process-notes/new/", {"title": TITLE, "body": CANARY}
    )
    assert response.status_code == 302
    note = PsychotherapyNote.objects.get()
    detail = http.get(f"/process-notes/{note.pk}/").content.decode()
    assert CANARY in detail
    listing = http.get(f"/clients/{cast.client.pk}/process-notes/").content.decode()
    assert TITLE in listing
    assert CANARY not in listing  # the list shows titles, not text
    assert TITLE in http.get("/process-notes/").content.decode()

    edited = http.post(f"/process-notes/{note.pk}/edit/", {"title": TITLE, "body": "new text"})
    assert edited.status_code == 302
    assert PsychotherapyNote.objects.get().body == "new text"

    confirm = http.get(f"/process-notes/{note.pk}/delete/").content.decode()
    assert "destroyed" in confirm
    assert "audit log keeps only the fact" in confirm
    assert http.post(f"/process-notes/{note.pk}/delete/").status_code == 302
    assert not PsychotherapyNote.objects.exists()


@pytest.mark.parametrize("who", ["admin", "supervisor", "coordinator", "facilitator_b", "member"])
def test_everyone_else_gets_404_and_a_denied_event(cast, note, who):
    http = signed_in(getattr(cast, who))
    for url in (
        f"/process-notes/{note.pk}/",
        f"/process-notes/{note.pk}/edit/",
        f"/process-notes/{note.pk}/delete/",
    ):
        assert http.get(url).status_code == 404
    assert http.post(f"/process-notes/{note.pk}/delete/").status_code == 404
    assert PsychotherapyNote.objects.filter(pk=note.pk).exists()
    denied = events("psychnotes.note.denied")
    assert len(denied) == 4
    assert {e.category for e in denied} == {Category.PSYCHOTHERAPY_NOTES}


def test_the_link_and_area_are_for_clinicians_only(cast, note):
    for who in ("admin", "coordinator"):
        http = signed_in(getattr(cast, who))
        page = http.get(f"/clients/{cast.client.pk}/").content.decode()
        assert "process-notes" not in page
        assert http.get("/process-notes/").status_code == 404
        assert http.get(f"/clients/{cast.client.pk}/process-notes/").status_code == 404
    # The supervisor keeps notes of their own but sees none of the facilitator's.
    listing = signed_in(cast.supervisor).get(f"/clients/{cast.client.pk}/process-notes/")
    assert listing.status_code == 200
    assert TITLE not in listing.content.decode()


def test_the_text_is_on_no_other_page(cast, note):
    """The client page, the notes chart and the member's own portal pages."""
    pages = {
        cast.admin: [f"/clients/{cast.client.pk}/", f"/clients/{cast.client.pk}/notes/"],
        cast.supervisor: [f"/clients/{cast.client.pk}/", f"/clients/{cast.client.pk}/notes/"],
        cast.facilitator: [f"/clients/{cast.client.pk}/", f"/clients/{cast.client.pk}/notes/"],
        cast.member: ["/home/member/", "/my/progress/"],
    }
    for user, urls in pages.items():
        http = signed_in(user)
        for url in urls:
            body = http.get(url, follow=True).content.decode()
            assert "CANARY" not in body, (user, url)


def test_the_author_downloads_their_own_notes_after_a_recent_sign_in(cast, note):
    services.psychnote_create(actor=cast.supervisor, client=cast.client, body="theirs")
    http = signed_in(cast.facilitator)
    stale = http.get("/process-notes/export/?format=json")
    assert stale.status_code == 302
    assert stale["Location"].startswith("/accounts/reauthenticate/")

    http = confirmed(cast.facilitator)
    response = http.get("/process-notes/export/?format=json")
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [n["body"] for n in data["notes"]] == [CANARY]  # never the supervisor's
    pdf = http.get(f"/process-notes/export/?format=pdf&client={cast.client.pk}")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    exported = events("psychnotes.note.exported")
    assert [e.detail["format"] for e in exported] == ["pdf", "json"]
    assert {e.category for e in exported} == {Category.PSYCHOTHERAPY_NOTES}


# --- API -------------------------------------------------------------------------------


def test_the_api_export_is_the_authors_own_with_a_browser_session(cast, note):
    http = confirmed(cast.facilitator)
    response = http.get("/api/v1/psychotherapy-notes/export/")
    assert response.status_code == 200
    assert [n["body"] for n in response.json()["notes"]] == [CANARY]
    pdf = http.get("/api/v1/psychotherapy-notes/export/?output=pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert http.get("/api/v1/psychotherapy-notes/export/?output=xml").status_code == 400


def test_the_api_export_needs_a_recent_sign_in(cast, note):
    import time_machine
    from django.utils import timezone

    http = signed_in(cast.facilitator)
    with time_machine.travel(timezone.now(), tick=False):
        response = http.get("/api/v1/psychotherapy-notes/export/")
    assert response.status_code == 403
    assert "recent sign-in" in response.json()["detail"]


def test_the_api_export_refuses_tokens_and_everyone_else(cast, note):
    raw, _token = api_token_create(
        actor=cast.admin, name="integration", scopes=["clients:read", "audit:read"]
    )
    assert ApiToken.objects.count() == 1
    token = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert token.get("/api/v1/psychotherapy-notes/export/").status_code in (403, 404)
    for user in (cast.admin, cast.coordinator, cast.member):
        response = confirmed(user).get("/api/v1/psychotherapy-notes/export/")
        assert response.status_code == 404
    # Another clinician's export holds none of the author's notes.
    other = confirmed(cast.supervisor).get("/api/v1/psychotherapy-notes/export/")
    assert other.json()["notes"] == []
    assert "CANARY" not in other.content.decode()


def test_no_other_api_route_names_psychotherapy_notes():
    from django.urls import get_resolver

    def walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    routes = [r for r in walk(get_resolver().url_patterns) if r.startswith("api/")]
    named = [r for r in routes if "psych" in r or "process" in r]
    assert named == ["api/v1/psychotherapy-notes/export/"]


def test_from_the_session_page_to_a_note_about_a_member_linked_to_that_session(cast):
    from kindred.notes.testing import upcoming

    session = upcoming(cast.group_a)
    http = signed_in(cast.facilitator)
    sheet = http.get(f"/sessions/{session.pk}/attendance/").content.decode()
    assert f"/sessions/{session.pk}/process-notes/" in sheet
    page = http.get(f"/sessions/{session.pk}/process-notes/").content.decode()
    write_url = f"/clients/{cast.client.pk}/process-notes/new/?session={session.pk}"
    assert write_url in page.replace("&amp;", "&")
    form = http.get(write_url).content.decode()
    assert f'<option value="{session.pk}" selected>' in form
    http.post(write_url, {"title": TITLE, "body": CANARY, "session": session.pk})
    note = PsychotherapyNote.objects.get()
    assert note.session == session
    assert TITLE in http.get(f"/sessions/{session.pk}/process-notes/").content.decode()
    # The coordinator sees the session but keeps no process notes: no link, no page.
    coordinator = signed_in(cast.coordinator)
    assert (
        "process-notes"
        not in coordinator.get(f"/sessions/{session.pk}/attendance/").content.decode()
    )
    assert coordinator.get(f"/sessions/{session.pk}/process-notes/").status_code == 404
    # Another clinician's session page shows none of them.
    other = signed_in(cast.supervisor).get(f"/sessions/{session.pk}/process-notes/")
    assert TITLE not in other.content.decode()


def test_list_pages_load_in_constant_queries(cast, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = signed_in(cast.facilitator)
    urls = ["/process-notes/", f"/clients/{cast.client.pk}/process-notes/"]

    def count() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert http.get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    services.psychnote_create(actor=cast.facilitator, client=cast.client, body="one")
    count()
    few = count()
    sessions = list(GroupSession.objects.filter(group=cast.group_a)[:5])
    for i in range(20):
        services.psychnote_create(
            actor=cast.facilitator,
            client=cast.client_b if i % 2 else cast.client,
            body=f"note {i}",
            session=sessions[i % 5],
        )
    assert count() == few
    with django_assert_max_num_queries(15):
        http.get(urls[0])
