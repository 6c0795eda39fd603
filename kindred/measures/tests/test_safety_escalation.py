"""Alerts nobody acknowledged in time go to the clinical lead (or every admin), once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from kindred.audit.models import AuditEvent
from kindred.core.errors import NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.measures.escalation import escalate_due_alerts
from kindred.measures.models import AlertAction, OutcomeSettings, SafetyAlert
from kindred.measures.outcome_settings import outcome_settings, outcome_settings_update
from kindred.measures.safety import (
    PHQ9_ITEM9_FLAG,
    alert_acknowledge,
    raise_alerts_for_administration,
)
from kindred.measures.safety_selectors import get_alert_for
from kindred.measures.tests.outcome_support import completed
from kindred.notifications.models import Notification

ITEM9 = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 1}


def _alert(cast: Cast) -> SafetyAlert:
    admin = completed(cast.client, "phq9", ITEM9, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a)
    with transaction.atomic():
        return raise_alerts_for_administration(admin)[0]


def _settings(cast: Cast, **changes: object) -> OutcomeSettings:
    values: dict[str, object] = {
        "escalate_after_minutes": 240,
        "clinical_lead": None,
        "not_on_track_after_sessions": 6,
        "flag_reliable_deterioration": True,
        "alert_on_reliable_deterioration": False,
    }
    values.update(changes)
    return outcome_settings_update(actor=cast.admin, **values)  # type: ignore[arg-type]


def test_nothing_escalates_before_the_limit(cast):
    alert = _alert(cast)
    with time_machine.travel(alert.created_at + timedelta(minutes=239)):
        run = escalate_due_alerts()
    assert run.escalated == 0
    alert.refresh_from_db()
    assert alert.escalated_at is None


def test_an_open_alert_escalates_once_to_the_clinical_lead(
    cast, django_capture_on_commit_callbacks
):
    _settings(cast, clinical_lead=cast.supervisor, escalate_after_minutes=60)
    alert = _alert(cast)
    mail.outbox.clear()
    later = alert.created_at + timedelta(minutes=61)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        first = escalate_due_alerts()
        second = escalate_due_alerts()
        out = io.StringIO()
        call_command("escalate_alerts", stdout=out)
    assert (first.escalated, second.escalated) == (1, 0)
    assert "escalated 0" in out.getvalue()
    alert.refresh_from_db()
    assert alert.escalated_to == cast.supervisor
    assert alert.escalated_at is not None
    assert AuditEvent.objects.filter(action="measures.safety_alert.escalated").count() == 1
    told = Notification.objects.filter(kind="safety_alert_escalated")
    assert [n.user for n in told] == [cast.supervisor]
    assert [m.to for m in mail.outbox] == [[cast.supervisor.email]]
    body = mail.outbox[0].body
    assert "Sign in to see it." in body
    assert cast.client.display_name not in body
    assert "PHQ" not in body
    # The lead can now open and acknowledge it, though it is not their group.
    assert get_alert_for(cast.supervisor, alert.pk) == alert


def test_without_a_clinical_lead_every_admin_is_told(cast, django_capture_on_commit_callbacks):
    alert = _alert(cast)
    with (
        time_machine.travel(alert.created_at + timedelta(minutes=241)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = escalate_due_alerts()
    assert run.escalated == 1
    alert.refresh_from_db()
    assert alert.escalated_to is None
    assert list(
        Notification.objects.filter(kind="safety_alert_escalated").values_list("user", flat=True)
    ) == [cast.admin.pk]


def test_acknowledged_alerts_never_escalate(cast):
    alert = _alert(cast)
    alert_acknowledge(actor=cast.facilitator, alert=alert, action=AlertAction.CONTACTED)
    with time_machine.travel(alert.created_at + timedelta(days=2)):
        assert escalate_due_alerts().escalated == 0


def test_the_settings_row_has_the_documented_defaults(db):
    rules = outcome_settings()
    assert rules.escalate_after_minutes == 240
    assert rules.clinical_lead is None
    assert not OutcomeSettings.objects.exists()  # reading writes nothing


def test_only_admins_change_the_rules(cast):
    with pytest.raises(NotPermitted):
        outcome_settings_update(
            actor=cast.facilitator,
            escalate_after_minutes=60,
            clinical_lead=None,
            not_on_track_after_sessions=4,
            flag_reliable_deterioration=True,
            alert_on_reliable_deterioration=False,
        )
    assert not OutcomeSettings.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("escalate_after_minutes", 14),
        ("escalate_after_minutes", 10081),
        ("not_on_track_after_sessions", 0),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_saved(cast, field, value):
    with pytest.raises(ValidationFailed) as caught:
        _settings(cast, **{field: value})
    assert field in caught.value.errors
    assert not OutcomeSettings.objects.exists()


def test_the_clinical_lead_must_be_a_clinician_or_admin(cast):
    for wrong in (cast.coordinator, cast.billing, cast.member):
        with pytest.raises(ValidationFailed) as caught:
            _settings(cast, clinical_lead=wrong)
        assert "clinical_lead" in caught.value.errors
    assert not OutcomeSettings.objects.exists()
    saved = _settings(cast, clinical_lead=cast.facilitator_b, escalate_after_minutes=30)
    assert saved.clinical_lead == cast.facilitator_b
    event = AuditEvent.objects.get(action="measures.outcome_settings.updated")
    assert event.detail["fields"] == ["clinical_lead", "escalate_after_minutes"]
