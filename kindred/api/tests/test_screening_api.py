"""API: /api/v1/screenings/ — who reads and changes screenings (the page's rule), the
screening scopes on tokens, drafts, decisions with the services' own messages beside the
field, deciding twice is 409, nothing changes on an error, audited reads and a list
whose query count does not grow."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import signed_in
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.groups.tests.factories import make_group, person
from kindred.intake.models import Screening, ScreeningDecision, WaitlistStatus
from kindred.intake.screening import screening_create
from kindred.intake.tests.screening_support import FITS
from kindred.intake.waitlist import waitlist_add
from kindred.measures.tests.outcome_support import completed

LIST = "/api/v1/screenings/"


def url(screening: Screening, tail: str = "") -> str:
    return f"{LIST}{screening.pk}/{tail}"


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Intake system", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(http: HttpClient, path: str, data: Any = None) -> Any:
    return http.post(path, json.dumps(data or {}), content_type="application/json")


def patch(http: HttpClient, path: str, data: Any = None) -> Any:
    return http.patch(path, json.dumps(data or {}), content_type="application/json")


def state(screening: Screening) -> tuple[Any, ...]:
    """Everything a failed request must leave as it was."""
    screening.refresh_from_db()
    return (
        tuple(getattr(screening, f) for f in (*FITS, "notes", "decision", "decided_at")),
        Screening.objects.count(),
        Enrollment.objects.filter(client_id=screening.client_id).count(),
        AuditEvent.objects.filter(category=Category.CHANGE).count(),
    )


@pytest.fixture
def group(cast):
    return make_group(cast, max_size=6)


@pytest.fixture
def entry(cast, group):
    return waitlist_add(actor=cast.coordinator, client=person("Robin", "Candidate"), group=group)


@pytest.fixture
def draft(cast, group, entry) -> Screening:
    return screening_create(
        actor=cast.facilitator,
        client=entry.client,
        group=group,
        entry=entry,
        motivation="yes",
        notes="Keen to start; works evenings.",
    ).screening


# --- Who reads -------------------------------------------------------------------------------


def test_who_reads_a_screening_is_the_pages_rule(cast, draft):
    for who in ("facilitator", "coordinator", "admin"):
        response = signed_in(getattr(cast, who)).get(url(draft))
        assert response.status_code == 200, who
        assert response.json()["notes"] == "Keen to start; works evenings."
    for who in ("facilitator_b", "supervisor", "billing", "member", "outsider"):
        assert signed_in(getattr(cast, who)).get(url(draft)).status_code == 404, who
    assert signed_in(cast.facilitator).get(f"{LIST}987654/").status_code == 404
    viewed = AuditEvent.objects.filter(action="intake.screening.viewed", object_id=str(draft.pk))
    assert viewed.count() == 3
    denied = AuditEvent.objects.filter(category=Category.DENIED, object_type="intake.screening")
    assert denied.count() >= 6


def test_the_list_for_those_who_screen_only(cast, draft):
    assert signed_in(cast.member).get(LIST).status_code == 404
    assert signed_in(cast.billing).get(LIST).status_code == 403
    assert [r["id"] for r in signed_in(cast.facilitator).get(LIST).json()["results"]] == [draft.pk]
    assert signed_in(cast.facilitator_b).get(LIST).json()["results"] == []
    row = signed_in(cast.coordinator).get(LIST).json()["results"][0]
    assert row["client"] == {"id": draft.client_id, "name": "Robin Candidate"}
    assert row["status"] == "draft"
    assert row["decision"] == ""
    assert "notes" not in row
    listed = AuditEvent.objects.filter(action="intake.screening.listed").latest("id")
    assert listed.detail == {"screenings": [draft.pk]}


def test_the_detail_shows_the_checklist_and_the_candidates_scores(cast, draft):
    completed(draft.client, "phq9", total=11)
    body = signed_in(cast.facilitator).get(url(draft)).json()
    assert body["motivation"] == "yes"
    assert body["goals_fit"] == ""
    assert body["acute_crisis"] is False
    assert body["can_change"] is True
    assert body["entry"] == draft.entry_id
    assert [(s["instrument"], s["total"]) for s in body["intake_scores"]] == [("phq9", 11)]
    assert signed_in(cast.coordinator).get(url(draft)).json()["can_change"] is False


def test_filters(cast, group, draft):
    other = screening_create(
        actor=cast.facilitator,
        client=person("Sam", "Decided"),
        group=group,
        decision=ScreeningDecision.ADMIT,
        **FITS,
    ).screening
    http = signed_in(cast.coordinator)

    def ids(**params: Any) -> list[int]:
        response = http.get(LIST, params)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [other.pk, draft.pk]
    assert ids(pending="true") == [draft.pk]
    assert ids(pending="false") == [other.pk]
    assert ids(decision="admit") == [other.pk]
    assert ids(client=draft.client_id) == [draft.pk]
    assert ids(group=group.pk) == [other.pk, draft.pk]
    assert ids(group=cast.group_b.pk) == []
    assert ids(mine="true") == []
    bad = http.get(LIST, {"decision": "maybe"})
    assert bad.status_code == 400
    assert "decision" in bad.json()


def _screen_many(cast, group, n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        screening_create(
            actor=cast.facilitator,
            client=person("Many", f"Person{i}", born=date(1970 + i, 1, 1)),
            group=group,
            **FITS,
        )


@pytest.mark.parametrize("who", ["facilitator", "coordinator"])
def test_the_list_takes_the_same_queries_however_many(cast, group, who):
    http = signed_in(getattr(cast, who))
    _screen_many(cast, group, 2)
    http.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert http.get(LIST).status_code == 200
    _screen_many(cast, group, 10, start=2)
    with CaptureQueriesContext(connection) as many:
        response = http.get(LIST)
    assert len(response.json()["results"]) == 12
    assert len(many) == len(few)


# --- Tokens ----------------------------------------------------------------------------------


def test_a_token_needs_the_screening_scopes(cast, draft):
    reader = token_for(cast.coordinator, "screening:read")
    assert reader.get(LIST).status_code == 200
    assert reader.get(url(draft)).status_code == 200
    assert post(reader, LIST, {"client": draft.client_id, "group": draft.group_id}).status_code == (
        403
    )
    assert post(reader, url(draft, "decide/"), {"decision": "admit"}).status_code == 403
    other = token_for(cast.coordinator, "clients:read", "clients:write", "groups:write")
    assert other.get(LIST).status_code == 403
    assert other.get(url(draft)).status_code == 403
    assert patch(other, url(draft), {"notes": "x"}).status_code == 403


def test_screening_scopes_go_to_those_who_may_screen(cast):
    from kindred.accounts.token_services import allowed_scopes

    for who in ("admin", "coordinator", "facilitator", "supervisor"):
        assert {"screening:read", "screening:write"} <= allowed_scopes(getattr(cast, who)), who
    assert "screening:read" not in allowed_scopes(cast.billing)


def test_a_coordinators_token_asks_the_facilitator_to_screen(cast, group, entry):
    http = token_for(cast.coordinator, "screening:read", "screening:write")
    response = post(
        http,
        LIST,
        {"entry": entry.pk, "group": group.pk, "screener": cast.facilitator.pk},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["screener"] == {"id": cast.facilitator.pk, "name": "Fern Facilitator"}
    assert body["can_change"] is False  # the facilitator records it
    screening = Screening.objects.get(pk=body["id"])
    assert screening.entry == entry
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.SCREENING
    # The screener finds it, and the coordinator cannot change it.
    assert patch(http, url(screening), {"motivation": "yes"}).status_code == 403
    assert patch(signed_in(cast.facilitator), url(screening), FITS).status_code == 200


# --- Drafts ----------------------------------------------------------------------------------


def test_a_facilitator_starts_and_changes_a_draft(cast, group, entry):
    http = signed_in(cast.facilitator)
    response = post(http, LIST, {"entry": entry.pk, "group": group.pk, "motivation": "partly"})
    assert response.status_code == 201, response.json()
    screening = Screening.objects.get(pk=response.json()["id"])
    assert screening.screener == cast.facilitator
    assert screening.motivation == "partly"
    changed = patch(http, url(screening), {"goals_fit": "yes", "extreme_hostility": True})
    assert changed.status_code == 200
    assert changed.json()["goals_fit"] == "yes"
    assert changed.json()["motivation"] == "partly"  # only the fields given change
    assert changed.json()["extreme_hostility"] is True
    event = AuditEvent.objects.filter(action="intake.screening.updated").latest("id")
    assert event.detail["fields"] == ["extreme_hostility", "goals_fit"]


def test_one_draft_at_a_time_is_409(cast, group, draft):
    response = post(
        signed_in(cast.facilitator), LIST, {"client": draft.client_id, "group": group.pk}
    )
    assert response.status_code == 409
    assert "already being screened" in response.json()["detail"]
    assert Screening.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"motivation": "maybe"}, "motivation", ""),
        ({"notes": "x" * 5001}, "notes", "Use at most 5000 characters."),
        ({"acute_crisis": "sometimes"}, "acute_crisis", ""),
        ({"group": None}, "group", ""),
        ({"group": 987654}, "group", "Choose a group you can see."),
        ({"client": None, "entry": None}, "client", "Choose the candidate"),
        ({"screener": 987654}, "screener", "Choose someone on staff."),
    ],
)
def test_bad_new_screenings_are_400_with_the_field_and_save_nothing(
    cast, group, entry, *, data, field, words
):
    body = {"entry": entry.pk, "group": group.pk, **data}
    body = {k: v for k, v in body.items() if v is not None}
    before = (Screening.objects.count(), AuditEvent.objects.filter(category="change").count())
    response = post(signed_in(cast.coordinator), LIST, body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert words in " ".join(response.json()[field])
    assert (Screening.objects.count(), AuditEvent.objects.filter(category="change").count()) == (
        before
    )
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def test_who_may_start_a_screening(cast, group, entry):
    # Another group's facilitator cannot screen this candidate (not theirs: 404).
    response = post(signed_in(cast.facilitator_b), LIST, {"entry": entry.pk, "group": group.pk})
    assert response.status_code == 404
    # Naming another screener is for coordinators (the service's words).
    response = post(
        signed_in(cast.facilitator),
        LIST,
        {"entry": entry.pk, "group": group.pk, "screener": cast.supervisor.pk},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Only a coordinator can ask someone else to screen."
    # Someone who cannot screen is refused beside the field.
    response = post(
        signed_in(cast.coordinator),
        LIST,
        {"entry": entry.pk, "group": group.pk, "screener": cast.billing.pk},
    )
    assert response.status_code == 400
    assert response.json()["screener"] == ["Bill Billing cannot screen candidates."]
    assert signed_in(cast.billing).post(LIST, {}).status_code == 403
    assert post(signed_in(cast.member), LIST, {"entry": entry.pk}).status_code == 404
    assert not Screening.objects.exists()


def test_only_the_screener_changes_a_draft(cast, draft):
    before = state(draft)
    draft.group.co_facilitators.add(cast.supervisor_clinician)
    response = patch(signed_in(cast.supervisor), url(draft), {"motivation": "no"})
    assert response.status_code == 403
    assert "Fern Facilitator" in response.json()["detail"]
    assert patch(signed_in(cast.facilitator_b), url(draft), {"motivation": "no"}).status_code == (
        404
    )
    assert (
        post(signed_in(cast.coordinator), url(draft, "decide/"), {"decision": "admit"}).status_code
        == 403
    )
    assert state(draft) == before


# --- Decisions ---------------------------------------------------------------------------


def _decide(cast: Any, screening: Screening, **data: Any) -> Any:
    return post(signed_in(cast.facilitator), url(screening, "decide/"), data)


def test_admit_gives_a_place_and_deciding_twice_is_409(cast, group, draft):
    patch(signed_in(cast.facilitator), url(draft), FITS)
    response = _decide(cast, draft, decision="admit")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["screening"]["status"] == "decided"
    assert body["screening"]["decision"] == "admit"
    assert body["screening"]["can_change"] is False
    enrollment = Enrollment.objects.get(client=draft.client, group=group)
    assert body["outcome"]["enrollment"] == enrollment.pk
    assert body["outcome"]["activated"] is (enrollment.status == EnrollmentStatus.ACTIVE)
    assert "is admitted" in body["outcome"]["message"]
    draft.entry.refresh_from_db()
    assert draft.entry.status == WaitlistStatus.PLACED
    assert body["outcome"]["waitlist_entry"] == draft.entry_id
    before = state(draft)
    again = _decide(cast, draft, decision="defer", decision_reason="Later", revisit_on="2099-01-01")
    assert again.status_code == 409
    assert "cannot change" in again.json()["detail"]
    assert patch(signed_in(cast.facilitator), url(draft), {"notes": "Changed"}).status_code == 409
    assert state(draft) == before


def test_a_decision_needs_every_answer(cast, draft):
    before = state(draft)
    response = _decide(cast, draft, decision="admit")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"can_participate", "goals_fit", "commitment"}
    assert errors["goals_fit"] == ["Answer this before recording a decision."]
    assert state(draft) == before


def test_admitting_someone_in_crisis_is_refused_beside_the_decision(cast, draft):
    patch(signed_in(cast.facilitator), url(draft), {**FITS, "active_suicidality": True})
    before = state(draft)
    response = _decide(cast, draft, decision="admit", decision_reason="They want to join.")
    assert response.status_code == 400
    assert "is not admitted to a group now" in response.json()["decision"][0]
    assert state(draft) == before


def test_a_deferral_needs_a_reason_and_a_later_date(cast, draft):
    patch(signed_in(cast.facilitator), url(draft), FITS)
    before = state(draft)
    response = _decide(cast, draft, decision="defer")
    assert response.status_code == 400
    assert response.json() == {
        "decision_reason": ["Say why, and what would make joining a better fit later."],
        "revisit_on": ["Choose when to talk again."],
    }
    today = timezone.localdate().isoformat()
    response = _decide(
        cast, draft, decision="defer", decision_reason="After the move.", revisit_on=today
    )
    assert response.json() == {"revisit_on": ["Choose a date after today to talk again."]}
    assert _decide(cast, draft, decision="later").status_code == 400
    assert _decide(cast, draft, revisit_on="soon", decision="defer").status_code == 400
    assert state(draft) == before
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = _decide(
        cast, draft, decision="defer", decision_reason="After the move.", revisit_on=later
    )
    assert response.status_code == 200, response.json()
    assert response.json()["screening"]["revisit_on"] == later
    draft.entry.refresh_from_db()
    assert draft.entry.status == WaitlistStatus.DEFERRED


def test_a_referral_needs_its_reason(cast, draft):
    patch(signed_in(cast.facilitator), url(draft), FITS)
    response = _decide(cast, draft, decision="refer_individual")
    assert response.status_code == 400
    assert response.json() == {
        "decision_reason": ["Say why individual care suits them better now."]
    }
    response = _decide(
        cast, draft, decision="refer_individual", decision_reason="Needs weekly 1:1 first."
    )
    assert response.status_code == 200
    assert "referred to individual care" in response.json()["outcome"]["message"]
    draft.entry.refresh_from_db()
    assert draft.entry.status == WaitlistStatus.REFERRED_ELSEWHERE
