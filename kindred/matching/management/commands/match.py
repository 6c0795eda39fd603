"""``manage.py match``: run matching over the waitlist, as the matching page does.

A dry run by default: it prints the proposal and changes nothing. ``--save`` stores a
run (its proposal then waits on the matching page for a coordinator to decide each
line). ``--json`` prints the proposal as JSON. Progress goes to standard error.

The output names people by waitlist entry and client id, never by name, so the logs of a
scheduled run hold no names.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kindred.core.errors import KindredError
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Urgency
from kindred.intake.selectors import STATUS_OPEN, WaitlistFilters
from kindred.matching import services
from kindred.matching.models import ProposalLine
from kindred.matching.rules import RULE_WORDS
from kindred.matching.types import Rule

STEPS = 3


class Command(BaseCommand):
    help = (
        "Propose places for the people on the waitlist (dry run unless --save). "
        "Filters narrow the waitlist as on the waitlist page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--save", action="store_true", help="Store the run and its proposal.")
        parser.add_argument("--json", action="store_true", help="Print the proposal as JSON.")
        parser.add_argument("--concern", type=int, help="Only people with this concern (id).")
        parser.add_argument("--state", default="", help="Only people living in this state.")
        parser.add_argument(
            "--modality", default="", choices=["", "virtual", "in_person"], help="How they meet."
        )
        parser.add_argument("--urgency", default="", choices=["", *Urgency.values])
        parser.add_argument("--group", type=int, help="Only people waiting for this group (id).")
        parser.add_argument(
            "--waited-weeks", type=int, help="Only people waiting longer than this many weeks."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filters = WaitlistFilters(
            concern=options["concern"],
            state=(options["state"] or "").upper(),
            modality=options["modality"] or "",
            urgency=options["urgency"] or "",
            group=options["group"],
            waited_weeks=options["waited_weeks"],
            status=STATUS_OPEN,
        )
        with tqdm(total=STEPS, desc="Matching", unit="step", disable=None) as bar:

            def progress(text: str) -> None:
                bar.set_postfix_str(text)
                bar.update(1)

            try:
                if options["save"]:
                    run = services.match_run_start(actor=None, filters=filters, progress=progress)
                    report = _report_of_run(run.pk)
                else:
                    outcome = services.match_compute(actor=None, filters=filters, progress=progress)
                    report = _report_of_outcome(outcome)
            except KindredError as exc:
                raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
            return
        self._print(report, saved=options["save"])

    def _print(self, report: dict[str, Any], *, saved: bool) -> None:
        names = report["group_names"]
        self.stdout.write(
            f"{report['people']} people, {report['groups']} groups with open seats: "
            f"{len(report['placements'])} proposed, {len(report['unplaced'])} not placed, "
            f"{len(report['suggestions'])} new groups suggested."
        )
        self.stdout.write(
            f"Solver: {report['status']}, objective {report['objective']:.2f}, "
            f"bound {report['bound']:.2f}, gap {report['gap']:.2%}, {report['seconds']:.2f} s."
        )
        for p in report["placements"]:
            why = "; ".join(f"{r['words']} (+{r['points']:.1f})" for r in p["reasons"])
            self.stdout.write(
                f"  entry {p['entry_id']} (client {p['client_id']}) -> "
                f"{names.get(str(p['group_id']), p['group_id'])}: {p['score']:.1f}. {why}"
            )
        for u in report["unplaced"]:
            self.stdout.write(f"  entry {u['entry_id']} (client {u['client_id']}) not placed.")
            why = u["blocked"]
            if why.get("placed_elsewhere"):
                self.stdout.write("    Proposed for a group through another waitlist entry.")
            elif why.get("fitted"):
                self.stdout.write(
                    f"    Fitted {why['fitted']} group(s); the places went to others."
                )
            for r in why.get("rules", ()):
                every = "every group" if r["groups"] == why["groups"] else f"{r['groups']} group(s)"
                self.stdout.write(f"    {every}: {RULE_WORDS[Rule(r['rule'])]}")
        for s in report["suggestions"]:
            self.stdout.write(
                f"  New group: {s['modality']} in {', '.join(s['states'])}, concern "
                f"{s['concern_id']}, for {s['count']} people."
            )
        if saved:
            self.stdout.write(f"Saved as run {report['run']}.")
        else:
            self.stdout.write("Dry run: nothing was changed. Use --save to store the proposal.")


def _group_names(ids: set[int]) -> dict[str, str]:
    return {
        str(pk): name
        for pk, name in TherapyGroup.objects.filter(pk__in=ids).values_list("pk", "name")
    }


def _report_of_outcome(outcome: services.Outcome) -> dict[str, Any]:
    solution, built = outcome.solution, outcome.facts
    placed = {p.entry_id for p in solution.placements}
    return {
        "run": None,
        "status": solution.status,
        "objective": float(solution.objective),
        "bound": float(solution.bound),
        "gap": float(solution.gap),
        "seconds": float(solution.seconds),
        "people": len(outcome.problem.people),
        "groups": len(outcome.problem.groups),
        "group_names": _group_names({p.group_id for p in solution.placements}),
        "placements": [
            {
                "entry_id": p.entry_id,
                "client_id": built.client_of_entry.get(p.entry_id),
                "group_id": p.group_id,
                "score": round(float(p.score), 3),
                "reasons": services._reasons_json(p.reasons),
            }
            for p in solution.placements
        ],
        "unplaced": [
            {
                "entry_id": u.entry_id,
                "client_id": built.client_of_entry.get(u.entry_id),
                "blocked": services.blocked_json(u),
            }
            for u in solution.unplaced
            if u.entry_id not in placed
        ],
        "suggestions": [
            {
                "modality": str(s.modality),
                "states": sorted(s.states),
                "concern_id": s.concern_id,
                "meeting": [s.meeting.start, s.meeting.end],
                "count": len(s.entry_ids),
                "entry_ids": list(s.entry_ids),
            }
            for s in solution.suggestions
        ],
    }


def _report_of_run(run_id: int) -> dict[str, Any]:
    from kindred.matching.models import MatchRun

    run = MatchRun.objects.get(pk=run_id)
    lines = list(ProposalLine.objects.filter(run=run).order_by("position"))
    return {
        "run": run.pk,
        "status": run.solver_status,
        "objective": run.objective or 0.0,
        "bound": run.bound or 0.0,
        "gap": run.gap or 0.0,
        "seconds": run.seconds or 0.0,
        "people": run.people_count,
        "groups": run.group_count,
        "group_names": _group_names({x.group_id for x in lines if x.group_id is not None}),
        "placements": [
            {
                "entry_id": x.entry_id,
                "client_id": x.client_id,
                "group_id": x.group_id,
                "score": x.score,
                "reasons": x.reasons,
            }
            for x in lines
            if x.group_id is not None
        ],
        "unplaced": [
            {"entry_id": x.entry_id, "client_id": x.client_id, "blocked": x.blocked}
            for x in lines
            if x.group_id is None
        ],
        "suggestions": [
            {
                "modality": s.modality,
                "states": s.states,
                "concern_id": s.concern_id,
                "meeting": [s.meeting_start, s.meeting_end],
                "count": s.count,
                "entry_ids": s.entry_ids,
            }
            for s in run.suggestions.all()
        ],
    }
