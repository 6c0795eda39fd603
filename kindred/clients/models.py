"""Client records: the people the practice serves, and their portal invitations."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.core.models import TimeStampedModel
from kindred.core.validators import (
    validate_not_future,
    validate_phone,
    validate_state_code,
    validate_timezone,
)
from kindred.practice.states import STATE_CHOICES

#: A US ZIP code: five digits, or ZIP+4 ("60601" or "60601-1234").
ZIP_RE = r"^[0-9]{5}(-[0-9]{4})?$"


def validate_zip_code(value: str) -> None:
    if value and not re.fullmatch(ZIP_RE, value):
        raise ValidationError(
            _("Enter a 5-digit ZIP code, or ZIP+4 like 60601-1234."), code="invalid_zip"
        )


class ConcernTag(TimeStampedModel):
    """A presenting concern the practice groups people by (grief, anxiety, ...)."""

    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="clients_concern_name_unique")]

    def __str__(self) -> str:
        return self.name


class Modality(models.TextChoices):
    VIRTUAL = "virtual", _("Virtual")
    IN_PERSON = "in_person", _("In person")
    EITHER = "either", _("Either")


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


LANGUAGE_CHOICES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pl", _("Polish")),
    ("zh", _("Chinese")),
    ("ar", _("Arabic")),
    ("tl", _("Tagalog")),
    ("vi", _("Vietnamese")),
    ("ko", _("Korean")),
    ("ru", _("Russian")),
    ("ht", _("Haitian Creole")),
    ("asl", _("American Sign Language")),
    ("other", _("Other")),
]


class Gender(models.TextChoices):
    """A person's gender as they describe it (optional). Matching uses it only for groups
    that are for people of one gender (``groups.TherapyGroup.gender_focus``)."""

    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NONBINARY = "nonbinary", _("Non-binary")
    ANOTHER = "another", _("Another gender")
    PREFER_NOT = "prefer_not", _("Prefer not to say")


#: The genders a group may be for: a group's ``gender_focus`` holds one of these codes
#: and takes only people whose recorded gender is the same code.
GROUP_GENDER_CHOICES = [
    (Gender.WOMAN.value, _("Women")),
    (Gender.MAN.value, _("Men")),
    (Gender.NONBINARY.value, _("Non-binary people")),
]


class Client(TimeStampedModel):
    legal_first_name = models.CharField(_("legal first name"), max_length=100)
    legal_last_name = models.CharField(_("legal last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), validators=[validate_not_future])
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=25, blank=True, validators=[validate_phone])
    state_of_residence = models.CharField(
        _("state of residence"), max_length=2, choices=STATE_CHOICES,
        validators=[validate_state_code],
    )  # fmt: skip
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/Chicago", validators=[validate_timezone]
    )
    # Postal address (optional; superbills and record exports print it). Its state is
    # ``state_of_residence``: one state per person, the one licensure is checked against.
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(
        _("ZIP code"), max_length=10, blank=True, validators=[validate_zip_code]
    )
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=150, blank=True)
    emergency_contact_relationship = models.CharField(_("relationship"), max_length=60, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=25, blank=True, validators=[validate_phone]
    )
    preferred_modality = models.CharField(
        _("preferred modality"), max_length=10, choices=Modality.choices, default=Modality.EITHER
    )
    language = models.CharField(
        _("language"), max_length=10, choices=LANGUAGE_CHOICES, default="en"
    )
    concerns = models.ManyToManyField(
        ConcernTag, blank=True, related_name="clients", verbose_name=_("presenting concerns")
    )
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, blank=True)
    # The practice's offices they could get to for an in-person group.
    locations = models.ManyToManyField(
        "practice.Location",
        blank=True,
        related_name="clients",
        verbose_name=_("offices they could get to"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    # Reminder preferences. Text messages need explicit opt-in; replying STOP opts out.
    email_reminders = models.BooleanField(_("email reminders"), default=True)
    sms_reminders = models.BooleanField(_("text-message reminders"), default=False)
    sms_opted_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="client",
        verbose_name=_("portal account"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Lower-cased "first last preferred" for name search; maintained by the services.
    search_name = models.CharField(max_length=310, editable=False, db_index=True)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(
                Lower("legal_last_name"), Lower("legal_first_name"), name="clients_name_idx"
            ),
            models.Index(fields=["date_of_birth"], name="clients_dob_idx"),
            # The list page's default order; lets PostgreSQL read a page without sorting.
            models.Index(
                fields=["legal_last_name", "legal_first_name", "id"], name="clients_order_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(postal_code="") | Q(postal_code__regex=ZIP_RE),
                name="clients_client_zip_format",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name staff address the person by: preferred first name, legal last name."""
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def has_address(self) -> bool:
        return bool(self.address_line1 or self.city or self.postal_code)

    @property
    def address_lines(self) -> list[str]:
        """The postal address as printed on a letter (empty when none is recorded):
        street lines, then "City, ST 60601"."""
        if not self.has_address:
            return []
        last = " ".join(p for p in (self.state_of_residence, self.postal_code) if p)
        place = ", ".join(p for p in (self.city, last) if p)
        return [line for line in (self.address_line1, self.address_line2, place) if line]


class ClientStatusChange(models.Model):
    """One archive or restore of a client record, with the reason given.

    The reason may be clinical ("admitted to hospital"), so it lives here, readable by
    those who can read the record, and never in the audit log's ``detail``.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=10, choices=ClientStatus.choices)
    reason = models.CharField(_("reason"), max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"client {self.client_id} {self.status}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AvailabilityWindow(models.Model):
    """A weekly window in which the client can attend, in the client's time zone."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="clients_window_order"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="clients_window_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class InvitationStatus(models.TextChoices):
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent, waiting")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class PortalInvitation(models.Model):
    """A one-time link that lets a client create their member account.

    Only a hash of the token is stored; the token itself exists only in the email. The
    token is made by the sending task (``sent_at`` NULL means "not sent yet"), so it is
    never written to the task queue either.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation {self.pk} for client {self.client_id}"

    def status_at(self, now: datetime) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        if self.sent_at is None:
            return InvitationStatus.SENDING
        return InvitationStatus.SENT

    @property
    def status(self) -> InvitationStatus:
        return self.status_at(timezone.now())

    @property
    def is_open(self) -> bool:
        return self.status in {InvitationStatus.SENDING, InvitationStatus.SENT}
