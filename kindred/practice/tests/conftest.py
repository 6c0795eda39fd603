"""Practice-set-up fixtures built through the real services."""

from __future__ import annotations

from datetime import date

import pytest

from kindred.core.testing import blank_clinician
from kindred.practice import services


@pytest.fixture
def psypact(cast):
    compact = services.compact_create(
        actor=cast.admin, code="psypact", name="PSYPACT", profession="Psychology"
    )
    for state, since in (("IL", date(2020, 1, 1)), ("KS", date(2021, 1, 1))):
        services.compact_member_state_add(
            actor=cast.admin, compact=compact, state=state, effective_from=since
        )
    services.compact_member_state_add(
        actor=cast.admin,
        compact=compact,
        state="FL",
        effective_from=date(2022, 1, 1),
        effective_until=date(2025, 6, 30),
    )
    return compact


@pytest.fixture
def clinician(cast):
    # The cast's facilitator is already a clinician (they lead group A); start clean.
    return blank_clinician(cast, npi="1234567893", credentials="PhD")


@pytest.fixture
def il_license(cast, clinician):
    return services.license_create(
        actor=cast.admin,
        clinician=clinician,
        state="IL",
        license_type="Licensed Psychologist",
        number="071-000123",
        issued_on=date(2020, 1, 1),
        expires_on=date(2030, 9, 30),
    )


@pytest.fixture
def location(cast):
    return services.location_create(
        actor=cast.admin,
        name="Loop Office",
        address_line1="100 Example St",
        city="Chicago",
        state="IL",
        postal_code="60601",
        timezone="America/Chicago",
        phone="+1 312 555 0100",
    )
