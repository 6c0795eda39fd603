"""Helpers for the attendance, gate, dashboard and report tests (G2)."""

from __future__ import annotations

from datetime import date, datetime

import time_machine
from django.utils import timezone

from kindred.groups.models import TherapyGroup
from kindred.practice.models import License
from kindred.practice.services import license_update
from kindred.scheduling.models import GroupSession


def upcoming(group: TherapyGroup, index: int = 1) -> GroupSession:
    """The group's ``index``-th session from now (0 = the next one). Index 1 is at least
    six days away, so a test can travel to it without crossing today's session."""
    return (
        GroupSession.objects.filter(group=group, starts_at__gt=timezone.now())
        .select_related("group")
        .order_by("starts_at")[index]
    )


def at(moment: datetime) -> time_machine.travel:
    """Freeze the clock at ``moment`` (``with at(...):``)."""
    return time_machine.travel(moment, tick=False)


def set_expiry(lic: License, expires_on: date) -> License:
    """Change when a license expires, through the practice service."""
    return license_update(
        actor=None,
        license=lic,
        state=lic.state,
        license_type=lic.license_type,
        number=lic.number,
        issued_on=lic.issued_on,
        expires_on=expires_on,
        status=lic.status,
        verified_on=lic.verified_on,
    )
