"""How long a closed member's clinical record is kept: a practice profile field (page and
API), used by account closure for ``retain_until``; an upgrade keeps what the deployment's
setting said. Bad input is refused beside the field and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from kindred.audit.models import AuditEvent
from kindred.core.errors import ValidationFailed
from kindred.core.testing import signed_in
from kindred.datarights import closure
from kindred.practice import services
from kindred.practice.models import Practice
from kindred.practice.settings import forget_practice_settings

FORM = {
    "name": "Test Practice",
    "timezone": "America/Chicago",
    "states_served": ["IL", "KS", "FL"],
    "crisis_resources": "Call or text 988, any time.",
    "staff_idle_minutes": "15",
    "member_idle_minutes": "30",
}
PROFILE: dict[str, Any] = {
    "name": "Test Practice",
    "timezone": "America/Chicago",
    "states_served": ["IL"],
    "crisis_resources": "Call or text 988.",
}


def years() -> int:
    return Practice.objects.get().record_retention_years


def test_seven_years_unless_the_practice_says_otherwise(cast):
    assert years() == 7
    assert closure.retention_years() == 7


def test_closure_keeps_the_record_for_the_practice_period(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.practice_save(actor=cast.admin, **PROFILE, record_retention_years=10)
    assert closure.retention_years() == 10
    req = closure.closure_request(actor=cast.member)
    done = closure.closure_confirm(actor=cast.coordinator, request_id=req.pk)
    assert done.retain_until is not None
    assert done.decided_at is not None
    assert done.retain_until.year - done.decided_at.year == 10
    event = AuditEvent.objects.filter(action="practice.practice.updated").latest("id")
    assert "record_retention_years" in event.detail["fields"]


@override_settings(KINDRED_RECORD_RETENTION_YEARS=9)
def test_the_setting_applies_only_before_the_practice_is_set_up(cast):
    assert closure.retention_years() == 7  # the practice's own figure wins
    Practice.objects.all().delete()
    forget_practice_settings()
    assert closure.retention_years() == 9


@pytest.mark.parametrize("value", [0, 101, -3])
def test_out_of_range_periods_are_refused_and_change_nothing(cast, value):
    before = (years(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        services.practice_save(actor=cast.admin, **PROFILE, record_retention_years=value)
    assert "record_retention_years" in exc.value.errors
    assert "from 1 to 100" in str(exc.value.errors["record_retention_years"])
    assert (years(), AuditEvent.objects.count()) == before


def test_the_profile_page_sets_and_shows_the_period(cast):
    admin = signed_in(cast.admin)
    html = admin.get("/practice/").content.decode()
    assert "Keep clinical records (years after an account closes)" in html
    assert admin.post("/practice/", {**FORM, "record_retention_years": "6"}).status_code == 302
    assert years() == 6
    # Left empty, it stays as it is.
    assert admin.post("/practice/", FORM).status_code == 302
    assert years() == 6
    cache.clear()
    assert "6 years" in signed_in(cast.facilitator).get("/practice/").content.decode()


def test_the_profile_page_refuses_a_bad_period_beside_the_field(cast):
    response = signed_in(cast.admin).post("/practice/", {**FORM, "record_retention_years": "0"})
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()
    assert years() == 7


def _put(cast: Any, payload: dict[str, Any]) -> Any:
    return signed_in(cast.admin).put(
        "/api/v1/practice/", json.dumps(payload), content_type="application/json"
    )


def test_the_api_reads_and_sets_the_period(cast):
    assert signed_in(cast.admin).get("/api/v1/practice/").json()["record_retention_years"] == 7
    response = _put(cast, {**PROFILE, "record_retention_years": 12})
    assert response.status_code == 200
    assert response.json()["record_retention_years"] == 12
    assert _put(cast, PROFILE).json()["record_retention_years"] == 12  # left out: unchanged


@pytest.mark.parametrize("value", [0, 101, "seven", None, 2.5])
def test_bad_periods_are_refused_by_the_api(cast, value):
    before = (years(), AuditEvent.objects.count())
    response = _put(cast, {**PROFILE, "record_retention_years": value})
    assert response.status_code == 400
    assert "record_retention_years" in response.json()
    assert (years(), AuditEvent.objects.count()) == before


@pytest.mark.django_db(transaction=True)
@override_settings(KINDRED_RECORD_RETENTION_YEARS=10)
def test_upgrading_keeps_the_period_the_deployment_set() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("practice", "0002_reminder_preferences")])
    old = MigrationExecutor(connection).loader.project_state(
        [("practice", "0002_reminder_preferences")]
    )
    old.apps.get_model("practice", "Practice").objects.create(
        id=1, name="Upgraded Practice", timezone="America/Chicago"
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert years() == 10
