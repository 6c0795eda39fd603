import hashlib
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from kindred.accounts.models import User, UserKind
from kindred.audit.models import AuditEvent
from kindred.clients.invitation_services import (
    hash_invitation_token,
    invitation_accept,
    invitation_create,
    invitation_for_link,
    invitation_resend,
    invitation_revoke,
    invitation_send,
    open_invitation,
)
from kindred.clients.models import InvitationStatus, PortalInvitation
from kindred.clients.services import client_archive, client_create, client_update
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed

NEW_PASSWORD = "a river of quiet lanterns at dusk"
LINK_RE = re.compile(r"/welcome/([A-Za-z0-9_-]{40,})/")


def token_in(body: str) -> str:
    found = LINK_RE.search(body)
    assert found is not None, body
    return found.group(1)


def status_of(invitation: PortalInvitation) -> InvitationStatus:
    return PortalInvitation.objects.get(pk=invitation.pk).status


@pytest.fixture
def invitee(cast):
    return client_create(
        actor=cast.coordinator,
        legal_first_name="Noor",
        legal_last_name="Haddad",
        preferred_name="Nini",
        date_of_birth=date(1992, 3, 4),
        state_of_residence="KS",
        email="noor.h@example.test",
    )


@pytest.fixture
def invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox):
    """Invite ``invitee``; return (invitation, raw token from the email)."""

    def _invite(actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(actor=actor or cast.coordinator, client=invitee)
        token = token_in(mailoutbox[-1].body)
        invitation.refresh_from_db()
        return invitation, token

    return _invite


def test_invitation_is_emailed_after_commit_and_only_the_hash_is_kept(
    cast, invitee, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invitation_create(actor=cast.coordinator, client=invitee)
    assert mailoutbox == []  # nothing leaves before the transaction commits
    assert invitation.status == InvitationStatus.SENDING
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["noor.h@example.test"]
    token = token_in(message.body)
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert status_of(invitation) == InvitationStatus.SENT
    assert invitation.send_count == 1
    assert not PortalInvitation.objects.filter(token_hash=token).exists()
    assert token not in str(list(AuditEvent.objects.values()))
    actions = set(AuditEvent.objects.filter(client_id=invitee.pk).values_list("action", flat=True))
    assert {"clients.invitation.created", "clients.invitation.sent"} <= actions


def test_the_email_carries_no_clinical_content(cast, invitee, invite, mailoutbox):
    from kindred.clients.services import concern_create

    grief = concern_create(actor=cast.admin, name="Complicated grief")
    client_update(
        actor=cast.coordinator,
        client=invitee,
        concerns=[grief],
        pronouns="she/her",
        phone="+1 785 555 0100",
    )
    invite()
    message = mailoutbox[-1]
    # The random token could contain any short string, so it is left out of the check.
    text = f"{message.subject}\n{message.body}".replace(token_in(message.body), "<token>")
    assert "Test Practice" in message.body
    assert "You have been invited to Kindred" in message.body
    assert "http://127.0.0.1:8000/welcome/" in message.body
    for private in [
        "Complicated grief",
        "grief",
        "Noor",
        "Nini",
        "Haddad",
        "1992",
        "she/her",
        "555 0100",
        "therapy",
        "diagnos",
    ]:
        assert private.lower() not in text.lower(), private


def test_the_sending_task_is_safe_to_run_twice(cast, invite, mailoutbox):
    invitation, _ = invite()
    assert invitation_send(invitation_id=invitation.pk) is False
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action="clients.invitation.sent").count() == 1


def test_a_new_invitation_revokes_the_open_one(cast, invite):
    first, first_token = invite()
    second, second_token = invite()
    first.refresh_from_db()
    assert first.status == InvitationStatus.REVOKED
    assert second.status == InvitationStatus.SENT
    assert open_invitation(hash_invitation_token(first_token)) is None
    assert open_invitation(hash_invitation_token(second_token)) == second
    assert AuditEvent.objects.filter(
        action="clients.invitation.revoked", object_id=str(first.pk), detail__why="replaced"
    ).exists()


def test_resend_replaces_the_link(cast, invite, django_capture_on_commit_callbacks, mailoutbox):
    invitation, old_token = invite()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(actor=cast.coordinator, invitation=invitation)
    new_token = token_in(mailoutbox[-1].body)
    assert new_token != old_token
    assert open_invitation(hash_invitation_token(old_token)) is None
    assert open_invitation(hash_invitation_token(new_token)) == invitation
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert AuditEvent.objects.filter(action="clients.invitation.resent").exists()


def test_revoke(cast, invite):
    invitation, token = invite()
    invitation_revoke(actor=cast.coordinator, invitation=invitation)
    assert open_invitation(hash_invitation_token(token)) is None
    invitation_revoke(actor=cast.coordinator, invitation=invitation)  # twice: no harm
    assert (
        AuditEvent.objects.filter(
            action="clients.invitation.revoked", object_id=str(invitation.pk)
        ).count()
        == 1
    )
    with pytest.raises(InvalidState):
        invitation_resend(actor=cast.coordinator, invitation=invitation)


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing", "member"])
def test_only_inviters_invite(cast, invitee, who):
    with pytest.raises(NotPermitted):
        invitation_create(actor=getattr(cast, who), client=invitee)
    assert not PortalInvitation.objects.exists()


def test_an_invitation_needs_an_email(cast, invitee):
    client_update(actor=cast.coordinator, client=invitee, email="")
    with pytest.raises(ValidationFailed) as caught:
        invitation_create(actor=cast.coordinator, client=invitee)
    assert "email" in caught.value.errors
    assert not PortalInvitation.objects.exists()


def test_no_invitation_when_an_account_has_the_email_or_the_client_has_one(cast, invitee):
    client_update(actor=cast.coordinator, client=invitee, email="coordinator@example.test")
    with pytest.raises(Conflict):
        invitation_create(actor=cast.coordinator, client=invitee)
    with pytest.raises(InvalidState):
        invitation_create(actor=cast.coordinator, client=cast.client)  # already a member
    assert not PortalInvitation.objects.exists()


def test_changing_the_email_or_archiving_revokes_open_invitations(cast, invitee, invite):
    invitation, _token = invite()
    client_update(actor=cast.coordinator, client=invitee, email="noor.new@example.test")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    second, _ = invite()
    client_archive(actor=cast.coordinator, client=invitee, reason="Declined groups")
    second.refresh_from_db()
    assert second.status == InvitationStatus.REVOKED


def test_accepting_creates_the_member_and_links_the_record(cast, invitee, invite):
    invitation, token = invite()
    user = invitation_accept(token_hash=hash_invitation_token(token), password=NEW_PASSWORD)
    assert user.kind == UserKind.MEMBER
    assert user.email == "noor.h@example.test"
    assert user.full_name == "Nini Haddad"
    assert user.check_password(NEW_PASSWORD)
    invitee.refresh_from_db()
    assert invitee.user == user
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert AuditEvent.objects.filter(
        action="clients.invitation.accepted", actor=user, client_id=invitee.pk
    ).exists()
    with pytest.raises(InvalidState):  # the link works once
        invitation_accept(token_hash=hash_invitation_token(token), password=NEW_PASSWORD)
    assert User.objects.filter(email="noor.h@example.test").count() == 1


@pytest.mark.parametrize("password", ["short one", "x" * 129, "noor.h@example.test", ""])
def test_weak_passwords_create_nothing(cast, invitee, invite, password):
    invitation, token = invite()
    users = User.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        invitation_accept(token_hash=hash_invitation_token(token), password=password)
    assert caught.value.errors["password"]
    assert User.objects.count() == users
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_expired_links_do_not_work(cast, invite):
    invitation, token = invite()
    later = timezone.now() + timedelta(days=7, minutes=1)
    with time_machine.travel(later):
        assert invitation_for_link(token) is None
        with pytest.raises(InvalidState):
            invitation_accept(token_hash=hash_invitation_token(token), password=NEW_PASSWORD)
    assert not User.objects.filter(email="noor.h@example.test").exists()
    assert AuditEvent.objects.filter(
        action="clients.invitation.denied", object_id=str(invitation.pk)
    ).exists()


def test_unknown_links_are_recorded_as_denied(db):
    assert invitation_for_link("not-a-real-token") is None
    assert AuditEvent.objects.filter(action="clients.invitation.denied", object_id="").exists()


def test_an_account_created_meanwhile_blocks_acceptance(cast, invite):
    invitation, token = invite()
    User.objects.create_user("noor.h@example.test", NEW_PASSWORD, full_name="Someone")
    with pytest.raises(Conflict):
        invitation_accept(token_hash=hash_invitation_token(token), password=NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert User.objects.filter(email="noor.h@example.test").count() == 1
