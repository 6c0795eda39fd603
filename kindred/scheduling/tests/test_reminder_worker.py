"""Reminders through django-tasks-db's database backend and its ``db_worker``, as in
production: ``send_due_reminders`` queues tasks, the worker runs them. Workers die
(after claiming, before or after the mail server took the message), run again, and
race each other: no reminder is ever sent twice, and none is lost except where the
documented at-most-once trade-off for email says so (docs/architecture.md).

These tests commit for real (``transactional_db``), as claims do in production."""

from __future__ import annotations

import io
import logging
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from kindred.accounts.models import User, UserKind
from kindred.clients.services import client_create
from kindred.groups.services import enrollment_activate, enrollment_invite
from kindred.notifications.models import Notification
from kindred.scheduling import reminders
from kindred.scheduling.models import GroupSession, Reminder, ReminderStatus
from kindred.scheduling.reminder_preferences import reminder_preferences_set
from kindred.scheduling.reminder_sending import send_reminders
from kindred.scheduling.tests.mail_backends import FlakyBackend
from kindred.scheduling.tests.reminder_support import at, http_sms, next_session, sms_api

__all__ = ["http_sms", "sms_api"]

MAILER = "kindred.scheduling.tests.mail_backends."
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def db_tasks(settings: Any) -> Iterator[None]:
    """The production task backend, and the worker's process-wide changes undone."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    levels = {name: logging.getLogger(name).level for name in ("django.tasks", "django_tasks_db")}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def run_worker() -> None:
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        "--queue-name",
        "default",
        verbosity=0,
        stdout=io.StringIO(),
    )


def queue_due() -> reminders.RunResult:
    return reminders.reminders_run()


@pytest.fixture
def crowd(transactional_db: None, cast: Any) -> list[User]:
    """Group A with eight members holding a place (the cast's two and six more)."""
    people = [cast.member, cast.member_b]
    for i in range(6):
        client = client_create(
            actor=None,
            legal_first_name=f"Member{i}",
            legal_last_name="Crowd",
            date_of_birth=date(1980 + i, 1, 15),
            state_of_residence="IL",
            email=f"member{i}.crowd@example.test",
        )
        user = User.objects.create_user(
            client.email, None, full_name=client.display_name, kind=UserKind.MEMBER
        )
        client.user = user
        client.save(update_fields=["user"])
        enrollment = enrollment_invite(actor=None, group=cast.group_a, client=client)
        enrollment_activate(actor=None, enrollment=enrollment)
        people.append(user)
    return people


@pytest.fixture
def session(cast: Any, crowd: list[User]) -> GroupSession:
    return next_session(cast.group_a, 1)


def day_before(session: GroupSession, minutes: int = 0) -> Any:
    return at(session.starts_at - timedelta(hours=24) + timedelta(minutes=minutes))


def reminder_notes() -> Counter[int]:
    return Counter(
        Notification.objects.filter(kind="session_reminder").values_list("user_id", flat=True)
    )


def emailed() -> Counter[str]:
    return Counter(m.to[0] for m in mail.outbox)


def test_a_day_before_every_member_gets_each_reminder_once(db_tasks, crowd, session, settings):
    settings.MAILERS = LOCMEM
    mail.outbox = []
    with day_before(session):
        run = queue_due()
        assert run.queued == 16  # eight members, in-app and email
        assert DBTaskResult.objects.filter(status="READY").count() == 1
        run_worker()
        run_worker()  # nothing left: a second worker pass sends nothing
        queue_due()
        run_worker()
    assert reminder_notes() == Counter({u.pk: 1 for u in crowd})
    assert emailed() == Counter({u.email: 1 for u in crowd})
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    day = Reminder.objects.filter(session=session, minutes_before=1440)
    assert set(day.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_a_send_that_fails_after_the_claim_is_sent_on_the_next_run(
    db_tasks, crowd, session, settings
):
    settings.MAILERS = {"default": {"BACKEND": MAILER + "FlakyBackend"}}
    FlakyBackend.failures = 1
    mail.outbox = []
    with day_before(session):
        queue_due()
        run_worker()
    assert sum(emailed().values()) == len(crowd) - 1
    assert Reminder.objects.filter(status=ReminderStatus.PENDING, attempts=1).count() == 1
    with day_before(session, minutes=1):
        queue_due()
        run_worker()
    assert emailed() == Counter({u.email: 1 for u in crowd})  # duplicates 0, lost 0
    assert reminder_notes() == Counter({u.pk: 1 for u in crowd})


def test_a_worker_killed_after_the_mail_server_took_it_never_sends_it_again(
    db_tasks, crowd, session, settings
):
    settings.MAILERS = {"default": {"BACKEND": MAILER + "DiesAfterSendingBackend"}}
    mail.outbox = []
    with day_before(session):
        queue_due()
        run_worker()  # the first email goes out, then the "process" dies
    stuck = Reminder.objects.get(status=ReminderStatus.SENDING)
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    settings.MAILERS = LOCMEM  # the worker restarts, healthy
    with day_before(session, minutes=1):
        queue_due()
        run_worker()
    stuck.refresh_from_db()
    assert stuck.status == ReminderStatus.SENDING  # not yet given up, and not re-sent
    with day_before(session, minutes=12):
        run = queue_due()
        run_worker()
    assert run.reaped.failed == 1
    stuck.refresh_from_db()
    assert (stuck.status, stuck.last_error) == (ReminderStatus.FAILED, reminders.FAILED_INTERRUPTED)
    assert emailed() == Counter({u.email: 1 for u in crowd})  # duplicates 0, lost 0
    assert reminder_notes() == Counter({u.pk: 1 for u in crowd})


def test_a_worker_killed_before_the_mail_server_took_it_loses_only_that_email(
    db_tasks, crowd, session, settings
):
    """The documented trade-off: SMTP cannot say whether a message went, so a
    half-sent email is never retried (at most once). The member still has the in-app
    reminder, and the hour-before reminder later."""
    settings.MAILERS = {"default": {"BACKEND": MAILER + "DiesBeforeSendingBackend"}}
    mail.outbox = []
    with day_before(session):
        queue_due()
        run_worker()
    stuck = Reminder.objects.select_related("user").get(status=ReminderStatus.SENDING)
    settings.MAILERS = LOCMEM
    with day_before(session, minutes=12):
        queue_due()
        run_worker()
    stuck.refresh_from_db()
    assert stuck.status == ReminderStatus.FAILED
    sent = emailed()
    assert max(sent.values()) == 1  # duplicates 0
    assert set(sent) == {u.email for u in crowd} - {stuck.user.email}
    assert reminder_notes() == Counter({u.pk: 1 for u in crowd})


def _texts_for(users: list[User]) -> None:
    for i, user in enumerate(users):
        reminder_preferences_set(
            actor=user,
            client=user.client,
            email_reminders=False,
            sms_reminders=True,
            phone=f"+1 312 555 01{i:02d}",
        )


def test_a_text_whose_answer_never_came_is_settled_by_asking_the_provider(
    db_tasks, crowd, session, http_sms
):
    _texts_for(crowd[:3])
    http_sms.mode = "accept_then_hang"  # takes each text, then never answers
    with day_before(session):
        queue_due()
        run_worker()
    assert len(http_sms.accepted) == 3
    unknown = Reminder.objects.filter(status=ReminderStatus.SENDING)
    assert unknown.count() == 3
    http_sms.mode = "ok"
    with day_before(session, minutes=1):
        queue_due()
        run_worker()
    assert unknown.count() == 3  # too soon to decide; nothing sent again
    with day_before(session, minutes=12):
        run = queue_due()
        run_worker()
    assert run.reaped.sent == 3
    assert not unknown.exists()
    assert Counter(a.to for a in http_sms.accepted) == Counter(
        {f"+1312555010{i}": 1 for i in range(3)}
    )


def test_a_text_the_provider_never_took_is_sent_after_the_worker_died(
    db_tasks, crowd, session, http_sms
):
    _texts_for(crowd[:3])
    http_sms.mode = "hang"  # no answer, and nothing taken
    with day_before(session):
        queue_due()
        run_worker()
    assert http_sms.accepted == []
    assert Reminder.objects.filter(status=ReminderStatus.SENDING).count() == 3
    http_sms.mode = "ok"
    with day_before(session, minutes=12):
        run = queue_due()
        assert run.reaped.retried == 3
        run_worker()
    assert Counter(a.to for a in http_sms.accepted) == Counter(
        {f"+1312555010{i}": 1 for i in range(3)}
    )
    texts = Reminder.objects.filter(channel="sms", minutes_before=1440)
    assert set(texts.values_list("status", flat=True)) == {ReminderStatus.SENT}


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: two workers need two connections running at once, which "
    "SQLite serialises (CI runs the suite on PostgreSQL).",
)
def test_two_workers_with_the_same_batch_send_each_reminder_once(crowd, session, settings):
    settings.MAILERS = LOCMEM
    mail.outbox = []
    with day_before(session):
        reminders.reminders_plan()
        ids = reminders.due_reminder_ids()
        barrier = threading.Barrier(2)
        results: list[Any] = [None, None]

        def work(i: int) -> None:
            try:
                barrier.wait(timeout=10)
                results[i] = send_reminders(ids)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert results[0].sent + results[1].sent == 16
    assert emailed() == Counter({u.email: 1 for u in crowd})
    assert reminder_notes() == Counter({u.pk: 1 for u in crowd})
