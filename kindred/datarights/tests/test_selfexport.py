"""The member's own-data PDF prepared in the background (datarights/selfexport.py): the
same PDF as the synchronous export, kept encrypted, one job at a time, only for its
member, expiring and wiped, failing visibly and retryable; the page, its htmx poll and the
API; constant queries."""

from __future__ import annotations

import base64
import os
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import Conflict, NotFound, ValidationFailed
from kindred.core.testing import Cast, signed_in
from kindred.datarights import selfexport
from kindred.datarights.export import own_data, own_export, pdf_html
from kindred.datarights.models import SelfExport, SelfExportStatus
from kindred.datarights.selfexport import (
    Expired,
    selfexport_download,
    selfexport_housekeeping,
    selfexport_request,
    selfexport_run,
)
from kindred.datarights.tests.test_datarights import PSY_CANARY, written  # noqa: F401
from kindred.journal.services import entry_create
from kindred.records.tests.test_export import noted, scored  # noqa: F401  (fixtures)

T0 = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
PAGE = "/account/my-data/"
API = "/api/v1/me/exports/"
HX = {"HX-Request": "true"}


def prepared(member: Any, capture: Any) -> SelfExport:
    """Ask for a PDF and let the (immediate) task run when the request commits."""
    with capture(execute=True):
        job, created = selfexport_request(actor=member)
    assert created
    job.refresh_from_db()
    return job


def raw_content(job: SelfExport) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM datarights_selfexport WHERE id = %s", [job.pk])
        value: str = cursor.fetchone()[0]
    return value


def test_the_job_makes_the_same_pdf_as_the_synchronous_export(
    cast: Cast,
    written: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False):
        job = prepared(cast.member, django_capture_on_commit_callbacks)
        assert job.status == SelfExportStatus.READY
        assert job.started_at == T0
        assert job.finished_at == T0
        assert job.expires_at == T0 + timedelta(days=7)
        assert job.counts == {"posts": 2, "messages": 1, "journal": 1}
        file = selfexport_download(actor=cast.member, export_id=job.pk)
        synchronous = own_export(actor=cast.member, fmt="pdf")
    # Byte for byte the PDF the request used to make (same data, same HTML, same time).
    assert file.content.startswith(b"%PDF-")
    assert file.content == synchronous.content
    assert job.size == len(file.content)
    assert file.filename == synchronous.filename
    # ...which is drawn from this HTML: the member's words, never a therapist's notes.
    data = own_data(user=cast.member, client=cast.client)
    html = pdf_html(data)
    assert "Slept better." in html
    assert "I walked today." in html
    assert PSY_CANARY not in html
    events = AuditEvent.objects.filter(category=Category.EXPORT, actor=cast.member)
    assert [e.action for e in events.order_by("id")] == [
        "datarights.own_data.requested",
        "datarights.own_data.downloaded",
        "datarights.own_data.downloaded",
    ]
    asked, background = list(events.order_by("id"))[:2]
    assert asked.detail == {"format": "pdf", "export": job.pk}
    assert background.detail["export"] == job.pk
    assert background.client_id == cast.client.pk


def test_the_stored_file_is_ciphertext(
    cast: Cast,
    written: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    job = prepared(cast.member, django_capture_on_commit_callbacks)
    stored = raw_content(job)
    pdf = selfexport_download(actor=cast.member, export_id=job.pk).content
    plain_b64 = base64.b64encode(pdf).decode()
    assert stored
    assert stored != plain_b64
    assert plain_b64[:40] not in stored  # not the PDF's base64...
    assert "JVBERi0" not in stored  # ...nor any "%PDF-" in base64
    assert base64.urlsafe_b64decode(stored)[0] == 1  # the field encryption's format byte


def test_asking_twice_returns_the_job_on_its_way(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first, created = selfexport_request(actor=cast.member)
        again, created_again = selfexport_request(actor=cast.member)
    assert created
    assert not created_again
    assert again.pk == first.pk
    assert len(queued) == 1  # one task for one job
    assert SelfExport.objects.filter(user=cast.member).count() == 1
    assert AuditEvent.objects.filter(action="datarights.own_data.requested").count() == 1
    # The database refuses a second active job outright (what makes it race-safe).
    with pytest.raises(IntegrityError), transaction.atomic():
        SelfExport.objects.create(user=cast.member, client=cast.client, requested_at=T0)
    # Once it is done, a new request is a new job, and the newer copy replaces the older.
    for callback in queued:
        callback()
    first.refresh_from_db()
    assert first.status == SelfExportStatus.READY
    second = prepared(cast.member, django_capture_on_commit_callbacks)
    assert second.pk != first.pk
    assert second.status == SelfExportStatus.READY
    first.refresh_from_db()
    assert first.status == SelfExportStatus.EXPIRED
    assert raw_content(first) == ""


def test_running_the_task_twice_does_the_work_once(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    job = prepared(cast.member, django_capture_on_commit_callbacks)
    before = raw_content(job)
    again = selfexport_run(job.pk)
    assert again is not None
    assert again.status == SelfExportStatus.READY
    assert raw_content(job) == before  # not made again


def test_bad_format_and_people_without_a_record(cast: Cast) -> None:
    with pytest.raises(ValidationFailed):
        selfexport_request(actor=cast.member, fmt="json")
    for person in (cast.admin, cast.coordinator, cast.facilitator):
        with pytest.raises(NotFound):
            selfexport_request(actor=person)
    assert not SelfExport.objects.exists()
    http = signed_in(cast.member)
    answer = http.post(API, {"format": "docx"}, content_type="application/json")
    assert answer.status_code == 400
    assert "format" in answer.json()
    assert not SelfExport.objects.exists()


def test_only_the_member_sees_their_job(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    job = prepared(cast.member, django_capture_on_commit_callbacks)
    urls = [
        f"{PAGE}pdf/{job.pk}/status/",
        f"{PAGE}pdf/{job.pk}/download/",
        f"{API}{job.pk}/",
        f"{API}{job.pk}/download/",
    ]
    for person in (cast.member_b, cast.outsider, cast.admin, cast.coordinator, cast.facilitator):
        http = signed_in(person)
        for url in urls:
            assert http.get(url, headers=HX).status_code == 404, (person, url)
        with pytest.raises(NotFound):
            selfexport_download(actor=person, export_id=job.pk)
    for person in (cast.admin, cast.facilitator):
        http = signed_in(person)
        assert http.post(f"{PAGE}pdf/").status_code == 404
        assert http.post(API, {}, content_type="application/json").status_code == 404
        assert http.get(API).status_code == 404
    # Anonymous: sign in first; tokens (even an admin's): refused.
    assert HttpClient().get(f"{API}{job.pk}/").status_code in (401, 403)
    assert HttpClient().get(f"{PAGE}pdf/{job.pk}/download/").status_code == 302
    secret, _token = api_token_create(actor=cast.admin, name="t", scopes=["records:export"])
    bearer = HttpClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert bearer.get(API).status_code == 403
    assert not AuditEvent.objects.filter(action="datarights.own_data.downloaded").exists()
    assert not SelfExport.objects.exclude(pk=job.pk).exists()


def test_the_page_prepares_polls_and_downloads(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    http = signed_in(cast.member)
    body = http.get(PAGE).content.decode()
    assert "Prepare PDF" in body
    assert 'role="status"' in body
    assert "hx-trigger" not in body  # nothing to watch yet
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = http.post(f"{PAGE}pdf/")
    assert answer.status_code == 302
    assert answer["Location"] == f"{PAGE}#pdf-export"
    job = SelfExport.objects.get(user=cast.member)
    body = http.get(PAGE).content.decode()
    assert "Your PDF is waiting to start." in body
    poll = f'hx-get="{PAGE}pdf/{job.pk}/status/?seen=queued" hx-trigger="every 3s"'
    assert poll in body
    # Asking again while it waits: the same job, said so.
    again = http.post(f"{PAGE}pdf/", follow=True)
    assert "already being prepared" in again.content.decode()
    assert SelfExport.objects.filter(user=cast.member).count() == 1
    # The poll: nothing to swap while unchanged; without htmx, the page.
    status_url = f"{PAGE}pdf/{job.pk}/status/"
    unchanged = http.get(status_url + "?seen=queued", headers=HX)
    assert unchanged.status_code == 204
    assert http.get(status_url).status_code == 302
    # Not ready: the download link says so and serves nothing.
    early = http.get(f"{PAGE}pdf/{job.pk}/download/", follow=True)
    assert "not ready yet" in early.content.decode()
    for callback in queued:
        callback()
    done = http.get(status_url + "?seen=queued", headers=HX)
    assert done.status_code == 200
    assert done["Cache-Control"] == "no-store"
    fragment = done.content.decode()
    assert "Your PDF is ready." in fragment
    assert "hx-trigger" not in fragment
    assert f"{PAGE}pdf/{job.pk}/download/" in fragment
    pdf = http.get(f"{PAGE}pdf/{job.pk}/download/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "no-store"
    assert pdf["Content-Disposition"].startswith('attachment; filename="kindred-my-data-')
    assert pdf.content.startswith(b"%PDF-")
    # JSON stays a direct download.
    assert http.get(PAGE + "?format=json").json()["kind"] == "kindred.own_data"


def test_the_api_accepts_reports_and_serves(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    http = signed_in(cast.member)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = http.post(API, {"format": "pdf"}, content_type="application/json")
        again = http.post(API, {}, content_type="application/json")
    assert first.status_code == 202
    assert again.status_code == 202
    job = first.json()
    assert job["status"] == "queued"
    assert job["download_url"] is None
    assert again.json()["id"] == job["id"]
    assert http.get(f"{API}{job['id']}/download/").status_code == 409
    for callback in queued:
        callback()
    ready = http.get(f"{API}{job['id']}/").json()
    assert ready["status"] == "ready"
    assert ready["size"] > 0
    assert ready["download_url"] == f"{API}{job['id']}/download/"
    assert "content" not in ready
    pdf = http.get(ready["download_url"])
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    assert pdf["Cache-Control"] == "no-store"
    assert [r["id"] for r in http.get(API).json()] == [job["id"]]
    assert AuditEvent.objects.filter(action="datarights.own_data.downloaded").count() == 1


def test_the_api_post_replays_with_an_idempotency_key(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    http = signed_in(cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        first = http.post(API, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = http.post(API, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 202
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert SelfExport.objects.count() == 1
    assert AuditEvent.objects.filter(action="datarights.own_data.requested").count() == 1


def test_files_expire_and_are_wiped(
    cast: Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.KINDRED_SELF_EXPORT_DAYS = 2
    with time_machine.travel(T0, tick=False):
        job = prepared(cast.member, django_capture_on_commit_callbacks)
    assert job.expires_at == T0 + timedelta(days=2)
    http = signed_in(cast.member)
    with time_machine.travel(T0 + timedelta(days=2, seconds=1), tick=False):
        # Past its time the file is refused even before the clean-up has run...
        assert http.get(f"{API}{job.pk}/").json()["status"] == "expired"
        gone = http.get(f"{API}{job.pk}/download/")
        assert gone.status_code == 410
        assert gone.json()["code"] == "expired"
        with pytest.raises(Expired):
            selfexport_download(actor=cast.member, export_id=job.pk)
        assert raw_content(job) != ""
        # ...and the every-minute command wipes it.
        out = StringIO()
        call_command("send_due_reminders", "--no-plan", stdout=out)
        assert "own-data files wiped after expiry: 1;" in out.getvalue()
        assert selfexport_housekeeping().expired == 0  # safe to run again
        page = http.get(PAGE).content.decode()
        web = http.get(f"{PAGE}pdf/{job.pk}/download/", follow=True).content.decode()
    job.refresh_from_db()
    assert job.status == SelfExportStatus.EXPIRED
    assert raw_content(job) == ""
    assert job.size is not None  # the record that it existed stays
    assert "Your last PDF has expired and was deleted." in page
    assert "has expired and was deleted" in web
    assert not AuditEvent.objects.filter(action="datarights.own_data.downloaded").exists()


def test_a_file_that_cannot_be_made_fails_visibly_and_can_be_retried(
    cast: Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    # A real failure: the member's journal was sealed with a key that has since left the
    # ring (an operator removed it too early), so their data cannot be read.
    old, new = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    settings.KINDRED_FIELD_KEYS = f"old:{old}"
    entry_create(actor=cast.member, client=cast.client, title="Mine", body="Private words.")
    settings.KINDRED_FIELD_KEYS = f"new:{new}"
    job = prepared(cast.member, django_capture_on_commit_callbacks)
    assert job.status == SelfExportStatus.FAILED
    assert job.error == selfexport.FAILED_MESSAGE
    assert raw_content(job) == ""
    http = signed_in(cast.member)
    page = http.get(PAGE).content.decode()
    assert "Your PDF could not be prepared." in page
    assert "Try again" in page
    assert "hx-trigger" not in page
    api = http.get(f"{API}{job.pk}/").json()
    assert api["status"] == "failed"
    assert api["error"] == selfexport.FAILED_MESSAGE
    refused = http.get(f"{API}{job.pk}/download/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_ready"
    with pytest.raises(Conflict):
        selfexport_download(actor=cast.member, export_id=job.pk)
    # The key is put back: trying again works.
    settings.KINDRED_FIELD_KEYS = f"new:{new},old:{old}"
    with django_capture_on_commit_callbacks(execute=True):
        retried = http.post(f"{PAGE}pdf/")
    assert retried.status_code == 302
    latest = SelfExport.objects.filter(user=cast.member).order_by("-id").first()
    assert latest is not None
    assert latest.pk != job.pk
    assert latest.status == SelfExportStatus.READY


def test_jobs_a_stopped_worker_left_are_marked_failed(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            queued, _ = selfexport_request(actor=cast.member)
        with django_capture_on_commit_callbacks(execute=False):
            running, _ = selfexport_request(actor=cast.outsider)
        SelfExport.objects.filter(pk=running.pk).update(status="running", started_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
        assert selfexport_housekeeping().stale == 0  # not yet
    with time_machine.travel(T0 + timedelta(hours=1, minutes=1), tick=False):
        assert selfexport_housekeeping().stale == 2
        # A worker that picks the queued one up late does nothing.
        assert selfexport_run(queued.pk).status == SelfExportStatus.FAILED  # type: ignore[union-attr]
    for job in (queued, running):
        job.refresh_from_db()
        assert job.status == SelfExportStatus.FAILED
        assert job.error == selfexport.STALE_MESSAGE
    # The member may ask again at once.
    with django_capture_on_commit_callbacks(execute=False):
        _fresh, created = selfexport_request(actor=cast.member)
    assert created


def _count(http: HttpClient, url: str, **extra: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url, **extra).status_code in (200, 204)
    return len(ctx.captured_queries)


def test_queries_stay_constant(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    http = signed_in(cast.member)
    job = prepared(cast.member, django_capture_on_commit_callbacks)
    http.get(PAGE)  # warm the session and the practice settings
    small = {
        "page": _count(http, PAGE),
        "status": _count(http, f"{PAGE}pdf/{job.pk}/status/", headers=HX),
        "api_list": _count(http, API),
        "api_detail": _count(http, f"{API}{job.pk}/"),
    }
    for _ in range(4):
        prepared(cast.member, django_capture_on_commit_callbacks)
    for i in range(20):
        entry_create(actor=cast.member, client=cast.client, body=f"Entry {i}")
    large = {
        "page": _count(http, PAGE),
        "status": _count(http, f"{PAGE}pdf/{job.pk}/status/", headers=HX),
        "api_list": _count(http, API),
        "api_detail": _count(http, f"{API}{job.pk}/"),
    }
    assert large == small
    assert len(http.get(API).json()) == 5
    assert small["status"] <= 8
    assert small["api_detail"] <= 8


def test_the_schema_documents_the_endpoints(db: Any) -> None:
    from kindred.security.fuzz import openapi

    schema = openapi.generate_schema()
    paths = schema["paths"]
    post = paths["/api/v1/me/exports/"]["post"]
    assert "202" in post["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in post.get("parameters", []))
    download = paths["/api/v1/me/exports/{export_id}/download/"]["get"]
    assert {"200", "409", "410"} <= set(download["responses"])
    assert "application/pdf" in download["responses"]["200"]["content"]


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_job_on_postgresql(cast: Cast, settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is tested on PostgreSQL")
    # Jobs stay queued (the dummy backend keeps tasks without running them), so every
    # request meets the race on the unique constraint rather than a finished job.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "email"],
        }
    }
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            barrier.wait(timeout=10)
            job, _created = selfexport_request(actor=cast.member)
            results.append(job.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(results) == 4
    assert len(set(results)) == 1
    assert SelfExport.objects.filter(user=cast.member).count() == 1
    assert AuditEvent.objects.filter(action="datarights.own_data.requested").count() == 1


def test_key_rotation_re_encrypts_the_file(
    cast: Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from kindred.core import crypto

    old, new = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    settings.KINDRED_FIELD_KEYS = f"old:{old}"
    job = prepared(cast.member, django_capture_on_commit_callbacks)
    before = selfexport_download(actor=cast.member, export_id=job.pk).content
    assert crypto.key_id_of(raw_content(job)) == "old"
    settings.KINDRED_FIELD_KEYS = f"new:{new},old:{old}"
    call_command("rotate_keys", stdout=StringIO())
    assert crypto.key_id_of(raw_content(job)) == "new"
    settings.KINDRED_FIELD_KEYS = f"new:{new}"  # the old key can go
    assert selfexport_download(actor=cast.member, export_id=job.pk).content == before
