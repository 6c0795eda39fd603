"""A group's sessions for staff: the list, and changing one session (cancel,
reschedule, move online, substitute facilitator). Attendance and joining are on the
session pages (web/sessions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kindred.core.access import deny
from kindred.core.errors import KindredError, ValidationFailed
from kindred.groups import access, selectors
from kindred.groups.models import GroupModality
from kindred.scheduling import session_services
from kindred.scheduling.access import get_session_for
from kindred.scheduling.models import GroupSession
from kindred.scheduling.recurrence import zone
from kindred.web.forms import apply_error
from kindred.web.groups.forms import (
    CancelSessionForm,
    RescheduleForm,
    SessionFilterForm,
    StatusActionForm,
    SubstituteForm,
)
from kindred.web.groups.views import staff_page
from kindred.web.pages import actor_of
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup


@staff_page
@require_safe
def session_list(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    group = access.get_group_for(actor, group_id)
    form = SessionFilterForm(request.GET or None)
    when = (form.cleaned_data.get("when") if form.is_bound and form.is_valid() else "") or (
        selectors.SessionWhen.UPCOMING
    )
    context = paginate(request, selectors.session_list(actor=actor, group=group, when=when))
    context.update(
        {
            "section": "groups",
            "group": group,
            "form": form,
            "when": when,
            "now": timezone.now(),
            "can_manage": selectors.can_manage(actor),
        }
    )
    return render(request, "web/groups/session_list.html", context)


def _session(actor: User, group_id: int, session_id: int) -> tuple[TherapyGroup, GroupSession]:
    group = access.get_group_for(actor, group_id, write=True)
    session = get_session_for(actor, session_id, write=True)
    if session.group_id != group.pk:
        deny(actor, GroupSession, session_id)
    session.group = group
    return group, session


def _back(group: TherapyGroup) -> str:
    return reverse("web:group_sessions", kwargs={"group_id": group.pk})


def _when(session: GroupSession) -> str:
    from django.utils.formats import date_format

    local = session.starts_at.astimezone(zone(session.group.timezone))
    return date_format(local, "DATETIME_FORMAT")


def _page(
    request: HttpRequest,
    group: TherapyGroup,
    session: GroupSession,
    form: Any,
    *,
    title: str,
    intro: str,
    submit: str,
    danger: bool = False,
) -> HttpResponse:
    return render(
        request,
        "web/groups/session_action.html",
        {
            "section": "groups",
            "group": group,
            "session": session,
            "when": _when(session),
            "form": form,
            "title": title,
            "intro": intro,
            "submit_label": submit,
            "danger": danger,
            "back_url": _back(group),
        },
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, group_id: int, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    group, session = _session(actor, group_id, session_id)
    form = CancelSessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            session_services.session_cancel(
                actor=actor, session=session, reason=form.cleaned_data["reason"]
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The session is cancelled; everyone has been told."))
            return redirect(_back(group))
    return _page(
        request,
        group,
        session,
        form,
        title=_("Cancel a session"),
        intro=_(
            "Members with a place and the facilitators get a notification and a short email "
            "saying a session was cancelled."
        ),
        submit=_("Cancel the session"),
        danger=True,
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_reschedule(request: HttpRequest, group_id: int, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    group, session = _session(actor, group_id, session_id)
    local = session.starts_at.astimezone(zone(group.timezone))
    form = RescheduleForm(
        request.POST if request.method == "POST" else None,
        tz_name=group.timezone,
        initial={"date": local.date(), "start_time": local.time()},
    )
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.instants()
        try:
            session_services.session_reschedule(
                actor=actor, session=session, starts_at=starts_at, ends_at=ends_at
            )
        except KindredError as exc:
            apply_error(form, _renamed(exc, {"starts_at": "start_time", "ends_at": "end_time"}))
        else:
            messages.success(request, _("The session has a new time; everyone has been told."))
            return redirect(_back(group))
    return _page(
        request,
        group,
        session,
        form,
        title=_("Move a session"),
        intro=_("Times are in the group's time zone (%(zone)s).") % {"zone": group.timezone},
        submit=_("Move the session"),
    )


def _renamed(exc: KindredError, names: dict[str, str]) -> KindredError:
    """The service names instants; the form has a date and wall-clock times."""
    if exc.field in names:
        exc.field = names[exc.field]
    if isinstance(exc, ValidationFailed):
        exc.errors = {names.get(k, k): v for k, v in exc.errors.items()}
    return exc


@staff_page
@require_http_methods(["GET", "POST"])
def session_move_online(request: HttpRequest, group_id: int, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    group, session = _session(actor, group_id, session_id)
    form = StatusActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            session_services.session_move_online(actor=actor, session=session)
        except KindredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The session will be held online; everyone has been told."))
        return redirect(_back(group))
    return _page(
        request,
        group,
        session,
        form,
        title=_("Hold a session online"),
        intro=_(
            "The room is freed and the session becomes virtual. Members will confirm which "
            "state they are in before joining, as for any virtual session."
        ),
        submit=_("Move online"),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_substitute(request: HttpRequest, group_id: int, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    group, session = _session(actor, group_id, session_id)
    form = SubstituteForm(
        request.POST if request.method == "POST" else None,
        clinicians=selectors.facilitator_choices(actor=actor),
        initial={"substitute_facilitator": session.substitute_facilitator_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = session_services.session_set_substitute(
                actor=actor,
                session=session,
                substitute=form.cleaned_data["substitute_facilitator"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(request, _("Saved; the facilitators and members have been told."))
            return redirect(_back(group))
    in_person = session.modality != GroupModality.VIRTUAL
    return _page(
        request,
        group,
        session,
        form,
        title=_("Substitute facilitator"),
        intro=_(
            "The substitute leads this one session in place of the lead facilitator. In "
            "person, they must be able to practise in the location's state."
        )
        if in_person
        else _(
            "The substitute leads this one session in place of the lead facilitator. Online, "
            "members can only join from a state where every facilitator is licensed."
        ),
        submit=_("Save"),
    )
