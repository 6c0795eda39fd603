"""``{% record_export_form client %}``: the "Export record" form on the client page, for
those who may export records (nothing for anyone else; no query)."""

from __future__ import annotations

from typing import Any

from django import template

from kindred.practice import roles
from kindred.practice.roles import Capability

register = template.Library()


@register.inclusion_tag("web/records/_client_form.html", takes_context=True)
def record_export_form(context: dict[str, Any], client: Any) -> dict[str, Any]:
    from kindred.web.records.forms import RecordExportForm

    request = context.get("request")
    user = getattr(request, "user", None)
    show = roles.has(user, Capability.EXPORT_RECORDS)
    form = (
        RecordExportForm(initial=RecordExportForm.defaults(), auto_id="record_%s") if show else None
    )
    return {"client": client, "show": show, "form": form}
