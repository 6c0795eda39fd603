"""Forms for the session pages: they check the shape of the input only. The rules (who
has a seat, which statuses a cancelled session takes, time order, the licensure gate)
live in scheduling/attendance.py and scheduling/gate.py."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.practice.states import STATE_CHOICES
from kindred.scheduling.attendance import AttendanceEntry, AttendanceInvalid

if TYPE_CHECKING:
    from kindred.scheduling.attendance import AttendanceSheet

# Service field name → the form field's prefix.
_PREFIX = {"client": "status", "status": "status", "joined_at": "joined", "left_at": "left"}


def field_name(prefix: str, client_id: int) -> str:
    return f"{prefix}-{client_id}"


class AttendanceForm(forms.Form):
    """One status and two optional times per seated member: ``status-<client id>``,
    ``joined-<client id>``, ``left-<client id>``. A row left without a status is not
    saved (and what was saved before stays)."""

    def __init__(self, *args: Any, sheet: AttendanceSheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        choices = [("", _("Not recorded")), *sheet.statuses]
        for row in sheet.rows:
            cid = row.client.pk
            self.fields[field_name("status", cid)] = forms.ChoiceField(
                choices=choices, required=False, label=row.client.display_name
            )
            self.fields[field_name("joined", cid)] = forms.TimeField(
                required=False, label=_("Joined at")
            )
            self.fields[field_name("left", cid)] = forms.TimeField(
                required=False, label=_("Left at")
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row in self.sheet.rows:
            cid = row.client.pk
            has_time = data.get(field_name("joined", cid)) or data.get(field_name("left", cid))
            if has_time and not data.get(field_name("status", cid)):
                self.add_error(
                    field_name("status", cid), _("Choose how they attended to save the times.")
                )
        return data

    def _at(self, value: time | None) -> datetime | None:
        """A time on the sheet, read on the session's date where the group meets (or the
        next day, for a time before the start of a session that runs past midnight)."""
        if value is None:
            return None
        zone, session = self.sheet.zone, self.sheet.session
        local_start = timezone.localtime(session.starts_at, zone)
        local_end = timezone.localtime(session.ends_at, zone)
        day = self.sheet.local_date
        if local_end.date() > local_start.date() and value < local_start.time():
            day += timedelta(days=1)
        return datetime.combine(day, value, tzinfo=zone)

    def entries(self, *, only: int | None = None) -> list[AttendanceEntry]:
        """The rows to save: every row with a status, or just member ``only``."""
        data = self.cleaned_data
        entries = []
        for row in self.sheet.rows:
            cid = row.client.pk
            if only is not None and cid != only:
                continue
            status = data.get(field_name("status", cid)) or ""
            if not status:
                continue
            entries.append(
                AttendanceEntry(
                    client_id=cid,
                    status=status,
                    joined_at=self._at(data.get(field_name("joined", cid))),
                    left_at=self._at(data.get(field_name("left", cid))),
                )
            )
        return entries

    def apply_row_errors(self, exc: AttendanceInvalid) -> None:
        for client_id, fields in exc.row_errors.items():
            for name, messages in fields.items():
                target = field_name(_PREFIX.get(name, "status"), client_id)
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)


class StateForm(forms.Form):
    state = forms.ChoiceField(
        label=_("The state you are in right now"),
        choices=[("", _("Choose a state")), *STATE_CHOICES],
    )
