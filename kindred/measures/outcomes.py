"""Change over time: per member and instrument, the trajectory of totals with their
severity bands, the change between the first and the latest total, and whether the
member is on track.

Only completed, complete administrations count (CLINICAL.md "Missing items": an
incomplete administration has no valid total and is never banded). Totals are read from
the Administration's cached results, never recomputed here.

Change (measures/rc.py, CLINICAL.md "Change over time"):

- the Reliable Change Index (Jacobson & Truax 1991, J Consult Clin Psychol 59:12–19)
  from the instrument's s1 and r (``Instrument.rc_sd``, ``rc_reliability``, shown with
  ``rc_source`` beside every result), when the practice has entered both;
- the NHS Talking Therapies classification (Gyani et al. 2013, Behav Res Ther
  51:597–606) from the definition's change criteria (PHQ-9: caseness 10, reliable change
  6; GAD-7: caseness 8, reliable change 4): improved / deteriorated / no reliable change
  / recovered / reliably recovered.

Not on track (practice rules in OutcomeSettings; CLINICAL.md: "Alert rules must be
tunable per practice and explained in the UI"), for an instrument whose change can be
classified:

- *reliable deterioration* between the first and the latest total (when the practice
  turns this rule on); or
- *no reliable improvement after N sessions*: the member has attended at least N group
  sessions since their first measurement, has been measured again since, started at or
  above caseness (someone who started below it has little room to improve reliably),
  and has neither reliably improved nor recovered.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.audit.services import audit_access
from kindred.core.access import deny
from kindred.measures.definitions import Band, Definition, Number
from kindred.measures.library import definition_of
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    AlertSource,
    Instrument,
    OutcomeSettings,
)
from kindred.measures.outcome_settings import outcome_settings
from kindred.measures.rc import ChangeSummary, Direction, Outcome, is_case, summarize_change

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.measures.models import SafetyAlert

#: Outcomes that count as reliable improvement for the not-on-track rule.
IMPROVED_OUTCOMES = frozenset({Outcome.IMPROVED, Outcome.RECOVERED, Outcome.RELIABLY_RECOVERED})
DETERIORATION_FLAG_SUFFIX = ".deterioration"


@dataclass(frozen=True)
class Point:
    administration_id: int
    completed_at: datetime
    total: Number
    band: str
    band_label: str
    session_id: int | None


@dataclass(frozen=True)
class NotOnTrack:
    """Why a member is not on track for one instrument (both may apply)."""

    deteriorated: bool
    no_improvement: bool
    sessions_attended: int
    after_sessions: int

    @property
    def flagged(self) -> bool:
        return self.deteriorated or self.no_improvement

    @property
    def reasons(self) -> list[str]:
        found: list[str] = []
        if self.deteriorated:
            found.append(_("Reliable deterioration since the first measurement."))
        if self.no_improvement:
            found.append(
                ngettext(
                    "No reliable improvement after %(n)d session attended.",
                    "No reliable improvement after %(n)d sessions attended.",
                    self.sessions_attended,
                )
                % {"n": self.sessions_attended}
            )
        return found


@dataclass(frozen=True)
class Trajectory:
    instrument: Instrument
    definition: Definition
    points: tuple[Point, ...]
    change: ChangeSummary | None
    not_on_track: NotOnTrack | None
    sessions_attended: int

    @property
    def first(self) -> Point:
        return self.points[0]

    @property
    def latest(self) -> Point:
        return self.points[-1]

    @property
    def bands(self) -> tuple[Band, ...]:
        return self.definition.bands

    @property
    def outcome(self) -> Outcome | None:
        return self.change.outcome if self.change is not None else None

    @property
    def can_classify(self) -> bool:
        return can_classify(self.instrument, self.definition)

    @property
    def rc_configured(self) -> bool:
        return self.instrument.rc_sd is not None and self.instrument.rc_reliability is not None


def can_classify(instrument: Instrument, definition: Definition) -> bool:
    """Whether change on this instrument can be classified at all: fixed change criteria
    (caseness and a reliable-change size) or the RCI's s1 and r."""
    criteria = definition.change_criteria
    fixed = (
        criteria is not None
        and criteria.caseness is not None
        and criteria.reliable_change is not None
    )
    return fixed or (instrument.rc_sd is not None and instrument.rc_reliability is not None)


def _band_label(definition: Definition, code: str) -> str:
    band = definition.band(code) if code else None
    return band.label if band is not None else ""


def _change(
    instrument: Instrument, definition: Definition, first: Number, latest: Number
) -> ChangeSummary:
    return summarize_change(
        definition,
        first,
        latest,
        sd=instrument.rc_sd,
        reliability=instrument.rc_reliability,
    )


def evaluate_not_on_track(
    *,
    instrument: Instrument,
    definition: Definition,
    points: Sequence[Point],
    change: ChangeSummary | None,
    sessions_attended: int,
    rules: OutcomeSettings,
) -> NotOnTrack | None:
    """The practice's not-on-track rules for one instrument (None when change on it
    cannot be classified, or it is Kindred's unvalidated pulse)."""
    criteria = definition.change_criteria
    started_as_case = (
        is_case(
            points[0].total,
            criteria.caseness,
            higher_is_better=definition.higher_is_better,
        )
        if points and criteria is not None and criteria.caseness is not None
        else True
    )
    return not_on_track_from(
        instrument=instrument,
        definition=definition,
        measured=len(points) if change is not None else min(len(points), 1),
        outcome=change.outcome if change is not None else None,
        rci_deteriorated=(
            change is not None
            and change.rci is not None
            and change.rci.direction == Direction.DETERIORATED
        ),
        started_as_case=started_as_case,
        sessions_attended=sessions_attended,
        rules=rules,
    )


def not_on_track_from(
    *,
    instrument: Instrument,
    definition: Definition,
    measured: int,
    outcome: Outcome | None,
    rci_deteriorated: bool,
    started_as_case: bool,
    sessions_attended: int,
    rules: OutcomeSettings,
) -> NotOnTrack | None:
    """The rules applied to what they need: how many complete totals there are, the
    change's outcome, whether the RCI says reliably worse, and whether the member
    started at or above caseness (the outcome summary stores exactly these)."""
    if not instrument.validated or not can_classify(instrument, definition):
        return None
    deteriorated = False
    no_improvement = False
    if measured >= 2:
        if rules.flag_reliable_deterioration and (
            outcome == Outcome.DETERIORATED or rci_deteriorated
        ):
            deteriorated = True
        if (
            sessions_attended >= rules.not_on_track_after_sessions
            and started_as_case
            and outcome not in IMPROVED_OUTCOMES
        ):
            no_improvement = True
    return NotOnTrack(
        deteriorated=deteriorated,
        no_improvement=no_improvement,
        sessions_attended=sessions_attended,
        after_sessions=rules.not_on_track_after_sessions,
    )


def build_trajectory(
    instrument: Instrument,
    rows: Sequence[tuple[int, datetime, Number, str, int | None]],
    *,
    attended: Sequence[datetime],
    rules: OutcomeSettings,
) -> Trajectory:
    """One instrument's trajectory from its rows (administration id, completed at,
    total, band, session id), oldest first, and the start times of the sessions the
    member attended (sorted)."""
    definition = definition_of(instrument)
    points = tuple(
        Point(
            administration_id=pk,
            completed_at=when,
            total=total,
            band=band,
            band_label=_band_label(definition, band),
            session_id=session_id,
        )
        for pk, when, total, band, session_id in rows
    )
    change = (
        _change(instrument, definition, points[0].total, points[-1].total)
        if len(points) >= 2
        else None
    )
    since = points[0].completed_at if points else None
    sessions = len(attended) - bisect_left(attended, since) if since is not None else 0
    return Trajectory(
        instrument=instrument,
        definition=definition,
        points=points,
        change=change,
        not_on_track=evaluate_not_on_track(
            instrument=instrument,
            definition=definition,
            points=points,
            change=change,
            sessions_attended=sessions,
            rules=rules,
        ),
        sessions_attended=sessions,
    )


# --- reading from the database (a constant number of queries) -------------------------


def completed_rows(
    client_ids: Iterable[int], *, instrument_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], list[tuple[int, datetime, Number, str, int | None]]]:
    """Completed, complete administrations with a total, by (client, instrument), oldest
    first. One query on the ``measures_admin_trend`` index."""
    qs = Administration.objects.filter(
        client_id__in=list(client_ids),
        status=AdministrationStatus.COMPLETED,
        is_complete=True,
        total__isnull=False,
        completed_at__isnull=False,
    )
    if instrument_ids is not None:
        qs = qs.filter(instrument_id__in=list(instrument_ids))
    found: dict[tuple[int, int], list[tuple[int, datetime, Number, str, int | None]]] = defaultdict(
        list
    )
    for pk, client_id, instrument_id, when, total, band, session_id in qs.order_by(
        "client_id", "instrument_id", "completed_at", "pk"
    ).values_list(
        "pk", "client_id", "instrument_id", "completed_at", "total", "band", "session_id"
    ):
        if when is not None and total is not None:  # the filter guarantees both
            found[(client_id, instrument_id)].append((pk, when, total, band, session_id))
    return found


def attended_sessions(client_ids: Iterable[int]) -> dict[int, list[datetime]]:
    """The start times of the sessions each client attended (any group), sorted. One
    query."""
    from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

    found: dict[int, list[datetime]] = defaultdict(list)
    for client_id, starts_at in (
        Attendance.objects.filter(client_id__in=list(client_ids), status__in=ATTENDED_STATUSES)
        .order_by("client_id", "session__starts_at")
        .values_list("client_id", "session__starts_at")
    ):
        found[client_id].append(starts_at)
    return found


def client_trajectories(
    client_id: int, *, rules: OutcomeSettings | None = None
) -> list[Trajectory]:
    """Every instrument with at least one complete total for the client, in the
    library's order (name). Three queries."""
    rules = rules or outcome_settings()
    rows = completed_rows([client_id])
    if not rows:
        return []
    instruments = Instrument.objects.filter(pk__in={i for _c, i in rows}).order_by("name", "pk")
    attended = attended_sessions([client_id]).get(client_id, [])
    return [
        build_trajectory(inst, rows[(client_id, inst.pk)], attended=attended, rules=rules)
        for inst in instruments
    ]


@dataclass(frozen=True)
class MemberOutcomes:
    client: Client
    trajectories: list[Trajectory]
    rules: OutcomeSettings

    @property
    def not_on_track(self) -> list[Trajectory]:
        return [t for t in self.trajectories if t.not_on_track and t.not_on_track.flagged]


def member_outcomes(*, actor: User, client_id: object) -> MemberOutcomes:
    """A member's outcomes for staff: the client access rule (not theirs = 404), an
    access audit event, then the trajectories."""
    from kindred.clients.access import get_client_for

    client = get_client_for(actor, client_id)
    audit_access(actor=actor, action="measures.outcomes.viewed", obj=client, client_id=client.pk)
    rules = outcome_settings()
    return MemberOutcomes(
        client=client, trajectories=client_trajectories(client.pk, rules=rules), rules=rules
    )


def own_progress(*, actor: User) -> MemberOutcomes:
    """A member's own progress (members only; anyone else gets 404). Audited as a read
    like any other."""
    from kindred.clients.models import Client as ClientModel

    client = None
    if getattr(actor, "is_member", False) and actor.is_active:
        client = ClientModel.objects.filter(user=actor).first()
    if client is None:
        deny(actor, ClientModel, "me")
    audit_access(actor=actor, action="measures.outcomes.viewed", obj=client, client_id=client.pk)
    rules = outcome_settings()
    return MemberOutcomes(
        client=client, trajectories=client_trajectories(client.pk, rules=rules), rules=rules
    )


def rules_explained(rules: OutcomeSettings) -> list[str]:
    """The not-on-track rules in plain words, as the practice has set them."""
    lines = [
        ngettext(
            "Not on track when a member who started at or above the caseness threshold "
            "has attended %(n)d session since their first questionnaire, has answered "
            "again since, and has not reliably improved or recovered.",
            "Not on track when a member who started at or above the caseness threshold "
            "has attended %(n)d sessions since their first questionnaire, has answered "
            "again since, and has not reliably improved or recovered.",
            rules.not_on_track_after_sessions,
        )
        % {"n": rules.not_on_track_after_sessions}
    ]
    if rules.flag_reliable_deterioration:
        lines.append(
            _(
                "Not on track when the latest score is reliably worse than the first "
                "(a rise of at least the reliable-change size, or a Reliable Change Index "
                "beyond 1.96)."
            )
        )
    if rules.alert_on_reliable_deterioration:
        lines.append(
            _("A reliable deterioration also raises a safety alert for the member's facilitators.")
        )
    return lines


# --- reliable deterioration as a safety signal ------------------------------------------


def deterioration_alert(administration: Administration) -> SafetyAlert | None:
    """When the practice asks for it (``alert_on_reliable_deterioration``), raise a
    safety alert if this completed administration shows reliable deterioration since
    the member's first total on the instrument (CLINICAL.md "Safety": "a reliable
    deterioration" is a risk signal). Runs in the caller's transaction."""
    from kindred.measures.safety import raise_alert

    instrument = administration.instrument
    if not (
        administration.status == AdministrationStatus.COMPLETED
        and administration.is_complete
        and administration.total is not None
        and instrument.validated
        and outcome_settings().alert_on_reliable_deterioration
    ):
        return None
    definition = definition_of(instrument)
    first = (
        Administration.objects.filter(
            client_id=administration.client_id,
            instrument=instrument,
            status=AdministrationStatus.COMPLETED,
            is_complete=True,
            total__isnull=False,
        )
        .exclude(pk=administration.pk)
        .order_by("completed_at", "pk")
        .values_list("total", flat=True)
        .first()
    )
    if first is None or not can_classify(instrument, definition):
        return None
    change = _change(instrument, definition, first, administration.total)
    rci_down = change.rci is not None and change.rci.direction == Direction.DETERIORATED
    if change.outcome != Outcome.DETERIORATED and not rci_down:
        return None
    return raise_alert(
        client_id=administration.client_id,
        group_id=administration.group_id,
        source=AlertSource.RELIABLE_DETERIORATION,
        flag_code=f"{instrument.code}{DETERIORATION_FLAG_SUFFIX}",
        administration=administration,
    )
