"""Session reminders: planning, keeping in step with sessions, and sending each exactly
once through the Tasks API (here the immediate backend; test_reminder_worker.py runs
django-tasks-db's worker). State is set up through the real services; time is frozen
with time_machine."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from kindred.clients.models import Client
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw, group_activate, group_pause
from kindred.notifications.models import Notification
from kindred.practice.models import Practice
from kindred.scheduling import reminders
from kindred.scheduling.models import GroupSession, Reminder, ReminderChannel, ReminderStatus
from kindred.scheduling.reminder_preferences import reminder_preferences_set
from kindred.scheduling.reminder_sending import send_reminders
from kindred.scheduling.session_services import session_cancel, session_reschedule
from kindred.scheduling.tests.mail_backends import FlakyBackend
from kindred.scheduling.tests.reminder_support import (
    at,
    console_outbox,
    http_sms,
    next_session,
    sms_api,
)

__all__ = ["console_outbox", "http_sms", "sms_api"]

DAY, HOUR = 1440, 60


@pytest.fixture
def session(cast):
    # The one after next, so that the next one (maybe within the hour) stays out of it.
    return next_session(cast.group_a, 1)


def rows(session: GroupSession, **filters: object) -> set[tuple[int, str, int]]:
    return set(
        Reminder.objects.filter(session=session, **filters).values_list(
            "user_id", "channel", "minutes_before"
        )
    )


def texts_on(client: Client, phone: str = "+1 312 555 0100") -> None:
    assert client.user is not None
    reminder_preferences_set(
        actor=client.user,
        client=client,
        email_reminders=client.email_reminders,
        sms_reminders=True,
        phone=phone,
    )


# --- Planning ----------------------------------------------------------------------------


def test_planning_makes_one_row_per_member_channel_and_offset(cast, session):
    with at(session.starts_at - timedelta(hours=25)):
        result = reminders.reminders_plan()
    assert result.created >= 8
    expected = {
        (user.pk, channel, minutes)
        for user in (cast.member, cast.member_b)
        for channel in (ReminderChannel.IN_APP, ReminderChannel.EMAIL)
        for minutes in (DAY, HOUR)
    }
    assert rows(session) == expected
    for reminder in Reminder.objects.filter(session=session):
        assert reminder.due_at == session.starts_at - timedelta(minutes=reminder.minutes_before)
        assert reminder.status == ReminderStatus.PENDING
    # Facilitators only when the practice asks for it; other groups' people never.
    assert not Reminder.objects.filter(user__in=[cast.facilitator, cast.outsider], session=session)


def test_planning_twice_adds_nothing(cast, session):
    with at(session.starts_at - timedelta(hours=25)):
        first = reminders.reminders_plan()
        second = reminders.reminders_plan()
        reminders.reminders_plan(days=3)
    assert first.created > 0
    assert second.created == 0
    assert Reminder.objects.filter(session=session).count() == 8


def test_planning_looks_only_as_far_as_the_earliest_reminder(cast, session):
    with at(session.starts_at - timedelta(days=3)):
        reminders.reminders_plan()
        assert not Reminder.objects.filter(session=session).exists()
        reminders.reminders_plan(days=4)
        assert Reminder.objects.filter(session=session).exists()


def test_channels_follow_each_members_choices(cast, session, console_outbox):
    texts_on(cast.client)
    reminder_preferences_set(
        actor=cast.member_b, client=cast.client_b, email_reminders=False, sms_reminders=False
    )
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
    assert {c for _, c, _ in rows(session, user=cast.member)} == {"in_app", "email", "sms"}
    assert {c for _, c, _ in rows(session, user=cast.member_b)} == {"in_app"}


def test_no_texts_after_stop_or_when_the_practice_sends_none(cast, session, settings):
    texts_on(cast.client)
    cast.client.sms_opted_out_at = session.starts_at - timedelta(days=10)
    cast.client.save(update_fields=["sms_opted_out_at"])
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
    assert not rows(session, channel="sms")
    cast.client.sms_opted_out_at = None
    cast.client.save(update_fields=["sms_opted_out_at"])
    settings.KINDRED_SMS_PROVIDER = "none"
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
    assert not rows(session, channel="sms")


def test_facilitators_are_reminded_when_the_practice_wants_it(cast, session, settings):
    settings.KINDRED_REMINDERS_FOR_FACILITATORS = True
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
    assert rows(session, user=cast.facilitator) == {
        (cast.facilitator.pk, channel, minutes)
        for channel in ("in_app", "email")
        for minutes in (DAY, HOUR)
    }
    assert not rows(session, user=cast.facilitator_b)


def test_the_practice_chooses_the_offsets(cast, session):
    Practice.objects.filter(pk=1).update(reminder_minutes_before=[120])
    with at(session.starts_at - timedelta(hours=25)):
        # Planning looks as far ahead as the earliest reminder (plus an hour).
        assert reminders.reminders_plan().sessions == 0
    with at(session.starts_at - timedelta(hours=2, minutes=30)):
        reminders.reminders_plan()
    assert {m for _, _, m in rows(session)} == {120}
    # Dropping an offset later skips the rows still waiting.
    Practice.objects.filter(pk=1).update(reminder_minutes_before=[30])
    with at(session.starts_at - timedelta(hours=2, minutes=30)):
        result = reminders.reminders_reconcile()
    assert result.skipped == 4
    assert set(Reminder.objects.filter(session=session).values_list("last_error", flat=True)) == {
        reminders.SKIP_OFFSET_REMOVED
    }
    Practice.objects.filter(pk=1).update(reminder_minutes_before=[])
    with at(session.starts_at - timedelta(hours=25)):
        assert reminders.reminders_plan().created == 0


# --- Keeping in step with the session ----------------------------------------------------


def test_a_cancelled_sessions_reminders_are_skipped(cast, session):
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
        session_cancel(actor=cast.coordinator, session=session, reason="Facilitator is ill")
        result = reminders.reminders_reconcile()
        assert result.skipped == 8
        # Planning again does not bring them back.
        assert reminders.reminders_plan().created == 0
    assert set(Reminder.objects.filter(session=session).values_list("status", flat=True)) == {
        ReminderStatus.SKIPPED
    }


def test_a_paused_and_resumed_groups_reminders_come_back(cast, session):
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
        group_pause(actor=cast.coordinator, group=cast.group_a)
        assert reminders.reminders_reconcile().skipped == 8
        group_activate(actor=cast.coordinator, group=cast.group_a)
        assert reminders.reminders_reconcile().restored == 8
    assert set(Reminder.objects.filter(session=session).values_list("status", flat=True)) == {
        ReminderStatus.PENDING
    }


def test_a_rescheduled_session_moves_its_reminders(cast, session):
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
        new_start = session.starts_at + timedelta(hours=3)
        session_reschedule(actor=cast.coordinator, session=session, starts_at=new_start)
        assert reminders.reminders_reconcile().moved == 8
        assert reminders.reminders_reconcile().moved == 0
    for reminder in Reminder.objects.filter(session=session):
        assert reminder.due_at == new_start - timedelta(minutes=reminder.minutes_before)


def test_a_member_who_left_is_not_reminded(cast, session):
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
        enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client_b)
        enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    with at(session.starts_at - timedelta(hours=24)):
        call_command("send_due_reminders", stdout=io.StringIO())
    left = Reminder.objects.filter(session=session, user=cast.member_b, minutes_before=DAY)
    assert set(left.values_list("status", "last_error")) == {
        (ReminderStatus.SKIPPED, reminders.SKIP_NO_PLACE)
    }
    assert not Notification.objects.filter(user=cast.member_b, kind="session_reminder")


# --- Sending -----------------------------------------------------------------------------


def test_each_reminder_goes_once_with_the_immediate_backend(cast, session, mailoutbox):
    with at(session.starts_at - timedelta(hours=24)):
        first = reminders.reminders_run()
        again = reminders.reminders_run()
    assert first.queued == 4  # the day-before ones: in-app and email for two members
    assert again.queued == 0
    notes = Notification.objects.filter(kind="session_reminder")
    assert sorted(notes.values_list("user_id", flat=True)) == sorted(
        [cast.member.pk, cast.member_b.pk]
    )
    assert len(mailoutbox) == 2
    with at(session.starts_at - timedelta(hours=1)):
        reminders.reminders_run()
        reminders.reminders_run()
    assert notes.count() == 4
    assert len(mailoutbox) == 4
    statuses = set(Reminder.objects.filter(session=session).values_list("status", "attempts"))
    assert statuses == {(ReminderStatus.SENT, 1)}


def test_the_email_says_only_the_group_day_and_time_in_the_members_zone(cast, session, mailoutbox):
    cast.client.timezone = "America/New_York"
    cast.client.save(update_fields=["timezone"])
    cast.group_a.external_video_link = "https://video.example.test/secret-room"
    cast.group_a.save(update_fields=["external_video_link"])
    with at(session.starts_at - timedelta(hours=24)):
        reminders.reminders_run()
    message = next(m for m in mailoutbox if m.to == [cast.member.email])
    local = session.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert local.hour == 19  # 6 p.m. in Chicago
    assert message.body.splitlines()[0] == (
        f"Steady Ground meets {local:%A}, {local:%B} {local.day} at 7 p.m. {local.tzname()}. "
        "Sign in to Kindred for details."
    )
    assert message.subject.startswith("Reminder: Steady Ground, ")
    body = message.body
    assert "secret-room" not in body
    assert "video" not in body.lower()
    for name in ("Blair", "Fern", "Facilitator", "Avery"):
        assert name not in body
    assert f"http://127.0.0.1:8000{reverse('account_login')}" in body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_the_in_app_reminder_links_to_the_members_sessions(cast, session):
    with at(session.starts_at - timedelta(hours=24)):
        reminders.reminders_run()
    note = Notification.objects.get(user=cast.member, kind="session_reminder")
    assert note.title.startswith("Reminder: Steady Ground meets ")
    assert note.url == "/my/sessions/"
    assert note.dedupe_key.startswith("reminder:")


def test_the_text_is_short_and_says_how_to_stop(cast, session, console_outbox):
    texts_on(cast.client)
    with at(session.starts_at - timedelta(hours=24)):
        reminders.reminders_run()
    assert len(console_outbox) == 1
    text = console_outbox[0]
    assert text.to == "+13125550100"
    assert text.body.startswith("Test Practice: Steady Ground meets ")
    assert text.body.endswith("Reply STOP to stop texts.")
    assert len(text.body) <= 160


def test_when_both_are_overdue_only_the_nearer_reminder_goes(cast, session, mailoutbox):
    with at(session.starts_at - timedelta(minutes=30)):
        reminders.reminders_run()
    day = Reminder.objects.filter(session=session, minutes_before=DAY)
    hour = Reminder.objects.filter(session=session, minutes_before=HOUR)
    assert set(day.values_list("status", "last_error")) == {
        (ReminderStatus.SKIPPED, reminders.SKIP_SUPERSEDED)
    }
    assert set(hour.values_list("status", flat=True)) == {ReminderStatus.SENT}
    assert len(mailoutbox) == 2


def test_nothing_goes_once_the_session_has_started(cast, session, mailoutbox):
    with at(session.starts_at - timedelta(hours=2)):
        reminders.reminders_plan()
    ids = list(Reminder.objects.filter(session=session).values_list("pk", flat=True))
    with at(session.starts_at + timedelta(minutes=5)):
        result = send_reminders(ids)
    assert result.skipped == 8
    assert mailoutbox == []
    assert not Notification.objects.filter(kind="session_reminder").exists()


def test_a_reminder_that_is_not_due_is_left_alone(cast, session):
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
        ids = list(Reminder.objects.filter(session=session).values_list("pk", flat=True))
        result = send_reminders(ids)
    assert result.sent == 0
    assert set(Reminder.objects.filter(session=session).values_list("status", flat=True)) == {
        ReminderStatus.PENDING
    }


def test_an_email_turned_off_after_planning_is_not_sent(cast, session, mailoutbox):
    with at(session.starts_at - timedelta(hours=25)):
        reminders.reminders_plan()
        reminder_preferences_set(
            actor=cast.member, client=cast.client, email_reminders=False, sms_reminders=False
        )
    with at(session.starts_at - timedelta(hours=24)):
        reminders.reminders_run()
    assert [m.to for m in mailoutbox] == [[cast.member_b.email]]
    skipped = Reminder.objects.get(
        session=session, user=cast.member, channel="email", minutes_before=DAY
    )
    assert (skipped.status, skipped.last_error) == ("skipped", reminders.SKIP_CHANNEL_OFF)
    # Turned on again before the hour-before reminder: planning brings it back.
    reminder_preferences_set(
        actor=cast.member, client=cast.client, email_reminders=True, sms_reminders=False
    )
    with at(session.starts_at - timedelta(hours=2)):
        reminders.reminders_run()
    hour = Reminder.objects.get(
        session=session, user=cast.member, channel="email", minutes_before=HOUR
    )
    assert hour.status == ReminderStatus.PENDING


def test_a_mail_server_hiccup_is_retried_on_the_next_run(cast, session, settings, mailoutbox):
    settings.MAILERS = {
        "default": {"BACKEND": "kindred.scheduling.tests.mail_backends.FlakyBackend"}
    }
    FlakyBackend.failures = 2
    with at(session.starts_at - timedelta(hours=24)):
        reminders.reminders_run()
        assert len(mailoutbox) == 0
        waiting = Reminder.objects.filter(session=session, channel="email", minutes_before=DAY)
        assert set(waiting.values_list("status", "attempts")) == {("pending", 1)}
        assert "SMTPServerDisconnected" in waiting.get(user=cast.member).last_error
    with at(session.starts_at - timedelta(hours=24) + timedelta(minutes=1)):
        reminders.reminders_run()
    assert len(mailoutbox) == 2
    assert set(waiting.values_list("status", flat=True)) == {"sent"}


def test_a_refused_address_fails_without_retrying(cast, session, settings, mailoutbox):
    settings.MAILERS = {
        "default": {"BACKEND": "kindred.scheduling.tests.mail_backends.RefusingBackend"}
    }
    with at(session.starts_at - timedelta(hours=24)):
        reminders.reminders_run()
        reminders.reminders_run()
    failed = Reminder.objects.filter(session=session, channel="email", minutes_before=DAY)
    assert set(failed.values_list("status", "attempts")) == {("failed", 1)}
    # In-app reminders are independent of email trouble.
    assert Notification.objects.filter(kind="session_reminder").count() == 2


def test_a_provider_that_keeps_failing_is_given_up_after_a_few_tries(cast, session, http_sms):
    texts_on(cast.client)
    http_sms.mode = 503
    start = session.starts_at - timedelta(hours=24)
    for minute in range(reminders.MAX_ATTEMPTS + 2):
        with at(start + timedelta(minutes=minute)):
            reminders.reminders_run()
    text = Reminder.objects.get(session=session, channel="sms", minutes_before=DAY)
    assert (text.status, text.attempts) == ("failed", reminders.MAX_ATTEMPTS)
    assert http_sms.accepted == []


def test_the_command_reports_what_it_did(cast, session):
    out = io.StringIO()
    with at(session.starts_at - timedelta(hours=24)):
        call_command("send_due_reminders", stdout=out)
    assert "queued 4" in out.getvalue()
    out = io.StringIO()
    with at(session.starts_at - timedelta(hours=24)):
        call_command("send_due_reminders", "--no-plan", stdout=out)
    assert "planned 0" in out.getvalue()
    assert "queued 0" in out.getvalue()
    assert mail.outbox  # the email reminders went out
