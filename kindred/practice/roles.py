"""Roles and capabilities, declared once.

A person holds one or more staff roles, or is a member (a client with a portal account).
What a role may do is a set of capabilities; code asks ``has(actor, Capability.X)`` or
``require(actor, Capability.X)`` and never compares role names. Object-level questions
("is this client in one of my groups?") are answered by each app's ``access.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from django.utils.translation import gettext_lazy as _

from kindred.core.errors import NotPermitted

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    FACILITATOR = "facilitator"
    SUPERVISOR = "supervisor"
    BILLING = "billing"

    @property
    def label(self) -> _StrPromise:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, _StrPromise] = {
    Role.ADMIN: _("Practice admin"),
    Role.COORDINATOR: _("Intake coordinator"),
    Role.FACILITATOR: _("Facilitator"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.BILLING: _("Billing"),
}

STAFF_ROLES: tuple[Role, ...] = tuple(Role)


class Capability(StrEnum):
    # Practice set-up
    MANAGE_PRACTICE = "manage_practice"  # profile, locations, rooms, compacts, concern tags
    MANAGE_STAFF = "manage_staff"  # staff accounts and their roles
    MANAGE_CLINICIANS = "manage_clinicians"  # clinician profiles, licenses, privileges
    VIEW_CLINICIANS = "view_clinicians"  # read clinician profiles and licenses
    # Clients
    VIEW_ALL_CLIENTS = "view_all_clients"  # every client record, not only one's groups
    MANAGE_CLIENTS = "manage_clients"  # create and edit client records
    INVITE_CLIENTS = "invite_clients"  # send portal invitations
    # Groups and sessions
    VIEW_ALL_GROUPS = "view_all_groups"  # every group, not only the ones one runs
    MANAGE_GROUPS = "manage_groups"  # create/edit groups, sessions and enrollments
    VIEW_LICENSURE_REPORT = "view_licensure_report"  # sessions at risk, expiring licenses
    # Intake
    SCREEN_CANDIDATES = "screen_candidates"  # screen candidates for groups (intake/screening.py)
    VIEW_INTAKE_REPORTS = "view_intake_reports"  # the intake funnel report
    RUN_MATCHING = "run_matching"  # run matching, decide its proposals, set its weights
    # Oversight
    VIEW_AUDIT = "view_audit"
    OVERSEE_SAFETY_ALERTS = "oversee_safety_alerts"  # every safety alert, and acknowledge any
    MANAGE_OWN_TOKENS = "manage_own_tokens"  # API tokens for integrations
    OVERSEE_NOTES = "oversee_notes"  # every session's notes, the unsigned-notes dashboard
    # A member's whole record (notes included) as a PDF/JSON file for a records request:
    # admins only — coordinators never read note content, supervisors co-sign notes.
    EXPORT_RECORDS = "export_records"
    # Billing
    MANAGE_BILLING = "manage_billing"  # fees, charges, payments, ledgers, the affordability report
    EDIT_ANY_DIAGNOSIS = "edit_any_diagnosis"  # any member's ICD-10 codes (clinicians: their own)


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(
        {
            Capability.MANAGE_PRACTICE,
            Capability.MANAGE_STAFF,
            Capability.MANAGE_CLINICIANS,
            Capability.VIEW_CLINICIANS,
            Capability.VIEW_ALL_CLIENTS,
            Capability.MANAGE_CLIENTS,
            Capability.INVITE_CLIENTS,
            Capability.VIEW_AUDIT,
            Capability.MANAGE_OWN_TOKENS,
            Capability.VIEW_ALL_GROUPS,
            Capability.MANAGE_GROUPS,
            Capability.VIEW_LICENSURE_REPORT,
            Capability.OVERSEE_SAFETY_ALERTS,
            Capability.SCREEN_CANDIDATES,
            Capability.VIEW_INTAKE_REPORTS,
            Capability.RUN_MATCHING,
            Capability.OVERSEE_NOTES,
            Capability.EXPORT_RECORDS,
            Capability.MANAGE_BILLING,
            Capability.EDIT_ANY_DIAGNOSIS,
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            Capability.VIEW_CLINICIANS,
            Capability.VIEW_ALL_CLIENTS,
            Capability.MANAGE_CLIENTS,
            Capability.INVITE_CLIENTS,
            Capability.MANAGE_OWN_TOKENS,
            Capability.VIEW_ALL_GROUPS,
            Capability.MANAGE_GROUPS,
            Capability.VIEW_LICENSURE_REPORT,
            Capability.SCREEN_CANDIDATES,
            Capability.VIEW_INTAKE_REPORTS,
            Capability.RUN_MATCHING,
        }
    ),
    # Facilitators and supervisors see the clients of their own (or their supervisees')
    # groups; that object-level grant lives in clients/access.py. They screen candidates
    # for the groups they facilitate (intake/screening_access.py). Their own API tokens
    # carry only the scopes accounts/token_services.py allowed_scopes gives a clinician
    # (sessions, notes, measures, ...), and reach only what the access rules let them.
    Role.FACILITATOR: frozenset(
        {Capability.VIEW_CLINICIANS, Capability.SCREEN_CANDIDATES, Capability.MANAGE_OWN_TOKENS}
    ),
    Role.SUPERVISOR: frozenset(
        {Capability.VIEW_CLINICIANS, Capability.SCREEN_CANDIDATES, Capability.MANAGE_OWN_TOKENS}
    ),
    Role.BILLING: frozenset(
        {Capability.VIEW_CLINICIANS, Capability.MANAGE_OWN_TOKENS, Capability.MANAGE_BILLING}
    ),
}


class Actor(Protocol):
    """What the role checks need from a user (``accounts.User`` satisfies it)."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def roles(self) -> frozenset[Role]: ...


def capabilities_of(roles: Iterable[Role]) -> frozenset[Capability]:
    caps: set[Capability] = set()
    for role in roles:
        caps |= ROLE_CAPABILITIES[role]
    return frozenset(caps)


def has(actor: Actor | None, capability: Capability) -> bool:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    return capability in capabilities_of(actor.roles)


def has_role(actor: Actor | None, role: Role) -> bool:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    return role in actor.roles


def require(actor: Actor | None, capability: Capability) -> None:
    if not has(actor, capability):
        raise NotPermitted(str(_("You do not have permission to do that.")))
