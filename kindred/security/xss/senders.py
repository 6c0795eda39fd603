"""How each e-mail and PDF is made during a run: through the function that composes it,
on the data set's people, after the payloads are in (each round makes them again, so a
sender's "once only" claim rows are made afresh)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.test import Client as HttpClient
from django.utils import timezone

from kindred.security.xss.dataset import People

Maker = tuple[str, Callable[[], object]]


def email_senders(people: People) -> list[Maker]:
    from kindred.accounts.services import send_staff_welcome
    from kindred.breakglass import services as breakglass
    from kindred.clients.invitation_services import hash_invitation_token, invitation_send
    from kindred.clients.models import PortalInvitation
    from kindred.groups.emails import notice_email_send
    from kindred.intake.models import Screening
    from kindred.intake.screening_notices import TOLD_DECISIONS, screening_outcome_email_send
    from kindred.measures.safety import NOTIFICATION_KIND, alert_email_send
    from kindred.notifications.digest import send_digests
    from kindred.notifications.models import DigestFrequency, Notification, NotificationPreference
    from kindred.scheduling.models import GroupSession, Reminder
    from kindred.scheduling.reminder_sending import email_message

    member, client, admin = people.member, people.client, people.admin

    def notice() -> object:
        filled = Notification.objects.filter(user=member).exclude(title="").first()
        title = filled.title if filled else people.the_group.name
        note = Notification.objects.create(user=member, kind="group_notice", title=title)
        return notice_email_send(notification_id=note.pk)

    def safety_alert() -> object:
        note = Notification.objects.create(user=admin, kind=NOTIFICATION_KIND, title="alert")
        return alert_email_send(notification_id=note.pk)

    def invitation() -> object:
        invite = PortalInvitation.objects.create(
            client=client,
            email=client.email,
            token_hash=hash_invitation_token(secrets.token_urlsafe(16)),
            created_by=admin,
            expires_at=timezone.now() + timedelta(days=7),
        )
        return invitation_send(invitation_id=invite.pk)

    def screening_outcome() -> object:
        screening = Screening.objects.order_by("pk").first()
        if screening is None:
            raise LookupError("no screening")
        Screening.objects.filter(pk=screening.pk).update(
            decision=TOLD_DECISIONS[0], decided_at=timezone.now(), candidate_emailed_at=None
        )
        return screening_outcome_email_send(screening_id=screening.pk)

    def reminder() -> object:
        session = GroupSession.objects.filter(group=people.the_group).order_by("-starts_at").first()
        if session is None:
            raise LookupError("no session")
        message = email_message(
            Reminder(
                session=session,
                user=member,
                channel="email",
                minutes_before=60,
                due_at=timezone.now(),
            ),
            client,
        )
        return message.send()

    def digest() -> object:
        NotificationPreference.objects.update_or_create(
            user=member,
            defaults={"digest": DigestFrequency.DAILY, "digest_hour": 0, "last_digest_at": None},
        )
        from kindred.notifications.models import DigestSent

        DigestSent.objects.filter(user=member).delete()
        Notification.objects.filter(user=member).update(read_at=None)
        return send_digests(now=timezone.now())

    def password_reset() -> object:
        # The address as it is now (a payload, but a valid address): allauth finds the
        # account by it.
        member.refresh_from_db()
        return HttpClient().post("/accounts/password/reset/", {"email": member.email})

    return [
        ("staff welcome", lambda: send_staff_welcome(admin.pk)),
        ("portal invitation", invitation),
        ("group notice", notice),
        ("safety alert", safety_alert),
        ("break-glass alert", lambda: breakglass._email_admins([admin.email])),
        ("screening outcome", screening_outcome),
        ("session reminder", reminder),
        ("daily digest", digest),
        ("password reset (allauth)", password_reset),
    ]


def pdf_makers(people: People) -> list[Maker]:
    from kindred.billing.pdf import statement_export, superbill_export
    from kindred.datarights.export import own_export
    from kindred.intake.models import AgreementSignature
    from kindred.intake.pdf import signature_pdf
    from kindred.psychnotes.services import psychnote_export
    from kindred.records.export import record_export

    client = people.client
    today = timezone.localdate()
    start = today - timedelta(days=365)

    def agreement() -> object:
        signature = AgreementSignature.objects.order_by("pk").first()
        if signature is None:
            raise LookupError("no signed agreement")
        return signature_pdf(signature)

    return [
        (
            "record export",
            lambda: record_export(
                actor=people.admin,
                client=client,
                start=start,
                end=today,
                fmt="pdf",
                purpose="member_request",
            ),
        ),
        ("own-data download", lambda: own_export(actor=people.member, fmt="pdf")),
        (
            "psychotherapy-note export",
            lambda: psychnote_export(actor=people.facilitator, fmt="pdf"),
        ),
        (
            "superbill",
            lambda: superbill_export(
                actor=people.users["billing"], client=client, start=start, end=today
            ),
        ),
        (
            "statement",
            lambda: statement_export(
                actor=people.users["billing"], client=client, start=start, end=today
            ),
        ),
        ("signed agreement", agreement),
    ]
