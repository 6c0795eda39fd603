"""The PDF export benchmark (issue 7: "PDF export time for a member with two years of
weekly sessions"), run by the orchestrator on the full data set as
``python -m kindred.bench.pdf --out FILE``.

It builds one such member in the benchmark's database — a closed group of eight that
met weekly for two years (104 sessions, all past), with the seeders the scale data set
uses: attendance at every session, questionnaires with their scores, signed notes
(the group note, a member note or an absence entry each), charges from the attendance
and payments — then times, ``--runs`` times each, the member's record export as a PDF
(``records.export.record_export``, as a practice admin) and a superbill for the same two
years (``billing.pdf.superbill_export``, as the billing person): p50 and max seconds,
pages and bytes. Both are audited as they would be in use.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindred.bench.stats import percentiles

if TYPE_CHECKING:
    from kindred.clients.models import Client
    from kindred.groups.models import TherapyGroup

WEEKS = 104
MEMBERS = 8
RUNS = 5
SEED = 2026
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FIRST_NAMES = ("Rowan", "Quinn", "Emery", "Harlow", "Marlowe", "Oakley", "Sutton", "Tamsin")
_PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def pdf_pages(content: bytes) -> int:
    """The number of page objects in a PDF, plain or inside compressed object streams
    (WeasyPrint packs them there)."""
    found = len(_PAGE.findall(content))
    for stream in _STREAM.findall(content):
        try:
            found += len(_PAGE.findall(zlib.decompress(stream)))
        except zlib.error:
            continue  # not a Flate stream (an image, a font)
    return found


def _group(today: date, weeks: int) -> TherapyGroup:
    """A closed weekly group whose ``weeks`` sessions all lie in the past (the last one
    yesterday), led by the first seeded clinician."""
    from datetime import time as clock

    from kindred.groups.models import GroupFormat, GroupModality, GroupStatus, TherapyGroup
    from kindred.practice.models import ClinicianProfile

    lead = ClinicianProfile.objects.order_by("id").values_list("pk", flat=True).first()
    if lead is None:
        raise SystemExit("No clinician in the database: run seed_scale first.")
    first = today - timedelta(days=1) - timedelta(weeks=weeks - 1)
    return TherapyGroup.objects.create(
        name="Bench two-year group",
        slug=f"bench-two-years-{first.isoformat()}",
        description="A synthetic group for the PDF export benchmark.",
        format=GroupFormat.CLOSED,
        modality=GroupModality.VIRTUAL,
        lead_facilitator_id=lead,
        min_size=4,
        max_size=MEMBERS + 2,
        session_minutes=90,
        recurrence=f"FREQ=WEEKLY;BYDAY={DAYS[first.weekday()]};COUNT={weeks}",
        start_date=first,
        start_time=clock(18, 0),
        timezone="America/Chicago",
        fee_cents=6000,
        status=GroupStatus.ACTIVE,
    )


def _members(group: TherapyGroup, since: datetime) -> list[Client]:
    """Eight new clients (through the service) with a place in ``group`` from a week
    before its first session."""
    from kindred.clients.services import client_create
    from kindred.groups.models import Enrollment, EnrollmentStatus

    clients = [
        client_create(
            actor=None,
            legal_first_name=first,
            legal_last_name="Benchrecord",
            date_of_birth=date(1985, 1 + n, 10 + n),
            state_of_residence="IL",
            email=f"{first.lower()}.benchrecord@bench.example.test",
        )
        for n, first in enumerate(FIRST_NAMES[:MEMBERS])
    ]
    Enrollment.objects.bulk_create(
        Enrollment(
            group=group,
            client=client,
            status=EnrollmentStatus.ACTIVE,
            invited_at=since - timedelta(days=14),
            activated_at=since - timedelta(days=7),
        )
        for client in clients
    )
    return clients


def build_member(*, weeks: int = WEEKS, seed: int = SEED) -> dict[str, Any]:
    """The group, its sessions and everything recorded at them (see the module
    docstring); returns the member and what their record holds."""
    from django.db import transaction
    from django.utils import timezone

    from kindred.billing.models import Charge, Payment
    from kindred.core.seeding.attendance import seed_attendance
    from kindred.core.seeding.billing import seed_scale_billing
    from kindred.core.seeding.measures import seed_scale_questionnaires
    from kindred.core.seeding.notes import seed_scale_notes
    from kindred.measures.models import Administration, AdministrationStatus
    from kindred.notes.models import MemberNote
    from kindred.practice.roles import Role
    from kindred.scheduling.generation import generate_for_groups
    from kindred.scheduling.models import Attendance, GroupSession

    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        group = _group(timezone.localdate(), weeks)
        since = datetime.combine(group.start_date, group.start_time, tzinfo=now.tzinfo)
        generate_for_groups([group], since=since - timedelta(days=1), until=now, now=now)
        clients = _members(group, since)
        seed_attendance([group.pk], now=now, seed=seed)
        seed_scale_questionnaires(group_ids=[group.pk], seed=seed, now=now)
        seed_scale_notes([group.pk], now=now, seed=seed)
        from kindred.accounts.models import RoleGrant

        billing_ids = list(
            RoleGrant.objects.filter(role=Role.BILLING).values_list("user_id", flat=True)[:4]
        )
        seed_scale_billing([group.pk], billing_ids=billing_ids, now=now, seed=seed)
    member = clients[0]
    sessions = GroupSession.objects.filter(group=group)
    return {
        "client": member,
        "start": group.start_date,
        "end": timezone.localdate(),
        "build_seconds": round(time.perf_counter() - started, 2),
        "sessions": sessions.count(),
        "attendance": Attendance.objects.filter(client=member, session__group=group).count(),
        "member_notes": MemberNote.objects.filter(client=member, session__group=group).count(),
        "questionnaires": Administration.objects.filter(
            client=member, status=AdministrationStatus.COMPLETED
        ).count(),
        "charges": Charge.objects.filter(client=member).count(),
        "payments": Payment.objects.filter(client=member).count(),
    }


def _timed(make: Any, runs: int) -> dict[str, Any]:
    seconds: list[float] = []
    content = b""
    for _ in range(runs):
        started = time.perf_counter()
        content = make()
        seconds.append(time.perf_counter() - started)
    stats = percentiles(seconds)
    return {
        "runs": runs,
        "p50_seconds": round(stats["p50"], 3),
        "max_seconds": round(stats["max"], 3),
        "seconds": [round(s, 3) for s in seconds],
        "pages": pdf_pages(content),
        "bytes": len(content),
    }


def measure(*, weeks: int = WEEKS, runs: int = RUNS) -> dict[str, Any]:
    from kindred.bench.inprocess import bench_people
    from kindred.billing.pdf import superbill_export
    from kindred.records.export import record_export

    people = bench_people()
    built = build_member(weeks=weeks)
    client, start, end = built.pop("client"), built["start"], built["end"]

    def record() -> bytes:
        return record_export(
            actor=people["admin"],
            client=client,
            start=start,
            end=end,
            fmt="pdf",
            purpose="member_request",
        ).content

    def superbill() -> bytes:
        return superbill_export(actor=people["billing"], client=client, start=start, end=end)

    # The first export also imports WeasyPrint and loads its fonts, as a worker's first
    # PDF would: reported apart, not among the runs.
    started = time.perf_counter()
    record()
    first = time.perf_counter() - started
    return {
        "member": {**built, "start": start.isoformat(), "end": end.isoformat()},
        "first_export_seconds": round(first, 3),
        "record_pdf": _timed(record, runs),
        "superbill_pdf": _timed(superbill, runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.bench.pdf")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weeks", type=int, default=WEEKS)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    import django

    django.setup()
    result = measure(weeks=args.weeks, runs=args.runs)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
