"""Measurement-based care: instruments (definitions as data), when they are sent,
administrations and their item answers, safety alerts, and the practice's outcome rules.

Scores are never stored as the source of truth: item answers are, and totals are
computed by the pure scoring code (measures/scoring.py) and cached on the administration
when it completes (CLINICAL.md: an incomplete administration is marked, never banded).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.models import TimeStampedModel


class Instrument(TimeStampedModel):
    """A questionnaire. Built-in instruments come from code (measures/instruments/);
    a practice holding a licence may load another from a definition file."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    definition = models.JSONField(_("definition"))
    definition_sha256 = models.CharField(max_length=64)
    builtin = models.BooleanField(default=False)
    validated = models.BooleanField(
        _("validated instrument"),
        default=True,
        help_text=_("False for Kindred's own group pulse: 'not a validated instrument'."),
    )
    source = models.CharField(_("source and citation"), max_length=500, blank=True)
    licence_note = models.CharField(_("licence"), max_length=500, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    # Reliable change (Jacobson & Truax 1991): SD of the reference sample and the
    # measure's reliability. Shown beside every result; editable by the practice.
    rc_sd = models.FloatField(_("reference SD (s1)"), null=True, blank=True)
    rc_reliability = models.FloatField(_("reliability (r)"), null=True, blank=True)
    rc_source = models.CharField(_("source of s1 and r"), max_length=300, blank=True)
    # The practice's values for the definition's tunable cut-offs (e.g. the PCL-5
    # provisional-PTSD cut-off), by cut-off key; a missing key means the default.
    cutoffs = models.JSONField(_("cut-offs"), default=dict, blank=True)
    # Loaded instruments: who confirmed the practice holds a licence for it, and when.
    licence_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    licence_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rc_reliability__isnull=True)
                | Q(rc_reliability__gt=0, rc_reliability__lt=1),
                name="measures_rc_reliability_range",
            ),
            models.CheckConstraint(
                condition=Q(rc_sd__isnull=True) | Q(rc_sd__gt=0), name="measures_rc_sd_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name


class InstrumentVersion(models.Model):
    """Every version of a definition ever used, kept unchanged so answers given to an
    older version can still be shown, scored and exported with the items they answered."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=20)
    definition = models.JSONField()
    definition_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["instrument_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "version"], name="measures_instrument_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} v{self.version}"


class Timing(models.TextChoices):
    INTAKE = "intake", _("At intake")
    BEFORE_SESSION = "before_session", _("Before every session")
    EVERY_NTH_SESSION = "every_nth", _("Before every Nth session")
    AFTER_SESSION = "after_session", _("After each session")
    GRADUATION = "graduation", _("At graduation")
    ADHOC = "adhoc", _("Sent by a clinician")


class MeasurementSchedule(TimeStampedModel):
    """Which instrument a group sends when."""

    group = models.ForeignKey(
        "groups.TherapyGroup", on_delete=models.CASCADE, related_name="measurement_schedules"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    timing = models.CharField(_("when"), max_length=16, choices=Timing.choices)
    every_n = models.PositiveSmallIntegerField(_("every N sessions"), null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group_id", "instrument_id", "timing"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "instrument", "timing"], name="measures_schedule_unique"
            ),
            models.CheckConstraint(
                condition=~Q(timing="every_nth") | Q(every_n__gte=2),
                name="measures_schedule_every_n",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.timing} for {self.group_id}"


class AdministrationStatus(models.TextChoices):
    PENDING = "pending", _("Not started")
    IN_PROGRESS = "in_progress", _("Started")
    COMPLETED = "completed", _("Completed")
    EXPIRED = "expired", _("Window closed")
    CANCELLED = "cancelled", _("Cancelled")


class Administration(TimeStampedModel):
    """One questionnaire sent to one member."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="administrations"
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="administrations"
    )
    # The instrument version the answers belong to; answers for another version are refused.
    instrument_version = models.CharField(max_length=20)
    group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administrations",
    )
    session = models.ForeignKey(
        "scheduling.GroupSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administrations",
    )
    schedule = models.ForeignKey(
        MeasurementSchedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="administrations",
    )
    reason = models.CharField(max_length=16, choices=Timing.choices)
    status = models.CharField(
        max_length=12,
        choices=AdministrationStatus.choices,
        default=AdministrationStatus.PENDING,
    )
    available_from = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Cached results of scoring the answers at completion (None when incomplete).
    is_complete = models.BooleanField(default=False)
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-available_from", "-id"]
        constraints = [
            # One administration per member, instrument, session and timing: planning
            # twice sends nothing twice.
            models.UniqueConstraint(
                fields=["client", "instrument", "session", "reason"],
                condition=Q(session__isnull=False),
                name="measures_admin_per_session",
            ),
        ]
        indexes = [
            models.Index(
                fields=["client", "instrument", "completed_at"], name="measures_admin_trend"
            ),
            models.Index(fields=["group", "completed_at"], name="measures_admin_group"),
            models.Index(fields=["status", "closes_at"], name="measures_admin_open"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} for {self.client_id} ({self.status})"


class Response(models.Model):
    """One item answer. Changeable until the administration is completed; never after."""

    administration = models.ForeignKey(
        Administration, on_delete=models.CASCADE, related_name="responses"
    )
    item = models.CharField(max_length=40)
    value = models.SmallIntegerField()
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["administration_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["administration", "item"], name="measures_response_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.administration_id}:{self.item}={self.value}"


class AlertSource(models.TextChoices):
    ITEM_FLAG = "item_flag", _("Questionnaire answer")
    RISK_LANGUAGE = "risk_language", _("Risk language in writing")
    RELIABLE_DETERIORATION = "deterioration", _("Reliable deterioration")
    MANUAL = "manual", _("Raised by a clinician")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class AlertAction(models.TextChoices):
    CONTACTED = "contacted", _("Contacted the member")
    SAFETY_PLAN = "safety_plan", _("Made or reviewed a safety plan")
    REFERRED = "referred", _("Referred for more support")
    EMERGENCY = "emergency", _("Called emergency services")
    OTHER = "other", _("Other (described)")


class SafetyAlert(models.Model):
    """A risk signal a clinician must acknowledge with the action taken
    (CLINICAL.md "Safety"). Written in the same transaction as what raised it."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="safety_alerts"
    )
    group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="safety_alerts",
    )
    administration = models.ForeignKey(
        Administration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="safety_alerts",
    )
    source = models.CharField(max_length=14, choices=AlertSource.choices)
    # What exactly raised it, e.g. "phq9.item9" or a post id; never the text itself.
    flag_code = models.CharField(max_length=80)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=12, choices=AlertAction.choices, blank=True)
    action_note = models.TextField(max_length=2000, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One alert per flag per administration, however often scoring runs.
            models.UniqueConstraint(
                fields=["administration", "flag_code"],
                condition=Q(administration__isnull=False),
                name="measures_alert_once_per_flag",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(acknowledged_at__isnull=False) & ~Q(action="")),
                name="measures_alert_ack_has_action",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="measures_alert_open"),
            models.Index(fields=["group", "status"], name="measures_alert_group"),
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} ({self.flag_code}, {self.status})"


class OutcomeSettings(TimeStampedModel):
    """The practice's safety and outcome rules (a single row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    escalate_after_minutes = models.PositiveIntegerField(
        _("escalate unacknowledged alerts after (minutes)"), default=240
    )
    clinical_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clinical lead (receives escalations)"),
    )
    not_on_track_after_sessions = models.PositiveSmallIntegerField(
        _("flag 'not on track' when no reliable improvement after this many sessions"), default=6
    )
    flag_reliable_deterioration = models.BooleanField(
        _("flag 'not on track' on reliable deterioration"), default=True
    )
    alert_on_reliable_deterioration = models.BooleanField(
        _("raise a safety alert on reliable deterioration"), default=False
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="measures_settings_single_row"),
            models.CheckConstraint(
                condition=Q(escalate_after_minutes__gte=15, escalate_after_minutes__lte=10080),
                name="measures_escalation_range",
            ),
        ]

    def __str__(self) -> str:
        return "Outcome settings"


class OutcomeSummary(models.Model):
    """One row per member per instrument: the first and latest complete totals, how
    many there are, and the change between them (measures/rc.py: the Reliable Change
    Index and the Talking Therapies classification, CLINICAL.md "Change over time").

    Derived data, never the source of truth: written in the same transaction as the
    completion that changes it (``measures/summary.py``, called by
    ``answering.administration_submit``), refreshed when an instrument's definition or
    s1 and r change, and rebuilt from the administrations by
    ``manage.py rebuild_outcome_summary``. ``basis`` names the definition and s1/r the
    change was classified with; a reader whose instrument has moved on reclassifies from
    the stored totals rather than trust a stale status."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    measured = models.PositiveIntegerField(_("complete answers"))
    first_administration_id = models.BigIntegerField()
    first_completed_at = models.DateTimeField()
    first_total = models.IntegerField()
    first_band = models.CharField(max_length=40, blank=True)
    latest_administration_id = models.BigIntegerField()
    latest_completed_at = models.DateTimeField()
    latest_total = models.IntegerField()
    latest_band = models.CharField(max_length=40, blank=True)
    # The change from the first to the latest total ("" / None with a single total or
    # when the instrument's change cannot be classified).
    outcome = models.CharField(max_length=20, blank=True)
    rci = models.FloatField(null=True, blank=True)
    rci_direction = models.CharField(max_length=20, blank=True)
    # At or above caseness (None: the definition has no caseness threshold).
    case_at_first = models.BooleanField(null=True, blank=True)
    case_at_latest = models.BooleanField(null=True, blank=True)
    basis = models.CharField(max_length=120, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "instrument"], name="measures_summary_per_instrument"
            ),
        ]

    def __str__(self) -> str:
        return f"summary {self.client_id}/{self.instrument_id} ({self.measured})"
