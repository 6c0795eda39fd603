"""The practice's note rules (one row; the defaults until an admin saves them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import ValidationFailed, full_clean_or_fail
from kindred.notes.models import GROUP_PARTS, NoteFormat, NoteSettings, NoteStatus
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.scheduling.models import GroupSession

HEADING_MAX = 60
PROMPT_MAX = 300


def note_settings() -> NoteSettings:
    row = NoteSettings.objects.filter(pk=1).first()
    return row if row is not None else NoteSettings(pk=1)


def _clean_template(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, dict[str, str]] = {}
    for part in GROUP_PARTS:
        given = template.get(part) or {}
        heading = str(given.get("heading", "")).strip()
        prompt = str(given.get("prompt", "")).strip()
        if not heading:
            errors.setdefault(f"{part}_heading", []).append(_("Give this part a heading."))
        elif len(heading) > HEADING_MAX:
            errors.setdefault(f"{part}_heading", []).append(
                _("Keep the heading to %(n)d characters.") % {"n": HEADING_MAX}
            )
        if len(prompt) > PROMPT_MAX:
            errors.setdefault(f"{part}_prompt", []).append(
                _("Keep the prompt to %(n)d characters.") % {"n": PROMPT_MAX}
            )
        cleaned[part] = {"heading": heading, "prompt": prompt}
    if errors:
        raise ValidationFailed(errors=errors)
    return cleaned


def note_settings_update(
    *,
    actor: User,
    member_note_format: str,
    group_note_template: dict[str, Any],
    late_entry_hours: int,
    cosign_supervisees: bool,
    require_signed_for_billing: bool,
) -> NoteSettings:
    """Admins change the note rules. Notes already written keep the format and headings
    they were written under."""
    role_checks.require(actor, Capability.MANAGE_PRACTICE)
    if member_note_format not in NoteFormat.values:
        raise ValidationFailed(_("Choose DAP, SOAP or BIRP."), field="member_note_format")
    template = _clean_template(group_note_template)
    with transaction.atomic():
        row = NoteSettings.objects.select_for_update().filter(pk=1).first() or NoteSettings(pk=1)
        before = {
            "member_note_format": row.member_note_format,
            "group_note_template": row.group_note_template,
            "late_entry_hours": row.late_entry_hours,
            "cosign_supervisees": row.cosign_supervisees,
            "require_signed_for_billing": row.require_signed_for_billing,
        }
        row.member_note_format = member_note_format
        row.group_note_template = template
        row.late_entry_hours = late_entry_hours
        row.cosign_supervisees = cosign_supervisees
        row.require_signed_for_billing = require_signed_for_billing
        if not 1 <= late_entry_hours <= 720:  # also a check constraint
            raise ValidationFailed(
                _("Use a number of hours from 1 to 720."), field="late_entry_hours"
            )
        full_clean_or_fail(row)
        row.save()
        changed = [k for k, v in before.items() if getattr(row, k) != v]
        audit_change(actor=actor, action="notes.settings.changed", obj=row, changed=changed)
    return row


def session_is_billable(session: GroupSession) -> bool:
    """Whether the practice's note rule lets ``session`` be billed: always, unless the
    practice requires a signed group note first (then: signed or co-signed). For the
    billing code; attendance and fee rules are billing's own."""
    from kindred.notes.models import GroupNote

    if session.is_cancelled:
        return False
    if not note_settings().require_signed_for_billing:
        return True
    return GroupNote.objects.filter(session=session).exclude(status=NoteStatus.DRAFT).exists()
