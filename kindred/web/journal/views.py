"""The private journal: a member's own pages (phone first) and, for facilitators, the
entries members of their group chose to share.

Who may see what is decided by ``kindred.journal.access`` (a 404 and a denied event for
everyone else); every change goes through ``kindred.journal.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.clients.models import Client
from kindred.core.errors import KindredError
from kindred.core.markdown import render_markdown
from kindred.journal import selectors, services
from kindred.journal.access import (
    get_facilitated_group,
    get_journal_client,
    get_own_entry,
    shared_with_group,
)
from kindred.journal.models import JournalEntry
from kindred.practice.settings import practice_settings
from kindred.scheduling.models import GroupSession
from kindred.space.risk import CATEGORY_LABELS, RiskCategory
from kindred.web.forms import apply_error
from kindred.web.journal.forms import EntryForm
from kindred.web.pages import actor_of, signed_in_page
from kindred.web.paging import paginate

SECTION = "journal"
PAGE_SIZE = 20
GROUP_PAGE_SIZE = 10


journal_page = signed_in_page


def _tz(client: Client) -> str:
    return client.timezone or practice_settings().timezone


def _form(request: HttpRequest, client: Client, entry: JournalEntry | None = None) -> EntryForm:
    sessions = selectors.session_choices(client)
    if entry is not None and entry.session is not None and entry.session not in sessions:
        sessions.append(entry.session)
    initial = (
        {"title": entry.title, "body": entry.body, "session": entry.session_id} if entry else {}
    )
    return EntryForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        sessions=sessions,
        tz_name=_tz(client),
    )


def _session(form: EntryForm, client: Client) -> GroupSession | None:
    pk = form.cleaned_data.get("session")
    if pk is None:
        return None
    # The service checks it is one of the member's own; an unknown id is refused there.
    return GroupSession.objects.filter(pk=pk).first() or GroupSession(pk=pk)


# --- the member's own pages ----------------------------------------------------------


@journal_page
@require_safe
def journal_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    client = get_journal_client(actor)
    context = {
        "section": SECTION,
        "tz_name": _tz(client),
        **paginate(request, selectors.entry_list(actor), per_page=PAGE_SIZE),
    }
    return render(request, "web/journal/list.html", context)


@journal_page
@require_http_methods(["GET", "HEAD", "POST"])
def journal_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    client = get_journal_client(actor)
    form = _form(request, client)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_create(
                actor=actor,
                client=client,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                session=_session(form, client),
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Saved. Only you can read this entry."))
            return redirect("web:journal_entry", entry_id=entry.pk)
    return render(
        request,
        "web/journal/form.html",
        {"section": SECTION, "form": form, "entry": None},
        status=400 if form.errors else 200,
    )


@journal_page
@require_http_methods(["GET", "HEAD", "POST"])
def journal_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = get_own_entry(actor, entry_id)
    client = entry.client
    form = _form(request, client, entry)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update(
                actor=actor,
                entry=entry,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                session=_session(form, client),
            )
        except KindredError as exc:
            entry = get_own_entry(actor, entry_id)
            apply_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return _to_entry(entry)
    return render(
        request,
        "web/journal/form.html",
        {"section": SECTION, "form": form, "entry": entry},
        status=400 if form.errors else 200,
    )


def _to_entry(entry: JournalEntry) -> HttpResponse:
    url = reverse("web:journal_entry", args=[entry.pk])
    if entry.risk_flagged:
        return redirect(f"{url}?support=1#support")
    return redirect(url)


@journal_page
@require_safe
def journal_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = get_own_entry(actor, entry_id)
    return render(
        request,
        "web/journal/entry.html",
        {
            "section": SECTION,
            "entry": entry,
            "body_html": render_markdown(entry.body, heading_offset=2),
            "tz_name": _tz(entry.client),
            "crisis": entry.risk_flagged and request.GET.get("support") == "1",
            "audience": selectors.share_audience(entry) if entry.shared_with_facilitator else [],
        },
    )


@journal_page
@require_http_methods(["GET", "HEAD", "POST"])
def journal_share(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Explain who will read it, then share on the member's say-so."""
    actor = actor_of(request)
    entry = get_own_entry(actor, entry_id)
    error = ""
    if request.method == "POST":
        try:
            services.entry_share(actor=actor, entry=entry)
        except KindredError as exc:
            error = exc.message
        else:
            messages.success(request, _("Shared with your facilitator."))
            return _to_entry(entry)
    return render(
        request,
        "web/journal/share.html",
        {
            "section": SECTION,
            "entry": entry,
            "audience": selectors.share_audience(entry),
            "error": error,
        },
        status=400 if error else 200,
    )


@journal_page
@require_POST
def journal_unshare(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = get_own_entry(actor, entry_id)
    services.entry_unshare(actor=actor, entry=entry)
    messages.success(request, _("No longer shared. Only you can read this entry now."))
    return redirect("web:journal_entry", entry_id=entry.pk)


@journal_page
@require_http_methods(["GET", "HEAD", "POST"])
def journal_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = get_own_entry(actor, entry_id)
    if request.method == "POST":
        services.entry_delete(actor=actor, entry=entry)
        messages.success(request, _("Entry deleted."))
        return redirect("web:journal")
    return render(request, "web/journal/delete.html", {"section": SECTION, "entry": entry})


# --- facilitators ----------------------------------------------------------------------


def _risk_words(codes: list[str]) -> str:
    return ", ".join(
        CATEGORY_LABELS[RiskCategory(c)] for c in codes if c in RiskCategory._value2member_map_
    )


@journal_page
@require_safe
def journal_group(request: HttpRequest, group_id: int) -> HttpResponse:
    """Entries shared with the facilitators of one group, newest share first. Each
    entry shown is recorded as read (an access audit event)."""
    actor = actor_of(request)
    group = get_facilitated_group(actor, group_id)
    entries = (
        shared_with_group(group).select_related("client", "session").order_by("-shared_at", "-id")
    )
    context = paginate(request, entries, per_page=GROUP_PAGE_SIZE)
    rows = [
        {
            "entry": e,
            "body_html": render_markdown(e.body, heading_offset=2),
            "risk": _risk_words(e.risk_categories),
        }
        for e in context["page_obj"].object_list
    ]
    selectors.record_reads(actor, [r["entry"] for r in rows], group)
    return render(
        request,
        "web/journal/group.html",
        {
            "section": "groups",
            "group": group,
            "rows": rows,
            "tz_name": group.timezone,
            **context,
        },
    )
