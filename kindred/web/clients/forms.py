"""Forms for client records: they check the shape of the input only. The rules (dates of
birth, duplicates, retired concerns, overlapping windows) live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.accounts.names import validate_person_name
from kindred.clients.models import (
    LANGUAGE_CHOICES,
    ClientStatus,
    ConcernTag,
    Gender,
    Modality,
    Weekday,
)
from kindred.clients.selectors import STATUS_ALL
from kindred.practice.models import Location
from kindred.practice.states import STATE_CHOICES
from kindred.web.widgets import DateInput, FastCheckboxes, FastRadios, FastSelect, TimezoneField


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
        validators=[validate_person_name],
        label=_("Legal first name"),
        max_length=100,
        widget=forms.TextInput({"autocomplete": "off"}),
    )
    legal_last_name = forms.CharField(
        validators=[validate_person_name],
        label=_("Legal last name"),
        max_length=100,
        widget=forms.TextInput({"autocomplete": "off"}),
    )
    preferred_name = forms.CharField(
        validators=[validate_person_name],
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
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
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
    timezone = TimezoneField(initial="America/Chicago")
    address_line1 = forms.CharField(
        label=_("Street address"),
        max_length=200,
        required=False,
        widget=forms.TextInput({"autocomplete": "off"}),
        help_text=_("Optional. Printed on superbills; the state is the state of residence."),
    )
    address_line2 = forms.CharField(
        label=_("Apartment, suite, unit (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput({"autocomplete": "off"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        required=False,
        widget=forms.TextInput({"autocomplete": "off"}),
    )
    postal_code = forms.CharField(
        label=_("ZIP code"),
        max_length=10,
        required=False,
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("5 digits, or ZIP+4 like 60601-1234."),
    )
    emergency_contact_name = forms.CharField(
        validators=[validate_person_name], label=_("Name"), max_length=150, required=False
    )
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
        widget=FastRadios,
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=LANGUAGE_CHOICES, initial="en", widget=FastSelect
    )
    gender = forms.ChoiceField(
        label=_("Gender (optional)"),
        choices=[("", _("Not given")), *Gender.choices],
        required=False,
        widget=FastSelect,
        help_text=_(
            "As they describe it. Asked because some groups are for women or for men only; "
            "those groups are proposed only to people whose record gives that gender."
        ),
    )
    locations = forms.ModelMultipleChoiceField(
        label=_("Offices they could get to (optional)"),
        queryset=Location.objects.none(),
        required=False,
        widget=FastCheckboxes,
        help_text=_("For in-person groups: matching proposes only groups at these offices."),
    )
    concerns = forms.ModelMultipleChoiceField(
        label=_("Presenting concerns"),
        queryset=ConcernTag.objects.none(),
        required=False,
        widget=FastCheckboxes,
    )

    def __init__(
        self,
        *args: Any,
        concerns: QuerySet[ConcernTag],
        locations: QuerySet[Location] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["concerns"].queryset = concerns  # type: ignore[attr-defined]
        self.fields["locations"].queryset = (  # type: ignore[attr-defined]
            locations
            if locations is not None
            else Location.objects.filter(is_active=True).order_by("name", "id")
        )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("confirm_duplicate", None)
        data["concerns"] = list(data["concerns"])
        data["locations"] = list(data["locations"])
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
