"""The licensure gate for virtual sessions (CLINICAL.md, "Licensure for virtual
sessions"), and the Join button's state.

Therapy happens where the member is at the time of the session. So before joining a
virtual session (or a hybrid one, from afar) a member attests the state they are in;
every facilitator of that session must hold a license or compact privilege for that
state on the session's local date (``practice.selectors.clinicians_may_practice``
decides). If one does not, the member cannot join, is told plainly why and what to do,
and the facilitators and coordinators are notified.

The Join button opens ``JOIN_OPENS_BEFORE`` the start and closes at the end, for members
with a seat (attendance.py) who passed the gate for that session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment, GroupModality
from kindred.notifications.services import notify
from kindred.practice import licensure
from kindred.practice.roles import ROLE_CAPABILITIES, Capability
from kindred.practice.selectors import clinicians_may_practice
from kindred.practice.states import is_state, state_name
from kindred.scheduling.access import session_facilitator_ids, session_facilitators
from kindred.scheduling.attendance import (
    had_seat,
    has_seat,
    local_day_bounds,
    session_local_date,
    session_zone,
)
from kindred.scheduling.models import GroupSession, StateAttestation

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

#: The Join button (and the attestation before it) opens this long before the start.
JOIN_OPENS_BEFORE = timedelta(minutes=10)
#: Facilitators' "Start session" opens at the same time.
START_OPENS_BEFORE = JOIN_OPENS_BEFORE
NOTIFICATION_KIND = "licensure_gate"


def is_virtual(session: GroupSession) -> bool:
    """Can the session be joined by video (virtual, or hybrid from afar)?"""
    return session.modality in (GroupModality.VIRTUAL, GroupModality.HYBRID)


def join_window(session: GroupSession) -> tuple[datetime, datetime]:
    return session.starts_at - JOIN_OPENS_BEFORE, session.ends_at


def in_join_window(session: GroupSession, now: datetime) -> bool:
    opens, closes = join_window(session)
    return opens <= now < closes


# --- The member's usual state -----------------------------------------------------------


def last_attested_state(client: Client) -> str:
    """The state the member attested most recently, for any session ("" if never)."""
    latest = (
        StateAttestation.objects.filter(client=client)
        .order_by("-updated_at", "-id")
        .values_list("state", flat=True)
        .first()
    )
    return latest or ""


def usual_state(client: Client) -> str:
    """Where the member usually is: the last state they attested, else where they live.
    The attestation page pre-selects it (one tap to confirm)."""
    return last_attested_state(client) or client.state_of_residence


def last_attested_state_subquery(client_ref: str = "pk") -> Subquery:
    """The client's last attested state, for annotating a query whose ``client_ref``
    is the client's id: ``Client.objects.annotate(last_state=...())``, or
    ``Enrollment.objects.annotate(last_state=...("client_id"))``."""
    return Subquery(
        StateAttestation.objects.filter(client=OuterRef(client_ref))
        .order_by("-updated_at", "-id")
        .values("state")[:1]
    )


# --- Deciding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GateDecision:
    state: str
    on: date
    allowed: bool
    #: For staff: which facilitator is not covered, and why (empty when allowed).
    reason: str
    #: The states every facilitator of the session covers on that date, among those the
    #: practice serves (for the member's explanation; filled only when not allowed).
    covered_states: list[str] = field(default_factory=list)

    def member_message(self) -> str:
        """A kind, plain explanation for the member (never the staff reason)."""
        if self.allowed:
            return _("You're all set. Your group's clinicians can meet with you in %(state)s.") % {
                "state": state_name(self.state)
            }
        here = state_name(self.state)
        if self.covered_states:
            names = [state_name(s) for s in self.covered_states]
            covered = (
                names[0]
                if len(names) == 1
                else _("%(list)s or %(last)s") % {"list": ", ".join(names[:-1]), "last": names[-1]}
            )
            return _(
                "Your group's clinicians can only meet with you while you are in "
                "%(covered)s. Because you are in %(here)s right now, this session can't "
                "open for you today."
            ) % {"covered": covered, "here": here}
        return _(
            "Your group's clinicians can't meet with you by video while you are in "
            "%(here)s, so this session can't open for you today."
        ) % {"here": here}


def _facilitator_reason(
    decisions: dict[int, licensure.LicensureDecision], names: dict[int, str]
) -> str:
    parts = [
        f"{names.get(cid, _('A facilitator'))}: {decision.message}"
        for cid, decision in decisions.items()
        if not decision.allowed
    ]
    return " ".join(parts)[:500]


def covered_states(facilitator_ids: list[int], states: Iterable[str], on: date) -> list[str]:
    """Which of ``states`` every one of the facilitators covers on ``on``."""
    return [
        state
        for state in states
        if is_state(state)
        and facilitator_ids
        and all(d.allowed for d in clinicians_may_practice(facilitator_ids, state, on).values())
    ]


def decide(session: GroupSession, state: str) -> GateDecision:
    """May a member in ``state`` join ``session`` by video? Every facilitator must be
    covered on the session's local date."""
    on = session_local_date(session)
    facilitators = session_facilitators(session)
    ids = [c.pk for c in facilitators]
    decisions = clinicians_may_practice(ids, state, on) if ids else {}
    allowed = bool(decisions) and all(d.allowed for d in decisions.values())
    if allowed:
        return GateDecision(state=state, on=on, allowed=True, reason="")
    names = {c.pk: c.user.get_full_name() for c in facilitators}
    reason = _facilitator_reason(decisions, names) or _("The session has no facilitator.")
    from kindred.practice.models import Practice

    states_served = Practice.objects.filter(pk=1).values_list("states_served", flat=True).first()
    served = [s for s in (states_served or []) if s != state]
    return GateDecision(
        state=state,
        on=on,
        allowed=False,
        reason=reason,
        covered_states=covered_states(ids, served, on),
    )


# --- Attesting (the service) ------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    attestation: StateAttestation
    decision: GateDecision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def _member_client(actor: User) -> Client:
    client: Client | None = (
        getattr(actor, "client", None) if getattr(actor, "is_member", False) else None
    )
    if client is None:
        raise NotPermitted(_("Only members confirm where they are before a session."))
    return client


def _check_joinable(session: GroupSession, client: Client, now: datetime) -> None:
    if not is_virtual(session):
        raise InvalidState(_("This session meets in person, so there is nothing to join online."))
    if session.is_cancelled:
        raise InvalidState(_("This session was cancelled."))
    if not has_seat(session, client):
        raise NotFound(_("You do not have a place in this session."))
    opens, closes = join_window(session)
    if now < opens:
        raise InvalidState(
            _("You can confirm where you are and join from %(time)s.")
            % {"time": date_format(timezone.localtime(opens, session_zone(session)), "TIME_FORMAT")}
        )
    if now >= closes:
        raise InvalidState(_("This session has ended."))


def attest_state(
    *, actor: User, session: GroupSession, state: str, now: datetime | None = None
) -> GateResult:
    """Record where the member says they are for ``session``, and whether the session's
    facilitators may meet them there. Audited; when not allowed, the facilitators and
    coordinators are notified (once per session and member). The member may attest
    again (they moved, or chose the wrong state); the latest answer counts."""
    now = now or timezone.now()
    client = _member_client(actor)
    state = (state or "").strip().upper()
    if not is_state(state):
        raise ValidationFailed(_("Choose the state you are in right now."), field="state")
    _check_joinable(session, client, now)
    decision = decide(session, state)
    with transaction.atomic():
        attestation, created = StateAttestation.objects.select_for_update().get_or_create(
            session=session,
            client=client,
            defaults={"state": state, "allowed": decision.allowed, "reason": decision.reason},
        )
        if not created:
            attestation.state = state
            attestation.allowed = decision.allowed
            attestation.reason = decision.reason
            attestation.save(update_fields=["state", "allowed", "reason", "updated_at"])
        audit_change(
            actor=actor,
            action="scheduling.attestation.recorded"
            if created
            else "scheduling.attestation.changed",
            obj=attestation,
            client_id=client.pk,
            changed=["state", "allowed"],
            detail={"allowed": decision.allowed},
        )
        if not decision.allowed:
            _notify_blocked(session, client)
    return GateResult(attestation=attestation, decision=decision)


def _notify_blocked(session: GroupSession, client: Client) -> None:
    """Tell the facilitators and coordinators, without clinical content: who could
    not join which session; the attendance sheet shows the state and the reason."""
    from kindred.accounts.models import User as UserModel

    # Coordinators: whoever holds a role that sees the licensure report.
    roles = [
        role.value
        for role, caps in ROLE_CAPABILITIES.items()
        if Capability.VIEW_LICENSURE_REPORT in caps
    ]
    facilitator_user_ids = [c.user_id for c in session_facilitators(session)]
    recipients = (
        UserModel.objects.filter(is_active=True)
        .filter(Q(pk__in=facilitator_user_ids) | Q(role_grants__role__in=roles))
        .distinct()
        .order_by("pk")
    )
    when = timezone.localtime(session.starts_at, session_zone(session))
    title = _("A member could not join a virtual session")
    body = _(
        "The licensure check stopped %(member)s from joining %(group)s on %(date)s. "
        "The attendance sheet shows the state they are in and why."
    ) % {
        "member": client.display_name,
        "group": session.group.name,
        "date": date_format(when, "DATETIME_FORMAT"),
    }
    url = reverse("web:session_attendance", kwargs={"session_id": session.pk})
    for user in recipients:
        notify(
            user=user,
            kind=NOTIFICATION_KIND,
            title=title,
            body=body,
            url=url,
            dedupe_key=f"licensure-gate:{session.pk}:{client.pk}",
        )


# --- The Join button --------------------------------------------------------------------


class JoinStatus(StrEnum):
    IN_PERSON = "in_person"  # nothing to join online
    CANCELLED = "cancelled"
    NO_SEAT = "no_seat"
    NOT_YET = "not_yet"  # opens at ``opens_at``
    ENDED = "ended"
    NEEDS_ATTESTATION = "needs_attestation"  # window open; confirm the state first
    BLOCKED = "blocked"  # attested a state the facilitators do not cover
    OPEN = "open"


@dataclass(frozen=True)
class JoinState:
    session_id: int
    status: JoinStatus
    opens_at: datetime
    closes_at: datetime
    attestation: StateAttestation | None = None

    @property
    def can_join(self) -> bool:
        return self.status == JoinStatus.OPEN

    @property
    def shows_button(self) -> bool:
        """Show a Join button (it leads to the attestation page first when needed)."""
        return self.status in (JoinStatus.OPEN, JoinStatus.NEEDS_ATTESTATION)

    @property
    def url(self) -> str:
        """Where the Join button goes: the join redirect, or the attestation page first
        (also to try again from another state after being stopped)."""
        if self.status == JoinStatus.OPEN:
            return reverse("web:session_join", kwargs={"session_id": self.session_id})
        if self.status in (JoinStatus.NEEDS_ATTESTATION, JoinStatus.BLOCKED):
            return reverse("web:session_attest", kwargs={"session_id": self.session_id})
        return ""


def _state_for(  # noqa: PLR0911 - one answer per state of the button
    session: GroupSession,
    now: datetime,
    *,
    seated: bool,
    attestation: StateAttestation | None,
) -> JoinState:
    opens, closes = join_window(session)

    def state(status: JoinStatus) -> JoinState:
        return JoinState(session.pk, status, opens, closes, attestation)

    if not is_virtual(session):
        return state(JoinStatus.IN_PERSON)
    if session.is_cancelled:
        return state(JoinStatus.CANCELLED)
    if not seated:
        return state(JoinStatus.NO_SEAT)
    if now < opens:
        return state(JoinStatus.NOT_YET)
    if now >= closes:
        return state(JoinStatus.ENDED)
    if attestation is None:
        return state(JoinStatus.NEEDS_ATTESTATION)
    return state(JoinStatus.OPEN if attestation.allowed else JoinStatus.BLOCKED)


def join_states(
    sessions: Iterable[GroupSession], client: Client, now: datetime
) -> dict[int, JoinState]:
    """``join_state`` for many sessions in two queries (sessions need ``group``
    loaded, e.g. ``select_related("group")``)."""
    sessions = list(sessions)
    if not sessions:
        return {}
    group_ids = {s.group_id for s in sessions}
    enrollments = list(
        Enrollment.objects.filter(client=client, group_id__in=group_ids, activated_at__isnull=False)
    )
    attestations = {
        a.session_id: a
        for a in StateAttestation.objects.filter(
            client=client, session__in=[s.pk for s in sessions]
        )
    }
    result = {}
    for session in sessions:
        start, end = local_day_bounds(session_local_date(session), session_zone(session))
        seated = any(
            e.group_id == session.group_id and had_seat(e, start, end) for e in enrollments
        )
        result[session.pk] = _state_for(
            session, now, seated=seated, attestation=attestations.get(session.pk)
        )
    return result


def join_state(session: GroupSession, client: Client, now: datetime) -> JoinState:
    """What the member's Join button does for ``session`` at ``now``."""
    return join_states([session], client, now)[session.pk]


# --- Joining ----------------------------------------------------------------------------


def member_join_url(*, actor: User, session: GroupSession, now: datetime | None = None) -> str:
    """The video address for a member, only inside the join window, only with a seat,
    only after passing the gate. The decision is checked again with the session's
    facilitators as they are now (a substitute may have been named since); a change is
    recorded. Audited; the address is returned to open at once, never stored or sent."""
    from kindred.scheduling.video import get_provider

    now = now or timezone.now()
    client = _member_client(actor)
    _check_joinable(session, client, now)
    attestation = StateAttestation.objects.filter(session=session, client=client).first()
    if attestation is None:
        raise InvalidState(_("Confirm the state you are in first."), code="needs_attestation")
    if attestation.allowed:
        decision = decide(session, attestation.state)
        if not decision.allowed:
            attest_state(actor=actor, session=session, state=attestation.state, now=now)
            attestation.allowed = False
    if not attestation.allowed:
        raise InvalidState(
            _("Your group's clinicians can't meet with you from the state you gave."),
            code="blocked",
        )
    url = get_provider().join_url(session, actor, moderator=False)
    audit_change(
        actor=actor,
        action="scheduling.session.joined",
        obj=session,
        client_id=client.pk,
        detail={"moderator": False},
    )
    return url


def facilitator_start_url(
    *, actor: User, session: GroupSession, now: datetime | None = None
) -> str:
    """The video address with moderator rights for one of the session's facilitators,
    from ``START_OPENS_BEFORE`` the start until the end. Audited."""
    from kindred.groups.access import clinician_of
    from kindred.scheduling.video import get_provider

    now = now or timezone.now()
    clinician = clinician_of(actor)
    if clinician is None or clinician.pk not in session_facilitator_ids(session):
        raise NotPermitted(_("Only the session's facilitators can start it."))
    if not is_virtual(session):
        raise InvalidState(_("This session meets in person, so there is nothing to start online."))
    if session.is_cancelled:
        raise InvalidState(_("This session was cancelled."))
    if now < session.starts_at - START_OPENS_BEFORE:
        raise InvalidState(
            _("You can start the session from %(time)s.")
            % {
                "time": date_format(
                    timezone.localtime(
                        session.starts_at - START_OPENS_BEFORE, session_zone(session)
                    ),
                    "TIME_FORMAT",
                )
            }
        )
    if now >= session.ends_at:
        raise InvalidState(_("This session has ended."))
    url = get_provider().join_url(session, actor, moderator=True)
    audit_change(
        actor=actor, action="scheduling.session.started", obj=session, detail={"moderator": True}
    )
    return url
