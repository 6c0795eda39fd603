"""Session pages: the attendance sheet and "Start session" (facilitators), the state
attestation and Join (members), and the licensure report (coordinators).

Each view authorizes with scheduling/access.py, checks the shape with a form, calls one
service (scheduling/attendance.py, gate.py, reports.py) and renders.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kindred.accounts.reauth import sensitive
from kindred.core.access import deny
from kindred.core.errors import InvalidState, KindredError
from kindred.practice import roles as role_checks
from kindred.practice.models import Practice
from kindred.practice.roles import Capability
from kindred.practice.states import state_name
from kindred.scheduling import access, attendance, gate, reports
from kindred.scheduling.models import GroupSession
from kindred.scheduling.video import VideoUnavailable
from kindred.web.forms import apply_error
from kindred.web.pages import View, actor_of, staff_page_for
from kindred.web.sessions.forms import AttendanceForm, StateForm, field_name

if TYPE_CHECKING:
    from kindred.clients.models import Client

staff_page = staff_page_for(GroupSession, "session_id")


def member_page(view: View) -> View:
    """Signed-in members only (these pages do not exist for staff)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_member", False) or not getattr(
            request.user, "client", None
        ):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _video_redirect(url: str) -> HttpResponse:
    """Send the browser to the video room. The address may carry a room token: it is
    not cached and the page it came from is not passed on."""
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return _no_store(response)


# --- Attendance ---------------------------------------------------------------------------


def _sheet_rows(sheet: attendance.AttendanceSheet, form: AttendanceForm) -> list[dict[str, Any]]:
    """What the template needs per member: current values (posted or saved), errors."""
    rows = []
    for row in sheet.rows:
        cid = row.client.pk
        names = {p: field_name(p, cid) for p in ("status", "joined", "left")}
        if form.is_bound:
            status = form.data.get(names["status"], "")
            joined = form.data.get(names["joined"], "")
            left = form.data.get(names["left"], "")
        else:
            status = row.status
            saved = row.attendance
            joined = (
                timezone.localtime(saved.joined_at, sheet.zone).strftime("%H:%M")
                if saved and saved.joined_at
                else ""
            )
            left = (
                timezone.localtime(saved.left_at, sheet.zone).strftime("%H:%M")
                if saved and saved.left_at
                else ""
            )
        errors = form.errors if form.is_bound else {}
        rows.append(
            {
                "row": row,
                "client": row.client,
                "names": names,
                "status": status,
                "joined": joined,
                "left": left,
                "status_errors": errors.get(names["status"], []),
                "joined_errors": errors.get(names["joined"], []),
                "left_errors": errors.get(names["left"], []),
            }
        )
    return rows


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def session_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """The attendance sheet. The whole form saves every row; each row's own button
    saves just that row (with htmx the row alone is swapped in; without JavaScript the
    page reloads)."""
    actor = actor_of(request)
    session = access.get_session_for_attendance(actor, session_id)
    sheet = attendance.attendance_sheet(actor=actor, session=session)
    form = AttendanceForm(request.POST or None, sheet=sheet)
    only = _int(request.POST.get("save_row")) if request.method == "POST" else None
    one_row = only is not None and bool(request.headers.get("HX-Request"))
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            attendance.attendance_record(
                actor=actor, session=session, entries=form.entries(only=only)
            )
        except attendance.AttendanceInvalid as exc:
            form.apply_row_errors(exc)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            saved = True
            if not one_row:
                messages.success(request, _("Attendance saved."))
                return redirect("web:session_attendance", session_id=session.pk)
    status = 400 if form.is_bound and form.errors else 200
    if one_row:
        if saved:  # show the row as saved now
            sheet = attendance.attendance_sheet(actor=actor, session=session)
            form = AttendanceForm(None, sheet=sheet)
        context = _attendance_context(sheet, form, session)
        items = [r for r in context["rows"] if r["client"].pk == only]
        if not items:
            raise Http404
        context.update({"item": items[0], "row_saved": saved})
        return _no_store(
            render(request, "web/sessions/attendance.html#row", context, status=status)
        )
    response = render(
        request,
        "web/sessions/attendance.html",
        _attendance_context(sheet, form, session),
        status=status,
    )
    return _no_store(response)


def _attendance_context(
    sheet: attendance.AttendanceSheet, form: AttendanceForm, session: GroupSession
) -> dict[str, Any]:
    zone = sheet.zone
    return {
        "section": "home",
        "sheet": sheet,
        "form": form,
        "rows": _sheet_rows(sheet, form),
        "session": session,
        "local_start": timezone.localtime(session.starts_at, zone),
        "local_end": timezone.localtime(session.ends_at, zone),
        "is_virtual": gate.is_virtual(session),
        "non_field_errors": form.non_field_errors() if form.is_bound else [],
    }


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


@staff_page
@require_safe
def session_start(request: HttpRequest, session_id: int) -> HttpResponse:
    """A facilitator opens the video room with moderator rights."""
    actor = actor_of(request)
    session = access.get_session_for(actor, session_id)
    try:
        url = gate.facilitator_start_url(actor=actor, session=session)
    except InvalidState as exc:
        messages.error(request, exc.message)
        return redirect("web:home")
    return _video_redirect(url)


# --- Members: attest, join ----------------------------------------------------------------


def _member_session(request: HttpRequest, session_id: int) -> tuple[Client, GroupSession]:
    actor = actor_of(request)
    session = access.get_session_for(actor, session_id)
    client = actor.client
    return client, session


def _practice_contact() -> dict[str, str]:
    practice = Practice.objects.filter(pk=1).only("contact_email", "contact_phone").first()
    if practice is None:
        return {"email": "", "phone": ""}
    return {"email": practice.contact_email, "phone": practice.contact_phone}


@member_page
@require_http_methods(["GET", "HEAD", "POST"])
def session_attest(request: HttpRequest, session_id: int) -> HttpResponse:
    """Where are you right now? One tap confirms the state pre-selected (the last one
    attested, else the state of residence); another state can be chosen."""
    client, session = _member_session(request, session_id)
    now = timezone.now()
    state = gate.join_state(session, client, now)
    if state.status == gate.JoinStatus.NO_SEAT:
        deny(actor_of(request), GroupSession, session_id)
    current = state.attestation.state if state.attestation else gate.usual_state(client)
    form = StateForm(request.POST or None, initial={"state": current})
    decision: gate.GateDecision | None = None
    if request.method == "POST" and form.is_valid():
        try:
            gate.attest_state(
                actor=actor_of(request), session=session, state=form.cleaned_data["state"], now=now
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            return redirect("web:session_attest", session_id=session.pk)
    if state.attestation is not None and state.status in (
        gate.JoinStatus.OPEN,
        gate.JoinStatus.BLOCKED,
    ):
        decision = gate.decide(session, state.attestation.state)
    zone = _member_zone(client)
    context = {
        "section": "home",
        "session": session,
        "join": state,
        "decision": decision,
        "form": form,
        "current_state": current,
        "current_state_name": state_name(current),
        "local_start": timezone.localtime(session.starts_at, zone),
        "local_end": timezone.localtime(session.ends_at, zone),
        "opens_at": timezone.localtime(state.opens_at, zone),
        "contact": _practice_contact(),
        "member_zone": client.timezone,
    }
    status = 400 if form.is_bound and form.errors else 200
    return _no_store(render(request, "web/sessions/attest.html", context, status=status))


def _member_zone(client: Client) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(client.timezone)


@member_page
@require_safe
def session_join(request: HttpRequest, session_id: int) -> HttpResponse:
    """Open the video room: only inside the window, with a seat, after the gate."""
    client, session = _member_session(request, session_id)
    state = gate.join_state(session, client, timezone.now())
    if state.status == gate.JoinStatus.NO_SEAT:
        deny(actor_of(request), GroupSession, session_id)
    try:
        url = gate.member_join_url(actor=actor_of(request), session=session)
    except VideoUnavailable as exc:
        messages.error(request, exc.message)
        return redirect("web:session_attest", session_id=session.pk)
    except InvalidState as exc:
        if exc.code not in ("needs_attestation", "blocked"):
            messages.error(request, exc.message)
        return redirect("web:session_attest", session_id=session.pk)
    return _video_redirect(url)


# --- Licensure report ---------------------------------------------------------------------


def _report_page(view: View) -> View:
    @staff_page
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        role_checks.require(actor_of(request), Capability.VIEW_LICENSURE_REPORT)
        return view(request, *args, **kwargs)

    return wrapper


@_report_page
@require_safe
def licensure_report(request: HttpRequest) -> HttpResponse:
    report = reports.licensure_report(actor=actor_of(request))
    return _no_store(
        render(
            request,
            "web/sessions/licensure_report.html",
            {"section": "home", "report": report},
        )
    )


CSV_EXPORTS = {
    "at-risk": (reports.at_risk_csv, "sessions-at-risk"),
    "expiring": (reports.expiring_csv, "credentials-expiring"),
}


@_report_page
@sensitive
@require_safe
def licensure_report_csv(request: HttpRequest, which: str) -> HttpResponse:
    """A download of one list: a sensitive export (it names members and where they
    usually are), so it asks for a recent sign-in and is audited as an export."""
    if which not in CSV_EXPORTS:
        raise Http404
    render_csv, stem = CSV_EXPORTS[which]
    report = reports.licensure_report(actor=actor_of(request), exported=which)
    response = HttpResponse(render_csv(report), content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="kindred-{stem}-{day}.csv"'
    return _no_store(response)
