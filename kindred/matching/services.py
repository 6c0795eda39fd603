"""Running matching and deciding its proposals (issue 6).

- ``match_run_start`` reads the waitlist and the groups with seats (``facts``), solves
  (``engine.solve``) and stores the proposal. One run at a time: the run row is claimed
  first, and a partial unique index refuses a second "running" row. A run that has been
  "running" for longer than ``STALE_AFTER`` is taken to have died and is marked failed.
  The command runs synchronously (``match_run_start``); the page and the API claim the
  run and hand it to a background task (``match_run_enqueue`` → ``tasks.run_matching``
  → ``match_run_execute``), which writes what it is doing to ``MatchRun.progress`` for
  the run's page to show. Django's Tasks run it at once in DEBUG and tests, and through
  django_tasks_db's worker in production.
- A proposal changes nothing by itself. Accepting a line re-checks it against the
  current data (the seat still free, every hard rule still passing on freshly built
  facts for that one person and group); a stale line is refused with the reason and
  nothing changes. Accepting starts a screening by the group's lead facilitator, or, when
  the person was already screened and admitted for that group, offers the place
  (``enrollment_invite``). Matching never enrolls anyone.
- ``matching_settings_update`` sets the preference weights (0-10 each).

Every change writes its audit event in the same transaction; reasons typed by people
stay on the line (they may be clinical), the audit log gets field names only.
"""

from __future__ import annotations

import contextlib
import logging
import math
import statistics
import time as clock
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import (
    Conflict,
    InvalidState,
    KindredError,
    NotPermitted,
    ValidationFailed,
)
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Screening, ScreeningDecision, WaitlistEntry, WaitlistStatus
from kindred.intake.selectors import STATUS_OPEN, WaitlistFilters
from kindred.matching import facts as facts_module
from kindred.matching.models import (
    WEIGHT_FIELDS,
    WEIGHT_MAX,
    WEIGHT_MIN,
    Decision,
    GroupSuggestion,
    MatchingSettings,
    MatchRun,
    ProposalLine,
    RunStatus,
)
from kindred.matching.rules import RULE_WORDS, blocking_rules
from kindred.matching.types import (
    Person,
    Problem,
    Rule,
    RuleCount,
    Solution,
    Unplaced,
    Weights,
)
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import Enrollment

logger = logging.getLogger(__name__)

#: A run still "running" after this long is taken to have died (the process ended).
STALE_AFTER = timedelta(minutes=30)
REASON_MAX_LENGTH = 500
#: Filters a run accepts (those of the waitlist page; status is always "open").
FILTER_FIELDS = ("concern", "state", "modality", "waited_weeks", "urgency", "group")
Progress = Callable[[str], None]


# --- Settings ------------------------------------------------------------------------------


def matching_settings() -> MatchingSettings:
    """The practice's row (the defaults until someone saves it). Not written on read."""
    row = MatchingSettings.objects.filter(pk=1).first()
    return row if row is not None else MatchingSettings(pk=1)


def weight_label(name: str) -> str:
    """The page's name for a weight ("shared concerns")."""
    return str(getattr(MatchingSettings._meta.get_field(name), "verbose_name", name))


def weights_of(row: MatchingSettings) -> Weights:
    return Weights(**{name: float(getattr(row, name)) for name in WEIGHT_FIELDS})


def matching_settings_update(*, actor: User, **weights: object) -> MatchingSettings:
    """Set the preference weights. Each must be a number from 0 to 10; every wrong one
    is reported beside its field and nothing is saved."""
    role_checks.require(actor, Capability.RUN_MATCHING)
    errors: dict[str, list[str]] = {}
    values: dict[str, float] = {}
    for name in weights:
        if name not in WEIGHT_FIELDS:
            errors.setdefault("__all__", []).append(
                _("“%(name)s” is not a weight.") % {"name": name}
            )
    for name in WEIGHT_FIELDS:
        if name not in weights:
            continue
        raw = weights[name]
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors[name] = [_("Enter a number from %(lo)d to %(hi)d.") % _range()]
            continue
        if isinstance(raw, bool) or math.isnan(value) or not WEIGHT_MIN <= value <= WEIGHT_MAX:
            errors[name] = [_("Enter a number from %(lo)d to %(hi)d.") % _range()]
            continue
        values[name] = value
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        row, _created = MatchingSettings.objects.select_for_update().get_or_create(pk=1)
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by = actor
        row.save()
        audit_change(actor=actor, action="matching.settings.updated", obj=row, changed=changed)
    return row


def _range() -> dict[str, int]:
    return {"lo": WEIGHT_MIN, "hi": WEIGHT_MAX}


# --- Filters ---------------------------------------------------------------------------------


def filters_to_json(filters: WaitlistFilters | None) -> dict[str, Any]:
    """The filters that narrow the run (defaults left out), for storing and showing."""
    if filters is None:
        return {}
    default = WaitlistFilters()
    return {
        name: value
        for name, value in asdict(filters).items()
        if name in FILTER_FIELDS and value != getattr(default, name)
    }


def filters_from_json(data: Mapping[str, Any] | None) -> WaitlistFilters:
    known = {f.name for f in fields(WaitlistFilters)}
    values = {k: v for k, v in (data or {}).items() if k in known and k in FILTER_FIELDS}
    return WaitlistFilters(status=STATUS_OPEN, **values)


# --- Running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a run found: the facts it solved and the engine's answer."""

    facts: facts_module.Facts
    solution: Solution

    @property
    def problem(self) -> Problem:
        return self.facts.problem


def _solve(problem: Problem) -> Solution:
    from kindred.matching import engine

    return engine.solve(problem)


def _say(progress: Progress | None, text: str) -> None:
    if progress is not None:
        progress(text)


def _require_something_to_do(filters: WaitlistFilters | None, now: datetime) -> None:
    if not facts_module.candidate_groups().exists():
        raise InvalidState(
            _(
                "No groups have open seats right now, so there is nothing to propose. "
                "Matching can run again when a group has room."
            )
        )
    if not facts_module.open_entries(filters, now=now).exists():
        raise InvalidState(
            _("Nobody on the waitlist matches these filters, so there is nothing to propose.")
        )


def match_compute(
    *,
    actor: User | None,
    filters: WaitlistFilters | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    weights: Weights | None = None,
) -> Outcome:
    """Build the facts and solve, changing nothing (the command's dry run). ``weights``
    default to the practice's."""
    if actor is not None:
        role_checks.require(actor, Capability.RUN_MATCHING)
    now = now or timezone.now()
    _require_something_to_do(filters, now)
    _say(progress, _("Reading the waitlist and the groups with open seats"))
    built = facts_module.build_facts(
        filters=filters, weights=weights or weights_of(matching_settings()), now=now
    )
    _say(progress, _("Finding the best proposal"))
    return Outcome(built, _solve(built.problem))


def running_run() -> MatchRun | None:
    return MatchRun.objects.filter(status=RunStatus.RUNNING).select_related("started_by").first()


def _in_progress_message(run: MatchRun) -> str:
    who = run.started_by.full_name if run.started_by is not None else _("a scheduled run")
    return _(
        "Matching is already running (started by %(who)s at %(when)s). Wait for it to "
        "finish, then look at its proposal or run again."
    ) % {
        "who": who,
        "when": date_format(timezone.localtime(run.started_at), "TIME_FORMAT"),
    }


def _claim(
    *,
    actor: User | None,
    filters: WaitlistFilters | None,
    now: datetime,
    progress: str = "",
) -> MatchRun:
    """The run row, committed at once so that a second start sees it."""
    with transaction.atomic():
        stale = MatchRun.objects.select_for_update().filter(
            status=RunStatus.RUNNING, started_at__lt=now - STALE_AFTER
        )
        for old in stale:
            old.status = RunStatus.FAILED
            old.finished_at = now
            old.error = "It did not finish (the process stopped)."
            old.save(update_fields=["status", "finished_at", "error"])
            audit_change(actor=None, action="matching.run.abandoned", obj=old)
        current = running_run()
        if current is not None:
            raise Conflict(_in_progress_message(current))
        run = MatchRun(
            started_by=actor if actor is not None and actor.is_authenticated else None,
            started_at=now,
            filters=filters_to_json(filters),
            weights=asdict(weights_of(matching_settings())),
            progress=progress,
        )
        try:
            with transaction.atomic():
                run.save()
        except IntegrityError as exc:  # another start won the race
            current = running_run()
            raise Conflict(
                _in_progress_message(current)
                if current is not None
                else _("Matching is already running. Wait for it to finish.")
            ) from exc
        audit_change(
            actor=actor, action="matching.run.started", obj=run, detail={"filters": run.filters}
        )
    return run


def _reasons_json(reasons: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [
        {"preference": r.preference, "points": round(float(r.points), 3), "words": r.words}
        for r in reasons
    ]


def blocked_json(left: Unplaced | None) -> dict[str, Any]:
    """What the line keeps of why someone was left out: a count and a few example
    groups per rule, so its size does not grow with the number of groups (``{}`` for a
    placed line). See ``types.Unplaced``."""
    if left is None:
        return {}
    return {
        "groups": left.groups,
        "rules": [
            {"rule": str(r.rule), "groups": r.groups, "examples": list(r.examples)}
            for r in left.blocked
        ],
        "fitted": left.fitted,
        "fitted_examples": list(left.fitted_examples),
        "placed_elsewhere": left.placed_elsewhere,
    }


def unplaced_of(line: ProposalLine) -> Unplaced | None:
    """The line's explanation read back (None for a placed line). A line stored before
    the counts were kept (``{}``) reads as "fitted somewhere"."""
    if line.group_id is not None:
        return None
    data = line.blocked or {}
    known = set(Rule)
    return Unplaced(
        entry_id=line.entry_id,
        groups=int(data.get("groups", 0)),
        blocked=tuple(
            RuleCount(
                rule=Rule(r["rule"]),
                groups=int(r["groups"]),
                examples=tuple(int(g) for g in r.get("examples", ())),
            )
            for r in data.get("rules", ())
            if r.get("rule") in known
        ),
        fitted=int(data.get("fitted", 0)),
        fitted_examples=tuple(int(g) for g in data.get("fitted_examples", ())),
        placed_elsewhere=bool(data.get("placed_elsewhere", False)),
    )


def _waits(days: list[int]) -> dict[str, float | int]:
    if not days:
        return {"count": 0, "mean": 0.0, "median": 0.0}
    return {
        "count": len(days),
        "mean": round(statistics.fmean(days), 1),
        "median": float(statistics.median(days)),
    }


def fairness_of(problem: Problem, solution: Solution) -> dict[str, Any]:
    """What the proposal page shows about fairness: the days waited (mean, median) of
    the people proposed and of everyone waiting who fitted at least one group, and the
    longest-waiting person left out (most urgent, then lowest entry, among equals), and
    the longest-waiting left out although a group fitted them."""
    people = {p.entry_id: p for p in problem.people}
    placed = {p.entry_id for p in solution.placements}
    left = [u for u in solution.unplaced if not u.placed_elsewhere]
    fitted = [u for u in left if u.fitted]

    def longest(among: list[Unplaced]) -> dict[str, int] | None:
        if not among:
            return None
        first = people[min(among, key=lambda u: order(people[u.entry_id])).entry_id]
        return {"entry_id": first.entry_id, "waited_days": first.waited_days}

    def order(person: Person) -> tuple[int, int, int]:
        return (-person.waited_days, -person.urgency, person.entry_id)

    placed_days = [people[e].waited_days for e in placed]
    return {
        "placed": _waits(placed_days),
        "fitted": _waits(placed_days + [people[u.entry_id].waited_days for u in fitted]),
        "longest_left_out": longest(left),
        "longest_fitted_left_out": longest(fitted),
    }


def _store(run: MatchRun, outcome: Outcome) -> None:
    problem, solution = outcome.problem, outcome.solution
    people = sorted(problem.people, key=lambda p: (-p.urgency, -p.waited_days, p.entry_id))
    placements = {p.entry_id: p for p in solution.placements}
    unplaced = {u.entry_id: u for u in solution.unplaced}
    lines = []
    for position, person in enumerate(people, start=1):
        placed = placements.get(person.entry_id)
        left = unplaced.get(person.entry_id)
        lines.append(
            ProposalLine(
                run=run,
                position=position,
                entry_id=person.entry_id,
                client_id=person.client_id,
                group_id=placed.group_id if placed is not None else None,
                score=round(float(placed.score), 3) if placed is not None else 0.0,
                reasons=_reasons_json(placed.reasons) if placed is not None else [],
                blocked=blocked_json(left),
                waited_days=person.waited_days,
                urgency=outcome.facts.urgency_of_entry.get(person.entry_id, ""),
            )
        )
    ProposalLine.objects.bulk_create(lines, batch_size=1000)
    GroupSuggestion.objects.bulk_create(
        [
            GroupSuggestion(
                run=run,
                modality=str(s.modality),
                states=sorted(s.states),
                concern_id=s.concern_id,
                meeting_start=s.meeting.start,
                meeting_end=s.meeting.end,
                entry_ids=list(s.entry_ids),
                count=len(s.entry_ids),
                language=s.language[:10],
            )
            for s in solution.suggestions
        ],
        batch_size=500,
    )
    run.status = RunStatus.FINISHED
    run.finished_at = timezone.now()
    run.solver_status = solution.status
    run.objective = float(solution.objective)
    run.bound = float(solution.bound)
    run.gap = float(solution.gap)
    run.seconds = float(solution.seconds)
    run.people_count = len(problem.people)
    run.group_count = len(problem.groups)
    run.placed_count = len(solution.placements)
    run.unplaced_count = len(problem.people) - len(solution.placements)
    run.suggestion_count = len(solution.suggestions)
    run.fairness = fairness_of(problem, solution)
    run.progress = ""
    run.save()


def _check_may_start(actor: User | None, filters: WaitlistFilters | None, now: datetime) -> None:
    if actor is not None:
        role_checks.require(actor, Capability.RUN_MATCHING)
    current = running_run()
    if current is not None and current.started_at >= now - STALE_AFTER:
        raise Conflict(_in_progress_message(current))
    _require_something_to_do(filters, now)


def _weights_of_run(run: MatchRun) -> Weights:
    known = {f.name for f in fields(Weights)}
    return Weights(**{k: float(v) for k, v in (run.weights or {}).items() if k in known})


def _recorder(run: MatchRun, progress: Progress | None) -> Progress:
    """Say it (to the command's progress, if any) and keep it on the run for its page."""

    def say(text: str) -> None:
        _say(progress, text)
        MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(progress=text[:200])

    return say


def _execute(
    run: MatchRun,
    *,
    actor: User | None,
    filters: WaitlistFilters | None,
    progress: Progress | None,
    now: datetime,
) -> MatchRun:
    """Solve for a claimed run and store its proposal; on any error the run is marked
    failed with the reason (and the error raised again)."""
    started = clock.monotonic()
    say = _recorder(run, progress)
    try:
        outcome = match_compute(
            actor=None, filters=filters, progress=say, now=now, weights=_weights_of_run(run)
        )
        say(_("Saving the proposal"))
        with transaction.atomic():
            _store(run, outcome)
            audit_change(
                actor=actor,
                action="matching.run.finished",
                obj=run,
                detail={
                    "people": run.people_count,
                    "groups": run.group_count,
                    "proposed": run.placed_count,
                    "status": run.solver_status,
                },
            )
    except Exception as exc:
        with transaction.atomic():
            MatchRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED,
                finished_at=timezone.now(),
                seconds=clock.monotonic() - started,
                progress="",
                error=(exc.message if hasattr(exc, "message") else type(exc).__name__)[:500],
            )
            audit_change(actor=actor, action="matching.run.failed", obj=run)
        raise
    return run


def match_run_start(
    *,
    actor: User | None,
    filters: WaitlistFilters | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> MatchRun:
    """Run matching now, in this process, and store its proposal (the command).
    ``actor`` None: a scheduled command. Refuses while another run is in progress, and
    when there is nothing to match."""
    now = now or timezone.now()
    _check_may_start(actor, filters, now)
    run = _claim(actor=actor, filters=filters, now=now)
    return _execute(run, actor=actor, filters=filters, progress=progress, now=now)


def waiting_to_start() -> str:
    return _("Waiting to start")


def match_run_enqueue(
    *, actor: User, filters: WaitlistFilters | None = None, now: datetime | None = None
) -> MatchRun:
    """Claim a run and hand it to a background task (the page and the API): returns at
    once with the run "running", "Waiting to start". The same refusals as
    ``match_run_start``, before anything is queued."""
    now = now or timezone.now()
    _check_may_start(actor, filters, now)
    run = _claim(actor=actor, filters=filters, now=now, progress=waiting_to_start())
    transaction.on_commit(partial(_enqueue, run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from kindred.matching.tasks import run_matching

    try:
        run_matching.enqueue(run_id)
    except Exception:
        logger.exception("matching run %s could not be queued", run_id)
        MatchRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            progress="",
            error="It could not be handed to the background worker.",
        )


def match_run_execute(run_id: int) -> MatchRun | None:
    """The background task's work: run a claimed run once. Safe to call twice: only
    the call that moves it off "Waiting to start" runs it; a run already finished,
    failed or taken by another worker is left as it is."""
    taken = MatchRun.objects.filter(
        pk=run_id, status=RunStatus.RUNNING, progress=waiting_to_start()
    ).update(progress=_("Starting"))
    run = MatchRun.objects.select_related("started_by").filter(pk=run_id).first()
    if not taken or run is None:
        return run
    # An expected refusal (nobody left to match, ...) is kept on the run as its error.
    with contextlib.suppress(KindredError):
        _execute(
            run,
            actor=run.started_by,
            filters=filters_from_json(run.filters),
            progress=None,
            now=timezone.now(),
        )
    run.refresh_from_db()
    return run


# --- Deciding a line ------------------------------------------------------------------------


@dataclass(frozen=True)
class LineResult:
    line: ProposalLine
    message: str
    screening: Screening | None = None
    enrollment: Enrollment | None = None


def _locked_line(line: ProposalLine) -> ProposalLine:
    locked = (
        # Lock the line only: its group is nullable, and PostgreSQL refuses FOR UPDATE
        # on the nullable side of an outer join.
        ProposalLine.objects.select_for_update(of=("self",))
        .select_related("client", "entry", "group", "run")
        .get(pk=line.pk)
    )
    if locked.decision != Decision.PENDING:
        raise InvalidState(
            _("This line was already decided (%(decision)s).")
            % {"decision": locked.get_decision_display()}
        )
    return locked


def recheck(line: ProposalLine, group: TherapyGroup) -> facts_module.Facts:
    """Fresh facts for the line's person and ``group``; refuses with the reason when the
    proposal no longer holds (Conflict) and changes nothing."""
    built = facts_module.build_facts(
        entry_ids=[line.entry_id], group_ids=[group.pk], with_seats=False
    )
    name = line.client.display_name
    if not built.problem.people:
        raise Conflict(
            _("%(name)s is no longer waiting (their waitlist entry is closed).") % {"name": name}
        )
    if not built.problem.groups:
        raise Conflict(
            _("%(group)s is no longer forming or active, so it cannot take anyone.")
            % {"group": group.name}
        )
    rules = blocking_rules(built.problem.people[0], built.problem.groups[0])
    if rules:
        raise Conflict(
            _("This proposal is out of date: %(why)s Nothing was changed.")
            % {"why": " ".join(RULE_WORDS[r] for r in rules)},
            field="group",
        )
    return built


def _admitting_screening(client_id: int, group_id: int) -> Screening | None:
    return (
        Screening.objects.filter(client_id=client_id, group_id=group_id, decided_at__isnull=False)
        .order_by("-decided_at", "-id")
        .first()
    )


def _act(
    *, actor: User, line: ProposalLine, group: TherapyGroup, built: facts_module.Facts
) -> tuple[str, Screening | None, Enrollment | None]:
    """Start the screening, or offer the place to someone already admitted."""
    from kindred.groups.services import enrollment_invite
    from kindred.intake.screening import screening_create
    from kindred.intake.waitlist import _transition

    client = line.client
    locked_group = TherapyGroup.objects.select_for_update().get(pk=group.pk)
    if (client.pk, group.pk) in built.admitted:
        screening = _admitting_screening(client.pk, group.pk)
        if screening is not None and screening.decision == ScreeningDecision.ADMIT:
            enrollment = enrollment_invite(
                actor=actor, group=locked_group, client=client, screening=screening
            )
            entry = WaitlistEntry.objects.select_for_update().get(pk=line.entry_id)
            _transition(
                actor=actor,
                entry=entry,
                status=WaitlistStatus.PLACED,
                reason=_("Offered a place in %(group)s (matching)") % {"group": group.name},
                revisit_on=None,
                now=timezone.now(),
            )
            return (
                _(
                    "%(name)s was already screened and admitted for %(group)s, so they are "
                    "offered the place."
                )
                % {"name": client.display_name, "group": group.name},
                None,
                enrollment,
            )
    screener = locked_group.lead_facilitator.user
    result = screening_create(
        actor=actor, client=client, group=locked_group, entry=line.entry, screener=screener
    )
    return (
        _("%(screener)s is asked to screen %(name)s for %(group)s.")
        % {"screener": screener.full_name, "name": client.display_name, "group": group.name},
        result.screening,
        None,
    )


def _decide(
    *, actor: User, line: ProposalLine, group: TherapyGroup | None, decision: Decision
) -> LineResult:
    role_checks.require(actor, Capability.RUN_MATCHING)
    with transaction.atomic():
        locked = _locked_line(line)
        chosen = group if group is not None else locked.group
        if chosen is None:
            raise InvalidState(
                _("No group was proposed for this person. Choose a group, or reject the line."),
                field="group",
            )
        built = recheck(locked, chosen)
        message, screening, enrollment = _act(actor=actor, line=locked, group=chosen, built=built)
        locked.decision = decision
        locked.chosen_group = chosen
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.screening = screening
        locked.enrollment = enrollment
        locked.save(
            update_fields=[
                "decision",
                "chosen_group",
                "decided_by",
                "decided_at",
                "screening",
                "enrollment",
            ]
        )
        audit_change(
            actor=actor,
            action=f"matching.proposal_line.{decision}",
            obj=locked,
            client_id=locked.client_id,
            detail={
                "run": locked.run_id,
                "group": chosen.pk,
                "screening": screening.pk if screening is not None else None,
                "enrollment": enrollment.pk if enrollment is not None else None,
            },
        )
    return LineResult(locked, message, screening, enrollment)


def proposal_line_accept(*, actor: User, line: ProposalLine) -> LineResult:
    """Accept the proposed group (after the re-check): a screening starts, or the place
    is offered to someone already admitted for it."""
    return _decide(actor=actor, line=line, group=None, decision=Decision.ACCEPTED)


def proposal_line_edit(*, actor: User, line: ProposalLine, group: TherapyGroup) -> LineResult:
    """Accept the line with another group (the same re-check against that group)."""
    if line.group_id is not None and group.pk == line.group_id:
        return _decide(actor=actor, line=line, group=None, decision=Decision.ACCEPTED)
    return _decide(actor=actor, line=line, group=group, decision=Decision.EDITED)


def proposal_line_reject(*, actor: User, line: ProposalLine, reason: str) -> LineResult:
    """Reject the line; the reason stays on it (never in the audit log)."""
    role_checks.require(actor, Capability.RUN_MATCHING)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why, for whoever looks at this person next."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            _("Use at most %(n)d characters.") % {"n": REASON_MAX_LENGTH}, field="reason"
        )
    with transaction.atomic():
        locked = _locked_line(line)
        locked.decision = Decision.REJECTED
        locked.decision_reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
        audit_change(
            actor=actor,
            action="matching.proposal_line.rejected",
            obj=locked,
            client_id=locked.client_id,
            changed=["decision", "decision_reason"],
            detail={"run": locked.run_id},
        )
    return LineResult(
        locked,
        _("The proposal for %(name)s is rejected; they stay on the waitlist.")
        % {"name": locked.client.display_name},
    )


def ensure_may_run(actor: User | None) -> None:
    if not role_checks.has(actor, Capability.RUN_MATCHING):
        raise NotPermitted(_("You do not have permission to do that."))
