"""Calendar feeds: the secret, revocable address a person subscribes to, and the data
behind it (calendar.py writes the iCalendar text).

A feed address is ``/calendar/<token>.ics``. Only a SHA-256 of the token is stored;
the token is shown to its owner once, when made. Making a new address revokes the old
one (a leaked address is fixed by replacing it); revoking stops it at once.

Whose sessions a feed holds:

- members: every session of the groups they hold a seat in (invited or active);
- clinicians: the groups they lead or co-facilitate (a session a substitute covers for
  them is left out) and the single sessions they cover as a substitute.

From ``FEED_PAST`` ago onwards. Loading a feed takes the same few queries whatever it
holds (see ``feed_plan_for``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import NotPermitted
from kindred.groups.models import SEAT_STATUSES, Enrollment, GroupModality, TherapyGroup
from kindred.scheduling.calendar import (
    FeedGroup,
    FeedPlan,
    GroupFacts,
    SessionFacts,
    feed_calendar,
    plan_feed,
    session_calendar,
    to_bytes,
)
from kindred.scheduling.models import CalendarFeed, GroupSession, SessionStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.practice.models import Location, Room

#: How far back a feed reaches.
FEED_PAST = timedelta(days=60)
#: ``last_fetched_at`` is written at most this often (calendar programs poll).
FETCH_MARK_EVERY = timedelta(minutes=15)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


# --- Tokens ------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def feed_path(token: str) -> str:
    return reverse("web:calendar_feed", kwargs={"token": token})


def feed_url(token: str) -> str:
    """The full address to paste into a calendar program."""
    return settings.SITE_URL.rstrip("/") + feed_path(token)


def webcal_url(token: str) -> str:
    """The same address with the webcal scheme, which opens calendar programs directly."""
    parts = urlsplit(feed_url(token))
    return "webcal://" + parts.netloc + parts.path


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "kindred.invalid"


# --- Services ----------------------------------------------------------------------------


def _require_person(actor: User | None) -> User:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise NotPermitted(_("Sign in to manage your calendar address."))
    return actor


def active_feed(*, actor: User) -> CalendarFeed | None:
    """The person's current feed address (its record; the token itself is not kept)."""
    return CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).first()


def calendar_feed_create(*, actor: User) -> tuple[str, CalendarFeed]:
    """Make a new feed address for ``actor``, revoking any they had. Returns the token
    (shown once) and the record."""
    user = _require_person(actor)
    token = new_token()
    now = timezone.now()
    with transaction.atomic():
        replaced = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=now
        )
        feed = CalendarFeed.objects.create(user=user, token_hash=hash_token(token))
        audit_change(
            actor=user,
            action="scheduling.calendar_feed.created",
            obj=feed,
            detail={"replaced": replaced},
        )
    return token, feed


def calendar_feed_revoke(*, actor: User) -> int:
    """Stop every feed address of ``actor`` at once. Returns how many were revoked."""
    user = _require_person(actor)
    with transaction.atomic():
        feeds = list(CalendarFeed.objects.filter(user=user, revoked_at__isnull=True))
        if not feeds:
            return 0
        CalendarFeed.objects.filter(pk__in=[f.pk for f in feeds]).update(revoked_at=timezone.now())
        for feed in feeds:
            audit_change(actor=user, action="scheduling.calendar_feed.revoked", obj=feed)
    return len(feeds)


def feed_by_token(token: str) -> CalendarFeed | None:
    """The live feed for a token from an address, with its person (one query), or None
    for a malformed, unknown or revoked token or a deactivated account."""
    if not _TOKEN_RE.match(token or ""):
        return None
    return (
        CalendarFeed.objects.select_related("user", "user__client", "user__clinician")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def mark_fetched(feed: CalendarFeed, now: datetime) -> None:
    if feed.last_fetched_at is None or now - feed.last_fetched_at >= FETCH_MARK_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)


# --- What a calendar shows ---------------------------------------------------------------


def address_text(location: Location, room: Room | None = None) -> str:
    """A location's postal address in one line (with the room, when there is one)."""
    place = location.name if room is None else f"{location.name} ({room.name})"
    street = ", ".join(p for p in (location.address_line1, location.address_line2) if p)
    return f"{place}, {street}, {location.city}, {location.state} {location.postal_code}"


def location_text(modality: str, location: Location | None, room: Room | None = None) -> str:
    """Where a session happens, for a calendar: the address for in-person sessions,
    "Online (join from Kindred)" for virtual ones — never the video link."""
    online = _("Online (join from Kindred)")
    if modality == GroupModality.VIRTUAL:
        return online
    where = address_text(location, room) if location is not None else _("In person")
    if modality == GroupModality.HYBRID:
        return _("%(address)s, or online (join from Kindred)") % {"address": where}
    return where


def group_facts(group: TherapyGroup) -> GroupFacts:
    """Needs ``location`` and ``room`` loaded (select_related)."""
    return GroupFacts(
        id=group.pk,
        name=group.name,
        recurrence=group.recurrence,
        start_date=group.start_date,
        start_time=group.start_time,
        timezone=group.timezone,
        session_minutes=group.session_minutes,
        location_text=location_text(group.modality, group.location, group.room),
        updated_at=group.updated_at,
    )


def session_facts(session: GroupSession, *, included: bool = True) -> SessionFacts:
    """Needs ``location`` and ``room`` loaded (select_related)."""
    return SessionFacts(
        id=session.pk,
        original_starts_at=session.original_starts_at,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        cancelled=session.status == SessionStatus.CANCELLED,
        sequence=session.sequence,
        location_text=location_text(session.modality, session.location, session.room),
        updated_at=session.updated_at,
        included=included,
    )


@dataclass(frozen=True)
class _Owner:
    client_id: int | None
    clinician_id: int | None


def _owner(user: User) -> _Owner:
    client = getattr(user, "client", None) if getattr(user, "is_member", False) else None
    clinician = (
        getattr(user, "clinician", None) if getattr(user, "is_staff_member", False) else None
    )
    return _Owner(
        client_id=client.pk if client is not None else None,
        clinician_id=clinician.pk if clinician is not None else None,
    )


def _sessions_since(since: datetime) -> Q:
    return Q(starts_at__gte=since) | Q(original_starts_at__gte=since)


def feed_plan_for(user: User, *, now: datetime | None = None) -> FeedPlan:
    """What ``user``'s feed holds. Members: two queries; clinicians: three (their groups,
    those groups' sessions, the sessions they cover as a substitute). Needs the user's
    ``client``/``clinician`` loaded (``feed_by_token`` does)."""
    now = now or timezone.now()
    since = now - FEED_PAST
    owner = _owner(user)
    rooms = ("location", "room")
    if owner.client_id is not None:
        seat = Enrollment.objects.filter(
            group=OuterRef("pk"), client_id=owner.client_id, status__in=SEAT_STATUSES
        )
        groups = list(TherapyGroup.objects.filter(Exists(seat)).select_related(*rooms))
        sessions = GroupSession.objects.filter(group__in=[g.pk for g in groups]).filter(
            _sessions_since(since)
        )
        by_group: dict[int, list[SessionFacts]] = {g.pk: [] for g in groups}
        for session in sessions.select_related(*rooms):
            by_group[session.group_id].append(session_facts(session))
        return plan_feed([FeedGroup(group_facts(g), tuple(by_group[g.pk])) for g in groups])
    if owner.clinician_id is not None:
        return _clinician_plan(owner.clinician_id, since)
    return FeedPlan()


def _clinician_plan(clinician_id: int, since: datetime) -> FeedPlan:
    rooms = ("location", "room")
    co = TherapyGroup.co_facilitators.through.objects.filter(
        therapygroup_id=OuterRef("pk"), clinicianprofile_id=clinician_id
    )
    groups = list(
        TherapyGroup.objects.filter(Q(lead_facilitator_id=clinician_id) | Exists(co))
        .annotate(is_co=Exists(co))
        .select_related(*rooms)
    )
    own = {g.pk: g for g in groups}
    by_group: dict[int, list[SessionFacts]] = {g.pk: [] for g in groups}
    sessions = (
        GroupSession.objects.filter(group__in=list(own))
        .filter(_sessions_since(since))
        .select_related(*rooms)
    )
    for session in sessions:
        group = own[session.group_id]
        # The substitute replaces the lead (scheduling/access.py); co-facilitators stay.
        runs = bool(getattr(group, "is_co", False)) or session.substitute_facilitator_id in (
            None,
            clinician_id,
        )
        by_group[group.pk].append(session_facts(session, included=runs))
    covered = (
        GroupSession.objects.filter(substitute_facilitator_id=clinician_id)
        .exclude(group__in=list(own))
        .filter(_sessions_since(since))
        .select_related("group", "group__location", "group__room", *rooms)
    )
    singles = [(group_facts(s.group), session_facts(s)) for s in covered]
    return plan_feed(
        [FeedGroup(group_facts(g), tuple(by_group[g.pk])) for g in groups], singles=singles
    )


def _calendar_name() -> str:
    from kindred.practice.settings import practice_settings

    return _("%(practice)s: group sessions") % {"practice": practice_settings().name}


def _description(user: User) -> str:
    if getattr(user, "is_member", False):
        page = reverse("web:member_sessions")
    else:
        page = reverse("web:home")
    return _("Times and how to join are in Kindred: %(url)s") % {
        "url": settings.SITE_URL.rstrip("/") + page
    }


def feed_body(user: User, *, now: datetime | None = None) -> bytes:
    """The iCalendar text of ``user``'s feed."""
    plan = feed_plan_for(user, now=now)
    cal = feed_calendar(
        plan, host=site_host(), name=_calendar_name(), description=_description(user)
    )
    return to_bytes(cal)


def session_ics(user: User, session: GroupSession) -> bytes:
    """One session as an .ics file. The caller checked that ``user`` may see it
    (scheduling/access.py); ``session`` needs its group loaded."""
    group = (
        TherapyGroup.objects.filter(pk=session.group_id).select_related("location", "room").get()
    )
    loaded = GroupSession.objects.filter(pk=session.pk).select_related("location", "room").get()
    cal = session_calendar(
        group_facts(group),
        session_facts(loaded),
        host=site_host(),
        name=group.name,
        description=_description(user),
    )
    return to_bytes(cal)
