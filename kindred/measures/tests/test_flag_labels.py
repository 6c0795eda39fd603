"""Clinicians see where a member's words raised a risk-language alert."""

from __future__ import annotations

import pytest

from kindred.measures.models import AlertSource, SafetyAlert
from kindred.measures.safety import flag_label


@pytest.mark.parametrize(
    ("flag_code", "words"),
    [
        ("space.post.7", "post in the group's space"),
        ("space.message.7", "direct message"),
        ("goals.checkin.7", "weekly check-in"),
        ("goals.reply.7", "supportive reply"),
        ("journal.entry.7", "journal entry"),
        ("strategies.card.7", "coping strategy"),
        ("milestones.share.7", "milestone"),
    ],
)
def test_each_place_members_write_has_its_own_label(flag_code: str, words: str) -> None:
    alert = SafetyAlert(source=AlertSource.RISK_LANGUAGE, flag_code=flag_code)
    assert words in flag_label(alert)


def test_an_unknown_place_is_not_given_another_places_label() -> None:
    alert = SafetyAlert(source=AlertSource.RISK_LANGUAGE, flag_code="elsewhere.7")
    label = flag_label(alert)
    assert "space" not in label
    assert "journal" not in label
