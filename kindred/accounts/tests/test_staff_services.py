"""Staff invitations: an account without a password and an email (after commit) with a
link to choose one. The email names the practice and the next step, nothing clinical."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import url_str_to_user_pk
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from kindred.accounts import services
from kindred.accounts.models import User
from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.practice.roles import Role

LINK = re.compile(r"/accounts/password/reset/key/(?P<uid>[0-9a-z]+)-(?P<key>\S+)/")


def invite(actor: User, email: str = "nia@example.test") -> User:
    return services.staff_invite(
        actor=actor, email=email, full_name="Nia New", roles=[Role.FACILITATOR]
    )


def test_invite_makes_an_account_and_emails_a_link_after_commit(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = invite(cast.admin)
    assert len(mail.outbox) == 0  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert not user.has_usable_password()
    assert user.roles == frozenset({Role.FACILITATOR})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nia@example.test"]
    assert message.subject == "Your staff account at Test Practice"
    match = LINK.search(str(message.body))
    assert match is not None
    assert message.body.startswith("Hello Nia New,")
    assert "two-step verification" in message.body
    # The link carries a real password-reset token for this person.
    assert url_str_to_user_pk(match["uid"]) == user.pk
    assert default_token_generator.check_token(user, match["key"])
    actions = list(
        AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["accounts.user.created", "accounts.user.invited"]


def test_the_email_carries_no_clinical_content(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(cast.admin)
    body = mail.outbox[0].body.lower()
    for word in ("client", "member", "diagnos", "session", "group", "phq", "note"):
        assert word not in body


def test_the_link_stops_working_once_a_password_is_chosen(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = invite(cast.admin)
    match = LINK.search(str(mail.outbox[0].body))
    assert match is not None
    user.set_password("a long enough passphrase here")
    user.save(update_fields=["password"])
    assert not default_token_generator.check_token(user, match["key"])


@pytest.mark.parametrize(
    ("email", "error"),
    [("admin@example.test", Conflict), ("not-an-email", ValidationFailed)],
)
def test_bad_invitations_save_and_send_nothing(
    cast, django_capture_on_commit_callbacks, email, error
):
    before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(error):
        invite(cast.admin, email=email)
    assert User.objects.count() == before
    assert len(mail.outbox) == 0


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "supervisor", "billing"])
def test_only_staff_managers_invite(cast, who):
    with pytest.raises(NotPermitted):
        invite(getattr(cast, who))
    assert not User.objects.filter(email="nia@example.test").exists()


def test_resend_the_link(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_resend_welcome(actor=cast.admin, user=cast.billing)
    assert mail.outbox[0].to == ["billing@example.test"]
    with pytest.raises(NotPermitted):
        services.staff_resend_welcome(actor=cast.coordinator, user=cast.billing)
    with pytest.raises(InvalidState):
        services.staff_resend_welcome(actor=cast.admin, user=cast.member)
    services.user_deactivate(actor=cast.admin, user=cast.billing, reason="Left")
    with pytest.raises(InvalidState):
        services.staff_resend_welcome(actor=cast.admin, user=cast.billing)


def test_a_deactivated_account_gets_no_link(cast):
    services.user_deactivate(actor=cast.admin, user=cast.billing, reason="Left")
    services.send_staff_welcome(cast.billing.pk)
    assert len(mail.outbox) == 0


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise OSError("mail server down")


def test_a_mail_failure_does_not_undo_the_account(
    cast, settings, django_capture_on_commit_callbacks, caplog
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        user = invite(cast.admin)
    assert User.objects.filter(pk=user.pk).exists()
    assert "mail server down" in caplog.text
