"""The affordability report: what group therapy cost per member-session and per
reliably improved member, by group and overall, beside what the same sessions would
have cost at the practice's individual-session fee.

- *Member-sessions*: group-session charges (attended sessions) in the period, draft or
  posted; their fees are the net of any posted corrections.
- *Reliably improved*: a member whose trajectory (kindred/measures/outcomes.py) on at
  least one instrument whose change can be classified is improved, recovered or reliably
  recovered (``IMPROVED_OUTCOMES``) and on none reliably deteriorated. A member counts
  for every group they had sessions in during the period.
- *Individual comparison*: the practice's individual fee × the member-sessions.

Constant queries: the charges, the groups, then the measures for every member at once.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils.translation import gettext as _

from kindred.billing.models import Charge, ChargeKind
from kindred.billing.services import billing_settings

if TYPE_CHECKING:
    from kindred.accounts.models import User


@dataclass(frozen=True)
class ReportRow:
    label: str
    group_id: int | None
    member_sessions: int
    members: int
    improved_members: int
    fees_cents: int
    individual_fee_cents: int | None

    @property
    def per_session_cents(self) -> int | None:
        return round(self.fees_cents / self.member_sessions) if self.member_sessions else None

    @property
    def per_improved_cents(self) -> int | None:
        return round(self.fees_cents / self.improved_members) if self.improved_members else None

    @property
    def individual_total_cents(self) -> int | None:
        if self.individual_fee_cents is None:
            return None
        return self.individual_fee_cents * self.member_sessions

    @property
    def individual_per_improved_cents(self) -> int | None:
        total = self.individual_total_cents
        if total is None or not self.improved_members:
            return None
        return round(total / self.improved_members)

    @property
    def saving_percent(self) -> int | None:
        total = self.individual_total_cents
        if not total:
            return None
        return round(100 * (total - self.fees_cents) / total)


@dataclass(frozen=True)
class AffordabilityReport:
    start: date
    end: date
    rows: list[ReportRow]
    overall: ReportRow
    individual_fee_cents: int | None


def improved_clients(client_ids: set[int]) -> set[int]:
    """Members reliably improved on at least one classifiable instrument and reliably
    deteriorated on none (three queries for all of them)."""
    from kindred.measures.models import Instrument
    from kindred.measures.outcome_settings import outcome_settings
    from kindred.measures.outcomes import (
        IMPROVED_OUTCOMES,
        attended_sessions,
        build_trajectory,
        completed_rows,
    )
    from kindred.measures.rc import Outcome

    if not client_ids:
        return set()
    rules = outcome_settings()
    rows = completed_rows(client_ids)
    instruments = {i.pk: i for i in Instrument.objects.filter(pk__in={i for _c, i in rows})}
    attended = attended_sessions(client_ids)
    improved: dict[int, bool] = {}
    worse: set[int] = set()
    for (client_id, instrument_id), points in rows.items():
        instrument = instruments.get(instrument_id)
        if instrument is None or len(points) < 2:
            continue
        trajectory = build_trajectory(
            instrument, points, attended=attended.get(client_id, []), rules=rules
        )
        if not trajectory.can_classify:
            continue
        if trajectory.outcome == Outcome.DETERIORATED:
            worse.add(client_id)
        elif trajectory.outcome in IMPROVED_OUTCOMES:
            improved[client_id] = True
    return {c for c in improved if c not in worse}


def affordability_report(*, actor: User, start: date, end: date) -> AffordabilityReport:
    from kindred.billing.access import require_billing
    from kindred.groups.models import TherapyGroup

    require_billing(actor)
    rules = billing_settings()
    individual = rules.individual_fee_cents
    sessions = Charge.objects.filter(
        kind=ChargeKind.SESSION, service_date__gte=start, service_date__lte=end
    )
    corrections = dict(
        Charge.objects.filter(corrects__in=sessions, status="posted")
        .values("corrects_id")
        .annotate(s=Sum("amount_cents"))
        .values_list("corrects_id", "s")
    )
    by_group: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, group_id, client_id, amount in sessions.values_list(
        "pk", "session__group_id", "client_id", "amount_cents"
    ):
        by_group[group_id].append((client_id, amount + int(corrections.get(pk) or 0)))
    names = dict(TherapyGroup.objects.filter(pk__in=list(by_group)).values_list("pk", "name"))
    everyone = {c for lines in by_group.values() for c, _a in lines}
    improved = improved_clients(everyone)
    rows = [
        _row(names.get(gid, str(gid)), gid, lines, improved, individual)
        for gid, lines in sorted(by_group.items(), key=lambda kv: names.get(kv[0], ""))
    ]
    overall = _row(
        _("All groups"),
        None,
        [line for lines in by_group.values() for line in lines],
        improved,
        individual,
    )
    return AffordabilityReport(
        start=start, end=end, rows=rows, overall=overall, individual_fee_cents=individual
    )


def _row(
    label: str,
    group_id: int | None,
    lines: list[tuple[int, int]],
    improved: set[int],
    individual: int | None,
) -> ReportRow:
    members = {c for c, _a in lines}
    return ReportRow(
        label=label,
        group_id=group_id,
        member_sessions=len(lines),
        members=len(members),
        improved_members=len(members & improved),
        fees_cents=sum(a for _c, a in lines),
        individual_fee_cents=individual,
    )


# --- CSV ---------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Spreadsheet-safe (OWASP "CSV injection"): text a spreadsheet would run as a
    formula gets a leading apostrophe. Numbers are written as numbers."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _dollars(cents: int | None) -> str:
    return "" if cents is None else f"{cents / 100:.2f}"


def report_csv(report: AffordabilityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Group"),
            _("Member-sessions"),
            _("Members"),
            _("Reliably improved members"),
            _("Group fees (USD)"),
            _("Per member-session (USD)"),
            _("Per reliably improved member (USD)"),
            _("Same sessions at the individual fee (USD)"),
            _("Individual, per reliably improved member (USD)"),
            _("Saving (%)"),
        ]
    )
    for row in [*report.rows, report.overall]:
        writer.writerow(
            [
                _cell(row.label),
                _cell(row.member_sessions),
                _cell(row.members),
                _cell(row.improved_members),
                _dollars(row.fees_cents),
                _dollars(row.per_session_cents),
                _dollars(row.per_improved_cents),
                _dollars(row.individual_total_cents),
                _dollars(row.individual_per_improved_cents),
                _cell(row.saving_percent),
            ]
        )
    return out.getvalue()
