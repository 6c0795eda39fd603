"""Break-glass grants: emergency access by a clinician to one client's record that the
ordinary rules (clients/access.py) would not show them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BreakGlassGrantQuerySet(models.QuerySet["BreakGlassGrant"]):
    def active(self) -> BreakGlassGrantQuerySet:
        return self.filter(ended_at__isnull=True, expires_at__gt=timezone.now())

    def unacknowledged(self) -> BreakGlassGrantQuerySet:
        return self.filter(acknowledged_at__isnull=True)


class BreakGlassGrant(models.Model):
    """One person's time-limited access to one client's record, with the reason they
    typed. Never deleted; ending it early or reviewing it only fills the later fields."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="breakglass_grants"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="breakglass_grants"
    )
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_note = models.TextField(_("review note"), blank=True)

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["user", "expires_at"], name="breakglass_user_expiry"),
            models.Index(fields=["acknowledged_at", "-opened_at"], name="breakglass_review"),
        ]

    def __str__(self) -> str:
        return f"break-glass {self.pk}: user {self.user_id} → client {self.client_id}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()
