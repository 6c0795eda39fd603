"""Emergency (break-glass) access pages: a clinician opens one record outside their
groups for a limited time, after re-authenticating and typing a reason; admins review
every use."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.accounts.reauth import recently_confirmed, sensitive
from kindred.breakglass import selectors, services
from kindred.breakglass.access import grant_minutes, may_break_glass
from kindred.breakglass.models import BreakGlassGrant
from kindred.core.errors import KindredError
from kindred.web.breakglass.forms import AcknowledgeForm, BreakGlassForm
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of, staff_page_for

staff_page = staff_page_for(BreakGlassGrant, "grant_id")


@staff_page
@sensitive
@require_http_methods(["GET", "POST"])
def open_grant(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not may_break_glass(actor):
        raise PermissionDenied(_("Only clinicians can use emergency access."))
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.find_client(
                actor=actor,
                last_name=form.cleaned_data["last_name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
            grant = services.breakglass_open(
                actor=actor,
                client=client,
                reason=form.cleaned_data["reason"],
                reauthenticated=recently_confirmed(request),
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.warning(
                request,
                _(
                    "Emergency access is open until %(time)s. Every page you open is "
                    "recorded, and the privacy officer has been told."
                )
                % {"time": grant.expires_at.strftime("%H:%M UTC")},
            )
            return redirect("web:client_detail", client_id=grant.client_id)
    context = {
        "section": "clients",
        "form": form,
        "grants": selectors.my_grants(actor),
        "minutes": grant_minutes(),
    }
    return render(request, "web/breakglass/open.html", context)


@staff_page
@require_POST
def end_grant(request: HttpRequest, grant_id: int) -> HttpResponse:
    actor = actor_of(request)
    grant = selectors.get_own_grant(actor, grant_id)
    services.breakglass_end(actor=actor, grant=grant)
    messages.success(request, _("Emergency access ended."))
    return redirect("web:breakglass_open")


@staff_page
@require_safe
def review(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    show = "all" if request.GET.get("show") == "all" else "open"
    grants = list(selectors.review_list(actor, show=show))
    return render(
        request,
        "web/breakglass/review.html",
        {"section": "audit", "grants": grants, "show": show, "form": AcknowledgeForm()},
    )


@staff_page
@require_POST
def acknowledge(request: HttpRequest, grant_id: int) -> HttpResponse:
    actor = actor_of(request)
    grant = selectors.get_grant_for_review(actor, grant_id)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.breakglass_acknowledge(
                actor=actor, grant=grant, note=form.cleaned_data["note"]
            )
        except KindredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Marked as reviewed."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(reverse("web:breakglass_review"))
