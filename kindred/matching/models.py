"""Matching runs and their proposals (issue 6). The engine (``engine.py``) is pure; these
rows hold what a run proposed and what the coordinator decided about each line. A
proposal never changes anyone's place: accepting a line starts a screening or offers a
place through the intake and group services (``services.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import LANGUAGE_CHOICES
from kindred.core.models import TimeStampedModel

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    StrOrPromise = str | _StrPromise

WEIGHT_MIN = 0
WEIGHT_MAX = 10
#: The Weights fields, in the order the settings page shows them.
WEIGHT_FIELDS = (
    "concern_overlap",
    "waited",
    "urgency",
    "composition",
    "fill_minimum",
    "continuity",
)


def _weight(
    label: StrOrPromise, default: float, help_text: StrOrPromise
) -> models.FloatField[float, float]:
    return models.FloatField(
        label,
        default=default,
        validators=[MinValueValidator(WEIGHT_MIN), MaxValueValidator(WEIGHT_MAX)],
        help_text=help_text,
    )


class MatchingSettings(TimeStampedModel):
    """The practice's preference weights (a single row, id 1; 0 = ignore, 10 = most)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    concern_overlap = _weight(
        _("shared concerns"), 2.0, _("Prefer groups whose focus matches the person's concerns.")
    )
    waited = _weight(_("time waited"), 10.0, _("Prefer the people who have waited longest."))
    urgency = _weight(_("urgency"), 2.0, _("Prefer the people whose need is most urgent."))
    composition = _weight(
        _("group composition"),
        1.0,
        _("Avoid leaving anyone as the only member unlike all the others."),
    )
    fill_minimum = _weight(
        _("filling small groups"),
        2.0,
        _("Prefer groups below their minimum size, so they can start."),
    )
    continuity = _weight(
        _("same facilitator"), 1.0, _("Prefer a facilitator the person has been in a group with.")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("matching settings")
        verbose_name_plural = _("matching settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="matching_settings_single_row"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": WEIGHT_MIN, f"{name}__lte": WEIGHT_MAX}),
                    name=f"matching_weight_{name}_range",
                )
                for name in WEIGHT_FIELDS
            ],
        ]

    def __str__(self) -> str:
        return "matching settings"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class MatchRun(models.Model):
    """One run of matching over the waitlist (or part of it)."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The waitlist filters used ({"concern": 3, "state": "IL", ...}; {} = everyone).
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # The weights used (a copy: the settings may change later).
    weights = models.JSONField(_("weights"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    error = models.CharField(_("what went wrong"), max_length=500, blank=True)
    # What a running run is doing now, in plain words ("Finding the best proposal").
    progress = models.CharField(_("progress"), max_length=200, blank=True)
    # From the solver: "optimal", "time_limit" or "empty".
    solver_status = models.CharField(_("solver status"), max_length=20, blank=True)
    objective = models.FloatField(_("objective"), null=True, blank=True)
    bound = models.FloatField(_("bound"), null=True, blank=True)
    gap = models.FloatField(_("gap"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    people_count = models.PositiveIntegerField(_("people"), default=0)
    group_count = models.PositiveIntegerField(_("groups with seats"), default=0)
    placed_count = models.PositiveIntegerField(_("proposed"), default=0)
    unplaced_count = models.PositiveIntegerField(_("not placed"), default=0)
    suggestion_count = models.PositiveIntegerField(_("new groups suggested"), default=0)
    # Days waited of the people proposed and of everyone who fitted a group, and the
    # longest-waiting person left out (services.fairness_of): {} for older runs.
    fairness = models.JSONField(_("fairness"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # Only one run at a time: a second start fails on this index.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="running"),
                name="matching_one_run_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"matching run {self.pk} ({self.status})"


class Decision(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    ACCEPTED = "accepted", _("Accepted")
    EDITED = "edited", _("Accepted with another group")
    REJECTED = "rejected", _("Rejected")


class ProposalLine(models.Model):
    """One person in a run's proposal: the group proposed (or none) and why."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="lines")
    # The order of the proposal: most urgent, then longest waiting first.
    position = models.PositiveIntegerField()
    entry = models.ForeignKey(
        "intake.WaitlistEntry", on_delete=models.CASCADE, related_name="proposal_lines"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="proposal_lines"
    )
    group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="proposal_lines",
        verbose_name=_("proposed group"),
    )
    score = models.FloatField(_("score"), default=0)
    # A list of {preference, points, words}, as types.Reason.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # For the unplaced: {"<group id>": ["schedule", "licensure"], ...}
    blocked = models.JSONField(_("blocked by"), default=dict, blank=True)
    # As they were when the run looked.
    waited_days = models.PositiveIntegerField(_("days waited"), default=0)
    urgency = models.CharField(_("urgency"), max_length=10, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    chosen_group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group chosen"),
    )
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    screening = models.ForeignKey(
        "intake.Screening", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrollment = models.ForeignKey(
        "groups.Enrollment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["run_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "entry"], name="matching_line_once_per_run"),
        ]
        indexes = [
            models.Index(fields=["run", "decision"], name="matching_line_decision_idx"),
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of run {self.run_id}"


class GroupSuggestion(models.Model):
    """A new group worth opening, from the people no existing group could take."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="suggestions")
    modality = models.CharField(_("modality"), max_length=10)
    states = models.JSONField(_("states"), default=list)
    concern = models.ForeignKey(
        "clients.ConcernTag", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The weekly meeting time, minutes of the week in UTC [start, end).
    meeting_start = models.PositiveIntegerField(_("meets from (UTC minute of the week)"))
    meeting_end = models.PositiveIntegerField(_("meets until (UTC minute of the week)"))
    entry_ids = models.JSONField(_("waitlist entries"), default=list)
    count = models.PositiveIntegerField(_("people it would serve"))
    # The language its people share ("" for suggestions stored before it was kept).
    language = models.CharField(
        _("language"), max_length=10, choices=LANGUAGE_CHOICES, blank=True, default=""
    )

    class Meta:
        ordering = ["run_id", "-count", "id"]

    def __str__(self) -> str:
        return f"suggestion {self.pk} of run {self.run_id}"
