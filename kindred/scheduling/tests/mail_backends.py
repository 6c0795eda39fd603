"""Email backends that misbehave the way a real mail server or a dying worker does, for
the reminder tests. They sit at the boundary (where SMTP would be); nothing of ours is
replaced."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import ClassVar

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class WorkerKilled(BaseException):
    """Stands for the process dying (SIGKILL, power loss): no ``except Exception``
    catches it, so nothing after it runs."""


class FlakyBackend(LocmemBackend):
    """The mail server drops the connection the first ``failures`` times."""

    failures: ClassVar[int] = 1

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class RefusingBackend(LocmemBackend):
    """The mail server refuses the recipient (retrying cannot help)."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({"x@example.test": (550, b"No such user")})


class DiesAfterSendingBackend(LocmemBackend):
    """The server accepts the message, then the worker dies before it can record that
    it was sent."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        super().send_messages(messages)
        raise WorkerKilled


class DiesBeforeSendingBackend(LocmemBackend):
    """The worker dies after claiming the reminder, before the server has it."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise WorkerKilled
