"""Forms of the notification and reminder pages (shape only; the rules live in
scheduling/reminder_preferences.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ReminderPreferencesForm(forms.Form):
    email_reminders = forms.BooleanField(
        label=_("Email a reminder before each session"),
        required=False,
        help_text=_("Only the group's name, the day and the time. Never anything private."),
    )
    sms_reminders = forms.BooleanField(
        label=_("Text a reminder before each session"),
        required=False,
        help_text=_(
            "To the mobile number below. Message and data rates may apply. Reply STOP to "
            "any text to stop them."
        ),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=25,
        strip=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("For example +1 312 555 0100."),
    )
