"""Reads for the home pages: counts and next steps, a constant number of queries."""

from __future__ import annotations

from typing import Any

from kindred.accounts.models import User
from kindred.practice.roles import Role


def role_home_context(*, actor: User, role: Role) -> dict[str, Any]:
    from kindred.clients.models import Client, ClientStatus, PortalInvitation
    from kindred.practice.models import ClinicianProfile, Location, Practice

    if role == Role.ADMIN:
        return {
            "practice_configured": Practice.objects.filter(pk=1).exists(),
            "location_count": Location.objects.filter(is_active=True).count(),
            "clinician_count": ClinicianProfile.objects.filter(user__is_active=True).count(),
            "staff_count": User.objects.filter(kind="staff", is_active=True).count(),
        }
    if role == Role.COORDINATOR:
        return {
            "client_count": Client.objects.filter(status=ClientStatus.ACTIVE).count(),
            "pending_invitations": PortalInvitation.objects.filter(
                accepted_at__isnull=True, revoked_at__isnull=True
            ).count(),
        }
    if role == Role.FACILITATOR:
        from kindred.scheduling.dashboard import facilitator_home_context

        return facilitator_home_context(actor=actor)
    return {}


def member_home_context(*, actor: User) -> dict[str, Any]:
    from kindred.scheduling import member_home

    return member_home.member_home_context(actor=actor)
