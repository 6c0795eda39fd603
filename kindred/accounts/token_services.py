"""Writes for API tokens (integrations): create with scopes, revoke."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.accounts.models import ApiToken, User
from kindred.accounts.scopes import Scope
from kindred.accounts.tokens import new_token
from kindred.audit.services import audit_change
from kindred.core.errors import InvalidState, ValidationFailed
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

AGREEMENT_SCOPES = (Scope.AGREEMENTS_READ, Scope.AGREEMENTS_WRITE)


def _note_scopes(user: User, caps: frozenset[Capability]) -> set[Scope]:
    """Notes: clinicians write and read their sessions' notes; admins oversee them."""
    if getattr(user, "clinician", None) is not None:
        return {Scope.NOTES_READ, Scope.NOTES_WRITE}
    if Capability.OVERSEE_NOTES in caps:
        return {Scope.NOTES_READ}
    return set()


#: Scopes that follow from one capability (the rest depend on being a clinician too).
CAPABILITY_SCOPES: tuple[tuple[Capability, frozenset[Scope]], ...] = (
    # Agreements: the practice admin writes the templates.
    (
        Capability.MANAGE_PRACTICE,
        frozenset(
            {
                Scope.PRACTICE_READ,
                Scope.PRACTICE_WRITE,
                *AGREEMENT_SCOPES,
                Scope.MEASURES_READ,
                Scope.MEASURES_WRITE,
            }
        ),
    ),
    (Capability.VIEW_CLINICIANS, frozenset({Scope.CLINICIANS_READ, Scope.PRACTICE_READ})),
    (Capability.MANAGE_CLINICIANS, frozenset({Scope.CLINICIANS_WRITE})),
    (Capability.MANAGE_STAFF, frozenset({Scope.CLINICIANS_WRITE})),
    (Capability.VIEW_ALL_CLIENTS, frozenset({Scope.CLIENTS_READ})),
    (Capability.MANAGE_CLIENTS, frozenset({Scope.CLIENTS_WRITE, Scope.REFERRALS_WRITE})),
    (Capability.VIEW_AUDIT, frozenset({Scope.AUDIT_READ})),
    (Capability.VIEW_ALL_GROUPS, frozenset({Scope.GROUPS_READ})),
    (Capability.MANAGE_GROUPS, frozenset({Scope.GROUPS_WRITE})),
    (Capability.RUN_MATCHING, frozenset({Scope.MATCHING_READ, Scope.MATCHING_WRITE})),
    (Capability.MANAGE_BILLING, frozenset({Scope.BILLING_READ, Scope.BILLING_WRITE})),
    (Capability.EXPORT_RECORDS, frozenset({Scope.RECORDS_EXPORT})),
)


def allowed_scopes(user: User) -> set[Scope]:
    """The scopes a person may put on a token: never more than their roles allow."""
    caps = role_checks.capabilities_of(user.roles)
    is_clinician = getattr(user, "clinician", None) is not None
    scopes: set[Scope] = set()
    for capability, granted in CAPABILITY_SCOPES:
        if capability in caps:
            scopes |= granted
    # Sessions: facilitating is not a capability (access is per session), so these go
    # to everyone who can run a session (a clinician profile) or manage groups.
    # Agreements likewise: a group's signatures and preparation (checked per group).
    runs_sessions = Capability.MANAGE_GROUPS in caps or is_clinician
    if runs_sessions:
        scopes |= {Scope.SESSIONS_READ, Scope.SESSIONS_WRITE, *AGREEMENT_SCOPES}
    # Screening: clinicians who may screen, and those who manage groups.
    if Capability.SCREEN_CANDIDATES in caps and runs_sessions:
        scopes |= {Scope.SCREENING_READ, Scope.SCREENING_WRITE}
    # Measures and the FHIR export: whoever sees clients (all of them, or as a clinician
    # the members of their groups); the access functions narrow it per record.
    if Capability.VIEW_ALL_CLIENTS in caps or is_clinician:
        scopes |= {Scope.MEASURES_READ, Scope.MEASURES_WRITE, Scope.FHIR_READ}
    scopes |= _note_scopes(user, caps)
    if is_clinician:  # group spaces: only the groups they facilitate (space/access.py)
        scopes |= {Scope.SPACE_READ, Scope.SPACE_WRITE}
    return scopes


def api_token_create(
    *, actor: User, name: str, scopes: Iterable[str], expires_in_days: int | None = 90
) -> tuple[str, ApiToken]:
    """Create a token for ``actor``; returns the raw token (shown once) and the row."""
    role_checks.require(actor, Capability.MANAGE_OWN_TOKENS)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the token a name, such as the system that uses it."), field="name"
        )
    if len(name) > 80:
        raise ValidationFailed(_("Use at most 80 characters."), field="name")
    try:
        wanted = {Scope(s) for s in scopes}
    except ValueError as exc:
        raise ValidationFailed(_("Unknown scope."), field="scopes") from exc
    if not wanted:
        raise ValidationFailed(_("Choose at least one scope."), field="scopes")
    beyond = wanted - allowed_scopes(actor)
    if beyond:
        raise ValidationFailed(
            _("Your roles do not allow these scopes: %(s)s.") % {"s": ", ".join(sorted(beyond))},
            field="scopes",
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationFailed(_("Choose between 1 and 366 days."), field="expires_in_days")
    raw, prefix, digest = new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=prefix,
            token_hash=digest,
            scopes=sorted(wanted),
            expires_at=timezone.now() + timedelta(days=expires_in_days)
            if expires_in_days
            else None,
        )
        audit_change(
            actor=actor,
            action="accounts.api_token.created",
            obj=token,
            detail={"scopes": sorted(wanted)},
        )
    return raw, token


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk and not role_checks.has(actor, Capability.MANAGE_STAFF):
        raise InvalidState(_("You can only revoke your own tokens."))
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_change(actor=actor, action="accounts.api_token.revoked", obj=token)
    return token
