"""Test helpers for safety alerts and outcomes: instruments and completed
administrations written straight to the tables (as the answering flow leaves them), so
these tests do not depend on the answering pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Instrument,
    Response,
    Timing,
)

# Published reliable-change parameters used in the tests (hand-computed cases below use
# these exact numbers).
PHQ9_BANDS: list[dict[str, Any]] = [
    {"min": 0, "max": 4, "code": "minimal", "label": "Minimal"},
    {"min": 5, "max": 9, "code": "mild", "label": "Mild"},
    {"min": 10, "max": 14, "code": "moderate", "label": "Moderate"},
    {"min": 15, "max": 19, "code": "moderately_severe", "label": "Moderately severe"},
    {"min": 20, "max": 27, "code": "severe", "label": "Severe"},
]
GAD7_BANDS: list[dict[str, Any]] = [
    {"min": 0, "max": 4, "code": "minimal", "label": "Minimal"},
    {"min": 5, "max": 9, "code": "mild", "label": "Mild"},
    {"min": 10, "max": 14, "code": "moderate", "label": "Moderate"},
    {"min": 15, "max": 21, "code": "severe", "label": "Severe"},
]


def _items(prefix: str, count: int, top: int) -> list[dict[str, Any]]:
    return [
        {
            "key": f"{prefix}{i}",
            "text": f"Item {i}",
            "options": [{"value": v, "label": str(v)} for v in range(top + 1)],
        }
        for i in range(1, count + 1)
    ]


def instrument(code: str) -> Instrument:
    """A built-in instrument row (the real one when the library has synced it)."""
    existing = Instrument.objects.filter(code=code).first()
    if existing is not None:
        return existing
    specs: dict[str, dict[str, Any]] = {
        "phq9": {
            "name": "Patient Health Questionnaire-9",
            "short_name": "PHQ-9",
            "definition": {
                "code": "phq9",
                "items": _items("item", 9, 3),
                "bands": PHQ9_BANDS,
                "flags": [{"code": "phq9.item9", "item": "item9", "operator": ">", "value": 0}],
            },
            "rc_sd": 5.7,
            "rc_reliability": 0.84,
        },
        "gad7": {
            "name": "Generalized Anxiety Disorder-7",
            "short_name": "GAD-7",
            "definition": {"code": "gad7", "items": _items("item", 7, 3), "bands": GAD7_BANDS},
            "rc_sd": 4.8,
            "rc_reliability": 0.89,
        },
        "pulse": {
            "name": "Group pulse",
            "short_name": "Pulse",
            "definition": {
                "code": "pulse",
                "items": [
                    {"key": k, "text": k, "options": [{"value": v} for v in range(5)]}
                    for k in ("belonging", "safety", "usefulness", "engagement", "conflict")
                ],
            },
            "rc_sd": None,
            "rc_reliability": None,
        },
    }
    spec = specs[code]
    return Instrument.objects.create(
        code=code,
        name=spec["name"],
        short_name=spec["short_name"],
        version="1",
        definition=spec["definition"],
        definition_sha256="0" * 64,
        builtin=True,
        validated=code != "pulse",
        rc_sd=spec["rc_sd"],
        rc_reliability=spec["rc_reliability"],
        rc_source="test values",
    )


def band_for(code: str, total: int) -> str:
    bands = {"phq9": PHQ9_BANDS, "gad7": GAD7_BANDS}.get(code, [])
    for band in bands:
        if band["min"] <= total <= band["max"]:
            return str(band["code"])
    return ""


def completed(
    client: Any,
    code: str,
    answers: Mapping[str, int] | None = None,
    *,
    total: int | None = None,
    flags: Sequence[str | dict[str, Any]] = (),
    group: Any = None,
    session: Any = None,
    when: datetime | None = None,
    complete: bool = True,
) -> Administration:
    """A completed administration with its answers and cached results."""
    inst = instrument(code)
    when = when or timezone.now()
    if answers is None and total is not None:
        answers = {}
        left = total
        for item in inst.definition["items"]:
            top = max(o["value"] for o in item["options"])
            answers[item["key"]] = min(top, left)
            left -= answers[item["key"]]
    answers = dict(answers or {})
    if total is None and complete and code != "pulse":
        total = sum(answers.values())
    admin = Administration.objects.create(
        client=client,
        instrument=inst,
        instrument_version=inst.version,
        group=group,
        session=session,
        reason=Timing.ADHOC,
        status=AdministrationStatus.COMPLETED,
        available_from=when - timedelta(hours=1),
        completed_at=when,
        is_complete=complete,
        total=total if complete else None,
        band=band_for(code, total) if complete and total is not None else "",
        flags=list(flags),
    )
    Response.objects.bulk_create(
        Response(administration=admin, item=k, value=v, answered_at=when)
        for k, v in answers.items()
    )
    return admin
