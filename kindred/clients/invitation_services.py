"""Portal invitations: a one-time link by email that lets a client create their member
account.

The token is made at the moment the email is sent (``invitation_send``, run by a task
after the invitation is committed) and only its SHA-256 hash is stored. Until then the
row holds the hash of a random value nobody knows, so an unsent invitation cannot be
used, and the token is never written to the database or to the task queue.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kindred.accounts.models import User, UserKind
from kindred.audit.services import audit_change, audit_denied
from kindred.clients.models import Client, ClientStatus, InvitationStatus, PortalInvitation
from kindred.core.errors import Conflict, InvalidState, ValidationFailed
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.practice.settings import practice_settings

if TYPE_CHECKING:
    from datetime import datetime


def hash_invitation_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _unusable_hash() -> str:
    """The hash of a random value that is thrown away: no link can match it."""
    return hash_invitation_token(secrets.token_urlsafe(32))


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.KINDRED_INVITATION_DAYS)


def _open(client: Client) -> list[PortalInvitation]:
    return list(
        PortalInvitation.objects.select_for_update().filter(
            client=client, accepted_at__isnull=True, revoked_at__isnull=True
        )
    )


def _enqueue_send(invitation_id: int) -> None:
    from kindred.clients.tasks import send_portal_invitation

    send_portal_invitation.enqueue(invitation_id)


def revoke_open_invitations(*, actor: User | None, client: Client, why: str) -> int:
    """Revoke every open invitation of ``client`` (call inside a transaction)."""
    now = timezone.now()
    invitations = _open(client)
    for invitation in invitations:
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        audit_change(
            actor=actor,
            action="clients.invitation.revoked",
            obj=invitation,
            client_id=client.pk,
            detail={"why": why},
        )
    return len(invitations)


def _check_invitable(client: Client) -> None:
    if client.status != ClientStatus.ACTIVE:
        raise InvalidState(_("This record is archived. Restore it before inviting."))
    if client.user_id is not None:
        raise InvalidState(_("This client already has a portal account."))
    if not client.email:
        raise ValidationFailed(
            _("Add an email address to the record first; the invitation is sent there."),
            field="email",
        )
    if User.objects.filter(email__iexact=client.email).exists():
        raise Conflict(
            _(
                "An account with this email address already exists, so an invitation "
                "cannot create one. Check the email on the record."
            ),
            field="email",
        )


def invitation_create(*, actor: User, client: Client) -> PortalInvitation:
    """Invite a client to the member portal: earlier open invitations are revoked, and
    the email goes out after commit."""
    role_checks.require(actor, Capability.INVITE_CLIENTS)
    with transaction.atomic():
        # One invitation at a time per client, even with two coordinators at once.
        client = Client.objects.select_for_update().get(pk=client.pk)
        _check_invitable(client)
        revoke_open_invitations(actor=actor, client=client, why="replaced")
        now = timezone.now()
        invitation = PortalInvitation.objects.create(
            client=client,
            email=client.email,
            token_hash=_unusable_hash(),
            created_by=actor,
            expires_at=_expiry(now),
        )
        audit_change(
            actor=actor, action="clients.invitation.created", obj=invitation, client_id=client.pk
        )
        transaction.on_commit(partial(_enqueue_send, invitation.pk))
    return invitation


def invitation_resend(*, actor: User, invitation: PortalInvitation) -> PortalInvitation:
    """Send a fresh link (the previous link stops working) with a fresh expiry."""
    role_checks.require(actor, Capability.INVITE_CLIENTS)
    with transaction.atomic():
        invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvalidState(_("This invitation has already been accepted."))
        if invitation.revoked_at is not None:
            raise InvalidState(_("This invitation was revoked. Send a new invitation instead."))
        client = Client.objects.select_for_update().get(pk=invitation.client_id)
        _check_invitable(client)
        if client.email != invitation.email:
            raise InvalidState(
                _("The email on the record has changed. Send a new invitation instead.")
            )
        invitation.token_hash = _unusable_hash()
        invitation.sent_at = None
        invitation.expires_at = _expiry(timezone.now())
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        audit_change(
            actor=actor, action="clients.invitation.resent", obj=invitation, client_id=client.pk
        )
        transaction.on_commit(partial(_enqueue_send, invitation.pk))
    return invitation


def invitation_revoke(*, actor: User, invitation: PortalInvitation) -> PortalInvitation:
    role_checks.require(actor, Capability.INVITE_CLIENTS)
    with transaction.atomic():
        invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvalidState(_("This invitation has already been accepted."))
        if invitation.revoked_at is not None:
            return invitation
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_change(
            actor=actor,
            action="clients.invitation.revoked",
            obj=invitation,
            client_id=invitation.client_id,
            detail={"why": "revoked"},
        )
    return invitation


def invitation_link(raw_token: str) -> str:
    path = reverse("web:invitation_open", kwargs={"token": raw_token})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _render_email(invitation: PortalInvitation, raw_token: str) -> EmailMessage:
    prefs = practice_settings()
    local_expiry = invitation.expires_at.astimezone(ZoneInfo(prefs.timezone))
    context = {
        "practice_name": prefs.name,
        "link": invitation_link(raw_token),
        "expires": formats.date_format(local_expiry, "DATETIME_FORMAT"),
        "expires_tz": local_expiry.tzname(),
    }
    subject = render_to_string("email/clients/invitation_subject.txt", context)
    body = render_to_string("email/clients/invitation_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )


def invitation_send(*, invitation_id: int) -> bool:
    """Make the link and email it. Safe to run twice: the row is claimed while locked,
    and an invitation that was already sent, accepted or revoked is left alone. If the
    email cannot be sent, nothing is recorded and the task can run again."""
    with transaction.atomic():
        invitation = (
            PortalInvitation.objects.select_for_update()
            .filter(
                pk=invitation_id,
                sent_at__isnull=True,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
            .first()
        )
        if invitation is None:
            return False
        raw = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation.token_hash = hash_invitation_token(raw)
        invitation.sent_at = now
        invitation.expires_at = _expiry(now)
        invitation.send_count += 1
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "send_count"])
        audit_change(
            actor=None,
            action="clients.invitation.sent",
            obj=invitation,
            client_id=invitation.client_id,
            detail={"count": invitation.send_count},
        )
        _render_email(invitation, raw).send()
    return True


def invitation_for_link(raw_token: str) -> PortalInvitation | None:
    """The open invitation an emailed link points to, or None (and a "denied" audit
    event: a used, expired, revoked or unknown link)."""
    token_hash = hash_invitation_token(raw_token)
    invitation = open_invitation(token_hash)
    if invitation is None:
        known = PortalInvitation.objects.filter(token_hash=token_hash).values("pk").first()
        audit_denied(
            actor=None,
            action="clients.invitation.denied",
            object_type="clients.portalinvitation",
            object_id=known["pk"] if known else "",
        )
    return invitation


def open_invitation(token_hash: str) -> PortalInvitation | None:
    """The invitation this hash opens, if it can still be accepted."""
    invitation = (
        PortalInvitation.objects.select_related("client").filter(token_hash=token_hash).first()
    )
    if invitation is None or invitation.status != InvitationStatus.SENT:
        return None
    return invitation


def invitation_accept(*, token_hash: str, password: str) -> User:
    """Create the member account for the invited client and link it to their record.

    Raises ``InvalidState`` when the link no longer works, ``Conflict`` when an account
    with the email already exists, and ``ValidationFailed`` for a weak password; in each
    case nothing is created.
    """
    dead_link = InvalidState(
        _("This link no longer works. Please contact the practice for a new one."),
        code="link_dead",
    )
    invitation = open_invitation(token_hash)
    if invitation is None:
        raise dead_link
    client = invitation.client
    candidate = User(email=invitation.email, full_name=client.display_name, kind=UserKind.MEMBER)
    try:
        validate_password(password or "", candidate)
    except ValidationError as exc:
        raise ValidationFailed(errors={"password": list(exc.messages)}) from exc
    taken = Conflict(
        _(
            "An account with this email address already exists. Sign in with it, or "
            "contact the practice if you need help."
        ),
        code="account_exists",
    )
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise taken
    try:
        with transaction.atomic():
            locked = PortalInvitation.objects.select_for_update().filter(pk=invitation.pk).first()
            client = Client.objects.select_for_update().get(pk=invitation.client_id)
            if (
                locked is None
                or locked.token_hash != token_hash
                or locked.status != InvitationStatus.SENT
                or client.user_id is not None
                or client.status != ClientStatus.ACTIVE
            ):
                raise dead_link
            user = User.objects.create_user(
                locked.email, password, full_name=client.display_name, kind=UserKind.MEMBER
            )
            client.user = user
            client.save(update_fields=["user", "updated_at"])
            locked.accepted_at = timezone.now()
            locked.save(update_fields=["accepted_at"])
            audit_change(
                actor=user,
                action="accounts.user.created",
                obj=user,
                client_id=client.pk,
                detail={"kind": "member", "via": "invitation"},
            )
            audit_change(
                actor=user, action="clients.invitation.accepted", obj=locked, client_id=client.pk
            )
    except IntegrityError as exc:  # the same email registered at the same moment
        raise taken from exc
    return user
