"""Who the fuzzer is: one credential per role of the test cast, and the rule of what each
may succeed at (the oracle for "a role never gets 2xx where it is not allowed").

Staff call with an API token carrying every scope their roles allow (allowed_scopes);
the member calls with a signed-in browser session (members cannot hold tokens) plus a
CSRF cookie and header; anonymous sends nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.test import Client as HttpClient

from kindred.accounts.token_services import allowed_scopes, api_token_create

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.core.testing import Cast
    from kindred.security.fuzz.openapi import Operation

STAFF_ROLES = ("billing", "supervisor", "facilitator", "coordinator", "admin")
SESSION_ROLES = ("member",)
#: Least power first: a role's writes (archiving the member's client, cancelling group A)
#: must not take away what the roles after it are tested with.
ROLES = ("anonymous", *SESSION_ROLES, *STAFF_ROLES)

#: What a member's browser session may succeed at: their own things (me/, notifications,
#: their journal), the public directory, and the group spaces, goals, milestones,
#: strategies, agreement and preparation of their own groups, and their signatures
#: (object access decides which). Reviewed by hand against
#: the member pages; anything else answering 2xx to a member is a finding.
MEMBER_MAY = re.compile(
    r"^/api/v1/("
    r"me/.*|notifications/.*|journal/.*|directory/.*"
    r"|groups/\{group_id\}/space/.*|space/.*"
    r"|goals/.*|milestones/.*|strategies/.*"
    r"|groups/\{group_id\}/(agreement|preparation)/.*"
    r"|agreement-versions/\{version_id\}/|agreement-signatures/\{signature_id\}/.*"
    r")$"
)


@dataclass
class Credential:
    role: str
    kind: Literal["token", "session", "anonymous"]
    user: User | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    scopes: frozenset[str] = frozenset()


def _token(role: str, user: User) -> Credential:
    scopes = sorted(str(s) for s in allowed_scopes(user))
    raw, _ = api_token_create(actor=user, name=f"fuzz {role}", scopes=scopes)
    return Credential(
        role=role,
        kind="token",
        user=user,
        headers={"Authorization": f"Bearer {raw}"},
        scopes=frozenset(scopes),
    )


def _session(role: str, user: User) -> Credential:
    http = HttpClient()
    http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts it as a CSRF secret
    return Credential(
        role=role,
        kind="session",
        user=user,
        headers={"X-CSRFToken": csrf},
        cookies={
            settings.SESSION_COOKIE_NAME: http.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
    )


def credentials(cast: Cast, roles: tuple[str, ...] = ROLES) -> list[Credential]:
    found: list[Credential] = []
    for role in roles:
        if role == "anonymous":
            found.append(Credential(role=role, kind="anonymous"))
        elif role in STAFF_ROLES:
            found.append(_token(role, getattr(cast, role)))
        else:
            found.append(_session(role, getattr(cast, role)))
    return found


def may_succeed(credential: Credential, operation: Operation) -> bool:  # noqa: PLR0911
    """Whether ``credential`` may ever get a 2xx from ``operation`` (the oracle)."""
    endpoint = operation.endpoint
    if endpoint is None:
        return False
    permissions = endpoint.permission_names()
    if "AllowAny" in permissions:
        return True
    if credential.kind == "anonymous":
        return False
    if credential.kind == "session":
        return bool(MEMBER_MAY.match(operation.path))
    if "SessionOnly" in permissions:
        return False
    if "IsSignedIn" in permissions:
        return True
    needed = endpoint.required_scope(operation.method)
    return needed is not None and needed in credential.scopes


def known_ids(cast: Cast) -> dict[str, Any]:
    """Path parameters that name real rows of the cast, so some cases get past the 404s
    (group A, its first session, its members' client and enrolment, the lead clinician)."""
    from kindred.groups.models import Enrollment
    from kindred.scheduling.models import GroupSession

    session = GroupSession.objects.filter(group=cast.group_a).order_by("starts_at").first()
    enrollment = Enrollment.objects.filter(group=cast.group_a, client=cast.client).first()
    ids: dict[str, Any] = {
        "group_id": cast.group_a.pk,
        "client_id": cast.client.pk,
        "clinician_id": cast.clinician.pk,
        "user_id": cast.facilitator.pk,
        "slug": cast.group_a.slug,
        "resource_id": str(cast.client.pk),
    }
    if session is not None:
        ids["session_id"] = session.pk
    if enrollment is not None:
        ids["enrollment_id"] = enrollment.pk
    return ids
