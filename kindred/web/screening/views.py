"""Screening pages (clinicians who screen, and coordinators) and the intake funnel
report (coordinators and admins).

Each view: authorize (intake/screening_access.py, screening_selectors.py) → check the
shape (forms.py) → call one service (intake/screening.py, intake/funnel.py) → render.
Members find nothing here; someone else's screening is a 404.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kindred.accounts.reauth import sensitive
from kindred.audit.services import audit_access
from kindred.core.errors import KindredError, NotPermitted
from kindred.groups.models import SEAT_STATUSES, Enrollment
from kindred.intake import funnel, screening_access, screening_selectors
from kindred.intake.admission import admission_status
from kindred.intake.models import Screening
from kindred.intake.screening import (
    EXCLUSION_FIELDS,
    FIELDS,
    screening_create,
    screening_update,
)
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.web.forms import apply_error
from kindred.web.pages import View, actor_of, staff_page_for
from kindred.web.paging import paginate
from kindred.web.screening.forms import (
    ACTION_DECIDE,
    ACTION_DRAFT,
    CandidateSearchForm,
    FunnelForm,
    NewScreeningForm,
    ScreeningFilterForm,
    ScreeningForm,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.intake.models import WaitlistEntry

staff_page = staff_page_for(Screening, "screening_id")
SECTION = "home"


def _require_screening(actor: User) -> None:
    if not screening_access.may_screen(actor):
        raise NotPermitted(_("You do not screen candidates."))


def _action(request: HttpRequest) -> str:
    return ACTION_DECIDE if request.POST.get("action") == ACTION_DECIDE else ACTION_DRAFT


# --- List ------------------------------------------------------------------------------------


@staff_page
@require_safe
def screening_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_screening(actor)
    form = ScreeningFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = screening_selectors.ScreeningFilters(
        status=data.get("status") or "",
        decision=data.get("decision") or "",
        mine=bool(data.get("mine")),
    )
    context = paginate(request, screening_selectors.screening_list(actor=actor, filters=filters))
    screening_selectors.audit_listed(
        actor=actor, screenings=list(context["page_obj"].object_list), client_id=None
    )
    awaiting_count, _rows = screening_selectors.awaiting_decision(actor=actor, limit=0)
    context.update(
        {
            "section": SECTION,
            "form": form,
            "filtered": any([filters.status, filters.decision, filters.mine]),
            "awaiting_count": awaiting_count,
            "waiting": screening_selectors.candidates_waiting(actor=actor, limit=10),
            "manages": screening_access.manages(actor),
        }
    )
    return render(request, "web/screening/list.html", context)


# --- Start a screening -------------------------------------------------------------------------


def _candidate(actor: User, source: Any) -> tuple[Client | None, WaitlistEntry | None]:
    if source.get("entry"):
        entry = screening_access.get_entry_for(actor, source.get("entry"))
        return entry.client, entry
    if source.get("client"):
        return screening_access.get_candidate_for(actor, source.get("client")), None
    return None, None


def _candidate_context(actor: User, client: Client) -> dict[str, Any]:
    """What the new-screening page shows about the candidate: their questionnaires and
    earlier screenings (clinical: one access event for the page)."""
    audit_access(
        actor=actor, action="intake.screening_candidate.viewed", obj=client, client_id=client.pk
    )
    earlier = list(
        screening_selectors.screening_list(
            actor=actor, filters=screening_selectors.ScreeningFilters(client=client.pk)
        )[:10]
    )
    return {
        "client": client,
        "scores": screening_selectors.intake_scores(client),
        "earlier": earlier,
    }


@staff_page
@require_http_methods(["GET", "POST"])
def screening_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_screening(actor)
    source = request.POST if request.method == "POST" else request.GET
    client, entry = _candidate(actor, source)
    if client is None:
        search_form = CandidateSearchForm(request.GET or None)
        search = (
            search_form.cleaned_data.get("q", "")
            if search_form.is_bound and search_form.is_valid()
            else ""
        )
        return render(
            request,
            "web/screening/choose.html",
            {
                "section": SECTION,
                "form": search_form,
                "search": search,
                "candidates": screening_selectors.candidate_search(actor=actor, search=search)
                if search
                else [],
                "waiting": screening_selectors.candidates_waiting(actor=actor, limit=20),
            },
        )
    groups = screening_access.screenable_groups(actor).order_by("name", "id")
    screeners = (
        screening_access.screener_choices(actor) if screening_access.manages(actor) else None
    )
    initial_group = (entry.group_id if entry is not None else None) or request.GET.get("group")
    form = NewScreeningForm(
        request.POST if request.method == "POST" else None,
        initial={"group": initial_group},
        groups=groups,
        screeners=screeners,
        action=_action(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = screening_create(
                actor=actor,
                client=client,
                group=form.cleaned_data["group"],
                entry=entry,
                screener=form.cleaned_data.get("screener"),
                decision=form.decision_to_record,
                **form.fields_for_service(),
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, result.message)
            return redirect("web:screening_detail", screening_id=result.screening.pk)
    context = _candidate_context(actor, client)
    context.update({"section": SECTION, "form": form, "entry": entry})
    return render(request, "web/screening/new.html", context)


# --- One screening ---------------------------------------------------------------------------


def _initial(screening: Screening) -> dict[str, Any]:
    initial = {field: getattr(screening, field) for field in FIELDS}
    initial["exclusions"] = [f for f in EXCLUSION_FIELDS if getattr(screening, f)]
    return initial


def _place(screening: Screening) -> dict[str, Any]:
    """The candidate's place in the group, if they hold one, with its admission steps."""
    place = (
        Enrollment.objects.filter(
            client_id=screening.client_id, group_id=screening.group_id, status__in=SEAT_STATUSES
        )
        .order_by("-invited_at")
        .first()
    )
    return {"place": place, "admission": admission_status(place) if place else None}


@staff_page
@require_http_methods(["GET", "POST"])
def screening_detail(request: HttpRequest, screening_id: int) -> HttpResponse:
    actor = actor_of(request)
    form: ScreeningForm | None = None
    if request.method == "POST":
        screening = screening_access.get_screening_for(actor, screening_id, write=True)
        form = ScreeningForm(request.POST, action=_action(request))
        if form.is_valid():
            try:
                result = screening_update(
                    actor=actor,
                    screening=screening,
                    decision=form.decision_to_record,
                    **form.fields_for_service(),
                )
            except KindredError as exc:
                if screening.decided_at is not None:  # no form to show the error beside
                    messages.error(request, exc.message)
                    return redirect("web:screening_detail", screening_id=screening.pk)
                apply_error(form, exc)
            else:
                messages.success(request, result.message)
                return redirect("web:screening_detail", screening_id=screening.pk)
    context = screening_selectors.screening_detail(actor=actor, screening_id=screening_id)
    screening = context["screening"]
    editable = screening.decided_at is None and screening.screener_id == actor.pk
    if editable and form is None:
        form = ScreeningForm(initial=_initial(screening))
    context.update(_place(screening))
    context.update(
        {
            "section": SECTION,
            "form": form if editable else None,
            "decision_label": screening_selectors.decision_label(screening),
        }
    )
    return render(request, "web/screening/detail.html", context)


# --- Funnel report ---------------------------------------------------------------------------


def _report_page(view: View) -> View:
    @staff_page
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        role_checks.require(actor_of(request), Capability.VIEW_INTAKE_REPORTS)
        return view(request, *args, **kwargs)

    return wrapper


def _range(request: HttpRequest) -> tuple[FunnelForm, dict[str, Any]]:
    form = FunnelForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, {"start": data.get("start"), "end": data.get("end")}


@_report_page
@require_safe
def funnel_report(request: HttpRequest) -> HttpResponse:
    form, dates = _range(request)
    report = funnel.funnel_report(actor=actor_of(request), **dates)
    if not form.is_bound or not form.is_valid():
        form = FunnelForm(initial={"start": report.start, "end": report.end})
    return render(
        request,
        "web/screening/funnel.html",
        {
            "section": SECTION,
            "form": form,
            "report": report,
            "query": request.GET.urlencode(),
        },
    )


@_report_page
@sensitive
@require_safe
def funnel_report_csv(request: HttpRequest) -> HttpResponse:
    """The funnel as a spreadsheet: an export, so it asks for a recent sign-in and is
    audited as one."""
    _form, dates = _range(request)
    report = funnel.funnel_report(actor=actor_of(request), exported=True, **dates)
    response = HttpResponse(funnel.funnel_csv(report), content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="kindred-intake-funnel-{day}.csv"'
    return response
