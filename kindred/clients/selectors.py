"""Reads of client records that depend on who asks. Lists are filtered in the query by
``access.visible_clients``; opening one record writes an access audit event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from kindred.audit.models import AuditEvent
from kindred.audit.services import audit_access
from kindred.clients.access import can_read_concerns, get_client_for, visible_clients
from kindred.clients.models import (
    Client,
    ClientStatus,
    ClientStatusChange,
    ConcernTag,
    PortalInvitation,
)
from kindred.clients.services import search_key
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.practice.models import Location

RECENT_ACTIVITY_LIMIT = 25
STATUS_ALL = "all"


@dataclass(frozen=True)
class ClientFilters:
    """What the list page and the API list accept. Empty means "any"."""

    search: str = ""
    status: str = ClientStatus.ACTIVE
    state: str = ""
    concern: int | None = None
    modality: str = ""


def _name_filter(search: str) -> Q:
    """Every word must start one of the names ("an gar" finds "Ana García")."""
    condition = Q()
    for word in search_key(search).split()[:6]:
        condition &= Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
    return condition


def client_list(*, actor: User | None, filters: ClientFilters | None = None) -> QuerySet[Client]:
    """The clients ``actor`` may see, filtered; concerns are prefetched (one query)."""
    f = filters or ClientFilters()
    qs = visible_clients(actor)
    if f.search.strip():
        qs = qs.filter(_name_filter(f.search))
    if f.status and f.status != STATUS_ALL:
        qs = qs.filter(status=f.status)
    if f.state:
        qs = qs.filter(state_of_residence=f.state)
    if f.concern is not None:
        qs = qs.filter(concerns=f.concern)
    if f.modality:
        qs = qs.filter(preferred_modality=f.modality)
    return qs.order_by("legal_last_name", "legal_first_name", "id").prefetch_related(
        Prefetch("concerns", queryset=ConcernTag.objects.order_by("name", "id"))
    )


def client_get(*, actor: User, client_id: object, write: bool = False) -> Client:
    """Open one record: the access check, then an access audit event. ``write=True``
    when it is opened to be changed (the edit form shows it too)."""
    client = get_client_for(actor, client_id, write=write)
    audit_access(actor=actor, action="clients.client.viewed", obj=client, client_id=client.pk)
    return client


def client_detail(*, actor: User, client_id: object) -> dict[str, object]:
    """Everything the detail page shows, in a fixed number of queries."""
    client = client_get(actor=actor, client_id=client_id)
    activity: list[AuditEvent] = []
    if role_checks.has(actor, Capability.VIEW_AUDIT):
        activity = list(
            AuditEvent.objects.filter(client_id=client.pk).order_by("-occurred_at", "-id")[
                :RECENT_ACTIVITY_LIMIT
            ]
        )
    return {
        "client": client,
        "concerns": list(client.concerns.order_by("name", "id")),
        "locations": list(client.locations.order_by("name", "id")),
        "windows": list(client.availability.order_by("weekday", "start_time", "id")),
        "invitations": list(client.invitations.order_by("-created_at", "-id")[:5]),
        "status_changes": list(
            ClientStatusChange.objects.filter(client=client)
            .select_related("changed_by")
            .order_by("-changed_at", "-id")[:5]
        ),
        "activity": activity,
    }


def own_client(*, actor: User) -> Client:
    """A member's own record (read through the API's /me/client/); audited as a read."""
    from kindred.core.access import deny

    client = None
    if getattr(actor, "is_member", False) and actor.is_active:
        client = Client.objects.filter(user=actor).first()
    if client is None:
        deny(actor, Client, "me")
    audit_access(actor=actor, action="clients.client.viewed", obj=client, client_id=client.pk)
    return client


def clients_by_ids(*, actor: User | None, ids: list[int]) -> list[Client]:
    """The records among ``ids`` that ``actor`` may see (possible duplicates)."""
    return list(visible_clients(actor).filter(pk__in=ids).order_by("legal_last_name", "id"))


def concern_list(*, actor: User | None, offered_only: bool = False) -> QuerySet[ConcernTag]:
    if not can_read_concerns(actor):
        return ConcernTag.objects.none()
    qs = ConcernTag.objects.order_by("name", "id")
    if offered_only:
        qs = qs.filter(is_active=True)
    return qs


def concern_choices(*, actor: User | None, client: Client | None = None) -> QuerySet[ConcernTag]:
    """Concerns a form offers: the offered ones, plus retired ones the record already has
    (so editing does not silently drop them)."""
    if not can_read_concerns(actor):
        return ConcernTag.objects.none()
    offered = Q(is_active=True)
    if client is not None:
        offered |= Q(pk__in=client.concerns.values("pk"))
    return ConcernTag.objects.filter(offered).order_by("name", "id")


def account_exists(*, email: str) -> bool:
    from kindred.accounts.models import User

    return User.objects.filter(email__iexact=email).exists()


def practice_contact() -> dict[str, str]:
    """How an invited person reaches the practice (public pages)."""
    from kindred.practice.models import Practice

    row = Practice.objects.filter(pk=1).values("name", "contact_email", "contact_phone").first()
    return {k: str(v) for k, v in (row or {}).items()}


def invitation_list(*, actor: User, client: Client) -> QuerySet[PortalInvitation]:
    """Invitations of a client the caller already obtained through ``get_client_for``."""
    return PortalInvitation.objects.filter(client=client).order_by("-created_at", "-id")


def location_choices(*, client: Client | None = None) -> QuerySet[Location]:
    """The offices a record may list: those in use, and any it already lists."""
    from kindred.practice.models import Location

    where = Q(is_active=True)
    if client is not None:
        where |= Q(pk__in=client.locations.values("pk"))
    return Location.objects.filter(where).order_by("name", "id")
