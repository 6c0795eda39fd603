"""The practice: its profile, locations and rooms, clinicians, their licenses, and the
interstate compacts (as data the admin edits, never as code: CLINICAL.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kindred.core.models import TimeStampedModel
from kindred.core.validators import (
    validate_npi,
    validate_phone,
    validate_reminder_offsets,
    validate_state_code,
    validate_state_codes,
    validate_timezone,
)
from kindred.practice.states import STATE_CHOICES

DEFAULT_CRISIS_TEXT = (
    "If you are in crisis or thinking about suicide, call or text 988 (Suicide & Crisis "
    "Lifeline), any time. In an emergency, call 911."
)


def default_reminder_offsets() -> list[int]:
    return [24 * 60, 60]


class Practice(TimeStampedModel):
    """The one practice this deployment serves (a single row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    name = models.CharField(_("practice name"), max_length=120)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/Chicago", validators=[validate_timezone]
    )
    states_served = models.JSONField(
        _("states served"), default=list, blank=True, validators=[validate_state_codes]
    )
    crisis_resources = models.TextField(
        _("crisis resources"),
        max_length=2000,
        default=DEFAULT_CRISIS_TEXT,
        help_text=_("Shown on every member page beside the 988 link."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=25, blank=True, validators=[validate_phone]
    )
    staff_idle_minutes = models.PositiveSmallIntegerField(
        _("staff idle time-out (minutes)"), default=15
    )
    member_idle_minutes = models.PositiveSmallIntegerField(
        _("member idle time-out (minutes)"), default=30
    )
    reminder_minutes_before = models.JSONField(
        _("reminders (minutes before a session)"),
        default=default_reminder_offsets,
        blank=True,
        validators=[validate_reminder_offsets],
        help_text=_("When members get reminders, e.g. 1440 (a day) and 60 (an hour)."),
    )
    #: How long a closed member's clinical record is kept (datarights/closure.py records
    #: ``retain_until`` = closure date + this many years). The law is the state's.
    record_retention_years = models.PositiveSmallIntegerField(
        _("keep clinical records (years after an account closes)"),
        default=7,
        help_text=_(
            "Check your states' record-keeping law; seven years covers most states' rules "
            "for adults. Applies to accounts closed from now on."
        ),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="practice_single_row"),
            models.CheckConstraint(
                condition=Q(staff_idle_minutes__gte=1, staff_idle_minutes__lte=720),
                name="practice_staff_idle_range",
            ),
            models.CheckConstraint(
                condition=Q(member_idle_minutes__gte=1, member_idle_minutes__lte=720),
                name="practice_member_idle_range",
            ),
            models.CheckConstraint(
                condition=Q(record_retention_years__gte=1, record_retention_years__lte=100),
                name="practice_record_retention_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Location(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(
        _("state"), max_length=2, choices=STATE_CHOICES, validators=[validate_state_code]
    )
    postal_code = models.CharField(_("ZIP code"), max_length=10)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    phone = models.CharField(_("phone"), max_length=25, blank=True, validators=[validate_phone])
    directions = models.TextField(
        _("arrival directions"),
        max_length=2000,
        blank=True,
        help_text=_("Shown to members: parking, entrance, accessibility."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="practice_location_name_unique"),
            models.CheckConstraint(
                condition=Q(postal_code__regex=r"^[0-9]{5}(-[0-9]{4})?$"),
                name="practice_location_zip_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Room(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=80)
    capacity = models.PositiveSmallIntegerField(_("seats"), default=12)
    accessibility_notes = models.CharField(_("accessibility"), max_length=300, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["location_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                "location", Lower("name"), name="practice_room_name_unique_per_location"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=500), name="practice_room_capacity"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ClinicianProfile(TimeStampedModel):
    """The professional side of a staff account that sees clients."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinician"
    )
    npi = models.CharField(
        _("NPI"), max_length=10, blank=True, validators=[validate_npi],
        help_text=_("National Provider Identifier, 10 digits."),
    )  # fmt: skip
    credentials = models.CharField(
        _("credentials"), max_length=120, blank=True, help_text=_("For example: LCPC, PhD")
    )
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    bio = models.TextField(_("member-facing bio"), max_length=3000, blank=True)
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisees",
        verbose_name=_("clinical supervisor"),
    )

    class Meta:
        ordering = ["user__full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["npi"], condition=~Q(npi=""), name="practice_clinician_npi_unique"
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("id")),
                name="practice_clinician_not_own_supervisor",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class CredentialStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PENDING = "pending", _("Pending")
    INACTIVE = "inactive", _("Inactive")
    EXPIRED = "expired", _("Expired")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


LICENSE_TYPE_SUGGESTIONS = [
    "LPC",
    "LCPC",
    "LMHC",
    "LCSW",
    "LSCSW",
    "LMSW",
    "LMFT",
    "LCMFT",
    "Licensed Psychologist",
    "PMHNP",
]


class License(TimeStampedModel):
    clinician = models.ForeignKey(
        ClinicianProfile, on_delete=models.CASCADE, related_name="licenses"
    )
    state = models.CharField(
        _("state"), max_length=2, choices=STATE_CHOICES, validators=[validate_state_code]
    )
    license_type = models.CharField(_("license type"), max_length=60)
    number = models.CharField(_("license number"), max_length=40)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CredentialStatus.choices,
        default=CredentialStatus.ACTIVE,
    )
    verified_on = models.DateField(
        _("verified on"), null=True, blank=True,
        help_text=_("When the license was last checked with the state board."),
    )  # fmt: skip

    class Meta:
        ordering = ["state", "expires_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="practice_license_expires_after_issue",
            ),
            models.UniqueConstraint(
                "state", Lower("license_type"), Lower("number"), name="practice_license_unique"
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_on"], name="practice_license_state_exp")]

    def __str__(self) -> str:
        return f"{self.license_type} {self.state} {self.number}"


class Compact(TimeStampedModel):
    """An interstate licensure compact (PSYPACT, Counseling Compact, Social Work
    Licensure Compact, ...). Membership changes over time, so it is data."""

    code = models.SlugField(_("short code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    profession = models.CharField(_("profession"), max_length=120, blank=True)
    notes = models.TextField(
        _("notes"), max_length=2000, blank=True,
        help_text=_("Where and when membership was last verified."),
    )  # fmt: skip

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CompactMemberState(TimeStampedModel):
    """A state's membership of a compact, with the dates it holds for."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="member_states")
    state = models.CharField(
        _("state"), max_length=2, choices=STATE_CHOICES, validators=[validate_state_code]
    )
    effective_from = models.DateField(_("member from"))
    effective_until = models.DateField(_("member until"), null=True, blank=True)

    class Meta:
        ordering = ["compact_id", "state", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["compact", "state", "effective_from"], name="practice_compact_state_unique"
            ),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_until__gt=models.F("effective_from")),
                name="practice_compact_state_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compact_id}:{self.state}"


class CompactPrivilege(TimeStampedModel):
    """A clinician's authority to practise in other states under a compact."""

    clinician = models.ForeignKey(
        ClinicianProfile, on_delete=models.CASCADE, related_name="privileges"
    )
    compact = models.ForeignKey(Compact, on_delete=models.PROTECT, related_name="privileges")
    home_state = models.CharField(
        _("home state"), max_length=2, choices=STATE_CHOICES, validators=[validate_state_code]
    )
    privilege_states = models.JSONField(
        _("privilege states"), default=list, validators=[validate_state_codes]
    )
    identifier = models.CharField(_("privilege or certificate number"), max_length=60, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CredentialStatus.choices,
        default=CredentialStatus.ACTIVE,
    )

    class Meta:
        ordering = ["compact_id", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="practice_privilege_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compact_id} privilege of {self.clinician_id}"
