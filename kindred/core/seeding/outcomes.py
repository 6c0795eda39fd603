"""Seeding safety alerts and the practice's outcome rules (one function per entity).

Alerts are never invented: they follow from the seeded answers. For the demo, every
completed administration whose answers carry a safety flag gets its alerts through the
real ``raise_alerts_for_administration`` (as if the member had just sent it); all but
the newest are then acknowledged by the group's lead facilitator, so the demo shows
both an open alert and a history. At scale, the same rows are written in bulk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from random import Random

from django.db import transaction
from django.utils import timezone

from kindred.accounts.models import User
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    AlertAction,
    AlertSource,
    AlertStatus,
    OutcomeSettings,
    SafetyAlert,
)
from kindred.measures.safety import PHQ9_ITEM9_FLAG

#: At scale, alerts younger than this stay open (the rest were acknowledged).
SCALE_OPEN_FOR = timedelta(days=2)
SCALE_ACTIONS = [
    AlertAction.CONTACTED,
    AlertAction.CONTACTED,
    AlertAction.SAFETY_PLAN,
    AlertAction.REFERRED,
]


def seed_outcome_settings(*, clinical_lead: User | None) -> OutcomeSettings:
    """The practice's rules: the defaults (escalate after 4 hours, not on track after 6
    sessions) with a clinical lead."""
    row, _created = OutcomeSettings.objects.update_or_create(
        pk=1, defaults={"clinical_lead": clinical_lead}
    )
    return row


def seed_demo_alerts(*, client_ids: list[int] | None = None) -> int:
    """Raise the alerts of every flagged, completed administration (of these clients),
    then acknowledge all but each member's newest. Returns how many alerts exist."""
    from kindred.measures.safety import alert_acknowledge, raise_alerts_for_administration

    admins = (
        Administration.objects.filter(status=AdministrationStatus.COMPLETED)
        .exclude(flags=[])
        .select_related("instrument")
        .order_by("client_id", "completed_at", "pk")
    )
    if client_ids is not None:
        admins = admins.filter(client_id__in=client_ids)
    for admin in admins:
        with transaction.atomic():
            raise_alerts_for_administration(admin)
    fallback = User.objects.filter(role_grants__role="admin", is_active=True).order_by("pk").first()
    by_client: dict[int, list[SafetyAlert]] = {}
    for alert in (
        SafetyAlert.objects.filter(status=AlertStatus.OPEN)
        .select_related("group__lead_facilitator__user")
        .order_by("client_id", "created_at", "pk")
    ):
        by_client.setdefault(alert.client_id, []).append(alert)
    for alerts in by_client.values():
        for alert in alerts[:-1]:  # the newest stays open
            lead = alert.group.lead_facilitator.user if alert.group is not None else fallback
            if lead is not None:
                alert_acknowledge(
                    actor=lead,
                    alert=alert,
                    action=AlertAction.CONTACTED,
                    note="Called the member the same day; they are safe and have a plan.",
                )
    return SafetyAlert.objects.count()


def seed_scale_alerts(
    *, rng: Random, progress: Callable[[int], object], batch_size: int = 5000
) -> int:
    """One alert per flagged, completed administration that has none, written in bulk;
    older ones acknowledged by the group's lead facilitator. Returns how many were
    added."""
    now = timezone.now()
    added = 0
    batch: list[SafetyAlert] = []
    rows = (
        Administration.objects.filter(status=AdministrationStatus.COMPLETED)
        .exclude(flags=[])
        .exclude(safety_alerts__flag_code=PHQ9_ITEM9_FLAG)
        .order_by("pk")
        .values_list(
            "pk",
            "client_id",
            "group_id",
            "completed_at",
            "flags",
            "group__lead_facilitator__user_id",
        )
    )
    for pk, client_id, group_id, completed_at, flags, lead_user_id in rows.iterator(
        chunk_size=batch_size
    ):
        if PHQ9_ITEM9_FLAG not in (flags or []):
            continue  # other flags are informational (measures/safety.py)
        created = completed_at or now
        alert = SafetyAlert(
            client_id=client_id,
            group_id=group_id,
            administration_id=pk,
            source=AlertSource.ITEM_FLAG,
            flag_code=PHQ9_ITEM9_FLAG,
            created_at=created,
        )
        if now - created > SCALE_OPEN_FOR and lead_user_id is not None:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_at = created + timedelta(minutes=rng.randint(10, 180))
            alert.acknowledged_by_id = lead_user_id
            alert.action = rng.choice(SCALE_ACTIONS)
        batch.append(alert)
        if len(batch) >= batch_size:
            added += _flush(batch, progress)
    return added + _flush(batch, progress)


def _flush(batch: list[SafetyAlert], progress: Callable[[int], object]) -> int:
    if not batch:
        return 0
    SafetyAlert.objects.bulk_create(batch, ignore_conflicts=True)
    count = len(batch)
    progress(count)
    batch.clear()
    return count
