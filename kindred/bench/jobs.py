"""The background-job benchmarks (PERFORMANCE.md), run by the orchestrator on the full
data set after the HTTP phase, as ``python -m kindred.bench.jobs --out FILE``:

- **Session expansion**: a year of sessions for 2,000 new groups (weekly, fortnightly
  and twice-weekly rules across five time zones) through the generator the services
  use (``scheduling.generation.generate_for_groups``), in one transaction. Target ≤ 5 s.
- **Reminders**: 10,000 reminders due at once (in-app, email and text for members of
  400 groups meeting in half an hour), planned by ``reminders_plan``, queued by
  ``reminders_enqueue_due`` and sent by ONE ``db_worker --batch`` (django-tasks-db, the
  production backend) in this process, so every send can be counted: notifications in
  the database, emails in the in-memory outbox, texts in the console provider's outbox.
  Duplicates and lost reminders are counted per channel. Target ≤ 60 s, 0 and 0.

The orchestrator sets ``EMAIL_URL=memorymail://`` and ``KINDRED_SMS_PROVIDER=console``
for this process only.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

GROUPS = 2_000
REMINDER_GROUPS = 400
MEMBERS_PER_GROUP = 10
BENCH_DOMAIN = "bench.example.test"
ZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles",
         "America/Phoenix")  # fmt: skip
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _bench_groups(now: datetime, count: int, reminder_groups: int) -> list[Any]:
    """2,000 open-ended virtual groups: the first ``REMINDER_GROUPS`` meet half an hour
    from now (for the reminder benchmark), the rest at varied times and rules."""
    from random import Random
    from zoneinfo import ZoneInfo

    from kindred.groups.models import GroupFormat, GroupModality, GroupStatus, TherapyGroup
    from kindred.practice.models import ClinicianProfile

    rng = Random("bench:groups")
    leads = list(ClinicianProfile.objects.order_by("id").values_list("pk", flat=True))
    soon = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    groups = []
    for i in range(count):
        tz = ZONES[i % len(ZONES)]
        if i < reminder_groups:
            local = soon.astimezone(ZoneInfo(tz))
            start_date, start_time = local.date(), local.time()
            rule = f"FREQ=WEEKLY;BYDAY={DAYS[local.weekday()]}"
        else:
            start_date = (now - timedelta(days=rng.randint(0, 6))).date()
            day = DAYS[start_date.weekday()]
            start_time = datetime.min.time().replace(hour=rng.randint(8, 19), minute=30)
            roll = rng.random()
            if roll < 0.1:
                rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
            elif roll < 0.2:
                rule = f"FREQ=WEEKLY;BYDAY={day},{DAYS[(start_date.weekday() + 3) % 7]}"
            else:
                rule = f"FREQ=WEEKLY;BYDAY={day}"
        groups.append(
            TherapyGroup(
                name=f"Bench group {i + 1}",
                slug=f"bench-{i + 1}",
                description="A synthetic group for the benchmark.",
                format=GroupFormat.OPEN,
                modality=GroupModality.VIRTUAL,
                lead_facilitator_id=leads[i % len(leads)],
                min_size=4,
                max_size=12,
                session_minutes=90,
                recurrence=rule,
                start_date=start_date,
                start_time=start_time,
                timezone=tz,
                status=GroupStatus.ACTIVE,
            )
        )
    return TherapyGroup.objects.bulk_create(groups, batch_size=1000)


def session_expansion(
    now: datetime, *, count: int = GROUPS, reminder_groups: int = REMINDER_GROUPS
) -> tuple[dict[str, Any], list[Any]]:
    from django.db import transaction

    from kindred.scheduling.generation import generate_for_groups
    from kindred.scheduling.models import GroupSession

    groups = _bench_groups(now, count, reminder_groups)
    since = now - timedelta(hours=1)
    until = since + timedelta(days=365)
    started = time.perf_counter()
    with transaction.atomic():
        created = generate_for_groups(groups, since=since, until=until, now=now)
    seconds = time.perf_counter() - started
    stored = GroupSession.objects.filter(group__in=[g.pk for g in groups]).count()
    return {
        "groups": len(groups),
        "days": 365,
        "sessions_created": created,
        "sessions_stored": stored,
        "seconds": round(seconds, 3),
        "sessions_per_second": round(created / seconds) if seconds else None,
        "target_seconds": 5,
        "meets_target": seconds <= 5,
    }, groups


def free_clients() -> Any:
    """Clients without a portal account or a current place anywhere, so that the
    benchmark's reminders are the only ones due."""
    from kindred.clients.models import Client, ClientStatus
    from kindred.groups.models import SEAT_STATUSES

    return Client.objects.filter(user__isnull=True, status=ClientStatus.ACTIVE).exclude(
        enrollments__status__in=SEAT_STATUSES
    )


def _members(groups: list[Any], now: datetime) -> dict[str, int]:
    """Ten members with portal accounts in each reminder group (existing scale clients,
    each given an account); every other one has asked for texts."""
    from django.contrib.auth.hashers import make_password

    from kindred.accounts.models import User, UserKind
    from kindred.clients.models import Client
    from kindred.groups.models import Enrollment, EnrollmentStatus

    wanted = len(groups) * MEMBERS_PER_GROUP
    clients = list(free_clients().order_by("id")[:wanted])
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(
                email=f"member{i}@{BENCH_DOMAIN}",
                full_name=c.display_name,
                kind=UserKind.MEMBER,
                password=unusable,
            )
            for i, c in enumerate(clients)
        ],
        batch_size=1000,
    )
    texts = 0
    for i, (client, user) in enumerate(zip(clients, users, strict=True)):
        client.user = user
        client.email_reminders = True
        client.sms_reminders = i % 2 == 0
        client.sms_opted_out_at = None
        # A fictional number (555-01xx) per member, so texts can be counted by number.
        client.phone = f"+1 {201 + i // 100} 555 01{i % 100:02d}"
        texts += client.sms_reminders
    Client.objects.bulk_update(
        clients,
        ["user", "email_reminders", "sms_reminders", "sms_opted_out_at", "phone"],
        batch_size=1000,
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                group=groups[i // MEMBERS_PER_GROUP],
                client=client,
                status=EnrollmentStatus.ACTIVE,
                invited_at=now - timedelta(days=14),
                activated_at=now - timedelta(days=7),
            )
            for i, client in enumerate(clients)
        ],
        batch_size=1000,
    )
    return {"members": len(clients), "members_with_texts": texts}


def _duplicates(counts: Counter[Any]) -> int:
    return sum(n - 1 for n in counts.values() if n > 1)


def reminders(
    groups: list[Any], now: datetime, *, reminder_groups: int = REMINDER_GROUPS
) -> dict[str, Any]:
    from django.core import mail
    from django.core.management import call_command

    from kindred.notifications.models import Notification
    from kindred.practice.models import Practice
    from kindred.scheduling.models import GroupSession, Reminder
    from kindred.scheduling.reminders import BATCH_SIZE, reminders_enqueue_due, reminders_plan
    from kindred.scheduling.sms import console

    Practice.objects.filter(pk=1).update(reminder_minutes_before=[60])
    people = _members(groups[:reminder_groups], now)
    sessions = GroupSession.objects.filter(
        group__in=[g.pk for g in groups[:reminder_groups]],
        starts_at__gt=now,
        starts_at__lte=now + timedelta(hours=1),
    )
    mail.outbox = []
    console.outbox.clear()

    started = time.perf_counter()
    planned = reminders_plan()
    plan_s = time.perf_counter() - started
    rows = Reminder.objects.filter(session__in=sessions)
    expected = rows.count()

    started = time.perf_counter()
    queued = reminders_enqueue_due()
    queue_s = time.perf_counter() - started

    started = time.perf_counter()
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
    worker_s = time.perf_counter() - started

    statuses = Counter(rows.values_list("status", flat=True))
    by_channel = Counter(rows.values_list("channel", flat=True))
    notes = Counter(
        Notification.objects.filter(kind="session_reminder").values_list("dedupe_key", flat=True)
    )
    emails = Counter((m.to[0], m.subject) for m in mail.outbox)
    texts = Counter((m.to, m.body) for m in console.outbox)
    delivered = {"in_app": len(notes), "email": len(emails), "sms": len(texts)}
    channels = {
        channel: {
            "planned": by_channel[channel],
            "delivered": delivered[channel],
            "duplicates": dup,
            "lost": by_channel[channel] - delivered[channel],
        }
        for channel, dup in (
            ("in_app", _duplicates(notes)),
            ("email", _duplicates(emails)),
            ("sms", _duplicates(texts)),
        )
    }
    duplicates = sum(c["duplicates"] for c in channels.values())
    lost = sum(c["lost"] for c in channels.values())
    return {
        **people,
        "sessions": sessions.count(),
        "reminders": expected,
        "planned_rows": planned.created,
        "queued": queued,
        "tasks": math.ceil(queued / BATCH_SIZE),
        "statuses": dict(statuses),
        "channels": channels,
        "duplicates": duplicates,
        "lost": lost,
        "plan_seconds": round(plan_s, 3),
        "queue_seconds": round(queue_s, 3),
        "worker_seconds": round(worker_s, 3),
        "reminders_per_second": round(expected / worker_s) if worker_s else None,
        "target_seconds": 60,
        "meets_target": worker_s <= 60 and duplicates == 0 and lost == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.bench.jobs")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--groups", type=int, default=GROUPS)
    parser.add_argument(
        "--reminder-groups",
        type=int,
        default=REMINDER_GROUPS,
        help=f"groups meeting soon, {MEMBERS_PER_GROUP} members each (needs that many clients)",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    backend = settings.TASKS["default"]["BACKEND"]
    now = timezone.now()
    # A small data set has fewer clients to give places to.
    reminder_groups = min(args.reminder_groups, free_clients().count() // MEMBERS_PER_GROUP)
    expansion, groups = session_expansion(now, count=args.groups, reminder_groups=reminder_groups)
    result = {
        "task_backend": backend,
        "session_expansion": expansion,
        "reminders": reminders(groups, now, reminder_groups=reminder_groups),
    }
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
