"""Group sessions (one meeting each), attendance, the licensure gate's attestations,
calendar feeds and reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.models import TimeStampedModel
from kindred.core.validators import validate_state_code
from kindred.groups.models import GroupModality
from kindred.practice.states import STATE_CHOICES


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class GroupSession(TimeStampedModel):
    """One meeting of a group.

    ``original_starts_at`` is the slot the recurrence rule gave (the iCalendar
    RECURRENCE-ID); ``starts_at`` differs from it when the session was rescheduled.
    Regenerating a group's sessions keys on it, so attendance is never lost.
    """

    group = models.ForeignKey(
        "groups.TherapyGroup", on_delete=models.PROTECT, related_name="sessions"
    )
    original_starts_at = models.DateTimeField()
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    modality = models.CharField(_("modality"), max_length=10, choices=GroupModality.choices)
    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    room = models.ForeignKey(
        "practice.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    substitute_facilitator = models.ForeignKey(
        "practice.ClinicianProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substitute_sessions",
        verbose_name=_("substitute facilitator"),
    )
    # Bumped on every change members should see (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    attendance_taken_at = models.DateTimeField(null=True, blank=True)
    attendance_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "original_starts_at"], name="scheduling_session_slot_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="scheduling_session_order"
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="scheduling_session_start_idx"),
            models.Index(fields=["group", "starts_at"], name="scheduling_session_group_idx"),
            models.Index(fields=["room", "starts_at"], name="scheduling_session_room_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} @ {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_rescheduled(self) -> bool:
        return self.starts_at != self.original_starts_at


class AttendanceStatus(models.TextChoices):
    PRESENT_IN_PERSON = "in_person", _("Present in person")
    PRESENT_VIRTUAL = "virtual", _("Present virtually")
    LATE = "late", _("Late")
    LEFT_EARLY = "left_early", _("Left early")
    ABSENT_NOTICE = "absent_notice", _("Absent with notice")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED_BY_PRACTICE = "practice_cancel", _("Cancelled by practice")


#: Statuses that count as having attended (for billing and outcomes).
ATTENDED_STATUSES = (
    AttendanceStatus.PRESENT_IN_PERSON,
    AttendanceStatus.PRESENT_VIRTUAL,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
)


class Attendance(TimeStampedModel):
    session = models.ForeignKey(GroupSession, on_delete=models.PROTECT, related_name="attendance")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField(_("attendance"), max_length=16, choices=AttendanceStatus.choices)
    joined_at = models.DateTimeField(_("joined at"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["session_id", "client_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"], name="scheduling_attendance_unique"
            ),
            models.CheckConstraint(
                condition=Q(joined_at__isnull=True)
                | Q(left_at__isnull=True)
                | Q(left_at__gt=models.F("joined_at")),
                name="scheduling_attendance_times",
            ),
        ]
        indexes = [models.Index(fields=["client", "session"], name="scheduling_att_client_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} at {self.session_id}: {self.status}"


class StateAttestation(TimeStampedModel):
    """Where a member says they are for one virtual session, and what the licensure gate
    decided (CLINICAL.md: therapy happens where the client is)."""

    session = models.ForeignKey(GroupSession, on_delete=models.PROTECT, related_name="attestations")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="attestations"
    )
    state = models.CharField(
        _("state you are in now"),
        max_length=2,
        choices=STATE_CHOICES,
        validators=[validate_state_code],
    )
    allowed = models.BooleanField()
    # Why not, in plain words, when not allowed (shown to staff; members see a kind text).
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["session_id", "client_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"], name="scheduling_attestation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} in {self.state} for {self.session_id}"


class AbsenceNotice(models.Model):
    """A member telling the group ahead of time that they will miss a session."""

    session = models.ForeignKey(
        GroupSession, on_delete=models.PROTECT, related_name="absence_notices"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="absence_notices"
    )
    note = models.CharField(_("anything the facilitator should know"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "client"], name="scheduling_absence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} absent from {self.session_id}"


class CalendarFeed(models.Model):
    """A secret, revocable iCalendar feed address for one person. Only a hash of the
    token is kept; the address is shown to its owner when created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"calendar feed {self.pk} of {self.user_id}"


class ReminderChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In Kindred")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not needed")


class Reminder(models.Model):
    """One reminder to one person on one channel for one session.

    The unique constraint makes "send each reminder exactly once" a property of the
    data: planning twice creates nothing new, and a worker claims a row with a
    conditional UPDATE (pending → sending) before it sends.
    """

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    minutes_before = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "channel", "minutes_before"],
                name="scheduling_reminder_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="scheduling_reminder_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} reminder {self.minutes_before} min before {self.session_id}"
