"""Money in templates, and the billing section of the client page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def cents(value: Any) -> str:
    """4000 → "$40.00"; -1500 → "−$15.00"; None → "—"."""
    if value is None or value == "":
        return "—"
    amount = int(value)
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount) / 100:,.2f}"


@register.inclusion_tag("web/billing/_client_section.html", takes_context=True)
def client_billing_section(context: Any, client: Any) -> dict[str, Any]:
    """On the client page: the member's diagnoses for those who may read them (their
    clinicians, admins, billing) and a link to the ledger for billing. Two queries at
    most; nothing for anyone else."""
    from kindred.billing.access import may_edit_diagnoses, may_manage_billing, may_read_diagnoses
    from kindred.billing.selectors import diagnoses_of

    request = context.get("request")
    actor = getattr(request, "user", None)
    readable = may_read_diagnoses(actor, client)
    return {
        "client": client,
        "show": readable,
        "diagnoses": diagnoses_of(client) if readable else [],
        "can_edit": readable and may_edit_diagnoses(actor, client),
        "billing": may_manage_billing(actor),
    }
