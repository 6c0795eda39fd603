"""The public group directory (no sign-in), "Request to join", and the coordinators'
list of join requests.

The directory pages hold no personal data, so for visitors who are not signed in they
may be kept by browsers and proxies for a few minutes (``PUBLIC_CACHE``), overriding
the no-store default; they carry no CSRF token or cookie for the same reason. The join
form and everything for signed-in people stay no-store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.antispam import RateLimited
from kindred.core.errors import KindredError, NotPermitted
from kindred.core.middleware import client_ip
from kindred.groups import directory
from kindred.groups.directory import DirectoryFilters
from kindred.web.directory.forms import DirectoryFilterForm, JoinRequestForm, read_stamp
from kindred.web.forms import apply_error
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User

PUBLIC_CACHE = "public, max-age=300"
PAGE_SIZE = 20


def _public(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """Context for a page that may be cached publicly: no CSRF token (it would set a
    cookie and tie the page to one visitor)."""
    if not request.user.is_authenticated:
        context["csrf_token"] = ""
    return context


def _cacheable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not request.user.is_authenticated:
        response["Cache-Control"] = PUBLIC_CACHE
    return response


@require_safe
def directory_list(request: HttpRequest) -> HttpResponse:
    concerns = list(directory.offered_concerns().values_list("pk", "name"))
    form = DirectoryFilterForm(request.GET or None, concerns=concerns)
    filters = DirectoryFilters()
    if form.is_valid():
        filters = DirectoryFilters(
            concern=form.cleaned_data.get("concern"),
            modality=form.cleaned_data.get("modality") or "",
        )
    paging = paginate(request, directory.directory_groups(filters), per_page=PAGE_SIZE)
    entries = directory.directory_entries(paging["page_obj"])
    context = _public(
        request,
        {
            "section": "directory",
            "form": form,
            "entries": entries,
            "filtered": filters != DirectoryFilters(),
            **paging,
        },
    )
    return _cacheable(request, render(request, "web/directory/list.html", context))


@require_safe
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = directory.directory_group(slug)
    [entry] = directory.directory_entries([group])
    context = _public(request, {"section": "directory", "entry": entry})
    return _cacheable(request, render(request, "web/directory/detail.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest, slug: str) -> HttpResponse:
    group = directory.directory_group(slug)
    form = JoinRequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome, _saved = directory.join_request_create(
                group=group,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                state=data["state"],
                ip=client_ip(request),
                honeypot=data["website"],
                shown_at=read_stamp(data["shown"]),
            )
        except RateLimited as exc:
            apply_error(form, exc)
            status = 429
        except KindredError as exc:
            apply_error(form, exc)
        else:
            del outcome  # the visitor sees the same thanks whatever happened
            return redirect("web:directory_join_thanks", slug=group.slug)
    if form.is_bound:
        # A fresh "shown at" for the next try, so a slow first attempt is not held
        # against the second.
        data = request.POST.copy()
        data["shown"] = JoinRequestForm().initial["shown"]
        form.data = data
    [entry] = directory.directory_entries([group])
    return render(
        request,
        "web/directory/join.html",
        {"section": "directory", "entry": entry, "form": form},
        status=status,
    )


@require_safe
def join_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    group = directory.directory_group(slug)
    return render(request, "web/directory/thanks.html", {"section": "directory", "group": group})


# --- Coordinators ------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_safe
def join_request_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    handled = request.GET.get("show") == "handled"
    try:
        requests = directory.join_request_list(actor=actor, handled=handled)
    except NotPermitted as exc:
        if not getattr(actor, "is_staff_member", False):
            raise Http404 from exc
        raise PermissionDenied(exc.message) from exc
    return render(
        request,
        "web/directory/join_requests.html",
        {"section": "join_requests", "handled": handled, **paginate(request, requests)},
    )


@login_required
@require_POST
def join_request_handle(request: HttpRequest, request_id: int) -> HttpResponse:
    actor = _actor(request)
    join_request = directory.get_join_request_for(actor, request_id)
    handled = request.POST.get("handled", "1") != "0"
    directory.join_request_mark_handled(actor=actor, join_request=join_request, handled=handled)
    if handled:
        messages.success(
            request,
            _("The request from %(name)s is marked handled.") % {"name": join_request.name},
        )
    else:
        messages.success(
            request, _("The request from %(name)s is open again.") % {"name": join_request.name}
        )
    back = reverse("web:join_request_list")
    return redirect(back + ("?show=handled" if not handled else ""))
