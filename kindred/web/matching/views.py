"""Matching pages (coordinators and admins: ``RUN_MATCHING``): start a run, read its
proposal and decide each line, the new groups it suggests, past runs, the weights.

Each view: authorize → check the shape (forms.py) → one service (matching/services.py)
→ render. Members and staff without the capability find nothing here. Pages take a
constant number of queries however long the proposal (one page of lines at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.clients.models import ConcernTag
from kindred.core.errors import KindredError, NotPermitted
from kindred.groups.models import LIVE_STATUSES, TherapyGroup
from kindred.intake.selectors import STATUS_OPEN, WaitlistFilters, waited_words
from kindred.matching import services
from kindred.matching.facts import candidate_groups
from kindred.matching.models import (
    WEIGHT_FIELDS,
    Decision,
    GroupSuggestion,
    MatchRun,
    ProposalLine,
    RunStatus,
)
from kindred.matching.rules import RULE_WORDS
from kindred.matching.types import EXAMPLES
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.practice.settings import practice_settings
from kindred.web.forms import apply_error
from kindred.web.matching.forms import ChooseGroupForm, RejectForm, RunForm, WeightsForm
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User

View = Callable[..., HttpResponse]
SECTION = "matching"
LINES_PER_PAGE = 50
RUNS_SHOWN = 20
#: Groups named per reason on an unplaced line (the count says how many more).
NAMES_PER_REASON = 6
#: How often the page of a running run checks on it.
POLL_SECONDS = 3


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def matching_page(view: View) -> View:
    """Signed-in staff with RUN_MATCHING; members get 404, other staff 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_staff_member", False):
            raise Http404
        if not role_checks.has(_actor(request), Capability.RUN_MATCHING):
            raise PermissionDenied(_("Matching is for intake coordinators and practice admins."))
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def _live_groups() -> Any:
    # Only what the choice list shows: the page lists every live group, and building
    # 2,000 full model objects cost more than the rest of the page (profile at 20,000
    # clients). The chosen group is used by its id.
    return (
        TherapyGroup.objects.filter(status__in=LIVE_STATUSES)
        .only("id", "name")
        .order_by("name", "id")
    )


def _concerns() -> Any:
    return ConcernTag.objects.filter(is_active=True).order_by("name", "id")


def _filters(data: dict[str, Any]) -> WaitlistFilters:
    return WaitlistFilters(
        concern=data["concern"].pk if data.get("concern") else None,
        state=data.get("state") or "",
        modality=data.get("modality") or "",
        waited_weeks=data.get("waited") or None,
        urgency=data.get("urgency") or "",
        group=data["group"].pk if data.get("group") else None,
        status=STATUS_OPEN,
    )


# --- Start, and past runs ------------------------------------------------------------------


@matching_page
@require_http_methods(["GET", "POST"])
def matching_home(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = RunForm(
        request.POST if request.method == "POST" else None,
        concerns=_concerns(),
        groups=_live_groups(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.match_run_enqueue(actor=actor, filters=_filters(form.cleaned_data))
        except KindredError as exc:
            apply_error(form, exc)
        else:
            run.refresh_from_db()  # the task may already have run (DEBUG, tests)
            if run.status == RunStatus.FINISHED:
                messages.success(
                    request,
                    _("Matching finished: %(placed)d of %(people)d people have a proposed group.")
                    % {"placed": run.placed_count, "people": run.people_count},
                )
            elif run.status == RunStatus.RUNNING:
                messages.info(
                    request, _("Matching has started. This page shows how it is getting on.")
                )
            return redirect("web:matching_run", run_id=run.pk)
    seats: list[tuple[str, int, int]] = list(
        candidate_groups()
        .values_list("name", "max_size", "taken")  # type: ignore[misc]
        .order_by("name", "id")[:50]
    )
    return render(
        request,
        "web/matching/home.html",
        {
            "section": SECTION,
            "form": form,
            "groups_with_seats": [(n, m - t) for n, m, t in seats],
            "running": services.running_run(),
            "runs": list(
                MatchRun.objects.select_related("started_by").order_by("-started_at", "-id")[
                    :RUNS_SHOWN
                ]
            ),
        },
    )


# --- A run's proposal ------------------------------------------------------------------------


def _get_run(run_id: int) -> MatchRun:
    run = MatchRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


def _example_ids(line: ProposalLine, per_rule: int) -> set[int]:
    """The example groups a line's explanation names (``per_rule`` of each)."""
    left = services.unplaced_of(line)
    if left is None:
        return set()
    ids = {g for r in left.blocked for g in r.examples[:per_rule]}
    return ids | set(left.fitted_examples[:per_rule])


def _why_left_out(
    line: ProposalLine, names: dict[int, str], per_rule: int
) -> dict[str, Any] | None:
    """Why no group was proposed, in plain words: each rule with how many groups it
    kept them out of ("every group" when all) and a few of them by name, the nearest
    misses first; or the groups they fitted whose places went to others."""
    left = services.unplaced_of(line)
    if left is None:
        return None
    rules = []
    for r in sorted(left.blocked, key=lambda r: -r.groups):
        shown = [names[g] for g in r.examples[:per_rule] if g in names]
        rules.append(
            {
                "words": RULE_WORDS[r.rule],
                "count": r.groups,
                "every": left.groups > 0 and r.groups >= left.groups,
                "names": shown,
                "more": max(0, r.groups - len(shown)),
            }
        )
    fitted = [names[g] for g in left.fitted_examples[:per_rule] if g in names]
    return {
        "groups": left.groups,
        "rules": rules,
        "fitted": left.fitted,
        "fitted_names": fitted,
        "fitted_more": max(0, left.fitted - len(fitted)),
        "placed_elsewhere": left.placed_elsewhere,
    }


def _fairness(run: MatchRun) -> dict[str, Any] | None:
    """The run's fairness summary: days waited of the people proposed against everyone
    waiting who fitted a group, and the longest-waiting people left out with why (two
    queries, whatever the size of the run)."""
    fair = run.fairness or {}
    if not fair.get("placed"):
        return None
    wanted = {
        key: fair[key]["entry_id"]
        for key in ("longest_left_out", "longest_fitted_left_out")
        if fair.get(key)
    }
    lines = {
        line.entry_id: line
        for line in ProposalLine.objects.filter(
            run=run, entry_id__in=set(wanted.values())
        ).select_related("client")
    }
    example_ids = {g for line in lines.values() for g in _example_ids(line, NAMES_PER_REASON)}
    names = dict(TherapyGroup.objects.filter(pk__in=example_ids).values_list("pk", "name"))
    began = run.started_at
    left: list[dict[str, Any]] = []
    for key, entry_id in wanted.items():
        line = lines.get(entry_id)
        if line is None or (key == "longest_fitted_left_out" and left and left[0]["line"] == line):
            continue
        left.append(
            {
                "fitted": key == "longest_fitted_left_out",
                "line": line,
                "waited": waited_words(began - timedelta(days=line.waited_days), began),
                "why": _why_left_out(line, names, NAMES_PER_REASON),
            }
        )
    return {"placed": fair["placed"], "fitted": fair["fitted"], "left": left}


def _meeting_words(start: int, end: int, zone: ZoneInfo) -> str:
    """A weekly UTC interval as the practice says it: "Tuesday 18:00–19:30"."""
    monday = datetime(2026, 1, 5, tzinfo=UTC)  # any Monday
    begins = (monday + timedelta(minutes=start)).astimezone(zone)
    ends = (monday + timedelta(minutes=end)).astimezone(zone)
    return f"{date_format(begins, 'l')} {begins:%H:%M}–{ends:%H:%M}"


def _waiting(request: HttpRequest, run: MatchRun) -> HttpResponse:
    """A run still running (its progress, checked again every few seconds with htmx,
    with a plain link without JavaScript) or one that failed (why)."""
    return render(
        request,
        "web/matching/run_waiting.html",
        {"section": SECTION, "run": run, "poll_seconds": POLL_SECONDS},
    )


@matching_page
@require_safe
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """What the running page polls: the progress while it runs; once it has finished
    (or failed), htmx is told to load the run's page. Without htmx: the run's page."""
    run = _get_run(run_id)
    url = reverse("web:matching_run", args=[run.pk])
    if not request.headers.get("HX-Request"):
        return redirect(url)
    if run.status != RunStatus.RUNNING:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return render(request, "web/matching/_run_progress.html", {"run": run})


@matching_page
@require_safe
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = _actor(request)
    run = _get_run(run_id)
    if run.status != RunStatus.FINISHED:
        return _waiting(request, run)
    show = request.GET.get("show", "proposed")
    if show not in {"proposed", "unplaced", "decided"}:
        show = "proposed"
    lines = ProposalLine.objects.filter(run=run).select_related(
        "client", "group", "chosen_group", "entry", "decided_by"
    )
    if show == "proposed":
        lines = lines.filter(group__isnull=False, decision=Decision.PENDING)
    elif show == "unplaced":
        lines = lines.filter(group__isnull=True, decision=Decision.PENDING)
    else:
        lines = lines.exclude(decision=Decision.PENDING)
    context = paginate(request, lines.order_by("position", "id"), per_page=LINES_PER_PAGE)
    page_lines: list[ProposalLine] = list(context["page_obj"].object_list)
    example_ids = {g for line in page_lines for g in _example_ids(line, NAMES_PER_REASON)}
    names = dict(TherapyGroup.objects.filter(pk__in=example_ids).values_list("pk", "name"))
    now = run.started_at
    rows = [
        {
            "line": line,
            "waited": waited_words(now - timedelta(days=line.waited_days), now),
            "why": _why_left_out(line, names, NAMES_PER_REASON),
        }
        for line in page_lines
    ]
    counts = {
        "proposed": ProposalLine.objects.filter(
            run=run, group__isnull=False, decision=Decision.PENDING
        ).count(),
        "unplaced": ProposalLine.objects.filter(
            run=run, group__isnull=True, decision=Decision.PENDING
        ).count(),
    }
    counts["decided"] = run.people_count - counts["proposed"] - counts["unplaced"]
    zone = ZoneInfo(practice_settings().timezone)
    suggestions = list(GroupSuggestion.objects.filter(run=run).select_related("concern")[:20])
    audit_record(
        actor=actor,
        action="matching.run.viewed",
        category=Category.ACCESS,
        obj=run,
        detail={"show": show, "page": context["page_obj"].number},
    )
    context.update(
        {
            "section": SECTION,
            "run": run,
            "fairness": _fairness(run),
            "show": show,
            "rows": rows,
            "counts": counts,
            "suggestions": [
                {"s": s, "when": _meeting_words(s.meeting_start, s.meeting_end, zone)}
                for s in suggestions
            ],
            "weights_used": [
                (services.weight_label(name), run.weights.get(name)) for name in WEIGHT_FIELDS
            ],
            "running": run.status == RunStatus.RUNNING,
        }
    )
    return render(request, "web/matching/run.html", context)


# --- One line: accept, another group, reject --------------------------------------------------


@matching_page
@require_http_methods(["GET", "POST"])
def line_detail(request: HttpRequest, line_id: int) -> HttpResponse:
    actor = _actor(request)
    line = (
        ProposalLine.objects.select_related(
            "client", "group", "chosen_group", "entry", "run", "decided_by", "screening"
        )
        .filter(pk=line_id)
        .first()
    )
    if line is None:
        raise Http404
    action = request.POST.get("action", "") if request.method == "POST" else ""
    choose = ChooseGroupForm(
        request.POST if action == "edit" else None,
        groups=candidate_groups().exclude(pk=line.group_id or 0).order_by("name", "id"),
    )
    reject = RejectForm(request.POST if action == "reject" else None)
    accept_error = ""
    if request.method == "POST":
        try:
            if action == "accept":
                result = services.proposal_line_accept(actor=actor, line=line)
            elif action == "edit" and choose.is_valid():
                result = services.proposal_line_edit(
                    actor=actor, line=line, group=choose.cleaned_data["group"]
                )
            elif action == "reject" and reject.is_valid():
                result = services.proposal_line_reject(
                    actor=actor, line=line, reason=reject.cleaned_data["reason"]
                )
            else:
                result = None
        except KindredError as exc:
            if action == "edit":
                apply_error(choose, exc)
            elif action == "reject":
                apply_error(reject, exc)
            else:
                accept_error = exc.message
        else:
            if result is not None:
                messages.success(request, result.message)
                return redirect("web:matching_run", run_id=line.run_id)
    audit_record(
        actor=actor,
        action="matching.proposal_line.viewed",
        category=Category.ACCESS,
        obj=line,
        client_id=line.client_id,
    )
    example_ids = _example_ids(line, EXAMPLES)
    names = dict(TherapyGroup.objects.filter(pk__in=example_ids).values_list("pk", "name"))
    return render(
        request,
        "web/matching/line.html",
        {
            "section": SECTION,
            "line": line,
            "run": line.run,
            "waited": waited_words(
                line.run.started_at - timedelta(days=line.waited_days), line.run.started_at
            ),
            "why": _why_left_out(line, names, EXAMPLES),
            "choose": choose,
            "reject": reject,
            "accept_error": accept_error,
            "pending": line.decision == Decision.PENDING,
            "status": request.POST and (accept_error or choose.errors or reject.errors),
        },
        status=409 if accept_error else 200,
    )


# --- Weights -----------------------------------------------------------------------------------


@matching_page
@require_http_methods(["GET", "POST"])
def weights(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    row = services.matching_settings()
    form = WeightsForm(request.POST if request.method == "POST" else None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            services.matching_settings_update(actor=actor, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The weights are saved; the next run uses them."))
            return redirect("web:matching_settings")
    return render(request, "web/matching/settings.html", {"section": SECTION, "form": form})
