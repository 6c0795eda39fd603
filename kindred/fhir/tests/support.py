"""Helpers for the FHIR tests: completed administrations through the real services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.test import Client as HttpClient

from kindred.accounts.services import staff_set_roles
from kindred.accounts.token_services import api_token_create
from kindred.core.testing import Cast
from kindred.measures.answering import administration_send, administration_submit
from kindred.measures.models import Administration, Instrument
from kindred.practice.roles import Role


def complete(
    cast: Cast,
    instrument: Instrument,
    answers: Mapping[str, int],
    *,
    who: str = "member",
    now: datetime | None = None,
) -> Administration:
    """``instrument`` sent by group A's facilitator to ``who`` and answered in full."""
    client = cast.client if who == "member" else cast.client_b
    user = cast.member if who == "member" else cast.member_b
    administration = administration_send(
        actor=cast.facilitator, group=cast.group_a, client=client, instrument=instrument, now=now
    )
    result = administration_submit(
        actor=user,
        administration=administration,
        version=instrument.version,
        answers=answers,
        now=now,
    )
    return result.administration


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def token(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="EHR bridge", scopes=list(scopes))
    return bearer(raw)


def facilitator_token(cast: Cast) -> HttpClient:
    """Facilitators hold tokens when they also have a role that may (billing here)."""
    staff_set_roles(actor=cast.admin, user=cast.facilitator, roles=[Role.FACILITATOR, Role.BILLING])
    cast.facilitator.forget_roles()
    return token(cast.facilitator, "fhir:read")
