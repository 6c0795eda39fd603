"""The test cast: one fixed set of people, built through the real services.

An admin, a coordinator, two facilitators, a supervisor, a billing clerk, two members
(clients with portal accounts) and an outsider member who must get 404 everywhere they
do not belong. Later issues add the two groups the members belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client as HttpClient

from kindred.accounts.models import User, UserKind
from kindred.accounts.services import staff_create
from kindred.clients.models import Client
from kindred.clients.services import client_create
from kindred.practice.models import Practice
from kindred.practice.roles import Role

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


def build_cast() -> Cast:
    practice = Practice.objects.create(
        name="Test Practice", timezone="America/Chicago", states_served=["IL", "KS", "FL"]
    )
    member, client = _member("Avery", "Member", date(1990, 4, 1), "IL")
    member_b, client_b = _member("Blair", "Member", date(1985, 9, 12), "KS")
    outsider, outsider_client = _member("Casey", "Outsider", date(1979, 1, 30), "FL")
    secrets: dict[int, str] = {}
    return Cast(
        practice=practice,
        admin=_staff(secrets, "admin@example.test", "Ada Admin", Role.ADMIN),
        coordinator=_staff(
            secrets, "coordinator@example.test", "Cora Coordinator", Role.COORDINATOR
        ),
        facilitator=_staff(
            secrets, "facilitator@example.test", "Fern Facilitator", Role.FACILITATOR
        ),
        facilitator_b=_staff(
            secrets, "facilitator.b@example.test", "Flint Facilitator", Role.FACILITATOR
        ),
        supervisor=_staff(secrets, "supervisor@example.test", "Sage Supervisor", Role.SUPERVISOR),
        billing=_staff(secrets, "billing@example.test", "Bill Billing", Role.BILLING),
        member=member,
        member_b=member_b,
        outsider=outsider,
        client=client,
        client_b=client_b,
        outsider_client=outsider_client,
        totp_secrets=secrets,
    )


def signed_in(user: User) -> HttpClient:
    """A test HTTP client signed in as ``user`` (two-factor already passed for staff)."""
    http = HttpClient()
    http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return http
