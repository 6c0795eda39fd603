"""sync_instruments writes the built-ins once, keeps the practice's settings, and refuses
a changed definition that kept its version."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kindred.audit.models import AuditEvent
from kindred.measures import library
from kindred.measures.definitions import definition_sha256
from kindred.measures.instruments import BUILTIN_DOCUMENTS
from kindred.measures.models import Instrument, InstrumentVersion
from kindred.measures.testing import answers_for


def _run() -> str:
    out = StringIO()
    call_command("sync_instruments", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_sync_creates_the_builtins_once():
    first = _run()
    assert "6 created" in first
    rows = {i.code: i for i in Instrument.objects.all()}
    assert set(rows) == {"phq9", "gad7", "who5", "pcl5", "auditc", "pulse"}
    phq9 = rows["phq9"]
    assert phq9.builtin is True
    assert phq9.version == "1"
    assert phq9.short_name == "PHQ-9"
    assert phq9.definition_sha256 == definition_sha256(BUILTIN_DOCUMENTS["phq9"])
    assert phq9.rc_reliability == 0.89
    assert "Kroenke" in phq9.rc_source
    assert rows["pulse"].validated is False
    assert InstrumentVersion.objects.count() == 6
    events = AuditEvent.objects.filter(action="measures.instrument.created").count()

    second = _run()
    assert "0 created" in second
    assert "6 unchanged" in second
    assert Instrument.objects.count() == 6
    assert InstrumentVersion.objects.count() == 6
    assert AuditEvent.objects.filter(action="measures.instrument.created").count() == events


@pytest.mark.django_db
def test_sync_keeps_the_practices_settings(monkeypatch):
    _run()
    Instrument.objects.filter(code="phq9").update(
        rc_sd=6.1, rc_reliability=0.84, rc_source="Our intake sample, 2025", cutoffs={}
    )
    changed = {**BUILTIN_DOCUMENTS["phq9"], "version": "2", "name": "PHQ-9 (revised text)"}
    monkeypatch.setitem(BUILTIN_DOCUMENTS, "phq9", changed)
    assert "1 updated: phq9" in _run()
    phq9 = Instrument.objects.get(code="phq9")
    assert phq9.version == "2"
    assert phq9.name == "PHQ-9 (revised text)"
    assert (phq9.rc_sd, phq9.rc_reliability, phq9.rc_source) == (
        6.1,
        0.84,
        "Our intake sample, 2025",
    )
    # both versions kept
    assert set(phq9.versions.values_list("version", flat=True)) == {"1", "2"}
    old = library.definition_for_version(phq9, "1")
    assert old.name == "Patient Health Questionnaire (PHQ-9)"


@pytest.mark.django_db
def test_sync_refuses_changed_content_under_the_same_version(monkeypatch):
    _run()
    changed = {**BUILTIN_DOCUMENTS["gad7"], "name": "Changed without a new version"}
    monkeypatch.setitem(BUILTIN_DOCUMENTS, "gad7", changed)
    with pytest.raises(CommandError, match="new version"):
        _run()
    assert Instrument.objects.get(code="gad7").name == "Generalized Anxiety Disorder scale (GAD-7)"


def test_fixture_gives_rows(builtin_instruments):
    assert builtin_instruments.phq9.code == "phq9"
    assert builtin_instruments["pulse"].short_name == "Pulse"
    result = library.score_answers(builtin_instruments.phq9, answers_for("phq9", 1, item9=0))
    assert result.total == 8
    assert result.band == "mild"


def test_answers_for_clamps_to_each_item(builtin_instruments):
    assert answers_for("who5", 9) == {f"item{n}": 5 for n in range(1, 6)}
    assert answers_for(builtin_instruments.phq9, 0, item9=2)["item9"] == 2
    assert "difficulty" not in answers_for("phq9", 1)
