"""Forms of the outcomes section: shape only (the rules are in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.measures.models import AlertAction, AlertStatus
from kindred.measures.safety import ACTION_NOTE_MAX


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What did you do?"),
        choices=AlertAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the action you took.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        strip=False,
        max_length=ACTION_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required when you choose “Other”. Kept with the alert; it cannot be changed later."
        ),
    )


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("Open and acknowledged")), *AlertStatus.choices],
    )
