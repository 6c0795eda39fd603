"""Forms for client records: they check the shape of the input only. The rules (dates of
birth, duplicates, retired concerns, overlapping windows) live in the services."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import LANGUAGE_CHOICES, ClientStatus, ConcernTag, Modality, Weekday
from kindred.clients.selectors import STATUS_ALL
from kindred.practice.states import STATE_CHOICES

US_TIMEZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "Pacific/Guam",
]


def timezone_choices() -> list[tuple[str, Any]]:
    others = sorted(zoneinfo.available_timezones() - set(US_TIMEZONES))
    return [
        (str(_("United States")), [(tz, tz.replace("_", " ")) for tz in US_TIMEZONES]),
        (str(_("Everywhere else")), [(tz, tz.replace("_", " ")) for tz in others]),
    ]


class FastSelect(forms.Select):
    """The same ``<select>`` as Django's, built in Python. The default renders one
    template per option, which costs milliseconds on the list page's filters and tens of
    milliseconds for the time-zone list."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option["value"] if option["value"] is not None else "",
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


class ConcernCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes laid out as a compact grid (``.checkbox-list``)."""

    template_name = "web/clients/widgets/checkbox_list.html"


class ChoiceRadios(forms.RadioSelect):
    template_name = "web/clients/widgets/checkbox_list.html"


class ConcernForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        help_text=_("Optional: a sentence that helps coordinators choose it."),
    )


class ClientForm(forms.Form):
    legal_first_name = forms.CharField(
        label=_("Legal first name"), max_length=100, widget=forms.TextInput({"autocomplete": "off"})
    )
    legal_last_name = forms.CharField(
        label=_("Legal last name"), max_length=100, widget=forms.TextInput({"autocomplete": "off"})
    )
    preferred_name = forms.CharField(
        label=_("Preferred name"),
        max_length=100,
        required=False,
        help_text=_("The name they go by, if different. Staff pages use it."),
    )
    pronouns = forms.CharField(
        label=_("Pronouns"),
        max_length=40,
        required=False,
        help_text=_("For example: she/her, he/him, they/them."),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d")
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        required=False,
        help_text=_("Needed for the member portal invitation."),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=25, required=False, widget=forms.TextInput({"type": "tel"})
    )
    state_of_residence = forms.ChoiceField(
        label=_("State of residence"),
        choices=[("", _("Choose a state")), *STATE_CHOICES],
        widget=FastSelect,
    )
    timezone = forms.ChoiceField(label=_("Time zone"), initial="America/Chicago", widget=FastSelect)
    emergency_contact_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    emergency_contact_relationship = forms.CharField(
        label=_("Relationship"),
        max_length=60,
        required=False,
        help_text=_("For example: partner, parent, friend."),
    )
    emergency_contact_phone = forms.CharField(
        label=_("Phone"), max_length=25, required=False, widget=forms.TextInput({"type": "tel"})
    )
    preferred_modality = forms.ChoiceField(
        label=_("Preferred way to meet"),
        choices=Modality.choices,
        initial=Modality.EITHER,
        widget=ChoiceRadios,
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=LANGUAGE_CHOICES, initial="en", widget=FastSelect
    )
    concerns = forms.ModelMultipleChoiceField(
        label=_("Presenting concerns"),
        queryset=ConcernTag.objects.none(),
        required=False,
        widget=ConcernCheckboxes,
    )

    def __init__(self, *args: Any, concerns: QuerySet[ConcernTag], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()  # type: ignore[attr-defined]
        self.fields["concerns"].queryset = concerns  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("confirm_duplicate", None)
        data["concerns"] = list(data["concerns"])
        return data


class ClientCreateForm(ClientForm):
    confirm_duplicate = forms.BooleanField(
        label=_("I have checked: this is a different person. Create a new record."),
        required=False,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("Kept with the record for those who can read it."),
    )


class AvailabilityForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Day"), choices=Weekday.choices, coerce=int, widget=FastSelect
    )
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput({"type": "time"}))
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput({"type": "time"}))


class ClientFilterForm(forms.Form):
    search = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        widget=forms.TextInput({"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*ClientStatus.choices, (STATUS_ALL, _("Any status"))],
        widget=FastSelect,
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *STATE_CHOICES],
        widget=FastSelect,
    )
    concern = forms.ModelChoiceField(
        label=_("Concern"),
        required=False,
        queryset=ConcernTag.objects.none(),
        empty_label=_("Any concern"),
        widget=FastSelect,
    )
    modality = forms.ChoiceField(
        label=_("Way to meet"),
        required=False,
        choices=[("", _("Any")), *Modality.choices],
        widget=FastSelect,
    )

    def __init__(self, *args: Any, concerns: QuerySet[ConcernTag], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["concern"].queryset = concerns  # type: ignore[attr-defined]


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text=_(
            "At least 15 characters. A few unrelated words make a strong, memorable "
            "password; spaces are fine."
        ),
    )
    password2 = forms.CharField(
        label=_("Type it again"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        return data
