"""Member pages: read and sign a group's agreement, and read the group's preparation.

Each view: authorize (the member's own place in the group, intake/agreement_signatures.py
``member_enrollment``; anyone else: 404) → validate the shape (forms.py) → call one
service → render. Staff have no member pages: 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.access import deny
from kindred.core.errors import KindredError
from kindred.core.markdown import render_markdown
from kindred.core.middleware import client_ip
from kindred.groups.models import TherapyGroup
from kindred.intake import agreement_signatures as signatures
from kindred.intake import preparation
from kindred.intake.agreements import AgreementStatus
from kindred.scheduling.member import member_client
from kindred.web.agreements.forms import SignForm
from kindred.web.forms import apply_error

if TYPE_CHECKING:
    from kindred.accounts.models import User

View = Callable[..., HttpResponse]
SECTION = "home"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def member_page(view: View) -> View:
    """Signed-in members only; staff and others find nothing here (a denied event, 404)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if member_client(_actor(request)) is None:
            if "group_id" in kwargs:
                deny(_actor(request), TherapyGroup, kwargs["group_id"])
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _fresh_form(request: HttpRequest, initial: dict[str, Any], message: str) -> SignForm:
    """The form again for the version in force (the one on the page now), with the name
    typed kept and the box to tick again, and why at the top."""
    data = request.POST.copy()
    data["version"], data["text_sha256"] = str(initial["version"]), initial["text_sha256"]
    data.pop("agreed", None)
    form = SignForm(data, initial=initial)
    form.is_valid()
    form.add_error(None, message)
    return form


@member_page
@require_http_methods(["GET", "HEAD", "POST"])
def member_agreement(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = _actor(request)
    view = signatures.member_agreement(actor=actor, group_id=group_id)
    version = view.version
    form = None
    if version is not None and view.signature is None:
        initial = {"version": version.pk, "text_sha256": version.body_sha256}
        form = SignForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                signatures.agreement_sign(
                    actor=actor,
                    group=view.group,
                    version_id=form.cleaned_data["version"],
                    text_sha256=form.cleaned_data["text_sha256"],
                    typed_name=form.cleaned_data["typed_name"],
                    agreed=form.cleaned_data["agreed"],
                    ip=client_ip(request),
                )
            except KindredError as exc:
                if exc.field in ("version", "text_sha256"):
                    form = _fresh_form(request, initial, exc.message)
                else:
                    apply_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Thank you for signing. You can download a copy at any time."),
                )
                return redirect("web:member_agreement", group_id=view.group.pk)
    elif request.method == "POST":
        return redirect("web:member_agreement", group_id=view.group.pk)
    return render(
        request,
        "web/agreements/member_agreement.html",
        {
            "section": SECTION,
            "view": view,
            "group": view.group,
            "version": version,
            "body_html": render_markdown(version.body) if version is not None else "",
            "form": form,
            "is_new_version": view.status == AgreementStatus.SIGN_NEW,
            "preparation_url": reverse(
                "web:member_preparation", kwargs={"group_id": view.group.pk}
            ),
        },
    )


@member_page
@require_safe
def member_preparation(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = _actor(request)
    enrollment = signatures.member_enrollment(actor, group_id)
    items = preparation.member_preparation(enrollment.client, enrollment.group)
    return render(
        request,
        "web/agreements/member_preparation.html",
        {
            "section": SECTION,
            "group": enrollment.group,
            "items": [
                (entry, render_markdown(entry.item.body, heading_offset=2)) for entry in items
            ],
            "read": sum(1 for entry in items if entry.read_at is not None),
        },
    )


@member_page
@require_POST
def member_preparation_read(request: HttpRequest, group_id: int, item_id: int) -> HttpResponse:
    actor = _actor(request)
    enrollment = signatures.member_enrollment(actor, group_id)
    item = preparation.get_item_for(actor, enrollment.group, item_id)
    preparation.preparation_mark_read(actor=actor, item=item)
    url = reverse("web:member_preparation", kwargs={"group_id": enrollment.group_id})
    messages.success(request, _("Marked as read: “%(title)s”.") % {"title": item.title})
    return redirect(f"{url}#item-{item.pk}")
