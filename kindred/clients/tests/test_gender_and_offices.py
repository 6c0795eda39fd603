"""A client's gender (optional, self-described from a short list) and the offices they
could get to for in-person groups: set on creation and edit, checked, audited by name."""

from __future__ import annotations

from typing import Any

import pytest

from kindred.audit.models import AuditEvent
from kindred.clients.models import Gender
from kindred.clients.services import client_update
from kindred.core.errors import ValidationFailed
from kindred.matching.tests.support import office
from kindred.practice.services import location_deactivate

pytestmark = pytest.mark.django_db


def test_gender_and_offices_are_edited_and_audited_by_field_name(cast: Any) -> None:
    lakeview = office()
    client_update(
        actor=cast.coordinator, client=cast.client, gender=Gender.NONBINARY, locations=[lakeview]
    )
    cast.client.refresh_from_db()
    assert cast.client.gender == Gender.NONBINARY
    assert list(cast.client.locations.all()) == [lakeview]
    event = AuditEvent.objects.filter(action="clients.client.updated").latest("id")
    assert event.detail["fields"] == ["gender", "locations"]
    assert "nonbinary" not in str(event.detail)
    # Nothing new: nothing written.
    before = AuditEvent.objects.count()
    client_update(actor=cast.coordinator, client=cast.client, locations=[lakeview])
    assert AuditEvent.objects.count() == before


def test_an_unknown_gender_is_refused_beside_its_field(cast: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        client_update(actor=cast.coordinator, client=cast.client, gender="female")
    assert "gender" in caught.value.errors
    cast.client.refresh_from_db()
    assert cast.client.gender == ""


def test_an_office_no_longer_in_use_cannot_be_added_but_may_stay(cast: Any) -> None:
    old = office("Old office")
    cast.client.locations.add(old)
    location_deactivate(actor=cast.admin, location=old)
    newer = office("New office")
    # Kept while editing something else.
    client_update(actor=cast.coordinator, client=cast.client, locations=[old, newer])
    assert set(cast.client.locations.all()) == {old, newer}
    other = cast.client_b
    with pytest.raises(ValidationFailed) as caught:
        client_update(actor=cast.coordinator, client=other, locations=[old])
    assert "locations" in caught.value.errors
    assert not other.locations.exists()
