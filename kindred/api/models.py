"""Stored outcomes of mutating API calls sent with an ``Idempotency-Key`` header
(SECURITY.md "Integrity"; see docs/api-idempotency.md and kindred/api/idempotency.py)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from kindred.core.crypto import EncryptedTextField


class IdempotencyKey(models.Model):
    """One key of one caller. ``status_code`` is null while the first request with the key
    is still running; the response body (JSON only) is encrypted like other sensitive
    columns, because it can carry clinical data."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # "user:<pk>" for a signed-in session, "token:<sha256 of the bearer token>" for a token.
    owner = models.CharField(_("caller"), max_length=80)
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=7)
    path = models.CharField(_("path"), max_length=2000)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    body_kept = models.BooleanField(_("response body kept"), default=False)
    response_body = EncryptedTextField(_("response body"), blank=True, identity="uid")
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="api_idempotency_owner_key"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.owner})"
