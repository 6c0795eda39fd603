"""Forms for the billing pages: shape only. Amounts are typed in dollars and handed to
the services in cents; the rules (a negative fee, a well-formed ICD-10 code, overlapping
fee periods) are the services' and their messages come back beside the field. Field
names match the services' so ``apply_error`` puts each message in its place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.billing.models import FeeOverrideKind, PaymentMethod
from kindred.web.widgets import DateInput, FastSelect

MAX_DOLLARS = Decimal("100000")


class DollarsField(forms.DecimalField):
    """Dollars and cents typed as "40" or "40.00"; ``cents()`` gives whole cents. A
    negative amount passes the shape check so the service can say why it is refused."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_value", MAX_DOLLARS)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


def to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def from_cents(value: int | None) -> Decimal | None:
    return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


class SettingsForm(forms.Form):
    no_show_fee_cents = DollarsField(
        label=_("No-show fee (USD)"), required=False, help_text=_("Leave empty for no fee.")
    )
    late_cancel_fee_cents = DollarsField(
        label=_("Late-cancellation fee (USD)"),
        required=False,
        help_text=_("Leave empty for no fee."),
    )
    late_cancel_hours = forms.IntegerField(
        label=_("Notice needed to cancel without a fee (hours before the session)"),
        min_value=0,
        max_value=336,
    )
    individual_fee_cents = DollarsField(
        label=_("The practice's individual-session fee (USD)"),
        required=False,
        help_text=_("Used only in the affordability report, to compare with group fees."),
    )
    modifier_95_for_virtual = forms.BooleanField(
        label=_("Add modifier 95 to virtual sessions on superbills"),
        required=False,
        help_text=_("Some insurers ask for it on synchronous audio-video sessions."),
    )
    payer_note = forms.CharField(
        label=_("Note for insurers on superbills"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FeeOverrideForm(forms.Form):
    enrollment = forms.TypedChoiceField(label=_("Place"), coerce=int, widget=FastSelect)
    kind = forms.ChoiceField(label=_("Kind"), choices=FeeOverrideKind.choices, widget=FastSelect)
    fee_cents = DollarsField(
        label=_("Fee per session (USD)"),
        required=False,
        help_text=_("For a scholarship, leave it empty: there is no fee."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
    starts_on = forms.DateField(label=_("From"), widget=DateInput)
    ends_on = forms.DateField(
        label=_("Until"), required=False, widget=DateInput, help_text=_("Leave empty: open.")
    )

    def __init__(self, *args: Any, places: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].choices = places  # type: ignore[attr-defined]


class DiagnosisForm(forms.Form):
    code = forms.CharField(
        label=_("ICD-10 code"),
        max_length=20,
        help_text=_("For example F41.1 or F33.0."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200)
    is_primary = forms.BooleanField(label=_("Primary diagnosis"), required=False)
    starts_on = forms.DateField(label=_("Diagnosed on"), widget=DateInput)
    ends_on = forms.DateField(
        label=_("Resolved on"), required=False, widget=DateInput, help_text=_("If resolved.")
    )


class PaymentForm(forms.Form):
    amount_cents = DollarsField(label=_("Amount (USD)"))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, widget=FastSelect)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=80,
        help_text=_("A receipt or check number; never a full card number."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput)
    end = forms.DateField(label=_("To"), widget=DateInput)
