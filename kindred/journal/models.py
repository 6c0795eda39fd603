"""A member's private journal (issue 8).

Entries are the member's own: private by default, readable by nobody else — not admins,
not facilitators, not the API with staff tokens. The member may share one entry at a
time with the facilitators of their group; sharing screens the text for risk language.

The title and body are encrypted in the application (kindred/core/crypto.py), bound to
the row's ``uid``, as psychotherapy notes are: the raw columns, a database dump and the
SQL log never hold the text. Every query for entries goes through ``access`` and
``selectors`` (filtered by owner, or by "shared with this group's facilitators").
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.crypto import EncryptedTextField

TITLE_MAX = 120
BODY_MAX = 10000


class JournalEntry(models.Model):
    #: The row's identity for life: part of the encrypted values' associated data.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "scheduling.GroupSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = EncryptedTextField(_("title"), blank=True, identity="uid")
    body = EncryptedTextField(_("entry"), identity="uid")
    created_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(editable=False)
    shared_with_facilitator = models.BooleanField(default=False)
    shared_at = models.DateTimeField(null=True, blank=True)
    #: Risk-language categories found when the entry was shared (never when private).
    risk_categories = models.JSONField(default=list, blank=True)

    objects: ClassVar[models.Manager[JournalEntry]] = models.Manager()

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="journal_own_newest"),
            models.Index(
                fields=["client", "-shared_at"],
                name="journal_shared",
                condition=Q(shared_with_facilitator=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(shared_with_facilitator=False, shared_at__isnull=True)
                | Q(shared_with_facilitator=True, shared_at__isnull=False),
                name="journal_shared_has_time",
            ),
        ]

    def __str__(self) -> str:
        # Never the title or the text: this may end up in a log or an error page.
        return f"journal entry {self.pk}"

    @property
    def risk_flagged(self) -> bool:
        return bool(self.shared_with_facilitator and self.risk_categories)
