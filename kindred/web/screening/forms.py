"""Forms for screenings and the funnel report. They check the shape of the input only;
every rule (what a decision needs, who may screen) lives in intake/screening.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.accounts.models import User
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Answer, ScreeningDecision
from kindred.intake.screening import ANSWER_FIELDS, EXCLUSION_FIELDS, ScreeningFields
from kindred.intake.screening_selectors import STATUS_DECIDED, STATUS_DRAFT
from kindred.web.widgets import DateInput, FastCheckboxes, FastRadios, FastSelect

ACTION_DRAFT = "draft"
ACTION_DECIDE = "decide"

ANSWER_HELP = {
    "motivation": _("Do they want to take part, for their own reasons?"),
    "can_participate": _("Can they listen, share and tolerate the group setting?"),
    "goals_fit": _("Can this group help with what they want to work on?"),
    "commitment": _("Can they come every week, on time, for the whole group?"),
}
ANSWER_LABELS = {
    "motivation": _("Motivated to take part"),
    "can_participate": _("Able to take part in a group"),
    "goals_fit": _("Their goals fit this group"),
    "commitment": _("Can commit to attend"),
}
EXCLUSION_LABELS = {
    "acute_crisis": _("In acute crisis"),
    "active_suicidality": _("Actively suicidal"),
    "active_psychosis": _("Active psychosis"),
    "severe_cognitive_impairment": _("Severe cognitive impairment"),
    "extreme_hostility": _("Extreme hostility"),
    "only_member_unlike_others": _("Would be the only member unlike all the others"),
}


class GroupChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ScreenerChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.email)


class ScreeningForm(forms.Form):
    """The checklist, notes and decision. Every answer is optional here: a draft may be
    saved half done; recording the decision needs them all (the service says which)."""

    motivation = forms.ChoiceField(
        label=ANSWER_LABELS["motivation"],
        help_text=ANSWER_HELP["motivation"],
        choices=Answer.choices,
        widget=FastRadios,
        required=False,
    )
    can_participate = forms.ChoiceField(
        label=ANSWER_LABELS["can_participate"],
        help_text=ANSWER_HELP["can_participate"],
        choices=Answer.choices,
        widget=FastRadios,
        required=False,
    )
    goals_fit = forms.ChoiceField(
        label=ANSWER_LABELS["goals_fit"],
        help_text=ANSWER_HELP["goals_fit"],
        choices=Answer.choices,
        widget=FastRadios,
        required=False,
    )
    commitment = forms.ChoiceField(
        label=ANSWER_LABELS["commitment"],
        help_text=ANSWER_HELP["commitment"],
        choices=Answer.choices,
        widget=FastRadios,
        required=False,
    )
    exclusions = forms.MultipleChoiceField(
        label=_("Present now"),
        choices=list(EXCLUSION_LABELS.items()),
        widget=FastCheckboxes,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        required=False,
        strip=False,
        help_text=_("Clinical notes: only the screener, the group's facilitators and "
                    "coordinators read them."),
    )  # fmt: skip
    decision = forms.ChoiceField(
        label=_("What do you decide?"),
        choices=ScreeningDecision.choices,
        widget=FastRadios,
        required=False,
    )
    decision_reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
        strip=False,
        help_text=_("Needed to defer or refer, and to admit despite an exclusion or a “no”. "
                    "Never shown to the candidate."),
    )  # fmt: skip
    revisit_on = forms.DateField(
        label=_("Talk again on"),
        widget=DateInput(),
        required=False,
        help_text=_("For a deferral: when to talk with them again."),
    )

    def fields_for_service(self) -> ScreeningFields:
        data = self.cleaned_data
        fields: dict[str, Any] = {f: data.get(f) or "" for f in ANSWER_FIELDS}
        present = set(data.get("exclusions") or [])
        fields.update({f: f in present for f in EXCLUSION_FIELDS})
        fields["notes"] = data.get("notes") or ""
        fields["decision_reason"] = data.get("decision_reason") or ""
        fields["revisit_on"] = data.get("revisit_on")
        return fields  # type: ignore[return-value]

    def __init__(self, *args: Any, action: str = ACTION_DRAFT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.action == ACTION_DECIDE and not data.get("decision"):
            self.add_error("decision", _("Choose admit, defer or refer."))
        return data

    @property
    def decision_to_record(self) -> str:
        """The decision to record: only when the screener chose "Record the decision"."""
        if self.action != ACTION_DECIDE:
            return ""
        return str(self.cleaned_data.get("decision") or "")


class NewScreeningForm(ScreeningForm):
    """A new screening also says which group (and, for coordinators, who screens)."""

    group = GroupChoice(label=_("Group"), queryset=TherapyGroup.objects.none(), widget=FastSelect)
    screener = ScreenerChoice(
        label=_("Who screens"),
        queryset=User.objects.none(),
        required=False,
        widget=FastSelect,
        help_text=_("Leave as yourself, or ask a clinician to screen; it appears on their "
                    "home page."),
    )  # fmt: skip

    field_order = ("group", "screener")

    def __init__(
        self,
        *args: Any,
        groups: QuerySet[TherapyGroup],
        screeners: QuerySet[User] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        if screeners is None:
            del self.fields["screener"]
        else:
            self.fields["screener"].queryset = screeners  # type: ignore[attr-defined]
            self.fields["screener"].empty_label = _("Me")  # type: ignore[attr-defined]


class CandidateSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Candidate's name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class ScreeningFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), (STATUS_DRAFT, _("In progress")), (STATUS_DECIDED, _("Decided"))],
    )
    decision = forms.ChoiceField(
        label=_("What do you decide?"),
        required=False,
        choices=[("", _("Any")), *ScreeningDecision.choices],
    )
    mine = forms.BooleanField(label=_("Only the ones I screen"), required=False)


class MonthField(forms.DateField):
    input_formats = ["%Y-%m"]

    def to_python(self, value: Any) -> date | None:
        result = super().to_python(value)
        return result.replace(day=1) if isinstance(result, date) else result


class FunnelForm(forms.Form):
    start = MonthField(
        label=_("From (month of referral)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    end = MonthField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in ("start", "end"):
            value = data.get(key)
            if isinstance(value, datetime):
                data[key] = value.date()
        return data
