"""A group's space between sessions (issue 8): threads, posts, reactions, reports,
mutes and read markers, under the facilitator's eye.

Only the group's active members and its facilitators ever read these tables, through
``access`` and ``selectors``. Members write under a display name chosen per group;
posts are stored exactly as written (Markdown) and rendered and sanitised on display
(kindred/core/markdown.py). Moderation never destroys anything: a hidden post keeps its
text, with who hid it, when and why.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kindred.core.models import TimeStampedModel

#: Longest post, in characters (about two pages): a specific message beyond it.
POST_MAX = 5000
TITLE_MAX = 120
DISPLAY_NAME_MIN = 2
DISPLAY_NAME_MAX = 40
REASON_MAX = 500
RULES_MAX = 4000


class ModerationMode(models.TextChoices):
    POST = "post", _("Posts appear at once; the facilitator reviews them afterwards")
    PRE = "pre", _("The facilitator approves each post before others see it")


class Space(TimeStampedModel):
    """One per group, made the first time anyone opens it (``selectors.space_of``)."""

    group = models.OneToOneField(
        "groups.TherapyGroup", on_delete=models.PROTECT, related_name="space"
    )
    moderation = models.CharField(
        _("moderation"), max_length=4, choices=ModerationMode.choices, default=ModerationMode.POST
    )
    paused = models.BooleanField(_("paused"), default=False)
    paused_reason = models.CharField(_("why it is paused"), max_length=300, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    direct_messages_allowed = models.BooleanField(
        _("members may message each other directly"), default=False
    )
    office_hours = models.CharField(
        _("office hours"),
        max_length=300,
        blank=True,
        help_text=_("When the facilitator reads the space, e.g. “Weekdays, 9 am to 5 pm”."),
    )
    rules = models.TextField(
        _("rules for the space (Markdown)"),
        max_length=RULES_MAX,
        blank=True,
        help_text=_("Shown at the top of the space, beside the group agreement."),
    )

    class Meta:
        verbose_name = _("group space")

    def __str__(self) -> str:
        return f"space of group {self.group_id}"


class DisplayName(TimeStampedModel):
    """The name a member writes under in one group's space (pseudonymous; the
    facilitators see who is who)."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="display_names")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("display name"), max_length=DISPLAY_NAME_MAX)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "user"], name="space_one_name_per_member"),
            models.UniqueConstraint("space", Lower("name"), name="space_display_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Thread(models.Model):
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    #: When its latest visible post was made (threads are listed by it).
    last_post_at = models.DateTimeField()
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-pinned", "-last_post_at", "-id"]
        indexes = [
            models.Index(fields=["space", "-pinned", "-last_post_at"], name="space_thread_order"),
        ]

    def __str__(self) -> str:
        return f"thread {self.pk}"


class PostStatus(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    PENDING = "pending", _("Waiting for the facilitator")
    HIDDEN = "hidden", _("Hidden by the facilitator")


class Post(models.Model):
    """One post; the first post of a thread opens it. ``body`` is kept byte for byte
    as written; hiding only changes ``status`` (with who, when and why)."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="posts")
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=POST_MAX)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=PostStatus.choices, default=PostStatus.VISIBLE)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moderation_reason = models.CharField(max_length=REASON_MAX, blank=True)
    #: Risk categories the screener found (kindred/space/risk.py), never the words.
    risk_categories = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "status", "id"], name="space_post_thread"),
            # A thread's newest posts whatever their status (the page shows visible,
            # hidden and the reader's own pending ones): without it PostgreSQL walked
            # the primary key backwards through every post of the practice.
            models.Index(fields=["thread", "id"], name="space_post_thread_newest"),
            models.Index(fields=["space", "status"], name="space_post_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="visible")
                | Q(status="pending")
                | (Q(status="hidden") & Q(moderated_at__isnull=False)),
                name="space_hidden_post_has_moderation",
            )
        ]

    def __str__(self) -> str:
        # Never the text: this may end up in a log or an error page.
        return f"post {self.pk}"

    @property
    def risk_flagged(self) -> bool:
        return bool(self.risk_categories)


class ReactionKind(models.TextChoices):
    WITH_YOU = "with_you", _("With you")
    THANK_YOU = "thank_you", _("Thank you")
    ME_TOO = "me_too", _("Me too")
    STRENGTH = "strength", _("Sending strength")


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ReactionKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user", "kind"], name="space_one_reaction_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"reaction {self.pk}"


class ReportReason(models.TextChoices):
    HURTFUL = "hurtful", _("It is hurtful or disrespectful")
    PRIVACY = "privacy", _("It shares someone's private information")
    WORRIED = "worried", _("I'm worried about the person who wrote it")
    OFF_TOPIC = "off_topic", _("It doesn't belong in this space")
    OTHER = "other", _("Something else")


class Report(models.Model):
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=10, choices=ReportReason.choices)
    note = models.CharField(_("anything else"), max_length=REASON_MAX, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=REASON_MAX, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="space_one_open_report_per_reporter",
            )
        ]

    def __str__(self) -> str:
        return f"report {self.pk}"


class Mute(models.Model):
    """A member may not post in the space until ``until`` (or until it is lifted)."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="mutes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    until = models.DateTimeField()
    reason = models.CharField(max_length=REASON_MAX)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["space", "user", "until"], name="space_mute_lookup")]

    def __str__(self) -> str:
        return f"mute {self.pk}"


class ReadMarker(models.Model):
    """How far a person has read a thread: the newest post id they have seen."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_post_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="space_one_marker")]

    def __str__(self) -> str:
        return f"read marker {self.pk}"


# --- direct messages between two members ------------------------------------------------


class Conversation(models.Model):
    """Direct messages between two active members of one group, under their display
    names. Only possible while the facilitator allows them (``Space.direct_messages_
    allowed``); the group's facilitators can read every conversation (members are told
    so). ``member_low`` is always the smaller user id, so a pair has one conversation."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="conversations")
    member_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    member_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    #: When its latest visible message was sent (conversations are listed by it).
    last_message_at = models.DateTimeField()
    #: The newest message id each of the two has seen.
    low_read_id = models.BigIntegerField(default=0)
    high_read_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "member_low", "member_high"], name="space_one_conversation"
            ),
            models.CheckConstraint(
                condition=Q(member_low__lt=models.F("member_high")),
                name="space_conversation_ordered_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["space", "-last_message_at"], name="space_conv_order"),
            models.Index(fields=["member_low"], name="space_conv_low"),
            models.Index(fields=["member_high"], name="space_conv_high"),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    def other(self, user_id: int) -> int:
        return self.member_high_id if user_id == self.member_low_id else self.member_low_id

    def includes(self, user_id: int) -> bool:
        return user_id in (self.member_low_id, self.member_high_id)


class DirectMessage(models.Model):
    """One message; kept byte for byte like a post, hidden (never deleted) by a
    facilitator with who, when and why."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=POST_MAX)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=PostStatus.choices, default=PostStatus.VISIBLE)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moderation_reason = models.CharField(max_length=REASON_MAX, blank=True)
    risk_categories = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "id"], name="space_dm_conv")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="visible")
                | Q(status="pending")
                | (Q(status="hidden") & Q(moderated_at__isnull=False)),
                name="space_hidden_dm_has_moderation",
            )
        ]

    def __str__(self) -> str:
        return f"direct message {self.pk}"

    @property
    def risk_flagged(self) -> bool:
        return bool(self.risk_categories)


class MessageReport(models.Model):
    """The recipient of a direct message asks the facilitators to look at it."""

    message = models.ForeignKey(DirectMessage, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=10, choices=ReportReason.choices)
    note = models.CharField(_("anything else"), max_length=REASON_MAX, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=REASON_MAX, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="space_one_open_dm_report",
            )
        ]

    def __str__(self) -> str:
        return f"message report {self.pk}"
