"""Direct messages between two members of a group, under the facilitator's eye.

Off unless a facilitator turns them on for the group (the moderation page). Members
see their own conversations; the group's facilitators can read every conversation
(members are told so on every page) and hide messages, and reading one is audited.
When messages are turned off, the space is paused, the writer is muted or either
person has left the group, the conversation stays readable and sending is refused
with the reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kindred.core.access import deny
from kindred.core.errors import KindredError, NotFound
from kindred.space import selectors, services
from kindred.space.access import (
    SpaceAccess,
    get_conversation_for,
    get_message_for,
    get_own_conversation_for,
    get_own_message_for,
    get_space_for,
)
from kindred.space.models import DirectMessage, MessageReport
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of
from kindred.web.space.forms import (
    MessageForm,
    MessageReportForm,
    ReasonForm,
    StartConversationForm,
)
from kindred.web.space.views import _context, _name_url, _needs_name, space_page


def _start_form(access: SpaceAccess, actor: Any, data: Any = None) -> StartConversationForm:
    form = StartConversationForm(data)
    form.fields["member"].choices = [  # type: ignore[attr-defined]
        (user.pk, name)
        for user, name in selectors.moderation_members(access)
        if name and user.pk != actor.pk
    ]
    return form


def why_not_send(access: SpaceAccess, actor: Any) -> str:
    """Why the message box is not offered, or "" when it is."""
    if not access.is_member:
        return ""
    if not access.space.direct_messages_allowed:
        return _(
            "Direct messages are turned off for this group by the facilitator. Earlier "
            "messages are kept and you can still read them."
        )
    if access.space.paused:
        return _("The space is paused, so nobody can send messages right now.")
    if services.active_mute(access.space, actor) is not None:
        return _("A facilitator has paused your posting and messaging in this space for now.")
    return ""


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def conversations(request: HttpRequest, group_id: int) -> HttpResponse:
    """A member's conversations (and a form to start one); all of them for facilitators."""
    actor = actor_of(request)
    access = get_space_for(actor, group_id, allow_former=request.method == "POST")
    if request.method != "POST" and _needs_name(request, access):
        return redirect(_name_url(access, request.path))
    form = _start_form(access, actor, request.POST or None) if access.role != "former" else None
    status = 200
    if request.method == "POST":
        status = 400
        if form is None:  # a former member: the service says so plainly
            try:
                services.conversation_start(actor=actor, access=access, with_user_id=0)
            except KindredError as exc:
                return render(
                    request, "web/space/left.html", _context(access, message=[exc.message]),
                    status=409,
                )  # fmt: skip
        elif form.is_valid():
            try:
                convo = services.conversation_start(
                    actor=actor, access=access, with_user_id=form.cleaned_data["member"]
                )
            except KindredError as exc:
                apply_error(form, exc)
            else:
                return redirect("web:space_conversation", conversation_id=convo.pk)
    rows, more = selectors.conversation_list(access, actor)
    return render(
        request,
        "web/space/messages.html",
        _context(access, rows=rows, more=more, form=form, cannot_send=why_not_send(access, actor)),
        status=status,
    )


def _crisis(request: HttpRequest, rows: list[selectors.MessageRow]) -> bool:
    sent = request.GET.get("sent", "")
    return any(str(r.message.pk) == sent and r.is_mine and r.message.risk_flagged for r in rows)


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":  # sending: the two members only, before the body is read
        access, convo = get_own_conversation_for(actor, conversation_id, allow_former=True)
    else:  # reading: the members and the group's facilitators
        access, convo = get_conversation_for(actor, conversation_id)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.message_send(
                actor=actor, access=access, conversation=convo, body=form.cleaned_data["body"]
            )
        except KindredError as exc:
            apply_error(form, exc)
            if access.role == "former":
                return render(
                    request, "web/space/left.html",
                    _context(access, message=form.non_field_errors()), status=409,
                )  # fmt: skip
        else:
            url = reverse("web:space_conversation", args=[convo.pk])
            if message.risk_flagged:
                return redirect(f"{url}?sent={message.pk}#support")
            flash.success(request, _("Sent."))
            return redirect(f"{url}#message-{message.pk}")
    rows, more, pair = selectors.conversation_messages(access, actor, convo)
    last_id = max((r.message.pk for r in rows), default=0)
    services.conversation_mark_read(actor=actor, conversation=convo, up_to_id=last_id)
    other = [p for p in pair if access.is_facilitator or p.label != _own_label(access, actor)]
    return render(
        request,
        "web/space/conversation.html",
        _context(
            access,
            conversation=convo,
            rows=rows,
            more=more,
            pair=pair,
            other=other,
            form=form,
            crisis=_crisis(request, rows),
            cannot_send=why_not_send(access, actor),
        ),
        status=400 if form.errors else 200,
    )


def _own_label(access: SpaceAccess, actor: Any) -> str:
    entry = selectors.display_name_of(access, actor) if access.is_member else None
    return entry.name if entry else ""


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def message_moderate(request: HttpRequest, message_id: int) -> HttpResponse:
    """Hide a direct message (with a reason) or restore it (facilitators)."""
    actor = actor_of(request)
    access, message = get_message_for(actor, message_id)
    if not access.is_facilitator:
        deny(actor, DirectMessage, message_id)
    form = ReasonForm(request.POST or None)
    back = redirect(
        reverse("web:space_conversation", args=[message.conversation_id]) + f"#message-{message.pk}"
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "restore":
                services.message_restore(actor=actor, access=access, message=message)
                flash.success(request, _("Restored."))
                return back
            if form.is_valid():
                services.message_hide(
                    actor=actor, access=access, message=message, reason=form.cleaned_data["reason"]
                )
                flash.success(request, _("Hidden. The text is kept; you can restore it."))
                return back
        except KindredError as exc:
            apply_error(form, exc)
    return render(
        request,
        "web/space/message_hide.html",
        _context(access, message=message, form=form),
        status=400 if form.errors else 200,
    )


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def message_report(request: HttpRequest, message_id: int) -> HttpResponse:
    actor = actor_of(request)
    # The conversation's members only: facilitators hide messages instead of reporting.
    access, message = get_own_message_for(actor, message_id, allow_former=request.method == "POST")
    form = MessageReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_report_create(
                actor=actor,
                access=access,
                message=message,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            flash.success(
                request, _("Thank you. A facilitator will look at it; nobody else is told.")
            )
            return redirect("web:space_conversation", conversation_id=message.conversation_id)
    return render(
        request,
        "web/space/message_report.html",
        _context(access, message=message, form=form),
        status=400 if form.errors else 200,
    )


@space_page
@require_POST
def message_report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = actor_of(request)
    group_id = (
        MessageReport.objects.filter(pk=report_id)
        .values_list("message__conversation__space__group_id", flat=True)
        .first()
    )
    access = get_space_for(actor, group_id or 0)
    if not access.is_facilitator:
        deny(actor, MessageReport, report_id)
    report = (
        MessageReport.objects.filter(pk=report_id, message__conversation__space=access.space)
        .select_related("message__conversation")
        .first()
    )
    if report is None:
        raise NotFound("Not found.")
    try:
        services.message_report_resolve(
            actor=actor, access=access, report=report, resolution=request.POST.get("resolution", "")
        )
        flash.success(request, _("Report closed."))
    except KindredError as exc:
        flash.error(request, exc.message)
    return redirect("web:space_moderation", group_id=access.group.pk)
