"""The practice's safety and outcome rules (one row): when unacknowledged alerts
escalate and to whom, and when a member counts as "not on track".

CLINICAL.md: "Unacknowledged alerts escalate (practice-configurable time, e.g. 4 h) to
the clinical lead" and "Alert rules must be tunable per practice and explained in the
UI, not hard-wired" — group members trip not-on-track alerts more often than
individual clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import ValidationFailed, full_clean_or_fail
from kindred.measures.models import OutcomeSettings
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability, Role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from kindred.accounts.models import User

ESCALATE_MIN_MINUTES = 15
ESCALATE_MAX_MINUTES = 10080  # a week
NOT_ON_TRACK_MAX_SESSIONS = 52


def outcome_settings() -> OutcomeSettings:
    """The practice's row (the defaults until an admin saves it). Not written on read."""
    row = OutcomeSettings.objects.select_related("clinical_lead").filter(pk=1).first()
    return row if row is not None else OutcomeSettings(pk=1)


def clinical_lead_choices() -> QuerySet[User]:
    """Who may be the clinical lead: active staff who are clinicians or admins (they
    must be able to open the alerts passed to them)."""
    from django.db.models import Q

    from kindred.accounts.models import User as UserModel
    from kindred.accounts.models import UserKind

    return (
        UserModel.objects.filter(is_active=True, kind=UserKind.STAFF)
        .filter(Q(clinician__isnull=False) | Q(role_grants__role=Role.ADMIN))
        .distinct()
        .order_by("full_name", "id")
    )


def outcome_settings_update(
    *,
    actor: User,
    escalate_after_minutes: int,
    clinical_lead: User | None,
    not_on_track_after_sessions: int,
    flag_reliable_deterioration: bool,
    alert_on_reliable_deterioration: bool,
) -> OutcomeSettings:
    role_checks.require(actor, Capability.MANAGE_PRACTICE)
    errors: dict[str, list[str]] = {}
    if not ESCALATE_MIN_MINUTES <= escalate_after_minutes <= ESCALATE_MAX_MINUTES:
        errors["escalate_after_minutes"] = [
            _("Choose between %(low)d minutes and %(high)d minutes (a week).")
            % {"low": ESCALATE_MIN_MINUTES, "high": ESCALATE_MAX_MINUTES}
        ]
    if not 1 <= not_on_track_after_sessions <= NOT_ON_TRACK_MAX_SESSIONS:
        errors["not_on_track_after_sessions"] = [
            _("Choose between 1 and %(high)d sessions.") % {"high": NOT_ON_TRACK_MAX_SESSIONS}
        ]
    if (
        clinical_lead is not None
        and not clinical_lead_choices().filter(pk=clinical_lead.pk).exists()
    ):
        errors["clinical_lead"] = [
            _("The clinical lead must be an active clinician or practice admin.")
        ]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        row, _created = OutcomeSettings.objects.select_for_update().get_or_create(pk=1)
        values = {
            "escalate_after_minutes": escalate_after_minutes,
            "clinical_lead_id": clinical_lead.pk if clinical_lead else None,
            "not_on_track_after_sessions": not_on_track_after_sessions,
            "flag_reliable_deterioration": flag_reliable_deterioration,
            "alert_on_reliable_deterioration": alert_on_reliable_deterioration,
        }
        changed = [
            name.removesuffix("_id")
            for name, value in values.items()
            if getattr(row, name) != value
        ]
        for name, value in values.items():
            setattr(row, name, value)
        full_clean_or_fail(row)
        row.save()
        audit_change(
            actor=actor, action="measures.outcome_settings.updated", obj=row, changed=changed
        )
    return row
