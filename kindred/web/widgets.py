"""Form widgets and fields shared by every section of the web interface.

Django renders one template per option of a ``<select>``, checkbox list or radio list;
with the 56 states, or the few hundred time zones, that costs tens of milliseconds a page.
The widgets here build the same markup in Python, escaping every value
(kindred/web/tests/test_widgets.py compares them with Django's own rendering).
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class FastSelect(forms.Select):
    """Django's ``<select>`` (with its optgroups), built in Python."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    "" if option["value"] is None else str(option["value"]),
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


class _FastChoiceList:
    """Checkboxes or radio buttons laid out as a compact grid (``.checkbox-list``): each
    input inside its label, one per line, optgroups flattened."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        outer = {"id": widget["attrs"].get("id"), "class": "checkbox-list"}
        parts: list[str] = [format_html("<div{}>", flatatt({k: v for k, v in outer.items() if v}))]
        for _group, options, _index in widget["optgroups"]:
            for option in options:
                option_id = option["attrs"].get("id")
                parts.append(
                    format_html(
                        '<div><label{}><input type="{}" name="{}"{}{}> {}</label></div>',
                        flatatt({"for": option_id} if option_id else {}),
                        option["type"],
                        option["name"],
                        flatatt({} if option["value"] is None else {"value": str(option["value"])}),
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                )
        parts.append("</div>")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


class FastCheckboxes(_FastChoiceList, forms.CheckboxSelectMultiple):
    """Django's ``CheckboxSelectMultiple`` as a ``.checkbox-list`` grid, built in Python."""


class FastRadios(_FastChoiceList, forms.RadioSelect):
    """Django's ``RadioSelect`` as a ``.checkbox-list`` grid, built in Python."""


class DateInput(forms.DateInput):
    """A native date picker; the value in the ISO form the browser expects."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# The zones a US practice, group or client uses, by the names people know them by; every
# other IANA zone follows under "Everywhere else".
US_TIMEZONES: list[tuple[str, StrOrPromise]] = [
    ("America/New_York", _("Eastern (New York)")),
    ("America/Detroit", _("Eastern (Detroit)")),
    ("America/Indiana/Indianapolis", _("Eastern (Indianapolis)")),
    ("America/Chicago", _("Central (Chicago)")),
    ("America/Denver", _("Mountain (Denver)")),
    ("America/Boise", _("Mountain (Boise)")),
    ("America/Phoenix", _("Mountain, no daylight saving (Phoenix)")),
    ("America/Los_Angeles", _("Pacific (Los Angeles)")),
    ("America/Anchorage", _("Alaska (Anchorage)")),
    ("Pacific/Honolulu", _("Hawaii (Honolulu)")),
    ("America/Puerto_Rico", _("Atlantic (Puerto Rico, U.S. Virgin Islands)")),
    ("Pacific/Guam", _("Chamorro (Guam, Northern Mariana Islands)")),
    ("Pacific/Pago_Pago", _("Samoa (American Samoa)")),
]


@functools.cache
def _other_timezones() -> tuple[tuple[str, str], ...]:
    """Every other zone the system knows (read from disk once per process)."""
    us = {zone for zone, _label in US_TIMEZONES}
    others = sorted(zoneinfo.available_timezones() - us)
    return tuple((zone, zone.replace("_", " ")) for zone in others)


def timezone_choices() -> list[tuple[str, Any]]:
    return [
        (str(_("United States")), list(US_TIMEZONES)),
        (str(_("Everywhere else")), list(_other_timezones())),
    ]


class TimezoneField(forms.ChoiceField):
    """A time zone: the US ones first by their everyday names, then every other zone."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Time zone"))
        super().__init__(choices=timezone_choices, widget=FastSelect, **kwargs)

    def include(self, value: str | None) -> None:
        """Keep a stored zone the list lacks (one tzdata has since retired) selectable
        rather than silently replaced by the first choice."""
        if value and not self.valid_value(value):
            self.choices = [*timezone_choices(), (value, value)]
