"""Billing: the practice's billing rules, per-member fee overrides, diagnoses (ICD-10) on
the member record, charges made from attendance, and payments recorded by hand.

Money is kept in whole cents (integers). A charge starts as a draft and is posted;
a posted charge never changes (the model, its queryset and a database trigger refuse
it): a correction is a separate adjustment charge.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.errors import InvalidState
from kindred.core.models import TimeStampedModel

#: CPT code for group psychotherapy (CLINICAL.md "Billing facts").
CPT_GROUP_PSYCHOTHERAPY = "90853"

#: ICD-10-CM: a letter, a digit, a letter or digit; then optionally a dot and one to
#: four more letters or digits (3 to 7 characters in all).
ICD10_RE = re.compile(r"^[A-Z][0-9][A-Z0-9](\.[A-Z0-9]{1,4})?$")


def normalize_icd10(value: str) -> str:
    """Upper case, spaces trimmed, and the dot after the third character put in when a
    code is typed without it ("F411" → "F41.1"). Does not validate."""
    code = value.strip().upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def validate_icd10(value: str) -> None:
    if not ICD10_RE.fullmatch(value):
        raise ValidationError(
            _(
                "An ICD-10 code is a letter, a digit and a letter or digit, then optionally "
                "a dot and up to four more letters or digits, for example F41.1."
            ),
            code="invalid_icd10",
        )


class BillingSettings(TimeStampedModel):
    """The practice's billing rules (a single row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    no_show_fee_cents = models.PositiveIntegerField(
        _("no-show fee (cents)"), null=True, blank=True, help_text=_("Empty: no fee.")
    )
    late_cancel_fee_cents = models.PositiveIntegerField(
        _("late-cancellation fee (cents)"), null=True, blank=True, help_text=_("Empty: no fee.")
    )
    late_cancel_hours = models.PositiveSmallIntegerField(
        _("notice needed (hours before the session)"), default=24
    )
    individual_fee_cents = models.PositiveIntegerField(
        _("the practice's individual-session fee (cents)"), null=True, blank=True
    )
    modifier_95_for_virtual = models.BooleanField(
        _("add modifier 95 to virtual sessions on superbills"), default=False
    )
    payer_note = models.CharField(_("note for insurers on superbills"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("billing settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="billing_settings_single_row"),
            models.CheckConstraint(
                condition=Q(late_cancel_hours__lte=336), name="billing_settings_late_hours"
            ),
        ]

    def __str__(self) -> str:
        return "Billing settings"


class FeeOverrideKind(models.TextChoices):
    SLIDING_SCALE = "sliding", _("Sliding scale")
    SCHOLARSHIP = "scholarship", _("Scholarship (no fee)")


class FeeOverride(TimeStampedModel):
    """A member's own fee for their place in a group, from a date (and until one)."""

    enrollment = models.ForeignKey(
        "groups.Enrollment", on_delete=models.PROTECT, related_name="fee_overrides"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FeeOverrideKind.choices)
    fee_cents = models.PositiveIntegerField(_("fee per session (cents)"))
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["enrollment_id", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="billing_override_dates",
            ),
            models.CheckConstraint(
                condition=~Q(kind="scholarship") | Q(fee_cents=0),
                name="billing_override_scholarship_free",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.fee_cents} for {self.enrollment_id}"

    def covers(self, day: Any) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class Diagnosis(TimeStampedModel):
    """An ICD-10-CM code on a member's record."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="diagnoses")
    code = models.CharField(_("ICD-10 code"), max_length=8, validators=[validate_icd10])
    description = models.CharField(_("description"), max_length=200)
    is_primary = models.BooleanField(_("primary diagnosis"), default=False)
    starts_on = models.DateField(_("diagnosed on"))
    ends_on = models.DateField(_("resolved on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["client_id", "-is_primary", "starts_on", "id"]
        verbose_name_plural = _("diagnoses")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="billing_diagnosis_dates",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z][0-9][A-Z0-9](\.[A-Z0-9]{1,4})?$"),
                name="billing_diagnosis_code_format",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(is_primary=True, ends_on__isnull=True),
                name="billing_one_current_primary",
                violation_error_message=_("This member already has a current primary diagnosis."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    def current_on(self, day: Any) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class ChargeKind(models.TextChoices):
    SESSION = "session", _("Group session")
    NO_SHOW = "no_show", _("No-show fee")
    LATE_CANCEL = "late_cancel", _("Late-cancellation fee")
    ADJUSTMENT = "adjustment", _("Adjustment")


class ChargeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")


class FeeSource(models.TextChoices):
    GROUP = "group", _("Group fee")
    SLIDING_SCALE = "sliding", _("Sliding scale")
    SCHOLARSHIP = "scholarship", _("Scholarship")
    POLICY = "policy", _("Practice policy")
    CORRECTION = "correction", _("Correction")


class PlaceOfService(models.TextChoices):
    TELEHEALTH_NOT_HOME = "02", _("02 Telehealth, not in the member's home")
    TELEHEALTH_HOME = "10", _("10 Telehealth in the member's home")
    OFFICE = "11", _("11 Office")


class ChargeQuerySet(models.QuerySet["Charge"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(status=ChargeStatus.POSTED).exists():
            raise InvalidState(str(_("A posted charge cannot be changed.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status=ChargeStatus.POSTED).exists():
            raise InvalidState(str(_("A posted charge cannot be deleted.")))
        return super().delete()


class Charge(TimeStampedModel):
    """One member's charge for one session (or a correction of one).

    At most one non-adjustment charge per member and session, and at most one draft
    per member and session (so re-creating charges updates the draft in place).
    """

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="charges")
    session = models.ForeignKey(
        "scheduling.GroupSession", on_delete=models.PROTECT, related_name="charges"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ChargeKind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=ChargeStatus.choices, default=ChargeStatus.DRAFT
    )
    amount_cents = models.IntegerField(_("amount (cents)"))
    fee_source = models.CharField(_("fee from"), max_length=12, choices=FeeSource.choices)
    service_date = models.DateField(_("date of service"))
    attendance_status = models.CharField(_("attendance"), max_length=16, blank=True)
    cpt_code = models.CharField(_("CPT code"), max_length=5, blank=True)
    place_of_service = models.CharField(
        _("place of service"), max_length=2, choices=PlaceOfService.choices, blank=True
    )
    # True when the place of service is a default, not something the member told us.
    place_assumed = models.BooleanField(default=False)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ChargeQuerySet.as_manager()

    class Meta:
        ordering = ["service_date", "session_id", "client_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "session"],
                condition=~Q(kind="adjustment"),
                name="billing_one_charge_per_session",
            ),
            models.UniqueConstraint(
                fields=["client", "session"],
                condition=Q(status="draft"),
                name="billing_one_draft_per_session",
            ),
            models.CheckConstraint(
                condition=Q(kind="adjustment") | Q(amount_cents__gte=0),
                name="billing_charge_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(posted_at__isnull=False),
                name="billing_charge_posted_at",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "service_date"], name="billing_charge_client_idx"),
            models.Index(fields=["status", "service_date"], name="billing_charge_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents} for {self.client_id} at {self.session_id}"

    @property
    def is_posted(self) -> bool:
        return self.status == ChargeStatus.POSTED

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == ChargeStatus.POSTED:
                raise InvalidState(str(_("A posted charge cannot be changed.")))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_posted:
            raise InvalidState(str(_("A posted charge cannot be deleted.")))
        return super().delete(*args, **kwargs)


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    CHECK = "check", _("Check")
    BANK = "bank", _("Bank transfer")
    HSA = "hsa", _("HSA or FSA card")
    INSURANCE = "insurance", _("Insurance reimbursement")
    OTHER = "other", _("Other")


class Payment(TimeStampedModel):
    """Money received from (or for) a member, recorded by hand."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="payments")
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="billing_payment_positive")
        ]
        indexes = [
            models.Index(fields=["client", "received_on"], name="billing_payment_client_idx")
        ]

    def __str__(self) -> str:
        return f"{self.amount_cents} from {self.client_id} on {self.received_on}"
