"""The in-process phase: query counts and single-user latency through Django's test
client, on whatever database the environment names.

Run by the orchestrator as ``python -m kindred.bench.inprocess --out FILE`` with the
benchmark environment set; it also creates the benchmark's own signed-in people and
hands their session cookies to the HTTP phase (in FILE, which the orchestrator deletes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindred.bench.stats import percentiles
from kindred.bench.targets import TARGETS, Target, fill

if TYPE_CHECKING:
    from django.test import Client as HttpClient

    from kindred.accounts.models import User

BENCH_DOMAIN = "bench.example.test"
# Paging size of the web list and the API (kindred.web.paging, kindred.api.pagination).
PAGE_SIZE = 50
QUERY_SAMPLES = 3


def bench_people() -> dict[str, User]:
    """One signed-in person per actor the targets need, made through the real services
    (staff with a TOTP authenticator, as every real staff member has)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.utils import timezone

    from kindred.accounts.models import User, UserKind
    from kindred.accounts.services import staff_create
    from kindred.clients.services import client_create
    from kindred.practice.roles import Role

    people: dict[str, User] = {}
    for actor, role in (
        ("admin", Role.ADMIN),
        ("coordinator", Role.COORDINATOR),
        ("billing", Role.BILLING),
    ):
        email = f"{actor}@{BENCH_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = staff_create(
                actor=None, email=email, full_name=f"Bench {actor.title()}", roles=[role]
            )
            TOTP.activate(user, generate_totp_secret())
        people[actor] = user
    member = User.objects.filter(email=f"member@{BENCH_DOMAIN}").first()
    if member is None:
        client = client_create(
            actor=None,
            legal_first_name="Bench",
            legal_last_name="Member",
            date_of_birth=timezone.localdate().replace(year=1990, month=6, day=15),
            state_of_residence="IL",
            email=f"member@{BENCH_DOMAIN}",
        )
        member = User.objects.create_user(
            client.email, None, full_name=client.display_name, kind=UserKind.MEMBER
        )
        client.user = member
        client.save(update_fields=["user"])
    people["member"] = member
    return people


def busiest_session() -> tuple[int, int] | None:
    """(session id, lead clinician's user id) of the recent held session with the most
    attendance rows: the attendance sheet a facilitator opens after a full session."""
    from datetime import timedelta

    from django.db.models import Count
    from django.utils import timezone

    from kindred.scheduling.models import GroupSession, SessionStatus

    now = timezone.now()
    found = (
        GroupSession.objects.filter(
            status=SessionStatus.SCHEDULED,
            starts_at__lte=now,
            starts_at__gte=now - timedelta(days=14),
        )
        .annotate(rows=Count("attendance"))
        .order_by("-rows", "-starts_at", "id")
        .values_list("pk", "group__lead_facilitator__user_id")
        .first()
    )
    return (found[0], found[1]) if found else None


def outcome_values(session_id: int) -> dict[str, str]:
    """The group of the busiest session (its dashboard) and the member of it with the
    most answered questionnaires (their outcomes chart)."""
    from django.db.models import Count, Q

    from kindred.groups.models import Enrollment
    from kindred.measures.models import AdministrationStatus
    from kindred.scheduling.models import GroupSession

    group_id = GroupSession.objects.filter(pk=session_id).values_list("group_id", flat=True)[0]
    member = (
        Enrollment.objects.filter(group_id=group_id)
        .annotate(
            answered=Count(
                "client__administrations",
                filter=Q(client__administrations__status=AdministrationStatus.COMPLETED),
            )
        )
        .order_by("-answered", "client_id")
        .values_list("client_id", flat=True)
        .first()
    )
    values = {"group_id": str(group_id)}
    if member is not None:
        values["member_client_id"] = str(member)
    return values


def bench_facilitator(user_id: int) -> User:
    """A seeded clinician's account, with the TOTP authenticator every staff member
    has (so the two-factor middleware lets it through)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from kindred.accounts.models import User

    user = User.objects.get(pk=user_id)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    return user


def intake_values() -> dict[str, str]:
    """The open waitlist entry with the longest contact log (the entry page a
    coordinator works on), and the state where most people wait (the filtered list)."""
    from django.db.models import Count

    from kindred.intake.models import OPEN_WAITLIST_STATUSES, WaitlistEntry

    open_entries = WaitlistEntry.objects.filter(status__in=OPEN_WAITLIST_STATUSES)
    entry = (
        open_entries.annotate(logged=Count("contacts"))
        .order_by("-logged", "id")
        .values_list("pk", flat=True)
        .first()
    )
    state = (
        open_entries.values("client__state_of_residence")
        .annotate(n=Count("id"))
        .order_by("-n", "client__state_of_residence")
        .values_list("client__state_of_residence", flat=True)
        .first()
    )
    values = {"waitlist_state": state or "IL"}
    if entry is not None:
        values["entry_id"] = str(entry)
    return values


def billing_values() -> dict[str, str]:
    """The member with the longest billing ledger (most charges): the ledger page a
    billing person opens at its worst."""
    from django.db.models import Count

    from kindred.billing.models import Charge

    found = (
        Charge.objects.values("client_id")
        .annotate(n=Count("id"))
        .order_by("-n", "client_id")
        .values_list("client_id", flat=True)
        .first()
    )
    return {"ledger_client_id": str(found)} if found is not None else {}


def matching_values(coordinator: User, state: str) -> dict[str, str]:
    """The latest finished matching run (its proposal page). When there is none, the
    coordinator runs matching once, synchronously, over one state and concern (a small
    run, in the benchmark's own database: a proposal changes nothing by itself)."""
    from django.db.models import Count

    from kindred.core.errors import KindredError
    from kindred.intake.models import OPEN_WAITLIST_STATUSES, WaitlistEntry
    from kindred.intake.selectors import STATUS_OPEN, WaitlistFilters
    from kindred.matching.models import MatchRun, RunStatus
    from kindred.matching.services import match_run_start

    latest = (
        MatchRun.objects.filter(status=RunStatus.FINISHED)
        .order_by("-started_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if latest is None:
        concern = (
            WaitlistEntry.objects.filter(
                status__in=OPEN_WAITLIST_STATUSES, client__state_of_residence=state
            )
            .values("client__concerns")
            .annotate(n=Count("id"))
            .order_by("-n", "client__concerns")
            .values_list("client__concerns", flat=True)
            .first()
        )
        filters = WaitlistFilters(state=state, concern=concern, status=STATUS_OPEN)
        try:
            latest = match_run_start(actor=coordinator, filters=filters).pk
        except KindredError:
            return {}
    return {"run_id": str(latest)}


def measured_member(client_id: int) -> User:
    """The portal account of the member with the most answered questionnaires. Seeded
    accounts are switched off; the benchmark switches this one on (its own database)."""
    from kindred.accounts.models import User, UserKind
    from kindred.clients.models import Client

    client = Client.objects.select_related("user").get(pk=client_id)
    user = client.user
    if user is None:
        user = User.objects.create_user(
            f"measured{client.pk}@{BENCH_DOMAIN}",
            None,
            full_name=client.display_name,
            kind=UserKind.MEMBER,
        )
        client.user = user
        client.save(update_fields=["user"])
    elif not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def space_values() -> tuple[dict[str, str], int | None, int | None]:
    """The group space with the most posts and its longest conversation, with the user
    ids of its lead facilitator and of the member who wrote most there (whose switched-off
    account the benchmark switches on, in its own database). Empty when nothing was
    seeded in any space."""
    from django.db.models import Count

    from kindred.groups.models import EnrollmentStatus
    from kindred.space.models import DisplayName, Post, Thread

    busiest = (
        Post.objects.values("space_id")
        .annotate(n=Count("id"))
        .order_by("-n", "space_id")
        .values_list("space_id", "space__group_id", "space__group__lead_facilitator__user_id")
        .first()
    )
    if busiest is None:
        return {}, None, None
    space_id, group_id, lead = busiest
    thread = (
        Thread.objects.filter(space_id=space_id)
        .annotate(n=Count("posts"))
        .order_by("-n", "id")
        .values_list("pk", flat=True)
        .first()
    )
    active = DisplayName.objects.filter(
        space_id=space_id,
        user__client__enrollments__group_id=group_id,
        user__client__enrollments__status=EnrollmentStatus.ACTIVE,
    ).values_list("user_id", flat=True)
    writer = (
        Post.objects.filter(space_id=space_id, author_id__in=active)
        .values("author_id")
        .annotate(n=Count("id"))
        .order_by("-n", "author_id")
        .values_list("author_id", flat=True)
        .first()
    )
    values = {"space_group_id": str(group_id), "space_thread_id": str(thread)}
    return values, lead, writer


def space_member(user_id: int) -> User:
    """A seeded member's account, switched on (seeded accounts are off)."""
    from kindred.accounts.models import User

    user = User.objects.get(pk=user_id)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def path_values() -> dict[str, str]:
    """A client in the middle of the table, a surname shared by many clients, and the
    middle page of the list: realistic, and the same on every run of one data set."""
    from django.db.models import Count

    from kindred.clients.models import Client

    total = Client.objects.count()
    middle = Client.objects.order_by("id").values_list("id", flat=True)[total // 2]
    common = (
        Client.objects.values("legal_last_name")
        .annotate(n=Count("id"))
        .order_by("-n", "legal_last_name")
        .first()
    )
    surname = common["legal_last_name"] if common else "Garcia"
    return {
        "client_id": str(middle),
        "search": surname.lower(),
        "page": str(max(1, (total // PAGE_SIZE) // 2)),
    }


def unavailable_reason(path: str) -> str | None:
    """Why a route cannot be measured yet (missing, or still the placeholder)."""
    from django.urls import Resolver404, resolve

    from kindred.web.placeholder import placeholder

    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return f"no route for {path.split('?', 1)[0]} yet"
    if match.func is placeholder:
        return f"{path.split('?', 1)[0]} is still the 'being built' placeholder"
    return None


def signed_in_client(user: User | None) -> HttpClient:
    from django.test import Client as HttpClient

    http = HttpClient(HTTP_X_FORWARDED_PROTO="https")
    if user is not None:
        http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return http


def _get(http: HttpClient, path: str) -> Any:
    return http.get(path, secure=True)


def measure_target(http: HttpClient, path: str, *, requests: int, warmup: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = _get(http, path)
    if response.status_code != 200:
        location = response.get("Location", "")
        return {"error": f"status {response.status_code} {location}".strip()}
    for _ in range(warmup):
        _get(http, path)
    counts = []
    for _ in range(QUERY_SAMPLES):
        with CaptureQueriesContext(connection) as captured:
            _get(http, path)
        counts.append(len(captured.captured_queries))
    samples = []
    for _ in range(requests):
        started = time.perf_counter_ns()
        _get(http, path)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": max(counts),
        "queries_min": min(counts),
        "latency_ms": percentiles(samples),
    }


def measure(
    targets: tuple[Target, ...] = TARGETS,
    *,
    people: dict[str, User],
    values: dict[str, str],
    requests: int,
    warmup: int,
) -> dict[str, dict[str, Any]]:
    """Query count and in-process latency of every target that exists."""
    clients = {actor: signed_in_client(user) for actor, user in people.items()}
    clients["anonymous"] = signed_in_client(None)
    results: dict[str, dict[str, Any]] = {}
    for target in targets:
        if target.actor not in clients:
            results[target.name] = {"path": target.path, "skipped": "no session to measure"}
            continue
        try:
            path = fill(target, values)
        except KeyError as missing:
            results[target.name] = {"path": target.path, "skipped": f"no {missing} in the data"}
            continue
        reason = unavailable_reason(path)
        if reason:
            results[target.name] = {"path": path, "skipped": reason}
            continue
        result = measure_target(clients[target.actor], path, requests=requests, warmup=warmup)
        results[target.name] = {"path": path, **result}
    return results


def session_cookies(people: dict[str, User]) -> dict[str, str]:
    """A ``Cookie`` header value per actor, for the HTTP phase."""
    from django.conf import settings

    from kindred.practice.models import Practice

    # The HTTP phase takes each person's cookie up when their targets come round, which
    # on a slow run is more than the 15-minute staff idle time after it was made: the
    # benchmark's own practice gets the longest idle time-out the settings allow (12 h),
    # so no target is measured as a redirect to the sign-in page.
    Practice.objects.update(staff_idle_minutes=720, member_idle_minutes=720)
    cookies: dict[str, str] = {"anonymous": ""}
    for actor, user in people.items():
        http = signed_in_client(user)
        # One request through the middleware records that two-factor is in place, so
        # the first measured HTTP request is like every later one.
        _get(http, "/home/")
        cookies[actor] = (
            f"{settings.SESSION_COOKIE_NAME}={http.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return cookies


def dataset_rows() -> dict[str, int]:
    from kindred.accounts.models import User
    from kindred.audit.models import AuditEvent
    from kindred.billing.models import Charge, Payment
    from kindred.clients.models import AvailabilityWindow, Client
    from kindred.groups.models import Enrollment, TherapyGroup
    from kindred.notes.models import AbsenceEntry, GroupNote, MemberNote
    from kindred.practice.models import ClinicianProfile, License, Location, Room
    from kindred.scheduling.models import Attendance, GroupSession
    from kindred.space.models import Post, Reaction, ReadMarker, Thread

    return {
        "groups": TherapyGroup.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "sessions": GroupSession.objects.count(),
        "attendance": Attendance.objects.count(),
        "clients": Client.objects.count(),
        "availability_windows": AvailabilityWindow.objects.count(),
        "client_concerns": Client.concerns.through.objects.count(),
        "users": User.objects.count(),
        "clinicians": ClinicianProfile.objects.count(),
        "licenses": License.objects.count(),
        "locations": Location.objects.count(),
        "rooms": Room.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "group_notes": GroupNote.objects.count(),
        "member_notes": MemberNote.objects.count(),
        "absence_entries": AbsenceEntry.objects.count(),
        "charges": Charge.objects.count(),
        "payments": Payment.objects.count(),
        "space_threads": Thread.objects.count(),
        "space_posts": Post.objects.count(),
        "space_reactions": Reaction.objects.count(),
        "space_read_markers": ReadMarker.objects.count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.bench.inprocess")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--cookies", action="store_true", help="also write session cookies")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    import django

    django.setup()
    people, values = prepare()
    rows = dataset_rows()
    results = measure(people=people, values=values, requests=args.requests, warmup=args.warmup)
    payload: dict[str, Any] = {"rows": rows, "values": values, "targets": results}
    if args.cookies:
        payload["cookies"] = session_cookies(people)
    args.out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


def prepare() -> tuple[dict[str, User], dict[str, str]]:
    """The benchmark's signed-in people and the values its target paths are filled
    with, found in (or added to) the database the environment names."""
    people = bench_people()
    values = path_values()
    busiest = busiest_session()
    if busiest is not None:
        values["session_id"] = str(busiest[0])
        values.update(outcome_values(busiest[0]))
        people["facilitator"] = bench_facilitator(busiest[1])
        if "member_client_id" in values:
            people["measured_member"] = measured_member(int(values["member_client_id"]))
    values.update(intake_values())
    values.update(billing_values())
    values.update(matching_values(people["coordinator"], values["waitlist_state"]))
    found, lead, writer = space_values()
    values.update(found)
    if lead is not None:
        people["space_facilitator"] = bench_facilitator(lead)
    if writer is not None:
        people["space_member"] = space_member(writer)
    return people, values


if __name__ == "__main__":
    sys.exit(main())
