"""Forms for the practice pages: shape only. The rules (ranges, duplicates, dates in
order, compact membership) live in the services, whose errors appear beside the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_stubs_ext import StrOrPromise

from kindred.accounts.models import User
from kindred.accounts.names import validate_person_name
from kindred.practice.models import (
    LICENSE_TYPE_SUGGESTIONS,
    ClinicianProfile,
    Compact,
    CredentialStatus,
)
from kindred.practice.roles import Role
from kindred.practice.services import ENDED_STATUSES
from kindred.practice.states import STATE_CHOICES
from kindred.web.widgets import DateInput, FastCheckboxes, FastSelect, TimezoneField

STATE_SELECT: list[tuple[str, Any]] = [("", _("Choose a state")), *STATE_CHOICES]
LICENSE_TYPES_LIST_ID = "license-type-suggestions"


def long_text(rows: int = 5) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def reminder_label(minutes: int) -> str:
    """ "2 days before", "1 hour before", "90 minutes before"."""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(n)d day before", "%(n)d days before", days) % {"n": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour before", "%(n)d hours before", hours) % {"n": hours}
    return ngettext("%(n)d minute before", "%(n)d minutes before", minutes) % {"n": minutes}


REMINDER_CHOICES: list[tuple[int, StrOrPromise]] = [
    (10080, _("A week before")),
    (2880, _("2 days before")),
    (1440, _("A day before")),
    (240, _("4 hours before")),
    (120, _("2 hours before")),
    (60, _("An hour before")),
    (30, _("30 minutes before")),
]


class PracticeForm(forms.Form):
    name = forms.CharField(label=_("Practice name"))
    timezone = TimezoneField(
        help_text=_("Used for session times, reminders and the dates in reports.")
    )
    states_served = forms.MultipleChoiceField(
        label=_("States served"),
        choices=STATE_CHOICES,
        widget=FastCheckboxes,
        required=False,
        help_text=_("Where your clients live. Check every state you serve."),
    )
    crisis_resources = forms.CharField(
        label=_("Crisis resources"),
        widget=long_text(4),
        strip=False,
        help_text=_("Shown on every member page beside the 988 link."),
    )
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    staff_idle_minutes = forms.IntegerField(
        label=_("Staff idle time-out (minutes)"),
        help_text=_("Staff are signed out after this long without activity. 15 is usual."),
    )
    member_idle_minutes = forms.IntegerField(
        label=_("Member idle time-out (minutes)"),
        help_text=_("Members are signed out after this long without activity. 30 is usual."),
    )
    reminder_minutes_before = forms.TypedMultipleChoiceField(
        label=_("Remind members"),
        choices=REMINDER_CHOICES,
        coerce=int,
        widget=FastCheckboxes,
        required=False,
        help_text=_(
            "Before each session, members get a reminder in Kindred, and by email or text "
            "message if they chose to. Choose up to four; none turns reminders off."
        ),
    )

    record_retention_years = forms.IntegerField(
        label=_("Keep clinical records (years after an account closes)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_(
            "Check your states' record-keeping law; seven years covers most states' rules "
            "for adults. Applies to accounts closed from now on."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tz = self.fields["timezone"]
        assert isinstance(tz, TimezoneField)  # noqa: S101 - narrows the type
        tz.include(self.initial.get("timezone"))
        reminders = self.fields["reminder_minutes_before"]
        assert isinstance(reminders, forms.TypedMultipleChoiceField)  # noqa: S101 - as above
        known = {value for value, _label in REMINDER_CHOICES}
        # A time set through the API that is not one of the usual ones stays choosable.
        extra = [m for m in self.initial.get("reminder_minutes_before") or [] if m not in known]
        if extra:
            reminders.choices = sorted(
                [*REMINDER_CHOICES, *((m, reminder_label(m)) for m in extra)], reverse=True
            )


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), help_text=_("For example: Loop Office."))
    address_line1 = forms.CharField(label=_("Address"))
    address_line2 = forms.CharField(label=_("Address line 2"), required=False)
    city = forms.CharField(label=_("City"))
    state = forms.ChoiceField(label=_("State"), choices=STATE_SELECT, widget=FastSelect)
    postal_code = forms.CharField(
        label=_("ZIP code"), widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    timezone = TimezoneField()
    phone = forms.CharField(
        label=_("Phone"), required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    directions = forms.CharField(
        label=_("Arrival directions"),
        required=False,
        strip=False,
        widget=long_text(4),
        help_text=_("Shown to members: parking, entrance, accessibility."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tz = self.fields["timezone"]
        assert isinstance(tz, TimezoneField)  # noqa: S101 - narrows the type
        tz.include(self.initial.get("timezone"))


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Room name"))
    capacity = forms.IntegerField(label=_("Seats"), help_text=_("From 1 to 500."))
    accessibility_notes = forms.CharField(
        label=_("Accessibility"),
        required=False,
        help_text=_("For example: step-free, hearing loop, accessible restroom nearby."),
    )


class CompactForm(forms.Form):
    code = forms.CharField(
        label=_("Short code"),
        help_text=_("Lower-case letters, numbers and hyphens, like psypact."),
    )
    name = forms.CharField(label=_("Name"))
    profession = forms.CharField(label=_("Profession"), required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        strip=False,
        widget=long_text(3),
        help_text=_("Where and when membership was last verified."),
    )


class MemberStateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=STATE_SELECT, widget=FastSelect)
    effective_from = forms.DateField(label=_("Member from"), widget=DateInput())
    effective_until = forms.DateField(
        label=_("Member until"),
        required=False,
        widget=DateInput(),
        help_text=_("The last day of membership. Leave empty while it lasts."),
    )


class EndMemberStateForm(forms.Form):
    effective_until = forms.DateField(
        label=_("Last day of membership"),
        widget=DateInput(),
        help_text=_("Privileges for this state stop counting after this day."),
    )


def role_choices() -> list[tuple[str, Any]]:
    return [(r.value, r.label) for r in Role]


class StaffCreateForm(forms.Form):
    full_name = forms.CharField(validators=[validate_person_name], label=_("Full name"))
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("They sign in with this address and get a link here to choose a password."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=role_choices, widget=FastCheckboxes, required=False
    )


class StaffEditForm(forms.Form):
    full_name = forms.CharField(validators=[validate_person_name], label=_("Full name"))
    email = forms.EmailField(label=_("Email"))


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=role_choices, widget=FastCheckboxes, required=False
    )


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=long_text(3),
        help_text=_("Recorded in the audit log. For example: left the practice."),
    )


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})"


class ClinicianChoiceField(forms.ModelChoiceField[ClinicianProfile]):
    def label_from_instance(self, obj: ClinicianProfile) -> str:
        return obj.user.full_name


class ClinicianForm(forms.Form):
    npi = forms.CharField(
        label=_("NPI"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("National Provider Identifier, 10 digits."),
    )
    credentials = forms.CharField(
        label=_("Credentials"), required=False, help_text=_("For example: LCPC, PhD")
    )
    pronouns = forms.CharField(label=_("Pronouns"), required=False)
    bio = forms.CharField(
        label=_("Member-facing bio"), required=False, strip=False, widget=long_text(5)
    )
    supervisor = ClinicianChoiceField(
        label=_("Clinical supervisor"),
        widget=FastSelect,
        queryset=ClinicianProfile.objects.none(),
        required=False,
        empty_label=_("No supervisor"),
    )

    def __init__(self, *args: Any, supervisors: QuerySet[ClinicianProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supervisor"]
        assert isinstance(field, ClinicianChoiceField)  # noqa: S101 - narrows the type
        field.queryset = supervisors


class ClinicianCreateForm(ClinicianForm):
    user = StaffChoiceField(
        label=_("Staff member"),
        widget=FastSelect,
        queryset=User.objects.none(),
        empty_label=_("Choose a staff member"),
        help_text=_("Only staff without a clinician profile are listed."),
    )
    field_order = ["user", "npi", "credentials", "pronouns", "bio", "supervisor"]

    def __init__(
        self,
        *args: Any,
        candidates: QuerySet[User],
        supervisors: QuerySet[ClinicianProfile],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, supervisors=supervisors, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, StaffChoiceField)  # noqa: S101 - narrows the type
        field.queryset = candidates


class LicenseForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=STATE_SELECT, widget=FastSelect)
    license_type = forms.CharField(
        label=_("License type"),
        widget=forms.TextInput(attrs={"list": LICENSE_TYPES_LIST_ID, "autocomplete": "off"}),
        help_text=_("Pick a suggestion or type the board's name for it."),
    )
    number = forms.CharField(label=_("License number"))
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    expires_on = forms.DateField(label=_("Expires on"), widget=DateInput())
    status = forms.ChoiceField(
        label=_("Status"), choices=CredentialStatus.choices, initial=CredentialStatus.ACTIVE
    )
    verified_on = forms.DateField(
        label=_("Verified on"),
        required=False,
        widget=DateInput(),
        help_text=_("When the license was last checked with the state board."),
    )

    suggestions = LICENSE_TYPE_SUGGESTIONS
    suggestions_id = LICENSE_TYPES_LIST_ID


def ended_status_choices() -> list[tuple[str, Any]]:
    return [(s.value, s.label) for s in ENDED_STATUSES]


class LicenseEndForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=ended_status_choices,
        help_text=_("The license stays on record but no longer counts for sessions."),
    )


class CompactChoiceField(forms.ModelChoiceField[Compact]):
    def label_from_instance(self, obj: Compact) -> str:
        return obj.name


class PrivilegeForm(forms.Form):
    compact = CompactChoiceField(
        label=_("Compact"),
        queryset=Compact.objects.none(),
        empty_label=_("Choose a compact"),
        widget=FastSelect,
    )
    home_state = forms.ChoiceField(
        label=_("Home state"),
        choices=STATE_SELECT,
        widget=FastSelect,
        help_text=_("The state of the license the privilege rests on."),
    )
    privilege_states = forms.MultipleChoiceField(
        label=_("Privilege states"),
        choices=STATE_CHOICES,
        widget=FastCheckboxes,
        required=False,
        help_text=_("Each must be a member of the compact on the valid-from date."),
    )
    identifier = forms.CharField(label=_("Privilege or certificate number"), required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DateInput(),
        help_text=_("The last day it counts. Leave empty if it has no end date."),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=CredentialStatus.choices, initial=CredentialStatus.ACTIVE
    )

    def __init__(self, *args: Any, compacts: QuerySet[Compact], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["compact"]
        assert isinstance(field, CompactChoiceField)  # noqa: S101 - narrows the type
        field.queryset = compacts


class PrivilegeEndForm(forms.Form):
    valid_until = forms.DateField(
        label=_("Last day it counts"),
        widget=DateInput(),
    )


class LicensureCheckForm(forms.Form):
    state = forms.ChoiceField(label=_("Member's state"), choices=STATE_SELECT, widget=FastSelect)
    on = forms.DateField(label=_("Session date"), widget=DateInput())
