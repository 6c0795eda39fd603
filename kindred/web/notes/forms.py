"""Forms for the notes pages: shape only. Who may write, which members get a note and
what signing needs live in kindred/notes/services.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.core.errors import ValidationFailed
from kindred.notes.models import GROUP_PARTS, NoteFormat
from kindred.notes.note_settings import HEADING_MAX, PROMPT_MAX
from kindred.notes.services import SHORT_TEXT_MAX, TEXT_MAX

if TYPE_CHECKING:
    from kindred.notes.selectors import NotesSheet


def group_field(part: str) -> str:
    return f"g-{part}"


def member_field(client_id: int, part: str) -> str:
    return f"m{client_id}-{part}"


class NotesForm(forms.Form):
    """The group note's parts (``g-<part>``) and, per member the actor may write for,
    the format's sections, risk and plan (``m<client id>-<part>``)."""

    confirm_names = forms.BooleanField(
        required=False,
        label=_("I have checked the names in these notes and want to sign them as they are."),
    )

    def __init__(self, *args: Any, sheet: NotesSheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        if sheet.can_write_group:
            for part in sheet.group_parts:
                self.fields[group_field(part.key)] = forms.CharField(
                    required=False,
                    strip=False,
                    max_length=TEXT_MAX,
                    label=part.heading,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )
        for row in sheet.members:
            if not row.can_write:
                continue
            for key in [*(s.key for s in row.sections), "risk", "plan"]:
                self.fields[member_field(row.client.pk, key)] = forms.CharField(
                    required=False,
                    strip=False,
                    max_length=SHORT_TEXT_MAX,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )

    def group_values(self) -> dict[str, str] | None:
        if not self.sheet.can_write_group:
            return None
        return {part: self.cleaned_data.get(group_field(part), "") for part in GROUP_PARTS}

    def member_values(self, client_id: int) -> dict[str, Any] | None:
        row = next((r for r in self.sheet.members if r.client.pk == client_id), None)
        if row is None or not row.can_write:
            return None
        data = self.cleaned_data
        return {
            "sections": {s.key: data.get(member_field(client_id, s.key), "") for s in row.sections},
            "risk": data.get(member_field(client_id, "risk"), ""),
            "plan": data.get(member_field(client_id, "plan"), ""),
        }

    def apply_group_error(self, exc: ValidationFailed) -> None:
        for name, messages in exc.errors.items():
            target = group_field(name) if group_field(name) in self.fields else None
            for message in messages:
                self.add_error(target, message)

    def apply_member_error(self, client_id: int, exc: ValidationFailed) -> None:
        for name, messages in exc.errors.items():
            field = member_field(client_id, name)
            target = field if field in self.fields else None
            for message in messages:
                if target is None:
                    # "client" and whole-note errors: on the member's first field
                    row = next(r for r in self.sheet.members if r.client.pk == client_id)
                    first = member_field(client_id, row.sections[0].key) if row.sections else None
                    target = first if first in self.fields else None
                self.add_error(target, message)


class AddendumForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you are adding to the note"),
        max_length=300,
        help_text=_("For example: a correction, information that came later."),
    )
    text = forms.CharField(
        label=_("Addendum"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteSettingsForm(forms.Form):
    member_note_format = forms.ChoiceField(
        label=_("Member note format"),
        choices=NoteFormat.choices,
        widget=forms.RadioSelect,
        help_text=_("Notes already written keep the format they were written in."),
    )
    late_entry_hours = forms.IntegerField(
        label=_("A note signed more than this many hours after the session is a late entry"),
        min_value=1,
        max_value=720,
    )
    cosign_supervisees = forms.BooleanField(
        required=False,
        label=_("Notes of clinicians with a supervisor wait for the supervisor's co-signature"),
    )
    require_signed_for_billing = forms.BooleanField(
        required=False,
        label=_("A session can be billed only once its group note is signed"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for part in GROUP_PARTS:
            self.fields[f"{part}_heading"] = forms.CharField(
                label=_("Heading of part: %(part)s") % {"part": part}, max_length=HEADING_MAX
            )
            self.fields[f"{part}_prompt"] = forms.CharField(
                label=_("Prompt shown under it"),
                required=False,
                max_length=PROMPT_MAX,
            )

    def template(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            part: {"heading": data[f"{part}_heading"], "prompt": data.get(f"{part}_prompt", "")}
            for part in GROUP_PARTS
        }
