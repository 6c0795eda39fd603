"""The scale data set of PERFORMANCE.md: a large multi-state practice after five years,
sized by the number of clients and bulk-inserted.

Each entity has one ``seed_<entity>`` method, registered in ``ScaleSeeder.steps``; a later
issue adds its entities (groups, sessions, attendance, ...) the same way. Every step draws
from its own ``Random`` seeded by (seed, step name), so adding a step never changes the
data earlier steps produce.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from kindred.accounts.models import RoleGrant, User, UserKind
from kindred.audit.models import AuditEvent, Category
from kindred.clients.models import AvailabilityWindow, Client, ConcernTag, Modality
from kindred.clients.services import search_key
from kindred.core.seeding import names
from kindred.core.seeding.demo import WINDOWS
from kindred.core.seeding.reference import (
    CITIES,
    COMPACTS,
    CONCERN_TAGS,
    PROFESSIONS,
    STATE_TIMEZONES,
    STREETS,
    CompactFacts,
    Profession,
)
from kindred.groups.models import (
    Enrollment,
    EnrollmentStatus,
    GroupFormat,
    GroupModality,
    GroupStatus,
    TherapyGroup,
)
from kindred.practice.models import (
    ClinicianProfile,
    Compact,
    CompactMemberState,
    CompactPrivilege,
    CredentialStatus,
    License,
    Location,
    Practice,
    Room,
)
from kindred.practice.roles import Role
from kindred.scheduling.generation import REASON_GROUP_PAUSED, generate_for_groups
from kindred.scheduling.models import GroupSession, SessionStatus

SCALE_DOMAIN = "scale.example.test"
DEFAULT_SEED = 2026
DEFAULT_CLIENTS = 20_000
# Where the practice's clients and clinicians live (weights).
STATE_WEIGHTS: dict[str, int] = {"IL": 45, "FL": 30, "KS": 20, "MO": 5}
LANGUAGE_WEIGHTS: dict[str, int] = {"en": 85, "es": 9, "pl": 2, "vi": 2, "zh": 1, "ar": 1}
# Gender as clients give it (optional: "" when not given), for gender-specific groups.
GENDER_WEIGHTS: dict[str, int] = {
    "": 35, "woman": 38, "man": 22, "nonbinary": 3, "another": 1, "prefer_not": 1,
}  # fmt: skip
# The weekly slots a clinician's groups use (local time; 90-minute sessions never overlap).
GROUP_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA")
GROUP_TIMES = (time(9, 0), time(12, 0), time(17, 30), time(19, 30))
GROUP_SLOTS: tuple[tuple[int, time], ...] = tuple(
    (day, at) for day in range(len(GROUP_DAYS)) for at in GROUP_TIMES
)
GROUP_WORDS = (
    "Steady", "Harbor", "Prairie", "Willow", "Lantern", "Bridge", "Compass", "Meadow",
    "Riverside", "Cedar", "Open Door", "Evening", "Morning", "Lakeside", "Northstar",
)  # fmt: skip


@dataclass(frozen=True)
class ScalePlan:
    """How many of each thing, in proportion to the number of clients
    (PERFORMANCE.md: 20,000 clients → 200 clinicians and 60 locations)."""

    clients: int

    def _per(self, per_20k: int, minimum: int = 1) -> int:
        return max(minimum, round(self.clients * per_20k / 20_000))

    @property
    def clinicians(self) -> int:
        return self._per(200, minimum=2)

    @property
    def supervisors(self) -> int:
        return max(1, self.clinicians // 20)

    @property
    def locations(self) -> int:
        return self._per(60)

    @property
    def coordinators(self) -> int:
        return self._per(10)

    @property
    def admins(self) -> int:
        return 2

    @property
    def billing(self) -> int:
        return self._per(4)

    @property
    def audit_events_per_client(self) -> int:
        return 5

    @property
    def groups(self) -> int:
        """Ten groups led by each clinician (2,000 for 20,000 clients)."""
        return self.clinicians * 10

    @property
    def session_days(self) -> int:
        """Sessions cover a year: half behind today, half ahead."""
        return 365


Progress = Callable[[int], object]


@dataclass(frozen=True)
class Step:
    name: str
    estimate: int  # rows, for the progress bar
    run: Callable[[Progress], int]  # returns rows written


@dataclass
class Created:
    """Ids of what earlier steps made, for later steps to refer to."""

    concern_ids: list[int] = field(default_factory=list)
    compacts: dict[str, tuple[int, CompactFacts]] = field(default_factory=dict)
    location_ids: list[int] = field(default_factory=list)
    admin_ids: list[int] = field(default_factory=list)
    coordinator_ids: list[int] = field(default_factory=list)
    clinician_user_ids: list[int] = field(default_factory=list)
    supervisor_user_ids: list[int] = field(default_factory=list)
    billing_ids: list[int] = field(default_factory=list)
    emails: dict[int, str] = field(default_factory=dict)
    # clinician profile id -> (home state, profession)
    clinicians: dict[int, tuple[str, Profession]] = field(default_factory=dict)
    client_ids: list[int] = field(default_factory=list)
    # group id -> (weekday, local start, time zone); and the groups themselves
    group_slots: dict[int, tuple[int, time, str]] = field(default_factory=dict)
    groups: list[TherapyGroup] = field(default_factory=list)


def _weighted(rng: Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _chunks(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


class ScaleSeeder:
    def __init__(
        self,
        plan: ScalePlan,
        *,
        seed: int = DEFAULT_SEED,
        tag: str = "",
        batch_size: int = 2000,
        today: date | None = None,
    ):
        self.plan = plan
        self.seed = seed
        # Distinguishes a second run on the same database (--force); empty on a fresh one.
        self.tag = tag
        self.batch_size = batch_size
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.created = Created()

    def rng(self, step: str) -> Random:
        return Random(f"{self.seed}:{step}")  # noqa: S311 - synthetic data, not secrets

    @property
    def steps(self) -> list[Step]:
        plan = self.plan
        staff = plan.admins + plan.coordinators + plan.billing + plan.clinicians
        return [
            Step("practice", 1, self.seed_practice),
            Step("instruments", 6, self.seed_instruments),  # the six built-ins
            Step("concern tags", len(CONCERN_TAGS), self.seed_concerns),
            Step("compacts", len(COMPACTS), self.seed_compacts),
            Step("locations and rooms", plan.locations * 4, self.seed_locations),
            Step("staff", staff * 2, self.seed_staff),
            Step("clinicians", plan.clinicians, self.seed_clinicians),
            Step("licenses", plan.clinicians * 2, self.seed_licenses),
            Step("compact privileges", plan.clinicians // 4, self.seed_privileges),
            Step("clients", plan.clients, self.seed_clients),
            Step("availability", plan.clients * 2, self.seed_availability),
            Step("client concerns", plan.clients * 2, self.seed_client_concerns),
            Step("client offices", plan.clients, self.seed_client_offices),
            Step(
                "audit log",
                plan.clients * plan.audit_events_per_client,
                self.seed_audit_events,
            ),
            Step("groups", plan.groups * 3, self.seed_groups),
            Step("enrollments", plan.groups * 8, self.seed_enrollments),
            Step("sessions", plan.groups * 52, self.seed_sessions),
            Step("attendance", plan.groups * 120, self.seed_attendance),
            Step("waitlist", plan.clients * 2, self.seed_waitlist),
            Step("screenings", plan.groups * 4, self.seed_screenings),
            Step("agreements and signatures", plan.groups * 12, self.seed_agreements),
            # ~52 item answers, ~11 questionnaires per client (PERFORMANCE.md: 1,000,000
            # item answers at 20,000 clients).
            Step("questionnaires", plan.clients * 63, self.seed_questionnaires),
            # A group note and ~5 member notes or absences per past session (issue 7).
            Step("notes", plan.groups * 70, self.seed_notes),
            Step("billing", plan.groups * 70, self.seed_billing),
            # Group spaces (issue 8): ~15 posts per client (PERFORMANCE.md: 300,000 at 20,000).
            Step("group spaces", plan.clients * 30, self.seed_space),
            Step("goals", plan.groups * 75, self.seed_goals),
            Step("coping strategies", plan.groups * 7, self.seed_strategies),
            Step("journal", plan.groups * 9, self.seed_journal),
            # After attendance, answers and goals: milestones are found in them.
            Step("milestones", plan.groups * 16, self.seed_milestones),
        ]

    def _bulk(self, model: type[models.Model], objs: list[Any], progress: Progress) -> int:
        model._default_manager.bulk_create(objs, batch_size=self.batch_size)
        progress(len(objs))
        return len(objs)

    # --- practice set-up ---------------------------------------------------------------
    def seed_instruments(self, progress: Progress) -> int:
        """The built-in instruments (core/seeding/instruments.py)."""
        from kindred.core.seeding.instruments import seed_instruments

        created = seed_instruments()
        progress(6)
        return created

    def seed_practice(self, progress: Progress) -> int:
        if Practice.objects.filter(pk=1).exists():
            progress(1)
            return 0
        Practice.objects.create(
            name="Kindred Scale Practice (synthetic)",
            timezone="America/Chicago",
            states_served=sorted(STATE_WEIGHTS),
            contact_email=f"hello@{SCALE_DOMAIN}",
        )
        progress(1)
        return 1

    def seed_concerns(self, progress: Progress) -> int:
        existing = {t.name.casefold(): t.pk for t in ConcernTag.objects.all()}
        new = [
            ConcernTag(name=name, description=description)
            for name, description in CONCERN_TAGS
            if name.casefold() not in existing
        ]
        written = self._bulk(ConcernTag, new, progress)
        self.created.concern_ids = list(ConcernTag.objects.values_list("pk", flat=True))
        return written

    def seed_compacts(self, progress: Progress) -> int:
        written = 0
        for facts in COMPACTS:
            compact = Compact.objects.filter(code=facts.code).first()
            if compact is None:
                compact = Compact.objects.create(
                    code=facts.code, name=facts.name, profession=facts.profession, notes=facts.notes
                )
                CompactMemberState.objects.bulk_create(
                    CompactMemberState(compact=compact, state=state, effective_from=since)
                    for state, since in facts.members
                )
                written += 1 + len(facts.members)
            self.created.compacts[facts.code] = (compact.pk, facts)
            progress(1)
        return written

    def seed_locations(self, progress: Progress) -> int:
        rng = self.rng("locations")
        locations = []
        for n in range(self.plan.locations):
            state = _weighted(rng, STATE_WEIGHTS)
            city, zip_code = rng.choice(CITIES[state])
            locations.append(
                Location(
                    name=f"{city} — office {n + 1}{self.tag}",
                    address_line1=f"{rng.randrange(100, 9900)} {rng.choice(STREETS)}",
                    city=city,
                    state=state,
                    postal_code=zip_code,
                    timezone=STATE_TIMEZONES[state],
                    phone=names.fictional_phone(rng, state),
                )
            )
        written = self._bulk(Location, locations, progress)
        self.created.location_ids = [loc.pk for loc in locations]
        rooms = [
            Room(location=loc, name=f"Room {k + 1}", capacity=rng.choice((6, 8, 10, 12, 16)))
            for loc in locations
            for k in range(rng.randint(2, 4))
        ]
        return written + self._bulk(Room, rooms, progress)

    def seed_staff(self, progress: Progress) -> int:
        rng = self.rng("staff")
        plan = self.plan
        # Supervisors are clinicians too: they hold both roles.
        kinds: list[tuple[str, list[Role], list[int]]] = [
            ("admin", [Role.ADMIN], self.created.admin_ids),
            ("coordinator", [Role.COORDINATOR], self.created.coordinator_ids),
            ("billing", [Role.BILLING], self.created.billing_ids),
        ]
        people: list[tuple[User, list[Role], list[int]]] = []
        counts = {"admin": plan.admins, "coordinator": plan.coordinators, "billing": plan.billing}
        for label, roles, ids in kinds:
            people.extend(
                (self._user(rng, f"{label}{n + 1}"), roles, ids) for n in range(counts[label])
            )
        for n in range(plan.clinicians):
            supervisor = n < plan.supervisors
            roles = [Role.FACILITATOR, Role.SUPERVISOR] if supervisor else [Role.FACILITATOR]
            ids = self.created.supervisor_user_ids if supervisor else []
            people.append((self._user(rng, f"clinician{n + 1}"), roles, ids))
        users = [user for user, _, _ in people]
        written = self._bulk(User, users, progress)
        grants: list[RoleGrant] = []
        for user, roles, ids in people:
            ids.append(user.pk)
            self.created.emails[user.pk] = user.email
            if Role.FACILITATOR in roles:
                self.created.clinician_user_ids.append(user.pk)
            grants.extend(RoleGrant(user=user, role=role) for role in roles)
        return written + self._bulk(RoleGrant, grants, progress)

    def _user(self, rng: Random, local: str) -> User:
        name = names.person_name(rng)
        return User(
            email=f"{local}{self.tag}@{SCALE_DOMAIN}",
            full_name=name.full,
            kind=UserKind.STAFF,
            # Scale accounts never sign in; the benchmark makes its own user.
            password=make_password(None),
        )

    def seed_clinicians(self, progress: Progress) -> int:
        rng = self.rng("clinicians")
        profiles = []
        homes = []
        for n, user_id in enumerate(self.created.clinician_user_ids):
            profession = rng.choice(PROFESSIONS)
            homes.append((_weighted(rng, STATE_WEIGHTS), profession))
            profiles.append(
                ClinicianProfile(
                    user_id=user_id,
                    # A second run (--force) leaves NPIs blank: they are unique.
                    npi="" if self.tag else names.synthetic_npi(10_000 + n),
                    credentials=profession.credentials,
                    pronouns=rng.choice(names.PRONOUNS),
                )
            )
        written = self._bulk(ClinicianProfile, profiles, progress)
        supervisors = set(self.created.supervisor_user_ids)
        supervisor_profiles = [p for p in profiles if p.user_id in supervisors]
        supervised = []
        for profile, home in zip(profiles, homes, strict=True):
            self.created.clinicians[profile.pk] = home
            if profile.user_id not in supervisors and rng.random() < 0.5:
                profile.supervisor = rng.choice(supervisor_profiles)
                supervised.append(profile)
        ClinicianProfile.objects.bulk_update(supervised, ["supervisor"], batch_size=self.batch_size)
        return written

    def seed_licenses(self, progress: Progress) -> int:
        rng = self.rng("licenses")
        licenses = []
        for n, (profile_id, (home, profession)) in enumerate(self.created.clinicians.items()):
            others = [s for s in STATE_WEIGHTS if s != home]
            states = [home, *rng.sample(others, k=rng.choice((0, 0, 1, 1, 2)))]
            for k, state in enumerate(states):
                issued = self.today - timedelta(days=rng.randrange(200, 15 * 365))
                roll = rng.random()
                status = CredentialStatus.ACTIVE
                if roll < 0.04:  # lapsed
                    expires = self.today - timedelta(days=rng.randrange(1, 400))
                    status = CredentialStatus.EXPIRED
                elif roll < 0.08:  # renewal due soon
                    expires = self.today + timedelta(days=rng.randrange(1, 60))
                else:
                    expires = self.today + timedelta(days=rng.randrange(60, 730))
                expires = max(expires, issued + timedelta(days=1))
                licenses.append(
                    License(
                        clinician_id=profile_id,
                        state=state,
                        license_type=profession.license_types[state],
                        number=f"S{self.tag}{n + 1:05d}-{k + 1}",
                        issued_on=issued,
                        expires_on=expires,
                        status=status,
                        verified_on=self.today - timedelta(days=rng.randrange(0, 180)),
                    )
                )
        return self._bulk(License, licenses, progress)

    def seed_privileges(self, progress: Progress) -> int:
        rng = self.rng("privileges")
        privileges = []
        for profile_id, (home, profession) in self.created.clinicians.items():
            if profession.compact is None or rng.random() > 0.4:
                continue
            compact_id, facts = self.created.compacts[profession.compact]
            members = [state for state, _ in facts.members]
            others = [s for s in members if s != home]
            if home not in members or not others:
                continue
            start = self.today - timedelta(days=rng.randrange(30, 900))
            privileges.append(
                CompactPrivilege(
                    clinician_id=profile_id,
                    compact_id=compact_id,
                    home_state=home,
                    privilege_states=sorted(rng.sample(others, k=rng.randint(1, len(others)))),
                    identifier=f"PRIV-{self.tag}{profile_id:06d}",
                    valid_from=start,
                    valid_until=start + timedelta(days=730),
                )
            )
        return self._bulk(CompactPrivilege, privileges, progress)

    # --- clients ------------------------------------------------------------------------
    def seed_clients(self, progress: Progress) -> int:
        rng = self.rng("clients")
        genders = self.rng("client genders")  # its own stream: the rest stays as it was
        written = 0
        for chunk in _chunks(self.plan.clients, self.batch_size):
            batch = self.client_batch(rng, chunk, genders=genders)
            written += self._bulk(Client, batch, progress)
            self.created.client_ids.extend(c.pk for c in batch)
        return written

    def client_batch(
        self, rng: Random, numbers: range, *, genders: Random | None = None
    ) -> list[Client]:
        """Unsaved clients numbered ``numbers``, as the services would store them (with a
        gender drawn from ``genders`` when given)."""
        modalities = list(Modality)
        batch = []
        for n in numbers:
            name = names.person_name(rng)
            preferred = rng.choice(names.FIRST_NAMES) if rng.random() < 0.08 else ""
            state = _weighted(rng, STATE_WEIGHTS)
            emergency = names.person_name(rng) if rng.random() < 0.6 else None
            batch.append(
                Client(
                    legal_first_name=name.first,
                    legal_last_name=name.last,
                    preferred_name=preferred,
                    pronouns=rng.choice(names.PRONOUNS) if rng.random() < 0.7 else "",
                    date_of_birth=names.birth_date(rng, today=self.today),
                    email=names.email_for(name, SCALE_DOMAIN, number=n + 1)
                    if rng.random() < 0.85
                    else "",
                    phone=names.fictional_phone(rng, state) if rng.random() < 0.9 else "",
                    state_of_residence=state,
                    timezone=STATE_TIMEZONES[state],
                    emergency_contact_name=emergency.full if emergency else "",
                    emergency_contact_relationship=rng.choice(names.RELATIONSHIPS)
                    if emergency
                    else "",
                    emergency_contact_phone=names.fictional_phone(rng, state) if emergency else "",
                    preferred_modality=rng.choice(modalities),
                    language=_weighted(rng, LANGUAGE_WEIGHTS),
                    gender=_weighted(genders, GENDER_WEIGHTS) if genders is not None else "",
                    search_name=search_key(name.first, name.last, preferred),
                )
            )
        return batch

    def seed_availability(self, progress: Progress) -> int:
        rng = self.rng("availability")
        written = 0
        for chunk in _chunks(len(self.created.client_ids), self.batch_size):
            batch = [
                AvailabilityWindow(
                    client_id=self.created.client_ids[i],
                    weekday=day,
                    start_time=start,
                    end_time=end,
                )
                for i in chunk
                for day, start, end in rng.sample(WINDOWS, k=rng.choice((1, 2, 2, 3)))
            ]
            written += self._bulk(AvailabilityWindow, batch, progress)
        return written

    def seed_client_concerns(self, progress: Progress) -> int:
        rng = self.rng("client concerns")
        through = Client.concerns.through
        tags = self.created.concern_ids
        written = 0
        for chunk in _chunks(len(self.created.client_ids), self.batch_size):
            batch = [
                through(client_id=self.created.client_ids[i], concerntag_id=tag)
                for i in chunk
                for tag in rng.sample(tags, k=min(len(tags), rng.choice((1, 1, 2, 2, 3))))
            ]
            written += self._bulk(through, batch, progress)
        return written

    def seed_client_offices(self, progress: Progress) -> int:
        """The offices in their own state that people who would meet in person (or
        either way) could get to: one, sometimes two; about one in ten gave none."""
        rng = self.rng("client offices")
        by_state: dict[str, list[int]] = {}
        for pk, state in Location.objects.filter(pk__in=self.created.location_ids).values_list(
            "pk", "state"
        ):
            by_state.setdefault(state, []).append(pk)
        through = Client.locations.through
        written = 0
        for chunk in _chunks(len(self.created.client_ids), self.batch_size):
            ids = [self.created.client_ids[i] for i in chunk]
            rows = (
                Client.objects.filter(pk__in=ids)
                .exclude(preferred_modality=Modality.VIRTUAL)
                .order_by("pk")
                .values_list("pk", "state_of_residence")
            )
            batch: list[Any] = []
            for client_id, state in rows:
                near = by_state.get(state, [])
                if not near or rng.random() < 0.1:
                    continue
                chosen = rng.sample(near, k=min(len(near), rng.choice((1, 1, 2))))
                batch.extend(through(client_id=client_id, location_id=pk) for pk in chosen)
            written += self._bulk(through, batch, progress)
        return written

    def seed_audit_events(self, progress: Progress) -> int:
        """About five events per client over five years: created, read a few times,
        changed once. ``detail`` holds field names only, like the real services."""
        rng = self.rng("audit")
        readers = self.created.coordinator_ids + self.created.clinician_user_ids
        writers = self.created.coordinator_ids or self.created.admin_ids
        per_client = self.plan.audit_events_per_client
        five_years = 5 * 365 * 24 * 3600
        written = 0
        for chunk in _chunks(len(self.created.client_ids), max(1, self.batch_size // per_client)):
            batch = []
            for i in chunk:
                client_id = self.created.client_ids[i]
                start = self.now - timedelta(seconds=rng.randrange(five_years))
                for k in range(per_client):
                    when = start + timedelta(seconds=k * rng.randrange(3600, 40 * 24 * 3600))
                    if k == 0:
                        action, category, actor = "clients.client.created", Category.CHANGE, writers
                        detail: dict[str, Any] = {}
                    elif k == per_client - 1:
                        action, category, actor = "clients.client.updated", Category.CHANGE, writers
                        detail = {"fields": sorted(rng.sample(["email", "phone", "pronouns"], 1))}
                    else:
                        action, category, actor = "clients.client.viewed", Category.ACCESS, readers
                        detail = {}
                    batch.append(
                        self._event(
                            rng,
                            actors=actor,
                            action=action,
                            category=category,
                            client_id=client_id,
                            when=when,
                            detail=detail,
                        )
                    )
            written += self._bulk(AuditEvent, batch, progress)
        return written

    def _event(
        self,
        rng: Random,
        *,
        actors: list[int],
        action: str,
        category: Category,
        client_id: int,
        when: datetime,
        detail: dict[str, Any],
    ) -> AuditEvent:
        actor_id = rng.choice(actors) if actors else None
        return AuditEvent(
            occurred_at=min(when, self.now),
            actor_id=actor_id,
            actor_label=self.created.emails.get(actor_id, "") if actor_id else "",
            category=category,
            action=action,
            client_id=client_id,
            object_type="clients.client",
            object_id=str(client_id),
            ip=names.documentation_ip(rng),
            request_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            via="web",
            detail=detail,
        )

    # --- groups, places and sessions ------------------------------------------------------
    def seed_groups(self, progress: Progress) -> int:
        """Ten weekly groups per clinician, each in its own slot of the clinician's week.
        About a third meet in person (or hybrid) in a room of an office in the lead's
        home state, where the room is free in that slot; the rest by video."""
        rng = self.rng("groups")
        rooms_by_state: dict[str, list[tuple[int, int, str]]] = {}
        for room_id, location_id, state, tz in Room.objects.filter(
            location_id__in=self.created.location_ids
        ).values_list("pk", "location_id", "location__state", "location__timezone"):
            rooms_by_state.setdefault(state, []).append((room_id, location_id, tz))
        booked: set[tuple[int, int, time]] = set()
        concern_names = {c.pk: c.name for c in ConcernTag.objects.all()}
        clinician_ids = list(self.created.clinicians)
        groups: list[TherapyGroup] = []
        extras: list[tuple[list[int], list[int]]] = []  # concerns, co-facilitators
        for lead_id, (home, _profession) in self.created.clinicians.items():
            for n, (day, at) in enumerate(rng.sample(GROUP_SLOTS, k=10)):
                group, concerns = self._group(
                    rng,
                    lead_id=lead_id,
                    home=home,
                    slot=(day, at),
                    n=n,
                    concern_names=concern_names,
                )
                place = self._room_for(rng, rooms_by_state.get(home, []), booked, day, at)
                if place is not None and rng.random() < 0.33:
                    room_id, location_id, tz = place
                    booked.add((room_id, day, at))
                    group.modality = rng.choice((GroupModality.IN_PERSON, GroupModality.HYBRID))
                    group.location_id, group.room_id, group.timezone = location_id, room_id, tz
                co = [rng.choice(clinician_ids)] if rng.random() < 0.2 else []
                groups.append(group)
                extras.append((concerns, [c for c in co if c != lead_id]))
        # About one group in sixteen is held in Spanish (its own stream of draws).
        languages = self.rng("group languages")
        for group in groups:
            if languages.random() < 0.06:
                group.language = "es"
        written = self._bulk(TherapyGroup, groups, progress)
        concern_rows: list[Any] = []
        co_rows: list[Any] = []
        for group, (concerns, co) in zip(groups, extras, strict=True):
            concern_rows.extend(
                TherapyGroup.concerns.through(therapygroup_id=group.pk, concerntag_id=c)
                for c in concerns
            )
            co_rows.extend(
                TherapyGroup.co_facilitators.through(
                    therapygroup_id=group.pk, clinicianprofile_id=c
                )
                for c in co
            )
            self.created.group_slots[group.pk] = (
                GROUP_DAYS.index(group.recurrence.split("BYDAY=")[1][:2]),
                group.start_time,
                group.timezone,
            )
        self.created.groups = groups
        written += self._bulk(TherapyGroup.concerns.through, concern_rows, progress)
        return written + self._bulk(TherapyGroup.co_facilitators.through, co_rows, progress)

    def _room_for(
        self,
        rng: Random,
        rooms: list[tuple[int, int, str]],
        booked: set[tuple[int, int, time]],
        day: int,
        at: time,
    ) -> tuple[int, int, str] | None:
        free = [r for r in rooms if (r[0], day, at) not in booked]
        return rng.choice(free) if free else None

    def _group(
        self,
        rng: Random,
        *,
        lead_id: int,
        home: str,
        slot: tuple[int, time],
        n: int,
        concern_names: dict[int, str],
    ) -> tuple[TherapyGroup, list[int]]:
        day, at = slot
        concerns = rng.sample(list(concern_names), k=rng.choice((1, 1, 2)))
        closed = rng.random() < 0.55
        # This week's day for the slot, then moved back (running) or ahead (forming).
        this_week = self.today - timedelta(days=(self.today.weekday() - day) % 7)
        if closed:
            count = rng.choice((8, 10, 12, 16))
            start = this_week - timedelta(weeks=rng.randint(-4, 30))
            rule = f"FREQ=WEEKLY;BYDAY={GROUP_DAYS[day]};COUNT={count}"
            last = start + timedelta(weeks=count - 1)
        else:
            start = this_week - timedelta(weeks=rng.randint(-2, 60))
            rule = f"FREQ=WEEKLY;BYDAY={GROUP_DAYS[day]}"
            last = None
        if start > self.today:
            status = GroupStatus.FORMING
        elif last is not None and last < self.today:
            status = GroupStatus.COMPLETED
        elif rng.random() < 0.03:
            status = GroupStatus.PAUSED
        else:
            status = GroupStatus.ACTIVE
        name = f"{rng.choice(GROUP_WORDS)} {concern_names[concerns[0]].lower()} group"
        max_size = rng.choice((8, 10, 10, 12))
        group = TherapyGroup(
            name=name,
            slug=f"g{self.tag}-{lead_id}-{n + 1}",
            description=f"A {'closed' if closed else 'rolling'} group for "
            f"{concern_names[concerns[0]].lower()}.",
            format=GroupFormat.CLOSED if closed else GroupFormat.OPEN,
            modality=GroupModality.VIRTUAL,
            lead_facilitator_id=lead_id,
            min_size=min(6, max_size),
            max_size=max_size,
            session_minutes=rng.choice((60, 75, 90, 90)),
            recurrence=rule,
            start_date=start,
            start_time=at,
            timezone=STATE_TIMEZONES[home],
            fee_cents=rng.choice((0, 2500, 4000, 6000)),
            sliding_scale=rng.random() < 0.4,
            status=status,
            listed_publicly=rng.random() < 0.8,
        )
        return group, concerns

    def seed_enrollments(self, progress: Progress) -> int:
        """Places: clients from the lead's home state (in person: the office's state),
        at most two current places each and never two in the same weekly slot."""
        rng = self.rng("enrollments")
        by_state: dict[str, list[int]] = {}
        for pk, state in Client.objects.filter(pk__in=self.created.client_ids).values_list(
            "pk", "state_of_residence"
        ):
            by_state.setdefault(state, []).append(pk)
        homes = self.created.clinicians
        taken: dict[int, set[tuple[int, time]]] = {}
        rows: list[Enrollment] = []
        for group in self.created.groups:
            state = homes[group.lead_facilitator_id][0]
            pool = by_state.get(state) or self.created.client_ids
            day, at, _tz = self.created.group_slots[group.pk]
            wanted = rng.randint(4, group.max_size)
            start = datetime.combine(group.start_date, at, tzinfo=UTC)
            chosen: set[int] = set()
            for client_id in rng.sample(pool, k=min(len(pool), wanted * 3)):
                if len(chosen) >= wanted:
                    break
                slots = taken.setdefault(client_id, set())
                if (day, at) in slots or len(slots) >= 2:
                    continue
                chosen.add(client_id)
                status = self._enrollment_status(rng, group.status)
                if status in (EnrollmentStatus.INVITED, EnrollmentStatus.ACTIVE):
                    slots.add((day, at))
                rows.append(self._enrollment(rng, group, client_id, status, start))
        written = 0
        for chunk in _chunks(len(rows), self.batch_size):
            written += self._bulk(Enrollment, rows[chunk.start : chunk.stop], progress)
        return written

    def _enrollment_status(self, rng: Random, group_status: str) -> EnrollmentStatus:
        roll = rng.random()
        if group_status == GroupStatus.FORMING:
            return EnrollmentStatus.INVITED if roll < 0.5 else EnrollmentStatus.ACTIVE
        if group_status == GroupStatus.COMPLETED:
            return EnrollmentStatus.GRADUATED if roll < 0.85 else EnrollmentStatus.WITHDREW
        if roll < 0.8:
            return EnrollmentStatus.ACTIVE
        if roll < 0.88:
            return EnrollmentStatus.INVITED
        return rng.choice(
            (EnrollmentStatus.GRADUATED, EnrollmentStatus.WITHDREW, EnrollmentStatus.REMOVED)
        )

    def _enrollment(
        self,
        rng: Random,
        group: TherapyGroup,
        client_id: int,
        status: EnrollmentStatus,
        start: datetime,
    ) -> Enrollment:
        invited = min(start, self.now) - timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 9))
        activated = None
        ended = None
        reason = ""
        if status != EnrollmentStatus.INVITED:
            activated = min(invited + timedelta(days=rng.randint(1, 7)), self.now)
        if status in (
            EnrollmentStatus.GRADUATED,
            EnrollmentStatus.WITHDREW,
            EnrollmentStatus.REMOVED,
        ):
            assert activated is not None  # noqa: S101 - set just above
            span = max(1, int((self.now - activated).total_seconds() // 3600))
            ended = activated + timedelta(hours=rng.randint(1, span))
            if status == EnrollmentStatus.WITHDREW:
                reason = rng.choice(("Moved away", "Schedule changed", "Chose to stop"))
            elif status == EnrollmentStatus.REMOVED:
                reason = "Did not attend"
        return Enrollment(
            group=group,
            client_id=client_id,
            status=status,
            invited_at=invited,
            activated_at=activated,
            ended_at=ended,
            end_reason=reason,
        )

    def seed_sessions(self, progress: Progress) -> int:
        """A year of sessions (half behind today, half ahead) for every group, through
        the same bulk generator the services use. A paused group's coming sessions are
        cancelled, as pausing does."""
        since = self.now - timedelta(days=self.plan.session_days // 2)
        until = since + timedelta(days=self.plan.session_days)
        groups = self.created.groups
        # Generate for every group as if it were meeting (completed groups keep their
        # past sessions), then put the statuses back.
        statuses = [g.status for g in groups]
        for g in groups:
            g.status = GroupStatus.ACTIVE
        try:
            written = generate_for_groups(groups, since=since, until=until, now=self.now)
        finally:
            for g, status in zip(groups, statuses, strict=True):
                g.status = status
        paused = [g.pk for g in groups if g.status == GroupStatus.PAUSED]
        GroupSession.objects.filter(group_id__in=paused, starts_at__gt=self.now).update(
            status=SessionStatus.CANCELLED, cancel_reason=REASON_GROUP_PAUSED, sequence=1
        )
        progress(written)
        return written

    def seed_attendance(self, progress: Progress) -> int:
        """Attendance at every past session (kindred/core/seeding/attendance.py)."""
        from kindred.core.seeding.attendance import seed_attendance

        return seed_attendance(
            [g.pk for g in self.created.groups],
            now=self.now,
            seed=self.seed,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_screenings(self, progress: Progress) -> int:
        """Screenings of about half the enrolled clients (core/seeding/screening.py)."""
        from kindred.core.seeding.screening import seed_scale_screenings

        return seed_scale_screenings(
            group_ids=[g.pk for g in self.created.groups],
            seed=self.seed,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_agreements(self, progress: Progress) -> int:
        """One agreement version per group and signatures of the members with an active
        place, with their (switched off) accounts (core/seeding/agreements.py)."""
        from kindred.core.seeding import agreements as agreement_seed

        rng = self.rng("agreements")
        versions = agreement_seed.scale_versions()
        groups = self.created.groups
        written = len(versions) + agreement_seed.seed_scale_group_agreements(
            groups, versions, rng=rng
        )
        progress(written)
        return written + agreement_seed.seed_scale_signatures(
            groups,
            versions,
            rng=rng,
            tag=self.tag,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_waitlist(self, progress: Progress) -> int:
        """10,000 waitlist entries at 20,000 clients with their referrals, contact
        attempts, status changes and exclusions (core/seeding/waitlist.py)."""
        from kindred.core.seeding.waitlist import seed_scale_waitlist

        return seed_scale_waitlist(
            client_ids=self.created.client_ids,
            concern_ids=self.created.concern_ids,
            groups=self.created.groups,
            coordinator_ids=self.created.coordinator_ids,
            rng=self.rng("waitlist"),
            now=self.now,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_questionnaires(self, progress: Progress) -> int:
        """Questionnaires with their item answers for the groups' members, their safety
        alerts and the outcome rules (core/seeding/measures.py)."""
        from kindred.core.seeding.measures import seed_scale_questionnaires

        leads = self.created.supervisor_user_ids or self.created.admin_ids
        return seed_scale_questionnaires(
            group_ids=[g.pk for g in self.created.groups],
            seed=self.seed,
            clinical_lead_id=leads[0] if leads else None,
            now=self.now,
            batch_size=self.batch_size,
            progress=progress,
        ).rows

    def seed_notes(self, progress: Progress) -> int:
        """Signed group and member notes and absence entries for the past sessions, a
        few left unsigned or waiting for a co-signature (core/seeding/notes.py)."""
        from kindred.core.seeding.notes import seed_scale_notes

        return seed_scale_notes(
            [g.pk for g in self.created.groups],
            now=self.now,
            seed=self.seed,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_billing(self, progress: Progress) -> int:
        """Billing rules, fee overrides, diagnoses, charges from attendance and payments
        (core/seeding/billing.py)."""
        from kindred.core.seeding.billing import seed_scale_billing

        return seed_scale_billing(
            [g.pk for g in self.created.groups],
            billing_ids=self.created.billing_ids,
            now=self.now,
            seed=self.seed,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_space(self, progress: Progress) -> int:
        """Spaces of the running groups: display names, threads, posts (some hidden, some
        waiting), reactions and read markers (core/seeding/space.py)."""
        from kindred.core.seeding.space import seed_scale_space

        return seed_scale_space(
            [g.pk for g in self.created.groups],
            posts=self.plan.clients * 15,
            now=self.now,
            seed=self.seed,
            tag=self.tag,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_goals(self, progress: Progress) -> int:
        """Goals, weekly check-ins and supportive replies (core/seeding/goals.py)."""
        from kindred.core.seeding.goals import seed_scale_goals

        return seed_scale_goals(
            [g.pk for g in self.created.groups],
            now=self.now,
            seed=self.seed,
            batch_size=self.batch_size,
            tag=self.tag,
            progress=progress,
        )

    def seed_strategies(self, progress: Progress) -> int:
        """Coping-strategy cards and a practice library (core/seeding/strategies.py)."""
        from kindred.core.seeding.strategies import seed_scale_strategies

        return seed_scale_strategies(
            [g.pk for g in self.created.groups],
            now=self.now,
            seed=self.seed,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_journal(self, progress: Progress) -> int:
        """Journal entries for a quarter of the active members (core/seeding/journal.py)."""
        from kindred.core.seeding.journal import seed_scale_journal

        return seed_scale_journal(
            [g.pk for g in self.created.groups],
            now=self.now,
            seed=self.seed,
            tag=self.tag,
            batch_size=self.batch_size,
            progress=progress,
        )

    def seed_milestones(self, progress: Progress) -> int:
        """Milestones found in attendance, answers, goals and graduations
        (core/seeding/milestones.py)."""
        from kindred.core.seeding.milestones import seed_scale_milestones

        return seed_scale_milestones(
            [g.pk for g in self.created.groups],
            now=self.now,
            seed=self.seed,
            batch_size=self.batch_size,
            progress=progress,
        )

    # --- running ------------------------------------------------------------------------
    def run(self, *, on_step: Callable[[str], None], progress: Progress) -> dict[str, int]:
        """Run every step, each in its own transaction; returns rows written per step."""
        written: dict[str, int] = {}
        for step in self.steps:
            on_step(step.name)
            with transaction.atomic():
                written[step.name] = step.run(progress)
        return written

    @property
    def estimated_rows(self) -> int:
        return sum(step.estimate for step in self.steps)


def run_tag(existing_users: int) -> str:
    """Empty on a fresh database (deterministic emails); otherwise a suffix that keeps a
    second run's unique fields apart from the first's."""
    return "" if existing_users == 0 else f"x{existing_users}"
