"""Forms of the public directory: shape only; groups/directory.py owns the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.accounts.names import validate_person_name
from kindred.core.antispam import form_stamp, read_form_stamp
from kindred.core.validators import validate_phone
from kindred.groups.models import GroupModality
from kindred.practice.states import STATE_CHOICES
from kindred.web.widgets import FastSelect

SHOWN_SALT = "kindred.directory.join-form-shown"


def shown_stamp() -> str:
    """A signed "the form was shown at" value for the hidden field."""
    return form_stamp(salt=SHOWN_SALT)


def read_stamp(value: str) -> datetime | None:
    return read_form_stamp(value, salt=SHOWN_SALT)


class DirectoryFilterForm(forms.Form):
    concern = forms.TypedChoiceField(
        label=_("Focus"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    modality = forms.ChoiceField(
        label=_("How it meets"),
        required=False,
        choices=[("", _("Online or in person")), *GroupModality.choices],
        widget=FastSelect,
    )

    def __init__(self, *args: Any, concerns: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        concern = self.fields["concern"]
        assert isinstance(concern, forms.TypedChoiceField)  # noqa: S101 - declared above
        concern.choices = [("", _("Any focus")), *concerns]


class JoinRequestForm(forms.Form):
    name = forms.CharField(
        validators=[validate_person_name], label=_("Your name"), max_length=150, strip=False
    )
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We write to you here about the next steps."),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        max_length=25,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    state = forms.ChoiceField(
        label=_("The state you live in"),
        choices=[("", _("Choose a state")), *STATE_CHOICES],
        widget=FastSelect,
    )
    # Not for people: hidden from view and from assistive technology (see the template).
    website = forms.CharField(required=False, label=_("Leave this empty"))
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["shown"] = shown_stamp()

    def visible_fields_for_person(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "email", "phone", "state")]
