"""Writes for client records."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

from kindred.audit.services import audit_change
from kindred.clients.models import Client, ConcernTag, Modality
from kindred.core.errors import full_clean_or_fail
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User


def search_key(*parts: str) -> str:
    """Lower-case, accent-free text for name search ("José" finds "jose")."""
    text = " ".join(p for p in parts if p)
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold()[:310]


def client_create(
    *,
    actor: User | None,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: date,
    state_of_residence: str,
    preferred_name: str = "",
    pronouns: str = "",
    email: str = "",
    phone: str = "",
    timezone: str = "America/Chicago",
    emergency_contact_name: str = "",
    emergency_contact_relationship: str = "",
    emergency_contact_phone: str = "",
    preferred_modality: str = Modality.EITHER,
    language: str = "en",
    concerns: list[ConcernTag] | None = None,
) -> Client:
    """Create a client record. ``actor`` None means a system command (seed data)."""
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_CLIENTS)
    client = Client(
        legal_first_name=legal_first_name,
        legal_last_name=legal_last_name,
        preferred_name=preferred_name,
        pronouns=pronouns,
        date_of_birth=date_of_birth,
        email=(email or "").strip().lower(),
        phone=phone,
        state_of_residence=state_of_residence,
        timezone=timezone,
        emergency_contact_name=emergency_contact_name,
        emergency_contact_relationship=emergency_contact_relationship,
        emergency_contact_phone=emergency_contact_phone,
        preferred_modality=preferred_modality,
        language=language,
        created_by=actor,
    )
    client.search_name = search_key(legal_first_name, legal_last_name, preferred_name)
    full_clean_or_fail(client, exclude=["search_name", "user", "created_by"])
    with transaction.atomic():
        client.save()
        if concerns:
            client.concerns.set(concerns)
        audit_change(actor=actor, action="clients.client.created", obj=client, client_id=client.pk)
    return client
