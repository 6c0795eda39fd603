"""The "you have a short check-in waiting" reminder: once per member and session, only
when still unanswered near the session, with no clinical words, email once."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import mail

from kindred.core.testing import Cast
from kindred.measures import planning
from kindred.measures.models import Administration, Timing
from kindred.measures.reminders import reminders_due, reminders_enqueue, reminders_send
from kindred.measures.testing import BuiltinInstruments
from kindred.measures.tests.questionnaire_support import answer_all, schedule, submit, upcoming_a
from kindred.notifications.models import Notification
from kindred.scheduling.models import GroupSession


def _plan(cast: Cast, builtin_instruments: BuiltinInstruments) -> GroupSession:
    schedule(cast, builtin_instruments.who5, Timing.BEFORE_SESSION)
    schedule(cast, builtin_instruments.gad7, Timing.BEFORE_SESSION)
    session = upcoming_a(cast)[1]
    with time_machine.travel(session.starts_at - timedelta(hours=30), tick=False):
        planning.plan_sessions()
    return session


def test_one_reminder_per_member_and_session_sent_once(
    cast, builtin_instruments, django_capture_on_commit_callbacks
):
    session = _plan(cast, builtin_instruments)
    assert Administration.objects.filter(session=session).count() == 4
    with time_machine.travel(session.starts_at - timedelta(hours=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_enqueue() == 2  # two members, one reminder each
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_enqueue() == 0
    notes = Notification.objects.filter(kind="questionnaire_reminder").order_by("user_id")
    assert [n.user_id for n in notes] == sorted([cast.member.pk, cast.member_b.pk])
    for note in notes:
        assert note.title == "You have a short check-in waiting in Kindred"
        assert note.url == "/my/questionnaires/"
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert "short check-in waiting" in text
        for clinical in ("WHO", "GAD", "PHQ", "Steady Ground", "anxiety", "mood"):
            assert clinical not in text


def test_sending_the_same_reminders_twice_sends_nothing_more(
    cast, builtin_instruments, django_capture_on_commit_callbacks
):
    session = _plan(cast, builtin_instruments)
    ids = list(Administration.objects.filter(session=session).values_list("pk", flat=True))
    with time_machine.travel(session.starts_at - timedelta(hours=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = reminders_send(ids)
        with django_capture_on_commit_callbacks(execute=True):
            second = reminders_send(ids)
    assert (first.sent, first.taken, second.sent, second.taken) == (2, 2, 0, 4)
    assert Notification.objects.filter(kind="questionnaire_reminder").count() == 2
    assert len(mail.outbox) == 2


def test_no_reminder_when_answered_too_early_or_without_email(cast, builtin_instruments):
    session = _plan(cast, builtin_instruments)
    with time_machine.travel(session.starts_at - timedelta(hours=7), tick=False):
        assert reminders_due() == []
    for row in Administration.objects.filter(session=session, client=cast.client):
        with time_machine.travel(session.starts_at - timedelta(hours=20), tick=False):
            answer_all(cast, row, 1)
            submit(cast, row)
    cast.client_b.email_reminders = False
    cast.client_b.save(update_fields=["email_reminders"])
    with time_machine.travel(session.starts_at - timedelta(hours=5), tick=False):
        due = reminders_due()
        assert {Administration.objects.get(pk=pk).client_id for pk in due} == {cast.client_b.pk}
        result = reminders_send(due)
    assert (result.sent, result.emailed) == (1, 0)
    with time_machine.travel(session.starts_at + timedelta(minutes=1), tick=False):
        assert reminders_due() == []
