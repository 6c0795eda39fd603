"""Who may see which sessions, and who runs a session.

Sessions are visible to whoever may see their group (groups/access.py). Taking
attendance belongs to the session's facilitators — the lead (or the substitute covering
for them) and the co-facilitators — and to those who manage groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotPermitted
from kindred.groups.access import clinician_of, visible_groups
from kindred.practice import roles as role_checks
from kindred.practice.models import ClinicianProfile
from kindred.practice.roles import Capability
from kindred.scheduling.models import GroupSession

if TYPE_CHECKING:
    from kindred.accounts.models import User


def visible_sessions(actor: User | None) -> QuerySet[GroupSession]:
    return GroupSession.objects.filter(group__in=visible_groups(actor))


def get_session_for(actor: User | None, session_id: object, *, write: bool = False) -> GroupSession:
    """A session whose group ``actor`` may see (else denied event + 404). ``write``:
    changing the session itself (cancel, reschedule, substitute) needs MANAGE_GROUPS."""
    pk = _int_or_none(session_id)
    session = (
        visible_sessions(actor).filter(pk=pk).select_related("group").first()
        if pk is not None
        else None
    )
    if session is None:
        deny(actor, GroupSession, session_id)
    if write and not role_checks.has(actor, Capability.MANAGE_GROUPS):
        raise NotPermitted(_("You can see this session but not change it."))
    return session


def session_facilitator_ids(session: GroupSession) -> list[int]:
    """Clinician ids running this session: the substitute replaces the lead."""
    lead = session.substitute_facilitator_id or session.group.lead_facilitator_id
    co = list(session.group.co_facilitators.values_list("pk", flat=True))
    return [lead, *[c for c in co if c != lead]]


def session_facilitators(session: GroupSession) -> list[ClinicianProfile]:
    ids = session_facilitator_ids(session)
    by_id = {c.pk: c for c in ClinicianProfile.objects.filter(pk__in=ids).select_related("user")}
    return [by_id[i] for i in ids if i in by_id]


def runs_session(actor: User | None, session: GroupSession) -> bool:
    clinician = clinician_of(actor)
    return clinician is not None and clinician.pk in session_facilitator_ids(session)


def get_session_for_attendance(actor: User | None, session_id: object) -> GroupSession:
    """A session whose attendance ``actor`` may take: its facilitators, or group managers.
    Others who can see it get 403; others who cannot, 404."""
    session = get_session_for(actor, session_id)
    if runs_session(actor, session) or role_checks.has(actor, Capability.MANAGE_GROUPS):
        return session
    raise NotPermitted(_("Only the session's facilitators can take attendance."))
