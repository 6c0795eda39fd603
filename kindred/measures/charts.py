"""What the charts draw, as plain data for the page (passed with ``json_script`` and
drawn by kindred/web/static/kindred/charts.js with the vendored Chart.js), and the
member's progress in plain words.

Every chart is also given as a data table on the page; series differ by line pattern
and point shape as well as colour, bands are labelled in words, so nothing depends on
seeing colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from kindred.measures.rc import Direction, Outcome

if TYPE_CHECKING:
    from datetime import datetime

    from kindred.measures.dashboard import GroupDashboard
    from kindred.measures.outcomes import Trajectory


def _day(when: datetime) -> str:
    return date_format(localtime(when), "M j")


def _number(value: object) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return value
    return float(str(value))


def trajectory_chart(trajectory: Trajectory) -> dict[str, Any]:
    """A member's totals on one instrument over time, with its severity bands shaded
    and labelled (for staff)."""
    low, high = trajectory.definition.score_range
    return {
        "kind": "trajectory",
        "title": trajectory.instrument.short_name,
        "labels": [_day(p.completed_at) for p in trajectory.points],
        "values": [_number(p.total) for p in trajectory.points],
        "pointLabels": [p.band_label for p in trajectory.points],
        "min": _number(low),
        "max": _number(high),
        "bands": [
            {"min": _number(b.min), "max": _number(b.max), "label": b.label}
            for b in trajectory.bands
        ],
        "yTitle": _("Total score"),
        "seriesLabel": _("Total"),
    }


def attendance_chart(dashboard: GroupDashboard) -> dict[str, Any]:
    sessions = dashboard.attendance
    return {
        "kind": "stacked",
        "labels": [_day(s.starts_at) for s in sessions],
        "series": [
            {"key": "attended", "label": _("Attended"), "data": [s.attended for s in sessions]},
            {
                "key": "absent_notice",
                "label": _("Absent with notice"),
                "data": [s.absent_notice for s in sessions],
            },
            {"key": "no_show", "label": _("No-show"), "data": [s.no_show for s in sessions]},
        ],
        "yTitle": _("Members"),
    }


def pulse_chart(dashboard: GroupDashboard) -> dict[str, Any]:
    points = dashboard.pulse
    return {
        "kind": "lines",
        "labels": [_day(p.starts_at) for p in points],
        "series": [
            {
                "key": key,
                "label": label,
                "data": [p.averages.get(key) for p in points],
            }
            for key, label in dashboard.pulse_labels.items()
        ],
        "min": 0,
        "max": 4,
        "yTitle": _("Average answer (0 = not at all, 4 = completely)"),
    }


def severity_chart(dashboard: GroupDashboard, index: int) -> dict[str, Any]:
    severity = dashboard.severity[index]
    return {
        "kind": "bars",
        "title": severity.instrument.short_name,
        "labels": [c.band.label for c in severity.counts],
        "series": [
            {
                "key": "members",
                "label": _("Members"),
                "data": [c.count for c in severity.counts],
            }
        ],
        "yTitle": _("Members"),
    }


# --- the member's own progress, in plain words ---------------------------------------


@dataclass(frozen=True)
class ProgressWords:
    headline: str
    detail: str


def level_words(band: str) -> str:
    """How a member's answers read at one time, in everyday words."""
    words = {
        "minimal": _("Few difficulties"),
        "mild": _("Some difficulties"),
        "moderate": _("A fair amount of difficulty"),
        "moderately_severe": _("A lot of difficulty"),
        "severe": _("A lot of difficulty"),
    }
    return words.get(band, "")


def progress_words(trajectory: Trajectory) -> ProgressWords:
    """Encouraging, honest words about the change on one questionnaire: never a score
    alone, never alarming."""
    if len(trajectory.points) < 2:
        return ProgressWords(
            _("Thank you for your first answers."),
            _("After you answer again, you will see here how things have changed."),
        )
    change = trajectory.change
    outcome = change.outcome if change is not None else None
    if outcome is None and change is not None and change.rci is not None:
        outcome = {
            Direction.IMPROVED: Outcome.IMPROVED,
            Direction.DETERIORATED: Outcome.DETERIORATED,
            Direction.NO_RELIABLE_CHANGE: Outcome.NO_RELIABLE_CHANGE,
        }[change.rci.direction]
    if outcome in (Outcome.RECOVERED, Outcome.RELIABLY_RECOVERED, Outcome.IMPROVED):
        return ProgressWords(
            _("Your answers suggest things have been easier lately."),
            _(
                "Compared with when you started, the change is bigger than the everyday "
                "ups and downs. That is worth noticing — well done for keeping going."
            ),
        )
    if outcome == Outcome.DETERIORATED:
        return ProgressWords(
            _("Your answers suggest things have been harder lately."),
            _(
                "Hard stretches happen, and you do not have to manage them alone. Your "
                "facilitator sees this too and may check in with you; you can also bring "
                "it to the group or contact the practice."
            ),
        )
    if outcome == Outcome.NO_RELIABLE_CHANGE:
        return ProgressWords(
            _("Your answers have stayed about the same so far."),
            _(
                "Change often takes a while. Small ups and downs are normal; we only say "
                "things have changed when the change is bigger than those."
            ),
        )
    return ProgressWords(
        _("Thank you for keeping up with your check-ins."),
        _("Your facilitator uses your answers to see how the group is helping."),
    )


def member_chart(trajectory: Trajectory) -> dict[str, Any]:
    """The member's own chart: up always means "easier" (symptom scores are turned
    over), no numbers on the axis, calm colours, words at the ends."""
    low, high = trajectory.definition.score_range
    lo, hi = float(low), float(high)
    better_high = trajectory.definition.higher_is_better
    values = []
    for p in trajectory.points:
        total = float(p.total)
        values.append(round(total if better_high else hi + lo - total, 2))
    return {
        "kind": "member",
        "labels": [_day(p.completed_at) for p in trajectory.points],
        "values": values,
        "min": lo,
        "max": hi,
        "top": _("Easier"),
        "bottom": _("Harder"),
        "seriesLabel": _("How things felt"),
    }
