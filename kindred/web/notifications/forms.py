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


def _hour_label(hour: int) -> str:
    if hour == 0:
        return str(_("Midnight"))
    if hour == 12:
        return str(_("Noon"))
    suffix = _("AM") if hour < 12 else _("PM")
    return f"{hour % 12} {suffix}"


class DigestPreferenceForm(forms.Form):
    digest = forms.ChoiceField(
        label=_("Email summary"),
        choices=[
            ("off", _("Off — I'll check Kindred myself")),
            ("daily", _("Daily — one short email when there is something new")),
        ],
        widget=forms.RadioSelect,
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Send it at"),
        coerce=int,
        choices=[(h, _hour_label(h)) for h in range(24)],
        help_text=_("In your own time zone."),
    )
