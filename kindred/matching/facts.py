"""The matching engine's input, read from the database (issue 6).

``build_problem`` turns the open waitlist (all of it, or filtered as on the waitlist
page) and the groups with open seats into a ``types.Problem``, in a constant number of
queries however long the waitlist: every relation is read once for all people and all
groups, keyed by subqueries rather than long lists of ids.

Times become minutes of the week in UTC (``types.MINUTES_PER_WEEK``):

- a person's availability windows are wall-clock times in their own time zone, placed
  on the coming week's dates (so today's daylight-saving offset applies);
- a group's meetings are its scheduled sessions of the next four weeks, or, when none
  are generated yet, the sessions its recurrence gives in that time; a person's other
  groups' sessions (``busy``) are read the same way;
- an interval running past Sunday midnight UTC is split in two.

In person: a person would attend the offices recorded on their client record
(``Client.locations``) and the office of any in-person group they asked for (on their
waitlist entry or referral). A group's language and gender focus are its own fields;
a person's gender is what their record says ("" when not given).

Continuity: ``previous_facilitator_ids`` holds the lead and co-facilitators of every
group the person has had a place in.

Licensure: ``covered_states`` holds the states (among those the people live in) where
every facilitator of the group may practise on the group's next session date, decided
by ``practice.licensure.decide`` on the facts loaded once (three queries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kindred.clients.models import AvailabilityWindow, Client, ClientStatus
from kindred.clients.models import Modality as ClientModality
from kindred.groups.models import (
    LIVE_STATUSES,
    SEAT_STATUSES,
    Enrollment,
    GroupModality,
    TherapyGroup,
)
from kindred.intake.models import (
    OPEN_WAITLIST_STATUSES,
    PlacementExclusion,
    Screening,
    ScreeningDecision,
    Urgency,
    WaitlistEntry,
)
from kindred.intake.selectors import WaitlistFilters
from kindred.matching.types import (
    MINUTES_PER_WEEK,
    Group,
    Interval,
    Modality,
    Person,
    Problem,
    Weights,
)
from kindred.practice import licensure
from kindred.practice.models import CompactMemberState, CompactPrivilege, License
from kindred.practice.selectors import license_fact, periods_of, privilege_fact
from kindred.practice.settings import practice_settings
from kindred.scheduling import recurrence
from kindred.scheduling.models import GroupSession, SessionStatus

#: How far ahead sessions are read to find a group's weekly meeting times.
LOOKAHEAD = timedelta(days=28)
URGENCY_LEVEL: dict[str, int] = {Urgency.ROUTINE: 0, Urgency.SOON: 1, Urgency.URGENT: 2}
_OPEN = [str(s) for s in OPEN_WAITLIST_STATUSES]
_SEATS = [str(s) for s in SEAT_STATUSES]
_LIVE = [str(s) for s in LIVE_STATUSES]
_MODALITY: dict[str, Modality] = {
    GroupModality.VIRTUAL: Modality.VIRTUAL,
    GroupModality.IN_PERSON: Modality.IN_PERSON,
    GroupModality.HYBRID: Modality.HYBRID,
}
_PERSON_MODALITY: dict[str, Modality] = {
    ClientModality.VIRTUAL: Modality.VIRTUAL,
    ClientModality.IN_PERSON: Modality.IN_PERSON,
    ClientModality.EITHER: Modality.EITHER,
}


@dataclass(frozen=True)
class Facts:
    """A problem and what the services need beside it (never read by the engine)."""

    problem: Problem
    client_of_entry: dict[int, int] = field(default_factory=dict)
    urgency_of_entry: dict[int, str] = field(default_factory=dict)
    #: (client id, group id) pairs whose latest decided screening admitted them.
    admitted: frozenset[tuple[int, int]] = frozenset()
    #: group id -> lead facilitator's user id (who screens by default).
    lead_user_of_group: dict[int, int] = field(default_factory=dict)


# --- Weekly minutes ------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(practice_settings().timezone)


def minute_of_week(moment: datetime) -> int:
    """Minutes since Monday 00:00 UTC of ``moment``'s week."""
    utc = moment.astimezone(UTC)
    return utc.weekday() * 24 * 60 + utc.hour * 60 + utc.minute


def weekly(start_minute: int, length: int) -> tuple[Interval, ...]:
    """The interval of ``length`` minutes from ``start_minute``, split at the week's
    end when it wraps past Sunday midnight UTC."""
    start = start_minute % MINUTES_PER_WEEK
    length = max(0, min(length, MINUTES_PER_WEEK))
    if length == 0:
        return ()
    end = start + length
    if end <= MINUTES_PER_WEEK:
        return (Interval(start, end),)
    return (Interval(start, MINUTES_PER_WEEK), Interval(0, end - MINUTES_PER_WEEK))


def session_interval(starts_at: datetime, ends_at: datetime) -> tuple[Interval, ...]:
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    return weekly(minute_of_week(starts_at), minutes)


def window_intervals(
    weekday: int, start: time, end: time, *, zone: ZoneInfo, today: date
) -> tuple[Interval, ...]:
    """A weekly availability window (wall-clock times in ``zone``) in UTC minutes of
    the week, placed on the next such weekday from ``today``."""
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    begins = recurrence.localize(datetime.combine(day, start), zone)
    ends = recurrence.localize(datetime.combine(day, end), zone)
    minutes = int((ends - begins).total_seconds() // 60)
    return weekly(minute_of_week(begins), minutes)


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with duplicates and overlaps joined."""
    out: list[Interval] = []
    for iv in sorted(set(intervals), key=lambda x: (x.start, x.end)):
        if out and iv.start <= out[-1].end:
            last = out[-1]
            out[-1] = Interval(last.start, max(last.end, iv.end))
        else:
            out.append(iv)
    return tuple(out)


def _distinct(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    return tuple(sorted(set(intervals), key=lambda x: (x.start, x.end)))


# --- The waitlist --------------------------------------------------------------------


def open_entries(
    filters: WaitlistFilters | None = None, *, now: datetime
) -> QuerySet[WaitlistEntry]:
    """Open entries of active clients, filtered as the waitlist page filters them
    (whatever ``filters.status`` says: matching only looks at open entries)."""
    f = filters or WaitlistFilters()
    qs = WaitlistEntry.objects.filter(status__in=_OPEN).exclude(
        client__status=ClientStatus.ARCHIVED
    )
    if f.concern is not None:
        qs = qs.filter(client__concerns=f.concern)
    if f.state:
        qs = qs.filter(client__state_of_residence=f.state)
    if f.modality:
        qs = qs.filter(client__preferred_modality__in=[f.modality, ClientModality.EITHER])
    if f.waited_weeks:
        qs = qs.filter(added_at__lte=now - timedelta(weeks=f.waited_weeks))
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.group is not None:
        qs = qs.filter(group=f.group)
    return qs


def _seats_taken() -> Coalesce:
    return Coalesce(
        Subquery(
            Enrollment.objects.filter(group=OuterRef("pk"), status__in=_SEATS)
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def candidate_groups(
    *, group_ids: Iterable[int] | None = None, with_seats: bool = True
) -> QuerySet[TherapyGroup]:
    """Forming and active groups, each with ``seats_taken``; only those with a free seat
    unless ``with_seats`` is false (a re-check wants the full group too)."""
    qs = TherapyGroup.objects.filter(status__in=_LIVE).annotate(taken=_seats_taken())
    if group_ids is not None:
        qs = qs.filter(pk__in=list(group_ids))
    if with_seats:
        qs = qs.filter(taken__lt=F("max_size"))
    return qs.order_by("id")


# --- Building the problem --------------------------------------------------------------

_ENTRY_FIELDS = (
    "id",
    "client_id",
    "group_id",
    "urgency",
    "added_at",
    "client__state_of_residence",
    "client__date_of_birth",
    "client__language",
    "client__gender",
    "client__preferred_modality",
    "client__timezone",
    "referral__group_id",
)
_GROUP_FIELDS = (
    "id",
    "max_size",
    "min_size",
    "taken",
    "modality",
    "location_id",
    "min_age",
    "max_age",
    "gender_focus",
    "language",
    "lead_facilitator_id",
    "lead_facilitator__user_id",
    "recurrence",
    "start_date",
    "start_time",
    "session_minutes",
    "timezone",
)


@dataclass
class _PeopleRelations:
    """What is known about the people beside their entry and client record."""

    concerns: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    windows: dict[int, list[tuple[int, time, time]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    excluded: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    seat_groups: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    previous_facilitators: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    locations: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    referred: set[int] = field(default_factory=set)
    declined: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    admitted: set[tuple[int, int]] = field(default_factory=set)


def _people_relations(clients_sub: QuerySet[WaitlistEntry, Any]) -> _PeopleRelations:
    """Concerns, offices, availability, exclusions (both ways), places (with their
    groups' facilitators) and screenings of the people: six queries."""
    rel = _PeopleRelations()
    through = Client.concerns.through
    for client_id, tag_id in through.objects.filter(client_id__in=clients_sub).values_list(
        "client_id", "concerntag_id"
    ):
        rel.concerns[client_id].add(tag_id)
    for client_id, location_id in Client.locations.through.objects.filter(
        client_id__in=clients_sub
    ).values_list("client_id", "location_id"):
        rel.locations[client_id].add(location_id)
    for client_id, weekday, start, end in AvailabilityWindow.objects.filter(
        client_id__in=clients_sub
    ).values_list("client_id", "weekday", "start_time", "end_time"):
        rel.windows[client_id].append((weekday, start, end))
    for a, b in PlacementExclusion.objects.filter(
        Q(client_id__in=clients_sub) | Q(other_id__in=clients_sub)
    ).values_list("client_id", "other_id"):
        rel.excluded[a].add(b)
        rel.excluded[b].add(a)
    # One row per (place, co-facilitator of its group); None when it has none.
    for client_id, group_id, status, lead, co in Enrollment.objects.filter(
        client_id__in=clients_sub
    ).values_list(
        "client_id",
        "group_id",
        "status",
        "group__lead_facilitator_id",
        "group__co_facilitators",
    ):
        rel.previous_facilitators[client_id].add(lead)
        if co is not None:
            rel.previous_facilitators[client_id].add(co)
        if status in _SEATS:
            rel.seat_groups[client_id].add(group_id)
    # A decided screening stands until a later one supersedes it.
    latest_any: dict[int, str] = {}
    latest_for: dict[tuple[int, int], str] = {}
    for client_id, group_id, decision in (
        Screening.objects.filter(client_id__in=clients_sub, decided_at__isnull=False)
        .order_by("decided_at", "id")
        .values_list("client_id", "group_id", "decision")
    ):
        latest_any[client_id] = decision
        latest_for[(client_id, group_id)] = decision
    rel.referred = {c for c, d in latest_any.items() if d == ScreeningDecision.REFER_INDIVIDUAL}
    for (client_id, group_id), decision in latest_for.items():
        if decision == ScreeningDecision.ADMIT:
            rel.admitted.add((client_id, group_id))
        else:
            rel.declined[client_id].add(group_id)
    return rel


def _sessions(
    group_pks: list[int],
    clients_sub: QuerySet[WaitlistEntry, Any] | None,
    now: datetime,
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Scheduled sessions in the look-ahead of the candidate groups and of the live
    groups where the people hold a place: one query."""
    where = Q(group_id__in=group_pks)
    if clients_sub is not None:
        where |= Q(
            group_id__in=Enrollment.objects.filter(
                client_id__in=clients_sub, status__in=_SEATS, group__status__in=_LIVE
            ).values("group_id")
        )
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for group_id, starts_at, ends_at in (
        GroupSession.objects.filter(
            where,
            status=SessionStatus.SCHEDULED,
            starts_at__gte=now,
            starts_at__lt=now + LOOKAHEAD,
        )
        .order_by("starts_at", "id")
        .values_list("group_id", "starts_at", "ends_at")
    ):
        found[group_id].append((starts_at, ends_at))
    return found


@dataclass
class _GroupRelations:
    focus: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    facilitators: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    member_concerns: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


def _group_relations(groups: list[dict[str, Any]]) -> _GroupRelations:
    """Focus, facilitators, members and the members' concerns: four queries."""
    rel = _GroupRelations()
    group_pks = [g["id"] for g in groups]
    for g in groups:
        rel.facilitators[g["id"]].add(g["lead_facilitator_id"])
    if not group_pks:
        return rel
    for group_id, tag_id in TherapyGroup.concerns.through.objects.filter(
        therapygroup_id__in=group_pks
    ).values_list("therapygroup_id", "concerntag_id"):
        rel.focus[group_id].add(tag_id)
    for group_id, clinician_id in TherapyGroup.co_facilitators.through.objects.filter(
        therapygroup_id__in=group_pks
    ).values_list("therapygroup_id", "clinicianprofile_id"):
        rel.facilitators[group_id].add(clinician_id)
    seats = Enrollment.objects.filter(group_id__in=group_pks, status__in=_SEATS)
    for group_id, client_id in seats.values_list("group_id", "client_id"):
        rel.members[group_id].add(client_id)
    for client_id, tag_id in Client.concerns.through.objects.filter(
        client_id__in=seats.values("client_id")
    ).values_list("client_id", "concerntag_id"):
        rel.member_concerns[client_id].add(tag_id)
    return rel


def _intervals(sessions: Iterable[tuple[datetime, datetime]]) -> tuple[Interval, ...]:
    return _distinct(iv for s, e in sessions for iv in session_interval(s, e))


def _group(
    g: dict[str, Any],
    rel: _GroupRelations,
    *,
    sessions: list[tuple[datetime, datetime]],
    covered: frozenset[str],
) -> Group:
    gid = g["id"]
    members = sorted(rel.members.get(gid, ()))
    return Group(
        group_id=gid,
        open_seats=max(0, g["max_size"] - g["taken"]),
        size=g["taken"],
        min_size=g["min_size"],
        modality=_MODALITY.get(g["modality"], Modality.VIRTUAL),
        meetings=_intervals(sessions),
        covered_states=covered,
        location_id=g["location_id"],
        language=g["language"] or "",
        min_age=g["min_age"],
        max_age=g["max_age"],
        gender_focus=g["gender_focus"] or "",
        focus_concerns=frozenset(rel.focus.get(gid, ())),
        member_client_ids=frozenset(members),
        member_concern_sets=tuple(frozenset(rel.member_concerns.get(c, ())) for c in members),
        facilitator_ids=frozenset(rel.facilitators[gid]),
    )


def _person(
    row: dict[str, Any],
    rel: _PeopleRelations,
    *,
    busy_of_group: dict[int, tuple[Interval, ...]],
    location_of_group: dict[int, int | None],
    now: datetime,
    today: date,
) -> Person:
    client_id = row["client_id"]
    zone = _zone(row["client__timezone"])
    local_today = timezone.localdate(now, timezone=zone)
    availability = merge(
        iv
        for weekday, start, end in rel.windows.get(client_id, [])
        for iv in window_intervals(weekday, start, end, zone=zone, today=local_today)
    )
    seat_groups = rel.seat_groups.get(client_id, set())
    busy = merge(iv for gid in seat_groups for iv in busy_of_group.get(gid, ()))
    # The offices they could get to: those on their record, and the office of an
    # in-person group they asked for (asking for it says they could get there).
    asked = {row["group_id"], row["referral__group_id"]} - {None}
    locations = rel.locations.get(client_id, set()) | (
        {location_of_group.get(gid) for gid in asked} - {None}
    )
    return Person(
        entry_id=row["id"],
        client_id=client_id,
        state=row["client__state_of_residence"],
        age=_age(row["client__date_of_birth"], today),
        gender=row["client__gender"] or "",
        language=row["client__language"] or "",
        modality=_PERSON_MODALITY.get(row["client__preferred_modality"], Modality.EITHER),
        availability=availability,
        concerns=frozenset(rel.concerns.get(client_id, ())),
        waited_days=max(0, (now - row["added_at"]).days),
        urgency=URGENCY_LEVEL.get(row["urgency"], 0),
        location_ids=frozenset(int(x) for x in locations if x is not None),
        busy=busy,
        excluded_client_ids=frozenset(rel.excluded.get(client_id, ())),
        only_group_id=row["group_id"],
        blocked_group_ids=frozenset(rel.declined.get(client_id, set()) | seat_groups),
        referred_to_individual_care=client_id in rel.referred,
        previous_facilitator_ids=frozenset(rel.previous_facilitators.get(client_id, ())),
    )


def build_facts(
    *,
    filters: WaitlistFilters | None = None,
    weights: Weights | None = None,
    entry_ids: Iterable[int] | None = None,
    group_ids: Iterable[int] | None = None,
    with_seats: bool = True,
    now: datetime | None = None,
    time_limit_seconds: float = 10.0,
) -> Facts:
    """The problem for the open entries matching ``filters`` (or exactly ``entry_ids``)
    and the groups with open seats (or exactly ``group_ids``; full ones too when
    ``with_seats`` is false). At most seventeen queries, however many people."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=_zone(practice_settings().timezone))
    entries_qs = open_entries(filters, now=now)
    if entry_ids is not None:
        entries_qs = entries_qs.filter(pk__in=list(entry_ids))
    rows = list(entries_qs.order_by("added_at", "id").values(*_ENTRY_FIELDS))
    clients_sub = entries_qs.values("client_id")
    groups = list(
        candidate_groups(group_ids=group_ids, with_seats=with_seats).values(*_GROUP_FIELDS)
    )
    group_pks = [g["id"] for g in groups]
    people_rel = _people_relations(clients_sub) if rows else _PeopleRelations()
    busy_group_ids = {gid for gids in people_rel.seat_groups.values() for gid in gids}
    sessions = (
        _sessions(group_pks, clients_sub if busy_group_ids else None, now)
        if group_pks or busy_group_ids
        else {}
    )
    group_rel = _group_relations(groups)

    group_sessions: dict[int, list[tuple[datetime, datetime]]] = {}
    next_date: dict[int, date] = {}
    for g in groups:
        zone = _zone(g["timezone"])
        found = sessions.get(g["id"]) or _from_rule(g, now)
        group_sessions[g["id"]] = found
        next_date[g["id"]] = (
            found[0][0].astimezone(zone).date()
            if found
            else max(g["start_date"], timezone.localdate(now, timezone=zone))
        )
    covered = _covered_states(
        {gid: frozenset(group_rel.facilitators[gid]) for gid in group_pks},
        {r["client__state_of_residence"] for r in rows},
        next_date,
    )
    busy_of_group = {gid: _intervals(sessions.get(gid, [])) for gid in busy_group_ids}
    location_of_group = {g["id"]: g["location_id"] for g in groups}
    people = tuple(
        _person(
            row,
            people_rel,
            busy_of_group=busy_of_group,
            location_of_group=location_of_group,
            now=now,
            today=today,
        )
        for row in rows
    )
    return Facts(
        problem=Problem(
            people=people,
            groups=tuple(
                _group(
                    g,
                    group_rel,
                    sessions=group_sessions[g["id"]],
                    covered=covered.get(g["id"], frozenset()),
                )
                for g in groups
            ),
            weights=weights or Weights(),
            time_limit_seconds=time_limit_seconds,
        ),
        client_of_entry={r["id"]: r["client_id"] for r in rows},
        urgency_of_entry={r["id"]: r["urgency"] for r in rows},
        admitted=frozenset(people_rel.admitted),
        lead_user_of_group={g["id"]: g["lead_facilitator__user_id"] for g in groups},
    )


def build_problem(
    *,
    filters: WaitlistFilters | None = None,
    weights: Weights | None = None,
    now: datetime | None = None,
) -> Problem:
    """``build_facts(...).problem``: the open waitlist against the groups with seats."""
    return build_facts(filters=filters, weights=weights, now=now).problem


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _from_rule(g: dict[str, Any], now: datetime) -> list[tuple[datetime, datetime]]:
    """Sessions the group's recurrence gives in the look-ahead, when none are stored."""
    try:
        found = recurrence.expand(
            g["recurrence"],
            start_date=g["start_date"],
            start_time=g["start_time"],
            duration=timedelta(minutes=g["session_minutes"]),
            tz_name=g["timezone"],
            window_start=now,
            window_end=now + LOOKAHEAD,
            limit=12,
        )
    except recurrence.RecurrenceError:
        return []
    return [(o.starts_at, o.ends_at) for o in found]


def _covered_states(
    facilitators_of: dict[int, frozenset[int]], states: set[str], on: dict[int, date]
) -> dict[int, frozenset[str]]:
    """For each group, the states in ``states`` where every facilitator may practise on
    the group's date. Three queries for every clinician at once; each (clinician, state,
    date) decided once."""
    clinician_ids = sorted({c for cs in facilitators_of.values() for c in cs})
    if not clinician_ids or not states:
        return {gid: frozenset() for gid in facilitators_of}
    licenses: dict[int, list[licensure.LicenseFact]] = defaultdict(list)
    for lic in License.objects.filter(clinician_id__in=clinician_ids):
        licenses[lic.clinician_id].append(license_fact(lic))
    privileges: dict[int, list[licensure.PrivilegeFact]] = defaultdict(list)
    compact_ids: set[int] = set()
    for priv in CompactPrivilege.objects.filter(clinician_id__in=clinician_ids).select_related(
        "compact"
    ):
        privileges[priv.clinician_id].append(privilege_fact(priv, priv.compact.name))
        compact_ids.add(priv.compact_id)
    periods = (
        periods_of(CompactMemberState.objects.filter(compact_id__in=compact_ids))
        if compact_ids
        else []
    )
    decided: dict[tuple[int, str, date], bool] = {}

    def may(clinician_id: int, state: str, day: date) -> bool:
        key = (clinician_id, state, day)
        if key not in decided:
            decided[key] = licensure.decide(
                state=state,
                on=day,
                licenses=licenses.get(clinician_id, []),
                privileges=privileges.get(clinician_id, []),
                memberships=periods,
            ).allowed
        return decided[key]

    return {
        gid: frozenset(
            s for s in sorted(states) if cs and all(may(c, s, on[gid]) for c in sorted(cs))
        )
        for gid, cs in facilitators_of.items()
    }
