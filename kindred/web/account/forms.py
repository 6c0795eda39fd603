"""Forms of the account page (shape only; the token rules live in token_services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What uses this token, so you recognise it later (for example “EHR sync”)."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the token may do"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
        help_text=_(
            "Choose only what the integration needs. A token never does more than "
            "your own roles allow, even if your roles change later."
        ),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=366,
        initial=90,
        help_text=_("Between 1 and 366 days. Make a new token before this one expires."),
    )

    def __init__(self, *args: Any, scope_choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, forms.MultipleChoiceField)  # noqa: S101 - declared above
        scopes.choices = [
            (value, f"{value} — {description}") for value, description in scope_choices
        ]
