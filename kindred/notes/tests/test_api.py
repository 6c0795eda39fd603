"""API v1 for notes: scopes, a session's notes (get, put drafts, sign), the bad inputs
(specific errors, nothing changed), a member's notes redacted, the unsigned list, the
co-sign queue and co-signing, addenda; and the schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import allowed_scopes, api_token_create
from kindred.core.testing import Cast, signed_in
from kindred.notes.models import GroupNote, MemberNote, NoteStatus
from kindred.notes.testing import after
from kindred.scheduling.models import GroupSession

BOTH = {Scope.NOTES_READ, Scope.NOTES_WRITE}


def token_for(user: User, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(http: HttpClient, method: str, url: str, data: Any = None) -> Any:
    return getattr(http, method)(url, json.dumps(data or {}), content_type="application/json")


def base(session: GroupSession) -> str:
    return f"/api/v1/sessions/{session.pk}/notes/"


def drafts(cast: Cast) -> dict[str, Any]:
    return {
        "group": {"themes": "Sleep and routines.", "process": "Engaged."},
        "members": [
            {
                "client_id": cast.client.pk,
                "sections": {"data": "Shared a plan.", "assessment": "Improving."},
                "risk": "None noted.",
                "plan": "Continue.",
            }
        ],
    }


def test_who_may_hold_the_notes_scopes(cast):
    for who in ("facilitator", "facilitator_b", "supervisor"):
        assert allowed_scopes(getattr(cast, who)) >= BOTH, who
    assert Scope.NOTES_READ in allowed_scopes(cast.admin)
    assert Scope.NOTES_WRITE not in allowed_scopes(cast.admin)
    for who in ("coordinator", "billing"):
        assert not allowed_scopes(getattr(cast, who)) & BOTH, who


def test_write_read_and_sign_a_sessions_notes(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        response = send(http, "put", base(session), drafts(cast))
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["group_note"]["status"] == "draft"
        (mine,) = [m for m in body["members"] if m["client_id"] == cast.client.pk]
        assert mine["note"]["sections"]["data"] == "Shared a plan."
        assert mine["facts"]["attendance"]["status"] == "virtual"
        signed = send(http, "post", base(session) + "sign/", {})
        assert signed.status_code == 200, signed.content
        assert signed.json()["group_note"] == GroupNote.objects.get().pk
        # Editing a signed note: a specific error, nothing changed.
        again = send(http, "put", base(session), {"group": {"themes": "Changed"}})
        assert again.status_code == 409
        assert "addendum" in json.dumps(again.json())
    assert GroupNote.objects.get().themes == "Sleep and routines."


def test_bad_inputs_are_specific_and_change_nothing(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        data = {"members": [{"client_id": cast.outsider_client.pk, "plan": "x"}]}
        response = send(http, "put", base(session), data)
        assert response.status_code == 400
        assert "did not have a place" in response.json()["members"][0]["client"][0]
        assert not MemberNote.objects.exists()
        send(http, "put", base(session), drafts(cast))
        note = GroupNote.objects.get()
        other = signed_in(cast.supervisor)
        # Signing someone else's note: the supervisor does not run the session.
        refused = send(other, "post", base(session) + "sign/", {})
        assert refused.status_code == 403
    assert GroupNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_the_naming_warning_comes_back_as_a_field_error(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        send(http, "put", base(session), {"group": {"themes": "Avery and Blair argued."}})
        response = send(http, "post", base(session) + "sign/", {})
        assert response.status_code == 400
        assert "confirm_names" in response.json()
        assert response.json()["named"]["group"] == ["Avery Member", "Blair Member"]
        ok = send(http, "post", base(session) + "sign/", {"confirm_names": True})
        assert ok.status_code == 200


def test_scopes_and_strangers(cast, session):
    """A token works only with the notes scopes, and never beyond its owner's reach
    (facilitators' own tokens: test_api_tokens.py)."""
    with after(session):
        admin_read = token_for(cast.admin, "notes:read")
        assert admin_read.get(base(session)).status_code == 200
        assert send(admin_read, "put", base(session), drafts(cast)).status_code == 403
        no_scope = token_for(cast.admin, "sessions:read")
        assert no_scope.get(base(session)).status_code == 403
        assert signed_in(cast.facilitator_b).get(base(session)).status_code == 404
        assert signed_in(cast.member).get(base(session)).status_code == 404
        coordinator = token_for(cast.coordinator, "sessions:read")
        assert coordinator.get(base(session)).status_code == 403
        assert signed_in(cast.coordinator).get(base(session)).status_code == 403
    assert not GroupNote.objects.exists()


def test_members_notes_cosign_and_addenda(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        send(
            http,
            "put",
            base(session),
            {**drafts(cast), "group": {"process": "Blair listened to Avery."}},
        )
        send(http, "post", base(session) + "sign/", {"confirm_names": True})
        chart = http.get(f"/api/v1/clients/{cast.client.pk}/notes/")
        assert chart.status_code == 200
        (entry,) = [e for e in chart.json() if e["session_id"] == session.pk]
        assert entry["group_note"]["parts"]["process"] == "another member listened to Avery."
        assert entry["member_note"]["parts"]["plan"] == "Continue."
        unsigned = http.get("/api/v1/notes/unsigned/")
        assert unsigned.status_code == 200
        assert set(unsigned.json()["counts"]) == {"today", "days_1_3", "days_4_7", "older"}
        supervisor = signed_in(cast.supervisor)
        queue = supervisor.get("/api/v1/notes/cosign/").json()
        assert {i["kind"] for i in queue} == {"group", "member"}
        note = GroupNote.objects.get()
        assert send(http, "post", f"/api/v1/notes/group/{note.pk}/cosign/").status_code == 403
        done = send(supervisor, "post", f"/api/v1/notes/group/{note.pk}/cosign/")
        assert done.json() == {"status": "cosigned"}
        url = f"/api/v1/notes/group/{note.pk}/addenda/"
        assert send(http, "post", url, {"reason": "", "text": "x"}).status_code == 400
        added = send(http, "post", url, {"reason": "Late detail", "text": "Also: breathing."})
        assert added.status_code == 201
        assert [a["reason"] for a in http.get(url).json()] == ["Late detail"]
        assert http.get(f"/api/v1/notes/other/{note.pk}/addenda/").status_code == 404


def test_cosign_refuses_a_reader_who_is_not_the_supervisor_before_the_state(cast, session):
    """Issue 9: the facilitator (the author) and a note overseer may read a draft note
    but not co-sign it: 403, not the state's 409; the supervisor gets the 409."""
    with after(session):
        send(signed_in(cast.facilitator), "put", base(session), drafts(cast))
        note = GroupNote.objects.get()
        assert note.status == NoteStatus.DRAFT
        url = f"/api/v1/notes/group/{note.pk}/cosign/"
        for reader in (cast.facilitator, cast.admin):
            addenda = signed_in(reader).get(f"/api/v1/notes/group/{note.pk}/addenda/")
            assert addenda.status_code == 200  # a reader of the note
            answer = send(signed_in(reader), "post", url)
            assert answer.status_code == 403, (reader, answer.content)
        assert send(signed_in(cast.supervisor), "post", url).status_code == 409
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT


@pytest.mark.django_db
def test_the_schema_lists_the_notes_endpoints(cast):
    from django.test import Client

    http = Client()
    http.force_login(cast.admin, backend="allauth.account.auth_backends.AuthenticationBackend")
    schema = http.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/sessions/{session_id}/notes/sign/" in paths
    assert "/api/v1/notes/{kind}/{note_id}/addenda/" in paths


@pytest.mark.parametrize("sign", [False, True], ids=["drafts", "signed"])
def test_a_session_s_notes_within_the_budget_for_3_or_10_members(
    cast, django_assert_max_num_queries, sign
):
    from kindred.notes.tests.test_pages import BUDGET, busy_session, queries_for

    counts = []
    for index, extra, members in ((1, 1, 3), (2, 7, 10)):
        s = busy_session(cast, extra, sign=sign, index=index)
        http = token_for(cast.facilitator, *BOTH)
        with after(s):
            n, response = queries_for(http, base(s), django_assert_max_num_queries, BUDGET)
        body = response.json()
        assert len(body["members"]) == members - 1  # member_b a no-show
        assert [row["client_id"] for row in body["absent"]] == [cast.client_b.pk]
        if sign:
            assert len(body["group_addenda"]) == 1
            assert sum(len(row["addenda"]) for row in body["members"]) == min(3, members - 1)
        else:
            facts = [row["facts"] for row in body["members"]]
            assert all(f["scores"] for f in facts)
            assert any(f["alerts"] for f in facts)
        counts.append(n)
    assert counts[1] <= counts[0]
