"""Escalating safety alerts nobody acknowledged in time (CLINICAL.md "Safety":
"Unacknowledged alerts escalate (practice-configurable time, e.g. 4 h) to the clinical
lead").

``escalate_due_alerts`` is run every few minutes by ``manage.py escalate_alerts`` (cron
or a systemd timer). Each alert is escalated once: it is claimed with a conditional
UPDATE (``escalated_at IS NULL``), so two runs at the same moment cannot both escalate
it. The clinical lead (OutcomeSettings.clinical_lead) — or, when none is set, every
practice admin — is told in-app and by an email that says only that an alert is
waiting. Every escalation is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.measures.models import AlertStatus, SafetyAlert
from kindred.measures.outcome_settings import outcome_settings
from kindred.measures.safety import ESCALATION_KIND, tell_people
from kindred.practice.roles import Role

if TYPE_CHECKING:
    from kindred.accounts.models import User


@dataclass(frozen=True)
class EscalationRun:
    due: int
    escalated: int
    recipients: int


def escalation_recipients() -> list[User]:
    """The clinical lead if one is set and active; else every active practice admin."""
    from kindred.accounts.models import User as UserModel
    from kindred.accounts.models import UserKind

    lead = outcome_settings().clinical_lead
    if lead is not None and lead.is_active:
        return [lead]
    return list(
        UserModel.objects.filter(is_active=True, kind=UserKind.STAFF, role_grants__role=Role.ADMIN)
        .distinct()
        .order_by("pk")
    )


def escalate_due_alerts(*, now: datetime | None = None) -> EscalationRun:
    """Escalate every open alert older than the practice's limit that was not escalated
    yet. Safe to run twice, or twice at once."""
    now = now or timezone.now()
    rules = outcome_settings()
    cutoff = now - timedelta(minutes=rules.escalate_after_minutes)
    due = list(
        SafetyAlert.objects.filter(
            status=AlertStatus.OPEN, escalated_at__isnull=True, created_at__lte=cutoff
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    if not due:
        return EscalationRun(due=0, escalated=0, recipients=0)
    recipients = escalation_recipients()
    # escalated_to names the clinical lead; when every admin is told, nobody in particular.
    lead = rules.clinical_lead if rules.clinical_lead in recipients else None
    escalated = 0
    for alert_id in due:
        with transaction.atomic():
            claimed = SafetyAlert.objects.filter(
                pk=alert_id, status=AlertStatus.OPEN, escalated_at__isnull=True
            ).update(escalated_at=now, escalated_to=lead)
            if not claimed:
                continue  # acknowledged or escalated by someone else meanwhile
            alert = SafetyAlert.objects.get(pk=alert_id)
            audit_change(
                actor=None,
                action="measures.safety_alert.escalated",
                obj=alert,
                client_id=alert.client_id,
                changed=["escalated_at", "escalated_to"],
                detail={"recipients": len(recipients)},
            )
            transaction.on_commit(partial(_tell, alert_id, [u.pk for u in recipients]))
            escalated += 1
    return EscalationRun(due=len(due), escalated=escalated, recipients=len(recipients))


def _tell(alert_id: int, user_ids: list[int]) -> None:
    from kindred.accounts.models import User as UserModel
    from kindred.measures.safety_selectors import forget_open_alert_counts

    forget_open_alert_counts()
    alert = SafetyAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        return
    people = list(UserModel.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))
    tell_people(
        alert,
        people,
        kind=ESCALATION_KIND,
        title=_("A safety alert has waited too long and was passed to you"),
    )
