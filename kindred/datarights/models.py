"""A member's request to close their portal account, and what became of it.

One open request per person at a time (a partial unique constraint). Closing keeps the
clinical record (``retain_until`` says until when) and never deletes rows; see
docs/data-rights.md for the retention table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ClosureStatus(models.TextChoices):
    REQUESTED = "requested", _("Asked for, waiting for the practice")
    WITHDRAWN = "withdrawn", _("Withdrawn by the member")
    CLOSED = "closed", _("Closed")


class PostsChoice(models.TextChoices):
    ANONYMIZE = "anonymize", _("Posts stay, without the member's display name")
    KEEP = "keep", _("Posts stay under the member's display name")


class ClosureRequest(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
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
    #: What closure did: sessions ended, tokens revoked, display names removed.
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="requested"),
                name="datarights_one_open_closure",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="datarights_queue")]

    def __str__(self) -> str:
        return f"closure request {self.pk}"
