"""Forms of the emergency-access pages (shape only; the rules live in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.breakglass.services import MAX_REASON, MIN_REASON
from kindred.web.widgets import DateInput


class BreakGlassForm(forms.Form):
    last_name = forms.CharField(label=_("Legal last name"), max_length=100)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    reason = forms.CharField(
        label=_("What is the emergency?"),
        min_length=MIN_REASON,
        max_length=MAX_REASON,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The practice's privacy officer is told at once and reads this. Say why you "
            "need this record now and cannot wait for someone on the care team."
        ),
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Review note (optional)"),
        required=False,
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
