"""Who may read and write which session's notes.

- Writing: the session's facilitators — the lead (or the substitute covering for
  them) and the co-facilitators (scheduling/access.py ``runs_session``). Nobody else
  writes clinical notes, whatever their role.
- Reading: the facilitators of the session's group (and anyone who covered one of its
  sessions), the supervisors of those clinicians, and those who oversee notes
  (``OVERSEE_NOTES``: practice admins). Coordinators and billing see sessions and
  attendance, never note content.
- Co-signing: the supervisor of the note's author (practice.ClinicianProfile.supervisor).

Lists start from ``readable_sessions`` so the rule is applied in the query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotPermitted
from kindred.groups.access import clinician_of, facilitated_groups_q
from kindred.groups.models import TherapyGroup
from kindred.practice import roles as role_checks
from kindred.practice.models import ClinicianProfile
from kindred.practice.roles import Capability, Role
from kindred.scheduling.access import get_session_for, runs_session
from kindred.scheduling.models import GroupSession

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.notes.models import GroupNote, MemberNote


def clinician_ids_for_notes(actor: User | None) -> list[int] | None:
    """The clinicians whose groups' notes ``actor`` may read (themselves, and their
    supervisees when they supervise); None means every session (OVERSEE_NOTES)."""
    if role_checks.has(actor, Capability.OVERSEE_NOTES):
        return None
    clinician = clinician_of(actor)
    if clinician is None:
        return []
    ids = [clinician.pk]
    if role_checks.has_role(actor, Role.SUPERVISOR):
        ids += list(clinician.supervisees.values_list("pk", flat=True))
    return ids


def readable_groups(actor: User | None) -> QuerySet[TherapyGroup]:
    ids = clinician_ids_for_notes(actor)
    if ids is None:
        return TherapyGroup.objects.all()
    if not ids:
        return TherapyGroup.objects.none()
    return TherapyGroup.objects.filter(
        pk__in=TherapyGroup.objects.filter(facilitated_groups_q(ids)).values("pk")
    )


def readable_sessions(actor: User | None) -> QuerySet[GroupSession]:
    """Sessions whose notes ``actor`` may read (members and outsiders: none)."""
    if actor is None or not getattr(actor, "is_staff_member", False) or not actor.is_active:
        return GroupSession.objects.none()
    return GroupSession.objects.filter(group__in=readable_groups(actor))


def may_read_notes(actor: User | None, session: GroupSession) -> bool:
    return readable_sessions(actor).filter(pk=session.pk).exists()


def may_write_notes(actor: User | None, session: GroupSession) -> bool:
    return runs_session(actor, session)


def get_session_for_notes(
    actor: User | None, session_id: object, *, write: bool = False
) -> GroupSession:
    """A session whose notes ``actor`` may read (``write``: write). Someone who can see
    the session but not its notes gets 403; someone who cannot see it, 404."""
    if not getattr(actor, "is_staff_member", False):
        deny(actor, GroupSession, session_id)  # members' own pages never show notes
    session = get_session_for(actor, session_id)
    if write:
        if not may_write_notes(actor, session):
            raise NotPermitted(_("Only the session's facilitators write its notes."))
    elif not (runs_session(actor, session) or may_read_notes(actor, session)):
        raise NotPermitted(_("You can see this session but not its clinical notes."))
    return session


def supervisor_user_id(author: User) -> int | None:
    """The user id of the author's clinical supervisor, if they have one."""
    clinician = clinician_of(author)
    if clinician is None or clinician.supervisor_id is None:
        return None
    return (
        ClinicianProfile.objects.filter(pk=clinician.supervisor_id)
        .values_list("user_id", flat=True)
        .first()
    )


def may_cosign(actor: User | None, note: GroupNote | MemberNote) -> bool:
    if actor is None or not actor.is_authenticated:
        return False
    return note.awaits_cosign and supervisor_user_id(note.author) == actor.pk


def get_note_for(actor: User | None, kind: str, note_id: object) -> GroupNote | MemberNote:
    """A group or member note whose session ``actor`` may read (else denied + 404)."""
    from kindred.notes.models import GroupNote, MemberNote

    model: type[GroupNote] | type[MemberNote] = GroupNote if kind == "group" else MemberNote
    pk = _int_or_none(note_id)
    note = (
        model.objects.filter(pk=pk, session__in=readable_sessions(actor))
        .select_related("session__group", "author")
        .first()
        if pk is not None and kind in ("group", "member")
        else None
    )
    if note is None:
        deny(actor, model, note_id)
    return note
