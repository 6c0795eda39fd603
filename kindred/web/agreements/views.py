"""Group agreement templates for staff: the list, one template with its versions, writing
the next version (a draft), publishing it, reading a published version; and the PDF of a
signature (for the member who signed it and for the group's staff).

Each view: authorize (intake/agreements.py ``get_template_for``, ``get_version_for``;
agreement_signatures.py ``get_signature_for``) → validate the shape (forms.py) → call one
service → render. Everyone on staff may read; the practice admin (MANAGE_PRACTICE) writes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.accounts.reauth import sensitive
from kindred.core.access import deny
from kindred.core.errors import KindredError, NotPermitted
from kindred.core.markdown import render_markdown
from kindred.intake import agreements
from kindred.intake.agreement_signatures import agreement_signature_export, get_signature_for
from kindred.intake.models import AgreementTemplate
from kindred.intake.pdf import signature_filename
from kindred.web.agreements.forms import ConfirmForm, DraftForm, TemplateCreateForm
from kindred.web.forms import apply_error

if TYPE_CHECKING:
    from kindred.accounts.models import User

View = Callable[..., HttpResponse]
SECTION = "agreements"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def staff_page(view: View) -> View:
    """Signed-in staff only (members and others: a denied event and 404); a refusal
    from a service becomes a 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_staff_member", False):
            deny(_actor(request), AgreementTemplate, kwargs.get("template_id", ""))
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def _to_template(template: AgreementTemplate, anchor: str = "") -> HttpResponse:
    response = redirect("web:agreement_detail", template_id=template.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


# --- Templates ----------------------------------------------------------------------------


@staff_page
@require_safe
def agreement_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(
        request,
        "web/agreements/list.html",
        {
            "section": SECTION,
            "templates": list(agreements.template_list(actor=actor)),
            "can_manage": agreements.can_manage_templates(actor),
            "example_available": agreements.example_available(),
        },
    )


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not agreements.can_manage_templates(actor):
        raise PermissionDenied(_("Only the practice admin changes group agreements."))
    form = TemplateCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            template = agreements.agreement_template_create(
                actor=actor, name=form.cleaned_data["name"]
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Write the first version, then publish it."))
            return redirect("web:agreement_draft", template_id=template.pk)
    return render(
        request,
        "web/agreements/create.html",
        {"section": SECTION, "form": form, "example_available": agreements.example_available()},
    )


@staff_page
@require_POST
def agreement_from_example(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not agreements.can_manage_templates(actor):
        raise PermissionDenied(_("Only the practice admin changes group agreements."))
    try:
        template = agreements.agreement_template_from_example(actor=actor)
    except KindredError as exc:
        messages.error(request, exc.message)
        return redirect("web:agreement_list")
    messages.success(
        request,
        _(
            "Kindred's example is ready for you to read and change. Members see nothing "
            "until you publish it."
        ),
    )
    return redirect("web:agreement_draft", template_id=template.pk)


@staff_page
@require_safe
def agreement_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = _actor(request)
    template = agreements.get_template_for(actor, template_id)
    return render(
        request,
        "web/agreements/detail.html",
        {
            "section": SECTION,
            "template": template,
            "versions": list(agreements.template_versions(template)),
            "draft": agreements.draft_of(template),
            "can_manage": agreements.can_manage_templates(actor),
        },
    )


@staff_page
@require_safe
def agreement_version(request: HttpRequest, version_id: int) -> HttpResponse:
    version = agreements.get_version_for(_actor(request), version_id)
    return render(
        request,
        "web/agreements/version.html",
        {
            "section": SECTION,
            "version": version,
            "template": version.template,
            "body_html": render_markdown(version.body),
        },
    )


# --- Writing the next version -------------------------------------------------------------


@staff_page
@require_POST
def agreement_draft_start(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = _actor(request)
    template = agreements.get_template_for(actor, template_id, write=True)
    try:
        agreements.agreement_draft_start(actor=actor, template=template)
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect("web:agreement_draft", template_id=template.pk)


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_draft(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = _actor(request)
    template = agreements.get_template_for(actor, template_id, write=True)
    draft = agreements.draft_of(template)
    if draft is None:
        messages.info(request, _("Start a new version first."))
        return _to_template(template)
    initial = {
        "body": draft.body,
        "summary_of_changes": draft.summary_of_changes,
        "posts_when_leaving": draft.posts_when_leaving,
    }
    form = DraftForm(request.POST if request.method == "POST" else None, initial=initial)
    preview = draft.body
    if request.method == "POST" and form.is_valid():
        preview = form.cleaned_data["body"]
        try:
            agreements.agreement_draft_update(actor=actor, template=template, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            if "publish" in request.POST:
                return redirect("web:agreement_publish", template_id=template.pk)
            messages.success(request, _("Saved. Members see nothing until you publish it."))
            return redirect("web:agreement_draft", template_id=template.pk)
    return render(
        request,
        "web/agreements/draft.html",
        {
            "section": SECTION,
            "template": template,
            "draft": draft,
            "form": form,
            "preview_html": render_markdown(preview),
        },
    )


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_publish(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = _actor(request)
    template = agreements.get_template_for(actor, template_id, write=True)
    draft = agreements.draft_of(template)
    if draft is None:
        raise Http404
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            version = agreements.agreement_version_publish(actor=actor, template=template)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Version %(number)d is published. Choose it on a group's page to ask "
                    "its members to sign it."
                )
                % {"number": version.number},
            )
            return _to_template(template)
    latest = agreements.latest_version(template)
    return render(
        request,
        "web/agreements/publish.html",
        {
            "section": SECTION,
            "template": template,
            "draft": draft,
            "latest": latest,
            "form": form,
            "next_number": (latest.number if latest else 0) + 1,
            "body_html": render_markdown(draft.body),
        },
    )


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_discard(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = _actor(request)
    template = agreements.get_template_for(actor, template_id, write=True)
    if agreements.draft_of(template) is None:
        return _to_template(template)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            agreements.agreement_draft_discard(actor=actor, template=template)
        except KindredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The unpublished version is thrown away."))
        return _to_template(template)
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": SECTION,
            "form": form,
            "title": _("Throw away the unpublished version of %(name)s?") % {"name": template.name},
            "intro": _("Published versions, and members' signatures, stay as they are."),
            "submit_label": _("Throw it away"),
            "danger": True,
            "back_url": reverse("web:agreement_detail", kwargs={"template_id": template.pk}),
            "back_label": template.name,
        },
    )


# --- A signature as a PDF -------------------------------------------------------------------


def _signature_pdf(request: HttpRequest, signature_id: int) -> HttpResponse:
    actor = _actor(request)
    signature = get_signature_for(actor, signature_id)
    pdf = agreement_signature_export(actor=actor, signature=signature)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{signature_filename(signature)}"'
    response["Cache-Control"] = "no-store"
    return response


# Staff download other people's signed agreements: a sensitive export, so a recent
# sign-in is asked for first (as for the licensure report's downloads).
_staff_signature_pdf = sensitive(_signature_pdf)


@login_required
@require_safe
def signature_pdf(request: HttpRequest, signature_id: int) -> HttpResponse:
    """The signed agreement as a PDF: for the member who signed it, and for the
    coordinators and facilitators of its group. Anyone else: 404."""
    if getattr(request.user, "is_staff_member", False):
        get_signature_for(_actor(request), signature_id)  # not theirs: 404 before any prompt
        return _staff_signature_pdf(request, signature_id)
    return _signature_pdf(request, signature_id)
