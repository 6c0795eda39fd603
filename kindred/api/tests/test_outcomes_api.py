"""API v1 for safety alerts, a member's outcomes and the group dashboard."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.measures.models import AlertStatus, SafetyAlert
from kindred.measures.safety import PHQ9_ITEM9_FLAG, raise_alerts_for_administration
from kindred.measures.tests.outcome_support import completed, set_rc

ITEM9 = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 2}
DAY = timedelta(days=1)


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(http: HttpClient, url: str, data: Any = None) -> Any:
    return http.post(url, json.dumps(data or {}), content_type="application/json")


def alert_for(client: Any, group: Any) -> SafetyAlert:
    admin = completed(client, "phq9", ITEM9, flags=[PHQ9_ITEM9_FLAG], group=group)
    with transaction.atomic():
        return raise_alerts_for_administration(admin)[0]


# --- Alerts ---------------------------------------------------------------------------------


def test_a_facilitator_lists_the_alerts_of_their_groups(cast):
    mine = alert_for(cast.client, cast.group_a)
    alert_for(cast.outsider_client, cast.group_b)
    body = signed_in(cast.facilitator).get("/api/v1/alerts/").json()
    assert [a["id"] for a in body["results"]] == [mine.pk]
    row = body["results"][0]
    assert row["status"] == "open"
    assert row["client_name"] == cast.client.display_name
    assert row["group_id"] == cast.group_a.pk
    assert row["flag_code"] == "phq9.item9"
    assert row["instrument"] == "phq9"
    assert "item 9" in row["what_raised_it"]


@pytest.mark.parametrize("who", ["facilitator_b", "coordinator", "billing"])
def test_others_see_no_alerts_of_group_a(cast, who):
    alert = alert_for(cast.client, cast.group_a)
    http = signed_in(getattr(cast, who))
    assert http.get("/api/v1/alerts/").json()["results"] == []
    assert http.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    assert (
        post(http, f"/api/v1/alerts/{alert.pk}/acknowledge/", {"action": "contacted"}).status_code
        == 404
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_members_get_404(cast):
    alert = alert_for(cast.client, cast.group_a)
    http = signed_in(cast.member)
    assert http.get("/api/v1/alerts/").status_code == 404
    assert http.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    assert http.get(f"/api/v1/clients/{cast.client.pk}/outcomes/").status_code == 404
    assert http.get(f"/api/v1/groups/{cast.group_a.pk}/dashboard/").status_code == 404


def test_status_filter_and_bad_filter(cast):
    alert_for(cast.client, cast.group_a)
    http = signed_in(cast.facilitator)
    assert len(http.get("/api/v1/alerts/?status=open").json()["results"]) == 1
    assert http.get("/api/v1/alerts/?status=acknowledged").json()["results"] == []
    bad = http.get("/api/v1/alerts/?status=closed")
    assert bad.status_code == 400
    assert "status" in bad.json()


def test_reading_one_alert_is_audited(cast):
    alert = alert_for(cast.client, cast.group_a)
    response = signed_in(cast.facilitator).get(f"/api/v1/alerts/{alert.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == alert.pk
    assert AuditEvent.objects.filter(action="measures.safety_alert.viewed", via="api").exists()


def test_acknowledging(cast):
    alert = alert_for(cast.client, cast.group_a)
    http = signed_in(cast.facilitator)
    url = f"/api/v1/alerts/{alert.pk}/acknowledge/"
    missing = post(http, url, {"action": "other", "note": ""})
    assert missing.status_code == 400
    assert "note" in missing.json()
    unknown = post(http, url, {"action": "nothing"})
    assert unknown.status_code == 400
    assert "action" in unknown.json()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN

    done = post(http, url, {"action": "referred", "note": "Referred to individual care."})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "acknowledged"
    assert body["action"] == "referred"
    assert body["acknowledged_by"] == {
        "id": cast.facilitator.pk,
        "name": cast.facilitator.full_name,
    }

    again = post(http, url, {"action": "contacted"})
    assert again.status_code == 409
    alert.refresh_from_db()
    assert alert.action == "referred"


def test_tokens_need_the_measures_scopes(cast):
    alert = alert_for(cast.client, cast.group_a)
    no_scope = token_for(cast.admin, "clients:read")
    assert no_scope.get("/api/v1/alerts/").status_code == 403
    reader = token_for(cast.admin, "measures:read")
    assert reader.get("/api/v1/alerts/").json()["results"][0]["id"] == alert.pk
    assert (
        post(reader, f"/api/v1/alerts/{alert.pk}/acknowledge/", {"action": "contacted"}).status_code
        == 403
    )
    writer = token_for(cast.admin, "measures:read", "measures:write")
    assert (
        post(writer, f"/api/v1/alerts/{alert.pk}/acknowledge/", {"action": "contacted"}).status_code
        == 200
    )


def test_alert_list_query_count_is_constant(cast, django_assert_max_num_queries):
    alert_for(cast.client, cast.group_a)
    http = signed_in(cast.facilitator)
    http.get("/api/v1/alerts/")
    with CaptureQueriesContext(connection) as few:
        http.get("/api/v1/alerts/")
    for i in range(30):
        alert_for(cast.client_b if i % 2 else cast.client, cast.group_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(http.get("/api/v1/alerts/").json()["results"]) == 31


# --- A member's outcomes ---------------------------------------------------------------------


def test_a_members_trajectory_with_rci_and_classification(cast):
    set_rc("phq9", 5.0, 0.89)
    start = timezone.now() - 30 * DAY
    for i, total in enumerate([16, 12, 8]):
        completed(cast.client, "phq9", total=total, group=cast.group_a, when=start + i * 7 * DAY)
    body = signed_in(cast.facilitator).get(f"/api/v1/clients/{cast.client.pk}/outcomes/").json()
    (t,) = body["trajectories"]
    assert t["instrument"] == "phq9"
    assert [p["total"] for p in t["points"]] == [16, 12, 8]
    assert [p["band"] for p in t["points"]] == ["moderately_severe", "moderate", "mild"]
    assert t["outcome"] == "reliably_recovered"
    assert t["rci"]["rci"] == pytest.approx(-3.411211, abs=1e-6)
    assert t["rci"]["reliable"] is True
    assert (t["rc_s1"], t["rc_r"]) == (5.0, 0.89)
    assert t["talking_therapies"]["caseness"] == 10
    assert "Gyani" in t["change_criteria_source"]
    assert t["not_on_track"]["flagged"] is False
    assert len(t["bands"]) == 5
    assert body["not_on_track_rules"]
    assert AuditEvent.objects.filter(action="measures.outcomes.viewed", via="api").count() == 1


def test_outcomes_of_someone_elses_member_are_404(cast):
    completed(cast.client, "phq9", total=10)
    assert (
        signed_in(cast.facilitator_b).get(f"/api/v1/clients/{cast.client.pk}/outcomes/").status_code
        == 404
    )


# --- The group dashboard -------------------------------------------------------------------


def test_group_dashboard_data(cast):
    completed(cast.client, "phq9", total=10, when=timezone.now() - 20 * DAY)
    completed(cast.client, "phq9", total=21, when=timezone.now() - DAY)
    alert = alert_for(cast.client_b, cast.group_a)
    body = signed_in(cast.facilitator).get(f"/api/v1/groups/{cast.group_a.pk}/dashboard/").json()
    assert body["group_id"] == cast.group_a.pk
    assert body["open_alert_count"] == 1
    assert body["open_alert_ids"] == [alert.pk]
    (off,) = body["not_on_track"]
    assert off["client_id"] == cast.client.pk
    assert off["instruments"][0]["instrument"] == "phq9"
    phq9 = next(s for s in body["severity"] if s["instrument"] == "phq9")
    counts = {c["band"]: c["members"] for c in phq9["counts"]}
    assert counts["severe"] == 1  # client: latest 21
    assert counts["minimal"] == 1  # client_b: the flagged answer, total 2
    assert phq9["not_measured"] == 0
    assert isinstance(body["attendance"], list)
    assert set(body["pulse_labels"]) == {"engagement", "safety", "conflict"}


def test_coordinators_get_counts_not_alert_ids(cast):
    alert_for(cast.client, cast.group_a)
    body = signed_in(cast.coordinator).get(f"/api/v1/groups/{cast.group_a.pk}/dashboard/").json()
    assert body["open_alert_count"] == 1
    assert body["open_alert_ids"] == []


def test_dashboard_of_another_group_is_404(cast):
    assert (
        signed_in(cast.facilitator_b)
        .get(f"/api/v1/groups/{cast.group_a.pk}/dashboard/")
        .status_code
        == 404
    )
