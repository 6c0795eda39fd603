from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.psychnotes.models import BODY_MAX, TITLE_MAX
from kindred.scheduling.models import GroupSession


class SessionChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.group.name} — {obj.starts_at:%Y-%m-%d}"


class PsychnoteForm(forms.Form):
    title = forms.CharField(
        label=_("Title (optional)"),
        max_length=TITLE_MAX,
        required=False,
        strip=False,
        help_text=_("Only you see it. It is encrypted like the note."),
    )
    session = SessionChoice(
        label=_("Session (optional)"),
        queryset=GroupSession.objects.none(),
        required=False,
        empty_label=_("Not about one session"),
    )
    body = forms.CharField(
        label=_("Note"),
        max_length=BODY_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Your process notes: kept apart from the record, seen only by you, never in "
            "record exports, the member portal or the API."
        ),
    )

    def __init__(self, *args: Any, sessions: QuerySet[GroupSession], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[GroupSession]", self.fields["session"])
        # The offered sessions are a sliced query: choose among their ids.
        choices = list(sessions)
        field.queryset = (
            GroupSession.objects.filter(pk__in=[s.pk for s in choices])
            .select_related("group")
            .order_by("-starts_at")
        )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("pdf", _("PDF")), ("json", _("JSON"))],
        initial="pdf",
    )
