"""API: /api/v1/referrals/ (a partner's referral with referrals:write; reading and
reviewing for staff) and /api/v1/waitlist/ (entries, status, contacts, exclusions)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent
from kindred.clients.services import concern_create, concern_set_offered
from kindred.core.errors import ValidationFailed
from kindred.core.testing import signed_in
from kindred.intake.models import (
    ContactAttempt,
    PlacementExclusion,
    Referral,
    ReferralStatus,
    WaitlistEntry,
)
from kindred.intake.tests.referral_support import THEIR_WORDS, refer, written
from kindred.intake.waitlist import waitlist_add
from kindred.web.tests.test_waitlist_pages import _many

REFERRALS = "/api/v1/referrals/"
WAITLIST = "/api/v1/waitlist/"


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Partner", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(http: HttpClient, url: str, data: Any = None) -> Any:
    return http.post(url, json.dumps(data or {}), content_type="application/json")


def payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "referrer_name": "Jamie Referrer",
        "referrer_organisation": "Lakeside Family Medicine",
        "first_name": "Priya",
        "last_name": "Raman",
        "date_of_birth": "1994-02-11",
        "email": "priya.r@example.test",
        "phone": "+1 785 555 0123",
        "state": "KS",
        "in_their_words": THEIR_WORDS,
        "preferred_modality": "in_person",
        "availability": [{"weekday": 2, "start": "17:30", "end": "19:00"}],
        "urgency": "soon",
    }
    data.update(overrides)
    return data


# --- A partner's referral ---------------------------------------------------------------------


def test_a_partner_token_refers_someone_and_learns_nothing_else(cast):
    http = token_for(cast.coordinator, "referrals:write")
    response = post(http, REFERRALS, payload(group=cast.group_a.pk))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "received_at", "repeated", "out_of_state", "message"}
    assert body["repeated"] is False
    assert body["out_of_state"] is False
    assert "within two working days" in body["message"]
    referral = Referral.objects.get()
    assert referral.source == "partner"
    assert referral.created_by == cast.coordinator
    assert referral.group == cast.group_a
    entry = WaitlistEntry.objects.get()
    assert entry.client.legal_last_name == "Raman"
    assert list(entry.client.availability.values_list("weekday", flat=True)) == [2]
    # The same referral again (a retry) is the same referral.
    again = post(http, REFERRALS, payload(group=cast.group_a.pk))
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["repeated"] is True
    assert Referral.objects.count() == 1
    # A referral-only token reads nothing.
    assert http.get(REFERRALS).status_code == 403
    assert http.get(f"{REFERRALS}{referral.pk}/").status_code == 403
    assert http.get(WAITLIST).status_code == 403


def test_out_of_state_is_accepted_with_a_kind_message(cast):
    response = post(token_for(cast.coordinator, "referrals:write"), REFERRALS, payload(state="TX"))
    assert response.status_code == 201
    assert response.json()["out_of_state"] is True
    assert "does not run groups in Texas" in response.json()["message"]
    assert WaitlistEntry.objects.get().flagged_out_of_state


def test_a_possible_duplicate_is_received_without_saying_so(cast):
    http = token_for(cast.coordinator, "referrals:write")
    response = post(
        http,
        REFERRALS,
        payload(first_name="Avery", last_name="Member", date_of_birth="1990-04-01"),
    )
    assert response.status_code == 201
    assert "candidates" not in json.dumps(response.json())
    assert Referral.objects.get().status == ReferralStatus.NEEDS_REVIEW


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"state": "Kansas"}, "state"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"availability": [{"weekday": 2, "start": "19:00", "end": "17:30"}]}, "availability"),
        ({"availability": [{"weekday": 2, "start": "soon"}]}, "availability"),
        ({"concerns": [999999]}, "concerns"),
        ({"source": "self"}, "source"),
        ({"referrer_name": ""}, "referrer_name"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"group": 999999}, "group"),
    ],
)
def test_bad_referrals_are_400_with_the_field_and_save_nothing(cast, overrides, field):
    http = token_for(cast.coordinator, "referrals:write")
    before = written()
    response = post(http, REFERRALS, payload(**overrides))
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert written() == before


def test_a_retired_concern_is_400(cast):
    old = concern_create(actor=cast.admin, name="Retired focus")
    concern_set_offered(actor=cast.admin, concern=old, offered=False)
    response = post(signed_in(cast.coordinator), REFERRALS, payload(concerns=[old.pk]))
    assert response.status_code == 400
    assert response.json()["concerns"] == ["No longer offered: Retired focus."]
    assert not Referral.objects.exists()


def test_roles_without_client_management_cannot_hold_the_scope(cast):
    with pytest.raises(ValidationFailed) as caught:
        api_token_create(actor=cast.billing, name="x", scopes=["referrals:write"])
    assert "referrals:write" in caught.value.message


def test_other_scopes_cannot_refer(cast):
    http = token_for(cast.coordinator, "clients:read")
    assert post(http, REFERRALS, payload()).status_code == 403
    assert not Referral.objects.exists()


@pytest.mark.parametrize(("who", "code"), [("facilitator", 403), ("member", 404)])
def test_sessions_of_people_who_do_not_manage_clients_cannot_refer(cast, who, code):
    assert post(signed_in(getattr(cast, who)), REFERRALS, payload()).status_code == code
    assert not Referral.objects.exists()


def test_anonymous_callers_cannot_refer(db):
    assert HttpClient().post(REFERRALS, "{}", content_type="application/json").status_code in {
        401,
        403,
    }


# --- Reading and reviewing ---------------------------------------------------------------------


def test_staff_list_and_read_referrals(cast):
    refer(first_name="Avery", last_name="Member", date_of_birth=date(1990, 4, 1))
    refer()
    http = token_for(cast.coordinator, "clients:read")
    listed = http.get(REFERRALS).json()
    assert listed["count"] == 2
    assert all("in_their_words" not in row for row in listed["results"])
    review = http.get(REFERRALS, {"status": "needs_review"}).json()["results"]
    assert [r["first_name"] for r in review] == ["Avery"]
    assert review[0]["duplicate_candidates"] == [cast.client.pk]
    assert http.get(REFERRALS, {"status": "lost"}).status_code == 400
    detail = http.get(f"{REFERRALS}{review[0]['id']}/").json()
    assert detail["in_their_words"] == THEIR_WORDS
    assert AuditEvent.objects.filter(action="intake.referral.viewed").count() == 1


def test_a_possible_duplicate_is_reviewed_through_the_api(cast):
    referral = refer(first_name="Avery", last_name="Member", date_of_birth=date(1990, 4, 1))
    assert referral.referral is not None
    pk = referral.referral.pk
    reader = token_for(cast.coordinator, "clients:read")
    assert post(reader, f"{REFERRALS}{pk}/attach/", {"client": cast.client.pk}).status_code == 403
    writer = token_for(cast.coordinator, "clients:write")
    wrong = post(writer, f"{REFERRALS}{pk}/attach/", {"client": cast.client_b.pk})
    assert wrong.status_code == 400
    assert "client" in wrong.json()
    done = post(writer, f"{REFERRALS}{pk}/attach/", {"client": cast.client.pk})
    assert done.status_code == 200
    assert done.json()["client"] == cast.client.pk
    twice = post(writer, f"{REFERRALS}{pk}/new-record/")
    assert twice.status_code == 409


def test_a_different_person_gets_a_record_through_the_api(cast):
    referral = refer(first_name="Avery", last_name="Member", date_of_birth=date(1990, 4, 1))
    assert referral.referral is not None
    response = post(signed_in(cast.admin), f"{REFERRALS}{referral.referral.pk}/new-record/")
    assert response.status_code == 201
    assert response.json()["client"] != cast.client.pk


# --- The waitlist ---------------------------------------------------------------------------------


def test_the_waitlist_lists_with_filters_urgent_first(cast):
    now = timezone.now()
    waitlist_add(actor=cast.coordinator, client=cast.client, now=now - timedelta(weeks=9))
    waitlist_add(actor=cast.coordinator, client=cast.client_b, urgency="urgent")
    http = token_for(cast.coordinator, "clients:read")
    body = http.get(WAITLIST).json()
    assert [r["client"]["display_name"] for r in body["results"]] == [
        "Blair Member",
        "Avery Member",
    ]
    first = body["results"][1]
    assert first["waited"] == "9 weeks"
    assert first["waited_days"] == 63
    assert first["possible_duplicate"] is False
    assert http.get(WAITLIST, {"waited_weeks": 8}).json()["count"] == 1
    assert http.get(WAITLIST, {"urgency": "urgent"}).json()["count"] == 1
    assert http.get(WAITLIST, {"state": "ks"}).json()["count"] == 1
    assert http.get(WAITLIST, {"status": "all"}).json()["count"] == 2
    for bad in ({"status": "lost"}, {"waited_weeks": "x"}, {"urgency": "now"}, {"concern": "a"}):
        response = http.get(WAITLIST, bad)
        assert response.status_code == 400
        assert next(iter(bad)) in response.json()


def test_the_waitlist_list_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.coordinator)
    _many(5)
    http.get(WAITLIST)
    with django_assert_max_num_queries(15) as before:
        http.get(WAITLIST)
    count = len(before.captured_queries)
    _many(60, start=100)
    with django_assert_max_num_queries(count):
        response = http.get(WAITLIST)
    assert response.json()["count"] == 65
    assert len(response.json()["results"]) == 50


def test_status_changes_through_the_api(cast):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    http = token_for(cast.coordinator, "clients:read", "clients:write")
    url = f"{WAITLIST}{entry.pk}/status/"
    before = written()
    missing = post(http, url, {"status": "unreachable"})
    assert missing.status_code == 400
    assert "reason" in missing.json()
    assert post(http, url, {"status": "gone"}).status_code == 400
    assert written() == before
    done = post(http, url, {"status": "unreachable", "reason": "Three calls, no reply"})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "unreachable"
    assert body["closed_at"] is not None
    assert body["status_changes"][0]["reason"] == "Three calls, no reply"
    detail = http.get(f"{WAITLIST}{entry.pk}/").json()
    assert detail["status_changes"][0]["status"] == "unreachable"


def test_contact_attempts_through_the_api(cast):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    http = token_for(cast.coordinator, "clients:read", "clients:write")
    url = f"{WAITLIST}{entry.pk}/contacts/"
    when = (timezone.now() - timedelta(hours=1)).isoformat()
    created = post(http, url, {"at": when, "method": "sms", "outcome": "reached", "note": " Hi "})
    assert created.status_code == 201
    assert created.json()["note"] == " Hi "
    future = (timezone.now() + timedelta(days=1)).isoformat()
    bad = post(http, url, {"at": future, "method": "sms", "outcome": "reached"})
    assert bad.status_code == 400
    assert "at" in bad.json()
    assert ContactAttempt.objects.count() == 1
    assert [c["method"] for c in http.get(url).json()] == ["sms"]
    entry.refresh_from_db()
    assert entry.status == "contacted"


def test_exclusions_through_the_api(cast):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    other_entry = waitlist_add(actor=cast.coordinator, client=cast.client_b)
    http = token_for(cast.coordinator, "clients:read", "clients:write")
    url = f"{WAITLIST}{entry.pk}/exclusions/"
    created = post(http, url, {"other": cast.client_b.pk, "reason": "coworker"})
    assert created.status_code == 201
    assert created.json()["other"]["id"] == cast.client_b.pk
    again = post(http, url, {"other": cast.client_b.pk, "reason": "family"})
    assert again.status_code == 400
    assert "other" in again.json()
    seen_from_b = http.get(f"{WAITLIST}{other_entry.pk}/exclusions/").json()
    assert [x["other"]["id"] for x in seen_from_b] == [cast.client.pk]
    x = created.json()["id"]
    assert http.delete(f"{WAITLIST}{entry.pk}/exclusions/{x}/").status_code == 204
    assert not PlacementExclusion.objects.exists()
    missing = post(http, url, {"other": 999999, "reason": "coworker"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "who", ["facilitator", "facilitator_b", "supervisor", "billing", "member", "outsider"]
)
def test_members_and_facilitators_find_no_waitlist_in_the_api(cast, who):
    entry = waitlist_add(actor=cast.coordinator, client=cast.client)
    referral = refer().referral
    assert referral is not None
    http = signed_in(getattr(cast, who))
    before = written()
    for url in (
        WAITLIST,
        f"{WAITLIST}{entry.pk}/",
        f"{WAITLIST}{entry.pk}/contacts/",
        f"{WAITLIST}{entry.pk}/exclusions/",
        REFERRALS,
        f"{REFERRALS}{referral.pk}/",
    ):
        assert http.get(url).status_code == 404, url
    for url, data in (
        (f"{WAITLIST}{entry.pk}/status/", {"status": "withdrawn", "reason": "x"}),
        (f"{WAITLIST}{entry.pk}/exclusions/", {"other": cast.client_b.pk, "reason": "family"}),
        (f"{REFERRALS}{referral.pk}/new-record/", {}),
    ):
        assert post(http, url, data).status_code == 404, url
    assert written() == before


def test_the_schema_lists_the_intake_endpoints(cast):
    schema = signed_in(cast.admin).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths[REFERRALS]) == {"get", "post"}
    assert {"apiToken": []} in paths[REFERRALS]["post"]["security"]
    for path in (
        "/api/v1/referrals/{referral_id}/",
        "/api/v1/referrals/{referral_id}/attach/",
        "/api/v1/waitlist/",
        "/api/v1/waitlist/{entry_id}/status/",
        "/api/v1/waitlist/{entry_id}/contacts/",
        "/api/v1/waitlist/{entry_id}/exclusions/{exclusion_id}/",
    ):
        assert path in paths, path
    names = {p["name"] for p in paths[WAITLIST]["get"]["parameters"]}
    assert {"status", "concern", "state", "modality", "waited_weeks", "urgency", "page"} <= names
