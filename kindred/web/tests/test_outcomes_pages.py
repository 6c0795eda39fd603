"""Pages of safety alerts, outcomes, the member's progress, the group dashboard and the
outcome rules: who sees what, the acknowledgement form, and constant query counts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.groups.services import enrollment_activate, enrollment_invite
from kindred.groups.tests.factories import person
from kindred.measures.models import AlertStatus, OutcomeSettings, SafetyAlert
from kindred.measures.safety import PHQ9_ITEM9_FLAG, raise_alerts_for_administration
from kindred.measures.tests.outcome_support import attended, completed, set_rc

ITEM9 = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 1}
DAY = timedelta(days=1)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def queries(http: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


def enrol(cast: Any, group: Any, client: Any) -> None:
    """A place in the group, as the cast's places are made (no screening needed here)."""
    enrollment_activate(
        actor=None, enrollment=enrollment_invite(actor=None, group=group, client=client)
    )


def alert_for(client: Any, group: Any) -> SafetyAlert:
    admin = completed(client, "phq9", ITEM9, flags=[PHQ9_ITEM9_FLAG], group=group)
    with transaction.atomic():
        return raise_alerts_for_administration(admin)[0]


# --- Alerts -------------------------------------------------------------------------------


def test_the_facilitator_sees_the_alert_on_their_home_page_first(cast):
    alert = alert_for(cast.client, cast.group_a)
    page = text(signed_in(cast.facilitator).get("/home/facilitator/"))
    assert "1 safety alert needs action" in page
    assert cast.client.display_name in page
    assert f'href="/alerts/{alert.pk}/"' in page
    assert page.index("safety alert needs action") < page.index("The next")
    assert "Alerts (1 open)" in page  # the navigation counts it too


def test_no_alert_panel_when_nothing_is_open(cast):
    page = text(signed_in(cast.facilitator).get("/home/facilitator/"))
    assert "needs action" not in page
    assert ">Alerts<" in page


def test_the_other_groups_facilitator_does_not_see_it(cast):
    alert = alert_for(cast.client, cast.group_a)
    http = signed_in(cast.facilitator_b)
    assert "needs action" not in text(http.get("/home/facilitator/"))
    assert cast.client.display_name not in text(http.get("/alerts/"))
    assert http.get(f"/alerts/{alert.pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        category="denied", object_type="measures.safetyalert", object_id=str(alert.pk)
    ).exists()


@pytest.mark.parametrize("who", ["coordinator", "billing", "member", "outsider"])
def test_alert_pages_do_not_exist_for_non_clinicians(cast, who):
    alert = alert_for(cast.client, cast.group_a)
    http = signed_in(getattr(cast, who))
    assert http.get("/alerts/").status_code == 404
    assert http.get(f"/alerts/{alert.pk}/").status_code == 404
    assert ">Alerts" not in text(http.get("/home/"))


def test_admins_see_every_alert(cast):
    alert_for(cast.client, cast.group_a)
    alert_for(cast.outsider_client, cast.group_b)
    page = text(signed_in(cast.admin).get("/alerts/"))
    assert cast.client.display_name in page
    assert cast.outsider_client.display_name in page


def test_opening_an_alert_is_audited_and_shows_what_raised_it(cast):
    alert = alert_for(cast.client, cast.group_a)
    page = text(signed_in(cast.facilitator).get(f"/alerts/{alert.pk}/"))
    assert "Open — this alert needs action." in page
    assert "PHQ-9 item 9" in page
    assert "Record the action you took" in page
    assert AuditEvent.objects.filter(action="measures.safety_alert.viewed").count() == 1


def test_other_needs_a_note_and_nothing_is_saved_without_it(cast):
    alert = alert_for(cast.client, cast.group_a)
    http = signed_in(cast.facilitator)
    response = http.post(f"/alerts/{alert.pk}/", {"action": "other", "note": "  "})
    assert response.status_code == 200
    page = text(response)
    assert "Say what you did when you choose “Other”." in page
    assert 'id="id_note_error"' in page
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert not AuditEvent.objects.filter(action="measures.safety_alert.acknowledged").exists()


def test_an_unknown_action_is_refused(cast):
    alert = alert_for(cast.client, cast.group_a)
    response = signed_in(cast.facilitator).post(f"/alerts/{alert.pk}/", {"action": "ignored"})
    assert "Select a valid choice" in text(response)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_acknowledging_records_the_action_and_the_alert_becomes_read_only(cast):
    alert = alert_for(cast.client, cast.group_a)
    http = signed_in(cast.facilitator)
    response = http.post(
        f"/alerts/{alert.pk}/", {"action": "safety_plan", "note": "Called; reviewed the plan."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == cast.facilitator
    assert alert.action == "safety_plan"
    assert alert.action_note == "Called; reviewed the plan."
    event = AuditEvent.objects.get(action="measures.safety_alert.acknowledged")
    assert "Called" not in str(event.detail)  # field names, not values
    page = text(http.get(f"/alerts/{alert.pk}/"))
    assert "Acknowledged." in page
    assert "Made or reviewed a safety plan" in page
    assert '<form method="post" class="form"' not in page
    # A second acknowledgement changes nothing.
    again = http.post(f"/alerts/{alert.pk}/", {"action": "other", "note": "Overwrite"}, follow=True)
    assert "already acknowledged" in text(again)
    alert.refresh_from_db()
    assert alert.action == "safety_plan"
    # The home page no longer shows it.
    assert "needs action" not in text(http.get("/home/facilitator/"))


def test_the_admin_may_acknowledge_any_alert(cast):
    alert = alert_for(cast.outsider_client, cast.group_b)
    response = signed_in(cast.admin).post(f"/alerts/{alert.pk}/", {"action": "contacted"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.admin


def test_alert_list_query_count_is_constant(cast, django_assert_max_num_queries):
    alert_for(cast.client, cast.group_a)
    http = signed_in(cast.facilitator)
    http.get("/alerts/")
    few = queries(http, "/alerts/")
    for i in range(25):
        alert_for(cast.client if i % 2 else cast.client_b, cast.group_a)
    many = queries(http, "/alerts/")
    assert many == few
    with django_assert_max_num_queries(few):
        assert http.get("/alerts/?status=open").status_code == 200


# --- A member's outcomes (staff) --------------------------------------------------------------


def test_the_member_chart_shows_rci_classification_and_sources(cast):
    set_rc("phq9", 5.0, 0.89)
    start = timezone.now() - 30 * DAY
    for i, total in enumerate([16, 12, 8]):
        completed(cast.client, "phq9", total=total, group=cast.group_a, when=start + i * 7 * DAY)
    page = text(signed_in(cast.facilitator).get(f"/clients/{cast.client.pk}/outcomes/"))
    assert "Reliably recovered" in page
    assert "RCI = -3.41" in page
    assert "s1 = 5.0, r = 0.89" in page
    assert "Gyani" in page
    assert "Jacobson & Truax 1991" in page
    assert 'data-chart="chart-phq9"' in page
    assert 'id="chart-phq9" type="application/json"' in page
    assert '<th scope="col">Total</th>' in page
    assert "Moderately severe" in page
    assert "How “not on track” is decided" in page
    assert "chart.umd.min.js" in page
    assert 'nonce="' in page


def test_member_chart_access(cast):
    url = f"/clients/{cast.client.pk}/outcomes/"
    for who in ("facilitator", "supervisor", "coordinator", "admin"):
        assert signed_in(getattr(cast, who)).get(url).status_code == 200, who
    for who in ("facilitator_b", "billing", "member", "member_b", "outsider"):
        assert signed_in(getattr(cast, who)).get(url).status_code == 404, who


def test_member_chart_query_count_is_constant(cast, django_assert_max_num_queries):
    url = f"/clients/{cast.client.pk}/outcomes/"
    http = signed_in(cast.facilitator)
    completed(cast.client, "phq9", total=12)
    http.get(url)
    few = queries(http, url)
    start = timezone.now() - 200 * DAY
    for i in range(25):
        completed(cast.client, "phq9", total=i % 27, when=start + i * DAY)
        completed(cast.client, "gad7", total=i % 21, when=start + i * DAY)
    attended(cast.client, cast.group_a, 10, after=start)
    many = queries(http, url)
    assert many == few + 0 or many <= few + 0
    with django_assert_max_num_queries(few):
        assert http.get(url).status_code == 200


# --- The member's own progress ----------------------------------------------------------------


def test_the_member_sees_encouraging_words_without_scores(cast):
    start = timezone.now() - 30 * DAY
    for i, total in enumerate([17, 13, 9]):
        completed(cast.client, "phq9", total=total, when=start + i * 7 * DAY)
    http = signed_in(cast.member)
    home = text(http.get("/home/member/"))
    assert "See your progress" in home
    page = text(http.get("/my/progress/"))
    assert "Your answers suggest things have been easier lately." in page
    assert "bigger than the everyday ups and downs" in page
    # Text and script bodies, without tag markup: a random CSRF token or CSP nonce in an
    # attribute can contain "17" (this test failed once on exactly that).
    shown = re.sub(r"<[^>]*>", " ", page)
    for clinical in ("PHQ", "Moderately severe", "Moderate", "severe", "17", "RCI", "band"):
        assert clinical not in shown, clinical
    assert "988" in page
    assert 'data-chart="progress-phq9"' in page


def test_harder_lately_is_said_gently(cast):
    start = timezone.now() - 30 * DAY
    for i, total in enumerate([6, 14]):
        completed(cast.client, "phq9", total=total, when=start + i * 7 * DAY)
    page = text(signed_in(cast.member).get("/my/progress/"))
    assert "Your answers suggest things have been harder lately." in page
    assert "you do not have to manage them alone" in page


def test_progress_is_only_the_members_own(cast):
    completed(cast.client_b, "phq9", total=20)
    page = text(signed_in(cast.member).get("/my/progress/"))
    assert "Nothing to show yet." in page
    assert signed_in(cast.facilitator).get("/my/progress/").status_code == 404


# --- The group dashboard -------------------------------------------------------------------


def _pulse(client: Any, session: Any, values: list[int]) -> Any:
    keys = ("belonging", "safety", "usefulness", "engagement", "conflict")
    return completed(
        client,
        "pulse",
        dict(zip(keys, values, strict=True)),
        group=session.group,
        session=session,
        when=session.ends_at + timedelta(minutes=5),
    )


def _past_sessions(cast: Any) -> list[Any]:
    from kindred.scheduling.models import GroupSession

    return list(
        GroupSession.objects.filter(group=cast.group_a, starts_at__lte=timezone.now()).order_by(
            "starts_at"
        )
    )


def test_the_dashboard_shows_attendance_pulse_severity_not_on_track_and_alerts(cast):
    from kindred.scheduling.models import Attendance

    sessions = _past_sessions(cast)
    assert sessions
    first = sessions[0]
    Attendance.objects.create(session=first, client=cast.client, status="virtual")
    Attendance.objects.create(session=first, client=cast.client_b, status="no_show")
    _pulse(cast.client, first, [3, 2, 4, 3, 1])
    _pulse(cast.client_b, first, [1, 4, 2, 1, 3])
    completed(cast.client, "phq9", total=16, when=timezone.now() - 20 * DAY)
    completed(cast.client, "phq9", total=22, when=timezone.now() - DAY)
    completed(cast.client_b, "gad7", total=6)
    alert_for(cast.client_b, cast.group_a)

    page = text(signed_in(cast.facilitator).get(f"/groups/{cast.group_a.pk}/dashboard/"))

    assert "How Steady Ground is doing" in page
    # attendance table: 1 attended, 0 notice, 1 no-show
    assert re.search(r"<td>1</td><td>0</td><td>1</td>", page)
    # pulse averages: engagement (3+1)/2 = 2.0, safety (2+4)/2 = 3.0, conflict (1+3)/2 = 2.0
    assert "<td>2.0</td><td>3.0</td><td>2.0</td><td>2</td>" in page
    # severity: PHQ-9 latest for client = 22 (severe); client_b not measured
    assert "Severe (20–27)</th><td>1</td>" in page
    assert "Not measured yet</th><td>1</td>" in page
    # not on track: reliable deterioration 16 → 22
    assert "Reliable deterioration since the first measurement." in page
    assert f'href="/clients/{cast.client.pk}/outcomes/"' in page
    assert "/alerts/" in page
    assert cast.client_b.display_name in page
    for chart in ("chart-attendance", "chart-pulse", "severity-phq9", "severity-gad7"):
        assert f'id="{chart}" type="application/json"' in page
    assert AuditEvent.objects.filter(action="measures.group_dashboard.viewed").count() == 1


def test_dashboard_access(cast):
    url = f"/groups/{cast.group_a.pk}/dashboard/"
    for who in ("facilitator", "supervisor", "coordinator", "admin"):
        assert signed_in(getattr(cast, who)).get(url).status_code == 200, who
    for who in ("facilitator_b", "billing", "member", "outsider"):
        assert signed_in(getattr(cast, who)).get(url).status_code == 404, who


def test_a_coordinator_sees_how_many_alerts_but_not_the_alerts(cast):
    alert_for(cast.client, cast.group_a)
    page = text(signed_in(cast.coordinator).get(f"/groups/{cast.group_a.pk}/dashboard/"))
    assert "1 open safety alert." in page
    assert "/alerts/" not in page


def test_dashboard_empty_states(cast):
    from kindred.groups.tests.factories import make_group

    group = make_group(cast, lead_facilitator=cast.clinician)
    page = text(signed_in(cast.facilitator).get(f"/groups/{group.pk}/dashboard/"))
    assert "No sessions have taken place yet." in page
    assert "No pulse answers yet." in page
    assert "No members hold a place yet." in page


def test_dashboard_query_count_is_constant(cast, django_assert_max_num_queries):
    from kindred.scheduling.models import Attendance

    url = f"/groups/{cast.group_a.pk}/dashboard/"
    http = signed_in(cast.facilitator)
    alert_for(cast.client, cast.group_a)
    http.get(url)
    few = queries(http, url)
    sessions = _past_sessions(cast)
    for i in range(8):
        client = person(f"Member{i}")
        enrol(cast, cast.group_a, client)
        for s in sessions:
            Attendance.objects.create(session=s, client=client, status="virtual")
            _pulse(client, s, [2, 3, 2, 3, 1])
        completed(client, "phq9", total=10 + i, when=timezone.now() - 30 * DAY)
        completed(client, "phq9", total=5 + i, when=timezone.now() - DAY)
        completed(client, "gad7", total=i, when=timezone.now() - DAY)
        alert_for(client, cast.group_a)
    many = queries(http, url)
    assert many == few
    with django_assert_max_num_queries(few):
        assert http.get(url).status_code == 200


# --- Outcome rules (admins) -----------------------------------------------------------------


def test_the_admin_sets_the_rules(cast):
    http = signed_in(cast.admin)
    page = text(http.get("/practice/outcomes/"))
    assert "Escalate an unacknowledged alert after (minutes)" in page
    assert "Group members trip" in page
    response = http.post(
        "/practice/outcomes/",
        {
            "escalate_after_minutes": "90",
            "clinical_lead": str(cast.supervisor.pk),
            "not_on_track_after_sessions": "8",
            "flag_reliable_deterioration": "on",
        },
    )
    assert response.status_code == 302
    rules = OutcomeSettings.objects.get()
    assert rules.escalate_after_minutes == 90
    assert rules.clinical_lead == cast.supervisor
    assert rules.not_on_track_after_sessions == 8
    assert rules.flag_reliable_deterioration
    assert not rules.alert_on_reliable_deterioration
    assert "attended 8 sessions" in text(http.get("/practice/outcomes/"))


def test_bad_rules_show_beside_the_field_and_nothing_is_saved(cast):
    http = signed_in(cast.admin)
    response = http.post(
        "/practice/outcomes/",
        {"escalate_after_minutes": "5", "clinical_lead": "", "not_on_track_after_sessions": "6"},
    )
    page = text(response)
    assert 'id="id_escalate_after_minutes_error"' in page
    assert not OutcomeSettings.objects.exists()
    response = http.post(
        "/practice/outcomes/",
        {
            "escalate_after_minutes": "60",
            "clinical_lead": str(cast.coordinator.pk),
            "not_on_track_after_sessions": "6",
        },
    )
    assert 'id="id_clinical_lead_error"' in text(response)
    assert not OutcomeSettings.objects.exists()


@pytest.mark.parametrize("who", ["facilitator", "coordinator", "member"])
def test_the_rules_page_is_for_admins(cast, who):
    assert signed_in(getattr(cast, who)).get("/practice/outcomes/").status_code == 404


def test_the_group_and_client_pages_link_to_the_dashboard_and_outcomes(cast):
    http = signed_in(cast.facilitator)
    assert f'href="/groups/{cast.group_a.pk}/dashboard/"' in text(
        http.get(f"/groups/{cast.group_a.pk}/")
    )
    assert f'href="/clients/{cast.client.pk}/outcomes/"' in text(
        http.get(f"/clients/{cast.client.pk}/")
    )
