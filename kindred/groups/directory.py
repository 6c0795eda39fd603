"""The public group directory and "Request to join".

The directory shows, to anyone, the groups the practice lists publicly that are forming
or meeting: what the group is for, its focus, format, modality, day and time, the
states a virtual group can serve, its fee, and whether seats are open — never anything
about its members (not even how many there are).

"The states a virtual group can serve" are the practice's states in which EVERY
facilitator of the group (lead and co-facilitators) may practise today
(practice.selectors.clinicians_may_practice), since therapy happens where the member is.

A page of the directory takes a constant number of queries however many groups it lists:
the groups (with their seat counts), their focus tags, their co-facilitators, and three
queries per state the practice serves for the licensure check.

Join requests (replaced by the self-referral form of intake/referrals.py, where the
directory's "Request to join" now leads; kept so earlier requests can still be handled):
a visitor leaves a name, email, optional phone and state; coordinators see them and mark
them handled. Protection against automated submissions is core/antispam.py's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.audit.models import Category
from kindred.audit.services import audit_change, audit_record
from kindred.clients.models import ConcernTag
from kindred.core.access import deny
from kindred.core.antispam import (
    MIN_FILL_TIME,
    RATE_LIMIT,
    RATE_WINDOW,
    RateLimited,  # noqa: F401 - still imported from here
    check_fill_time,
    check_rate,
    ip_key,
)
from kindred.core.errors import NotFound, ValidationFailed, full_clean_or_fail
from kindred.core.validators import validate_phone
from kindred.groups.models import (
    LIVE_STATUSES,
    SEAT_STATUSES,
    Enrollment,
    GroupFormat,
    GroupModality,
    JoinRequest,
    TherapyGroup,
)
from kindred.practice import roles as role_checks
from kindred.practice.models import ClinicianProfile, Practice
from kindred.practice.roles import Capability
from kindred.practice.selectors import clinicians_may_practice
from kindred.practice.states import is_state, state_name
from kindred.scheduling import recurrence
from kindred.scheduling.recurrence import RecurrenceError

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: A second request for the same group from the same email within this time is the same
#: request (a double click, a reload): nothing new is stored.
DUPLICATE_WINDOW = timedelta(days=1)


# --- Listing ---------------------------------------------------------------------------


def listed_groups() -> QuerySet[TherapyGroup]:
    """Groups anyone may see: listed publicly, forming or meeting. Annotated with
    ``seats_taken``; focus tags and co-facilitator ids prefetched."""
    return (
        TherapyGroup.objects.filter(listed_publicly=True, status__in=LIVE_STATUSES)
        # A correlated count, worked out only for the rows of the page shown (a join and
        # GROUP BY would count every listed group's enrollments on every page).
        .annotate(
            seats_taken=Coalesce(
                Subquery(
                    Enrollment.objects.filter(group=OuterRef("pk"), status__in=SEAT_STATUSES)
                    .order_by()
                    .values("group")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            )
        )
        .select_related("location")
        .prefetch_related(
            Prefetch("concerns", queryset=ConcernTag.objects.order_by("name", "id")),
            Prefetch(
                "co_facilitators",
                queryset=ClinicianProfile.objects.only("id"),
            ),
        )
        .order_by("name", "id")
    )


@dataclass(frozen=True)
class DirectoryFilters:
    concern: int | None = None
    modality: str = ""

    def apply(self, qs: QuerySet[TherapyGroup]) -> QuerySet[TherapyGroup]:
        if self.concern:
            qs = qs.filter(concerns=self.concern)
        if self.modality in GroupModality.values:
            qs = qs.filter(modality=self.modality)
        return qs


def directory_groups(filters: DirectoryFilters | None = None) -> QuerySet[TherapyGroup]:
    return (filters or DirectoryFilters()).apply(listed_groups())


def directory_group(slug: str) -> TherapyGroup:
    """One listed group by its web address name, or 404 (unlisted groups do not exist
    for the public)."""
    group = listed_groups().filter(slug=slug).first() if slug else None
    if group is None:
        raise NotFound(_("There is no group at this address."))
    return group


def offered_concerns() -> QuerySet[ConcernTag]:
    """Focus tags that at least one listed group has (for the filter)."""
    return (
        ConcernTag.objects.filter(
            groups__listed_publicly=True, groups__status__in=LIVE_STATUSES, is_active=True
        )
        .distinct()
        .order_by("name", "id")
    )


# --- What a visitor reads about a group --------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One regular meeting time: an upcoming instant, and how it reads in the group's
    zone ("Tuesday, 6:00 PM CST")."""

    at: datetime  # UTC
    text: str


@dataclass(frozen=True)
class Schedule:
    frequency: str  # "Every week"
    slots: list[Slot]
    minutes: int
    starts_on: date | None  # when the first session is still ahead
    timezone: str
    sessions_count: int | None  # closed groups with COUNT


@dataclass
class DirectoryEntry:
    group: TherapyGroup
    concerns: list[str]
    schedule: Schedule
    states: list[str]  # state codes a virtual group can serve today
    seats_open: bool
    fee: str

    @property
    def state_names(self) -> list[str]:
        return [state_name(s) for s in self.states]

    @property
    def is_virtual(self) -> bool:
        return self.group.modality in (GroupModality.VIRTUAL, GroupModality.HYBRID)

    @property
    def is_in_person(self) -> bool:
        return self.group.modality in (GroupModality.IN_PERSON, GroupModality.HYBRID)

    @property
    def eligibility(self) -> list[str]:
        group = self.group
        lines = []
        if group.min_age is not None and group.max_age is not None:
            lines.append(
                _("For ages %(low)d to %(high)d") % {"low": group.min_age, "high": group.max_age}
            )
        elif group.min_age is not None:
            lines.append(_("For ages %(low)d and up") % {"low": group.min_age})
        elif group.max_age is not None:
            lines.append(_("For ages up to %(high)d") % {"high": group.max_age})
        if group.gender_focus:
            lines.append(_("For %(who)s") % {"who": group.get_gender_focus_display().lower()})
        return lines

    @property
    def language(self) -> str:
        """The language the group is held in ("English")."""
        return str(self.group.get_language_display())


_FREQ = re.compile(r"FREQ=([A-Z]+)", re.IGNORECASE)
_INTERVAL = re.compile(r"INTERVAL=(\d+)", re.IGNORECASE)
_COUNT = re.compile(r"COUNT=(\d+)", re.IGNORECASE)


def frequency_text(rule: str) -> str:
    match = _FREQ.search(rule or "")
    freq = match[1].upper() if match else ""
    found = _INTERVAL.search(rule or "")
    n = int(found[1]) if found else 1
    if freq == "DAILY":
        return ngettext("Every day", "Every %(n)d days", n) % {"n": n}
    if freq == "WEEKLY":
        return ngettext("Every week", "Every %(n)d weeks", n) % {"n": n}
    if freq == "MONTHLY":
        return ngettext("Every month", "Every %(n)d months", n) % {"n": n}
    if freq == "YEARLY":
        return ngettext("Every year", "Every %(n)d years", n) % {"n": n}
    return _("Regularly")


def _slot_text(local: datetime) -> str:
    from django.utils.formats import date_format

    return f"{date_format(local, 'l')}, {date_format(local, 'TIME_FORMAT')} {local:%Z}"


def schedule_of(group: TherapyGroup, now: datetime) -> Schedule:
    """The group's regular day(s) and time from its rule: the distinct weekday/time
    pairs among its next few sessions (pure computation, no queries)."""
    duration = timedelta(minutes=group.session_minutes)
    count = _COUNT.search(group.recurrence or "")
    try:
        upcoming = recurrence.expand(
            group.recurrence,
            start_date=group.start_date,
            start_time=group.start_time,
            duration=duration,
            tz_name=group.timezone,
            window_start=now,
            window_end=now + timedelta(days=400),
            limit=8,
        )
        if not upcoming:  # the rule has run out: describe it from its first sessions
            upcoming = recurrence.expand(
                group.recurrence,
                start_date=group.start_date,
                start_time=group.start_time,
                duration=duration,
                tz_name=group.timezone,
                window_end=now + timedelta(days=400),
                limit=8,
            )
    except RecurrenceError:
        upcoming = []
    slots: list[Slot] = []
    seen: set[tuple[int, int, int]] = set()
    for occurrence in upcoming:
        local = occurrence.local_start
        key = (local.weekday(), local.hour, local.minute)
        if key in seen:
            continue
        seen.add(key)
        slots.append(Slot(at=occurrence.starts_at.astimezone(UTC), text=_slot_text(local)))
    return Schedule(
        frequency=frequency_text(group.recurrence),
        slots=slots,
        minutes=group.session_minutes,
        starts_on=group.start_date if group.start_date > now.astimezone(UTC).date() else None,
        timezone=group.timezone,
        sessions_count=int(count[1]) if count and group.format == GroupFormat.CLOSED else None,
    )


def fee_text(group: TherapyGroup) -> str:
    if group.fee_cents == 0:
        return _("No fee")
    dollars, cents = divmod(group.fee_cents, 100)
    amount = f"${dollars:,}" if cents == 0 else f"${dollars:,}.{cents:02d}"
    return _("%(amount)s per session") % {"amount": amount}


def states_served() -> list[str]:
    practice = Practice.objects.filter(pk=1).values_list("states_served", flat=True).first()
    return sorted(s for s in (practice or []) if is_state(s))


def facilitator_ids(group: TherapyGroup) -> list[int]:
    """Lead and co-facilitators (co-facilitators prefetched: no query)."""
    return [group.lead_facilitator_id, *(c.pk for c in group.co_facilitators.all())]


def servable_states(
    groups: Sequence[TherapyGroup], states: Iterable[str], on: date
) -> dict[int, list[str]]:
    """For each virtual or hybrid group: the states in which every one of its
    facilitators may practise on ``on``. Three queries per state, whatever the number
    of groups."""
    virtual = [g for g in groups if g.modality in (GroupModality.VIRTUAL, GroupModality.HYBRID)]
    result: dict[int, list[str]] = defaultdict(list)
    everyone = sorted({cid for g in virtual for cid in facilitator_ids(g)})
    if not everyone:
        return result
    for state in states:
        decisions = clinicians_may_practice(everyone, state, on)
        for group in virtual:
            if all(decisions[cid].allowed for cid in facilitator_ids(group)):
                result[group.pk].append(state)
    return result


def directory_entries(
    groups: Iterable[TherapyGroup], *, now: datetime | None = None
) -> list[DirectoryEntry]:
    """What the directory shows for each group (groups from ``listed_groups``)."""
    from kindred.practice.settings import practice_settings

    now = now or timezone.now()
    groups = list(groups)
    today = timezone.localtime(now, _zone(practice_settings().timezone)).date()
    served = servable_states(groups, states_served(), today) if groups else {}
    return [
        DirectoryEntry(
            group=g,
            concerns=[c.name for c in g.concerns.all()],
            schedule=schedule_of(g, now),
            states=served.get(g.pk, []),
            seats_open=getattr(g, "seats_taken", 0) < g.max_size,
            fee=fee_text(g),
        )
        for g in groups
    ]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("America/Chicago")


# --- Join requests -----------------------------------------------------------------------


def ip_hash(ip: str | None) -> str:
    """A keyed hash of the visitor's IP address: lets us count requests per connection
    without keeping the address."""
    return ip_key(ip, purpose="kindred.groups.join_request.ip")


def _check_join_request(request: JoinRequest) -> None:
    """Per-field messages for what a visitor typed (ValidationFailed, nothing saved)."""
    errors: dict[str, list[str]] = {}
    if not request.name:
        errors["name"] = [_("Tell us what to call you.")]
    if not is_state(request.state):
        errors["state"] = [_("Choose the state you live in.")]
    if request.phone:
        try:
            validate_phone(request.phone)
        except DjangoValidationError as exc:
            errors["phone"] = list(exc.messages)
    try:
        full_clean_or_fail(request, exclude=["group", "handled_by", "ip_hash"])
    except ValidationFailed as exc:
        for key, messages in exc.errors.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationFailed(errors=errors)


class Outcome:
    """What happened to a request (the visitor sees thanks in every case but errors)."""

    SAVED = "saved"
    DUPLICATE = "duplicate"
    DISCARDED = "discarded"  # the honeypot was filled in: not a person


def join_request_create(
    *,
    group: TherapyGroup,
    name: str,
    email: str,
    phone: str = "",
    state: str = "",
    ip: str | None = None,
    honeypot: str = "",
    shown_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, JoinRequest | None]:
    """Record a visitor's request to join ``group`` (a listed group). Anonymous.

    Raises ValidationFailed with per-field messages (nothing saved) for bad input, a
    form sent too fast or without its timestamp, or too many requests from one
    connection. Returns the outcome and the request (None when discarded)."""
    now = now or timezone.now()
    if honeypot:
        return Outcome.DISCARDED, None
    check_fill_time(shown_at, now=now, minimum=MIN_FILL_TIME)
    request = JoinRequest(
        group=group,
        name=(name or "").strip(),
        email=(email or "").strip(),
        phone=(phone or "").strip(),
        state=(state or "").strip().upper(),
        ip_hash=ip_hash(ip),
    )
    _check_join_request(request)
    with transaction.atomic():
        # Requests for one group queue on its row, so the duplicate check and the
        # insert cannot interleave (a double click stores one request).
        TherapyGroup.objects.select_for_update().filter(pk=group.pk).first()
        if request.ip_hash:
            recent = JoinRequest.objects.filter(
                ip_hash=request.ip_hash, created_at__gte=now - RATE_WINDOW
            ).count()
            check_rate(recent, limit=RATE_LIMIT)
        existing = JoinRequest.objects.filter(
            group=group,
            email__iexact=request.email,
            handled_at__isnull=True,
            created_at__gte=now - DUPLICATE_WINDOW,
        ).first()
        if existing is not None:
            return Outcome.DUPLICATE, existing
        request.save()
        audit_change(actor=None, action="groups.join_request.received", obj=request)
    return Outcome.SAVED, request


def join_request_list(*, actor: User | None, handled: bool = False) -> QuerySet[JoinRequest]:
    """Join requests for coordinators (MANAGE_GROUPS), open or handled, newest first.
    The read is audited (names and contact details)."""
    role_checks.require(actor, Capability.MANAGE_GROUPS)
    audit_record(
        actor=actor,
        action="groups.join_request.listed",
        category=Category.ACCESS,
        detail={"handled": handled},
    )
    return (
        JoinRequest.objects.filter(handled_at__isnull=not handled)
        .select_related("group", "handled_by")
        .order_by("-created_at", "-id")
    )


def get_join_request_for(actor: User | None, request_id: object) -> JoinRequest:
    if not role_checks.has(actor, Capability.MANAGE_GROUPS):
        deny(actor, JoinRequest, request_id)
    try:
        pk = int(str(request_id))
    except (TypeError, ValueError):
        pk = 0
    found = JoinRequest.objects.filter(pk=pk).select_related("group").first() if pk > 0 else None
    if found is None:
        deny(actor, JoinRequest, request_id)
    return found


def join_request_mark_handled(
    *, actor: User, join_request: JoinRequest, handled: bool = True
) -> JoinRequest:
    """Mark a request handled (someone got in touch), or open again."""
    role_checks.require(actor, Capability.MANAGE_GROUPS)
    with transaction.atomic():
        locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
        if handled and locked.handled_at is None:
            locked.handled_at = timezone.now()
            locked.handled_by = actor
            action = "groups.join_request.handled"
        elif not handled and locked.handled_at is not None:
            locked.handled_at = None
            locked.handled_by = None
            action = "groups.join_request.reopened"
        else:
            return locked
        locked.save(update_fields=["handled_at", "handled_by"])
        audit_change(actor=actor, action=action, obj=locked, changed=["handled_at"])
    return locked
