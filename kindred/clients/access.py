"""Who may see and change which client records.

``visible_clients`` is the one place that says which clients a person can see; every
list, lookup and API view starts from it, so the rule is applied in the query itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from kindred.clients.models import (
    AvailabilityWindow,
    Client,
    ConcernTag,
    PortalInvitation,
)
from kindred.core.access import deny
from kindred.core.errors import NotPermitted
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User


def visible_clients(actor: User | None) -> QuerySet[Client]:
    """The client records ``actor`` may see.

    - Practice admins and intake coordinators (``VIEW_ALL_CLIENTS``): every record.
    - Facilitators and supervisors: the clients who hold or held a place in a group
      they run or supervise (groups/access.py ``visible_groups`` decides which groups).
    - Billing: none for now. Members: none (their own record is not a staff record).
    - Clinicians also see a client they hold an active break-glass grant for
      (kindred/breakglass: re-authenticated, with a typed reason, time-limited).
    """
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Client.objects.none()
    if not getattr(actor, "is_staff_member", False):
        return Client.objects.none()
    if role_checks.has(actor, Capability.VIEW_ALL_CLIENTS):
        return Client.objects.all()
    from kindred.breakglass.access import granted_client_ids, may_break_glass

    ordinary = _group_clients(actor)
    if may_break_glass(actor):
        # Emergency access (kindred/breakglass): one client, for a limited time.
        return ordinary | Client.objects.filter(pk__in=granted_client_ids(actor))
    return ordinary


def _group_clients(actor: User) -> QuerySet[Client]:
    from kindred.groups.access import visible_groups
    from kindred.groups.models import Enrollment

    return Client.objects.filter(
        pk__in=Enrollment.objects.filter(group__in=visible_groups(actor)).values("client_id")
    )


def get_client_for(actor: User | None, client_id: object, *, write: bool = False) -> Client:
    """The client ``client_id`` if ``actor`` may see it; otherwise a "denied" audit
    event and 404. ``write=True`` also asks whether they may change it (403 if they can
    see it but not change it)."""
    from kindred.breakglass.access import may_break_glass

    pk = _int_or_none(client_id)
    clients = visible_clients(actor)
    # A clinician may reach a record through a break-glass grant: ask in the same query
    # whether it is one of their groups' clients, so the grant path can be flagged.
    via_grant_possible = may_break_glass(actor) and not role_checks.has(
        actor, Capability.VIEW_ALL_CLIENTS
    )
    if via_grant_possible and actor is not None:
        clients = clients.annotate(
            kindred_in_my_groups=Exists(_group_clients(actor).filter(pk=OuterRef("pk")))
        )
    client = clients.filter(pk=pk).first() if pk is not None else None
    if client is not None and not getattr(client, "kindred_in_my_groups", True):
        _flag_break_glass_access(actor, client)
    if client is None:
        deny(actor, Client, client_id)
    if write and not role_checks.has(actor, Capability.MANAGE_CLIENTS):
        raise NotPermitted(_("You can see this record but not change it."))
    return client


def _flag_break_glass_access(actor: User | None, client: Client) -> None:
    """A record reached only through a break-glass grant is audited as such, with the
    grant's reason, on every access (queries more only on that path)."""
    from kindred.breakglass.access import active_grant, flag_access

    if actor is None:
        return
    grant = active_grant(actor, client.pk)
    if grant is not None:
        flag_access(actor, grant)


def get_window_for(actor: User | None, client: Client, window_id: object) -> AvailabilityWindow:
    """A window of a client already obtained with ``get_client_for(..., write=True)``."""
    pk = _int_or_none(window_id)
    window = None
    if pk is not None:
        window = (
            AvailabilityWindow.objects.filter(client=client, pk=pk).select_related("client").first()
        )
    if window is None:
        deny(actor, AvailabilityWindow, window_id)
    return window


def get_invitation_for(
    actor: User | None, client: Client, invitation_id: object, *, write: bool = False
) -> PortalInvitation:
    """An invitation of a client already obtained with ``get_client_for``."""
    pk = _int_or_none(invitation_id)
    invitation = None
    if pk is not None:
        invitation = PortalInvitation.objects.filter(client=client, pk=pk).first()
    if invitation is None:
        deny(actor, PortalInvitation, invitation_id)
    if write and not role_checks.has(actor, Capability.INVITE_CLIENTS):
        raise NotPermitted(_("You cannot manage portal invitations."))
    return invitation


def can_read_concerns(actor: User | None) -> bool:
    """The concern list is practice configuration every staff member may read."""
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and getattr(actor, "is_staff_member", False)
    )


def get_concern_for(actor: User | None, concern_id: object, *, write: bool = False) -> ConcernTag:
    pk = _int_or_none(concern_id)
    concern = None
    if pk is not None and can_read_concerns(actor):
        concern = ConcernTag.objects.filter(pk=pk).first()
    if concern is None:
        deny(actor, ConcernTag, concern_id)
    if write:
        role_checks.require(actor, Capability.MANAGE_PRACTICE)
    return concern


def _int_or_none(value: object) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    # Out-of-range ids would make the database raise instead of finding nothing.
    return number if 0 < number < 2**63 else None
