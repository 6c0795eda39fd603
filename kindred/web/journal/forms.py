"""The journal entry form (shape only; the rules live in kindred/journal/services.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from kindred.journal.models import BODY_MAX
from kindred.scheduling.models import GroupSession
from kindred.scheduling.recurrence import zone


def session_label(session: GroupSession, tz_name: str) -> str:
    local = session.starts_at.astimezone(zone(tz_name))
    return f"{session.group.name}, {date_format(local, 'D, M j')}"


class EntryForm(forms.Form):
    title = forms.CharField(
        label=_("Title (optional)"),
        required=False,
        strip=False,
        help_text=_("A few words to find it again, if you like."),
    )
    body = forms.CharField(
        label=_("Your entry"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Up to %(max)s characters. Only you can read it unless you share it.")
        % {"max": f"{BODY_MAX:,}"},
    )
    session = forms.TypedChoiceField(
        label=_("About a session (optional)"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Link it to one of your recent group sessions."),
    )

    def __init__(
        self, *args: Any, sessions: Iterable[GroupSession], tz_name: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str | int, str]] = [("", str(_("No particular session")))]
        choices += [(s.pk, session_label(s, tz_name)) for s in sessions]
        self.fields["session"].choices = choices  # type: ignore[attr-defined]
