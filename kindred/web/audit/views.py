"""The audit log browser: read-only, for admins (VIEW_AUDIT). There is no way to change
or delete an event here, nor anywhere else in Kindred."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kindred.accounts.models import User
from kindred.audit.models import AuditEvent
from kindred.audit.selectors import AuditFilters, audit_event_list
from kindred.core.errors import NotPermitted
from kindred.web.audit.forms import AuditFilterForm
from kindred.web.paging import paginate


def _detail_items(detail: object) -> list[tuple[str, str]]:
    """``detail`` holds names and codes, never clinical content; show it as text."""
    if not isinstance(detail, dict):
        return []
    items = []
    for key, value in detail.items():
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value) or "—"
        elif value is None or value == "":
            text = "—"
        else:
            text = str(value)
        items.append((str(key), text))
    return items


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required ran first
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else AuditFilters()
    try:
        events = audit_event_list(actor=user, filters=filters)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    if form.is_bound and not form.is_valid():
        events = AuditEvent.objects.none()
    page = paginate(request, events)
    rows = list(page["page_obj"].object_list)
    for event in rows:
        event.detail_items = _detail_items(event.detail)
    page["page_obj"].object_list = rows
    context = {
        "section": "audit",
        "form": form,
        "filtered": form.is_bound and any(v for v in form.data.values()),
        **page,
    }
    return render(request, "web/audit/list.html", context)
