"""Facilitators and supervisors make their own API tokens (MANAGE_OWN_TOKENS): the form
offers only a clinician's scopes, and a notes:read token reads the notes of their own
sessions, not another facilitator's (404), and cannot write them."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

from kindred.accounts.models import ApiToken
from kindred.accounts.token_services import api_token_create
from kindred.core.errors import ValidationFailed
from kindred.core.testing import PASSWORD, Cast, signed_in
from kindred.notes.testing import after, take_attendance, upcoming
from kindred.scheduling.models import GroupSession

NEW = "/account/tokens/new/"

pytestmark = pytest.mark.django_db


def notes_url(session: GroupSession) -> str:
    return f"/api/v1/sessions/{session.pk}/notes/"


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def make_token_on_the_page(user: object, *scopes: str) -> str:
    http = signed_in(user)  # type: ignore[arg-type]
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    response = http.post(
        NEW, {"name": "Notes export", "scopes": list(scopes), "expires_in_days": 30}
    )
    assert response.status_code == 200, response.content
    html = response.content.decode()
    return html.split('id="new-token" class="token-value" value="')[1].split('"')[0]


@pytest.fixture
def other_session(cast: Cast) -> GroupSession:
    """facilitator_b's session of group B, attendance taken."""
    s = upcoming(cast.group_b)
    take_attendance(s, cast.facilitator_b)
    return s


def test_the_account_page_offers_a_facilitator_the_clinician_scopes_only(cast: Cast) -> None:
    http = signed_in(cast.facilitator)
    assert "API tokens" in http.get("/account/").content.decode()
    http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    html = http.get(NEW).content.decode()
    for offered in ("notes:read", "notes:write", "sessions:read", "measures:read"):
        assert f'value="{offered}"' in html, offered
    for refused in ("billing:read", "clients:write", "audit:read", "records:export"):
        assert f'value="{refused}"' not in html, refused


def test_a_facilitator_reads_their_own_sessions_notes_with_a_notes_read_token(
    cast: Cast, session: GroupSession, other_session: GroupSession
) -> None:
    raw = make_token_on_the_page(cast.facilitator, "notes:read")
    token = ApiToken.objects.get(user=cast.facilitator)
    assert token.scopes == ["notes:read"]
    api = bearer(raw)
    with after(session):
        mine = api.get(notes_url(session))
        assert mine.status_code == 200, mine.content
        assert {m["client_id"] for m in mine.json()["members"]} == {
            cast.client.pk,
            cast.client_b.pk,
        }
        # Read only: writing needs notes:write.
        draft = {"group": {"themes": "Sleep."}, "members": []}
        written = api.put(notes_url(session), json.dumps(draft), content_type="application/json")
        assert written.status_code == 403
    with after(other_session):
        assert api.get(notes_url(other_session)).status_code == 404
    # facilitator_b's own token reads their session, and not the first facilitator's.
    raw_b, _ = api_token_create(actor=cast.facilitator_b, name="B", scopes=["notes:read"])
    with after(other_session):
        assert bearer(raw_b).get(notes_url(other_session)).status_code == 200
    with after(session):
        assert bearer(raw_b).get(notes_url(session)).status_code == 404


def test_a_supervisor_reads_a_supervisees_session_notes(
    cast: Cast, session: GroupSession, other_session: GroupSession
) -> None:
    raw, _ = api_token_create(actor=cast.supervisor, name="Co-sign", scopes=["notes:read"])
    with after(session):
        assert bearer(raw).get(notes_url(session)).status_code == 200
    with after(other_session):
        assert bearer(raw).get(notes_url(other_session)).status_code == 404


def test_scopes_beyond_a_clinicians_are_refused(cast: Cast) -> None:
    for scope in ("billing:read", "clients:write", "records:export", "audit:read"):
        with pytest.raises(ValidationFailed) as caught:
            api_token_create(actor=cast.facilitator, name="Too much", scopes=[scope])
        assert "scopes" in caught.value.errors, scope
    assert not ApiToken.objects.exists()
