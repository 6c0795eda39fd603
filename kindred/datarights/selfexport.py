"""A member's own-data PDF, prepared in the background (docs/data-rights.md).

The synchronous PDF took 10 s for a member with 1,000 posts and 300 journal entries, too
long for a request. Here the member asks (``selfexport_request``); a django.tasks task
(``tasks.build_self_export``) loads the same data and renders the same HTML as the
synchronous export (``export.own_data`` and ``export.pdf_html``) and keeps the file
encrypted in the row (``SelfExport.content``: kindred/core/crypto.py, bound to the row's
uid, re-encrypted by ``rotate_keys`` like every encrypted column). The member downloads
it (``selfexport_download``, one audit event per download) until it expires
(``KINDRED_SELF_EXPORT_DAYS``, 7 days), when ``selfexport_housekeeping`` (run every
minute by ``send_due_reminders``) wipes it; a newer copy wipes the older one at once.

Only the member, for themselves: every look-up is filtered by the signed-in user, so
another member's job (or anyone's, for staff) is "not found". One queued or running job
per member and format (a partial unique constraint): asking again while one is on its
way returns that one; two requests at the same moment on PostgreSQL cannot both create
one (the second insert waits for the first and then finds it).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.core.crypto import Ciphertext, encrypt
from kindred.core.errors import Conflict, NotFound, ValidationFailed
from kindred.core.pdf import html_to_pdf
from kindred.datarights.export import own_client, own_data, pdf_html
from kindred.datarights.models import (
    ACTIVE_STATUSES,
    SelfExport,
    SelfExportFormat,
    SelfExportStatus,
)
from kindred.scheduling.stale_tasks import RUNNING_LIMIT

if TYPE_CHECKING:
    from kindred.accounts.models import User

logger = logging.getLogger(__name__)

#: How long a prepared file is kept (``KINDRED_SELF_EXPORT_DAYS`` overrides it).
KEEP_DAYS = 7
#: A job queued or running for longer than this belongs to a stopped worker (as in
#: scheduling/stale_tasks.py): it is marked failed, so the member can ask again.
STALE_AFTER = RUNNING_LIMIT
#: The htmx status fragment polls this often while a job is on its way.
POLL_SECONDS = 3

FAILED_MESSAGE = (
    "We could not prepare your file. Please try again; if it keeps failing, tell the practice."
)
NOT_QUEUED_MESSAGE = "It could not be handed to the background worker. Please try again."
STALE_MESSAGE = "It took too long and was stopped. Please try again."


class Expired(Conflict):
    """The file was wiped (or is past its expiry): the API answers 410."""


def keep_days() -> int:
    return int(getattr(settings, "KINDRED_SELF_EXPORT_DAYS", KEEP_DAYS))


def shown_status(job: SelfExport, now: datetime | None = None) -> str:
    """The status to show: a ready file past its expiry is expired even before the
    clean-up has wiped it."""
    now = now or timezone.now()
    if job.status == SelfExportStatus.READY and job.expires_at and job.expires_at <= now:
        return SelfExportStatus.EXPIRED
    return str(job.status)


def _own(actor: User) -> QuerySet[SelfExport]:
    # ``content`` is deferred: status pages never read (or decrypt) the file.
    return SelfExport.objects.filter(user=actor).defer("content")


def active_for(actor: User, fmt: str = SelfExportFormat.PDF) -> SelfExport | None:
    return _own(actor).filter(format=fmt, status__in=ACTIVE_STATUSES).first()


def latest_for(actor: User, fmt: str = SelfExportFormat.PDF) -> SelfExport | None:
    """The member's most recent job of ``fmt`` (None if they never asked): one query."""
    return _own(actor).filter(format=fmt).order_by("-requested_at", "-id").first()


def get_for(actor: User, export_id: int) -> SelfExport:
    """The actor's own job ``export_id``; NotFound for anyone else's (staff included)."""
    own_client(actor)
    job = _own(actor).filter(pk=export_id).first()
    if job is None:
        raise NotFound("Not found.")
    return job


def selfexport_request(
    *, actor: User, fmt: str = SelfExportFormat.PDF, now: datetime | None = None
) -> tuple[SelfExport, bool]:
    """Ask for a background copy of the member's own data. Returns the job and whether it
    is new: while one is queued or running, that one (nothing new, no event)."""
    client = own_client(actor)
    if fmt not in SelfExportFormat.values:
        raise ValidationFailed("Only a PDF is prepared in the background.", field="format")
    for _attempt in range(3):
        existing = active_for(actor, fmt)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job = SelfExport.objects.create(
                    user=actor, client=client, format=fmt, requested_at=now or timezone.now()
                )
                audit_record(
                    actor=actor,
                    action="datarights.own_data.requested",
                    category=Category.EXPORT,
                    obj=job,
                    client_id=client.pk,
                    detail={"format": fmt, "export": job.pk},
                )
        except IntegrityError:
            # Another request created one between our look-up and our insert (on
            # PostgreSQL this insert waited for it to commit): return that one.
            continue
        transaction.on_commit(partial(_enqueue, job.pk))
        return job, True
    raise Conflict("Your file is being prepared. Please wait a moment and look again.")


def _enqueue(job_id: int) -> None:
    from kindred.datarights.tasks import build_self_export

    try:
        result = build_self_export.enqueue(job_id)
    except Exception:
        logger.exception("self export %s could not be queued", job_id)
        SelfExport.objects.filter(pk=job_id, status=SelfExportStatus.QUEUED).update(
            status=SelfExportStatus.FAILED, finished_at=timezone.now(), error=NOT_QUEUED_MESSAGE
        )
        return
    SelfExport.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def selfexport_run(job_id: int, *, now: datetime | None = None) -> SelfExport | None:
    """The task's work: prepare job ``job_id`` once. Safe to call twice: only the call
    that moves it from queued to running does the work; any other finds it taken."""
    started = now or timezone.now()
    taken = SelfExport.objects.filter(pk=job_id, status=SelfExportStatus.QUEUED).update(
        status=SelfExportStatus.RUNNING, started_at=started
    )
    job = SelfExport.objects.select_related("user", "client").defer("content").filter(pk=job_id)
    found = job.first()
    if not taken or found is None:
        return found
    try:
        content, counts = _render(found, started)
    except Exception:
        # Logged without the member's data (the exception's class and traceback only).
        logger.exception("self export %s failed", job_id)
        SelfExport.objects.filter(pk=job_id, status=SelfExportStatus.RUNNING).update(
            status=SelfExportStatus.FAILED, finished_at=timezone.now(), error=FAILED_MESSAGE
        )
        return SelfExport.objects.defer("content").get(pk=job_id)
    finished = timezone.now()
    field = SelfExport._meta.get_field("content")
    sealed = encrypt(base64.b64encode(content).decode("ascii"), aad=field.aad_for(found))
    with transaction.atomic():
        # Conditional: a job the clean-up marked failed meanwhile stays failed.
        done = SelfExport.objects.filter(pk=job_id, status=SelfExportStatus.RUNNING).update(
            status=SelfExportStatus.READY,
            finished_at=finished,
            expires_at=finished + timedelta(days=keep_days()),
            size=len(content),
            content=Ciphertext(sealed),
            counts=counts,
        )
        if done:
            # A newer copy replaces the older ones: one file per member at a time.
            SelfExport.objects.filter(
                user_id=found.user_id, format=found.format, status=SelfExportStatus.READY
            ).exclude(pk=job_id).update(status=SelfExportStatus.EXPIRED, content="")
    return SelfExport.objects.defer("content").get(pk=job_id)


def _render(job: SelfExport, started: datetime) -> tuple[bytes, dict[str, int]]:
    """The same data and the same HTML as the synchronous PDF (export.own_export)."""
    data = own_data(user=job.user, client=job.client)
    data["downloaded_at"] = started.isoformat()
    counts = {
        "posts": len(data["group_space_posts"]),
        "messages": len(data["direct_messages_sent"]),
        "journal": len(data["journal"]),
    }
    return html_to_pdf(pdf_html(data)), counts


@dataclass
class FileDownload:
    filename: str
    content_type: str
    content: bytes


def selfexport_download(
    *, actor: User, export_id: int, now: datetime | None = None
) -> FileDownload:
    """The prepared file, with one audit event (export category) in the same
    transaction. Conflict while it is not ready (or failed), Expired once wiped."""
    now = now or timezone.now()
    with transaction.atomic():
        own_client(actor)
        job = SelfExport.objects.filter(user=actor, pk=export_id).first()
        if job is None:
            raise NotFound("Not found.")
        status = shown_status(job, now)
        if status == SelfExportStatus.EXPIRED:
            raise Expired(
                _("This file has expired and was deleted. Prepare a new one."), code="expired"
            )
        if status != SelfExportStatus.READY or not job.content:
            raise Conflict(_("This file is not ready yet."), code="not_ready")
        content = base64.b64decode(job.content)
        audit_record(
            actor=actor,
            action="datarights.own_data.downloaded",
            category=Category.EXPORT,
            obj=job,
            client_id=job.client_id,
            detail={"format": job.format, "export": job.pk, **job.counts},
        )
    day = timezone.localdate(job.finished_at or now).isoformat()
    return FileDownload(f"kindred-my-data-{day}.pdf", "application/pdf", content)


@dataclass
class Housekeeping:
    expired: int
    stale: int

    def as_dict(self) -> dict[str, int]:
        return {"expired": self.expired, "stale": self.stale}


def selfexport_housekeeping(*, now: datetime | None = None) -> Housekeeping:
    """Wipe files past their expiry, and mark jobs queued or running for longer than
    ``STALE_AFTER`` (a stopped worker) as failed. Conditional UPDATEs: safe to run twice
    or alongside workers."""
    now = now or timezone.now()
    expired = SelfExport.objects.filter(status=SelfExportStatus.READY, expires_at__lte=now).update(
        status=SelfExportStatus.EXPIRED, content=""
    )
    cutoff = now - STALE_AFTER
    stale = SelfExport.objects.filter(
        status=SelfExportStatus.RUNNING, started_at__lt=cutoff
    ).update(status=SelfExportStatus.FAILED, finished_at=now, error=STALE_MESSAGE)
    stale += SelfExport.objects.filter(
        status=SelfExportStatus.QUEUED, requested_at__lt=cutoff
    ).update(status=SelfExportStatus.FAILED, finished_at=now, error=STALE_MESSAGE)
    return Housekeeping(expired=expired, stale=stale)
