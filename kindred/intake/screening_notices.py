"""Telling a candidate, kindly, that their screening is done and what happens next.

Deferrals and referrals only (an admitted candidate sees their place and its steps in
the portal). The words never carry the reason, the group's name, or anything clinical
(CLINICAL.md, "Safety": emails never carry clinical content): they thank the person,
say what happens next and give the crisis line. The email is sent once: the task claims
the screening by setting ``candidate_emailed_at`` in the transaction that sends it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.intake.models import Screening, ScreeningDecision
from kindred.notifications.services import notify
from kindred.practice.models import Practice
from kindred.practice.settings import practice_settings

TOLD_DECISIONS = (ScreeningDecision.DEFER, ScreeningDecision.REFER_INDIVIDUAL)


def thanks_title() -> str:
    return _("Thank you for talking with us")


def next_steps(screening: Screening) -> str:
    """What happens next, in plain words (no reason, no group, nothing clinical)."""
    if screening.decision == ScreeningDecision.DEFER and screening.revisit_on is not None:
        return _(
            "We think a little later will be a better time to start a group, and we will "
            "be in touch again around %(date)s to talk about it."
        ) % {"date": date_format(screening.revisit_on, "DATE_FORMAT")}
    return _(
        "Someone from our team will be in touch soon to talk about support that may suit "
        "you better right now."
    )


def notify_candidate(screening: Screening) -> bool:
    """The in-app note, when the candidate has an active portal account (once)."""
    user = screening.client.user
    if screening.decision not in TOLD_DECISIONS or user is None or not user.is_active:
        return False
    note = notify(
        user=user,
        kind="screening_outcome",
        title=thanks_title(),
        body=next_steps(screening),
        url=reverse("web:help"),
        dedupe_key=f"screening-outcome:{screening.pk}",
    )
    return note is not None


def screening_outcome_email_send(*, screening_id: int) -> bool:
    """Email the candidate once. The claim and the send share a transaction: if sending
    fails, the claim is rolled back and the task can run again."""
    with transaction.atomic():
        claimed = Screening.objects.filter(
            pk=screening_id,
            candidate_emailed_at__isnull=True,
            decided_at__isnull=False,
            decision__in=TOLD_DECISIONS,
            client__email__gt="",
        ).update(candidate_emailed_at=timezone.now())
        if not claimed:
            return False
        screening = Screening.objects.select_related("client").get(pk=screening_id)
        client = screening.client
        practice = Practice.objects.filter(pk=1).first()
        context = {
            "practice_name": practice_settings().name,
            "first_name": client.preferred_name or client.legal_first_name,
            "next_steps": next_steps(screening),
            "contact_email": practice.contact_email if practice else "",
            "contact_phone": practice.contact_phone if practice else "",
            "crisis_resources": practice_settings().crisis_resources,
        }
        subject = render_to_string("email/screening/outcome_subject.txt", context)
        body = render_to_string("email/screening/outcome_body.txt", context)
        EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[client.email],
        ).send()
    return True
