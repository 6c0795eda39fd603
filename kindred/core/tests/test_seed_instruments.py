"""The built-in instrument library in seed_demo and seed_scale (as sync_instruments
writes it, idempotent)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from kindred.core.seeding.instruments import seed_instruments
from kindred.measures.models import Instrument

BUILTINS = {"phq9", "gad7", "who5", "pcl5", "auditc", "pulse"}


def _run(command: str, **options: object) -> str:
    out = StringIO()
    call_command(command, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_seed_instruments_is_idempotent(db):
    assert seed_instruments() == 6
    assert seed_instruments() == 0
    assert set(Instrument.objects.values_list("code", flat=True)) == BUILTINS


def test_the_demo_has_the_instrument_library(db, settings):
    settings.DEBUG = True
    _run("seed_demo")
    assert set(Instrument.objects.filter(builtin=True).values_list("code", flat=True)) == BUILTINS


def test_scale_has_the_instrument_library(db):
    _run("seed_scale", clients=120)
    assert set(Instrument.objects.filter(builtin=True).values_list("code", flat=True)) == BUILTINS
