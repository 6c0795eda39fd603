from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.records.export import PURPOSES
from kindred.web.widgets import DateInput


class RecordExportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("Until (inclusive)"), widget=DateInput())
    format = forms.ChoiceField(label=_("Format"), choices=[("pdf", "PDF"), ("json", "JSON")])
    purpose = forms.ChoiceField(label=_("Why"), choices=[("", _("Choose…")), *PURPOSES])

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        today: date = timezone.localdate()
        return {"start": today - timedelta(days=365), "end": today, "format": "pdf"}
