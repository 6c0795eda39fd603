"""The licensure gate: attesting a state, who is covered (licenses, an expired one),
what the member and staff are told, the Join button's window, and the join link."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.notifications.models import Notification
from kindred.practice.models import License
from kindred.scheduling import gate
from kindred.scheduling.attendance import session_local_date
from kindred.scheduling.gate import JoinStatus
from kindred.scheduling.models import GroupSession, StateAttestation
from kindred.scheduling.tests.g2_support import at, set_expiry, upcoming

LINK = "https://video.example.test/rooms/steady-ground"


@pytest.fixture
def session(cast, settings):
    settings.KINDRED_VIDEO_PROVIDER = "external"
    cast.group_a.external_video_link = LINK
    cast.group_a.save(update_fields=["external_video_link"])
    return upcoming(cast.group_a)


def in_window(session: GroupSession) -> time_machine.travel:
    return at(session.starts_at - timedelta(minutes=5))


# --- Attesting ---------------------------------------------------------------------------


def test_a_covered_state_is_allowed_recorded_and_audited(cast, session):
    with in_window(session):
        result = gate.attest_state(actor=cast.member, session=session, state="IL")
    assert result.allowed
    row = StateAttestation.objects.get(session=session, client=cast.client)
    assert (row.state, row.allowed, row.reason) == ("IL", True, "")
    event = AuditEvent.objects.get(action="scheduling.attestation.recorded")
    assert event.client_id == cast.client.pk
    assert event.actor == cast.member
    assert event.detail == {"allowed": True, "fields": ["allowed", "state"]}
    assert not Notification.objects.exists()


def test_an_uncovered_state_blocks_explains_and_notifies_once(cast, session):
    with in_window(session):
        result = gate.attest_state(actor=cast.member, session=session, state="fl")
    assert not result.allowed
    row = StateAttestation.objects.get(session=session, client=cast.client)
    assert row.state == "FL"
    assert not row.allowed
    assert "Fern Facilitator" in row.reason
    assert "Florida" in row.reason
    message = result.decision.member_message()
    assert "can only meet with you while you are in Illinois or Kansas" in message
    assert "Florida" in message
    # The facilitator and everyone who sees the licensure report; nobody else.
    notified = set(Notification.objects.values_list("user__email", flat=True))
    assert notified == {cast.facilitator.email, cast.coordinator.email, cast.admin.email}
    note = Notification.objects.get(user=cast.facilitator)
    assert note.kind == "licensure_gate"
    assert note.url == f"/sessions/{session.pk}/attendance/"
    assert "Florida" not in note.body  # the state is on the sheet, not in the message
    # Attesting again (still somewhere uncovered) does not notify twice.
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="MO")
    assert Notification.objects.count() == 3
    assert AuditEvent.objects.filter(action="scheduling.attestation.changed").count() == 1


def test_a_member_can_correct_their_state_and_then_join(cast, session):
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="FL")
        assert gate.join_state(session, cast.client, timezone.now()).status == JoinStatus.BLOCKED
        gate.attest_state(actor=cast.member, session=session, state="KS")
        state = gate.join_state(session, cast.client, timezone.now())
    assert state.status == JoinStatus.OPEN
    assert state.url == f"/sessions/{session.pk}/join/"
    assert StateAttestation.objects.get(session=session, client=cast.client).state == "KS"


def test_an_expired_license_does_not_cover_its_state(cast, session):
    kansas = License.objects.get(clinician=cast.clinician, state="KS")
    set_expiry(kansas, session_local_date(session) - timedelta(days=1))
    with in_window(session):
        result = gate.attest_state(actor=cast.member_b, session=session, state="KS")
    assert not result.allowed
    assert "expired" in result.attestation.reason
    # Illinois is still covered, so the member is told where they could join from.
    assert result.decision.covered_states == ["IL"]
    assert "while you are in Illinois." in result.decision.member_message()


def test_a_license_expiring_on_the_session_date_still_covers_it(cast, session):
    kansas = License.objects.get(clinician=cast.clinician, state="KS")
    set_expiry(kansas, session_local_date(session))
    with in_window(session):
        assert gate.attest_state(actor=cast.member_b, session=session, state="KS").allowed


def test_group_b_is_covered_only_in_florida(cast, settings):
    session = upcoming(cast.group_b)
    with in_window(session):
        assert gate.attest_state(actor=cast.outsider, session=session, state="FL").allowed
        blocked = gate.attest_state(actor=cast.outsider, session=session, state="IL")
    assert not blocked.allowed
    assert "Flint Facilitator" in blocked.attestation.reason
    assert "while you are in Florida." in blocked.decision.member_message()


def test_no_covered_state_at_all_is_explained_too(cast, session):
    for lic in License.objects.filter(clinician=cast.clinician):
        set_expiry(lic, session_local_date(session) - timedelta(days=1))
    with in_window(session):
        result = gate.attest_state(actor=cast.member, session=session, state="IL")
    assert result.decision.covered_states == []
    assert "can't meet with you by video while you are in Illinois" in (
        result.decision.member_message()
    )


@pytest.mark.parametrize("state", ["", "XX", "Illinois", "12"])
def test_a_state_that_is_not_a_state_is_refused_and_nothing_saved(cast, session, state):
    with in_window(session), pytest.raises(ValidationFailed) as caught:
        gate.attest_state(actor=cast.member, session=session, state=state)
    assert "state" in caught.value.errors
    assert not StateAttestation.objects.exists()


def test_attesting_outside_the_window_is_refused(cast, session):
    with at(session.starts_at - timedelta(minutes=11)), pytest.raises(InvalidState):
        gate.attest_state(actor=cast.member, session=session, state="IL")
    with at(session.ends_at), pytest.raises(InvalidState):
        gate.attest_state(actor=cast.member, session=session, state="IL")
    assert not StateAttestation.objects.exists()


def test_only_members_with_a_seat_attest(cast, session):
    with in_window(session):
        with pytest.raises(NotPermitted):
            gate.attest_state(actor=cast.facilitator, session=session, state="IL")
        with pytest.raises(NotFound):
            gate.attest_state(actor=cast.outsider, session=session, state="IL")
    assert not StateAttestation.objects.exists()


def test_a_member_who_left_before_the_session_has_no_seat(cast, session):
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    with in_window(session):
        assert gate.join_state(session, cast.client, timezone.now()).status == JoinStatus.NO_SEAT
        with pytest.raises(NotFound):
            gate.attest_state(actor=cast.member, session=session, state="IL")


def test_usual_state_is_the_last_attested_else_residence(cast, session):
    assert gate.usual_state(cast.client_b) == "KS"
    with in_window(session):
        gate.attest_state(actor=cast.member_b, session=session, state="IL")
    assert gate.usual_state(cast.client_b) == "IL"


# --- The Join button -----------------------------------------------------------------------


def test_the_join_window_opens_ten_minutes_before_and_closes_at_the_end(cast, session):
    def status_at(moment: datetime) -> JoinStatus:
        with at(moment):
            return gate.join_state(session, cast.client, timezone.now()).status

    start, end = session.starts_at, session.ends_at
    assert status_at(start - timedelta(minutes=10, seconds=1)) == JoinStatus.NOT_YET
    assert status_at(start - timedelta(minutes=10)) == JoinStatus.NEEDS_ATTESTATION
    assert status_at(end - timedelta(seconds=1)) == JoinStatus.NEEDS_ATTESTATION
    assert status_at(end) == JoinStatus.ENDED
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="IL")
    assert status_at(start) == JoinStatus.OPEN
    assert status_at(start - timedelta(minutes=11)) == JoinStatus.NOT_YET
    assert status_at(end) == JoinStatus.ENDED


def test_join_state_of_other_kinds_of_session(cast, session):
    now = session.starts_at
    assert gate.join_state(session, cast.outsider_client, now).status == JoinStatus.NO_SEAT
    session.modality = "in_person"
    assert gate.join_state(session, cast.client, now).status == JoinStatus.IN_PERSON
    session.modality = "hybrid"
    assert gate.join_state(session, cast.client, now).status == JoinStatus.NEEDS_ATTESTATION
    session.status = "cancelled"
    assert gate.join_state(session, cast.client, now).status == JoinStatus.CANCELLED
    state = gate.join_state(session, cast.client, now)
    assert not state.shows_button
    assert state.url == ""


def test_join_states_for_many_sessions_take_two_queries(cast, django_assert_num_queries):
    sessions = list(GroupSession.objects.filter(group=cast.group_a).select_related("group"))
    assert len(sessions) >= 10
    with django_assert_num_queries(2):
        states = gate.join_states(sessions, cast.client, timezone.now())
    assert set(states) == {s.pk for s in sessions}


# --- Joining -------------------------------------------------------------------------------


def test_the_join_link_needs_the_gate_first(cast, session):
    with in_window(session):
        with pytest.raises(InvalidState) as caught:
            gate.member_join_url(actor=cast.member, session=session)
        assert caught.value.code == "needs_attestation"
        gate.attest_state(actor=cast.member, session=session, state="IL")
        assert gate.member_join_url(actor=cast.member, session=session) == LINK
    event = AuditEvent.objects.get(action="scheduling.session.joined")
    assert event.client_id == cast.client.pk


def test_a_blocked_member_gets_no_link(cast, session):
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="FL")
        with pytest.raises(InvalidState) as caught:
            gate.member_join_url(actor=cast.member, session=session)
    assert caught.value.code == "blocked"
    assert not AuditEvent.objects.filter(action="scheduling.session.joined").exists()


def test_no_link_outside_the_window_even_after_the_gate(cast, session):
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="IL")
    with at(session.ends_at), pytest.raises(InvalidState):
        gate.member_join_url(actor=cast.member, session=session)


def test_the_gate_is_checked_again_when_joining(cast, session):
    with in_window(session):
        gate.attest_state(actor=cast.member, session=session, state="IL")
    illinois = License.objects.get(clinician=cast.clinician, state="IL")
    set_expiry(illinois, session_local_date(session) - timedelta(days=1))
    with in_window(session), pytest.raises(InvalidState):
        gate.member_join_url(actor=cast.member, session=session)
    assert not StateAttestation.objects.get(session=session, client=cast.client).allowed
    assert Notification.objects.filter(user=cast.facilitator).count() == 1


def test_facilitators_start_with_moderator_rights_in_the_window(cast, session):
    with at(session.starts_at - timedelta(minutes=11)), pytest.raises(InvalidState):
        gate.facilitator_start_url(actor=cast.facilitator, session=session)
    with in_window(session):
        assert gate.facilitator_start_url(actor=cast.facilitator, session=session) == LINK
        with pytest.raises(NotPermitted):
            gate.facilitator_start_url(actor=cast.facilitator_b, session=session)
        with pytest.raises(NotPermitted):
            gate.facilitator_start_url(actor=cast.coordinator, session=session)
    event = AuditEvent.objects.get(action="scheduling.session.started")
    assert event.actor == cast.facilitator
