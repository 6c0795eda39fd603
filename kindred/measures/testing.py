"""Test helpers for measures: the built-in instruments in the database, and answer sets.

Use the ``builtin_instruments`` fixture (kindred/conftest.py) in any test that needs
Instrument rows; it returns a ``BuiltinInstruments`` with one attribute per code::

    def test_something(cast, builtin_instruments):
        phq9 = builtin_instruments.phq9          # an Instrument row
        answers = answers_for(phq9, 2)           # every scored item answered 2
"""

from __future__ import annotations

from dataclasses import dataclass

from kindred.measures.instruments import builtin
from kindred.measures.library import sync_builtin_instruments
from kindred.measures.models import Instrument


@dataclass(frozen=True)
class BuiltinInstruments:
    phq9: Instrument
    gad7: Instrument
    who5: Instrument
    pcl5: Instrument
    auditc: Instrument
    pulse: Instrument

    def __getitem__(self, code: str) -> Instrument:
        instrument: Instrument = getattr(self, code)
        return instrument


def install_builtin_instruments() -> BuiltinInstruments:
    """Sync the built-ins (idempotent) and return their rows."""
    sync_builtin_instruments()
    rows = {i.code: i for i in Instrument.objects.filter(builtin=True)}
    return BuiltinInstruments(
        phq9=rows["phq9"],
        gad7=rows["gad7"],
        who5=rows["who5"],
        pcl5=rows["pcl5"],
        auditc=rows["auditc"],
        pulse=rows["pulse"],
    )


def answers_for(instrument: Instrument | str, value: int, **overrides: int) -> dict[str, int]:
    """Every scored item of a built-in answered ``value`` (clamped to the item's range),
    then ``overrides`` by item key, e.g. ``answers_for("phq9", 0, item9=1)``."""
    code = instrument if isinstance(instrument, str) else instrument.code
    definition = builtin(code)
    answers = {i.key: min(max(value, i.min_value), i.max_value) for i in definition.scored_items}
    answers.update(overrides)
    return answers
