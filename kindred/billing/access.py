"""Who may see and change billing records.

- The billing role and practice admins (``MANAGE_BILLING``): every member's charges,
  payments, fee overrides and diagnoses (diagnoses go on superbills), the settings and
  the affordability report.
- Diagnoses are changed by the member's clinicians (the facilitators of a group the
  member holds or held a place in, and their supervisors) and by admins
  (``EDIT_ANY_DIAGNOSIS``); those clinicians read them too.
- A member: their own charges, payments, balance, statements and superbills, never
  anyone else's.

Someone else's record answers 404 with a denied audit event (core.access.deny).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kindred.clients.models import Client
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotPermitted
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability, Role

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.billing.models import Charge


def may_manage_billing(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_BILLING)


def require_billing(actor: User | None) -> None:
    if not may_manage_billing(actor):
        raise NotPermitted(_("Only the billing team and practice admins can do that."))


def own_client(actor: User | None) -> Client | None:
    """The member's own client record, for portal pages."""
    if actor is None or not actor.is_authenticated or not getattr(actor, "is_member", False):
        return None
    return Client.objects.filter(user_id=actor.pk).first()


def clinician_clients(actor: User | None) -> QuerySet[Client]:
    """Clients who hold or held a place in a group ``actor`` leads, co-facilitates or
    covers, or that a supervisee of theirs does. Not widened by VIEW_ALL_GROUPS: a
    coordinator is not a member's clinician."""
    from kindred.groups.access import clinician_of, facilitated_groups_q
    from kindred.groups.models import Enrollment, TherapyGroup

    clinician = clinician_of(actor)
    if clinician is None or actor is None or not actor.is_active:
        return Client.objects.none()
    ids: list[int] = [clinician.pk]
    if role_checks.has_role(actor, Role.SUPERVISOR):
        ids += list(clinician.supervisees.values_list("pk", flat=True))
    groups = TherapyGroup.objects.filter(facilitated_groups_q(ids)).values("pk")
    return Client.objects.filter(
        pk__in=Enrollment.objects.filter(group__in=groups).values("client_id")
    )


def is_clinician_of(actor: User | None, client: Client) -> bool:
    return clinician_clients(actor).filter(pk=client.pk).exists()


def may_read_diagnoses(actor: User | None, client: Client) -> bool:
    return (
        may_manage_billing(actor)
        or role_checks.has(actor, Capability.EDIT_ANY_DIAGNOSIS)
        or is_clinician_of(actor, client)
    )


def may_edit_diagnoses(actor: User | None, client: Client) -> bool:
    return role_checks.has(actor, Capability.EDIT_ANY_DIAGNOSIS) or is_clinician_of(actor, client)


def get_billing_client_for(actor: User | None, client_id: object) -> Client:
    """A member's record for billing pages: the billing team and admins only."""
    pk = _int_or_none(client_id)
    client = Client.objects.filter(pk=pk).first() if pk is not None else None
    if client is None or not may_manage_billing(actor):
        deny(actor, Client, client_id)
    return client


def get_diagnosis_client_for(
    actor: User | None, client_id: object, *, write: bool = False
) -> Client:
    """A member's record for reading (or, with ``write``, changing) their diagnoses.
    Staff who can see the record but not its diagnoses get 403; anyone else 404."""
    from kindred.clients.access import visible_clients

    pk = _int_or_none(client_id)
    client = None
    if pk is not None:
        client = Client.objects.filter(pk=pk).first()
        if client is not None and not (
            may_read_diagnoses(actor, client) or visible_clients(actor).filter(pk=pk).exists()
        ):
            client = None
    if client is None:
        deny(actor, Client, client_id)
    if write and not may_edit_diagnoses(actor, client):
        raise NotPermitted(_("Only the member's clinicians and practice admins can change this."))
    if not write and not may_read_diagnoses(actor, client):
        raise NotPermitted(_("You can see this record but not its diagnoses."))
    return client


def get_charge_for(actor: User | None, charge_id: object) -> Charge:
    from kindred.billing.models import Charge

    pk = _int_or_none(charge_id)
    charge = None
    if pk is not None:
        qs = Charge.objects.filter(pk=pk).select_related("client", "session__group")
        if may_manage_billing(actor):
            charge = qs.first()
        else:
            mine = own_client(actor)
            if mine is not None:
                charge = qs.filter(client=mine, status="posted").first()
    if charge is None:
        deny(actor, Charge, charge_id)
    return charge
