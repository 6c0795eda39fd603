"""How a member wants session reminders: email on or off, and text messages (opt-in,
with a mobile number). Members change their own; those who manage client records can
change anyone's, except that only the member can undo a STOP they texted us."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import NotPermitted, ValidationFailed
from kindred.core.validators import validate_phone
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.scheduling.sms import normalise_phone

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client


def may_change_preferences(actor: User, client: Client) -> bool:
    own = client.user_id is not None and client.user_id == actor.pk
    return own or role_checks.has(actor, Capability.MANAGE_CLIENTS)


def reminder_preferences_set(
    *,
    actor: User,
    client: Client,
    email_reminders: bool,
    sms_reminders: bool,
    phone: str | None = None,
) -> Client:
    """Set a client's reminder preferences (and, with ``phone``, their phone number).
    Text messages need a mobile number. Nothing is saved when anything is wrong."""
    if not may_change_preferences(actor, client):
        raise NotPermitted(_("You cannot change this person's reminders."))
    own = client.user_id == actor.pk
    new_phone = client.phone if phone is None else phone.strip()
    errors: dict[str, list[str]] = {}
    if new_phone:
        try:
            validate_phone(new_phone)
        except ValidationError as exc:
            errors["phone"] = list(exc.messages)
    if sms_reminders and not errors.get("phone") and not normalise_phone(new_phone):
        errors["phone"] = [_("Add a mobile number to get text messages.")]
    stopped = client.sms_opted_out_at is not None
    if sms_reminders and stopped and not own and not client.sms_reminders:
        errors["sms_reminders"] = [
            _(
                "This person replied STOP to our texts. Only they can turn texts back on: "
                "by replying START, or on their own account page."
            )
        ]
    if errors:
        raise ValidationFailed(errors=errors)
    values: dict[str, object] = {
        "email_reminders": bool(email_reminders),
        "sms_reminders": bool(sms_reminders),
        "phone": new_phone,
    }
    if own and sms_reminders and stopped:
        # The member asks for texts again: their choice overrides the earlier STOP.
        values["sms_opted_out_at"] = None
    changed = [name for name, value in values.items() if getattr(client, name) != value]
    if not changed:
        return client
    with transaction.atomic():
        for name in changed:
            setattr(client, name, values[name])
        client.save(update_fields=[*changed, "updated_at"])
        audit_change(
            actor=actor,
            action="scheduling.reminder_preferences.updated",
            obj=client,
            client_id=client.pk,
            changed=changed,
        )
    return client
