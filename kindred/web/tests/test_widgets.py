"""The shared widgets render what Django's templates render (the same elements and
attributes, every value escaped), and the one time-zone list serves every form."""

from __future__ import annotations

import pytest
from django import forms
from django.template import engines
from django.test.html import parse_html

from kindred.web.widgets import (
    US_TIMEZONES,
    DateInput,
    FastCheckboxes,
    FastRadios,
    FastSelect,
    TimezoneField,
    timezone_choices,
)

# What the checkbox and radio grids rendered through a template before they were built in
# Python: Django's own option template inside a ``.checkbox-list`` grid.
GRID = engines["django"].from_string(
    '{% with id=widget.attrs.id %}<div{% if id %} id="{{ id }}"{% endif %} '
    'class="checkbox-list">{% for group, options, index in widget.optgroups %}'
    "{% for option in options %}<div>{% include option.template_name with widget=option %}"
    "</div>{% endfor %}{% endfor %}</div>{% endwith %}"
)

CHOICES = [
    ("a", "Grief & <loss>"),
    ("b", 'Say "hello"'),
    ("Group <1>", [("c", "Inside"), ("d", "Also inside")]),
    (3, "A number"),
]


def _reference(widget: forms.Widget, name: str, value: object, attrs: dict[str, str]) -> str:
    return str(GRID.render({"widget": widget.get_context(name, value, attrs)["widget"]}))


@pytest.mark.parametrize("value", [None, "a", "c", "3", ""])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_pick", "required": True}])
def test_fast_select_is_djangos_select(value, attrs):
    fast = FastSelect(choices=[("", "Choose"), *CHOICES]).render("pick", value, attrs)
    slow = forms.Select(choices=[("", "Choose"), *CHOICES]).render("pick", value, attrs)
    assert parse_html(fast) == parse_html(slow)
    assert "&lt;loss&gt;" in fast
    assert "<loss>" not in fast


@pytest.mark.parametrize("value", [None, [], ["a"], ["b", "d"], ["3"]])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_many"}])
def test_fast_checkboxes_are_the_checkbox_grid(value, attrs):
    widget = FastCheckboxes(choices=CHOICES)
    fast = widget.render("many", value, attrs)
    assert parse_html(fast) == parse_html(_reference(widget, "many", value, attrs))
    assert fast.count('type="checkbox"') == 5
    assert "&lt;loss&gt;" in fast


@pytest.mark.parametrize("value", [None, "b", "3"])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_one", "required": True}])
def test_fast_radios_are_the_radio_grid(value, attrs):
    widget = FastRadios(choices=CHOICES)
    fast = widget.render("one", value, attrs)
    assert parse_html(fast) == parse_html(_reference(widget, "one", value, attrs))
    assert fast.count('type="radio"') == 5


def test_only_the_grid_carries_the_grid_class():
    html = FastCheckboxes(choices=CHOICES).render("many", ["a"], {"id": "id_many"})
    assert html.count("checkbox-list") == 1
    outer = html[: html.index(">") + 1]
    assert parse_html(outer + "</div>") == parse_html(
        '<div id="id_many" class="checkbox-list"></div>'
    )


def test_date_input_shows_iso_dates():
    from datetime import date

    html = DateInput({"autocomplete": "bday"}).render("born", date(1990, 3, 4))
    assert parse_html(html) == parse_html(
        '<input type="date" name="born" value="1990-03-04" autocomplete="bday">'
    )


def test_time_zones_us_first_then_every_other_zone():
    import zoneinfo

    (us_label, us), (else_label, others) = timezone_choices()
    assert (us_label, else_label) == ("United States", "Everywhere else")
    assert us == US_TIMEZONES
    assert dict(us)["America/Chicago"] == "Central (Chicago)"
    listed = [zone for zone, _label in [*us, *others]]
    assert len(listed) == len(set(listed))
    assert set(listed) == zoneinfo.available_timezones() | {zone for zone, _l in US_TIMEZONES}
    assert ("Europe/Isle_of_Man", "Europe/Isle of Man") in others


def test_timezone_field_accepts_any_zone_and_keeps_an_unknown_stored_one():
    field = TimezoneField()
    assert field.clean("America/Chicago") == "America/Chicago"
    assert field.clean("Asia/Tokyo") == "Asia/Tokyo"
    with pytest.raises(forms.ValidationError):
        field.clean("Mars/Olympus_Mons")
    field.include("Mars/Olympus_Mons")
    assert field.clean("Mars/Olympus_Mons") == "Mars/Olympus_Mons"
    listed = TimezoneField()
    listed.include("America/Chicago")  # already listed: nothing added
    assert [label for label, _zones in listed.widget.choices] == [
        "United States",
        "Everywhere else",
    ]
