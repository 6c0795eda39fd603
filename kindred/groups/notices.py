"""Telling the people of a group that something changed: an in-app notification for
each, and (for cancellations) a short email after commit. Never clinical: the words
say that something changed and ask the person to sign in, nothing more."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from kindred.groups.models import SEAT_STATUSES, Enrollment, TherapyGroup
from kindred.notifications.services import notify

if TYPE_CHECKING:
    from kindred.accounts.models import User


def group_people(group: TherapyGroup, *, extra_clinician_ids: Iterable[int] = ()) -> list[User]:
    """Members holding a place (with a portal account) and the group's facilitators
    (plus ``extra_clinician_ids``, e.g. a session's substitute). One query."""
    from kindred.accounts.models import User as UserModel

    member_user_ids = Enrollment.objects.filter(
        group=group, status__in=SEAT_STATUSES, client__user__isnull=False
    ).values("client__user_id")
    clinician_ids = {group.lead_facilitator_id, *extra_clinician_ids}
    return list(
        UserModel.objects.filter(is_active=True)
        .filter(
            Q(pk__in=member_user_ids)
            | Q(clinician__pk__in=clinician_ids)
            | Q(clinician__co_facilitated_groups=group.pk)
        )
        .distinct()
        .order_by("pk")
    )


def notify_people(
    people: Iterable[User],
    *,
    kind: str,
    title: str,
    key: str,
    email: bool,
    staff_url: str,
) -> int:
    """One notification per person (idempotent by ``key``); with ``email``, a short
    email to each newly notified person after commit. Members are sent to their
    sessions page, staff to ``staff_url``. Returns how many were notified."""
    member_url = reverse("web:member_sessions")
    emailed: list[int] = []
    count = 0
    for person in people:
        url = member_url if getattr(person, "is_member", False) else staff_url
        note = notify(user=person, kind=kind, title=title, url=url, dedupe_key=f"{kind}:{key}")
        if note is None:
            continue
        count += 1
        if email and person.email:
            emailed.append(note.pk)
    if emailed:
        transaction.on_commit(partial(_enqueue_emails, emailed))
    return count


def _enqueue_emails(notification_ids: list[int]) -> None:
    from kindred.groups.tasks import send_notice_email

    for notification_id in notification_ids:
        send_notice_email.enqueue(notification_id)


def notify_group(
    group: TherapyGroup,
    *,
    kind: str,
    title: str,
    key: str,
    email: bool = False,
    extra_clinician_ids: Iterable[int] = (),
) -> int:
    return notify_people(
        group_people(group, extra_clinician_ids=extra_clinician_ids),
        kind=kind,
        title=title,
        key=key,
        email=email,
        staff_url=reverse("web:group_detail", kwargs={"group_id": group.pk}),
    )
