"""Clinical notes of group sessions (issue 7, the notes half).

- ``NoteSettings``: the practice's note rules (one row, id 1): the member note format
  (DAP, SOAP or BIRP), the group note's headings and prompts, the late-entry threshold,
  whether supervisees' notes need a co-signature, whether a session is billable only
  once its notes are signed.
- ``GroupNote``: one per session — themes, interventions, group process.
- ``MemberNote``: one per attending member per session — the format's sections, risk,
  plan, and a snapshot of the facts it was written beside (attendance, times, latest
  scores and pulse, open alerts).
- ``AbsenceEntry``: a member who was not there gets an entry, not a note (written when
  the group note is signed, from the attendance).
- ``Addendum``: the only way to add to a signed note (reason, text, author, time).

Signed notes never change. The models and their querysets refuse it, and migration
0001 installs triggers that refuse it in the database too: an UPDATE of a signed note
is refused unless it is the co-signature itself (status signed → cosigned, only the
co-signature columns changing); addenda and absence entries are never updated. On
PostgreSQL a signed note, an addendum or an absence entry cannot be deleted either;
SQLite keeps DELETE possible only because the test framework empties tables with it
(the application never deletes a note: the models refuse, foreign keys are PROTECT).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, NoReturn, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.models import TimeStampedModel


class NoteFormat(models.TextChoices):
    DAP = "dap", _("DAP (data, assessment, plan)")
    SOAP = "soap", _("SOAP (subjective, objective, assessment, plan)")
    BIRP = "birp", _("BIRP (behavior, intervention, response, plan)")


#: The sections of each member-note format before the plan (the plan, and risk, are
#: columns of their own). Keys are stored; labels and prompts are shown.
FORMAT_SECTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    NoteFormat.DAP: (
        ("data", "Data", "What the member said and did in the session; participation."),
        ("assessment", "Assessment", "Your reading of it: progress toward their goals."),
    ),
    NoteFormat.SOAP: (
        ("subjective", "Subjective", "What the member reported, in their words."),
        ("objective", "Objective", "What you observed; participation."),
        ("assessment", "Assessment", "Your reading of it: progress toward their goals."),
    ),
    NoteFormat.BIRP: (
        ("behavior", "Behavior", "What the member said and did; participation."),
        ("intervention", "Intervention", "What you did with or for them."),
        ("response", "Response", "How they responded; progress toward their goals."),
    ),
}

#: The group note's three parts, with the headings and prompts a practice starts with.
GROUP_PARTS: tuple[str, ...] = ("themes", "interventions", "process")
DEFAULT_GROUP_TEMPLATE: dict[str, dict[str, str]] = {
    "themes": {"heading": "Themes", "prompt": "What the group talked about."},
    "interventions": {
        "heading": "Interventions",
        "prompt": "What the facilitators did: skills taught, exercises, questions.",
    },
    "process": {
        "heading": "Group process",
        "prompt": "How the group worked together: cohesion, conflict, who held back. "
        "Refer to members by role, not by name.",
    },
}
DEFAULT_LATE_HOURS = 72


def default_group_template() -> dict[str, dict[str, str]]:
    return {part: dict(value) for part, value in DEFAULT_GROUP_TEMPLATE.items()}


class NoteSettings(TimeStampedModel):
    """The practice's note rules (a single row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    member_note_format = models.CharField(
        _("member note format"), max_length=4, choices=NoteFormat.choices, default=NoteFormat.DAP
    )
    group_note_template = models.JSONField(
        _("group note headings and prompts"), default=default_group_template
    )
    late_entry_hours = models.PositiveSmallIntegerField(
        _("a note signed this many hours after the session is a late entry"),
        default=DEFAULT_LATE_HOURS,
    )
    cosign_supervisees = models.BooleanField(
        _("notes of supervised clinicians need their supervisor's co-signature"), default=True
    )
    require_signed_for_billing = models.BooleanField(
        _("a session is billable only once its group note is signed"), default=False
    )

    class Meta:
        verbose_name = _("note settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="notes_settings_single_row"),
            models.CheckConstraint(
                condition=Q(late_entry_hours__gte=1, late_entry_hours__lte=720),
                name="notes_settings_late_range",
            ),
        ]

    def __str__(self) -> str:
        return "Note settings"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    COSIGNED = "cosigned", _("Co-signed")


class SignedNoteError(RuntimeError):
    """A signed note (or an addendum, or an absence entry) was about to be changed or
    deleted."""


_M = TypeVar("_M", bound=models.Model)


class NoteQuerySet(models.QuerySet[_M, _M]):
    """Bulk changes may touch drafts only; signed notes are never rewritten."""

    def update(self, **kwargs: Any) -> int:
        if self.exclude(status=NoteStatus.DRAFT).exists():
            raise SignedNoteError(f"Signed {self.model._meta.verbose_name} rows never change.")
        return super().update(**kwargs)

    def delete(self) -> NoReturn:
        raise SignedNoteError(f"{self.model._meta.label} rows are never deleted.")


class _Note(TimeStampedModel):
    """What group and member notes share: author, status, signing and co-signing."""

    #: The content columns (hashed when signed; never changed after).
    CONTENT_FIELDS: ClassVar[tuple[str, ...]] = ()

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    late_entry = models.BooleanField(default=False)
    #: Set when signed: the note waits for the author's supervisor to co-sign.
    needs_cosign = models.BooleanField(default=False)
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True

    @property
    def is_signed(self) -> bool:
        return self.status != NoteStatus.DRAFT

    @property
    def awaits_cosign(self) -> bool:
        return self.status == NoteStatus.SIGNED and self.needs_cosign

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}

    def content_hash(self) -> str:
        text = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored = (
            None
            if self._state.adding
            else type(self)
            ._base_manager.filter(pk=self.pk)
            .values_list("status", flat=True)
            .first()
        )
        if stored not in (None, NoteStatus.DRAFT):
            cosigning = (
                stored == NoteStatus.SIGNED
                and self.status == NoteStatus.COSIGNED
                and set(kwargs.get("update_fields") or ())
                <= {"status", "cosigned_at", "cosigned_by", "updated_at"}
                and kwargs.get("update_fields")
            )
            if not cosigning:
                raise SignedNoteError(f"A signed {self._meta.verbose_name} never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise SignedNoteError(f"{self._meta.label} rows are never deleted.")


class GroupNote(_Note):
    """The one note of a group session."""

    CONTENT_FIELDS = ("themes", "interventions", "process")

    session = models.OneToOneField(
        "scheduling.GroupSession", on_delete=models.PROTECT, related_name="group_note"
    )
    themes = models.TextField(_("themes"), max_length=10000, blank=True)
    interventions = models.TextField(_("interventions"), max_length=10000, blank=True)
    process = models.TextField(_("group process"), max_length=10000, blank=True)
    #: The headings and prompts the note was written under (the practice's template).
    template = models.JSONField(default=default_group_template)

    objects: ClassVar[models.Manager[GroupNote]] = NoteQuerySet["GroupNote"].as_manager()

    class Meta:
        verbose_name = _("group note")
        ordering = ["session_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_at__isnull=False),
                name="notes_groupnote_signed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="cosigned") | Q(cosigned_at__isnull=False),
                name="notes_groupnote_cosigned_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "needs_cosign"], name="notes_group_status")]

    def __str__(self) -> str:
        return f"group note of session {self.session_id} ({self.status})"


class MemberNote(_Note):
    """One attending member's note for one session."""

    CONTENT_FIELDS = ("format", "sections", "risk", "plan")

    session = models.ForeignKey(
        "scheduling.GroupSession", on_delete=models.PROTECT, related_name="member_notes"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="member_notes"
    )
    format = models.CharField(max_length=4, choices=NoteFormat.choices)
    #: The format's sections before the plan, by key (FORMAT_SECTIONS).
    sections = models.JSONField(default=dict, blank=True)
    risk = models.TextField(_("risk"), max_length=4000, blank=True)
    plan = models.TextField(_("plan"), max_length=4000, blank=True)
    #: The facts the note was written beside, as they were (attendance, join and leave
    #: times, latest scores and pulse, open alerts); kept with the signed note.
    facts = models.JSONField(default=dict, blank=True)

    objects: ClassVar[models.Manager[MemberNote]] = NoteQuerySet["MemberNote"].as_manager()

    class Meta:
        verbose_name = _("member note")
        ordering = ["session_id", "client_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "client"], name="notes_membernote_unique"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_at__isnull=False),
                name="notes_membernote_signed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="cosigned") | Q(cosigned_at__isnull=False),
                name="notes_membernote_cosigned_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "session"], name="notes_member_client"),
            models.Index(fields=["status", "needs_cosign"], name="notes_member_status"),
        ]

    def __str__(self) -> str:
        return f"note of {self.client_id} at session {self.session_id} ({self.status})"


class AppendOnlyQuerySet(models.QuerySet[_M, _M]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise SignedNoteError(f"{self.model._meta.label} rows are never changed.")

    def delete(self) -> NoReturn:
        raise SignedNoteError(f"{self.model._meta.label} rows are never deleted.")


class _AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SignedNoteError(f"{self._meta.label} rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise SignedNoteError(f"{self._meta.label} rows are never deleted.")


class AbsenceEntry(_AppendOnly):
    """A member who had a place but was not there: recorded with the signed group note,
    from the attendance (no clinical note)."""

    group_note = models.ForeignKey(GroupNote, on_delete=models.PROTECT, related_name="absences")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="note_absences"
    )
    #: The attendance status (scheduling.AttendanceStatus), or "" when none was taken.
    status = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField()

    objects: ClassVar[models.Manager[AbsenceEntry]] = AppendOnlyQuerySet[
        "AbsenceEntry"
    ].as_manager()

    class Meta:
        verbose_name = _("absence entry")
        ordering = ["group_note_id", "client_id"]
        constraints = [
            models.UniqueConstraint(fields=["group_note", "client"], name="notes_absence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} absent ({self.status or 'not recorded'})"


class Addendum(_AppendOnly):
    """A correction or addition to a signed note: who, when, why, what."""

    group_note = models.ForeignKey(
        GroupNote, on_delete=models.PROTECT, null=True, blank=True, related_name="addenda"
    )
    member_note = models.ForeignKey(
        MemberNote, on_delete=models.PROTECT, null=True, blank=True, related_name="addenda"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    text = models.TextField(_("addendum"), max_length=10000)
    created_at = models.DateTimeField()
    text_sha256 = models.CharField(max_length=64)

    objects: ClassVar[models.Manager[Addendum]] = AppendOnlyQuerySet["Addendum"].as_manager()

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(group_note__isnull=False) & Q(member_note__isnull=True))
                | (Q(group_note__isnull=True) & Q(member_note__isnull=False)),
                name="notes_addendum_one_note",
            ),
        ]

    def __str__(self) -> str:
        return f"addendum {self.pk}"
