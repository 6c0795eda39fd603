"""A group's agreement and preparation, for staff: who has signed the version the group
uses (group managers and the group's facilitators), and the preparation members read
before their first session (read by anyone who may see the group; written by its
managers and facilitators), with "Copy from another group".

Each view: authorize (groups/access.py, then the intake module's own check) → validate
the shape (forms.py) → call one service → render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.errors import KindredError
from kindred.core.markdown import render_markdown
from kindred.groups.access import get_group_for, visible_groups
from kindred.groups.models import TherapyGroup
from kindred.intake import agreement_signatures as signatures
from kindred.intake import preparation
from kindred.web.agreements.forms import ConfirmForm, CopyForm, PreparationItemForm
from kindred.web.forms import apply_error
from kindred.web.groups.views import staff_page
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User

SECTION = "groups"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _to_preparation(group: TherapyGroup, anchor: str = "") -> HttpResponse:
    url = reverse("web:group_preparation", kwargs={"group_id": group.pk})
    return redirect(f"{url}#{anchor}" if anchor else url)


# --- Signatures --------------------------------------------------------------------------


@staff_page
@require_safe
def group_agreement(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = _actor(request)
    group = get_group_for(actor, group_id)
    if not signatures.can_view_signatures(actor, group):
        raise PermissionDenied(
            _("Only the group's facilitators and coordinators see members' signatures.")
        )
    rows = signatures.group_signature_rows(actor=actor, group=group)
    version = group.agreement_version
    history = paginate(request, signatures.group_signatures(actor=actor, group=group))
    return render(
        request,
        "web/agreements/group_agreement.html",
        {
            "section": SECTION,
            "group": group,
            "version": version,
            "rows": rows,
            "to_sign": sum(1 for r in rows if r.status.needs_signature),
            **history,
        },
    )


# --- Preparation -------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def group_preparation(request: HttpRequest, group_id: int) -> HttpResponse:
    """The group's preparation in order, and a form to add an item at the end."""
    actor = _actor(request)
    group = preparation.staff_group(actor, group_id)
    can_edit = preparation.can_edit_preparation(actor, group)
    form = PreparationItemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only the group's facilitators and coordinators do this."))
        if form.is_valid():
            try:
                item = preparation.preparation_item_create(
                    actor=actor, group=group, **form.cleaned_data
                )
            except KindredError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("“%(title)s” is added.") % {"title": item.title})
                return _to_preparation(group, f"item-{item.pk}")
    items = [
        (item, render_markdown(item.body, heading_offset=2))
        for item in preparation.preparation_items(group)
    ]
    return render(
        request,
        "web/agreements/group_preparation.html",
        {
            "section": SECTION,
            "group": group,
            "items": items,
            "can_edit": can_edit,
            "form": form,
        },
    )


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def preparation_edit(request: HttpRequest, group_id: int, item_id: int) -> HttpResponse:
    actor = _actor(request)
    group = preparation.staff_group(actor, group_id)
    item = preparation.get_item_for(actor, group, item_id, write=True)
    form = PreparationItemForm(
        request.POST if request.method == "POST" else None,
        initial={"title": item.title, "body": item.body},
    )
    if request.method == "POST" and form.is_valid():
        try:
            preparation.preparation_item_update(actor=actor, item=item, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return _to_preparation(group, f"item-{item.pk}")
    back = reverse("web:group_preparation", kwargs={"group_id": group.pk})
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": SECTION,
            "form": form,
            "title": _("Edit “%(title)s”") % {"title": item.title},
            "intro": _("Members who have already read it keep their mark."),
            "submit_label": _("Save"),
            "back_url": back,
            "back_label": _("Preparation for %(group)s") % {"group": group.name},
        },
    )


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def preparation_delete(request: HttpRequest, group_id: int, item_id: int) -> HttpResponse:
    actor = _actor(request)
    group = preparation.staff_group(actor, group_id)
    item = preparation.get_item_for(actor, group, item_id, write=True)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            preparation.preparation_item_delete(actor=actor, item=item)
        except KindredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(title)s” is removed.") % {"title": item.title})
        return _to_preparation(group)
    back = reverse("web:group_preparation", kwargs={"group_id": group.pk})
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": SECTION,
            "form": form,
            "title": _("Remove “%(title)s”?") % {"title": item.title},
            "intro": _("Members will no longer see it."),
            "submit_label": _("Remove"),
            "danger": True,
            "back_url": back,
            "back_label": _("Preparation for %(group)s") % {"group": group.name},
        },
    )


@staff_page
@require_POST
def preparation_move(
    request: HttpRequest, group_id: int, item_id: int, direction: str
) -> HttpResponse:
    if direction not in ("up", "down"):
        raise Http404
    actor = _actor(request)
    group = preparation.staff_group(actor, group_id)
    item = preparation.get_item_for(actor, group, item_id, write=True)
    preparation.preparation_item_move(actor=actor, item=item, up=direction == "up")
    return _to_preparation(group, f"item-{item.pk}")


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def preparation_copy(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = _actor(request)
    group = preparation.staff_group(actor, group_id)
    if not preparation.can_edit_preparation(actor, group):
        raise PermissionDenied(_("Only the group's facilitators and coordinators do this."))
    sources = (
        visible_groups(actor)
        .exclude(pk=group.pk)
        .filter(preparation__isnull=False)
        .distinct()
        .order_by("name", "id")
    )
    form = CopyForm(request.POST if request.method == "POST" else None, groups=sources)
    if request.method == "POST" and form.is_valid():
        source = get_group_for(actor, form.cleaned_data["from_group"].pk)
        try:
            copies = preparation.preparation_copy(actor=actor, group=group, source=source)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _("%(n)d items copied from %(group)s. Read them through and edit as you need.")
                % {"n": len(copies), "group": source.name},
            )
            return _to_preparation(group)
    back = reverse("web:group_preparation", kwargs={"group_id": group.pk})
    return render(
        request,
        "web/agreements/preparation_copy.html",
        {
            "section": SECTION,
            "group": group,
            "form": form,
            "has_sources": sources.exists(),
            "back_url": back,
        },
    )
