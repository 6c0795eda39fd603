"""The demo practice: "Prairie & Gulf Counseling Collective", small, realistic and
entirely synthetic. Built through the real services where they exist, so the demo data
obeys the same rules (and leaves the same audit trail) as data entered by hand."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.accounts.models import User, UserKind
from kindred.accounts.services import staff_create
from kindred.clients import invitation_services
from kindred.clients import services as client_services
from kindred.clients.models import Client, ConcernTag, Modality, PortalInvitation
from kindred.core.seeding import agreements as agreement_seed
from kindred.core.seeding import names
from kindred.core.seeding import screening as screening_seed
from kindred.core.seeding.reference import COMPACTS, CONCERN_TAGS, STATE_TIMEZONES
from kindred.groups.models import TherapyGroup
from kindred.practice import services as practice_services
from kindred.practice.models import (
    DEFAULT_CRISIS_TEXT,
    ClinicianProfile,
    Compact,
    CredentialStatus,
    License,
    Location,
    Practice,
)
from kindred.practice.roles import Role

PRACTICE_NAME = "Prairie & Gulf Counseling Collective"
DEMO_DOMAIN = "demo.example.test"
# Published in the README output on purpose: demo accounts exist only on a developer's
# machine (seed_demo refuses to run without DEBUG).
DEMO_PASSWORD = "violet-kettle-under-stairs"  # noqa: S105 - printed for the synthetic demo
DEMO_SEED = 20260401
CLIENT_COUNT = 40
# Clients with member portal accounts (the first ones created).
MEMBER_COUNT = 2
# One facilitator's Kansas license runs out this many days after the demo is loaded.
EXPIRING_SOON_DAYS = 21

Advance = Callable[[int, str], None]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str


@dataclass(frozen=True)
class StaffSpec:
    local: str
    first: str
    last: str
    role: Role


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("admin", "Adaeze", "Morgan", Role.ADMIN),
    StaffSpec("coordinator", "Luis", "Ramos", Role.COORDINATOR),
    StaffSpec("facilitator", "Nadia", "Cho", Role.FACILITATOR),
    StaffSpec("facilitator2", "Marcus", "Delgado", Role.FACILITATOR),
    StaffSpec("supervisor", "Ruth", "Okafor", Role.SUPERVISOR),
    StaffSpec("billing", "Teresa", "Novak", Role.BILLING),
)

# (weekday, start, end): evenings, lunchtimes and weekend mornings, as people offer.
WINDOWS: tuple[tuple[int, time, time], ...] = (
    (0, time(17, 30), time(20, 30)),
    (1, time(18, 0), time(21, 0)),
    (2, time(12, 0), time(13, 30)),
    (2, time(17, 30), time(20, 0)),
    (3, time(9, 0), time(11, 0)),
    (3, time(18, 0), time(20, 30)),
    (4, time(12, 0), time(14, 0)),
    (5, time(9, 0), time(12, 0)),
    (6, time(14, 0), time(17, 0)),
)
LANGUAGES: tuple[str, ...] = ("en",) * 17 + ("es", "es", "pl", "vi")
STATES: tuple[str, ...] = ("IL",) * 9 + ("KS",) * 5 + ("FL",) * 6


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def is_demo_email(email: str) -> bool:
    return email.strip().lower().endswith(f"@{DEMO_DOMAIN}")


@dataclass
class DemoResult:
    logins: list[DemoLogin] = field(default_factory=list)
    clients: int = 0


def seed_practice() -> Practice:
    existing = Practice.objects.filter(pk=1).first()
    if existing is not None:
        return existing
    return practice_services.practice_save(
        actor=None,
        name=PRACTICE_NAME,
        timezone="America/Chicago",
        states_served=["IL", "KS", "FL"],
        crisis_resources=DEFAULT_CRISIS_TEXT,
        contact_email=demo_email("hello"),
        contact_phone="+1 312 555 0100",
    )


def seed_locations() -> list[Location]:
    chicago = practice_services.location_create(
        actor=None,
        name="Chicago — Loop office",
        address_line1="400 Prairie Way",
        address_line2="Suite 1200",
        city="Chicago",
        state="IL",
        postal_code="60601",
        timezone="America/Chicago",
        phone="+1 312 555 0101",
        directions="Enter from the lobby on Prairie Way; the elevators are on the left. "
        "Step-free access from the street. Paid parking in the garage next door.",
    )
    tampa = practice_services.location_create(
        actor=None,
        name="Tampa — Harbor office",
        address_line1="250 Gulf Breeze Boulevard",
        address_line2="Floor 3",
        city="Tampa",
        state="FL",
        postal_code="33602",
        timezone="America/New_York",
        phone="+1 813 555 0102",
        directions="Free visitor parking behind the building; ramp at the rear entrance.",
    )
    for location, rooms in (
        (chicago, (("Lakeview Room", 12, "Step-free; hearing loop"), ("Willow Room", 8, ""))),
        (tampa, (("Mangrove Room", 10, "Step-free"), ("Pelican Room", 8, ""))),
    ):
        for room_name, capacity, access in rooms:
            practice_services.room_create(
                actor=None,
                location=location,
                name=room_name,
                capacity=capacity,
                accessibility_notes=access,
            )
    return [chicago, tampa]


def seed_compacts() -> dict[str, Compact]:
    compacts: dict[str, Compact] = {}
    for facts in COMPACTS:
        existing = Compact.objects.filter(code=facts.code).first()
        if existing is not None:
            compacts[facts.code] = existing
            continue
        compact = practice_services.compact_create(
            actor=None,
            code=facts.code,
            name=facts.name,
            profession=facts.profession,
            notes=facts.notes,
        )
        for state, since in facts.members:
            practice_services.compact_member_state_add(
                actor=None, compact=compact, state=state, effective_from=since
            )
        compacts[facts.code] = compact
    return compacts


def seed_concerns() -> list[ConcernTag]:
    tags = []
    for name, description in CONCERN_TAGS:
        tag = ConcernTag.objects.filter(name__iexact=name).first()
        if tag is None:
            tag = client_services.concern_create(actor=None, name=name, description=description)
        tags.append(tag)
    return tags


def seed_staff(advance: Advance) -> dict[str, User]:
    staff: dict[str, User] = {}
    for spec in STAFF:
        staff[spec.local] = staff_create(
            actor=None,
            email=demo_email(spec.local),
            full_name=f"{spec.first} {spec.last}",
            roles=[spec.role],
            password=DEMO_PASSWORD,
        )
        advance(1, "staff")
    return staff


def _license(
    clinician: ClinicianProfile,
    state: str,
    license_type: str,
    number: str,
    *,
    issued: date,
    expires: date,
) -> License:
    return practice_services.license_create(
        actor=None,
        clinician=clinician,
        state=state,
        license_type=license_type,
        number=number,
        issued_on=issued,
        expires_on=expires,
        status=CredentialStatus.ACTIVE,
        verified_on=timezone.localdate() - timedelta(days=30),
    )


def seed_clinicians(staff: dict[str, User], compacts: dict[str, Compact]) -> None:
    today = timezone.localdate()
    years = 365
    supervisor = practice_services.clinician_create(
        actor=None,
        user=staff["supervisor"],
        npi=names.synthetic_npi(1),
        credentials="LCSW",
        pronouns="she/her",
        bio="Clinical supervisor; twenty years of group work in community mental health.",
    )
    _license(
        supervisor, "IL", "LCSW", "149-0001",
        issued=today - timedelta(days=20 * years), expires=today + timedelta(days=400),
    )  # fmt: skip
    psychologist = practice_services.clinician_create(
        actor=None,
        user=staff["facilitator"],
        npi=names.synthetic_npi(2),
        credentials="PhD, Licensed Psychologist",
        pronouns="she/her",
        bio="Runs grief and anxiety groups, in person in Chicago and online.",
    )
    _license(
        psychologist, "IL", "Licensed Psychologist", "071-0002",
        issued=today - timedelta(days=9 * years), expires=today + timedelta(days=500),
    )  # fmt: skip
    # PSYPACT: practise by telepsychology in Kansas from an Illinois license.
    practice_services.privilege_create(
        actor=None,
        clinician=psychologist,
        compact=compacts["psypact"],
        home_state="IL",
        privilege_states=["KS"],
        identifier="APIT-DEMO-0002",
        valid_from=today - timedelta(days=300),
        valid_until=today + timedelta(days=430),
    )
    counselor = practice_services.clinician_create(
        actor=None,
        user=staff["facilitator2"],
        npi=names.synthetic_npi(3),
        credentials="LMHC, LCPC",
        pronouns="he/him",
        bio="Leads caregiving and chronic-illness groups from Tampa; also licensed in Kansas.",
        supervisor=supervisor,
    )
    _license(
        counselor, "FL", "LMHC", "MH-0003",
        issued=today - timedelta(days=6 * years), expires=today + timedelta(days=610),
    )  # fmt: skip
    # Expiring soon on purpose: the demo shows the renewal warning.
    _license(
        counselor, "KS", "LCPC", "KS-LCPC-0003",
        issued=today - timedelta(days=2 * years - 21),
        expires=today + timedelta(days=EXPIRING_SOON_DAYS),
    )  # fmt: skip


def seed_clients(
    advance: Advance, *, coordinator: User, concerns: list[ConcernTag], rng: Random
) -> list[Client]:
    """The clients, entered by the demo coordinator as they would be by hand."""
    today = timezone.localdate()
    clients = []
    used: set[tuple[str, str]] = set()
    for index in range(CLIENT_COUNT):
        name = names.person_name(rng)
        while (name.first, name.last) in used:
            name = names.person_name(rng)
        used.add((name.first, name.last))
        state = rng.choice(STATES)
        emergency = names.person_name(rng) if rng.random() < 0.7 else None
        client = client_services.client_create(
            actor=coordinator,
            legal_first_name=name.first,
            legal_last_name=name.last,
            preferred_name=rng.choice(names.FIRST_NAMES) if rng.random() < 0.1 else "",
            pronouns=rng.choice(names.PRONOUNS) if rng.random() < 0.8 else "",
            date_of_birth=names.birth_date(rng, today=today),
            state_of_residence=state,
            timezone=STATE_TIMEZONES[state],
            email=names.email_for(name, DEMO_DOMAIN)
            if index < MEMBER_COUNT or rng.random() < 0.8
            else "",
            phone=names.fictional_phone(rng, state) if rng.random() < 0.9 else "",
            emergency_contact_name=emergency.full if emergency else "",
            emergency_contact_relationship=rng.choice(names.RELATIONSHIPS) if emergency else "",
            emergency_contact_phone=names.fictional_phone(rng, state) if emergency else "",
            preferred_modality=rng.choice(list(Modality)),
            language=rng.choice(LANGUAGES),
            concerns=rng.sample(concerns, k=rng.choice((1, 1, 2, 2, 3))),
        )
        for weekday, start, end in sorted(rng.sample(WINDOWS, k=rng.choice((1, 2, 2, 3)))):
            client_services.availability_add(
                actor=coordinator, client=client, weekday=weekday, start_time=start, end_time=end
            )
        clients.append(client)
        advance(1, "clients")
    return clients


def seed_members(coordinator: User, clients: list[Client]) -> list[User]:
    """Portal accounts for the first clients (the members whose logins are printed)."""
    return _portal_accounts(coordinator, clients[:MEMBER_COUNT])


def _portal_accounts(coordinator: User, clients: list[Client]) -> list[User]:
    """The invitation is recorded as sent (the demo sends no email) and accepted through
    the real acceptance service, with the demo password."""
    members = []
    now = timezone.now()
    for client in clients:
        token = secrets.token_urlsafe(32)
        PortalInvitation.objects.create(
            client=client,
            email=client.email,
            token_hash=invitation_services.hash_invitation_token(token),
            created_by=coordinator,
            expires_at=now + timedelta(days=settings.KINDRED_INVITATION_DAYS),
            sent_at=now,
            send_count=1,
        )
        members.append(
            invitation_services.invitation_accept(
                token_hash=invitation_services.hash_invitation_token(token),
                password=DEMO_PASSWORD,
            )
        )
    return members


def seed_group_member_accounts(coordinator: User, groups: list[Any]) -> list[User]:
    """Portal accounts for everyone else holding a place in ``groups`` (questionnaires,
    joining by video and absence notices all need one). Someone without an email
    address on their record has one added by the coordinator first, as the invitation
    needs it. Same path and password as ``seed_members``; only those logins are printed."""
    from kindred.groups.models import Enrollment, EnrollmentStatus

    places = (
        Enrollment.objects.filter(
            group__in=groups, status=EnrollmentStatus.ACTIVE, client__user__isnull=True
        )
        .select_related("client")
        .order_by("group_id", "invited_at", "pk")
    )
    clients: dict[int, Client] = {}
    for place in places:
        clients.setdefault(place.client_id, place.client)
    for client in clients.values():
        if not client.email:
            name = names.PersonName(client.legal_first_name, client.legal_last_name)
            client_services.client_update(
                actor=coordinator, client=client, email=names.email_for(name, DEMO_DOMAIN)
            )
    return _portal_accounts(coordinator, list(clients.values()))


@dataclass(frozen=True)
class GroupSpec:
    name: str
    description: str
    concerns: tuple[str, ...]
    lead: str  # staff local part
    co: tuple[str, ...]
    format: str
    modality: str
    office: str  # "", "Chicago" or "Tampa"
    room: str
    rule: str
    weekday: int  # 0 = Monday
    weeks_ago: int  # the first session was this many weeks ago (negative: ahead)
    at: time
    minutes: int
    members: int
    states: tuple[str, ...]  # where its members live
    fee_cents: int = 0
    sliding_scale: bool = False


GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(
        name="Steady Ground: living with anxiety",
        description="Twelve weekly evenings of practical tools for worry and panic, "
        "with people who understand. Meets by video.",
        concerns=("Anxiety",),
        lead="facilitator",
        co=(),
        format="closed",
        modality="virtual",
        office="",
        room="",
        rule="FREQ=WEEKLY;BYDAY=TU;COUNT=12",
        weekday=1,
        weeks_ago=3,
        at=time(18, 30),
        minutes=90,
        members=7,
        states=("IL", "KS"),
        fee_cents=4000,
        sliding_scale=True,
    ),
    GroupSpec(
        name="Lakeview grief circle",
        description="A lunchtime circle in the Loop for adults grieving a death. "
        "Ten weeks, in person.",
        concerns=("Grief",),
        lead="facilitator",
        co=("supervisor",),
        format="closed",
        modality="in_person",
        office="Chicago",
        room="Lakeview Room",
        rule="FREQ=WEEKLY;BYDAY=TH;COUNT=10",
        weekday=3,
        weeks_ago=2,
        at=time(12, 0),
        minutes=75,
        members=6,
        states=("IL",),
        fee_cents=3500,
    ),
    GroupSpec(
        name="Harbor caregivers",
        description="For people caring for a family member with a long illness. Join in "
        "the Tampa office or by video.",
        concerns=("Caregiving",),
        lead="facilitator2",
        co=(),
        format="closed",
        modality="hybrid",
        office="Tampa",
        room="Mangrove Room",
        rule="FREQ=WEEKLY;BYDAY=WE;COUNT=8",
        weekday=2,
        weeks_ago=-1,
        at=time(17, 30),
        minutes=90,
        members=5,
        states=("FL",),
        fee_cents=3000,
        sliding_scale=True,
    ),
    GroupSpec(
        name="Saturday open circle",
        description="An open, rolling group: join when you are ready, stay as long as it "
        "helps. Meets by video on Saturday mornings.",
        concerns=("Depression",),
        lead="facilitator2",
        co=(),
        format="open",
        modality="virtual",
        office="",
        room="",
        rule="FREQ=WEEKLY;BYDAY=SA",
        weekday=5,
        weeks_ago=6,
        at=time(10, 0),
        minutes=60,
        members=6,
        states=("FL", "KS"),
    ),
)


def _first_date(weekday: int, weeks_ago: int) -> date:
    """The ``weekday`` that falls ``weeks_ago`` weeks before (or after) this week's."""
    today = timezone.localdate()
    this_week = today - timedelta(days=(today.weekday() - weekday) % 7)
    return this_week - timedelta(weeks=weeks_ago)


def seed_groups(staff: dict[str, User], clients: list[Client], members: list[User]) -> int:
    """The four demo groups, their sessions (generated from the schedule) and places:
    a virtual IL/KS group, an in-person Chicago group, a hybrid Tampa group and an open
    rolling group. The demo members hold places in the groups that serve their state.
    Attendance at the past sessions is seeded next (core/seeding/attendance_demo.py)."""
    from kindred.groups import services as group_services

    rng = Random(DEMO_SEED + 3)  # noqa: S311 - synthetic data, not secrets
    coordinator = staff["coordinator"]
    concern_by_name = {c.name: c for c in ConcernTag.objects.all()}
    member_clients = list(Client.objects.filter(user__in=members).order_by("pk"))
    count = 0
    for spec in GROUPS:
        location = Location.objects.filter(city=spec.office).first() if spec.office else None
        room = location.rooms.filter(name=spec.room).first() if location else None
        start = _first_date(spec.weekday, spec.weeks_ago)
        # A system command: the first sessions may be in the past, as for a practice
        # that started using Kindred with its groups already running.
        group = group_services.group_create(
            actor=None,
            name=spec.name,
            description=spec.description,
            concerns=[concern_by_name[c] for c in spec.concerns if c in concern_by_name],
            lead_facilitator=staff[spec.lead].clinician,
            co_facilitators=[staff[c].clinician for c in spec.co],
            format=spec.format,
            modality=spec.modality,
            location=location,
            room=room,
            min_size=4,
            max_size=10,
            session_minutes=spec.minutes,
            recurrence=spec.rule,
            start_date=start,
            start_time=spec.at,
            timezone=location.timezone if location else "America/Chicago",
            fee_cents=spec.fee_cents,
            sliding_scale=spec.sliding_scale,
            fee_note=_("Ask about the sliding scale.") if spec.sliding_scale else "",
            status="active" if spec.weeks_ago > 0 else "forming",
        )
        # Demo members join the groups that serve the state they live in, so the
        # licensure gate lets them into the virtual ones.
        chosen = [c for c in member_clients if c.state_of_residence in spec.states]
        others = [c for c in clients if c.state_of_residence in spec.states and c not in chosen]
        chosen += rng.sample(others, k=min(len(others), spec.members - len(chosen)))
        _enrol(group, chosen, coordinator=coordinator, start=start, rng=rng)
        count += 1
    return count


def _enrol(
    group: Any, chosen: list[Client], *, coordinator: User, start: date, rng: Random
) -> None:
    from kindred.core.errors import KindredError
    from kindred.groups import services as group_services

    now = timezone.now()
    offered = min(now, timezone.make_aware(datetime.combine(start, time(9)))) - timedelta(days=7)
    for index, client in enumerate(chosen):
        try:
            enrollment = group_services.enrollment_invite(
                actor=coordinator, group=group, client=client, invited_at=offered
            )
        except KindredError:
            continue  # e.g. their other group meets at the same time: skip them here
        if index == len(chosen) - 1 and len(chosen) > 3:
            screening_seed.in_progress(enrollment)  # one offer not yet taken up
            continue
        screening_seed.past_admit(enrollment, decided_at=offered - timedelta(days=2), rng=rng)
        group_services.enrollment_activate(
            actor=coordinator,
            enrollment=enrollment,
            activated_at=offered + timedelta(days=rng.randint(1, 5)),
        )


def seed_waitlist(coordinator: User, clients: list[Client]) -> int:
    """About fifteen people on the waitlist (core/seeding/waitlist.py)."""
    from kindred.core.seeding.waitlist import seed_demo_waitlist
    from kindred.groups.models import TherapyGroup

    return seed_demo_waitlist(
        coordinator=coordinator,
        clients=clients,
        concerns=list(ConcernTag.objects.filter(is_active=True).order_by("name")),
        groups=list(TherapyGroup.objects.prefetch_related("enrollments").order_by("pk")),
        rng=Random(DEMO_SEED + 4),  # noqa: S311 - synthetic data, not secrets
        email_domain=DEMO_DOMAIN,
    )


def total_steps() -> int:
    return len(STAFF) + CLIENT_COUNT + 9


def seed_demo_between_sessions(groups: list[Any]) -> None:
    """Issue 8: each running group's space, members' goals and check-ins, coping
    strategies, journal entries, and the milestones found in all of it (last: they come from
    attendance, answers and goals)."""
    from kindred.core.seeding.goals import seed_demo_goals
    from kindred.core.seeding.journal import seed_demo_journal
    from kindred.core.seeding.milestones import seed_demo_milestones
    from kindred.core.seeding.space import seed_demo_space
    from kindred.core.seeding.strategies import seed_demo_strategies

    seed_demo_space(groups=groups, seed=DEMO_SEED)
    seed_demo_goals(groups, DEMO_SEED)
    seed_demo_strategies(groups=groups, seed=DEMO_SEED)
    seed_demo_journal(groups, seed=DEMO_SEED)
    seed_demo_milestones(groups=groups, seed=DEMO_SEED)


def seed_demo(advance: Advance) -> DemoResult:
    """Create the demo practice. Call on an empty database (the command checks)."""
    rng = Random(DEMO_SEED)  # noqa: S311 - synthetic data, not secrets
    result = DemoResult()
    with transaction.atomic():
        seed_practice()
        seed_locations()
        from kindred.core.seeding.instruments import seed_instruments

        seed_instruments()  # the built-in instrument library
        advance(1, "practice and locations")
        compacts = seed_compacts()
        concerns = seed_concerns()
        advance(1, "compacts and concern tags")
        staff = seed_staff(advance)
        seed_clinicians(staff, compacts)
        advance(1, "clinicians and licenses")
        coordinator = staff["coordinator"]
        clients = seed_clients(advance, coordinator=coordinator, concerns=concerns, rng=rng)
        members = seed_members(coordinator, clients)
        advance(1, "member accounts")
        seed_groups(staff, clients, members)
        demo_groups = TherapyGroup.objects.filter(name__in=[g.name for g in GROUPS])
        seed_group_member_accounts(coordinator, list(demo_groups.order_by("pk")))
        screening_seed.seed_demo_outcomes(clients)
        advance(1, "groups, sessions, screenings and places")
        from kindred.core.seeding.attendance_demo import seed_demo_attendance

        seed_demo_attendance(groups=list(demo_groups.order_by("pk")), seed=DEMO_SEED)
        advance(1, "attendance at past sessions")
        agreement_seed.seed_demo_agreements(
            list(TherapyGroup.objects.filter(name__in=[g.name for g in GROUPS]).order_by("pk")),
            members,
        )
        advance(1, "group agreements, signatures and preparation")
        seed_waitlist(coordinator, clients)
        from kindred.core.seeding.matching import seed_demo_matching

        # People who fit the demo groups (and two who fit none) for matching.
        seed_demo_matching(coordinator=coordinator, email_domain=DEMO_DOMAIN)
        advance(1, "referrals, the waitlist and people to match")
        from kindred.core.seeding.measures import seed_demo_measures

        seed_demo_measures(
            groups=list(demo_groups.order_by("pk")),
            clinical_lead=staff["supervisor"],
            seed=DEMO_SEED,
        )
        from kindred.core.seeding.notes import seed_demo_notes

        seed_demo_notes(groups=list(demo_groups.order_by("pk")), seed=DEMO_SEED)
        from kindred.core.seeding.billing import seed_demo_billing

        seed_demo_billing(groups=list(demo_groups.order_by("pk")), staff=staff, seed=DEMO_SEED)
        seed_demo_between_sessions(list(demo_groups.order_by("pk")))
        advance(1, "questionnaires, answers and safety alerts")
    for spec in STAFF:
        result.logins.append(DemoLogin(demo_email(spec.local), DEMO_PASSWORD, str(spec.role.label)))
    result.logins.extend(DemoLogin(m.email, DEMO_PASSWORD, _("Member")) for m in members)
    result.clients = len(clients)
    return result


def existing_logins() -> list[DemoLogin]:
    """The demo logins, when the demo data is already loaded (for ``--if-empty``): one
    per role, and the first members (the others share the password, not the table)."""
    users = User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}", is_active=True).order_by("id")
    labels = {spec.local: str(spec.role.label) for spec in STAFF}
    logins = []
    members = 0
    for user in users:
        local = user.email.split("@", maxsplit=1)[0]
        if user.kind == UserKind.STAFF and local in labels:
            logins.append(DemoLogin(user.email, DEMO_PASSWORD, labels[local]))
        elif user.kind == UserKind.MEMBER and members < MEMBER_COUNT:
            logins.append(DemoLogin(user.email, DEMO_PASSWORD, _("Member")))
            members += 1
    return logins
