"""Matching page forms: shape only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import ConcernTag
from kindred.groups.models import TherapyGroup
from kindred.matching.models import WEIGHT_FIELDS, WEIGHT_MAX, WEIGHT_MIN, MatchingSettings
from kindred.web.intake.forms import WaitlistFilterForm
from kindred.web.widgets import FastSelect


class RunForm(WaitlistFilterForm):
    """Who to match: the waitlist page's filters (open entries only)."""

    group = forms.ModelChoiceField(
        label=_("Waiting for"),
        required=False,
        queryset=TherapyGroup.objects.none(),
        empty_label=_("Any group (or one in particular)"),
        widget=FastSelect,
    )

    def __init__(
        self, *args: Any, concerns: QuerySet[ConcernTag], groups: QuerySet[TherapyGroup], **kw: Any
    ) -> None:
        super().__init__(*args, concerns=concerns, **kw)
        del self.fields["status"]
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class ChooseGroupForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Another group"),
        queryset=TherapyGroup.objects.none(),
        empty_label=_("Choose a group"),
        widget=FastSelect,
    )

    def __init__(self, *args: Any, groups: QuerySet[TherapyGroup], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why not"),
        max_length=500,
        help_text=_("For whoever looks at this person next. Stays with this proposal."),
        widget=forms.Textarea({"rows": 2}),
    )


class WeightsForm(forms.ModelForm[MatchingSettings]):
    class Meta:
        model = MatchingSettings
        fields = list(WEIGHT_FIELDS)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for name in WEIGHT_FIELDS:
            field = self.fields[name]
            field.widget.attrs.update(
                {"min": WEIGHT_MIN, "max": WEIGHT_MAX, "step": "0.5", "inputmode": "decimal"}
            )
            field.help_text = f"{field.help_text} " + str(
                _("From %(lo)d (ignore) to %(hi)d (matters most).")
                % {"lo": WEIGHT_MIN, "hi": WEIGHT_MAX}
            )
