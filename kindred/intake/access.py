"""Who may see and change referrals and the waitlist.

Referrals and waitlist entries are about people who are not (yet) in anyone's group, so
only staff who see every client record (``VIEW_ALL_CLIENTS``: intake coordinators and
practice admins) see them; changing them needs ``MANAGE_CLIENTS``. Everyone else —
facilitators, supervisors, billing, members — finds nothing: 404, with a "denied" audit
event when they ask for one by id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kindred.core.access import deny
from kindred.core.errors import NotPermitted
from kindred.intake.models import PlacementExclusion, Referral, WaitlistEntry
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User


def sees_waitlist(actor: User | None) -> bool:
    """Staff who may see referrals and the waitlist."""
    return bool(
        actor is not None
        and getattr(actor, "is_staff_member", False)
        and role_checks.has(actor, Capability.VIEW_ALL_CLIENTS)
    )


def visible_referrals(actor: User | None) -> QuerySet[Referral]:
    return Referral.objects.all() if sees_waitlist(actor) else Referral.objects.none()


def visible_entries(actor: User | None) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.all() if sees_waitlist(actor) else WaitlistEntry.objects.none()


def _require_write(actor: User | None) -> None:
    if not role_checks.has(actor, Capability.MANAGE_CLIENTS):
        raise NotPermitted(_("You can see the waitlist but not change it."))


def get_referral_for(actor: User | None, referral_id: object, *, write: bool = False) -> Referral:
    """The referral if ``actor`` may see it; otherwise a "denied" audit event and 404.
    ``write=True`` also asks whether they may act on it (403 if not)."""
    pk = int_or_none(referral_id)
    found = visible_referrals(actor).filter(pk=pk).first() if pk is not None else None
    if found is None:
        deny(actor, Referral, referral_id)
    if write:
        _require_write(actor)
    return found


def get_entry_for(actor: User | None, entry_id: object, *, write: bool = False) -> WaitlistEntry:
    """The waitlist entry (with its client and group) if ``actor`` may see it; otherwise
    a "denied" audit event and 404. ``write=True`` also asks whether they may change it."""
    pk = int_or_none(entry_id)
    found = None
    if pk is not None:
        found = visible_entries(actor).filter(pk=pk).select_related("client", "group").first()
    if found is None:
        deny(actor, WaitlistEntry, entry_id)
    if write:
        _require_write(actor)
    return found


def get_exclusion_for(
    actor: User | None, entry: WaitlistEntry, exclusion_id: object
) -> PlacementExclusion:
    """An exclusion involving the client of ``entry`` (obtained with ``get_entry_for``)."""
    pk = int_or_none(exclusion_id)
    found = None
    if pk is not None:
        found = (
            PlacementExclusion.objects.filter(pk=pk)
            .filter(Q(client_id=entry.client_id) | Q(other_id=entry.client_id))
            .select_related("client", "other")
            .first()
        )
    if found is None:
        deny(actor, PlacementExclusion, exclusion_id)
    return found


def int_or_none(value: object) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    # Out-of-range ids would make the database raise instead of finding nothing.
    return number if 0 < number < 2**63 else None
