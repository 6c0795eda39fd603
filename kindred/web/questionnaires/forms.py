"""Forms of the questionnaire pages: shape only; measures/schedules.py and
measures/answering.py own the rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import Client
from kindred.measures.administrations import answer_field
from kindred.measures.models import Instrument, Timing
from kindred.measures.schedules import EVERY_N_MAX, EVERY_N_MIN, SCHEDULE_TIMINGS


class InstrumentChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        instrument: Instrument = obj
        if instrument.validated:
            return instrument.name
        return f"{instrument.name} ({_('not a validated instrument')})"


class ScheduleForm(forms.Form):
    instrument = InstrumentChoice(queryset=Instrument.objects.none(), label=_("Questionnaire"))
    timing = forms.ChoiceField(
        label=_("When"), choices=[(t.value, t.label) for t in SCHEDULE_TIMINGS]
    )
    every_n = forms.IntegerField(
        label=_("Every how many sessions"),
        help_text=_("Only for “before every Nth session”, e.g. 4 for every fourth session."),
        required=False,
        min_value=EVERY_N_MIN,
        max_value=EVERY_N_MAX,
    )

    def __init__(self, *args: Any, instruments: Iterable[Instrument], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["instrument"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - for the type checker
        field.queryset = Instrument.objects.filter(pk__in=[i.pk for i in instruments]).order_by(
            "name", "pk"
        )


class EveryNForm(forms.Form):
    every_n = forms.IntegerField(
        label=_("Every how many sessions"), min_value=EVERY_N_MIN, max_value=EVERY_N_MAX
    )


class ClientChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        client: Client = obj
        return client.display_name


class SendForm(forms.Form):
    client = ClientChoice(
        queryset=Client.objects.none(),
        label=_("Member"),
        help_text=_("Members with a place in this group and a Kindred account."),
    )
    instrument = InstrumentChoice(queryset=Instrument.objects.none(), label=_("Questionnaire"))

    def __init__(
        self,
        *args: Any,
        clients: Iterable[Client],
        instruments: Iterable[Instrument],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        client_field = self.fields["client"]
        instrument_field = self.fields["instrument"]
        assert isinstance(client_field, forms.ModelChoiceField)  # noqa: S101
        assert isinstance(instrument_field, forms.ModelChoiceField)  # noqa: S101
        client_field.queryset = Client.objects.filter(pk__in=[c.pk for c in clients]).order_by(
            "legal_last_name", "legal_first_name", "pk"
        )
        instrument_field.queryset = Instrument.objects.filter(
            pk__in=[i.pk for i in instruments]
        ).order_by("name", "pk")


def posted_answers(data: Mapping[str, Any], keys: Iterable[str]) -> dict[str, str]:
    """The answers a page posted, by item key: only the questionnaire's own items (other
    fields are ignored), and only those answered."""
    answers: dict[str, str] = {}
    for key in keys:
        value = data.get(answer_field(key))
        if value not in (None, ""):
            answers[key] = str(value)
    return answers


TIMING_HELP = {
    Timing.INTAKE: _("when a member is offered a place (open for 14 days)"),
    Timing.BEFORE_SESSION: _("opens 48 hours before each session, closes when it ends"),
    Timing.EVERY_NTH_SESSION: _("the same, before every Nth session of each member"),
    Timing.AFTER_SESSION: _("opens when each session ends, for 72 hours"),
    Timing.GRADUATION: _("when a member graduates (open for 14 days)"),
}
