"""The coordinator's licensure report (VIEW_LICENSURE_REPORT).

1. Upcoming virtual sessions at risk: in the next ``AT_RISK_DAYS`` days, members whose
   usual state (the state they last attested, else where they live) is not covered by
   every facilitator of the session on its date — they would be stopped at the gate.
2. Licenses and compact privileges ending within ``licensure.EXPIRY_WARNING_DAYS``.

Licensure is decided by the same pure rule as everywhere (``practice.licensure.decide``)
over facts loaded once for all the facilitators involved, so the report takes a
constant number of queries however many sessions, members and clinicians there are.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.groups.models import Enrollment, GroupModality, TherapyGroup
from kindred.practice import licensure
from kindred.practice import roles as role_checks
from kindred.practice.models import (
    ClinicianProfile,
    CompactMemberState,
    CompactPrivilege,
    CredentialStatus,
    License,
)
from kindred.practice.roles import Capability
from kindred.practice.selectors import license_fact, periods_of, privilege_fact
from kindred.practice.states import state_name
from kindred.scheduling.attendance import had_seat, local_day_bounds, session_zone
from kindred.scheduling.gate import last_attested_state_subquery
from kindred.scheduling.models import GroupSession, SessionStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

AT_RISK_DAYS = 14


class LicensureFacts:
    """Licenses, privileges and compact memberships of some clinicians, loaded in three
    queries, answering ``decide(clinician_id, state, on)`` from memory."""

    def __init__(self, clinician_ids: Iterable[int]) -> None:
        ids = sorted(set(clinician_ids))
        self._licenses: dict[int, list[licensure.LicenseFact]] = defaultdict(list)
        self._privileges: dict[int, list[licensure.PrivilegeFact]] = defaultdict(list)
        self._periods: list[licensure.MembershipPeriod] = []
        self._memo: dict[tuple[int, str, date], licensure.LicensureDecision] = {}
        if not ids:
            return
        for lic in License.objects.filter(clinician_id__in=ids):
            self._licenses[lic.clinician_id].append(license_fact(lic))
        compact_ids: set[int] = set()
        for priv in CompactPrivilege.objects.filter(clinician_id__in=ids).select_related("compact"):
            self._privileges[priv.clinician_id].append(privilege_fact(priv, priv.compact.name))
            compact_ids.add(priv.compact_id)
        if compact_ids:
            self._periods = periods_of(
                CompactMemberState.objects.filter(compact_id__in=compact_ids)
            )

    def decide(self, clinician_id: int, state: str, on: date) -> licensure.LicensureDecision:
        key = (clinician_id, state, on)
        if key not in self._memo:
            self._memo[key] = licensure.decide(
                state=state,
                on=on,
                licenses=self._licenses.get(clinician_id, []),
                privileges=self._privileges.get(clinician_id, []),
                memberships=self._periods,
            )
        return self._memo[key]


# --- Sessions at risk --------------------------------------------------------------------


@dataclass(frozen=True)
class Uncovered:
    facilitator: str
    reason: str


@dataclass(frozen=True)
class AtRiskRow:
    session: GroupSession
    local_start: datetime
    client: Client
    state: str
    #: "attested" (the state they last attested) or "residence" (never attested).
    source: str
    uncovered: tuple[Uncovered, ...]

    @property
    def group(self) -> TherapyGroup:
        return self.session.group

    @property
    def state_label(self) -> str:
        return state_name(self.state)

    @property
    def source_label(self) -> str:
        return _("last attested") if self.source == "attested" else _("state of residence")


def _facilitator_ids(session: GroupSession) -> list[int]:
    """``access.session_facilitator_ids`` over prefetched co-facilitators (no query)."""
    lead = session.substitute_facilitator_id or session.group.lead_facilitator_id
    co = [c.pk for c in session.group.co_facilitators.all()]
    return [lead, *[c for c in co if c != lead]]


def sessions_at_risk(*, now: datetime, days: int = AT_RISK_DAYS) -> list[AtRiskRow]:
    sessions = list(
        GroupSession.objects.filter(
            status=SessionStatus.SCHEDULED,
            modality__in=[GroupModality.VIRTUAL, GroupModality.HYBRID],
            ends_at__gt=now,
            starts_at__lt=now + timedelta(days=days),
        )
        .select_related("group")
        .prefetch_related(
            Prefetch("group__co_facilitators", queryset=ClinicianProfile.objects.only("pk"))
        )
        .order_by("starts_at", "id")
    )
    if not sessions:
        return []
    group_ids = {s.group_id for s in sessions}
    enrollments: dict[int, list[Any]] = defaultdict(list)
    for e in (
        Enrollment.objects.filter(group_id__in=group_ids, activated_at__isnull=False)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=now - timedelta(days=1)))
        .select_related("client")
        .annotate(last_state=last_attested_state_subquery("client_id"))
        .order_by("client__legal_last_name", "client__legal_first_name", "client_id", "id")
    ):
        enrollments[e.group_id].append(e)
    facilitator_ids = {cid for s in sessions for cid in _facilitator_ids(s)}
    names = {
        c.pk: c.user.get_full_name()
        for c in ClinicianProfile.objects.filter(pk__in=facilitator_ids).select_related("user")
    }
    facts = LicensureFacts(facilitator_ids)
    rows: list[AtRiskRow] = []
    for s in sessions:
        zone = session_zone(s)
        local_start = timezone.localtime(s.starts_at, zone)
        on = local_start.date()
        start, end = local_day_bounds(on, zone)
        ids = _facilitator_ids(s)
        seen: set[int] = set()
        for e in enrollments[s.group_id]:
            if e.client_id in seen or not had_seat(e, start, end):
                continue
            seen.add(e.client_id)
            last = getattr(e, "last_state", None)
            state = last or e.client.state_of_residence
            uncovered = tuple(
                Uncovered(names.get(cid, "?"), decision.message)
                for cid in ids
                if not (decision := facts.decide(cid, state, on)).allowed
            )
            if uncovered:
                rows.append(
                    AtRiskRow(
                        session=s,
                        local_start=local_start,
                        client=e.client,
                        state=state,
                        source="attested" if last else "residence",
                        uncovered=uncovered,
                    )
                )
    return rows


# --- Credentials ending soon -------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringCredential:
    kind: str  # "license" or "privilege"
    clinician: ClinicianProfile
    what: str  # "LCPC license 180.000002" / "PSYPACT privilege"
    states: str  # "Illinois" / "Kansas, Missouri"
    ends_on: date
    days_left: int

    @property
    def kind_label(self) -> str:
        return _("License") if self.kind == "license" else _("Compact privilege")


def expiring_credentials(
    *, today: date, days: int = licensure.EXPIRY_WARNING_DAYS
) -> list[ExpiringCredential]:
    until = today + timedelta(days=days)
    rows = [
        ExpiringCredential(
            kind="license",
            clinician=lic.clinician,
            what=_("%(type)s license %(number)s")
            % {"type": lic.license_type, "number": lic.number},
            states=state_name(lic.state),
            ends_on=lic.expires_on,
            days_left=(lic.expires_on - today).days,
        )
        for lic in License.objects.filter(
            status=CredentialStatus.ACTIVE,
            expires_on__gte=today,
            expires_on__lte=until,
            clinician__user__is_active=True,
        ).select_related("clinician__user")
    ]
    for priv in CompactPrivilege.objects.filter(
        status=CredentialStatus.ACTIVE,
        valid_until__gte=today,
        valid_until__lte=until,
        clinician__user__is_active=True,
    ).select_related("clinician__user", "compact"):
        assert priv.valid_until is not None  # noqa: S101 - filtered above
        rows.append(
            ExpiringCredential(
                kind="privilege",
                clinician=priv.clinician,
                what=_("%(compact)s privilege %(identifier)s")
                % {"compact": priv.compact.name, "identifier": priv.identifier},
                states=", ".join(state_name(s) for s in sorted(priv.privilege_states or [])),
                ends_on=priv.valid_until,
                days_left=(priv.valid_until - today).days,
            )
        )
    rows.sort(key=lambda r: (r.ends_on, r.clinician.user.get_full_name(), r.kind))
    return rows


# --- The report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LicensureReport:
    generated_at: datetime
    at_risk: list[AtRiskRow]
    expiring: list[ExpiringCredential]
    at_risk_days: int = AT_RISK_DAYS
    expiry_days: int = licensure.EXPIRY_WARNING_DAYS


def licensure_report(
    *, actor: User, now: datetime | None = None, exported: str = ""
) -> LicensureReport:
    """Both lists. Audited as a read (it names members and where they usually are), or
    as an export when ``exported`` names the list being downloaded."""
    from kindred.practice.settings import practice_settings

    role_checks.require(actor, Capability.VIEW_LICENSURE_REPORT)
    now = now or timezone.now()
    today = timezone.localtime(now, ZoneInfo(practice_settings().timezone)).date()
    report = LicensureReport(
        generated_at=now,
        at_risk=sessions_at_risk(now=now),
        expiring=expiring_credentials(today=today),
    )
    detail: dict[str, object] = {"at_risk": len(report.at_risk), "expiring": len(report.expiring)}
    if exported:
        detail["list"] = exported
    audit_record(
        actor=actor,
        action=f"scheduling.licensure_report.{'exported' if exported else 'viewed'}",
        category=Category.ACCESS,
        detail=detail,
    )
    return report


# --- CSV ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Spreadsheet-safe: a value a spreadsheet would run as a formula gets a leading
    apostrophe (OWASP "CSV injection")."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv(header: list[str], rows: Iterable[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def at_risk_csv(report: LicensureReport) -> str:
    return _csv(
        [
            _("Session start"),
            _("Time zone"),
            _("Group"),
            _("Member"),
            _("Usual state"),
            _("Based on"),
            _("Facilitators not covered"),
        ],
        (
            [
                r.local_start.strftime("%Y-%m-%d %H:%M"),
                r.session.group.timezone,
                r.session.group.name,
                r.client.display_name,
                r.state_label,
                r.source_label,
                "; ".join(f"{u.facilitator}: {u.reason}" for u in r.uncovered),
            ]
            for r in report.at_risk
        ),
    )


def expiring_csv(report: LicensureReport) -> str:
    return _csv(
        [_("Clinician"), _("Credential"), _("Kind"), _("States"), _("Ends on"), _("Days left")],
        (
            [
                r.clinician.user.get_full_name(),
                r.what,
                r.kind_label,
                r.states,
                r.ends_on.isoformat(),
                r.days_left,
            ]
            for r in report.expiring
        ),
    )
