"""In-app notifications: short, never clinical ("A session was cancelled"), with a link."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Makes a notification idempotent: the same event never notifies a person twice.
    dedupe_key = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notifications_dedupe",
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notifications_unread_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class DigestFrequency(models.TextChoices):
    OFF = "off", "Off"
    DAILY = "daily", "Daily"


#: The hour a daily digest goes out when the person has not chosen one (6 PM local).
DEFAULT_DIGEST_HOUR = 18


class NotificationPreference(models.Model):
    """How a person hears about new notifications outside Kindred. The email digest is
    off unless they turn it on: an email saying you have messages from a therapy group
    is itself sensitive."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    digest = models.CharField(
        max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.OFF
    )
    #: The local hour (0-23, in the person's own time zone) the daily digest is sent.
    digest_hour = models.PositiveSmallIntegerField(default=DEFAULT_DIGEST_HOUR)
    #: When the last digest went out: the next one counts what arrived after it.
    last_digest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__gte=0, digest_hour__lte=23),
                name="notifications_digest_hour_range",
            )
        ]
        indexes = [models.Index(fields=["digest"], name="notifications_digest_idx")]

    def __str__(self) -> str:
        return f"notification preference of {self.user_id}"


class DigestSent(models.Model):
    """One digest email per person per local day: the unique row is claimed before
    the email goes out, so two runs (or two workers) never send it twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="notifications_digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"digest for {self.user_id} on {self.day}"
