"""A group's questionnaires, for its facilitators and those who manage groups: which
are sent when (schedules), who has answered (counts per session; per member for one
session — never answers or scores, which are the outcome pages'), and "send now" for one
member (the group's facilitators).

Each view authorizes with measures/administrations.py ``get_group_for_questionnaires``
(not the group's: 404; a group one can see but not run: 403), checks the shape with a
form, calls one service (measures/schedules.py, measures/answering.py) and renders.
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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import KindredError, NotPermitted
from kindred.groups.models import TherapyGroup
from kindred.measures import administrations as admins
from kindred.measures.answering import administration_send
from kindred.measures.models import Instrument, MeasurementSchedule
from kindred.measures.schedules import group_schedules, schedule_create, schedule_update
from kindred.web.forms import apply_error
from kindred.web.questionnaires.forms import TIMING_HELP, EveryNForm, ScheduleForm, SendForm

if TYPE_CHECKING:
    from kindred.accounts.models import User

View = Callable[..., HttpResponse]


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def staff_page(view: View) -> View:
    """Signed-in staff only: members get 404 (and a denied event for a group's address);
    a group one can see but not run, or an action one may not take, is a 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_staff_member", False):
            if "group_id" in kwargs:
                deny(_actor(request), TherapyGroup, kwargs["group_id"])
            raise Http404
        try:
            response = view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


def _to_page(group: TherapyGroup, anchor: str = "") -> HttpResponse:
    response = redirect("web:group_questionnaires", group_id=group.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _instruments() -> list[Instrument]:
    return list(Instrument.objects.filter(is_active=True).order_by("name", "pk"))


def _page(
    request: HttpRequest,
    group: TherapyGroup,
    *,
    schedule_form: ScheduleForm | None = None,
    send_form: SendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = _actor(request)
    instruments = _instruments()
    can_send = admins.can_send_now(actor, group)
    clients: list[Any] = []
    if can_send:
        clients, _ignored = admins.send_choices(actor=actor, group=group)
    return render(
        request,
        "web/questionnaires/group.html",
        {
            "section": "groups",
            "group": group,
            "schedules": group_schedules(group),
            "overview": admins.group_overview(actor=actor, group=group),
            "schedule_form": schedule_form or ScheduleForm(instruments=instruments),
            "every_n_form": EveryNForm(),
            "can_send": can_send,
            "send_form": send_form or SendForm(clients=clients, instruments=instruments),
            "timing_help": [(t.label, text) for t, text in TIMING_HELP.items()],
        },
        status=status,
    )


@staff_page
@require_safe
def group_questionnaires(request: HttpRequest, group_id: int) -> HttpResponse:
    group = admins.get_group_for_questionnaires(_actor(request), group_id)
    return _page(request, group)


@staff_page
@require_POST
def schedule_add(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = _actor(request)
    group = admins.get_group_for_questionnaires(actor, group_id)
    form = ScheduleForm(request.POST, instruments=_instruments())
    if form.is_valid():
        try:
            schedule_create(
                actor=actor,
                group=group,
                instrument=form.cleaned_data["instrument"],
                timing=form.cleaned_data["timing"],
                every_n=form.cleaned_data["every_n"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Saved. Planning starts from the next run."))
            return _to_page(group, "schedules")
    return _page(request, group, schedule_form=form, status=400)


def _schedule(actor: User, group: TherapyGroup, schedule_id: object) -> MeasurementSchedule:
    pk = _int_or_none(schedule_id)
    schedule = (
        MeasurementSchedule.objects.filter(pk=pk, group=group)
        .select_related("instrument", "group")
        .first()
        if pk is not None
        else None
    )
    if schedule is None:
        deny(actor, MeasurementSchedule, schedule_id)
    return schedule


@staff_page
@require_POST
def schedule_change(
    request: HttpRequest, group_id: int, schedule_id: int, action: str
) -> HttpResponse:
    """Turn a schedule on or off, or change how often "every Nth session" sends."""
    actor = _actor(request)
    group = admins.get_group_for_questionnaires(actor, group_id)
    schedule = _schedule(actor, group, schedule_id)
    if action not in ("on", "off", "every-n"):
        raise Http404
    try:
        if action == "every-n":
            form = EveryNForm(request.POST)
            if not form.is_valid():
                for error in form.errors.get("every_n", []):
                    messages.error(request, str(error))
                return _to_page(group, "schedules")
            schedule_update(actor=actor, schedule=schedule, every_n=form.cleaned_data["every_n"])
        else:
            schedule_update(actor=actor, schedule=schedule, is_active=action == "on")
    except KindredError as exc:
        if isinstance(exc, NotPermitted):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return _to_page(group, "schedules")


@staff_page
@require_POST
def send_now(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = _actor(request)
    group = admins.get_group_for_questionnaires(actor, group_id)
    if not admins.can_send_now(actor, group):
        raise PermissionDenied(_("Only the group's facilitators send questionnaires."))
    clients, instruments = admins.send_choices(actor=actor, group=group)
    form = SendForm(request.POST, clients=clients, instruments=instruments)
    if form.is_valid():
        try:
            administration_send(
                actor=actor,
                group=group,
                client=form.cleaned_data["client"],
                instrument=form.cleaned_data["instrument"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _("Sent. %(name)s will see it in Kindred and can answer it for seven days.")
                % {"name": form.cleaned_data["client"].display_name},
            )
            return _to_page(group, "send")
    return _page(request, group, send_form=form, status=400)


@staff_page
@require_http_methods(["GET", "HEAD"])
def session_questionnaires(request: HttpRequest, group_id: int, session_id: int) -> HttpResponse:
    actor = _actor(request)
    group = admins.get_group_for_questionnaires(actor, group_id)
    session = admins.get_group_session(actor, group, session_id)
    instruments, rows = admins.session_statuses(actor=actor, group=group, session=session)
    now = timezone.now()
    return render(
        request,
        "web/questionnaires/session.html",
        {
            "section": "groups",
            "group": group,
            "session": session,
            "instruments": instruments,
            "rows": [
                (
                    row.client,
                    [
                        (
                            instrument,
                            row.statuses.get(instrument.pk),
                            admins.status_words(row.statuses.get(instrument.pk), now),
                        )
                        for instrument in instruments
                    ],
                )
                for row in rows
            ],
        },
    )
