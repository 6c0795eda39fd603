"""Change over time against hand-computed values, the not-on-track rules, and access.

Hand computations (Jacobson & Truax 1991; NHS Talking Therapies, Gyani et al. 2013):

PHQ-9 with s1 = 5.0, r = 0.89:
  SE = 5.0 · √(1 − 0.89) = 5.0 · 0.331662 = 1.658312
  S_diff = √(2 · 1.658312²) = 2.345208
  16 → 8:  RC = −8 / 2.345208 = −3.411211 (reliable improvement)
  10 → 13: RC = 3 / 2.345208 = 1.279204 (not reliable)
  Critical difference = 1.96 · 2.345208 = 4.596608 points
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import NotFound
from kindred.measures.models import AlertSource, OutcomeSettings, SafetyAlert
from kindred.measures.outcomes import (
    client_trajectories,
    member_outcomes,
    own_progress,
    rules_explained,
)
from kindred.measures.rc import Direction, Outcome
from kindred.measures.safety import raise_alerts_for_administration
from kindred.measures.tests.outcome_support import attended, completed, set_rc

DAY = timedelta(days=1)


def _series(
    client: Any, code: str, totals: list[int], *, group: Any = None, start: datetime | None = None
) -> list[Any]:
    start = start or timezone.now() - timedelta(days=7 * len(totals))
    return [
        completed(client, code, total=t, group=group, when=start + i * 7 * DAY)
        for i, t in enumerate(totals)
    ]


def _one(client_id: int, code: str, rules: OutcomeSettings | None = None) -> Any:
    # Any: the tests read optional parts (change, not_on_track) they know are there.
    return next(t for t in client_trajectories(client_id, rules=rules) if t.instrument.code == code)


def test_trajectory_with_bands_rci_and_reliable_recovery(cast):
    set_rc("phq9", 5.0, 0.89)
    _series(cast.client, "phq9", [16, 12, 8], group=cast.group_a)

    t = _one(cast.client.pk, "phq9")

    assert [p.total for p in t.points] == [16, 12, 8]
    assert [p.band for p in t.points] == ["moderately_severe", "moderate", "mild"]
    assert [p.band_label for p in t.points] == ["Moderately severe", "Moderate", "Mild"]
    assert t.change is not None
    rci = t.change.rci
    assert rci is not None
    assert rci.se == pytest.approx(1.658312, abs=1e-6)
    assert rci.s_diff == pytest.approx(2.345208, abs=1e-6)
    assert rci.rci == pytest.approx(-3.411211, abs=1e-6)
    assert rci.critical_difference == pytest.approx(4.596608, abs=1e-6)
    assert rci.direction == Direction.IMPROVED
    tt = t.change.talking_therapies
    assert tt is not None
    assert (tt.caseness, tt.reliable_change_points) == (10, 6)
    assert tt.case_at_first
    assert not tt.case_at_latest
    assert t.outcome == Outcome.RELIABLY_RECOVERED


def test_rci_not_reliable_below_the_critical_difference(cast):
    set_rc("phq9", 5.0, 0.89)
    _series(cast.client, "phq9", [10, 13])
    t = _one(cast.client.pk, "phq9")
    assert t.change.rci.rci == pytest.approx(1.279204, abs=1e-6)
    assert not t.change.rci.reliable
    assert t.outcome == Outcome.NO_RELIABLE_CHANGE  # a rise of 3 < 6


@pytest.mark.parametrize(
    ("totals", "outcome"),
    [
        ([8, 12], Outcome.DETERIORATED),  # rise of 4 = the GAD-7 reliable change
        ([8, 11], Outcome.NO_RELIABLE_CHANGE),  # rise of 3
        ([9, 6], Outcome.RECOVERED),  # case (≥ 8) to below, fall of 3 only
        ([12, 7], Outcome.RELIABLY_RECOVERED),  # case to below, fall of 5 ≥ 4
        ([15, 11], Outcome.IMPROVED),  # fall of 4, still a case
        ([5, 2], Outcome.NO_RELIABLE_CHANGE),  # never a case, fall of 3
        ([7, 3], Outcome.IMPROVED),  # never a case, fall of 4
    ],
)
def test_gad7_talking_therapies_classification(cast, totals, outcome):
    _series(cast.client, "gad7", totals)
    t = _one(cast.client.pk, "gad7")
    assert t.change.rci is None  # s1 is not set for GAD-7 by default
    assert t.outcome == outcome


def test_without_s1_the_rci_is_not_computed_but_r_is_known(cast):
    _series(cast.client, "phq9", [16, 8])
    t = _one(cast.client.pk, "phq9")
    assert t.change.rci is None
    assert t.instrument.rc_reliability == 0.89  # r from the definition (Kroenke 2001)
    assert not t.rc_configured
    assert t.outcome == Outcome.RELIABLY_RECOVERED


def test_only_complete_completed_answers_count(cast):
    completed(cast.client, "phq9", total=20, when=timezone.now() - 30 * DAY)
    completed(cast.client, "phq9", {"item1": 3}, complete=False, when=timezone.now() - 20 * DAY)
    completed(cast.client, "phq9", total=11, when=timezone.now() - 10 * DAY)
    t = _one(cast.client.pk, "phq9")
    assert [p.total for p in t.points] == [20, 11]


def test_one_answer_has_no_change_yet(cast):
    completed(cast.client, "phq9", total=12)
    t = _one(cast.client.pk, "phq9")
    assert t.change is None
    assert t.not_on_track is not None
    assert not t.not_on_track.flagged


def _rules(**kw: Any) -> OutcomeSettings:
    rules = OutcomeSettings(pk=1)
    for k, v in kw.items():
        setattr(rules, k, v)
    return rules


def test_not_on_track_after_n_sessions_without_reliable_improvement(cast):
    first, _latest = _series(cast.client, "phq9", [14, 12], group=cast.group_a)
    attended(cast.client, cast.group_a, 6, after=first.completed_at)

    six = _one(cast.client.pk, "phq9", _rules(not_on_track_after_sessions=6))
    seven = _one(cast.client.pk, "phq9", _rules(not_on_track_after_sessions=7))

    assert six.sessions_attended == 6
    assert six.not_on_track.no_improvement
    assert six.not_on_track.flagged
    assert "No reliable improvement after 6 sessions attended." in six.not_on_track.reasons
    assert not seven.not_on_track.flagged


def test_sessions_before_the_first_answer_and_absences_do_not_count(cast):
    first, _ = _series(cast.client, "phq9", [14, 12], group=cast.group_a)
    attended(cast.client, cast.group_a, 3, after=first.completed_at - 30 * DAY)
    t = _one(cast.client.pk, "phq9", _rules(not_on_track_after_sessions=1))
    before = t.sessions_attended
    attended(cast.client_b, cast.group_a, 4, after=first.completed_at, status="no_show")
    assert (
        _one(cast.client.pk, "phq9", _rules(not_on_track_after_sessions=1)).sessions_attended
        == before
    )


def test_a_member_who_started_below_caseness_is_not_flagged_for_no_improvement(cast):
    first, _ = _series(cast.client, "phq9", [7, 7], group=cast.group_a)
    attended(cast.client, cast.group_a, 8, after=first.completed_at)
    t = _one(cast.client.pk, "phq9", _rules(not_on_track_after_sessions=6))
    assert not t.not_on_track.flagged


def test_reliable_improvement_is_on_track_however_many_sessions(cast):
    first, _ = _series(cast.client, "phq9", [18, 12], group=cast.group_a)
    attended(cast.client, cast.group_a, 10, after=first.completed_at)
    t = _one(cast.client.pk, "phq9", _rules(not_on_track_after_sessions=6))
    assert t.outcome == Outcome.IMPROVED
    assert not t.not_on_track.flagged


def test_reliable_deterioration_is_not_on_track_when_the_rule_is_on(cast):
    _series(cast.client, "phq9", [10, 16])
    on = _one(cast.client.pk, "phq9", _rules(flag_reliable_deterioration=True))
    off = _one(cast.client.pk, "phq9", _rules(flag_reliable_deterioration=False))
    assert on.not_on_track.deteriorated
    assert "Reliable deterioration since the first measurement." in on.not_on_track.reasons
    assert not off.not_on_track.flagged


def test_the_pulse_is_never_not_on_track(cast):
    _series(cast.client, "pulse", [18, 4])
    t = _one(cast.client.pk, "pulse")
    assert t.not_on_track is None


def test_the_rules_are_explained_in_words_with_the_practices_numbers():
    lines = rules_explained(
        _rules(not_on_track_after_sessions=8, alert_on_reliable_deterioration=True)
    )
    text = " ".join(lines)
    assert "attended 8 sessions" in text
    assert "reliably worse" in text
    assert "raises a safety alert" in text


def test_trajectories_take_a_constant_number_of_queries(cast, django_assert_num_queries):
    _series(cast.client, "phq9", [16, 12])
    _series(cast.client, "gad7", [9, 5])
    with django_assert_num_queries(4):  # rows, instruments, attendance, settings
        assert len(client_trajectories(cast.client.pk)) == 2
    _series(cast.client, "phq9", list(range(5, 25)))
    _series(cast.client, "who5", [40, 60, 80])
    _series(cast.client, "pulse", [10, 12])
    with django_assert_num_queries(4):
        assert len(client_trajectories(cast.client.pk)) == 4


# --- access -------------------------------------------------------------------------------


def test_the_groups_facilitator_reads_a_members_outcomes_and_it_is_audited(cast):
    _series(cast.client, "phq9", [16, 8])
    result = member_outcomes(actor=cast.facilitator, client_id=cast.client.pk)
    assert result.client == cast.client
    assert [t.instrument.code for t in result.trajectories] == ["phq9"]
    event = AuditEvent.objects.get(action="measures.outcomes.viewed")
    assert event.actor == cast.facilitator
    assert event.client_id == cast.client.pk


@pytest.mark.parametrize("who", ["facilitator_b", "billing", "member", "outsider"])
def test_anyone_outside_the_members_groups_gets_404(cast, who):
    _series(cast.client, "phq9", [16, 8])
    with pytest.raises(NotFound):
        member_outcomes(actor=getattr(cast, who), client_id=cast.client.pk)
    assert AuditEvent.objects.filter(category="denied").exists()
    assert not AuditEvent.objects.filter(action="measures.outcomes.viewed").exists()


def test_members_see_only_their_own_progress(cast):
    _series(cast.client, "phq9", [16, 8])
    _series(cast.client_b, "phq9", [5, 20])
    mine = own_progress(actor=cast.member)
    assert mine.client == cast.client
    assert [p.total for p in mine.trajectories[0].points] == [16, 8]
    with pytest.raises(NotFound):
        own_progress(actor=cast.facilitator)


# --- reliable deterioration as an alert ------------------------------------------------------


def _complete_and_raise(
    client: Any, code: str, total: int, when: datetime, group: Any = None
) -> list[SafetyAlert]:
    with transaction.atomic():
        admin = completed(client, code, total=total, when=when, group=group)
        return raise_alerts_for_administration(admin)


def test_reliable_deterioration_raises_an_alert_when_the_practice_asks(cast):
    OutcomeSettings.objects.create(pk=1, alert_on_reliable_deterioration=True)
    now = timezone.now()
    _complete_and_raise(cast.client, "phq9", 9, now - 14 * DAY, cast.group_a)
    assert not SafetyAlert.objects.exists()
    returned = _complete_and_raise(cast.client, "phq9", 15, now - 7 * DAY, cast.group_a)
    assert returned == []  # not an item flag: the member's crisis page does not depend on it
    alert = SafetyAlert.objects.get()
    assert alert.source == AlertSource.RELIABLE_DETERIORATION
    assert alert.flag_code == "phq9.deterioration"
    assert alert.group == cast.group_a
    # Still worse next time: the open alert is not duplicated.
    _complete_and_raise(cast.client, "phq9", 17, now, cast.group_a)
    assert SafetyAlert.objects.count() == 1


def test_no_deterioration_alert_by_default(cast):
    now = timezone.now()
    _complete_and_raise(cast.client, "phq9", 5, now - 7 * DAY, cast.group_a)
    _complete_and_raise(cast.client, "phq9", 20, now, cast.group_a)
    assert not SafetyAlert.objects.exists()
