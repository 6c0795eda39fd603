"""Intake and admission: referrals, the waitlist, screening, group agreements and
preparation (CLINICAL.md, "Running a group"; AGPA Clinical Practice Guidelines 2007)."""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.models import TimeStampedModel
from kindred.core.validators import validate_phone, validate_state_code
from kindred.practice.states import STATE_CHOICES


class ReferralSource(models.TextChoices):
    SELF = "self", _("Self-referral (public form)")
    CLINICIAN = "clinician", _("Clinician")
    PARTNER = "partner", _("Partner organisation")
    STAFF = "staff", _("Entered by staff")


class ReferralStatus(models.TextChoices):
    NEW = "new", _("New")
    NEEDS_REVIEW = "needs_review", _("Possible duplicate: needs review")
    ACCEPTED = "accepted", _("On the waitlist")
    DECLINED = "declined", _("Declined")
    SPAM = "spam", _("Spam")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Within the next few weeks is fine")
    SOON = "soon", _("Soon, please")
    URGENT = "urgent", _("It feels urgent")


def urgency_rank() -> models.Case:
    """Most urgent first: 0 urgent, 1 soon, 2 routine. The waitlist is ordered by this
    expression and then by how long people have waited; an index on exactly this
    expression (``intake_waitlist_queue``) serves the first page without sorting."""
    return models.Case(
        models.When(urgency=Urgency.URGENT.value, then=models.Value(0)),
        models.When(urgency=Urgency.SOON.value, then=models.Value(1)),
        default=models.Value(2),
        output_field=models.IntegerField(),
    )


class Referral(TimeStampedModel):
    """What someone told us when asking for a place (by themselves or a referrer).

    Kept as submitted, so the record of what was asked for survives later edits of the
    client record. ``client`` is set once the referral is matched to (or creates) a
    client record; a possible duplicate waits for a coordinator to confirm.
    """

    source = models.CharField(_("source"), max_length=10, choices=ReferralSource.choices)
    status = models.CharField(
        _("status"), max_length=14, choices=ReferralStatus.choices, default=ReferralStatus.NEW
    )
    # The person referred.
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=25, blank=True, validators=[validate_phone])
    state = models.CharField(
        _("state you live in"),
        max_length=2,
        choices=STATE_CHOICES,
        validators=[validate_state_code],
    )
    concerns = models.ManyToManyField(
        "clients.ConcernTag", blank=True, related_name="referrals", verbose_name=_("concerns")
    )
    in_their_words = models.TextField(
        _("what they would like help with"), max_length=3000, blank=True
    )
    preferred_modality = models.CharField(_("preferred way to meet"), max_length=10)
    language = models.CharField(_("language"), max_length=10, default="en")
    gender = models.CharField(_("gender"), max_length=20, blank=True)
    # Offices they could get to, for in-person groups.
    locations = models.ManyToManyField(
        "practice.Location",
        blank=True,
        related_name="referrals",
        verbose_name=_("offices they could get to"),
    )
    # [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}, ...] until accepted.
    availability = models.JSONField(_("weekly availability"), default=list, blank=True)
    urgency = models.CharField(
        _("how urgent it feels"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("group asked about"),
    )
    out_of_state = models.BooleanField(default=False)
    # The referrer, when not a self-referral.
    referrer_name = models.CharField(_("referrer's name"), max_length=150, blank=True)
    referrer_organisation = models.CharField(_("organisation"), max_length=150, blank=True)
    referrer_email = models.EmailField(_("referrer's email"), blank=True)
    referrer_phone = models.CharField(_("referrer's phone"), max_length=25, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    # Possible duplicates found at submission, for the coordinator to confirm.
    duplicate_candidates = models.JSONField(default=list, blank=True)
    # Makes repeated submissions of the same referral idempotent within a window.
    fingerprint = models.CharField(max_length=64, db_index=True)
    # A keyed hash of the submitter's IP (never the address) for rate limiting.
    source_key = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="intake_referral_status")]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.source})"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CONTACTED = "contacted", _("Contacted")
    SCREENING = "screening", _("In screening")
    OFFERED = "offered", _("Offered a place")
    PLACED = "placed", _("Placed in a group")
    DEFERRED = "deferred", _("Deferred")
    UNREACHABLE = "unreachable", _("Unreachable")
    WITHDRAWN = "withdrawn", _("Withdrew")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred elsewhere")


#: Entries still waiting for a place (the ones matching and the waitlist page work on).
OPEN_WAITLIST_STATUSES = (
    WaitlistStatus.WAITING,
    WaitlistStatus.CONTACTED,
    WaitlistStatus.SCREENING,
    WaitlistStatus.OFFERED,
    WaitlistStatus.DEFERRED,
)


_OPEN = [str(s) for s in OPEN_WAITLIST_STATUSES]


class WaitlistEntry(TimeStampedModel):
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    # Waiting for one particular group (e.g. it was full), or for any suitable group.
    group = models.ForeignKey(
        "groups.TherapyGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    added_at = models.DateTimeField(_("added"))
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    revisit_on = models.DateField(_("revisit on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    flagged_out_of_state = models.BooleanField(default=False)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            # One open entry per client and group, and one open "any group" entry.
            models.UniqueConstraint(
                fields=["client", "group"],
                condition=Q(status__in=_OPEN) & Q(group__isnull=False),
                name="intake_one_open_entry_per_group",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status__in=_OPEN) & Q(group__isnull=True),
                name="intake_one_open_any_group_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "added_at"], name="intake_waitlist_status"),
            models.Index(fields=["client", "status"], name="intake_waitlist_client"),
            # The open waitlist in its working order (selectors.waitlist_list): most
            # urgent first, then longest waiting. Partial, so closed entries cost nothing.
            models.Index(
                urgency_rank(),
                "added_at",
                "id",
                condition=Q(status__in=_OPEN),
                name="intake_waitlist_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"waitlist {self.pk} for {self.client_id}"


class WaitlistStatusChange(models.Model):
    """One change of a waitlist entry's status, with the reason given.

    The reason may be clinical ("referred to an eating-disorder programme"), so it lives
    here, readable by those who can read the entry, and never in the audit log's detail.
    """

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=WaitlistStatus.choices)
    status = models.CharField(_("status"), max_length=20, choices=WaitlistStatus.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"waitlist {self.entry_id} {self.from_status} → {self.status}"


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_PERSON = "in_person", _("In person")
    PORTAL = "portal", _("Kindred message")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    LEFT_MESSAGE = "left_message", _("Left a message")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_DETAILS = "wrong_details", _("Wrong number or address")


class ContactAttempt(models.Model):
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="contacts")
    at = models.DateTimeField(_("when"))
    method = models.CharField(_("how"), max_length=10, choices=ContactMethod.choices)
    outcome = models.CharField(_("outcome"), max_length=14, choices=ContactOutcome.choices)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"contact {self.pk} on {self.entry_id}"


class ExclusionReason(models.TextChoices):
    FAMILY = "family", _("Family member")
    PARTNER = "partner", _("Partner or ex-partner")
    COWORKER = "coworker", _("Co-worker")
    SOCIAL = "social", _("Knows them socially")
    OTHER = "other", _("Other")


class PlacementExclusion(TimeStampedModel):
    """ "Do not place with <client>": the two people are never put in the same group.
    Symmetric in meaning; stored once with the lower client id first."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="exclusions_as_first"
    )
    other = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="exclusions_as_second"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=ExclusionReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "other"], name="intake_exclusion_unique"),
            models.CheckConstraint(
                condition=Q(client__lt=models.F("other")), name="intake_exclusion_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"exclusion {self.client_id}–{self.other_id}"


class ScreeningDecision(models.TextChoices):
    ADMIT = "admit", _("Admit")
    DEFER = "defer", _("Defer")
    REFER_INDIVIDUAL = "refer_individual", _("Refer to individual care")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly / unsure")
    NO = "no", _("No")


class Screening(TimeStampedModel):
    """A clinician's screening of one candidate for one group (AGPA 2007: screen before
    admitting; exclude or defer when the person cannot use the group now)."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="screenings"
    )
    group = models.ForeignKey(
        "groups.TherapyGroup", on_delete=models.PROTECT, related_name="screenings"
    )
    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="screenings"
    )
    screener = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="screenings_done"
    )
    # Inclusion criteria.
    motivation = models.CharField(_("motivated to take part"), max_length=6, choices=Answer.choices)
    can_participate = models.CharField(
        _("able to take part in a group"), max_length=6, choices=Answer.choices
    )
    goals_fit = models.CharField(_("goals fit this group"), max_length=6, choices=Answer.choices)
    commitment = models.CharField(_("can commit to attend"), max_length=6, choices=Answer.choices)
    # Exclusions (true = present).
    acute_crisis = models.BooleanField(_("acute crisis"), default=False)
    active_suicidality = models.BooleanField(_("active suicidality"), default=False)
    active_psychosis = models.BooleanField(_("active psychosis"), default=False)
    severe_cognitive_impairment = models.BooleanField(
        _("severe cognitive impairment"), default=False
    )
    extreme_hostility = models.BooleanField(_("extreme hostility"), default=False)
    only_member_unlike_others = models.BooleanField(
        _("would be the only member unlike all the others"), default=False
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    decision = models.CharField(
        _("decision"), max_length=16, choices=ScreeningDecision.choices, blank=True
    )
    decision_reason = models.CharField(_("reason"), max_length=1000, blank=True)
    revisit_on = models.DateField(_("revisit on"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the candidate was emailed about a deferral or referral: the sending task
    # claims the screening by setting it, so the email goes once (intake/screening_tasks.py).
    candidate_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "group"], name="intake_screening_cg"),
            models.Index(fields=["screener", "decided_at"], name="intake_screening_screener"),
        ]

    def __str__(self) -> str:
        return f"screening {self.pk} of {self.client_id} for {self.group_id}"


class PostsWhenLeaving(models.TextChoices):
    """What a group agreement says becomes of a member's group-space posts when they
    close their account (datarights/closure.py follows it)."""

    ANONYMIZE = "anonymize", _("They stay, shown as written by “A former member”")
    KEEP = "keep", _("They stay under the member's display name")


class AgreementTemplate(TimeStampedModel):
    """A named group agreement the practice keeps; its text lives in versions."""

    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ImmutableRowError(RuntimeError):
    """A published agreement version or a signature was about to be changed or deleted."""


_M = TypeVar("_M", bound=models.Model)


class _AppendOnlyQuerySet(models.QuerySet[_M, _M]):
    """Refuses bulk changes: published versions and signatures are never rewritten (a
    database trigger refuses them again; migration 0002_agreement_drafts_and_immutability)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableRowError(f"{self.model._meta.label} rows are never changed.")

    def delete(self) -> NoReturn:
        raise ImmutableRowError(f"{self.model._meta.label} rows are never deleted.")


class _AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRowError(f"{self._meta.label} rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableRowError(f"{self._meta.label} rows are never deleted.")


class AgreementVersion(_AppendOnlyModel):
    """One published, never-edited text of an agreement. Members sign a version."""

    template = models.ForeignKey(
        AgreementTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    body = models.TextField(_("agreement text (Markdown)"), max_length=20000)
    body_sha256 = models.CharField(max_length=64)
    summary_of_changes = models.CharField(_("what changed"), max_length=500, blank=True)
    posts_when_leaving = models.CharField(
        _("posts of a member who closes their account"),
        max_length=10,
        choices=PostsWhenLeaving.choices,
        default=PostsWhenLeaving.ANONYMIZE,
    )
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects: ClassVar[models.Manager[AgreementVersion]] = _AppendOnlyQuerySet[
        "AgreementVersion"
    ].as_manager()

    class Meta:
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="intake_agreement_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"


class AgreementSignature(_AppendOnlyModel):
    """An e-signature: typed full name, an explicit tick, when, from where, and the hash
    of the exact text signed. Immutable (append-only, like the audit log)."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, related_name="signatures"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="agreement_signatures"
    )
    group = models.ForeignKey(
        "groups.TherapyGroup", on_delete=models.PROTECT, related_name="agreement_signatures"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    agreed = models.BooleanField()
    signed_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    text_sha256 = models.CharField(max_length=64)

    objects: ClassVar[models.Manager[AgreementSignature]] = _AppendOnlyQuerySet[
        "AgreementSignature"
    ].as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "client", "group"], name="intake_signature_unique"
            ),
            models.CheckConstraint(condition=Q(agreed=True), name="intake_signature_agreed"),
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} of {self.client_id} on {self.version_id}"


class AgreementDraft(models.Model):
    """The next version of a template while the practice writes it. Publishing turns
    it into an AgreementVersion (and removes the draft); until then it may change."""

    template = models.OneToOneField(
        AgreementTemplate, on_delete=models.CASCADE, related_name="draft"
    )
    body = models.TextField(_("agreement text (Markdown)"), max_length=20000, blank=True)
    summary_of_changes = models.CharField(_("what changed"), max_length=500, blank=True)
    posts_when_leaving = models.CharField(
        _("posts of a member who closes their account"),
        max_length=10,
        choices=PostsWhenLeaving.choices,
        default=PostsWhenLeaving.ANONYMIZE,
    )
    based_on = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"draft of {self.template_id}"


class PreparationItem(TimeStampedModel):
    """Preparation a group gives members before their first session (AGPA: prepare
    members — expectations, norms, risks, how to join)."""

    group = models.ForeignKey(
        "groups.TherapyGroup", on_delete=models.CASCADE, related_name="preparation"
    )
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text (Markdown)"), max_length=10000)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["group_id", "position", "id"]

    def __str__(self) -> str:
        return self.title


class PreparationRead(models.Model):
    item = models.ForeignKey(PreparationItem, on_delete=models.CASCADE, related_name="reads")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="preparation_reads"
    )
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "client"], name="intake_preparation_read")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} read {self.item_id}"
