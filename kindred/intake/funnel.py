"""The intake funnel report (``VIEW_INTAKE_REPORTS``): of the people referred, how many
were screened, admitted, came to a first session and were still coming at their fourth.

Each referral (spam aside) counts once, in the month it arrived (in the practice's time
zone) and under each concern it named ("No concern named" when it named none). A stage
counts what happened to the referred person *after* the referral arrived:

- **screened**: a screening of them was decided;
- **admitted**: a screening admitted them;
- **attended a first session**: they attended (present, late or left early) a session;
- **still attending at session 4**: of the sessions they held a place in (those the
  practice cancelled aside), they attended the fourth.

Percentages are of the referrals in the same row. Everything is counted by the database:
two queries (by month, by concern), whatever the number of referrals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.intake.models import Referral, ReferralStatus, Screening, ScreeningDecision
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.scheduling.models import ATTENDED_STATUSES, Attendance, AttendanceStatus

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from kindred.accounts.models import User

#: The stages, in order: (key, label).
STAGES: tuple[tuple[str, _StrPromise], ...] = (
    ("referrals", gettext_lazy("Referred")),
    ("screened", gettext_lazy("Screened")),
    ("admitted", gettext_lazy("Admitted")),
    ("first_session", gettext_lazy("Attended a first session")),
    ("session_4", gettext_lazy("Still attending at session 4")),
)
STAGE_KEYS = tuple(key for key, _label in STAGES)
DEFAULT_MONTHS = 12
MAX_MONTHS = 60


@dataclass(frozen=True)
class FunnelRow:
    label: str
    counts: dict[str, int]
    month: date | None = None
    concern_id: int | None = None

    @property
    def referrals(self) -> int:
        return self.counts["referrals"]

    def percent(self, key: str) -> int | None:
        """Whole percent of this row's referrals (None when there were none)."""
        if not self.referrals:
            return None
        return round(100 * self.counts[key] / self.referrals)

    @property
    def cells(self) -> list[tuple[str, int, int | None]]:
        """(stage, count, percent) for each stage, in order."""
        return [(key, self.counts[key], self.percent(key)) for key in STAGE_KEYS]


@dataclass(frozen=True)
class FunnelReport:
    start: date  # first day of the first month
    end: date  # first day of the last month
    by_month: list[FunnelRow]
    by_concern: list[FunnelRow]
    total: FunnelRow

    @property
    def stages(self) -> tuple[tuple[str, _StrPromise], ...]:
        return STAGES


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_range(today: date) -> tuple[date, date]:
    end = month_start(today)
    return add_months(end, -(DEFAULT_MONTHS - 1)), end


def _stages(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate each referral with whether its person reached each stage."""
    client, since = OuterRef("client_id"), OuterRef("created_at")
    decided = Screening.objects.filter(client=client, decided_at__gte=since).exclude(decision="")
    held = (
        Attendance.objects.filter(client=client, session__starts_at__gte=since)
        .exclude(status=AttendanceStatus.CANCELLED_BY_PRACTICE)
        .order_by("session__starts_at", "session_id")
    )
    return qs.annotate(
        f_screened=Exists(decided),
        f_admitted=Exists(decided.filter(decision=ScreeningDecision.ADMIT)),
        f_first=Exists(held.filter(status__in=ATTENDED_STATUSES)),
        f_fourth=Subquery(held.values("status")[3:4]),
    )


def _counts() -> dict[str, Count]:
    attended = [str(s) for s in ATTENDED_STATUSES]
    return {
        "referrals": Count("pk"),
        "screened": Count("pk", filter=Q(f_screened=True)),
        "admitted": Count("pk", filter=Q(f_admitted=True)),
        "first_session": Count("pk", filter=Q(f_first=True)),
        "session_4": Count("pk", filter=Q(f_fourth__in=attended)),
    }


def _row(values: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(values.get(key) or 0) for key in STAGE_KEYS}


def funnel_report(
    *,
    actor: User,
    start: date | None = None,
    end: date | None = None,
    exported: bool = False,
) -> FunnelReport:
    """The funnel for referrals that arrived from the month of ``start`` to the month of
    ``end`` (the last twelve months by default). Audited as a read, or as an export."""
    from kindred.practice.settings import practice_settings

    role_checks.require(actor, Capability.VIEW_INTAKE_REPORTS)
    zone = ZoneInfo(practice_settings().timezone)
    first_default, last_default = default_range(timezone.localdate(timezone.now(), zone))
    first = month_start(start or first_default)
    last = month_start(end or last_default)
    if last < first:
        first, last = last, first
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        first = add_months(last, -(MAX_MONTHS - 1))
    since = datetime.combine(first, time.min, tzinfo=zone)
    until = datetime.combine(add_months(last, 1), time.min, tzinfo=zone)
    referrals = _stages(
        Referral.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
            status=ReferralStatus.SPAM
        )
    )
    months = {
        row["month"].date() if isinstance(row["month"], datetime) else row["month"]: _row(row)
        for row in referrals.annotate(month=TruncMonth("created_at", tzinfo=zone))
        .order_by()
        .values("month")
        .annotate(**_counts())
    }
    by_month = []
    cursor = first
    while cursor <= last:
        by_month.append(
            FunnelRow(
                label=date_format(cursor, "YEAR_MONTH_FORMAT"),
                counts=months.get(cursor, dict.fromkeys(STAGE_KEYS, 0)),
                month=cursor,
            )
        )
        cursor = add_months(cursor, 1)
    by_concern = [
        FunnelRow(
            label=row["concern_name"] or _("No concern named"),
            counts=_row(row),
            concern_id=row["concern_id"],
        )
        for row in referrals.annotate(
            concern_id=F("concerns__id"), concern_name=F("concerns__name")
        )
        .order_by()
        .values("concern_id", "concern_name")
        .annotate(**_counts())
    ]
    by_concern.sort(key=lambda r: (r.concern_id is None, -r.referrals, r.label.casefold()))
    totals = {key: sum(r.counts[key] for r in by_month) for key in STAGE_KEYS}
    report = FunnelReport(
        start=first,
        end=last,
        by_month=by_month,
        by_concern=by_concern,
        total=FunnelRow(label=_("All referrals"), counts=totals),
    )
    audit_record(
        actor=actor,
        action=f"intake.funnel_report.{'exported' if exported else 'viewed'}",
        category=Category.ACCESS,
        detail={"from": first.isoformat(), "to": last.isoformat()},
    )
    return report


# --- CSV ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Spreadsheet-safe: a concern's name that a spreadsheet would run as a formula gets
    a leading apostrophe (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def funnel_csv(report: FunnelReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    header = [_("Breakdown"), _("Row")]
    for _key, label in STAGES:
        header += [str(label), _("%(stage)s (%% of referred)") % {"stage": label}]
    writer.writerow(header)
    sections = (
        (_("Month"), report.by_month),
        (_("Concern"), report.by_concern),
        (_("Total"), [report.total]),
    )
    for section, rows in sections:
        for row in rows:
            line: list[object] = [section, row.label]
            for _key, count, percent in row.cells:
                line += [count, "" if percent is None else percent]
            writer.writerow([_cell(v) for v in line])
    return out.getvalue()
