"""Therapy groups and who is in them (CLINICAL.md, "Running a group")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import GROUP_GENDER_CHOICES, LANGUAGE_CHOICES
from kindred.core.models import TimeStampedModel
from kindred.core.validators import validate_timezone


class GroupFormat(models.TextChoices):
    CLOSED = "closed", _("Closed cohort (fixed number of sessions)")
    OPEN = "open", _("Open, rolling (members join and graduate over time)")


class GroupModality(models.TextChoices):
    VIRTUAL = "virtual", _("Virtual")
    IN_PERSON = "in_person", _("In person")
    HYBRID = "hybrid", _("Hybrid (in person and virtual)")


class GroupStatus(models.TextChoices):
    FORMING = "forming", _("Forming")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


#: The languages a group can be held in (a person's "other" matches no group).
GROUP_LANGUAGE_CHOICES = [(code, label) for code, label in LANGUAGE_CHOICES if code != "other"]

#: Statuses in which a group still meets or will meet.
LIVE_STATUSES = (GroupStatus.FORMING, GroupStatus.ACTIVE)


class TherapyGroup(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("web address name"), max_length=80, unique=True)
    description = models.TextField(
        _("description for members"),
        max_length=4000,
        help_text=_("What the group is for and what to expect. Shown in the public directory."),
    )
    concerns = models.ManyToManyField(
        "clients.ConcernTag", blank=True, related_name="groups", verbose_name=_("focus")
    )
    format = models.CharField(
        _("format"), max_length=10, choices=GroupFormat.choices, default=GroupFormat.CLOSED
    )
    modality = models.CharField(
        _("modality"), max_length=10, choices=GroupModality.choices, default=GroupModality.VIRTUAL
    )
    location = models.ForeignKey(
        "practice.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("location"),
    )
    room = models.ForeignKey(
        "practice.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("room"),
    )
    lead_facilitator = models.ForeignKey(
        "practice.ClinicianProfile",
        on_delete=models.PROTECT,
        related_name="led_groups",
        verbose_name=_("lead facilitator"),
    )
    co_facilitators = models.ManyToManyField(
        "practice.ClinicianProfile",
        blank=True,
        related_name="co_facilitated_groups",
        verbose_name=_("co-facilitators"),
    )
    min_size = models.PositiveSmallIntegerField(_("minimum size"), default=6)
    max_size = models.PositiveSmallIntegerField(_("maximum size"), default=10)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    gender_focus = models.CharField(
        _("gender-specific for"),
        max_length=60,
        blank=True,
        choices=GROUP_GENDER_CHOICES,
        help_text=_(
            "Leave empty for a group open to everyone. A group for women, men or non-binary "
            "people is proposed only to people whose record gives that gender."
        ),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=GROUP_LANGUAGE_CHOICES, default="en"
    )
    session_minutes = models.PositiveSmallIntegerField(_("session length (minutes)"), default=90)
    recurrence = models.CharField(
        _("recurrence (RRULE)"),
        max_length=300,
        help_text=_("For example FREQ=WEEKLY;BYDAY=TU;COUNT=12 (RFC 5545)."),
    )
    start_date = models.DateField(_("first session date"))
    start_time = models.TimeField(_("start time"))
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/Chicago", validators=[validate_timezone]
    )
    fee_cents = models.PositiveIntegerField(_("fee per session (cents)"), default=0)
    sliding_scale = models.BooleanField(_("sliding scale available"), default=False)
    fee_note = models.CharField(_("fee note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=GroupStatus.choices, default=GroupStatus.FORMING
    )
    listed_publicly = models.BooleanField(_("show in the public directory"), default=True)
    agreement_version = models.ForeignKey(
        "intake.AgreementVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("group agreement"),
        help_text=_("Members sign this version before their first session."),
    )
    external_video_link = models.URLField(
        _("external video link"),
        blank=True,
        help_text=_("Only for the fixed-link video provider; never sent by email."),
    )
    # Open groups have open-ended rules; sessions exist up to this instant and the
    # extend_sessions command moves it forward.
    sessions_generated_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_size__gte=1)
                & Q(max_size__gte=models.F("min_size"))
                & Q(max_size__lte=50),
                name="groups_size_range",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=models.F("min_age")),
                name="groups_age_range",
            ),
            models.CheckConstraint(
                condition=Q(session_minutes__gte=15, session_minutes__lte=480),
                name="groups_session_length",
            ),
        ]
        indexes = [models.Index(fields=["status", "listed_publicly"], name="groups_status_idx")]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    GRADUATED = "graduated", _("Graduated")
    WITHDREW = "withdrew", _("Withdrew")
    REMOVED = "removed", _("Removed")


#: Enrollments that hold a seat in the group.
SEAT_STATUSES = (EnrollmentStatus.INVITED, EnrollmentStatus.ACTIVE)
ENDED_STATUSES = (EnrollmentStatus.GRADUATED, EnrollmentStatus.WITHDREW, EnrollmentStatus.REMOVED)


class Enrollment(TimeStampedModel):
    group = models.ForeignKey(TherapyGroup, on_delete=models.PROTECT, related_name="enrollments")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="enrollments"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.INVITED,
    )
    invited_at = models.DateTimeField(_("invited"))
    activated_at = models.DateTimeField(_("joined"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["group_id", "invited_at", "id"]
        constraints = [
            # A person holds at most one current place in a group.
            models.UniqueConstraint(
                fields=["group", "client"],
                condition=Q(status__in=["invited", "active"]),
                name="groups_one_current_enrollment",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "status"], name="groups_enrollment_client_idx"),
            models.Index(fields=["group", "status"], name="groups_enrollment_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} in {self.group_id} ({self.status})"


class JoinRequest(models.Model):
    """A visitor's "Request to join" from the public directory (until self-referral, in
    the intake issue, replaces it). Holds contact details only; no clinical content."""

    group = models.ForeignKey(TherapyGroup, on_delete=models.CASCADE, related_name="join_requests")
    name = models.CharField(_("your name"), max_length=150)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=25, blank=True)
    state = models.CharField(_("state you live in"), max_length=2)
    # A keyed hash of the sender's IP address (never the address itself), so requests
    # per connection can be limited without Redis (groups/directory.py).
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ip_hash", "created_at"], name="groups_joinrequest_ip_idx"),
            models.Index(fields=["handled_at", "created_at"], name="groups_joinrequest_open_idx"),
        ]

    def __str__(self) -> str:
        return f"join request {self.pk} for {self.group_id}"


class NoticeEmail(models.Model):
    """That the short email for one notification (a cancelled session, a paused group)
    was sent. The sending task claims the notification by inserting this row, so running
    the task twice sends one email."""

    notification = models.OneToOneField(
        "notifications.Notification", on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"email for notification {self.notification_id}"
