"""Administrations (one questionnaire sent to one member): who may see which, what a
member has waiting, and what staff see of a group's questionnaires.

Members see only their own administrations (anyone else's is a 404 with a "denied"
audit event). Staff see a group's questionnaires when they manage groups or facilitate
that group — and then only their status (sent, started, answered, closed), never the
answers or scores, which are the outcome pages' business (measures/outcomes.py). Every
staff read of who has answered is an access audit event.

The writes (answering, submitting, sending one now, closing) are in
measures/answering.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.audit.services import audit_access
from kindred.clients.models import Client
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotPermitted
from kindred.groups.access import get_group_for, visible_groups
from kindred.groups.models import SEAT_STATUSES, Enrollment, TherapyGroup
from kindred.measures.definitions import Definition, Item
from kindred.measures.library import definition_for_version
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Instrument,
    Response,
    Timing,
)
from kindred.measures.planning import OPEN_STATUSES
from kindred.measures.schedules import can_manage_schedules
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.scheduling.models import GroupSession, SessionStatus

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from kindred.accounts.models import User

#: What members read instead of an instrument's clinical name.
MEMBER_TITLES: dict[str, _StrPromise] = {
    "phq9": gettext_lazy("How you've been feeling"),
    "gad7": gettext_lazy("Worry and nerves"),
    "who5": gettext_lazy("Your well-being"),
    "pcl5": gettext_lazy("After a hard experience"),
    "auditc": gettext_lazy("Alcohol"),
    "pulse": gettext_lazy("How the group session felt"),
}
#: Sessions the staff overview lists: this far back and ahead.
OVERVIEW_PAST = timedelta(days=21)
OVERVIEW_AHEAD = timedelta(days=7)
#: Questionnaires not tied to a session (intake, graduation, sent by a clinician) the
#: overview counts: sent within this many days.
OVERVIEW_OTHERS = timedelta(days=30)
RECENT_DONE = 5


def member_title(instrument: Instrument) -> str:
    known = MEMBER_TITLES.get(instrument.code)
    return str(known) if known is not None else instrument.name


def definition_for(administration: Administration) -> Definition:
    """The definition the administration was sent with (an older version is kept)."""
    return definition_for_version(administration.instrument, administration.instrument_version)


def is_open(administration: Administration, now: datetime) -> bool:
    return (
        administration.status in OPEN_STATUSES
        and administration.available_from <= now
        and (administration.closes_at is None or now < administration.closes_at)
    )


def is_closed(administration: Administration, now: datetime) -> bool:
    """Past its window (whether or not ``expire_closed`` has marked it yet)."""
    if administration.status in (AdministrationStatus.EXPIRED, AdministrationStatus.CANCELLED):
        return True
    return (
        administration.status in OPEN_STATUSES
        and administration.closes_at is not None
        and now >= administration.closes_at
    )


def has_safety_flag(administration: Administration) -> bool:
    """Did the answers raise a flag the instrument marks as a safety flag (PHQ-9 item 9
    above 0)? Decides whether the member sees crisis resources at once."""
    if not administration.flags:
        return False
    definition = definition_for(administration)
    for code in administration.flags:
        flag = definition.flag(str(code))
        if flag is not None and flag.safety:
            return True
    return False


# --- Members --------------------------------------------------------------------------------


def member_client(actor: User | None) -> Client | None:
    from kindred.scheduling.member import member_client as own_client

    return own_client(actor)


def get_own_administration(actor: User | None, administration_id: object) -> Administration:
    """The signed-in member's own administration; anyone else's is a 404 (audited)."""
    client = member_client(actor)
    pk = _int_or_none(administration_id)
    found = None
    if client is not None and pk is not None:
        found = (
            Administration.objects.filter(pk=pk, client=client)
            .select_related("instrument", "group", "session", "client")
            .first()
        )
    if found is None:
        deny(actor, Administration, administration_id)
    return found


def open_for_member(client: Client, *, now: datetime | None = None) -> QuerySet[Administration]:
    """What the member can answer now: open, soonest due first."""
    now = now or timezone.now()
    return (
        Administration.objects.filter(
            client=client,
            status__in=OPEN_STATUSES,
            available_from__lte=now,
        )
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .select_related("instrument", "group", "session")
        .annotate(answered=Count("responses"))
        .order_by("due_at", "closes_at", "pk")
    )


def recently_done_for_member(client: Client, *, limit: int = RECENT_DONE) -> list[Administration]:
    return list(
        Administration.objects.filter(client=client, status=AdministrationStatus.COMPLETED)
        .select_related("instrument", "group", "session")
        .order_by("-completed_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class MemberItem:
    """One waiting questionnaire as a member sees it: no clinical names, no scores."""

    administration: Administration
    title: str
    context: str
    questions: int
    answered: int
    due_at: datetime | None
    closes_at: datetime | None

    @property
    def started(self) -> bool:
        return self.answered > 0


def _context_words(administration: Administration, zone: Any) -> str:
    reason = administration.reason
    session = administration.session
    group = administration.group
    if session is not None:
        day = date_format(timezone.localtime(session.starts_at, zone), "l")
        if reason == Timing.AFTER_SESSION:
            return _("After %(day)s's session") % {"day": day}
        return _("Before %(day)s's session") % {"day": day}
    if reason == Timing.INTAKE and group is not None:
        return _("Welcome to %(group)s") % {"group": group.name}
    if reason == Timing.GRADUATION and group is not None:
        return _("As you finish %(group)s") % {"group": group.name}
    if reason == Timing.ADHOC:
        return _("From your facilitator")
    return group.name if group is not None else ""


def present_for_member(
    administration: Administration, *, zone: Any, answered: int | None = None
) -> MemberItem:
    definition = definition_for(administration)
    count = answered if answered is not None else getattr(administration, "answered", 0)
    return MemberItem(
        administration=administration,
        title=member_title(administration.instrument),
        context=_context_words(administration, zone),
        questions=len(definition.items),
        answered=int(count or 0),
        due_at=administration.due_at,
        closes_at=administration.closes_at,
    )


def member_waiting(client: Client, *, now: datetime | None = None) -> list[MemberItem]:
    from kindred.scheduling.member import safe_zone

    zone = safe_zone(client.timezone)
    return [present_for_member(a, zone=zone) for a in open_for_member(client, now=now)]


def member_home_panel(actor: User) -> dict[str, Any] | None:
    """The member home panel: check-ins waiting (hidden when there are none). One query."""
    client = member_client(actor)
    if client is None:
        return None
    now = timezone.now()
    waiting = (
        Administration.objects.filter(
            client=client, status__in=OPEN_STATUSES, available_from__lte=now
        )
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .count()
    )
    if not waiting:
        return None
    return {"waiting": waiting}


@dataclass(frozen=True)
class Question:
    """One item as the answering page shows it."""

    number: int
    item: Item
    answer: int | None
    errors: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def field(self) -> str:
        return answer_field(self.item.key)


def answer_field(key: str) -> str:
    """The form field of an item (a prefix keeps item keys apart from other fields)."""
    return f"a-{key}"


def stored_answers(administration: Administration) -> dict[str, int]:
    return dict(Response.objects.filter(administration=administration).values_list("item", "value"))


def questions(
    administration: Administration,
    *,
    answers: dict[str, int],
    errors: dict[str, list[str]] | None = None,
) -> list[Question]:
    definition = definition_for(administration)
    errors = errors or {}
    return [
        Question(
            number=n,
            item=item,
            answer=answers.get(item.key),
            errors=tuple(errors.get(item.key, ())),
        )
        for n, item in enumerate(definition.items, start=1)
    ]


# --- Staff ------------------------------------------------------------------------------------


def get_group_for_questionnaires(actor: User | None, group_id: object) -> TherapyGroup:
    """A group whose questionnaires ``actor`` may see and change: managers and the group's
    facilitators. Others who can see the group get 403; others, 404."""
    group = get_group_for(actor, group_id)
    if not can_manage_schedules(actor, group):
        raise NotPermitted(
            _("Only the group's facilitators and coordinators see its questionnaires.")
        )
    return group


def get_group_session(actor: User | None, group: TherapyGroup, session_id: object) -> GroupSession:
    pk = _int_or_none(session_id)
    session = (
        GroupSession.objects.filter(pk=pk, group=group).select_related("group").first()
        if pk is not None
        else None
    )
    if session is None:
        deny(actor, GroupSession, session_id)
    return session


def can_send_now(actor: User | None, group: TherapyGroup) -> bool:
    """Sending a questionnaire now is for the group's own facilitators."""
    from kindred.groups.access import facilitates

    return not getattr(actor, "is_member", False) and facilitates(actor, group)


@dataclass
class Counts:
    sent: int = 0
    started: int = 0
    answered: int = 0
    closed: int = 0

    @property
    def waiting(self) -> int:
        return self.sent - self.answered - self.closed


@dataclass
class SessionRow:
    session: GroupSession
    lines: list[tuple[str, str, Counts]] = field(default_factory=list)  # (name, when, counts)


@dataclass
class Overview:
    sessions: list[SessionRow]
    others: list[tuple[str, str, Counts]]  # (instrument, reason label, counts)


def _add(counts: Counts, status: str, n: int) -> None:
    counts.sent += n
    if status == AdministrationStatus.IN_PROGRESS:
        counts.started += n
    elif status == AdministrationStatus.COMPLETED:
        counts.answered += n
    elif status == AdministrationStatus.EXPIRED:
        counts.closed += n


def group_overview(*, actor: User, group: TherapyGroup, now: datetime | None = None) -> Overview:
    """Who has answered, as counts, for the group's recent and coming sessions and for
    its other questionnaires (three queries; cancelled ones are not counted)."""
    if not can_manage_schedules(actor, group):
        raise NotPermitted(_("Only the group's facilitators and coordinators see this."))
    now = now or timezone.now()
    sessions = list(
        GroupSession.objects.filter(
            group=group,
            status=SessionStatus.SCHEDULED,
            starts_at__gte=now - OVERVIEW_PAST,
            starts_at__lte=now + OVERVIEW_AHEAD,
        ).order_by("-starts_at", "-pk")
    )
    by_session: dict[int, dict[tuple[str, str], Counts]] = defaultdict(dict)
    for session_id, short_name, reason, status, n in (
        Administration.objects.filter(session__in=[s.pk for s in sessions])
        .exclude(status=AdministrationStatus.CANCELLED)
        .values_list("session_id", "instrument__short_name", "reason", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts = by_session[session_id].setdefault((short_name, reason), Counts())
        _add(counts, status, n)
    others: dict[tuple[str, str], Counts] = {}
    for short_name, reason, status, n in (
        Administration.objects.filter(
            group=group, session__isnull=True, available_from__gte=now - OVERVIEW_OTHERS
        )
        .exclude(status=AdministrationStatus.CANCELLED)
        .values_list("instrument__short_name", "reason", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        _add(others.setdefault((short_name, reason), Counts()), status, n)
    rows = [
        SessionRow(
            session=s,
            lines=[
                (name, str(Timing(reason).label), counts)
                for (name, reason), counts in sorted(by_session.get(s.pk, {}).items())
            ],
        )
        for s in sessions
    ]
    return Overview(
        sessions=rows,
        others=[
            (name, str(Timing(reason).label), counts)
            for (name, reason), counts in sorted(others.items())
        ],
    )


@dataclass
class MemberStatusRow:
    client: Client
    statuses: dict[int, Administration]  # by instrument id


def session_statuses(
    *, actor: User, group: TherapyGroup, session: GroupSession
) -> tuple[list[Instrument], list[MemberStatusRow]]:
    """Each member's questionnaires for one session, by status (never answers or scores).
    Reading it is audited. Two queries."""
    if not can_manage_schedules(actor, group):
        raise NotPermitted(_("Only the group's facilitators and coordinators see this."))
    audit_access(actor=actor, action="measures.administration_status.viewed", obj=session)
    rows: dict[int, MemberStatusRow] = {}
    instruments: dict[int, Instrument] = {}
    for administration in (
        Administration.objects.filter(session=session)
        .select_related("client", "instrument")
        .order_by("client__legal_last_name", "client__legal_first_name", "client_id", "pk")
    ):
        instruments[administration.instrument_id] = administration.instrument
        row = rows.setdefault(administration.client_id, MemberStatusRow(administration.client, {}))
        row.statuses[administration.instrument_id] = administration
    return sorted(instruments.values(), key=lambda i: i.name), list(rows.values())


def status_words(administration: Administration | None, now: datetime) -> str:
    """A status as staff read it (no scores)."""
    if administration is None:
        return str(_("Not sent"))
    if administration.status in OPEN_STATUSES and is_closed(administration, now):
        return str(_("Window closed"))
    if (
        administration.status == AdministrationStatus.PENDING
        and administration.available_from > now
    ):
        return str(_("Not open yet"))
    return str(administration.get_status_display())


def send_choices(*, actor: User, group: TherapyGroup) -> tuple[list[Client], list[Instrument]]:
    """Members who may be sent a questionnaire now (a place and a portal account) and the
    instruments in use. Two queries."""
    clients = list(
        Client.objects.filter(
            pk__in=Enrollment.objects.filter(group=group, status__in=SEAT_STATUSES).values(
                "client_id"
            ),
            user__isnull=False,
            user__is_active=True,
        ).order_by("legal_last_name", "legal_first_name", "pk")
    )
    instruments = list(Instrument.objects.filter(is_active=True).order_by("name", "pk"))
    return clients, instruments


def group_administrations(
    *,
    actor: User,
    group: TherapyGroup,
    session_id: int | None = None,
    status: str = "",
) -> QuerySet[Administration]:
    """A group's administrations, newest first, for the API (status only). Audited."""
    if not can_manage_schedules(actor, group):
        raise NotPermitted(_("Only the group's facilitators and coordinators see this."))
    audit_access(actor=actor, action="measures.administration_status.listed", obj=group)
    rows = Administration.objects.filter(group=group).select_related("instrument")
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-available_from", "-pk")


def client_administrations(*, actor: User, client: Client) -> QuerySet[Administration]:
    """One client's administrations in the groups ``actor`` may see questionnaires of
    (managers: all; facilitators: their groups'), newest first, status only. Audited.
    The caller has fetched ``client`` with ``clients.access.get_client_for``."""
    audit_access(
        actor=actor, action="measures.administration_status.listed", obj=client, client_id=client.pk
    )
    rows = Administration.objects.filter(client=client).select_related("instrument")
    if not role_checks.has(actor, Capability.MANAGE_GROUPS):
        from kindred.groups.access import clinician_of

        clinician = clinician_of(actor)
        if clinician is None:
            return rows.none()
        mine = visible_groups(actor).filter(
            Q(lead_facilitator=clinician) | Q(co_facilitators=clinician)
        )
        rows = rows.filter(group__in=mine.values("pk"))
    return rows.order_by("-available_from", "-pk")
