"""Milestones that give hope (issue 8).

A milestone is one event worth celebrating in a member's time in a group — their first
session, their fourth, a reliable improvement in their answers, a goal reached, their
graduation. ``detection.detect`` finds them (one row per event: the unique key is client,
group, kind and ``source_key``) and suggests the member share it. Nothing is shared
unless the member chooses to, and then only a neutral label for the kind ("came to their
first session", "marked a milestone") and the words they write themselves — never a
score, and never that a questionnaire was behind it.

A facilitator may hide a shared milestone from the group (with a reason); the row and
the member's words are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: Longest message a member may add, in characters.
MESSAGE_MAX = 500
REASON_MAX = 500


class MilestoneKind(models.TextChoices):
    FIRST_SESSION = "first_session", _("First session")
    FOURTH_SESSION = "fourth_session", _("Fourth session")
    RELIABLE_IMPROVEMENT = "reliable_improvement", _("A real improvement")
    GOAL_REACHED = "goal_reached", _("Goal reached")
    GRADUATION = "graduation", _("Graduation")


class MilestoneState(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested to the member")
    SHARED = "shared", _("Shared with the group")
    DISMISSED = "dismissed", _("Kept private")
    #: A suggested improvement the latest answers no longer show (never shared).
    WITHDRAWN = "withdrawn", _("No longer current")


class Milestone(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    #: The member's account when the milestone was found (who is told and may share).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "groups.TherapyGroup", on_delete=models.PROTECT, related_name="milestones"
    )
    kind = models.CharField(max_length=24, choices=MilestoneKind.choices)
    #: What makes the event unique within its kind ("" for once-per-membership kinds,
    #: the goal's id for a goal reached).
    source_key = models.CharField(max_length=40, blank=True, default="")
    happened_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=MilestoneState.choices, default=MilestoneState.SUGGESTED
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    #: The member's own words, as written (plain text, shown escaped).
    message = models.TextField(max_length=MESSAGE_MAX, blank=True)
    #: Risk categories found in the message (kindred/space/risk.py), never the words.
    risk_categories = models.JSONField(default=list, blank=True)
    hidden = models.BooleanField(default=False)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moderation_reason = models.CharField(max_length=REASON_MAX, blank=True)

    class Meta:
        ordering = ["-happened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "group", "kind", "source_key"], name="milestones_one_per_event"
            ),
            models.CheckConstraint(
                condition=~Q(state="shared") | Q(shared_at__isnull=False),
                name="milestones_shared_has_time",
            ),
            models.CheckConstraint(
                condition=Q(hidden=False) | Q(moderated_at__isnull=False),
                name="milestones_hidden_has_moderation",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "state", "-shared_at"], name="milestones_group_shared"),
            models.Index(fields=["client", "state"], name="milestones_client_state"),
        ]

    def __str__(self) -> str:
        # Never the message: this may end up in a log or an error page.
        return f"milestone {self.pk}"

    @property
    def risk_flagged(self) -> bool:
        return bool(self.risk_categories)

    @property
    def is_shared(self) -> bool:
        return self.state == MilestoneState.SHARED
