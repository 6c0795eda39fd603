"""Psychotherapy notes: a clinician's private process notes, kept apart from the record
(45 CFR 164.501; SECURITY.md "Psychotherapy notes").

Their own table, read and written only by their author: every query goes through
``selectors`` (filtered by author), nothing else in Kindred links to this table (no
reverse relations on clients, sessions or users), and the title and body are
encrypted in the application (kindred/core/crypto.py), bound to the row's ``uid``.
Lists of others, search, the portal, the member record export and the API never read
them; the author can export their own (``services.psychnote_export``).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kindred.core.crypto import EncryptedTextField
from kindred.core.models import TimeStampedModel

TITLE_MAX = 200
BODY_MAX = 20000


class PsychotherapyNote(TimeStampedModel):
    #: The row's identity for life: part of the encrypted values' associated data.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "scheduling.GroupSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = EncryptedTextField(_("title"), blank=True, identity="uid")
    body = EncryptedTextField(_("note"), identity="uid")

    objects: ClassVar[models.Manager[PsychotherapyNote]] = models.Manager()

    class Meta:
        verbose_name = _("psychotherapy note")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["author", "client", "-created_at"], name="psychnote_author_client"
            ),
        ]

    def __str__(self) -> str:
        # Never the title or the text: this may end up in a log or an error page.
        return f"psychotherapy note {self.pk}"
