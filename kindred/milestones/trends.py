"""Anonymous group trends for the facilitator: counts only, never names or anyone's
scores, so they may be shown to the group in session.

For each validated instrument: of the group's members (active or graduated) who have
answered at least twice, how many have a latest total better than their first, how
many reliably so (the outcome classification of CLINICAL.md "Change over time", as the
outcome pages compute it: ``measures.outcomes.build_trajectory``) and how many reliably
worse (facilitator view only). Attendance: how many members have come to four sessions
or more, and the share of recorded places attended. Goals (when the goals app is
installed): how many members with goals reached at least one.

Small-cell suppression: any figure that fewer than ``MIN_CELL`` members contribute to
is replaced by "not enough answers yet to show a trend", so nobody can be picked out.

Five queries whatever the group's size: places, totals, instruments, attendance, goals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.measures.library import definition_of
from kindred.measures.models import Instrument
from kindred.measures.outcome_settings import outcome_settings
from kindred.measures.outcomes import (
    IMPROVED_OUTCOMES,
    build_trajectory,
    can_classify,
    completed_rows,
)
from kindred.measures.rc import Outcome
from kindred.milestones.detection import goal_model

#: Fewer contributing members than this and a figure is not shown.
MIN_CELL = 3
NOT_ENOUGH = gettext_lazy("Not enough answers yet to show a trend.")


@dataclass(frozen=True)
class InstrumentTrend:
    instrument_id: int
    name: str
    answered_twice: int
    improved: int
    reliably_improved: int
    reliably_worse: int
    classified: bool  # reliable change can be judged on this instrument

    @property
    def suppressed(self) -> bool:
        return self.answered_twice < MIN_CELL

    @property
    def sentence(self) -> str:
        if self.suppressed:
            return str(NOT_ENOUGH)
        text = _(
            "%(improved)d of %(n)d members who answered twice or more have improved since joining"
        ) % {"improved": self.improved, "n": self.answered_twice}
        if self.classified:
            text += _("; %(reliably)d reliably") % {"reliably": self.reliably_improved}
        return text + "."

    @property
    def caution(self) -> str:
        """For the facilitator only: reliable deterioration, as a count."""
        if self.suppressed or not self.classified or not self.reliably_worse:
            return ""
        return _("%(n)d reliably worse since joining.") % {"n": self.reliably_worse}

    @property
    def session_sentence(self) -> str:
        if self.suppressed:
            return str(NOT_ENOUGH)
        text = _(
            "%(improved)d of the %(n)d of us who answered twice or more are doing better "
            "than when we joined"
        ) % {"improved": self.improved, "n": self.answered_twice}
        if self.classified and self.reliably_improved:
            text += _(" — %(reliably)d by more than the everyday ups and downs") % {
                "reliably": self.reliably_improved
            }
        return text + "."


@dataclass(frozen=True)
class CountTrend:
    contributors: int
    count: int
    sentence_text: str

    @property
    def suppressed(self) -> bool:
        return self.contributors < MIN_CELL

    @property
    def sentence(self) -> str:
        if self.suppressed:
            return str(NOT_ENOUGH)
        return self.sentence_text


@dataclass(frozen=True)
class GroupTrends:
    group: TherapyGroup
    members: int
    instruments: list[InstrumentTrend]
    attendance: CountTrend
    attendance_rate: int | None  # percent of recorded places attended, when not suppressed
    goals: CountTrend | None  # None when the goals app has no goals model

    @property
    def shown_instruments(self) -> list[InstrumentTrend]:
        return [t for t in self.instruments if not t.suppressed]

    def chart(self) -> dict[str, Any]:
        """A stacked bar per instrument (unsuppressed ones only), drawn by
        kindred/web/static/kindred/charts.js like the outcome dashboards."""
        shown = self.shown_instruments
        return {
            "kind": "stacked",
            "labels": [t.name for t in shown],
            "series": [
                {
                    "key": "reliably",
                    "label": _("Improved by more than the everyday ups and downs"),
                    "data": [t.reliably_improved for t in shown],
                },
                {
                    "key": "improved",
                    "label": _("Improved a little"),
                    "data": [t.improved - t.reliably_improved for t in shown],
                },
                {
                    "key": "not_yet",
                    "label": _("Not yet"),
                    "data": [t.answered_twice - t.improved for t in shown],
                },
            ],
            "yTitle": _("Members who answered twice or more"),
        }


def _better(first: float, latest: float, *, higher_is_better: bool) -> bool:
    return latest > first if higher_is_better else latest < first


def _instrument_trends(client_ids: list[int]) -> list[InstrumentTrend]:
    rows = completed_rows(client_ids)
    instruments = {
        i.pk: i
        for i in Instrument.objects.filter(
            pk__in={inst for _c, inst in rows}, validated=True
        ).order_by("name", "pk")
    }
    rules = outcome_settings() if rows else None
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_client_id, instrument_id), points in rows.items():
        instrument = instruments.get(instrument_id)
        if instrument is None or len(points) < 2 or rules is None:
            continue
        trajectory = build_trajectory(instrument, points, attended=[], rules=rules)
        tally = counts[instrument_id]
        tally[0] += 1
        if _better(
            float(trajectory.first.total),
            float(trajectory.latest.total),
            higher_is_better=trajectory.definition.higher_is_better,
        ):
            tally[1] += 1
        if trajectory.outcome in IMPROVED_OUTCOMES:
            tally[2] += 1
        if trajectory.outcome == Outcome.DETERIORATED:
            tally[3] += 1
    trends: list[InstrumentTrend] = []
    for pk, instrument in instruments.items():
        if pk not in counts:
            continue
        n, improved, reliably, worse = counts[pk]
        trends.append(
            InstrumentTrend(
                instrument_id=pk,
                name=instrument.short_name,
                answered_twice=n,
                improved=improved,
                reliably_improved=reliably,
                reliably_worse=worse,
                classified=can_classify(instrument, definition_of(instrument)),
            )
        )
    return trends


def group_trends(group: TherapyGroup) -> GroupTrends:
    client_ids = list(
        Enrollment.objects.filter(
            group=group, status__in=(EnrollmentStatus.ACTIVE, EnrollmentStatus.GRADUATED)
        ).values_list("client_id", flat=True)
    )
    from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

    per_member = list(
        Attendance.objects.filter(session__group=group, client_id__in=client_ids)
        .values("client_id")
        .annotate(
            recorded=Count("pk"), attended=Count("pk", filter=Q(status__in=ATTENDED_STATUSES))
        )
        .values_list("client_id", "recorded", "attended")
    )
    four = sum(1 for _c, _r, attended in per_member if attended >= 4)
    recorded = sum(r for _c, r, _a in per_member)
    attended_total = sum(a for _c, _r, a in per_member)
    attendance = CountTrend(
        contributors=len(per_member),
        count=four,
        sentence_text=_("%(four)d of %(n)d members have come to four sessions or more.")
        % {"four": four, "n": len(per_member)},
    )
    rate = (
        round(100 * attended_total / recorded) if recorded and not attendance.suppressed else None
    )
    goals: CountTrend | None = None
    goal = goal_model()
    if goal is not None:
        with_goals: dict[int, bool] = {}
        for client_id, status in goal.objects.filter(
            group=group, client_id__in=client_ids
        ).values_list("client_id", "status"):
            with_goals[client_id] = with_goals.get(client_id, False) or status == "reached"
        reached = sum(1 for r in with_goals.values() if r)
        goals = CountTrend(
            contributors=len(with_goals),
            count=reached,
            sentence_text=_("%(reached)d of %(n)d members with goals have reached at least one.")
            % {"reached": reached, "n": len(with_goals)},
        )
    return GroupTrends(
        group=group,
        members=len(client_ids),
        instruments=_instrument_trends(client_ids),
        attendance=attendance,
        attendance_rate=rate,
        goals=goals,
    )
