"""Coping strategies (issue 8): "what helped me" cards members share with their group.

A card belongs to one group (``group``) and its author, waits for a facilitator's
approval and is then seen by the group's active members; or it belongs to the
practice-wide library (``group`` and ``author`` both empty), a copy a facilitator made
of an approved card with anything identifying removed (``promoted_from`` points back to
the original, for staff only). Cards are stored exactly as written and rendered through
``kindred.core.markdown`` (sanitised); nothing is ever deleted, only declined or
withdrawn. Marks ("I'll try it", "This helped") are one per person, card and kind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 120
WHAT_MAX = 1500
WHEN_MAX = 800
REASON_MAX = 500
#: Concerns a card may be tagged with.
CONCERNS_MAX = 5


class StrategyStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a facilitator")
    APPROVED = "approved", _("Shared with the group")
    DECLINED = "declined", _("Not shared")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MarkKind(models.TextChoices):
    TRY = "try", _("I'll try it")
    HELPED = "helped", _("This helped")


class Strategy(models.Model):
    group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="strategies",
        help_text=_("Empty for a card of the practice-wide library."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a card of the practice-wide library."),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    what_it_is = models.TextField(_("what it is"), max_length=WHAT_MAX)
    when_it_helps = models.TextField(_("when it helps"), max_length=WHEN_MAX)
    concerns = models.ManyToManyField("clients.ConcernTag", blank=True, related_name="+")
    status = models.CharField(
        max_length=10, choices=StrategyStatus.choices, default=StrategyStatus.PENDING
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(max_length=REASON_MAX, blank=True)
    promoted_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="promoted_copies"
    )
    #: Risk categories the screener found in the card (kindred/space/risk.py), never words.
    risk_categories = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("coping strategy")
        verbose_name_plural = _("coping strategies")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["group", "status", "-created_at"], name="strategies_group_status"),
            models.Index(fields=["author", "-created_at"], name="strategies_author"),
        ]
        constraints = [
            # A practice-library card has no author: nobody's name travels with it.
            models.CheckConstraint(
                condition=Q(group__isnull=False) | Q(author__isnull=True),
                name="strategies_library_card_has_no_author",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "withdrawn"]) | Q(decided_at__isnull=False),
                name="strategies_decided_has_when",
            ),
        ]

    def __str__(self) -> str:
        # Never the text: this may end up in a log or an error page.
        return f"strategy {self.pk}"

    @property
    def in_library(self) -> bool:
        return self.group_id is None

    @property
    def risk_flagged(self) -> bool:
        return bool(self.risk_categories)


class StrategyMark(models.Model):
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=MarkKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "user", "kind"], name="strategies_one_mark_per_kind"
            )
        ]
        indexes = [models.Index(fields=["user", "kind"], name="strategies_mark_user")]

    def __str__(self) -> str:
        return f"strategy mark {self.pk}"
