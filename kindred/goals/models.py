"""Goals and weekly check-ins between sessions (issue 8): gentle accountability.

A member sets personal goals (what, why, by when, a small next step), checks in once a
week (progress 0–10 and a sentence) and chooses per goal whether their group sees it.
Group members may send a supportive reply to a shared goal. The member's facilitators
see every goal and check-in of their members (``access``); nobody else in the group
ever sees a private goal, the "why" of any goal, or a check-in note that held risk
language.

Texts are stored exactly as written and escaped on display (never rendered as HTML).
Free text a member writes is screened for risk language (``kindred.space.risk``); the
categories found are kept, never the words that matched.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import Weekday
from kindred.core.models import TimeStampedModel

WHAT_MAX = 200
WHY_MAX = 1000
NEXT_STEP_MAX = 300
NOTE_MAX = 280
REPLY_MAX = 500
REASON_MAX = 500
PROGRESS_MIN = 0
PROGRESS_MAX = 10
#: Thursday: the default day from which a gentle nudge may be sent (0 = Monday).
DEFAULT_NUDGE_DAY = 3


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Working on it")
    REACHED = "reached", _("Reached")
    SET_ASIDE = "set_aside", _("Set aside for now")


class Goal(TimeStampedModel):
    """One member's goal. ``group`` is the group it belongs to (whose facilitators see
    it, and whose members see it when ``shared_with_group``); null for a member with no
    active group (then only they see it)."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="goals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
    )
    what = models.CharField(_("what"), max_length=WHAT_MAX)
    why = models.TextField(_("why it matters"), max_length=WHY_MAX, blank=True)
    by_when = models.DateField(_("by when"), null=True, blank=True)
    next_step = models.CharField(_("a small next step"), max_length=NEXT_STEP_MAX, blank=True)
    shared_with_group = models.BooleanField(_("my group can see this goal"), default=False)
    status = models.CharField(
        max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE, db_index=True
    )
    reached_at = models.DateTimeField(null=True, blank=True)
    set_aside_at = models.DateTimeField(null=True, blank=True)
    nudges = models.BooleanField(_("send me a gentle reminder to check in"), default=True)
    nudge_day = models.PositiveSmallIntegerField(
        _("remind me from"), choices=Weekday.choices, default=DEFAULT_NUDGE_DAY
    )
    #: Risk categories found in what / why / next step when last saved (never the words).
    risk_categories = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "status"], name="goals_goal_client"),
            models.Index(fields=["group", "shared_with_group", "status"], name="goals_goal_group"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="reached") | Q(reached_at__isnull=False),
                name="goals_reached_has_time",
            ),
            models.CheckConstraint(
                condition=Q(nudge_day__gte=0) & Q(nudge_day__lte=6), name="goals_nudge_day_range"
            ),
        ]

    def __str__(self) -> str:
        # Never the text: this may end up in a log or an error page.
        return f"goal {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == GoalStatus.ACTIVE


class CheckIn(models.Model):
    """One check-in per goal per week. ``week_of`` is the Monday of the ISO week in the
    member's own time zone."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkins")
    week_of = models.DateField()
    progress = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(PROGRESS_MIN), MaxValueValidator(PROGRESS_MAX)]
    )
    note = models.CharField(_("a sentence about this week"), max_length=NOTE_MAX, blank=True)
    risk_categories = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-week_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "week_of"], name="goals_one_checkin_a_week"),
            models.CheckConstraint(
                condition=Q(progress__gte=PROGRESS_MIN) & Q(progress__lte=PROGRESS_MAX),
                name="goals_progress_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk}"

    @property
    def risk_flagged(self) -> bool:
        return bool(self.risk_categories)


class ReplyStatus(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HIDDEN = "hidden", _("Hidden by the facilitator")


class SupportReply(models.Model):
    """A supportive reply to a shared goal (optionally to one of its check-ins). Hiding
    keeps the text, with who hid it, when and why."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="replies")
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("your reply"), max_length=REPLY_MAX)
    created_at = models.DateTimeField()
    status = models.CharField(
        max_length=8, choices=ReplyStatus.choices, default=ReplyStatus.VISIBLE
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=REASON_MAX, blank=True)
    risk_categories = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "support replies"
        indexes = [models.Index(fields=["goal", "status"], name="goals_reply_goal")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="visible") | Q(hidden_at__isnull=False),
                name="goals_hidden_reply_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"support reply {self.pk}"

    @property
    def risk_flagged(self) -> bool:
        return bool(self.risk_categories)
