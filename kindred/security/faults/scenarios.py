"""The faults, one function each, against a ``Stack`` (the run's own PostgreSQL, Redis,
gunicorn and provider mocks; see infra.py). Each returns its figures and findings.

Every loop is bounded in count and in time; only loopback addresses are used.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from kindred.security.faults.client import Answer, Browser
from kindred.security.faults.infra import (
    Gunicorn,
    PgCluster,
    RedisServer,
    SmallDisk,
    SmsProviderMock,
    SmtpSink,
    TaskWorker,
    manage,
    wait_for,
)
from kindred.security.faults.ledger import CONNECTION_ERROR, Ledger, Write, reconcile
from kindred.security.faults.setup import Fixture, Phq9

# Answers worth sending again with the same key: unavailable, server error, the key's
# first request still running (409 from the idempotency middleware), too many requests.
RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
# Honour Retry-After, but never wait longer than this between two tries.
RETRY_WAIT_CAP = 2.0


@dataclass
class Stack:
    base: Path
    pg: PgCluster
    redis: RedisServer
    smtp: SmtpSink
    sms: SmsProviderMock
    env: dict[str, str]
    web: Gunicorn
    fixture: Fixture
    findings: list[dict[str, Any]] = field(default_factory=list)

    def finding(self, fault: str, severity: str, text: str, **detail: Any) -> None:
        self.findings.append({"fault": fault, "severity": severity, "finding": text, **detail})


def close_db() -> None:
    """Drop this process's database connections (after the cluster restarted)."""
    from django.db import connections

    for conn in connections.all():
        conn.close()


def _retry_wait(answer: Answer | None, attempt: int) -> float:
    if answer is not None:
        try:
            asked = float(answer.headers.get("retry-after", "0"))
        except ValueError:
            asked = 0.0
        if asked > 0:
            return min(asked, RETRY_WAIT_CAP)
    return min(0.2 * 2.0 ** min(attempt, 8), RETRY_WAIT_CAP)


def send_until_answered(
    ledger: Ledger,
    write: Write,
    send: Callable[[], Answer],
    *,
    deadline: float,
    lose_first_answer: bool = False,
) -> Answer | None:
    """Send ``write`` until a final answer (2xx, or a 4xx that is not worth repeating),
    retrying the same request (same key) on 5xx, 409, 429 and connection errors; stop
    at ``deadline`` (monotonic). ``lose_first_answer`` plays a network that drops the
    first answer after the server sent it (the broken-variant check)."""
    attempt = 0
    answer: Answer | None = None
    while time.monotonic() < deadline and attempt < 200:
        try:
            answer = send()
        except OSError:
            ledger.answer(write, CONNECTION_ERROR)
            answer = None
        else:
            if lose_first_answer and attempt == 0:
                ledger.answer(write, CONNECTION_ERROR)  # the client never saw it
                attempt += 1
                continue
            ledger.answer(write, answer.status)
            if answer.status not in RETRY_STATUSES:
                return answer
        time.sleep(_retry_wait(answer, attempt))
        attempt += 1
    return answer


def stored_payloads(thread_id: int, prefix: str) -> list[str]:
    from kindred.space.models import Post

    close_db()
    return list(
        Post.objects.filter(thread_id=thread_id, body__startswith=prefix).values_list(
            "body", flat=True
        )
    )


# --- PHQ-9 item 9 under a fault ----------------------------------------------------------


@dataclass
class Phq9Attempt:
    fault: str
    browser: Browser
    phq9: Phq9
    key: str = field(default_factory=lambda: f"phq9-{uuid.uuid4()}")
    statuses: list[int | str] = field(default_factory=list)
    answer: Answer | None = None
    thread: threading.Thread | None = None


def phq9_signed_in(stack: Stack, fault: str, port: int | None = None) -> Phq9Attempt:
    phq9 = stack.fixture.phq9[fault]
    browser = Browser(port or stack.web.port)
    answer = browser.sign_in(phq9.email, stack.fixture.password)
    if answer.status not in {301, 302}:
        raise RuntimeError(f"member sign-in for the PHQ-9 ({fault}) answered {answer.status}")
    return Phq9Attempt(fault=fault, browser=browser, phq9=phq9)


def phq9_submit(attempt: Phq9Attempt, *, seconds: float) -> None:
    """Submit the PHQ-9 (item 9 answered 2) with one Idempotency-Key, retrying until an
    answer that is final (bounded by ``seconds``); runs in its own thread."""
    ledger = Ledger()
    write = ledger.begin(attempt.key, attempt.key)
    path = f"/api/v1/me/questionnaires/{attempt.phq9.administration_id}/submit/"
    payload = {"version": attempt.phq9.version, "answers": attempt.phq9.answers}

    def run() -> None:
        attempt.answer = send_until_answered(
            ledger,
            write,
            lambda: attempt.browser.send_json("POST", path, payload, key=attempt.key),
            deadline=time.monotonic() + seconds,
        )
        attempt.statuses = list(write.outcomes)

    attempt.thread = threading.Thread(target=run, name=f"phq9-{attempt.fault}", daemon=True)
    attempt.thread.start()


def phq9_result(attempt: Phq9Attempt, *, timeout: float = 120) -> dict[str, Any]:
    from kindred.measures.models import Administration, SafetyAlert

    if attempt.thread is not None:
        attempt.thread.join(timeout)
    close_db()
    alerts = SafetyAlert.objects.filter(administration_id=attempt.phq9.administration_id)
    status = (
        Administration.objects.filter(pk=attempt.phq9.administration_id)
        .values_list("status", flat=True)
        .first()
    )
    crisis = None
    if attempt.answer is not None and attempt.answer.status == 200:
        crisis = attempt.answer.json().get("crisis_resources") is not None
    counts = Counter(str(s) for s in attempt.statuses)
    return {
        "attempts": len(attempt.statuses),
        "answers": dict(sorted(counts.items())),
        "final_status": attempt.answer.status if attempt.answer else None,
        "administration_status": status,
        "crisis_resources_shown": crisis,
        "safety_alerts": alerts.count(),
        "flag_codes": sorted(alerts.values_list("flag_code", flat=True)),
    }


# --- Fault 1: PostgreSQL crash under write load ------------------------------------------


def pg_crash(  # noqa: PLR0915 - one fault, step by step
    stack: Stack,
    *,
    writers: int,
    before_s: float,
    outage_s: float,
    after_s: float,
    drain_s: float,
) -> dict[str, Any]:
    fixture = stack.fixture
    run_id = uuid.uuid4().hex[:8]
    prefix = f"ledger {run_id} "
    ledger = Ledger()
    stop = threading.Event()
    path = f"/api/v1/space/threads/{fixture.thread_id}/posts/"
    missing_retry_after = Counter[str]()
    lock = threading.Lock()
    first_ok_after_restart: list[float] = []
    restarted_at: list[float] = []

    def writer(n: int) -> None:
        browser = Browser(stack.web.port, timeout=20)
        browser.bearer = fixture.facilitator_token
        seq = 0
        hard_stop = time.monotonic() + before_s + outage_s + after_s + drain_s + 60
        while not stop.is_set() and seq < 5000 and time.monotonic() < hard_stop:
            seq += 1
            payload = f"{prefix}w{n}-{seq}"
            write = ledger.begin(payload, f"fault-{uuid.uuid4()}")

            def send(write: Write = write) -> Answer:
                answer = browser.send_json("POST", path, {"body": write.payload}, key=write.key)
                if answer.status == 503 and not answer.headers.get("retry-after"):
                    with lock:
                        missing_retry_after["503 without Retry-After"] += 1
                if 200 <= answer.status < 300 and restarted_at:
                    with lock:
                        if not first_ok_after_restart:
                            first_ok_after_restart.append(time.monotonic())
                return answer

            send_until_answered(ledger, write, send, deadline=time.monotonic() + drain_s + 30)

    phq9 = phq9_signed_in(stack, "pg_crash")
    threads = [
        threading.Thread(target=writer, args=(n,), name=f"writer-{n}", daemon=True)
        for n in range(writers)
    ]
    for t in threads:
        t.start()
    time.sleep(before_s)
    crashed_at = time.monotonic()
    stack.pg.crash()
    phq9_submit(phq9, seconds=outage_s + after_s + drain_s + 30)
    time.sleep(outage_s)
    restart_s = stack.pg.start()
    restarted_at.append(time.monotonic())
    outage = restarted_at[0] - crashed_at
    time.sleep(after_s)
    stop.set()
    for t in threads:
        t.join(drain_s + 60)
    still_running = sum(t.is_alive() for t in threads)

    result = reconcile(ledger.writes, stored_payloads(fixture.thread_id, prefix))
    figures = result.as_dict()
    figures["after_abandon_window"] = retry_stuck_keys(stack, ledger, path, prefix)
    figures.update(
        {
            "writers": writers,
            "outage_seconds": round(outage, 2),
            "postgres_restart_seconds": round(restart_s, 2),
            "recovery_seconds": (
                round(first_ok_after_restart[0] - restarted_at[0], 2)
                if first_ok_after_restart
                else None
            ),
            "answered_503_without_retry_after": missing_retry_after["503 without Retry-After"],
            "writers_still_running": still_running,
            "postgres_recovery_log": stack.pg.recovery_lines()[-4:],
        }
    )
    figures["phq9"] = phq9_result(phq9)
    if result.lost:
        stack.finding("pg_crash", "high", "acknowledged writes lost", lost=result.lost)
    if result.duplicates:
        stack.finding("pg_crash", "high", "writes stored twice", duplicates=result.duplicates)
    if result.server_errors:
        stack.finding(
            "pg_crash",
            "medium",
            "answers of 5xx other than 503 during the outage (should be 503 + Retry-After)",
            server_errors=result.server_errors,
        )
    late = figures["after_abandon_window"]
    if late["duplicates"]:
        stack.finding(
            "pg_crash",
            "high",
            "a write whose key was left 'in progress' by the crash is stored twice when "
            "its client retries after ABANDONED_AFTER (kindred/api/idempotency.py): the "
            "view's writes commit apart from the key's answer",
            duplicates=late["duplicates"],
        )
    if figures["answered_503_without_retry_after"]:
        stack.finding("pg_crash", "low", "503 without Retry-After")
    if result.unacknowledged_missing:
        stack.finding(
            "pg_crash",
            "medium",
            "writes never acknowledged within the retry window (the client cannot tell "
            "whether they happened)",
            count=result.unacknowledged_missing,
        )
    return figures


def retry_stuck_keys(stack: Stack, ledger: Ledger, path: str, prefix: str) -> dict[str, Any]:
    """Writes still answered 409 ("in progress") at the end: their request died with
    the database, leaving the key claimed but unfinished. The middleware treats such a
    key as abandoned after ``ABANDONED_AFTER``; the run moves those rows' clock that far
    back (instead of waiting) and retries each once with its key, then reconciles
    again."""
    from django.db.models import F

    from kindred.api.idempotency import ABANDONED_AFTER
    from kindred.api.models import IdempotencyKey

    stuck = [
        w for w in ledger.writes if not w.acknowledged and w.outcomes and w.outcomes[-1] == 409
    ]
    if not stuck:
        return {"stuck_keys": 0, "retried": 0, "acknowledged": 0, "duplicates": 0, "lost": 0}
    close_db()
    aged = IdempotencyKey.objects.filter(
        key__in=[w.key for w in stuck], status_code__isnull=True
    ).update(created_at=F("created_at") - ABANDONED_AFTER - timedelta(minutes=1))
    browser = Browser(stack.web.port)
    browser.bearer = stack.fixture.facilitator_token
    for write in stuck:
        send_until_answered(
            ledger,
            write,
            lambda w=write: browser.send_json(  # type: ignore[misc]
                "POST", path, {"body": w.payload}, key=w.key
            ),
            deadline=time.monotonic() + 30,
        )
    after = reconcile(ledger.writes, stored_payloads(stack.fixture.thread_id, prefix))
    return {
        "stuck_keys": len(stuck),
        "aged": aged,
        "acknowledged": sum(1 for w in stuck if w.acknowledged),
        "duplicates": after.duplicates,
        "lost": after.lost,
        "duplicated_examples": after.duplicated_payloads[:5],
    }


# --- The broken variant: a writer that retries without the key -------------------------


def broken_variant(stack: Stack, *, writes: int) -> dict[str, Any]:
    """Each write's first answer is dropped on the way back and the write is sent again:
    with its Idempotency-Key the server replays the first answer (no duplicate); without
    one (the broken writer) the post is stored twice, and the reconciliation must say
    so. Proves the reconciler can fail."""
    fixture = stack.fixture
    path = f"/api/v1/space/threads/{fixture.thread_id}/posts/"
    out: dict[str, Any] = {}
    for label, keyed in (("with_key", True), ("without_key", False)):
        prefix = f"lossy {label} {uuid.uuid4().hex[:8]} "
        ledger = Ledger()
        browser = Browser(stack.web.port)
        browser.bearer = fixture.facilitator_token
        for i in range(writes):
            write = ledger.begin(f"{prefix}{i}", f"lossy-{uuid.uuid4()}" if keyed else None)
            send_until_answered(
                ledger,
                write,
                lambda w=write, b=browser: b.send_json(  # type: ignore[misc]
                    "POST", path, {"body": w.payload}, key=w.key
                ),
                deadline=time.monotonic() + 30,
                lose_first_answer=True,
            )
        out[label] = reconcile(ledger.writes, stored_payloads(fixture.thread_id, prefix)).as_dict()
    caught = out["without_key"]["duplicates"] > 0 and out["with_key"]["duplicates"] == 0
    out["broken_variant_caught"] = caught
    if not caught:
        stack.finding(
            "broken_variant",
            "high",
            "the reconciliation did not tell the keyed writer from the broken one",
        )
    return out


# --- Fault 2: Redis down ----------------------------------------------------------------


def redis_down(stack: Stack, *, page_rounds: int) -> dict[str, Any]:
    from axes.models import AccessFailureLog

    fixture = stack.fixture
    port = stack.web.port
    phq9 = phq9_signed_in(stack, "redis_down")
    stack.redis.kill()
    killed = time.monotonic()
    statuses: dict[str, Counter[str]] = {}

    def note(name: str, answer: Answer | None) -> None:
        statuses.setdefault(name, Counter())[str(answer.status if answer else "error")] += 1

    phq9_submit(phq9, seconds=60)
    # Sign-in: a member, a staff member with two-factor, and django-axes still counting
    # failures (three wrong passwords, then the right one).
    member = Browser(port)
    note("member_sign_in", member.sign_in(fixture.member_email, fixture.password))
    close_db()
    failures_before = AccessFailureLog.objects.filter(username=fixture.lockout_probe_email).count()
    probe = Browser(port)
    for _ in range(3):
        note("wrong_password", probe.sign_in(fixture.lockout_probe_email, "not the password"))
    close_db()
    failures_after = AccessFailureLog.objects.filter(username=fixture.lockout_probe_email).count()
    note("sign_in_after_failures", probe.sign_in(fixture.lockout_probe_email, fixture.password))
    staff = Browser(port)
    note(
        "staff_sign_in_with_totp",
        staff.sign_in(
            fixture.facilitator_email, fixture.password, totp_secret=fixture.facilitator_totp
        ),
    )
    pages = {
        "client_chart": (staff, f"/clients/{fixture.client_id}/"),
        "attendance_sheet": (staff, f"/sessions/{fixture.session_id}/attendance/"),
        "staff_home": (staff, "/home/"),
        "member_home": (member, "/home/member/"),
        "member_questionnaires_api": (member, "/api/v1/me/questionnaires/"),
    }
    for _ in range(page_rounds):
        for name, (browser, path) in pages.items():
            try:
                note(name, browser.get_following(path))
            except OSError:
                note(name, None)
    down_for = time.monotonic() - killed
    phq9_figures = phq9_result(phq9)
    stack.redis.start()
    sign_ins_ok = (
        statuses["member_sign_in"].get("302", 0) == 1
        and statuses["sign_in_after_failures"].get("302", 0) == 1
        and statuses["staff_sign_in_with_totp"].get("302", 0) == 1
        and statuses["wrong_password"].get("200", 0) == 3
    )
    pages_ok = all(statuses[name].get("200", 0) == page_rounds for name in pages)
    figures: dict[str, Any] = {
        "redis_down_seconds": round(down_for, 2),
        "answers": {k: dict(v) for k, v in statuses.items()},
        "pages_requested": page_rounds * len(pages),
        "pages_ok": sum(statuses[name].get("200", 0) for name in pages),
        "axes_failures_recorded": failures_after - failures_before,
        "sign_in_ok": sign_ins_ok,
        "pages_all_200": pages_ok,
        "phq9": phq9_figures,
    }
    if not sign_ins_ok or failures_after - failures_before != 3:
        stack.finding("redis_down", "high", "sign-in did not work as usual with Redis down")
    if not pages_ok:
        stack.finding("redis_down", "high", "a clinical page did not answer 200 with Redis down")
    return figures


# --- Fault 3: task worker killed mid-batch -----------------------------------------------


def worker_killed(  # noqa: PLR0915 - one fault, step by step
    stack: Stack, *, groups: int, members_per_group: int, kill_at: float, finish_s: float
) -> dict[str, Any]:
    from django.tasks import TaskResultStatus
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from kindred.notifications.models import Notification
    from kindred.scheduling.models import Reminder, ReminderChannel, ReminderStatus
    from kindred.scheduling.reminders import (
        CLAIM_TIMEOUT,
        reminders_enqueue_due,
        reminders_reap,
    )
    from kindred.security.faults.setup import reminder_groups

    close_db()
    now = timezone.now()
    made = reminder_groups(groups, members_per_group, now)
    rows = Reminder.objects.filter(session__in=made.session_ids)
    queued = reminders_enqueue_due()
    outside_expected = made.by_channel.get(ReminderChannel.EMAIL, 0) + made.by_channel.get(
        ReminderChannel.SMS, 0
    )
    phq9 = phq9_signed_in(stack, "worker_killed")

    def sent_outside() -> int:
        emails = sum(1 for m in stack.smtp.snapshot() if m.to in made.emails)
        texts = sum(1 for _sid, to, _b, _at in stack.sms.snapshot() if to in made.phones)
        return emails + texts

    first = TaskWorker(stack.env, stack.base, "first")
    started = time.monotonic()
    first.start()
    # Not on a batch boundary (100 reminders a task), so the kill lands inside a task.
    target = max(1, int(outside_expected * kill_at) + 7)

    def going_out() -> bool:
        if first.process is not None and first.process.poll() is not None:
            raise RuntimeError(f"the task worker exited by itself: see {first.log_path}")
        return sent_outside() >= target

    wait_for(going_out, seconds=300, what="reminders going out", step=0.02)

    def mid_send() -> bool:
        """A task is running and one of its emails or texts is claimed, not yet done."""
        return (
            DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
            and rows.filter(status=ReminderStatus.SENDING).exists()
        )

    try:
        wait_for(mid_send, seconds=10, what="a reminder being sent", step=0.005)
        killed_mid_send = True
    except TimeoutError:
        killed_mid_send = False
    first.kill()
    killed_after = time.monotonic() - started
    close_db()
    at_kill = {
        "outbound_sent": sent_outside(),
        "statuses": dict(Counter(rows.values_list("status", flat=True))),
        "tasks_running": DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count(),
    }
    # While the worker is down, a member answers a PHQ-9 (item 9): the alert is written
    # in the request's transaction, never by the worker.
    phq9_submit(phq9, seconds=60)
    phq9_figures = phq9_result(phq9)

    # Recovery, as production does it: the every-minute send_due_reminders (its reaper
    # resolves claims older than CLAIM_TIMEOUT; the run passes a clock that far ahead
    # instead of waiting ten minutes, and so reaps before the new worker starts: with
    # the clock ahead, a live worker's claim would look abandoned too), then a new worker.
    reaped = reminders_reap(now=timezone.now() + CLAIM_TIMEOUT + timedelta(minutes=1))
    requeued = reminders_enqueue_due()
    second = TaskWorker(stack.env, stack.base, "second")
    second.start()

    def settled() -> bool:
        close_db()
        return not rows.filter(status__in=[ReminderStatus.PENDING, ReminderStatus.SENDING]).exists()

    try:
        wait_for(settled, seconds=finish_s, what="reminders finished after restart", step=0.5)
        settled_ok = True
    except TimeoutError:
        settled_ok = False
    second.stop()
    close_db()

    ids = set(made.reminder_ids)
    keys = {f"reminder:{pk}" for pk in ids}
    notes = Counter(
        Notification.objects.filter(kind="session_reminder", dedupe_key__in=keys).values_list(
            "dedupe_key", flat=True
        )
    )
    emails = Counter((m.to, m.subject) for m in stack.smtp.snapshot() if m.to in made.emails)
    texts = Counter(to for _sid, to, _b, _at in stack.sms.snapshot() if to in made.phones)
    emailed_people = Counter(to for to, _subject in emails.elements())
    statuses = Counter(rows.values_list("status", flat=True))
    failed_emails = list(
        rows.filter(channel=ReminderChannel.EMAIL, status=ReminderStatus.FAILED).values_list(
            "user__email", "last_error"
        )
    )
    channels: dict[str, dict[str, int]] = {}
    for channel, delivered_to, wanted in (
        (
            ReminderChannel.IN_APP,
            set(notes),
            made.by_channel.get(ReminderChannel.IN_APP, 0),
        ),
        (ReminderChannel.EMAIL, set(emailed_people), made.by_channel.get(ReminderChannel.EMAIL, 0)),
        (ReminderChannel.SMS, set(texts), made.by_channel.get(ReminderChannel.SMS, 0)),
    ):
        channels[str(channel)] = {
            "planned": wanted,
            "delivered": len(delivered_to),
            "missing": wanted - len(delivered_to),
        }
    channels[str(ReminderChannel.IN_APP)]["duplicated"] = sum(n - 1 for n in notes.values())
    channels[str(ReminderChannel.EMAIL)]["duplicated"] = sum(n - 1 for n in emails.values())
    channels[str(ReminderChannel.SMS)]["duplicated"] = sum(n - 1 for n in texts.values())
    # An email whose worker died between committing its claim and the SMTP server's
    # answer is never sent again (SMTP cannot say whether it went: at most once, by
    # design, docs/architecture.md "Reminders"). Counted apart from the rest.
    interrupted_not_sent = sum(
        1
        for address, error in failed_emails
        if "interrupted" in error and address not in emailed_people
    )
    missing = sum(c["missing"] for c in channels.values())
    duplicated = sum(c["duplicated"] for c in channels.values())
    figures: dict[str, Any] = {
        "groups": groups,
        "members": groups * members_per_group,
        "reminders": len(ids),
        "queued": queued,
        "killed_after_seconds": round(killed_after, 2),
        "killed_while_a_reminder_was_claimed": killed_mid_send,
        "at_kill": at_kill,
        "reaped": {"retried": reaped.retried, "sent": reaped.sent, "failed": reaped.failed},
        "requeued_after_restart": requeued,
        "settled": settled_ok,
        "final_statuses": dict(statuses),
        "channels": channels,
        "delivered": sum(c["delivered"] for c in channels.values()),
        "missing": missing,
        "missing_email_at_most_once": interrupted_not_sent,
        "missing_other": missing - interrupted_not_sent,
        "duplicated": duplicated,
        "tasks_left_running": DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count(),
        "phq9": phq9_figures,
    }
    if duplicated:
        stack.finding("worker_killed", "high", "reminders sent twice", duplicated=duplicated)
    if missing - interrupted_not_sent:
        stack.finding(
            "worker_killed", "high", "reminders never sent", missing=missing - interrupted_not_sent
        )
    if interrupted_not_sent:
        stack.finding(
            "worker_killed",
            "low",
            "an email reminder claimed when the worker was killed was not sent and is not "
            "sent again (at most once by design: SMTP cannot say whether it went; the row "
            "is marked failed 'interrupted'; the member still had the in-app reminder)",
            count=interrupted_not_sent,
        )
    return figures


# --- Fault 4: disk full on upload -------------------------------------------------------


def _multipart(fields: dict[str, str], file_field: str, size: int) -> tuple[bytes, str]:
    boundary = f"faults{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
            f'filename="big.json"\r\nContent-Type: application/json\r\n\r\n'
        ).encode()
        + b"{" + b" " * (size - 2) + b"}\r\n"
    )  # fmt: skip
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def disk_full(stack: Stack, *, upload_bytes: int) -> dict[str, Any]:
    """Kindred writes files in two places: request bodies Django spools to its upload
    temporary directory (multipart files over 2.5 MB; the instrument upload keeps its
    file in memory, and the request-size limit, once on, refuses files elsewhere), and
    ``manage.py backup`` (the archive, and pg_dump's file in a temporary directory).
    Both are run against a tmpfs that is full but for 64 KB; nothing may be left
    behind, and the server must go on answering."""
    fixture = stack.fixture
    disk = SmallDisk(stack.base, size_kb=1024)
    why_not = disk.mount()
    if why_not is not None:
        return {"applicable": True, "ran": False, "reason": why_not}
    try:
        disk.fill(free_kb=64)
        before = disk.files()
        env = {**stack.env, "TMPDIR": str(disk.path)}
        web = Gunicorn(env, workers=1, log_dir=stack.base)
        web.start()
        try:
            phq9 = phq9_signed_in(stack, "disk_full", port=web.port)
            phq9_submit(phq9, seconds=60)
            admin = Browser(web.port, timeout=60)
            signed = admin.sign_in(
                fixture.admin_email, fixture.password, totp_secret=fixture.admin_totp
            )
            uploads: dict[str, Any] = {"admin_sign_in": signed.status}
            for name, path, form in (
                ("instrument_upload", "/instruments/load/", {"licence_confirmed": "on"}),
                ("file_to_a_page_without_files", f"/clients/{fixture.client_id}/", {}),
            ):
                body, content_type = _multipart(
                    {"csrfmiddlewaretoken": admin.csrf_token, **form}, "file", upload_bytes
                )
                try:
                    answer = admin.request("POST", path, body=body, content_type=content_type)
                    uploads[name] = answer.status
                except OSError as exc:
                    uploads[name] = f"connection error: {exc}"
            uploads["healthz_after"] = Browser(web.port).get("/healthz").status
            phq9_figures = phq9_result(phq9)
        finally:
            web.stop()
        backup_error = ""
        try:
            manage(env, "backup", str(disk.path / "backup.kbak"), "--json", timeout=300)
            backup_status = "succeeded"
        except RuntimeError as exc:
            backup_status = "failed"
            backup_error = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else ""
        after = disk.files()
        orphans = sorted(after - before)
        figures: dict[str, Any] = {
            "applicable": True,
            "ran": True,
            "method": "tmpfs of 1 MiB filled to 64 KiB free, as TMPDIR and backup target",
            "upload_bytes": upload_bytes,
            "answers": uploads,
            "backup": backup_status,
            "backup_error": backup_error,
            "orphan_files": len(orphans),
            "orphans": orphans[:10],
            "server_errors": sum(1 for v in uploads.values() if isinstance(v, int) and v >= 500),
            "phq9": phq9_figures,
        }
    finally:
        disk.unmount()
    if orphans:
        stack.finding("disk_full", "medium", "files left behind on a full disk", files=orphans)
    if backup_status == "succeeded":
        stack.finding("disk_full", "low", "the backup claimed success on a full disk")
    if figures["server_errors"]:
        stack.finding("disk_full", "low", "an upload on a full disk answered 5xx", answers=uploads)
    return figures
