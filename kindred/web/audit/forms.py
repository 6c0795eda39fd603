"""The audit log's filter form (GET; shape only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.audit.models import Category
from kindred.audit.selectors import AuditFilters
from kindred.web.widgets import DateInput


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        label=_("Person (email)"), required=False, max_length=254,
        widget=forms.TextInput(attrs={"type": "search"}),
    )  # fmt: skip
    action = forms.CharField(
        label=_("Action contains"), required=False, max_length=80,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "clients.client"}),
    )  # fmt: skip
    category = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Category.choices]
    )
    client = forms.IntegerField(label=_("Client id"), required=False, min_value=1)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    actor_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor_id=data.get("actor_id"),
            actor_email=(data.get("actor") or "").strip(),
            action_contains=(data.get("action") or "").strip(),
            category=Category(data["category"]) if data.get("category") else None,
            client_id=data.get("client"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
