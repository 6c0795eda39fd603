"""seed_demo, seed_scale and demo_totp: what they create, and when they refuse."""

from datetime import timedelta
from io import StringIO
from itertools import pairwise
from random import Random

import pytest
from allauth.mfa.totp.internal.auth import validate_totp_code
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.utils import timezone

from kindred.accounts.models import RoleGrant, User, UserKind
from kindred.accounts.services import staff_create
from kindred.audit.models import AuditEvent, Category
from kindred.clients.models import AvailabilityWindow, Client, ConcernTag
from kindred.core.management.commands.demo_totp import current_code
from kindred.core.seeding import demo, names
from kindred.core.seeding.reference import CONCERN_TAGS
from kindred.core.seeding.scale import ScalePlan, ScaleSeeder
from kindred.core.testing import PASSWORD, enrol_totp
from kindred.core.validators import validate_npi, validate_phone
from kindred.intake.models import Referral
from kindred.practice.models import (
    ClinicianProfile,
    Compact,
    CompactPrivilege,
    License,
    Location,
    Practice,
    Room,
)
from kindred.practice.roles import Role


def run(command: str, *args: str, **options: object) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def demo_loaded(db, debug):
    return run("seed_demo")


# --- seed_demo ---------------------------------------------------------------------------


def test_demo_practice_serves_three_states_from_two_offices(demo_loaded):
    practice = Practice.objects.get()
    assert practice.name == "Prairie & Gulf Counseling Collective"
    assert practice.states_served == ["FL", "IL", "KS"]
    offices = {(loc.city, loc.state) for loc in Location.objects.all()}
    assert offices == {("Chicago", "IL"), ("Tampa", "FL")}
    for location in Location.objects.all():
        assert Room.objects.filter(location=location).count() >= 2


def test_demo_compacts_are_data_with_floridas_status_to_verify(demo_loaded):
    compacts = {c.code: c for c in Compact.objects.prefetch_related("member_states")}
    assert set(compacts) == {"psypact", "counseling", "social-work"}
    psypact_states = {m.state for m in compacts["psypact"].member_states.all()}
    assert {"IL", "KS"} <= psypact_states
    for compact in compacts.values():
        assert "Florida: status to verify" in compact.notes
        assert "FL" not in {m.state for m in compact.member_states.all()}


def test_demo_has_the_practices_concern_tags(demo_loaded):
    assert sorted(ConcernTag.objects.values_list("name", flat=True)) == sorted(
        name for name, _ in CONCERN_TAGS
    )
    assert {"Grief", "LGBTQ+ support", "Veterans"} <= set(
        ConcernTag.objects.values_list("name", flat=True)
    )


def test_demo_has_one_login_per_role_with_long_passwords(demo_loaded):
    staff = User.objects.filter(kind=UserKind.STAFF)
    roles = sorted(RoleGrant.objects.filter(user__in=staff).values_list("role", flat=True))
    expected = [Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR, Role.FACILITATOR]
    assert roles == sorted([*expected, Role.SUPERVISOR, Role.BILLING])
    assert len(demo.DEMO_PASSWORD) >= 15
    for user in User.objects.all():
        assert user.email.endswith("@demo.example.test")
        assert user.check_password(demo.DEMO_PASSWORD)
        validate_password(demo.DEMO_PASSWORD, user)  # the real rules accept it
    # Two-factor is left for the person to set up at first sign-in.
    from allauth.mfa.models import Authenticator

    assert not Authenticator.objects.exists()


def test_demo_facilitators_hold_licenses_in_all_three_states(demo_loaded):
    facilitators = ClinicianProfile.objects.filter(user__role_grants__role=Role.FACILITATOR)
    assert facilitators.count() == 2
    licenses = License.objects.filter(clinician__in=facilitators)
    assert {lic.state for lic in licenses} == {"IL", "KS", "FL"}
    soon = timezone.localdate() + timedelta(days=60)
    assert licenses.filter(expires_on__lte=soon, expires_on__gte=timezone.localdate()).count() == 1
    privilege = CompactPrivilege.objects.get()
    assert privilege.clinician in facilitators
    assert privilege.compact.code == "psypact"
    assert privilege.home_state == "IL"
    assert privilege.privilege_states == ["KS"]


def _referred() -> int:
    """Clients the demo's referrals created (core/seeding/waitlist.py)."""
    return Client.objects.filter(pk__in=Referral.objects.values("client_id")).count()


def _demo_group_members() -> set[int]:
    """Clients holding a place in a demo group (an offer not yet taken up is not one)."""
    from kindred.groups.models import Enrollment, EnrollmentStatus

    return set(
        Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).values_list(
            "client_id", flat=True
        )
    )


def test_demo_clients_have_availability_concerns_and_group_members_have_accounts(demo_loaded):
    assert _referred() > 0
    assert Client.objects.count() == demo.CLIENT_COUNT + _referred()
    for client in Client.objects.prefetch_related("availability", "concerns"):
        assert client.availability.count() >= 1
        assert client.concerns.count() >= 1
        # Served states, or a referral from elsewhere (accepted and flagged).
        assert client.state_of_residence in {"IL", "KS", "FL"} or (
            Referral.objects.filter(client=client, out_of_state=True).exists()
        )
        assert client.email == "" or client.email.endswith("@demo.example.test")
        assert client.phone == "" or " 555 01" in client.phone
    # Every member holding a place in a demo group has an active portal account (so
    # they can answer questionnaires), and nobody else has one.
    members = User.objects.filter(kind=UserKind.MEMBER)
    holding = _demo_group_members()
    assert len(holding) > 2
    assert set(Client.objects.filter(user__in=members).values_list("pk", flat=True)) == holding
    assert members.count() == len(holding)
    assert not members.filter(is_active=False).exists()


def test_demo_writes_through_the_services_so_changes_are_audited(demo_loaded):
    created = AuditEvent.objects.filter(action="clients.client.created").count()
    assert created == demo.CLIENT_COUNT + _referred()
    staff = len(demo.STAFF)
    assert AuditEvent.objects.filter(action="accounts.user.created").count() == (
        staff + len(_demo_group_members())
    )
    # The members' accounts came through the invitation acceptance service.
    assert AuditEvent.objects.filter(action="clients.invitation.accepted").count() == len(
        _demo_group_members()
    )


def test_demo_prints_the_logins_and_the_two_factor_note(demo_loaded):
    out = demo_loaded
    for local in ("admin", "coordinator", "facilitator", "facilitator2", "supervisor", "billing"):
        assert f"{local}@demo.example.test" in out
    members = list(User.objects.filter(kind=UserKind.MEMBER).order_by("id"))
    for member in members[: demo.MEMBER_COUNT]:
        assert member.email in out
    for member in members[demo.MEMBER_COUNT :]:  # same password, not in the table
        assert member.email not in out
    assert out.count(demo.DEMO_PASSWORD) == 8
    assert "same password" in out
    assert "two-factor" in out
    assert "demo_totp" in out
    # The table is the last thing printed (after the notification emails, the notes).
    assert out.rstrip().splitlines()[-1].split()[0] == members[demo.MEMBER_COUNT - 1].email


def test_demo_refuses_a_database_with_data_and_saves_nothing(cast, debug):
    clients_before = Client.objects.count()
    with pytest.raises(CommandError, match="already holds data"):
        run("seed_demo")
    assert Client.objects.count() == clients_before
    assert not User.objects.filter(email__endswith="@demo.example.test").exists()


def test_demo_if_empty_leaves_a_database_with_data_alone(cast, debug):
    users_before = User.objects.count()
    out = run("seed_demo", if_empty=True)
    assert "already holds data" in out
    assert User.objects.count() == users_before


def test_demo_if_empty_reprints_the_logins_when_the_demo_is_there(demo_loaded):
    out = run("seed_demo", if_empty=True)
    assert "admin@demo.example.test" in out
    assert out.count(demo.DEMO_PASSWORD) == 8  # one per role and the first two members
    assert Client.objects.count() == demo.CLIENT_COUNT + _referred()
    quiet = run("seed_demo", if_empty=True, no_logins=True)
    assert demo.DEMO_PASSWORD not in quiet


def test_demo_force_adds_to_a_database_with_data(cast, debug):
    run("seed_demo", force=True)
    assert User.objects.filter(email="admin@demo.example.test").exists()
    assert Practice.objects.get().name == "Test Practice"  # the existing profile is kept


def test_demo_force_does_not_load_the_demo_twice(demo_loaded):
    with pytest.raises(CommandError, match="already loaded"):
        run("seed_demo", force=True)


def test_demo_refuses_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        run("seed_demo")
    assert not User.objects.exists()


# --- demo_totp -----------------------------------------------------------------------------


@pytest.fixture
def demo_admin(db):
    return staff_create(
        actor=None,
        email="admin@demo.example.test",
        full_name="Adaeze Morgan",
        roles=[Role.ADMIN],
        password=PASSWORD,
    )


def test_demo_totp_prints_a_code_the_sign_in_accepts(demo_admin, debug):
    secret = enrol_totp(demo_admin)
    out = run("demo_totp", "Admin@demo.example.test")
    code = out.split()[0]
    assert len(code) == 6
    assert code.isdigit()
    assert validate_totp_code(secret, code)


def test_demo_totp_says_when_two_factor_is_not_set_up(demo_admin, debug):
    with pytest.raises(CommandError, match="has not set up two-factor"):
        run("demo_totp", "admin@demo.example.test")


def test_demo_totp_refuses_accounts_that_are_not_demo_accounts(cast, debug):
    with pytest.raises(CommandError, match="not a demo account"):
        run("demo_totp", cast.admin.email)


def test_demo_totp_refuses_outside_development(demo_admin, settings):
    enrol_totp(demo_admin)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only in development"):
        run("demo_totp", "admin@demo.example.test")


def _server_banner() -> str:
    """What ``demo_server`` prints once it is listening (its ``on_bind``)."""
    from kindred.core.management.commands.demo_server import Command

    out = StringIO()
    command = Command(stdout=out, stderr=StringIO())
    # What runserver's handle() sets before it binds.
    vars(command).update(addr="127.0.0.1", port="8000", protocol="http", _raw_ipv6=False)
    command.on_bind(8000)
    return out.getvalue()


def test_demo_server_prints_the_logins_last_below_its_banner(demo_admin, debug):
    out = _server_banner()
    assert "Starting" in out
    assert out.index("Starting") < out.index("Demo logins")
    assert out.rstrip().splitlines()[-1].split() == [
        "admin@demo.example.test",
        demo.DEMO_PASSWORD,
        "Practice",
        "admin",
    ]


def test_demo_server_is_plain_runserver_without_the_demo(cast, debug):
    out = _server_banner()
    assert "Starting" in out
    assert "Demo logins" not in out


def test_current_code_follows_the_rfc_6238_test_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (we show the last six digits).
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert current_code(secret, now=59) == ("287082", 1)


# --- seed_scale ----------------------------------------------------------------------------


def test_scale_plan_is_proportional_to_clients():
    assert (ScalePlan(20_000).clinicians, ScalePlan(20_000).locations) == (200, 60)
    assert (ScalePlan(2_000).clinicians, ScalePlan(2_000).locations) == (20, 6)
    assert ScalePlan(10).clinicians >= 2
    assert ScalePlan(10).locations >= 1


def test_scale_creates_each_entity_in_proportion(db):
    out = run("seed_scale", clients=300, batch_size=128)
    plan = ScalePlan(300)
    assert "300 clients" in out
    assert Client.objects.count() == 300
    assert ClinicianProfile.objects.count() == plan.clinicians
    assert Location.objects.count() == plan.locations
    assert Room.objects.count() >= 2 * plan.locations
    assert License.objects.count() >= plan.clinicians
    assert not Client.objects.filter(availability__isnull=True).exists()
    assert not Client.objects.filter(concerns__isnull=True).exists()
    assert AvailabilityWindow.objects.count() >= 300
    assert AuditEvent.objects.filter(client_id__isnull=False).count() == 300 * 5
    assert Practice.objects.exists()


def test_scale_clients_are_findable_by_name(db):
    run("seed_scale", clients=50)
    client = Client.objects.earliest("id")
    assert client.legal_last_name.casefold() in client.search_name


def test_scale_audit_rows_hold_field_names_never_values(db):
    run("seed_scale", clients=40)
    updates = AuditEvent.objects.filter(action="clients.client.updated")
    assert updates.count() == 40
    for event in updates:
        assert set(event.detail) == {"fields"}
        assert set(event.detail["fields"]) <= {"email", "phone", "pronouns"}
        assert event.actor_id is not None
    assert AuditEvent.objects.filter(category=Category.ACCESS).count() == 40 * 3


def test_scale_is_deterministic_for_a_seed():
    def first_clients(seed: int) -> list[tuple[object, ...]]:
        seeder = ScaleSeeder(ScalePlan(100), seed=seed, today=timezone.localdate())
        return [
            (c.legal_first_name, c.legal_last_name, c.date_of_birth, c.email, c.phone)
            for c in seeder.client_batch(seeder.rng("clients"), range(50))
        ]

    assert first_clients(7) == first_clients(7)
    assert first_clients(7) != first_clients(8)


def test_scale_refuses_a_database_with_data_and_saves_nothing(cast):
    clients_before = Client.objects.count()
    with pytest.raises(CommandError, match="already holds data"):
        run("seed_scale", clients=20)
    assert Client.objects.count() == clients_before


def test_scale_force_adds_a_second_set_without_clashing(db):
    run("seed_scale", clients=30)
    run("seed_scale", clients=30, force=True)
    assert Client.objects.count() == 60
    assert User.objects.count() == User.objects.values("email").distinct().count()


def test_scale_rejects_a_silly_size(db):
    with pytest.raises(CommandError, match="at least 1"):
        run("seed_scale", clients=0)


# --- synthetic values ----------------------------------------------------------------------


def test_synthetic_npis_pass_the_check_digit_but_are_never_issued_numbers():
    for number in range(200):
        npi = names.synthetic_npi(number)
        validate_npi(npi)
        assert npi.startswith("9")  # issued NPIs start with 1 or 2


def test_synthetic_phones_are_valid_and_fictional():
    rng = Random(1)
    for state in ("IL", "KS", "FL", "MO", "TX"):
        phone = names.fictional_phone(rng, state)
        validate_phone(phone)
        assert " 555 01" in phone


def test_synthetic_birth_dates_are_adults():
    rng = Random(3)
    today = timezone.localdate()
    for _ in range(100):
        born = names.birth_date(rng, today=today)
        assert today - timedelta(days=81 * 366) < born < today - timedelta(days=18 * 365)


# --- seed_demo: groups -----------------------------------------------------------------------


def test_demo_groups_cover_each_way_of_meeting(demo_loaded):
    from kindred.groups.models import TherapyGroup

    groups = {g.name: g for g in TherapyGroup.objects.select_related("location", "room")}
    assert len(groups) == 4
    kinds = {(g.modality, g.format, g.location.city if g.location else "") for g in groups.values()}
    assert kinds == {
        ("virtual", "closed", ""),
        ("in_person", "closed", "Chicago"),
        ("hybrid", "closed", "Tampa"),
        ("virtual", "open", ""),
    }
    tampa = next(g for g in groups.values() if g.modality == "hybrid")
    assert tampa.timezone == "America/New_York"
    assert tampa.room is not None


def test_demo_groups_have_sessions_and_places_including_the_demo_members(demo_loaded):
    from kindred.groups.models import SEAT_STATUSES, Enrollment, TherapyGroup
    from kindred.practice.selectors import clinicians_may_practice
    from kindred.scheduling.models import Attendance, GroupSession

    now = timezone.now()
    for group in TherapyGroup.objects.all():
        assert group.sessions.filter(starts_at__gt=now).exists(), group.name
        assert 4 <= group.enrollments.filter(status__in=SEAT_STATUSES).count() <= group.max_size
    assert GroupSession.objects.filter(starts_at__lt=now).exists()  # some already happened
    # Attendance was taken at every past session but one (core/seeding/attendance_demo.py;
    # test_seed_demo_attendance.py has the details).
    past = GroupSession.objects.filter(ends_at__lte=now)
    assert past.filter(attendance_taken_at__isnull=True).count() == 1
    assert set(Attendance.objects.values_list("session_id", flat=True)) == set(
        past.filter(attendance_taken_at__isnull=False).values_list("pk", flat=True)
    )
    members = Client.objects.filter(user__isnull=False)
    for client in members:
        places = Enrollment.objects.filter(client=client, status="active")
        assert places.exists()
        for place in places.select_related("group"):
            if place.group.modality != "virtual":
                continue
            # The gate will let them in from home: their facilitators cover their state.
            decisions = clinicians_may_practice(
                [place.group.lead_facilitator_id], client.state_of_residence, now.date()
            )
            assert all(d.allowed for d in decisions.values())


def test_demo_groups_were_made_through_the_services(demo_loaded):
    from kindred.groups.models import Enrollment

    assert AuditEvent.objects.filter(action="groups.group.created").count() == 4
    assert AuditEvent.objects.filter(action="groups.enrollment.invited").count() == (
        Enrollment.objects.count()
    )


def test_scale_groups_places_and_a_year_of_sessions(db):
    from django.db.models import Count, Q

    from kindred.groups.models import SEAT_STATUSES, Enrollment, TherapyGroup
    from kindred.scheduling.models import GroupSession

    run("seed_scale", clients=2000)
    plan = ScalePlan(2000)
    assert plan.groups == plan.clinicians * 10
    assert ScalePlan(20_000).groups == 2_000
    assert TherapyGroup.objects.count() == plan.groups
    now = timezone.now()
    sessions = GroupSession.objects.all()
    assert sessions.filter(starts_at__lt=now).exists()
    assert sessions.filter(starts_at__gt=now).exists()
    first = sessions.earliest("starts_at").starts_at
    last = sessions.latest("starts_at").starts_at
    assert last - first <= timedelta(days=366)
    # Every place respects the group's size; in-person groups are in a room of an office
    # in the lead's licensed home state, and no room is double-booked.
    seats = TherapyGroup.objects.annotate(
        n=Count("enrollments", filter=Q(enrollments__status__in=SEAT_STATUSES))
    )
    assert all(g.n <= g.max_size for g in seats)
    assert Enrollment.objects.count() >= plan.groups * 3
    in_person = TherapyGroup.objects.exclude(modality="virtual").select_related("location")
    assert in_person.exists()
    for group in in_person:
        location = group.location
        assert location is not None
        assert group.room is not None
        assert group.timezone == location.timezone
        assert group.lead_facilitator.licenses.filter(state=location.state).exists()
    booked = list(
        GroupSession.objects.filter(room__isnull=False, status="scheduled")
        .order_by("room_id", "starts_at")
        .values_list("room_id", "starts_at", "ends_at")
    )
    for (room_a, _s1, end_a), (room_b, start_b, _e2) in pairwise(booked):
        assert room_a != room_b or start_b >= end_a
