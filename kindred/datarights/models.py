"""A member's request to close their portal account, and what became of it.

One open request per person at a time (a partial unique constraint). Closing keeps the
clinical record (``retain_until`` says until when) and never deletes rows; an admin
destroys the record after that date (purge.py), unless it is on legal hold, and the
request stays as the tombstone. See docs/data-rights.md for the retention table.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.crypto import EncryptedTextField


class ClosureStatus(models.TextChoices):
    REQUESTED = "requested", _("Asked for, waiting for the practice")
    WITHDRAWN = "withdrawn", _("Withdrawn by the member")
    CLOSED = "closed", _("Closed")


class PostsChoice(models.TextChoices):
    ANONYMIZE = "anonymize", _("Posts stay, without the member's display name")
    KEEP = "keep", _("Posts stay under the member's display name")


class ClosureRequest(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: Empty once the record is destroyed (kindred/datarights/purge.py): the request stays
    #: as the tombstone. PROTECT all the same: only the purge may remove the client.
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ClosureStatus.choices, default=ClosureStatus.REQUESTED
    )
    reason = models.CharField(_("anything you want us to know"), max_length=500, blank=True)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posts = models.CharField(max_length=10, choices=PostsChoice.choices, blank=True)
    #: The last day the clinical record is kept (set at closure).
    retain_until = models.DateField(null=True, blank=True)
    #: What closure did: sessions ended, tokens revoked, display names removed; after a
    #: purge, ``outcome["purge"]`` holds the counts per table (never content).
    outcome = models.JSONField(default=dict, blank=True)
    #: When the record was destroyed, and by whom (kindred/datarights/purge.py).
    purged_at = models.DateTimeField(null=True, blank=True)
    purged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: A legal hold: while set, the record is never destroyed (the reason is required).
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hold_reason = models.CharField(_("reason for the hold"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="requested"),
                name="datarights_one_open_closure",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"], name="datarights_queue"),
            models.Index(fields=["status", "retain_until"], name="datarights_retention"),
        ]

    def __str__(self) -> str:
        return f"closure request {self.pk}"


class SelfExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Could not be prepared")
    EXPIRED = "expired", _("Expired and deleted")


class SelfExportFormat(models.TextChoices):
    PDF = "pdf", _("PDF")


#: A job in one of these states is still on its way: one per member and format at a time.
ACTIVE_STATUSES = (SelfExportStatus.QUEUED, SelfExportStatus.RUNNING)


class SelfExport(models.Model):
    """A member's own-data download prepared in the background (kindred/datarights/
    selfexport.py). The file is kept encrypted in ``content`` (the project's field
    encryption, kindred/core/crypto.py, bound to ``uid``; the PDF's bytes as base64
    inside the sealed value) until ``expires_at``, then wiped: the row stays, as a record
    that it was asked for, with ``content`` emptied and the status ``expired``.

    One queued or running job per member and format (a partial unique constraint, so two
    requests at once cannot both start one)."""

    #: The row's identity for life: in URLs and in the encrypted value's associated data.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    format = models.CharField(
        max_length=8, choices=SelfExportFormat.choices, default=SelfExportFormat.PDF
    )
    status = models.CharField(
        max_length=8, choices=SelfExportStatus.choices, default=SelfExportStatus.QUEUED
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: When the file is wiped (set when it is ready).
    expires_at = models.DateTimeField(null=True, blank=True)
    #: The file's size in bytes (kept after it is wiped).
    size = models.PositiveIntegerField(null=True, blank=True)
    #: The file, encrypted (base64 of its bytes inside the sealed value); empty once wiped.
    content = EncryptedTextField(blank=True, identity="uid", editable=False)
    #: What went wrong, in plain words the app composes (never the member's data).
    error = models.CharField(max_length=500, blank=True, editable=False)
    #: How many posts, messages and journal entries the file holds.
    counts = models.JSONField(default=dict, blank=True, editable=False)
    #: The background task's id (django.tasks), for the logs.
    task_id = models.CharField(max_length=64, blank=True, editable=False)

    objects: ClassVar[models.Manager[SelfExport]] = models.Manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "format"],
                condition=Q(status__in=["queued", "running"]),
                name="datarights_one_active_selfexport",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-requested_at"], name="datarights_selfexport_own"),
            models.Index(fields=["status", "expires_at"], name="datarights_selfexport_due"),
        ]

    def __str__(self) -> str:
        return f"self export {self.pk}"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES
