"""Notes pages: writing a session's notes on one screen (the group note and a short note
per attending member, beside their facts), signed notes with their addenda, the co-sign
queue, the unsigned-notes dashboard, a member's notes in their chart, and the practice's
note settings.

Each view authorizes (kindred/notes/access.py), checks the shape (forms.py), calls the
services (kindred/notes/services.py) and renders. Reads are audited by the selectors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.clients.access import get_client_for
from kindred.clients.models import Client
from kindred.core.errors import KindredError, NotPermitted, ValidationFailed
from kindred.notes import selectors, services
from kindred.notes.access import get_note_for, get_session_for_notes
from kindred.notes.models import GROUP_PARTS, GroupNote, MemberNote
from kindred.notes.note_settings import note_settings, note_settings_update
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.scheduling.models import GroupSession
from kindred.web.forms import apply_error
from kindred.web.notes.forms import (
    AddendumForm,
    NoteSettingsForm,
    NotesForm,
    group_field,
    member_field,
)
from kindred.web.pages import actor_of, staff_page_for

staff_page = staff_page_for(GroupSession, "session_id")
note_page = staff_page_for(GroupNote, "note_id")


# --- The note-writing screen --------------------------------------------------------------


def _has_text(values: dict[str, Any]) -> bool:
    texts = [*values.get("sections", {}).values(), values.get("risk", ""), values.get("plan", "")]
    texts += [v for k, v in values.items() if k in GROUP_PARTS]
    return any(str(t).strip() for t in texts)


def _save(
    actor: Any, session: GroupSession, form: NotesForm, only: str | None
) -> tuple[bool, list[str]]:
    """Save the drafts the form carries (or only the part ``only``: "group" or
    "member-<id>"). Returns (no errors, parts saved)."""
    sheet = form.sheet
    ok, saved = True, []
    group = form.group_values()
    if group is not None and only in (None, "group") and (sheet.group_note or _has_text(group)):
        try:
            services.group_note_save(
                actor=actor,
                session=session,
                themes=group["themes"],
                interventions=group["interventions"],
                process=group["process"],
            )
            saved.append("group")
        except ValidationFailed as exc:
            form.apply_group_error(exc)
            ok = False
        except KindredError as exc:
            form.add_error(None, exc.message)
            ok = False
    for row in sheet.members:
        cid = row.client.pk
        if only not in (None, f"member-{cid}"):
            continue
        values = form.member_values(cid)
        if values is None or not (row.note or _has_text(values)):
            continue
        try:
            services.member_note_save(actor=actor, session=session, client_id=cid, **values)
            saved.append(f"member-{cid}")
        except ValidationFailed as exc:
            form.apply_member_error(cid, exc)
            ok = False
        except KindredError as exc:
            form.add_error(None, exc.message)
            ok = False
    return ok, saved


def _sign(actor: Any, session: GroupSession, form: NotesForm) -> tuple[bool, dict[str, list[str]]]:
    try:
        result = services.notes_sign_all(
            actor=actor,
            session=session,
            names_confirmed=bool(form.cleaned_data.get("confirm_names")),
        )
    except services.NamesMentioned as exc:
        form.add_error("confirm_names", exc.message)
        return False, exc.by_note
    except ValidationFailed as exc:
        for name, msgs in exc.errors.items():
            if name.startswith("member_"):
                cid = int(name.removeprefix("member_"))
                form.apply_member_error(cid, ValidationFailed(errors={"__all__": msgs}))
            else:
                form.apply_group_error(ValidationFailed(errors={name: msgs}))
        return False, {}
    except KindredError as exc:
        form.add_error(None, exc.message)
        return False, {}
    count = (1 if result.group_note else 0) + len(result.member_notes)
    return True, {"signed": [str(count)]}


def _value(form: NotesForm, name: str, saved: str) -> str:
    if form.is_bound and name in form.fields:
        return str(form.data.get(name, ""))
    return saved


def _context(
    sheet: selectors.NotesSheet, form: NotesForm, named: dict[str, list[str]]
) -> dict[str, Any]:
    errors = form.errors if form.is_bound else {}
    group_parts: list[dict[str, Any]] = [
        {
            "part": part,
            "name": group_field(part.key),
            "value": _value(form, group_field(part.key), part.text),
            "errors": errors.get(group_field(part.key), []),
        }
        for part in sheet.group_parts
    ]
    members = []
    for row in sheet.members:
        cid = row.client.pk
        fields: list[dict[str, Any]] = [
            {
                "key": s.key,
                "label": s.heading,
                "prompt": s.prompt,
                "name": member_field(cid, s.key),
                "value": _value(form, member_field(cid, s.key), s.text),
                "errors": errors.get(member_field(cid, s.key), []),
            }
            for s in row.sections
        ]
        for key, label, prompt, saved in (
            (
                "risk",
                _("Risk"),
                _("Any risk noticed, and what you did. “None noted” is fine."),
                row.risk,
            ),
            ("plan", _("Plan"), _("Next steps for this member."), row.plan),
        ):
            fields.append(
                {
                    "key": key,
                    "label": label,
                    "prompt": prompt,
                    "name": member_field(cid, key),
                    "value": _value(form, member_field(cid, key), saved),
                    "errors": errors.get(member_field(cid, key), []),
                }
            )
        members.append({"row": row, "fields": fields, "named": named.get(str(cid), []), "pk": cid})
    session = sheet.session
    return {
        "section": "home",
        "sheet": sheet,
        "session": session,
        "form": form,
        "group_parts": group_parts,
        "members": members,
        "local_start": timezone.localtime(session.starts_at, sheet.zone),
        "local_end": timezone.localtime(session.ends_at, sheet.zone),
        "non_field_errors": form.non_field_errors() if form.is_bound else [],
        "confirm_errors": errors.get("confirm_names", []),
        "group_named": named.get("group", sheet.names_named.get("group", [])),
        "show_actions": sheet.can_write
        and (sheet.can_write_group or any(r.can_write for r in sheet.members)),
        "offer_close_unattended": offers_close_unattended(sheet),
    }


def offers_close_unattended(sheet: selectors.NotesSheet) -> bool:
    """Nobody attended and nothing is written yet: one action records the absences and
    signs a short group note (``services.notes_close_unattended``)."""
    session = sheet.session
    return (
        sheet.can_write
        and session.attendance_taken_at is not None
        and not session.is_cancelled
        and timezone.now() >= session.ends_at
        and sheet.group_note is None
        and not sheet.members
    )


@staff_page
@require_POST
def session_notes_close_unattended(request: HttpRequest, session_id: int) -> HttpResponse:
    """ "No one attended: record the absences and close" (from the notes screen, the
    unsigned-notes dashboard or the facilitator's home); back to the notes screen."""
    actor = actor_of(request)
    session = get_session_for_notes(actor, session_id, write=True)
    try:
        services.notes_close_unattended(actor=actor, session=session)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Closed: each absence is recorded and a short group note is signed.")
        )
    return redirect("web:session_notes", session_id=session.pk)


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def session_notes(request: HttpRequest, session_id: int) -> HttpResponse:
    """One screen: the group note and, below, a short note per attending member beside
    their facts; absent members with their absence entry. "Save draft" saves every
    part (or, with htmx, one part's button saves that part alone); "Sign all" saves and
    signs everything the facilitator wrote."""
    actor = actor_of(request)
    session = get_session_for_notes(actor, session_id)
    sheet = selectors.notes_sheet(actor=actor, session=session)
    form = NotesForm(request.POST or None, sheet=sheet)
    named: dict[str, list[str]] = {}
    part = request.POST.get("save_part") or None if request.method == "POST" else None
    one_part = part is not None and bool(request.headers.get("HX-Request"))
    status = 200
    if request.method == "POST":
        if not sheet.can_write:
            raise PermissionDenied(_("Only the session's facilitators write its notes."))
        if form.is_valid():
            ok, _parts = _save(actor, session, form, part)
            if ok and request.POST.get("action") == "sign" and part is None:
                ok, info = _sign(actor, session, form)
                if ok:
                    messages.success(
                        request, _("Signed. The notes are locked; add an addendum to correct them.")
                    )
                    return redirect("web:session_notes", session_id=session.pk)
                named = info
            elif ok and not one_part:
                messages.success(request, _("Draft saved."))
                return redirect("web:session_notes", session_id=session.pk)
        status = 400 if form.errors else 200
        if one_part and not form.errors:
            sheet = selectors.notes_sheet(actor=actor, session=session)
            form = NotesForm(None, sheet=sheet)
    context = _context(sheet, form, named)
    if one_part:
        context["part_saved"] = status == 200
        if part == "group":
            return render(request, "web/notes/session_notes.html#group", context, status=status)
        items = [m for m in context["members"] if f"member-{m['pk']}" == part]
        if not items:
            raise Http404
        context["item"] = items[0]
        return render(request, "web/notes/session_notes.html#member", context, status=status)
    return render(request, "web/notes/session_notes.html", context, status=status)


# --- Addenda and co-signing ---------------------------------------------------------------


def _back_to(note: GroupNote | MemberNote) -> HttpResponse:
    return redirect("web:session_notes", session_id=note.session_id)


@note_page
@require_POST
def note_addendum(request: HttpRequest, kind: str, note_id: int) -> HttpResponse:
    actor = actor_of(request)
    note = get_note_for(actor, kind, note_id)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(actor=actor, note=note, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Addendum added."))
            return _back_to(note)
    context = {"section": "home", "note": note, "kind": kind, "form": form}
    return render(request, "web/notes/addendum.html", context, status=400)


@note_page
@require_POST
def note_cosign(request: HttpRequest, kind: str, note_id: int) -> HttpResponse:
    actor = actor_of(request)
    note = get_note_for(actor, kind, note_id)
    try:
        services.note_cosign(actor=actor, note=note)
    except NotPermitted:
        raise  # not the author's supervisor: a 403 page (note_page), whatever the state
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Co-signed."))
    if request.GET.get("next") == "session":
        return _back_to(note)
    return redirect("web:notes_cosign_queue")


@staff_page
@require_safe
def cosign_queue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    items = selectors.cosign_queue(actor=actor)
    return render(request, "web/notes/cosign_queue.html", {"section": "home", "items": items})


# --- The unsigned-notes dashboard ---------------------------------------------------------

BUCKET_LABELS = {
    "today": _("Today"),
    "days_1_3": _("1 to 3 days ago"),
    "days_4_7": _("4 to 7 days ago"),
    "older": _("Older"),
}


@staff_page
@require_safe
def unsigned_notes(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    board = selectors.unsigned_dashboard(actor=actor)
    buckets = [
        {
            "key": key,
            "label": str(BUCKET_LABELS[key]),
            "count": board.counts[key],
            "rows": board.rows[key],
        }
        for key in selectors.BUCKETS
    ]
    context = {
        "section": "home",
        "board": board,
        "buckets": buckets,
        "per_bucket": selectors.PER_BUCKET,
        "cosign_count": selectors.cosign_queue_count(actor),
    }
    return render(request, "web/notes/unsigned.html", context)


# --- A member's chart ---------------------------------------------------------------------


client_page = staff_page_for(Client, "client_id")


@client_page
@require_safe
def client_notes(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_client_for(actor, client_id)
    entries = selectors.client_notes(actor=actor, client=client)
    context = {"section": "clients", "client": client, "entries": entries}
    return render(request, "web/notes/client_notes.html", context)


# --- Settings -----------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not role_checks.has(actor, Capability.MANAGE_PRACTICE):
        raise Http404
    rules = note_settings()
    initial: dict[str, Any] = {
        "member_note_format": rules.member_note_format,
        "late_entry_hours": rules.late_entry_hours,
        "cosign_supervisees": rules.cosign_supervisees,
        "require_signed_for_billing": rules.require_signed_for_billing,
    }
    for part in GROUP_PARTS:
        initial[f"{part}_heading"] = rules.group_note_template.get(part, {}).get("heading", "")
        initial[f"{part}_prompt"] = rules.group_note_template.get(part, {}).get("prompt", "")
    form = NoteSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            note_settings_update(
                actor=actor,
                member_note_format=data["member_note_format"],
                group_note_template=form.template(),
                late_entry_hours=data["late_entry_hours"],
                cosign_supervisees=data["cosign_supervisees"],
                require_signed_for_billing=data["require_signed_for_billing"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The note settings are saved."))
            return redirect("web:note_settings")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "web/notes/settings.html", {"section": "practice", "form": form}, status=status
    )
