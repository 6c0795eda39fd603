"""The intake funnel against a hand-built data set: who counts at each stage, by month
and by concern, percentages, the CSV, access and the query count."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import QuerySet

from kindred.audit.models import AuditEvent, Category
from kindred.clients.models import Client, ConcernTag
from kindred.clients.services import concern_create
from kindred.core.errors import NotPermitted
from kindred.groups.services import group_create
from kindred.intake.funnel import add_months, funnel_csv, funnel_report, month_start
from kindred.intake.models import Referral, ReferralStatus, ScreeningDecision
from kindred.intake.referrals import referral_attach
from kindred.intake.screening import screening_create
from kindred.intake.tests.referral_support import staff_refer
from kindred.intake.tests.screening_support import FITS
from kindred.scheduling.models import Attendance, AttendanceStatus, GroupSession

CHI = ZoneInfo("America/Chicago")
PRESENT, NO_SHOW = AttendanceStatus.PRESENT_VIRTUAL, AttendanceStatus.NO_SHOW
CANCELLED = AttendanceStatus.CANCELLED_BY_PRACTICE


def moment(month: date, day: int, hour: int = 12) -> datetime:
    return datetime.combine(month.replace(day=day), time(hour), tzinfo=CHI)


class World:
    """Three months of referrals (two months ago = m2, last month = m1, this month = m0)."""

    def __init__(self, cast) -> None:
        today = datetime.now(CHI).date()
        self.m0 = month_start(today)
        self.m1 = add_months(self.m0, -1)
        self.m2 = add_months(self.m0, -2)
        self.cast = cast
        self.grief = concern_create(actor=None, name="Grief")
        self.anxiety = concern_create(actor=None, name="Anxiety")
        # A weekly group that started before everything here (a system import).
        self.group = group_create(
            actor=None,
            name="Weekly Circle",
            description="A weekly group.",
            lead_facilitator=cast.clinician,
            recurrence="FREQ=WEEKLY",
            start_date=add_months(self.m2, -2),
            start_time=time(19, 0),
            timezone="America/Chicago",
            format="open",
            modality="virtual",
            status="active",
        )

    def refer(self, name: str, when: datetime, *concerns: ConcernTag) -> Client:
        with time_machine.travel(when, tick=False):
            submission = staff_refer(
                self.cast.coordinator,
                first_name=name,
                last_name="Referred",
                email=f"{name.lower()}@example.test",
                phone="",
                concerns=list(concerns),
            )
        referral = submission.referral
        assert referral is not None
        if referral.client is None:  # the same person again: the coordinator confirms
            same = Client.objects.get(pk=referral.duplicate_candidates[0])
            with time_machine.travel(when, tick=False):
                referral_attach(actor=self.cast.coordinator, referral=referral, client=same)
        assert referral.client is not None
        return referral.client

    def screen(self, client: Client, when: datetime, decision: str) -> None:
        extra: dict[str, Any] = {}
        if decision != ScreeningDecision.ADMIT:
            extra["decision_reason"] = "Not now."
        if decision == ScreeningDecision.DEFER:
            extra["revisit_on"] = when.date() + timedelta(days=30)
        with time_machine.travel(when, tick=False):
            screening_create(
                actor=self.cast.facilitator,
                client=client,
                group=self.group,
                decision=decision,
                **FITS,
                **extra,
            )

    def sessions_after(self, when: datetime) -> QuerySet[GroupSession]:
        return GroupSession.objects.filter(group=self.group, starts_at__gt=when).order_by(
            "starts_at"
        )

    def attend(self, client: Client, after: datetime, statuses: list[str]) -> None:
        """Attendance rows as the sheet records them (how they were taken is the
        attendance tests' business)."""
        for session, status in zip(self.sessions_after(after), statuses, strict=False):
            Attendance.objects.create(session=session, client=client, status=status)


@pytest.fixture
def world(cast) -> World:
    w = World(cast)
    m2, m1, m0 = w.m2, w.m1, w.m0
    # Two months ago: Ada goes all the way; Ben is deferred; Cy is never screened.
    ada = w.refer("Ada", moment(m2, 3), w.grief)
    w.screen(ada, moment(m2, 5), ScreeningDecision.ADMIT)
    # Her fourth session is the fifth row: the practice cancelled one, which does not count.
    w.attend(ada, moment(m2, 5), [PRESENT, NO_SHOW, CANCELLED, PRESENT, PRESENT])
    ben = w.refer("Ben", moment(m2, 10), w.grief, w.anxiety)
    w.screen(ben, moment(m2, 12), ScreeningDecision.DEFER)
    w.refer("Cy", moment(m2, 20))
    # Last month: Dee is admitted, comes once, then stops (a no-show at session 4).
    dee = w.refer("Dee", moment(m1, 2), w.anxiety)
    w.screen(dee, moment(m1, 4), ScreeningDecision.ADMIT)
    w.attend(dee, moment(m1, 4), [PRESENT, PRESENT, NO_SHOW, NO_SHOW])
    # Gus was screened long before this referral: that screening does not count for it.
    gus_before = w.refer("Gus", moment(add_months(m2, -1), 5))
    w.screen(gus_before, moment(add_months(m2, -1), 6), ScreeningDecision.REFER_INDIVIDUAL)
    w.refer("Gus", moment(m1, 9))  # the same person again (a repeat after the window)
    spam = w.refer("Spammy", moment(m1, 15), w.anxiety)
    Referral.objects.filter(client=spam).update(status=ReferralStatus.SPAM)
    # This month: Fay has just been referred.
    w.refer("Fay", moment(m0, 1, hour=9), w.grief)
    return w


def counts(row) -> list[int]:
    return [count for _key, count, _pct in row.cells]


def test_funnel_by_month(cast, world):
    report = funnel_report(actor=cast.coordinator, start=world.m2, end=world.m0)
    rows = {row.month: row for row in report.by_month}
    assert list(rows) == [world.m2, world.m1, world.m0]
    # referred, screened, admitted, first session, still attending at session 4
    assert counts(rows[world.m2]) == [3, 2, 1, 1, 1]
    assert counts(rows[world.m1]) == [2, 1, 1, 1, 0]
    assert counts(rows[world.m0]) == [1, 0, 0, 0, 0]
    assert counts(report.total) == [6, 3, 2, 2, 1]
    assert [pct for _k, _c, pct in rows[world.m2].cells] == [100, 67, 33, 33, 33]
    assert [pct for _k, _c, pct in report.total.cells] == [100, 50, 33, 33, 17]


def test_funnel_by_concern(cast, world):
    report = funnel_report(actor=cast.coordinator, start=world.m2, end=world.m0)
    rows = {row.label: row for row in report.by_concern}
    assert counts(rows["Grief"]) == [3, 2, 1, 1, 1]  # Ada, Ben, Fay
    assert counts(rows["Anxiety"]) == [2, 2, 1, 1, 0]  # Ben, Dee (spam left out)
    assert counts(rows["No concern named"]) == [2, 0, 0, 0, 0]  # Cy, Gus
    assert report.by_concern[-1].label == "No concern named"


def test_months_without_referrals_show_zeros_and_the_range_is_kept(cast, world):
    start = add_months(world.m2, -3)
    report = funnel_report(actor=cast.coordinator, start=start, end=world.m2)
    assert report.by_month[0].month == start
    assert counts(report.by_month[0]) == [0, 0, 0, 0, 0]
    assert report.by_month[0].percent("screened") is None
    # Gus's first referral, three months ago, was screened (referred individually).
    assert counts(report.by_month[2]) == [1, 1, 0, 0, 0]


def test_the_report_takes_the_same_queries_however_many_referrals(
    cast, world, django_assert_max_num_queries
):
    # Two aggregate queries, the practice settings (cached) and the audit row.
    with django_assert_max_num_queries(4):
        funnel_report(actor=cast.coordinator, start=world.m2, end=world.m0)
    for n in range(5):
        world.refer(f"More{n}", moment(world.m1, 20 + n), world.grief)
    with django_assert_max_num_queries(4):
        report = funnel_report(actor=cast.coordinator, start=world.m2, end=world.m0)
    assert report.total.referrals == 11


def test_who_may_see_the_funnel(cast, world):
    for who in ("admin", "coordinator"):
        funnel_report(actor=getattr(cast, who))
    for who in ("facilitator", "supervisor", "billing", "member"):
        with pytest.raises(NotPermitted):
            funnel_report(actor=getattr(cast, who))
    events = AuditEvent.objects.filter(action="intake.funnel_report.viewed")
    assert events.count() == 2
    assert all(e.category == Category.ACCESS for e in events)


def test_the_csv_has_every_row_and_is_spreadsheet_safe(cast, world):
    ConcernTag.objects.filter(pk=world.anxiety.pk).update(name="=Anxiety")
    report = funnel_report(actor=cast.coordinator, start=world.m2, end=world.m0, exported=True)
    rows = list(csv.reader(io.StringIO(funnel_csv(report))))
    assert rows[0][:4] == ["Breakdown", "Row", "Referred", "Referred (% of referred)"]
    assert len(rows) == 1 + 3 + 3 + 1
    assert ["Total", "All referrals", "6", "100", "3", "50", "2", "33", "2", "33", "1", "17"] in (
        rows
    )
    assert any(row[1] == "'=Anxiety" for row in rows)
    assert AuditEvent.objects.filter(action="intake.funnel_report.exported").count() == 1
