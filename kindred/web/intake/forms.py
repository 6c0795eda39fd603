"""Forms for referrals and the waitlist: shape only. The rules (a way to contact, states
served, repeats, duplicates, reasons, exclusions) live in intake/referrals.py and
intake/waitlist.py and come back as messages beside the fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.accounts.names import validate_person_name
from kindred.clients.models import LANGUAGE_CHOICES, ConcernTag, Gender, Modality, Weekday
from kindred.core.antispam import form_stamp, read_form_stamp
from kindred.groups.models import TherapyGroup
from kindred.intake.models import (
    ContactMethod,
    ContactOutcome,
    ExclusionReason,
    ReferralSource,
    Urgency,
    WaitlistStatus,
)
from kindred.intake.referrals import STAFF_SOURCES, AvailabilityRow
from kindred.intake.selectors import STATUS_ALL, STATUS_OPEN, WAIT_WEEKS
from kindred.intake.waitlist import COORDINATOR_STATUSES
from kindred.practice.models import Location
from kindred.practice.states import STATE_CHOICES
from kindred.web.widgets import DateInput, FastCheckboxes, FastRadios, FastSelect

SHOWN_SALT = "kindred.intake.referral-form-shown"
#: Weekly times a form offers (the API accepts more).
AVAILABILITY_ROWS = 4
ANY_GROUP = ""


def shown_stamp() -> str:
    return form_stamp(salt=SHOWN_SALT)


def read_stamp(value: str) -> datetime | None:
    return read_form_stamp(value, salt=SHOWN_SALT)


def _row_fields(n: int) -> dict[str, forms.Field]:
    return {
        f"day_{n}": forms.TypedChoiceField(
            label=_("Day"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", _("Choose a day")), *Weekday.choices],
            widget=FastSelect,
        ),
        f"from_{n}": forms.TimeField(
            label=_("From"), required=False, widget=forms.TimeInput({"type": "time"})
        ),
        f"until_{n}": forms.TimeField(
            label=_("Until"), required=False, widget=forms.TimeInput({"type": "time"})
        ),
    }


class OfficesChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Offices by name and town: "Lakeview office, Chicago"."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.city}"


def offices_in_use() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).order_by("name", "id")


#: The ways to meet for which the offices question is shown (progressive enhancement:
#: without JavaScript it is always shown).
OFFICE_MODALITIES = f"{Modality.IN_PERSON} {Modality.EITHER}"


class ReferralForm(forms.Form):
    """What every referral asks; worded for the person themselves (the staff form
    rewords it for a referrer)."""

    first_name = forms.CharField(
        validators=[validate_person_name],
        label=_("First name"),
        max_length=100,
        error_messages={"required": _("Give a first name.")},
        widget=forms.TextInput({"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        validators=[validate_person_name],
        label=_("Last name"),
        max_length=100,
        error_messages={"required": _("Give a last name.")},
        widget=forms.TextInput({"autocomplete": "family-name"}),
    )
    preferred_name = forms.CharField(
        validators=[validate_person_name],
        label=_("The name you go by (optional)"),
        max_length=100,
        required=False,
        help_text=_("If it is not your first name."),
        widget=forms.TextInput({"autocomplete": "nickname"}),
    )
    pronouns = forms.CharField(
        label=_("Pronouns (optional)"),
        max_length=40,
        required=False,
        help_text=_("For example: she/her, he/him, they/them."),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        error_messages={
            "required": _(
                "Give a date of birth: it keeps this record apart from others with the same name."
            )
        },
        widget=DateInput({"autocomplete": "bday"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        help_text=_("Give an email address, a phone number, or both."),
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=25,
        required=False,
        widget=forms.TextInput({"type": "tel", "autocomplete": "tel"}),
    )
    state = forms.ChoiceField(
        label=_("The state you live in"),
        choices=[("", _("Choose a state")), *STATE_CHOICES],
        error_messages={"required": _("Choose the state the person lives in.")},
        widget=FastSelect,
    )
    gender = forms.ChoiceField(
        label=_("Your gender (optional)"),
        choices=[("", _("Not answered")), *Gender.choices],
        required=False,
        widget=FastSelect,
        help_text=_(
            "We ask because some groups are for women or for men only. You can leave it "
            "empty; it only helps us suggest groups you can join."
        ),
    )
    concerns = forms.ModelMultipleChoiceField(
        label=_("What would you like help with? (optional)"),
        queryset=ConcernTag.objects.none(),
        required=False,
        widget=FastCheckboxes,
    )
    in_their_words = forms.CharField(
        label=_("In your own words (optional)"),
        max_length=3000,
        required=False,
        strip=False,
        help_text=_(
            "Only what you are comfortable sharing. A clinician reads it; it is never sent "
            "by email."
        ),
        widget=forms.Textarea({"rows": 4}),
    )
    preferred_modality = forms.ChoiceField(
        label=_("How would you like to meet?"),
        choices=[
            (Modality.EITHER, _("Either is fine")),
            (Modality.VIRTUAL, _("By video")),
            (Modality.IN_PERSON, _("In person")),
        ],
        initial=Modality.EITHER,
        widget=FastRadios,
    )
    locations = OfficesChoice(
        label=_("Which of our offices could you get to?"),
        queryset=Location.objects.none(),
        required=False,
        widget=FastCheckboxes,
        help_text=_("For groups that meet in person. Choose every office you could get to."),
    )
    language = forms.ChoiceField(
        label=_("Language you would like the group in"),
        choices=LANGUAGE_CHOICES,
        initial="en",
        widget=FastSelect,
    )
    urgency = forms.ChoiceField(
        label=_("How urgent does it feel?"),
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=FastRadios,
    )
    # Never filled in: carries the service's messages about the weekly times, shown at
    # the top of their fieldset.
    availability = forms.CharField(required=False, widget=forms.HiddenInput)

    office_modalities = OFFICE_MODALITIES

    def __init__(
        self,
        *args: Any,
        concerns: QuerySet[ConcernTag],
        locations: QuerySet[Location] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["concerns"].queryset = concerns  # type: ignore[attr-defined]
        self.fields["locations"].queryset = (  # type: ignore[attr-defined]
            locations if locations is not None else offices_in_use()
        )
        for n in range(1, AVAILABILITY_ROWS + 1):
            self.fields.update(_row_fields(n))

    def availability_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"day_{n}"], self[f"from_{n}"], self[f"until_{n}"]]
            for n in range(1, AVAILABILITY_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(1, AVAILABILITY_ROWS + 1):
            day, start, end = data.get(f"day_{n}"), data.get(f"from_{n}"), data.get(f"until_{n}")
            given = [v is not None for v in (day, start, end)]
            if any(given) and not all(given):
                if day is None and f"day_{n}" not in self.errors:
                    self.add_error(f"day_{n}", _("Choose a day for this time."))
                if start is None and f"from_{n}" not in self.errors:
                    self.add_error(f"from_{n}", _("Give the time you could start."))
                if end is None and f"until_{n}" not in self.errors:
                    self.add_error(f"until_{n}", _("Give the time you would need to leave."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        rows = []
        for n in range(1, AVAILABILITY_ROWS + 1):
            day, start, end = data.get(f"day_{n}"), data.get(f"from_{n}"), data.get(f"until_{n}")
            if day is not None and start is not None and end is not None:
                rows.append(AvailabilityRow(day, start, end))
        fields = (
            "first_name",
            "last_name",
            "preferred_name",
            "pronouns",
            "date_of_birth",
            "email",
            "phone",
            "state",
            "in_their_words",
            "preferred_modality",
            "language",
            "gender",
            "urgency",
        )
        return {
            **{f: data[f] for f in fields},
            "concerns": list(data["concerns"]),
            "locations": list(data["locations"]),
            "availability": rows,
        }


class SelfReferralForm(ReferralForm):
    """The public form: a visitor asks for a place for themselves."""

    group = forms.ChoiceField(
        label=_("Group you are asking about"),
        required=False,
        help_text=_("Leave “Any group that fits” if you are not sure; we will suggest one."),
        widget=FastSelect,
    )
    # Not for people: hidden from view and from assistive technology (see the template).
    website = forms.CharField(required=False, label=_("Leave this empty"))
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        concerns: QuerySet[ConcernTag],
        groups: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, concerns=concerns, **kwargs)
        group = self.fields["group"]
        assert isinstance(group, forms.ChoiceField)  # noqa: S101 - declared above
        group.choices = [(ANY_GROUP, _("Any group that fits")), *groups]
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["shown"] = shown_stamp()


class StaffReferralForm(ReferralForm):
    """A clinician's, a partner's or the practice's own referral, entered by staff."""

    source = forms.ChoiceField(
        label=_("Who is referring"),
        choices=[(s.value, s.label) for s in STAFF_SOURCES],
        initial=ReferralSource.CLINICIAN,
        widget=FastRadios,
    )
    referrer_name = forms.CharField(
        validators=[validate_person_name],
        label=_("Referrer's name"),
        max_length=150,
        required=False,
        help_text=_("Needed for a clinician or a partner organisation."),
    )
    referrer_organisation = forms.CharField(
        label=_("Organisation (optional)"), max_length=150, required=False
    )
    referrer_email = forms.CharField(
        label=_("Referrer's email (optional)"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(),
    )
    referrer_phone = forms.CharField(
        label=_("Referrer's phone (optional)"),
        max_length=25,
        required=False,
        widget=forms.TextInput({"type": "tel"}),
    )
    group = forms.ModelChoiceField(
        label=_("Group asked about (optional)"),
        queryset=TherapyGroup.objects.none(),
        required=False,
        empty_label=_("Any group that fits"),
        widget=FastSelect,
    )

    _WORDING = {
        "preferred_name": _("Preferred name (optional)"),
        "state": _("State they live in"),
        "concerns": _("What they would like help with (optional)"),
        "in_their_words": _("The referral, in the referrer's words (optional)"),
        "preferred_modality": _("How they would like to meet"),
        "language": _("Language"),
        "urgency": _("Urgency"),
        "locations": _("Which of the practice's offices could they get to?"),
        "gender": _("Their gender (optional)"),
    }

    def __init__(
        self,
        *args: Any,
        concerns: QuerySet[ConcernTag],
        groups: QuerySet[TherapyGroup],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, concerns=concerns, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        for name, label in self._WORDING.items():
            self.fields[name].label = label
        self.fields["preferred_name"].help_text = ""
        self.fields["gender"].help_text = _(
            "As they describe it, if they said. Some groups are for women or for men only, "
            "and matching proposes those only to people whose record gives that gender."
        )
        self.fields["in_their_words"].help_text = _(
            "Clinical: kept with the referral, never in emails or the audit log."
        )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().service_kwargs(),
            "source": data["source"],
            "referrer_name": data["referrer_name"],
            "referrer_organisation": data["referrer_organisation"],
            "referrer_email": data["referrer_email"],
            "referrer_phone": data["referrer_phone"],
            "group": data["group"],
        }


# --- The waitlist ----------------------------------------------------------------------


class WaitlistFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (STATUS_OPEN, _("Still waiting (any open status)")),
            *WaitlistStatus.choices,
            (STATUS_ALL, _("Any status")),
        ],
        widget=FastSelect,
    )
    concern = forms.ModelChoiceField(
        label=_("Concern"),
        required=False,
        queryset=ConcernTag.objects.none(),
        empty_label=_("Any concern"),
        widget=FastSelect,
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *STATE_CHOICES],
        widget=FastSelect,
    )
    modality = forms.ChoiceField(
        label=_("Can meet"),
        required=False,
        choices=[
            ("", _("Any way")),
            (Modality.VIRTUAL, _("By video")),
            (Modality.IN_PERSON, _("In person")),
        ],
        widget=FastSelect,
    )
    waited = forms.TypedChoiceField(
        label=_("Waiting longer than"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any time")), *((w, _("%(n)d weeks") % {"n": w}) for w in WAIT_WEEKS)],
        widget=FastSelect,
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        required=False,
        choices=[("", _("Any urgency")), *Urgency.choices],
        widget=FastSelect,
    )

    def __init__(self, *args: Any, concerns: QuerySet[ConcernTag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["concern"].queryset = concerns  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(s.value, s.label) for s in COORDINATOR_STATUSES],
        widget=FastSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Needed for unreachable, withdrew and referred elsewhere."),
        widget=forms.Textarea({"rows": 2}),
    )


class ContactForm(forms.Form):
    at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    method = forms.ChoiceField(label=_("How"), choices=ContactMethod.choices, widget=FastSelect)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=ContactOutcome.choices, widget=FastSelect
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=1000,
        required=False,
        strip=False,
        widget=forms.Textarea({"rows": 2}),
    )


class ExclusionSearchForm(forms.Form):
    find = forms.CharField(
        label=_("Find a client by name"),
        max_length=100,
        required=False,
        widget=forms.TextInput({"type": "search", "autocomplete": "off"}),
    )


class ExclusionForm(forms.Form):
    other = forms.TypedChoiceField(
        label=_("Do not place with"),
        coerce=int,
        empty_value=None,
        error_messages={"required": _("Choose the person they should not be placed with.")},
        widget=FastRadios,
    )
    reason = forms.ChoiceField(label=_("Why"), choices=ExclusionReason.choices, widget=FastSelect)
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=500,
        required=False,
        strip=False,
        widget=forms.Textarea({"rows": 2}),
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        other = self.fields["other"]
        assert isinstance(other, forms.TypedChoiceField)  # noqa: S101 - declared above
        other.choices = people


class AttachForm(forms.Form):
    client = forms.IntegerField(min_value=1, max_value=2**63 - 1)
