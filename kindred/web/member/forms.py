"""Forms of the member pages: shape only; the services own the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AbsenceForm(forms.Form):
    note = forms.CharField(
        label=_("Anything your facilitator should know? (optional)"),
        help_text=_("Only your group's facilitators see this. You don't need to give a reason."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
    )
