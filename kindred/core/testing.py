"""The test cast: one fixed set of people, built through the real services.

An admin, a coordinator, two facilitators, a supervisor, a billing clerk, two members
(clients with portal accounts) and an outsider member who must get 404 everywhere they
do not belong, and two groups:

- group A, "Steady Ground": virtual, weekly (12 sessions, the first two weeks ago), led
  by ``facilitator`` (licensed in IL and KS), with ``member`` and ``member_b`` active;
- group B, "Open Harbor": virtual, open-ended weekly, led by ``facilitator_b``
  (licensed in FL only), with ``outsider`` active.

``supervisor`` is a clinician (licensed in IL) who supervises ``facilitator``, so sees
group A. Licensure-gate tests have a covered state (IL, KS for group A) and an
uncovered one (FL for group A; IL for group B).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.models import User, UserKind
from kindred.accounts.services import staff_create
from kindred.clients.models import Client
from kindred.clients.services import client_create
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.groups.services import enrollment_activate, enrollment_invite, group_create
from kindred.practice.models import ClinicianProfile, Practice
from kindred.practice.roles import Role
from kindred.practice.services import clinician_create, license_create

PASSWORD = "correct horse battery staple kindred"


@dataclass
class Cast:
    practice: Practice
    admin: User
    coordinator: User
    facilitator: User
    facilitator_b: User
    supervisor: User
    billing: User
    member: User
    member_b: User
    outsider: User
    client: Client
    client_b: Client
    outsider_client: Client
    group_a: TherapyGroup
    group_b: TherapyGroup
    clinician: ClinicianProfile  # facilitator's
    clinician_b: ClinicianProfile  # facilitator_b's
    supervisor_clinician: ClinicianProfile
    # TOTP secrets of the staff, by user id, so tests can compute valid codes.
    totp_secrets: dict[int, str]

    @property
    def staff(self) -> list[User]:
        return [
            self.admin,
            self.coordinator,
            self.facilitator,
            self.facilitator_b,
            self.supervisor,
            self.billing,
        ]

    @property
    def members(self) -> list[User]:
        return [self.member, self.member_b, self.outsider]


def enrol_totp(user: User) -> str:
    """Give a user a TOTP authenticator (as the enrolment page would); returns the secret."""
    secret: str = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _staff(secrets: dict[int, str], email: str, name: str, *roles: Role) -> User:
    user = staff_create(actor=None, email=email, full_name=name, roles=roles, password=PASSWORD)
    secrets[user.pk] = enrol_totp(user)
    return user


def _member(first: str, last: str, dob: date, state: str) -> tuple[User, Client]:
    client = client_create(
        actor=None,
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=dob,
        state_of_residence=state,
        email=f"{first.lower()}.{last.lower()}@example.test",
    )
    user = User.objects.create_user(
        client.email, PASSWORD, full_name=client.display_name, kind=UserKind.MEMBER
    )
    client.user = user
    client.save(update_fields=["user"])
    return user, client


def _clinician(user: User, licenses: list[tuple[str, str, str]]) -> ClinicianProfile:
    clinician = clinician_create(actor=None, user=user, credentials="LCPC")
    today = timezone.localdate()
    for state, kind, number in licenses:
        license_create(
            actor=None,
            clinician=clinician,
            state=state,
            license_type=kind,
            number=number,
            issued_on=today - timedelta(days=730),
            expires_on=today + timedelta(days=730),
        )
    return clinician


def _group(
    name: str, lead: ClinicianProfile, *, rule: str, start: date, at: time, members: list[Client]
) -> TherapyGroup:
    group = group_create(
        actor=None,
        name=name,
        description=f"{name}: a small group that meets by video.",
        lead_facilitator=lead,
        recurrence=rule,
        start_date=start,
        start_time=at,
        timezone="America/Chicago",
        format="closed" if "COUNT" in rule else "open",
        modality="virtual",
        status="active",
    )
    for client in members:
        enrollment: Enrollment = enrollment_invite(actor=None, group=group, client=client)
        enrollment_activate(actor=None, enrollment=enrollment)
    return group


def build_cast() -> Cast:
    practice = Practice.objects.create(
        name="Test Practice", timezone="America/Chicago", states_served=["IL", "KS", "FL"]
    )
    member, client = _member("Avery", "Member", date(1990, 4, 1), "IL")
    member_b, client_b = _member("Blair", "Member", date(1985, 9, 12), "KS")
    outsider, outsider_client = _member("Casey", "Outsider", date(1979, 1, 30), "FL")
    secrets: dict[int, str] = {}
    facilitator = _staff(secrets, "facilitator@example.test", "Fern Facilitator", Role.FACILITATOR)
    facilitator_b = _staff(
        secrets, "facilitator.b@example.test", "Flint Facilitator", Role.FACILITATOR
    )
    supervisor = _staff(secrets, "supervisor@example.test", "Sage Supervisor", Role.SUPERVISOR)
    supervisor_clinician = _clinician(supervisor, [("IL", "LCPC", "180.000001")])
    clinician = _clinician(facilitator, [("IL", "LCPC", "180.000002"), ("KS", "LCPC", "KS-000002")])
    clinician.supervisor = supervisor_clinician
    clinician.save(update_fields=["supervisor"])
    clinician_b = _clinician(facilitator_b, [("FL", "LMHC", "MH000003")])
    today = timezone.localdate()
    group_a = _group(
        "Steady Ground",
        clinician,
        rule="FREQ=WEEKLY;COUNT=12",
        start=today - timedelta(days=14),
        at=time(18, 0),
        members=[client, client_b],
    )
    group_b = _group(
        "Open Harbor",
        clinician_b,
        rule="FREQ=WEEKLY",
        start=today - timedelta(days=12),
        at=time(10, 0),
        members=[outsider_client],
    )
    return Cast(
        practice=practice,
        admin=_staff(secrets, "admin@example.test", "Ada Admin", Role.ADMIN),
        coordinator=_staff(
            secrets, "coordinator@example.test", "Cora Coordinator", Role.COORDINATOR
        ),
        facilitator=facilitator,
        facilitator_b=facilitator_b,
        supervisor=supervisor,
        billing=_staff(secrets, "billing@example.test", "Bill Billing", Role.BILLING),
        member=member,
        member_b=member_b,
        outsider=outsider,
        client=client,
        client_b=client_b,
        outsider_client=outsider_client,
        group_a=group_a,
        group_b=group_b,
        clinician=clinician,
        clinician_b=clinician_b,
        supervisor_clinician=supervisor_clinician,
        totp_secrets=secrets,
    )


def newcomer(email: str = "newcomer@example.test", name: str = "Nell Newcomer") -> User:
    """A facilitator with no clinician profile yet (the cast's clinicians all have one),
    two-factor enrolled like the cast's staff."""
    user = staff_create(
        actor=None, email=email, full_name=name, roles=[Role.FACILITATOR], password=PASSWORD
    )
    enrol_totp(user)
    return user


def blank_clinician(cast: Cast, *, npi: str = "", credentials: str = "") -> ClinicianProfile:
    """``cast.facilitator``'s clinician profile stripped of its licenses and privileges,
    with these fields: for tests of credentials that need a clean slate."""
    from kindred.practice.models import CompactPrivilege, License

    clinician = cast.clinician
    License.objects.filter(clinician=clinician).delete()
    CompactPrivilege.objects.filter(clinician=clinician).delete()
    clinician.npi = npi
    clinician.credentials = credentials
    clinician.supervisor = None
    clinician.save(update_fields=["npi", "credentials", "supervisor"])
    return clinician


def signed_in(user: User) -> HttpClient:
    """A test HTTP client signed in as ``user`` (two-factor already passed for staff)."""
    http = HttpClient()
    http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return http
