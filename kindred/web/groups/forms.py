"""Forms for groups, sessions and places in a group. They check the shape of the input
only (and turn wall-clock times into instants); every rule lives in the services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import GROUP_GENDER_CHOICES, ConcernTag
from kindred.groups.models import GROUP_LANGUAGE_CHOICES, GroupFormat, GroupModality, GroupStatus
from kindred.groups.selectors import STATUS_ALL, STATUS_LIVE, SessionWhen
from kindred.intake.agreements import version_choices, version_label
from kindred.intake.models import AgreementVersion
from kindred.practice.models import ClinicianProfile, Location, Room
from kindred.scheduling.recurrence import localize, zone
from kindred.web.widgets import DateInput, FastCheckboxes, FastRadios, FastSelect, TimezoneField

RULE_SUGGESTIONS = [
    "FREQ=WEEKLY;COUNT=8",
    "FREQ=WEEKLY;COUNT=12",
    "FREQ=WEEKLY;INTERVAL=2;COUNT=6",
    "FREQ=WEEKLY",
    "FREQ=MONTHLY;BYDAY=1TH",
]


class ClinicianChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        user = obj.user
        return f"{user.full_name}{f', {obj.credentials}' if obj.credentials else ''}"


class CliniciansChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        user = obj.user
        return f"{user.full_name}{f', {obj.credentials}' if obj.credentials else ''}"


class AgreementVersionChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return version_label(obj)


class RoomChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.location.name} — {obj.name} ({obj.capacity})"


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description for members"),
        max_length=4000,
        widget=forms.Textarea({"rows": 5}),
        help_text=_(
            "What the group is for and what to expect. Shown in the public directory, so "
            "write it for someone deciding whether to ask to join."
        ),
    )
    concerns = forms.ModelMultipleChoiceField(
        label=_("Focus"),
        queryset=ConcernTag.objects.none(),
        required=False,
        widget=FastCheckboxes,
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=GroupFormat.choices,
        initial=GroupFormat.CLOSED,
        widget=FastRadios,
    )
    modality = forms.ChoiceField(
        label=_("How it meets"),
        choices=GroupModality.choices,
        initial=GroupModality.VIRTUAL,
        widget=FastRadios,
    )
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("No location (virtual)"),
        widget=FastSelect,
        help_text=_("Needed for in-person and hybrid groups."),
    )
    room = RoomChoice(
        label=_("Room"),
        queryset=Room.objects.none(),
        required=False,
        empty_label=_("No room yet"),
        widget=FastSelect,
        help_text=_("Optional. Kindred checks that no other group has it at the same time."),
    )
    lead_facilitator = ClinicianChoice(
        label=_("Lead facilitator"), queryset=ClinicianProfile.objects.none(), widget=FastSelect
    )
    co_facilitators = CliniciansChoice(
        label=_("Co-facilitators"),
        queryset=ClinicianProfile.objects.none(),
        required=False,
        widget=FastCheckboxes,
    )
    min_size = forms.IntegerField(label=_("Minimum size"), min_value=1, max_value=50, initial=6)
    max_size = forms.IntegerField(label=_("Maximum size"), min_value=1, max_value=50, initial=10)
    min_age = forms.IntegerField(
        label=_("Youngest age"), min_value=0, max_value=120, required=False
    )
    max_age = forms.IntegerField(label=_("Oldest age"), min_value=0, max_value=120, required=False)
    gender_focus = forms.ChoiceField(
        label=_("Gender-specific for"),
        required=False,
        choices=[("", _("Open to everyone")), *GROUP_GENDER_CHOICES],
        initial="",
        widget=FastSelect,
        help_text=_(
            "A group for women, men or non-binary people is proposed by matching only to "
            "people whose record gives that gender."
        ),
    )
    language = forms.TypedChoiceField(
        label=_("Language the group is held in"),
        choices=GROUP_LANGUAGE_CHOICES,
        initial="en",
        required=False,
        empty_value="en",
        widget=FastSelect,
        help_text=_("Matching proposes the group only to people who asked for this language."),
    )
    recurrence = forms.CharField(
        label=_("Repeats (RRULE)"),
        max_length=300,
        widget=forms.TextInput({"list": "rule-suggestions", "autocomplete": "off"}),
        help_text=_(
            "An RFC 5545 rule. FREQ=WEEKLY;COUNT=12 is twelve weekly sessions from the first "
            "date; FREQ=WEEKLY;INTERVAL=2;COUNT=6 every other week; FREQ=WEEKLY with no end "
            "suits an open, rolling group."
        ),
    )
    start_date = forms.DateField(label=_("First session date"), widget=DateInput())
    start_time = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput({"type": "time"}, format="%H:%M")
    )
    session_minutes = forms.IntegerField(
        label=_("Session length (minutes)"), min_value=15, max_value=480, initial=90
    )
    timezone = TimezoneField(initial="America/Chicago")
    fee = forms.DecimalField(
        label=_("Fee per session ($)"),
        min_value=Decimal(0),
        max_value=Decimal(10000),
        decimal_places=2,
        initial=Decimal(0),
    )
    sliding_scale = forms.BooleanField(label=_("Sliding scale available"), required=False)
    fee_note = forms.CharField(label=_("Fee note"), max_length=300, required=False)
    listed_publicly = forms.BooleanField(
        label=_("Show in the public directory"), required=False, initial=True
    )
    external_video_link = forms.URLField(
        label=_("External video link"),
        required=False,
        assume_scheme="https",
        help_text=_("Only for the fixed-link video provider. Never sent by email."),
    )
    agreement_version = AgreementVersionChoice(
        label=_("Group agreement"),
        queryset=AgreementVersion.objects.none(),
        required=False,
        empty_label=_("No agreement yet"),
        widget=FastSelect,
        help_text=_(
            "Members sign it before their first session. Choosing a newer version asks "
            "every member to sign that version before their next session."
        ),
    )

    field_order = None

    def __init__(
        self,
        *args: Any,
        concerns: QuerySet[ConcernTag],
        clinicians: QuerySet[ClinicianProfile],
        locations: QuerySet[Location],
        rooms: QuerySet[Room],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["concerns"].queryset = concerns  # type: ignore[attr-defined]
        self.fields["lead_facilitator"].queryset = clinicians  # type: ignore[attr-defined]
        self.fields["co_facilitators"].queryset = clinicians  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]
        self.fields["agreement_version"].queryset = version_choices()  # type: ignore[attr-defined]

    suggestions = RULE_SUGGESTIONS
    suggestions_id = "rule-suggestions"

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        fee = data.pop("fee")
        data["fee_cents"] = int((fee or Decimal(0)) * 100)
        data["concerns"] = list(data["concerns"])
        data["co_facilitators"] = list(data["co_facilitators"])
        return data


class GroupCreateForm(GroupForm):
    status = forms.ChoiceField(
        label=_("Status to start with"),
        choices=[
            (GroupStatus.FORMING, _("Forming: taking members, not yet meeting")),
            (GroupStatus.ACTIVE, _("Active: meeting")),
        ],
        initial=GroupStatus.FORMING,
        widget=FastRadios,
    )


class GroupFilterForm(forms.Form):
    search = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=120,
        widget=forms.TextInput({"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (STATUS_LIVE, _("Forming, active or paused")),
            *GroupStatus.choices,
            (STATUS_ALL, _("Any status")),
        ],
        widget=FastSelect,
    )
    modality = forms.ChoiceField(
        label=_("How it meets"),
        required=False,
        choices=[("", _("Any")), *GroupModality.choices],
        widget=FastSelect,
    )
    facilitator = ClinicianChoice(
        label=_("Facilitator"),
        required=False,
        queryset=ClinicianProfile.objects.none(),
        empty_label=_("Anyone"),
        widget=FastSelect,
    )
    concern = forms.ModelChoiceField(
        label=_("Focus"),
        required=False,
        queryset=ConcernTag.objects.none(),
        empty_label=_("Any focus"),
        widget=FastSelect,
    )

    def __init__(
        self,
        *args: Any,
        concerns: QuerySet[ConcernTag],
        clinicians: QuerySet[ClinicianProfile],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["concern"].queryset = concerns  # type: ignore[attr-defined]
        self.fields["facilitator"].queryset = clinicians  # type: ignore[attr-defined]


class StatusActionForm(forms.Form):
    """A confirmation; the action itself is in the address."""


class SessionFilterForm(forms.Form):
    when = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (SessionWhen.UPCOMING, _("Upcoming")),
            (SessionWhen.PAST, _("Past")),
            (SessionWhen.ALL, _("All")),
        ],
        widget=FastSelect,
    )


class CancelSessionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea({"rows": 2}),
        help_text=_(
            "Members see this when they sign in (the email only says a session was "
            "cancelled). Keep it practical: “The facilitator is unwell.”"
        ),
    )


class RescheduleForm(forms.Form):
    date = forms.DateField(label=_("New date"), widget=DateInput())
    start_time = forms.TimeField(
        label=_("New start time"), widget=forms.TimeInput({"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("New end time"),
        required=False,
        widget=forms.TimeInput({"type": "time"}, format="%H:%M"),
        help_text=_("Leave empty to keep the session's length."),
    )

    def __init__(self, *args: Any, tz_name: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name

    def instants(self) -> tuple[datetime, datetime | None]:
        """The wall-clock times read in the group's time zone."""
        tz = zone(self.tz_name)
        day = self.cleaned_data["date"]
        start = localize(datetime.combine(day, self.cleaned_data["start_time"]), tz)
        end_time = self.cleaned_data.get("end_time")
        end = localize(datetime.combine(day, end_time), tz) if end_time else None
        return start, end


class SubstituteForm(forms.Form):
    substitute_facilitator = ClinicianChoice(
        label=_("Substitute facilitator"),
        queryset=ClinicianProfile.objects.none(),
        required=False,
        empty_label=_("No substitute: the lead facilitator leads"),
        widget=FastSelect,
    )

    def __init__(self, *args: Any, clinicians: QuerySet[ClinicianProfile], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["substitute_facilitator"].queryset = clinicians  # type: ignore[attr-defined]


class InviteSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Client name"),
        max_length=100,
        required=False,
        widget=forms.TextInput({"type": "search", "autocomplete": "off"}),
        help_text=_("The first letters of a first or last name."),
    )


class EndPlaceForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("Kept with the enrollment for those who can see the roster."),
    )
    date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for today."),
    )

    def __init__(self, *args: Any, reason_required: bool, tz_name: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        self.tz_name = tz_name

    def when(self) -> datetime | None:
        """The chosen day, at noon in the group's zone (a day, not a moment, is meant);
        today means now."""
        day = self.cleaned_data.get("date")
        if day is None:
            return None
        tz = zone(self.tz_name)
        today = datetime.now(tz).date()
        if day == today:
            return None
        return localize(datetime(day.year, day.month, day.day, 12), tz)  # noqa: DTZ001
