"""The audit log: append-only, one row per read of clinical content, change, sign-in
event or denied attempt.

Rows are never updated or deleted by the application: the model and its queryset refuse
it, and a database trigger refuses it again (both on PostgreSQL and SQLite; see
migration 0002). ``detail`` never holds clinical content: field names, not values.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class Category(models.TextChoices):
    ACCESS = "access", _("Read")
    CHANGE = "change", _("Change")
    AUTH = "auth", _("Sign-in and security")
    DENIED = "denied", _("Denied")
    SYSTEM = "system", _("System")
    #: Everything about psychotherapy notes (read, change, export, denied): kept apart.
    PSYCHOTHERAPY_NOTES = "psychnotes", _("Psychotherapy notes")
    #: A member's record (or other clinical data) leaving Kindred as a file.
    EXPORT = "export", _("Export")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("The audit log is append-only.")


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # The actor's email at the time, so the row reads right even if the email changes.
    actor_label = models.CharField(max_length=254, blank=True)
    category = models.CharField(max_length=10, choices=Category.choices)
    action = models.CharField(max_length=80)
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    via = models.CharField(max_length=10, default="system")
    detail = models.JSONField(default=dict, blank=True)

    objects: ClassVar[models.Manager[AuditEvent]] = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-occurred_at"], name="audit_client_time"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
            models.Index(fields=["action", "-occurred_at"], name="audit_action_time"),
            models.Index(fields=["category", "-occurred_at"], name="audit_category_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The audit log is append-only.")
