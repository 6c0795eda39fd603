"""What a referral says for matching — the offices the person could get to and their
gender (optional) — is kept with the referral and copied to the client record, as the
other fields are; bad values are refused beside their field and nothing is saved."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kindred.clients.models import Gender
from kindred.core.errors import ValidationFailed
from kindred.intake.referrals import referral_attach, referral_create_record
from kindred.intake.tests.referral_support import refer, staff_refer, written
from kindred.matching.tests.support import office
from kindred.practice.services import location_deactivate

pytestmark = pytest.mark.django_db


def test_offices_and_gender_go_on_the_referral_and_the_new_record(cast: Any) -> None:
    lakeview, loop = office("Lakeview office"), office("Loop office")
    submission = refer(preferred_modality="in_person", locations=[lakeview, loop], gender="woman")
    referral, entry = submission.referral, submission.entry
    assert referral is not None
    assert entry is not None
    assert set(referral.locations.all()) == {lakeview, loop}
    assert referral.gender == Gender.WOMAN
    client = entry.client
    assert set(client.locations.all()) == {lakeview, loop}
    assert client.gender == Gender.WOMAN


def test_staff_referrals_carry_them_too(cast: Any) -> None:
    lakeview = office()
    submission = staff_refer(
        cast.coordinator, preferred_modality="either", locations=[lakeview], gender="prefer_not"
    )
    assert submission.entry is not None
    client = submission.entry.client
    assert list(client.locations.all()) == [lakeview]
    assert client.gender == Gender.PREFER_NOT


def test_both_are_optional(cast: Any) -> None:
    submission = refer(preferred_modality="either")
    assert submission.entry is not None
    assert submission.entry.client.gender == ""
    assert not submission.entry.client.locations.exists()


def test_offices_are_dropped_for_someone_who_would_only_meet_by_video(cast: Any) -> None:
    submission = refer(preferred_modality="virtual", locations=[office()])
    assert submission.referral is not None
    assert submission.entry is not None
    assert not submission.referral.locations.exists()
    assert not submission.entry.client.locations.exists()


def test_an_unknown_gender_or_a_closed_office_is_refused(cast: Any) -> None:
    closed = office("Old office")
    location_deactivate(actor=cast.admin, location=closed)
    before = written()
    with pytest.raises(ValidationFailed) as caught:
        refer(preferred_modality="in_person", locations=[closed], gender="female-ish")
    assert set(caught.value.errors) >= {"locations", "gender"}
    assert written() == before


def _like_avery(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "first_name": "Avery",
        "last_name": "Member",
        "date_of_birth": date(1990, 4, 1),
        "email": "avery.new@example.test",
        "preferred_modality": "either",
    }
    values.update(overrides)
    return values


def test_attaching_adds_the_offices_and_a_missing_gender(cast: Any) -> None:
    lakeview, loop = office("Lakeview office"), office("Loop office")
    cast.client.locations.add(loop)
    referral = refer(**_like_avery(locations=[lakeview], gender="nonbinary")).referral
    assert referral is not None
    referral_attach(actor=cast.coordinator, referral=referral, client=cast.client)
    cast.client.refresh_from_db()
    assert set(cast.client.locations.all()) == {lakeview, loop}
    assert cast.client.gender == Gender.NONBINARY


def test_attaching_keeps_a_gender_the_record_already_gives(cast: Any) -> None:
    cast.client.gender = Gender.WOMAN
    cast.client.save(update_fields=["gender"])
    referral = refer(**_like_avery(gender="prefer_not")).referral
    assert referral is not None
    referral_attach(actor=cast.coordinator, referral=referral, client=cast.client)
    cast.client.refresh_from_db()
    assert cast.client.gender == Gender.WOMAN


def test_a_new_record_for_a_different_person_gets_them(cast: Any) -> None:
    lakeview = office()
    referral = refer(**_like_avery(locations=[lakeview], gender="man")).referral
    assert referral is not None
    entry = referral_create_record(actor=cast.coordinator, referral=referral)
    assert list(entry.client.locations.all()) == [lakeview]
    assert entry.client.gender == Gender.MAN
