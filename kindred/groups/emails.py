"""The short notice emails of group changes. They carry the practice's name, the
notification's title (which names the group, never anyone's health) and a sign-in link:
never a video link, a reason, or another member's name."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kindred.groups.models import NoticeEmail
from kindred.notifications.models import Notification
from kindred.practice.settings import practice_settings


def notice_email_send(*, notification_id: int) -> bool:
    """Send the email for one notification, once. The claim row and the send share a
    transaction: if sending fails, the claim is rolled back and the task can run again."""
    note = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if note is None or not note.user.email or not note.user.is_active:
        return False
    try:
        with transaction.atomic():
            NoticeEmail.objects.create(notification=note, sent_at=timezone.now())
            context = {
                "practice_name": practice_settings().name,
                "title": note.title,
                "link": f"{settings.SITE_URL.rstrip('/')}{reverse('account_login')}",
            }
            subject = render_to_string("email/groups/notice_subject.txt", context)
            body = render_to_string("email/groups/notice_body.txt", context)
            EmailMessage(
                subject=" ".join(subject.split()),
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[note.user.email],
            ).send()
    except IntegrityError:
        return False
    return True
