"""Answering: per-item saves, every bad input (and that nothing is saved), completion in
one transaction with scoring and safety alerts, immutability, closing, sending one now."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from kindred.accounts.models import User
from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.answering import (
    SaveResult,
    administration_send,
    answer_save,
    answers_save,
    expire_closed,
)
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Response,
    SafetyAlert,
    Timing,
)
from kindred.measures.testing import answers_for
from kindred.measures.tests.questionnaire_support import answer_all, open_before, submit
from kindred.notifications.models import Notification


@pytest.fixture
def phq9(cast, builtin_instruments):
    return open_before(cast, builtin_instruments.phq9)


def save(
    cast: Cast,
    administration: Administration,
    item: str,
    value: object,
    *,
    version: str | None = None,
    actor: User | None = None,
) -> SaveResult:
    return answer_save(
        actor=actor or cast.member,
        administration=administration,
        item=item,
        value=value,
        version=administration.instrument_version if version is None else version,
    )


# --- One answer at a time ------------------------------------------------------------------


def test_an_answer_is_saved_and_a_changed_answer_replaces_it(cast, phq9):
    first = save(cast, phq9, "item1", 2)
    assert (first.answered, first.questions, first.saved) == (1, 10, ("item1",))
    phq9.refresh_from_db()
    assert phq9.status == AdministrationStatus.IN_PROGRESS
    second = save(cast, phq9, "item1", 0)
    assert second.replaced == ("item1",)
    assert list(Response.objects.filter(administration=phq9).values_list("item", "value")) == [
        ("item1", 0)
    ]
    events = list(AuditEvent.objects.filter(action="measures.response.saved").order_by("pk"))
    assert [e.detail for e in events] == [
        {"items": ["item1"], "replaced": []},
        {"items": [], "replaced": ["item1"]},
    ]
    # The audit log says which item, never what was answered.
    assert all("0" not in str(e.detail) and "2" not in str(e.detail) for e in events)


def test_the_same_answer_again_changes_nothing(cast, phq9):
    save(cast, phq9, "item2", 1)
    result = save(cast, phq9, "item2", 1)
    assert (result.saved, result.replaced) == ((), ())
    assert AuditEvent.objects.filter(action="measures.response.saved").count() == 1


@pytest.mark.parametrize(
    ("item", "value", "field"),
    [
        ("item1", 4, "item1"),  # out of range (0–3)
        ("item1", -1, "item1"),
        ("item1", "two", "item1"),
        ("item1", None, "item1"),
        ("item1", True, "item1"),
        ("item99", 1, "item99"),  # no such item
    ],
)
def test_bad_answers_are_refused_beside_the_item_and_nothing_is_saved(
    cast, phq9, item, value, field
):
    with pytest.raises(ValidationFailed) as caught:
        save(cast, phq9, item, value)
    assert field in caught.value.errors
    assert not Response.objects.exists()
    phq9.refresh_from_db()
    assert phq9.status == AdministrationStatus.PENDING


def test_a_page_with_one_bad_answer_saves_nothing(cast, phq9):
    with pytest.raises(ValidationFailed) as caught:
        answers_save(
            actor=cast.member,
            administration=phq9,
            answers={"item1": 1, "item2": 7, "item3": 2},
            version=phq9.instrument_version,
        )
    assert list(caught.value.errors) == ["item2"]
    assert "7" in caught.value.errors["item2"][0]
    assert not Response.objects.exists()


def test_answers_for_another_version_are_refused(cast, phq9):
    with pytest.raises(ValidationFailed) as caught:
        save(cast, phq9, "item1", 1, version="2")
    assert "version" in caught.value.errors
    assert not Response.objects.exists()


def test_a_closed_questionnaire_stores_nothing(cast, phq9):
    assert phq9.closes_at is not None
    with time_machine.travel(phq9.closes_at + timedelta(seconds=1), tick=False):
        with pytest.raises(InvalidState, match="This questionnaire has closed") as caught:
            save(cast, phq9, "item1", 1)
        assert caught.value.code == "closed"
        with pytest.raises(InvalidState, match="closed"):
            submit(cast, phq9, answers_for("phq9", 1))
    assert not Response.objects.exists()
    phq9.refresh_from_db()
    assert phq9.status == AdministrationStatus.PENDING


def test_a_questionnaire_that_has_not_opened_yet(cast, phq9):
    phq9.available_from = timezone.now() + timedelta(hours=2)
    phq9.save(update_fields=["available_from"])
    with pytest.raises(InvalidState) as caught:
        save(cast, phq9, "item1", 1)
    assert caught.value.code == "not_open"


def test_only_the_member_it_was_sent_to_answers_it(cast, phq9):
    for someone in (cast.member_b, cast.outsider, cast.facilitator, cast.admin):
        with pytest.raises(NotFound):
            save(cast, phq9, "item1", 1, actor=someone)
    assert not Response.objects.exists()
    assert AuditEvent.objects.filter(action="measures.administration.denied").count() == 4


# --- Completing --------------------------------------------------------------------------------


def test_completion_scores_caches_and_audits(cast, phq9):
    answer_all(cast, phq9, 2, item9=0)
    result = submit(cast, phq9)
    assert (result.already_received, result.crisis, result.alerts) == (False, False, [])
    phq9.refresh_from_db()
    assert phq9.status == AdministrationStatus.COMPLETED
    assert (phq9.is_complete, phq9.total, phq9.band, phq9.flags) == (
        True,
        16,
        "moderately_severe",
        [],
    )
    assert phq9.completed_at is not None
    event = AuditEvent.objects.get(action="measures.administration.completed")
    assert event.detail == {"instrument": "phq9", "reason": "before_session"}
    assert event.client_id == cast.client.pk


def test_item9_above_zero_raises_one_alert_with_the_answers(cast, phq9):
    answer_all(cast, phq9, 0, item9=1)
    result = submit(cast, phq9)
    assert result.crisis
    [alert] = SafetyAlert.objects.all()
    assert (alert.administration_id, alert.flag_code, alert.client_id) == (
        phq9.pk,
        "phq9.item9",
        cast.client.pk,
    )
    phq9.refresh_from_db()
    # Whatever the total: 1 is "minimal", and the alert is raised all the same.
    assert (phq9.total, phq9.band, phq9.flags) == (1, "minimal", ["phq9.item9"])


def test_a_duplicate_submission_is_already_received_and_changes_nothing(cast, phq9):
    answer_all(cast, phq9, 0, item9=2)
    submit(cast, phq9)
    events = AuditEvent.objects.count()
    again = submit(cast, phq9, answers_for("phq9", 3))
    assert again.already_received
    assert again.crisis  # the confirmation still shows crisis resources
    assert SafetyAlert.objects.count() == 1
    assert AuditEvent.objects.count() == events
    assert set(Response.objects.filter(item="item1").values_list("value", flat=True)) == {0}


def test_answers_are_immutable_after_completion(cast, phq9):
    answer_all(cast, phq9, 1)
    submit(cast, phq9)
    with pytest.raises(InvalidState) as caught:
        save(cast, phq9, "item1", 3)
    assert caught.value.code == "already_received"
    assert Response.objects.get(administration=phq9, item="item1").value == 1


def test_submitting_with_questions_unanswered_names_them_and_saves_nothing(cast, phq9):
    save(cast, phq9, "item1", 1)
    with pytest.raises(ValidationFailed) as caught:
        submit(cast, phq9, {"item2": 1})
    assert sorted(caught.value.errors) == [f"item{n}" for n in range(3, 10)]
    assert list(Response.objects.values_list("item", flat=True)) == ["item1"]
    phq9.refresh_from_db()
    assert phq9.status == AdministrationStatus.IN_PROGRESS


def test_the_difficulty_question_is_optional(cast, phq9):
    answers = answers_for("phq9", 1)
    assert "difficulty" not in answers
    assert not submit(cast, phq9, answers).already_received


def test_submitting_all_answers_at_once(cast, builtin_instruments):
    pulse = open_before(cast, builtin_instruments.pulse)
    submit(cast, pulse, answers_for("pulse", 3, conflict=0))
    pulse.refresh_from_db()
    assert (pulse.total, pulse.is_complete) == (16, True)
    assert pulse.subscales["engagement"] == 3


# --- Closing -----------------------------------------------------------------------------------


def test_closing_expires_unanswered_and_scores_started_ones_as_incomplete(
    cast, builtin_instruments
):
    untouched = open_before(cast, builtin_instruments.gad7)
    started = open_before(cast, builtin_instruments.phq9)
    save(cast, started, "item9", 1)
    save(cast, started, "item1", 2)
    assert started.closes_at is not None
    with time_machine.travel(started.closes_at + timedelta(minutes=1), tick=False):
        assert expire_closed() == 2
        assert expire_closed() == 0
    untouched.refresh_from_db()
    started.refresh_from_db()
    assert untouched.status == started.status == AdministrationStatus.EXPIRED
    # Incomplete: never totalled, never banded; the risk signal is not lost.
    assert (started.is_complete, started.total, started.band) == (False, None, "")
    assert started.flags == ["phq9.item9"]
    assert SafetyAlert.objects.filter(administration=started, flag_code="phq9.item9").count() == 1
    event = AuditEvent.objects.get(action="measures.administration.expired")
    assert event.detail == {"answered": 2, "alerts": 1}


# --- Sending one now ------------------------------------------------------------------------------


def test_a_facilitator_sends_a_questionnaire_now(cast, builtin_instruments):
    sent = administration_send(
        actor=cast.facilitator,
        group=cast.group_a,
        client=cast.client,
        instrument=builtin_instruments.who5,
    )
    assert (sent.reason, sent.sent_by, sent.session) == (Timing.ADHOC, cast.facilitator, None)
    assert sent.closes_at is not None
    assert sent.closes_at - sent.available_from == timedelta(days=7)
    note = Notification.objects.get(user=cast.member, kind="questionnaire_sent")
    assert "WHO" not in note.title
    assert "well" not in note.title.lower()
    with pytest.raises(Conflict):
        administration_send(
            actor=cast.facilitator,
            group=cast.group_a,
            client=cast.client,
            instrument=builtin_instruments.who5,
        )
    assert Administration.objects.count() == 1


def test_only_the_group_s_facilitators_send_questionnaires(cast, builtin_instruments):
    for someone in (cast.coordinator, cast.admin, cast.facilitator_b, cast.supervisor):
        with pytest.raises(NotPermitted):
            administration_send(
                actor=someone,
                group=cast.group_a,
                client=cast.client,
                instrument=builtin_instruments.who5,
            )
    assert not Administration.objects.exists()


def test_sending_to_someone_without_a_place_is_refused(cast, builtin_instruments):
    with pytest.raises(ValidationFailed) as caught:
        administration_send(
            actor=cast.facilitator,
            group=cast.group_a,
            client=cast.outsider_client,
            instrument=builtin_instruments.who5,
        )
    assert "client" in caught.value.errors
    place = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=place, reason="Moved away")
    with pytest.raises(ValidationFailed):
        administration_send(
            actor=cast.facilitator,
            group=cast.group_a,
            client=cast.client,
            instrument=builtin_instruments.who5,
        )
    assert not Administration.objects.exists()


def test_an_instrument_not_in_use_cannot_be_sent(cast, builtin_instruments):
    who5 = builtin_instruments.who5
    who5.is_active = False
    who5.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed) as caught:
        administration_send(
            actor=cast.facilitator, group=cast.group_a, client=cast.client, instrument=who5
        )
    assert "instrument" in caught.value.errors
