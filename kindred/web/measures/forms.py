"""Forms for the instrument library: shape only; measures/library.py owns the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.measures.definitions import Definition
from kindred.measures.models import Instrument


class InstrumentLoadForm(forms.Form):
    file = forms.FileField(
        label=_("Definition file"),
        help_text=_(
            "A JSON file in Kindred's instrument format (at most 256 KB). The format is "
            "described in docs/instrument-definitions.md."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )
    licence_confirmed = forms.BooleanField(
        label=_("We hold a licence for this instrument"),
        help_text=_(
            "Kindred records who confirmed this and when. Do not load an instrument whose "
            "licence does not allow computerized use."
        ),
        required=False,
    )


def _cutoff_field_name(key: str) -> str:
    return f"cutoff_{key}"


class InstrumentSettingsForm(forms.Form):
    rc_sd = forms.FloatField(
        label=_("Reference SD (s1)"),
        required=False,
        min_value=0,
        help_text=_(
            "The standard deviation of a reference sample, usually scores at intake. "
            "Leave empty to not compute the Reliable Change Index."
        ),
    )
    rc_reliability = forms.FloatField(
        label=_("Reliability (r)"),
        required=False,
        help_text=_("Between 0 and 1, e.g. Cronbach's alpha or test–retest reliability."),
    )
    rc_source = forms.CharField(
        label=_("Source of s1 and r"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A citation, or a description of your own sample. Shown beside results."),
    )
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("Instruments not in use cannot be added to new schedules."),
    )

    def __init__(self, *args: Any, definition: Definition, instrument: Instrument, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cutoff_keys: list[str] = []
        current = definition.cutoff_values(instrument.cutoffs)
        for cutoff in definition.cutoffs:
            name = _cutoff_field_name(cutoff.key)
            self.cutoff_keys.append(cutoff.key)
            help_text = _("From %(min)s to %(max)s; the definition's default is %(default)s.") % {
                "min": cutoff.min,
                "max": cutoff.max,
                "default": cutoff.default,
            }
            if cutoff.note:
                help_text = f"{help_text} {cutoff.note}"
            self.fields[name] = forms.FloatField(label=cutoff.label, help_text=help_text)
            self.initial.setdefault(name, current[cutoff.key])

    def cutoffs(self) -> dict[str, int | float]:
        values: dict[str, int | float] = {}
        for key in self.cutoff_keys:
            value = self.cleaned_data[_cutoff_field_name(key)]
            values[key] = int(value) if float(value).is_integer() else value
        return values
