"""The facts a member note is written beside: attendance, joining and leaving times,
the member's latest scores and pulse, open safety alerts.

Loaded for every member of a session at once, in a constant number of queries; stored
as a plain snapshot (``MemberNote.facts``) when a note is saved and kept with it once
signed, so the note shows what its author saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from kindred.measures.library import definition_of
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    AlertStatus,
    Instrument,
    SafetyAlert,
)
from kindred.scheduling.attendance import local_day_bounds, session_local_date, session_zone

if TYPE_CHECKING:
    from kindred.scheduling.models import Attendance, GroupSession

PULSE_CODE = "pulse"
#: Scores older than this before the session are not "latest" any more.
SCORES_LOOKBACK = timedelta(days=365)


def _band_labels(instruments: dict[int, Instrument]) -> dict[tuple[int, str], str]:
    labels: dict[tuple[int, str], str] = {}
    for inst in instruments.values():
        for band in definition_of(inst).bands:
            labels[(inst.pk, band.code)] = band.label
    return labels


def session_facts(
    session: GroupSession, attendance: dict[int, Attendance], client_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Facts per client id (three queries, whatever the number of members)."""
    if not client_ids:
        return {}
    zone = session_zone(session)
    _start, day_end = local_day_bounds(session_local_date(session), zone)
    ids = list(client_ids)
    latest: dict[int, dict[int, tuple[Any, ...]]] = {}
    pulse: dict[int, tuple[Any, ...]] = {}
    instruments: dict[int, Instrument] = {}
    rows = (
        Administration.objects.filter(
            client_id__in=ids,
            status=AdministrationStatus.COMPLETED,
            is_complete=True,
            total__isnull=False,
            completed_at__lt=day_end,
            completed_at__gte=day_end - SCORES_LOOKBACK,
        )
        .select_related("instrument")
        .order_by("client_id", "instrument_id", "-completed_at", "-pk")
    )
    for adm in rows:
        instruments[adm.instrument_id] = adm.instrument
        if adm.instrument.code == PULSE_CODE:
            if adm.session_id == session.pk:
                pulse[adm.client_id] = (adm.total, adm.subscales, adm.completed_at, adm.flags)
            continue
        per_client = latest.setdefault(adm.client_id, {})
        if adm.instrument_id not in per_client:
            per_client[adm.instrument_id] = (adm.total, adm.band, adm.completed_at)
    labels = _band_labels(instruments)
    alerts: dict[int, list[dict[str, str]]] = {}
    for alert in SafetyAlert.objects.filter(client_id__in=ids, status=AlertStatus.OPEN).order_by(
        "created_at", "pk"
    ):
        alerts.setdefault(alert.client_id, []).append(
            {
                "source": str(alert.get_source_display()),
                "flag": alert.flag_code,
                "date": timezone.localtime(alert.created_at, zone).date().isoformat(),
            }
        )
    facts: dict[int, dict[str, Any]] = {}
    for cid in ids:
        att = attendance.get(cid)
        scores = [
            {
                "instrument": instruments[inst_id].short_name,
                "total": total,
                "band": labels.get((inst_id, band), band),
                "date": timezone.localtime(when, zone).date().isoformat(),
            }
            for inst_id, (total, band, when) in sorted(
                latest.get(cid, {}).items(), key=lambda kv: instruments[kv[0]].short_name
            )
        ]
        p = pulse.get(cid)
        facts[cid] = {
            "attendance": {
                "status": att.status if att else "",
                "label": str(att.get_status_display()) if att else "",
                "joined": timezone.localtime(att.joined_at, zone).strftime("%H:%M")
                if att and att.joined_at
                else "",
                "left": timezone.localtime(att.left_at, zone).strftime("%H:%M")
                if att and att.left_at
                else "",
            },
            "scores": scores,
            "pulse": {"total": p[0], "of": 20, "flags": list(p[3] or [])} if p else None,
            "alerts": alerts.get(cid, []),
        }
    return facts
