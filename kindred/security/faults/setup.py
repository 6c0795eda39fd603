"""The data a fault run needs, made through the real services in the run's own database
(Django must be set up, pointed at the throwaway cluster):

- the test cast (kindred.core.testing.build_cast: a practice, staff with two-factor,
  members with portal accounts, two groups) plus two more members in group A, so that
  each fault has its own member answering a PHQ-9;
- one PHQ-9 sent (by group A's facilitator) to each of those four members;
- an API token of the facilitator (space scopes) and a conversation in group A's space,
  which the writers reply in (each reply's text is the write's unique payload);
- for the worker fault, ``reminder_groups``: groups meeting in half an hour whose
  members get in-app, email and (every other one) text reminders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

PHQ9_FAULTS = ("pg_crash", "redis_down", "worker_killed", "disk_full")


@dataclass
class Phq9:
    fault: str
    email: str
    administration_id: int
    version: str
    answers: dict[str, int]


@dataclass
class Fixture:
    password: str
    facilitator_email: str
    facilitator_totp: str
    admin_email: str
    admin_totp: str
    facilitator_token: str
    thread_id: int
    group_id: int
    client_id: int
    session_id: int
    member_email: str
    lockout_probe_email: str
    phq9: dict[str, Phq9] = field(default_factory=dict)


def _member(first: str, last: str, group: Any) -> Any:
    from kindred.accounts.models import User, UserKind
    from kindred.clients.services import client_create
    from kindred.core.testing import PASSWORD
    from kindred.groups.services import enrollment_activate, enrollment_invite

    client = client_create(
        actor=None,
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=date(1988, 6, 15),
        state_of_residence="IL",
        email=f"{first.lower()}.{last.lower()}@example.test",
    )
    user = User.objects.create_user(
        client.email, PASSWORD, full_name=client.display_name, kind=UserKind.MEMBER
    )
    client.user = user
    client.save(update_fields=["user"])
    enrollment_activate(
        actor=None, enrollment=enrollment_invite(actor=None, group=group, client=client)
    )
    return client


def prepare() -> Fixture:
    from django.core.management import call_command

    from kindred.accounts.token_services import api_token_create
    from kindred.core.testing import PASSWORD, build_cast
    from kindred.measures.answering import administration_send
    from kindred.measures.testing import answers_for, install_builtin_instruments
    from kindred.scheduling.models import GroupSession
    from kindred.space.access import get_space_for
    from kindred.space.services import thread_create

    call_command("migrate", verbosity=0, interactive=False)
    cast = build_cast()
    probe = _member("Lee", "Lockout", cast.group_b)
    extra = [_member("Dana", "Disk", cast.group_a), _member("Wren", "Worker", cast.group_a)]
    instruments = install_builtin_instruments()
    phq9 = instruments.phq9
    answering = [cast.client, cast.client_b, *extra]
    fixture_phq9: dict[str, Phq9] = {}
    for fault, client in zip(PHQ9_FAULTS, answering, strict=True):
        administration = administration_send(
            actor=cast.facilitator, group=cast.group_a, client=client, instrument=phq9
        )
        fixture_phq9[fault] = Phq9(
            fault=fault,
            email=client.user.email,
            administration_id=administration.pk,
            version=administration.instrument_version,
            answers=answers_for(phq9, 1, item9=2),
        )
    raw, _token = api_token_create(
        actor=cast.facilitator, name="fault run", scopes=["space:read", "space:write"]
    )
    access = get_space_for(cast.facilitator, cast.group_a.pk)
    post = thread_create(
        actor=cast.facilitator,
        access=access,
        title="Fault run",
        body="Replies here are the fault run's ledger writes.",
    )
    session = GroupSession.objects.filter(group=cast.group_a).order_by("starts_at").first()
    assert session is not None  # noqa: S101 - the cast's group has twelve sessions
    return Fixture(
        password=PASSWORD,
        facilitator_email=cast.facilitator.email,
        facilitator_totp=cast.totp_secrets[cast.facilitator.pk],
        admin_email=cast.admin.email,
        admin_totp=cast.totp_secrets[cast.admin.pk],
        facilitator_token=raw,
        thread_id=post.thread_id,
        group_id=cast.group_a.pk,
        client_id=cast.client.pk,
        session_id=session.pk,
        member_email=cast.member.email,
        lockout_probe_email=probe.user.email,
        phq9=fixture_phq9,
    )


# --- Reminders for the worker fault -----------------------------------------------------


@dataclass
class ReminderSet:
    session_ids: list[int]
    emails: set[str]
    phones: set[str]
    reminder_ids: list[int]
    by_channel: dict[str, int]


def reminder_groups(count: int, members_per_group: int, now: datetime) -> ReminderSet:
    """``count`` groups meeting in 30 minutes (one reminder offset: 60 minutes, so all
    are due now), each with ``members_per_group`` members with portal accounts; every
    member wants email, every other one texts. Made in bulk (the benchmark's way)."""
    from zoneinfo import ZoneInfo

    from django.contrib.auth.hashers import make_password

    from kindred.accounts.models import User, UserKind
    from kindred.clients.models import Client, ClientStatus
    from kindred.groups.models import (
        Enrollment,
        EnrollmentStatus,
        GroupFormat,
        GroupModality,
        GroupStatus,
        TherapyGroup,
    )
    from kindred.practice.models import ClinicianProfile, Practice
    from kindred.scheduling.generation import generate_for_groups
    from kindred.scheduling.models import GroupSession, Reminder
    from kindred.scheduling.reminders import reminders_plan
    from kindred.scheduling.sms import normalise_phone

    days = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    tz = "America/Chicago"
    soon = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    local = soon.astimezone(ZoneInfo(tz))
    lead = ClinicianProfile.objects.order_by("id").first()
    assert lead is not None  # noqa: S101 - the cast has clinicians
    groups = TherapyGroup.objects.bulk_create(
        [
            TherapyGroup(
                name=f"Fault group {i + 1}",
                slug=f"fault-group-{i + 1}",
                description="A group for the worker fault run.",
                format=GroupFormat.OPEN,
                modality=GroupModality.VIRTUAL,
                lead_facilitator=lead,
                min_size=2,
                max_size=max(12, members_per_group),
                session_minutes=60,
                recurrence=f"FREQ=WEEKLY;BYDAY={days[local.weekday()]}",
                start_date=local.date(),
                start_time=time(local.hour, local.minute),
                timezone=tz,
                status=GroupStatus.ACTIVE,
            )
            for i in range(count)
        ]
    )
    generate_for_groups(groups, since=now - timedelta(hours=1), until=now + timedelta(hours=2))
    unusable = make_password(None)
    total = count * members_per_group
    users = User.objects.bulk_create(
        [
            User(
                email=f"reminded{i}@faults.example.test",
                full_name=f"Reminded Member {i}",
                kind=UserKind.MEMBER,
                password=unusable,
            )
            for i in range(total)
        ],
        batch_size=1000,
    )
    clients = Client.objects.bulk_create(
        [
            Client(
                legal_first_name="Reminded",
                legal_last_name=f"Member {i}",
                search_name=f"reminded member {i}",
                date_of_birth=date(1980, 1, 1) + timedelta(days=i),
                state_of_residence="IL",
                timezone=tz,
                email=user.email,
                phone=f"+1 {201 + i // 100} 555 01{i % 100:02d}",
                status=ClientStatus.ACTIVE,
                email_reminders=True,
                sms_reminders=i % 2 == 0,
                user=user,
            )
            for i, user in enumerate(users)
        ],
        batch_size=1000,
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                group=groups[i // members_per_group],
                client=client,
                status=EnrollmentStatus.ACTIVE,
                invited_at=now - timedelta(days=14),
                activated_at=now - timedelta(days=7),
            )
            for i, client in enumerate(clients)
        ],
        batch_size=1000,
    )
    Practice.objects.update(reminder_minutes_before=[60])
    reminders_plan(now=now)
    sessions = list(
        GroupSession.objects.filter(
            group__in=[g.pk for g in groups], starts_at__gt=now, starts_at__lte=soon
        ).values_list("pk", flat=True)
    )
    rows = Reminder.objects.filter(session__in=sessions)
    by_channel: dict[str, int] = {}
    for channel in rows.values_list("channel", flat=True):
        by_channel[channel] = by_channel.get(channel, 0) + 1
    return ReminderSet(
        session_ids=sessions,
        emails={c.email for c in clients},
        phones={normalise_phone(c.phone) for c in clients if c.sms_reminders},
        reminder_ids=list(rows.values_list("pk", flat=True)),
        by_channel=by_channel,
    )
