"""The licensure report: members whose usual state is not covered, credentials ending
within 60 days, spreadsheet-safe CSV, permission and audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kindred.audit.models import AuditEvent
from kindred.core.errors import NotPermitted
from kindred.practice.models import License
from kindred.practice.services import (
    compact_create,
    compact_member_state_add,
    privilege_create,
)
from kindred.practice.settings import practice_today
from kindred.scheduling import gate, reports
from kindred.scheduling.tests.g2_support import at, set_expiry, upcoming


def test_a_member_whose_last_attested_state_is_uncovered_is_at_risk(cast):
    session = upcoming(cast.group_a)
    with at(session.starts_at - timedelta(minutes=5)):
        gate.attest_state(actor=cast.member, session=session, state="FL")
    report = reports.licensure_report(actor=cast.coordinator)
    rows = [(r.client.pk, r.state, r.source) for r in report.at_risk]
    # Every upcoming Steady Ground session in the next 14 days, for Avery only.
    assert rows
    assert set(rows) == {(cast.client.pk, "FL", "attested")}
    assert all(r.uncovered[0].facilitator == "Fern Facilitator" for r in report.at_risk)
    assert "No license or compact privilege for Florida." in report.at_risk[0].uncovered[0].reason


def test_the_state_of_residence_counts_until_a_member_attests(cast):
    kansas = License.objects.get(clinician=cast.clinician, state="KS")
    set_expiry(kansas, practice_today() + timedelta(days=1))
    rows = reports.licensure_report(actor=cast.coordinator).at_risk
    assert {(r.client.pk, r.state, r.source) for r in rows} == {
        (cast.client_b.pk, "KS", "residence")
    }


def test_a_compact_privilege_covers_a_state(cast):
    compact = compact_create(actor=None, code="psypact", name="PSYPACT")
    for state in ("IL", "KS", "MO"):
        compact_member_state_add(
            actor=None, compact=compact, state=state, effective_from=date(2020, 1, 1)
        )
    session = upcoming(cast.group_a)
    with at(session.starts_at - timedelta(minutes=5)):
        assert not gate.attest_state(actor=cast.member, session=session, state="MO").allowed
    privilege_create(
        actor=None,
        clinician=cast.clinician,
        compact=compact,
        home_state="IL",
        privilege_states=["MO"],
        valid_from=practice_today() - timedelta(days=30),
        valid_until=practice_today() + timedelta(days=20),
    )
    report = reports.licensure_report(actor=cast.coordinator)
    later = [r for r in report.at_risk if r.client.pk == cast.client.pk]
    # Covered until the privilege ends in 20 days: only sessions after that are at risk.
    assert not [r for r in later if r.local_start.date() <= practice_today() + timedelta(days=19)]
    assert [e.kind for e in report.expiring] == ["privilege"]
    assert report.expiring[0].days_left == 20
    assert report.expiring[0].states == "Missouri"
    with at(session.starts_at - timedelta(minutes=5)):
        assert gate.attest_state(actor=cast.member, session=session, state="MO").allowed


def test_credentials_ending_within_60_days_and_not_later_or_earlier(cast):
    illinois = License.objects.get(clinician=cast.clinician, state="IL")
    florida = License.objects.get(clinician=cast.clinician_b)
    set_expiry(illinois, practice_today() + timedelta(days=60))
    set_expiry(florida, practice_today() + timedelta(days=61))
    expiring = reports.licensure_report(actor=cast.coordinator).expiring
    assert [(e.clinician.pk, e.days_left) for e in expiring] == [(cast.clinician.pk, 60)]
    assert expiring[0].what == "LCPC license 180.000002"


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing", "member"])
def test_only_coordinators_and_admins_see_the_report(cast, who):
    with pytest.raises(NotPermitted):
        reports.licensure_report(actor=getattr(cast, who))
    assert not AuditEvent.objects.filter(action__startswith="scheduling.licensure_report").exists()


def test_the_report_is_audited_and_exports_say_which_list(cast):
    reports.licensure_report(actor=cast.admin)
    reports.licensure_report(actor=cast.admin, exported="at-risk")
    viewed = AuditEvent.objects.get(action="scheduling.licensure_report.viewed")
    exported = AuditEvent.objects.get(action="scheduling.licensure_report.exported")
    assert viewed.actor == cast.admin
    assert exported.detail == {"at_risk": 0, "expiring": 0, "list": "at-risk"}


def test_csv_cells_that_a_spreadsheet_would_run_are_defused():
    assert reports._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert reports._cell("+1 555 0100") == "'+1 555 0100"
    assert reports._cell("@sum") == "'@sum"
    assert reports._cell("Avery") == "Avery"
    assert reports._cell(12) == "12"


def test_the_report_takes_the_same_queries_for_more_sessions(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kindred.web.tests.test_session_pages import add_members

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            report = reports.licensure_report(actor=cast.coordinator)
        return len(ctx.captured_queries), len(report.at_risk)

    reports.licensure_report(actor=cast.coordinator)  # warm the practice settings cache
    few, none_at_risk = queries()
    assert none_at_risk == 0
    add_members(cast.group_a, 5, name="Report")
    for lic in License.objects.filter(clinician=cast.clinician):
        set_expiry(lic, practice_today() + timedelta(days=2))
    many, at_risk = queries()
    assert at_risk >= 7
    assert many == few
    assert many <= 12
