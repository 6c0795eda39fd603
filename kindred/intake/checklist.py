"""The member's "getting ready" checklist on their home page: for each group where they
hold a place, screening done → agreement signed → preparation read → first session,
each step with a plain status and a link to do it.

A group drops off the checklist once every step is done and the first session has
happened, so a settled member sees nothing here until their group's agreement changes.
One query, whatever the number of groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from kindred.groups.models import SEAT_STATUSES, Enrollment, EnrollmentStatus
from kindred.intake.agreements import AgreementStatus
from kindred.intake.models import AgreementSignature, ScreeningDecision
from kindred.scheduling.member import member_client, safe_zone
from kindred.scheduling.models import GroupSession, SessionStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

# What a step's state means, in words (never colour alone).
DONE, TO_DO, WAITING, NOT_NEEDED = "done", "todo", "waiting", "none"


@dataclass(frozen=True)
class Step:
    title: str
    state: str  # DONE, TO_DO, WAITING or NOT_NEEDED
    state_text: str
    detail: str
    url: str = ""
    link_text: str = ""


@dataclass(frozen=True)
class GroupChecklist:
    group_name: str
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.state in (DONE, NOT_NEEDED))


def _enrollments(client: Client, now: datetime) -> list[Enrollment]:
    """The member's places with their admission steps (intake/admission.py, the same
    rule the roster and activation use), whether they signed an earlier version of the
    group's agreement, and the group's next session."""
    from kindred.intake.admission import with_admission

    group = OuterRef("group_id")
    upcoming = GroupSession.objects.filter(
        group=group, status=SessionStatus.SCHEDULED, ends_at__gt=now
    ).order_by("starts_at", "id")
    return list(
        with_admission(Enrollment.objects.filter(client=client, status__in=SEAT_STATUSES))
        .select_related("group")
        .annotate(
            signed_before=Exists(AgreementSignature.objects.filter(group=group, client=client)),
            next_starts=Subquery(upcoming.values("starts_at")[:1]),
        )
        .order_by("group__name", "group_id")
    )


def _screening_step(enrollment: Any) -> Step:
    title = _("A short conversation with your facilitator")
    # An active place was admitted, whether through Kindred's screening or before it.
    if enrollment.adm_decision == ScreeningDecision.ADMIT or (
        enrollment.status == EnrollmentStatus.ACTIVE
    ):
        return Step(title, DONE, _("Done"), _("You have talked with your facilitator."))
    return Step(
        title,
        WAITING,
        _("Not yet"),
        _("Your care team will get in touch to find a time. There is nothing you need to do."),
    )


def _agreement_step(enrollment: Any) -> Step:
    title = _("Sign the group agreement")
    url = reverse("web:member_agreement", kwargs={"group_id": enrollment.group_id})
    if enrollment.group.agreement_version_id is None:
        return Step(
            title, NOT_NEEDED, _("Not needed yet"), _("This group has no agreement to sign yet.")
        )
    if enrollment.adm_signed:
        return Step(
            title,
            DONE,
            _("Done"),
            _("You have signed it."),
            url,
            _("Read your signed agreement"),
        )
    status = AgreementStatus.SIGN_NEW if enrollment.signed_before else AgreementStatus.SIGN
    detail = (
        _("The agreement has changed. Please read the new version and sign it.")
        if status == AgreementStatus.SIGN_NEW
        else _("A few shared promises that keep the group safe for everyone.")
    )
    return Step(title, TO_DO, _("To do"), detail, url, _("Read and sign"))


def _preparation_step(enrollment: Any) -> Step:
    title = _("Read about your group")
    url = reverse("web:member_preparation", kwargs={"group_id": enrollment.group_id})
    total = enrollment.adm_prep_total
    read = min(enrollment.adm_prep_read, total)
    if total == 0:
        return Step(title, NOT_NEEDED, _("Not needed yet"), _("Nothing to read yet."))
    if read >= total:
        return Step(title, DONE, _("Done"), _("You have read it all."), url, _("Read it again"))
    detail = _("%(read)d of %(total)d read. It takes a few minutes.") % {
        "read": read,
        "total": total,
    }
    return Step(
        title, TO_DO, _("To do"), detail, url, _("Start reading") if not read else _("Continue")
    )


def _first_session_step(enrollment: Any, client: Client) -> Step:
    title = _("Your first session")
    if enrollment.adm_attended:
        return Step(title, DONE, _("Done"), _("You have been to your first session."))
    starts = enrollment.next_starts
    if starts is None:
        return Step(
            title, WAITING, _("Not planned yet"), _("We will let you know when the date is set.")
        )
    local = timezone.localtime(starts, safe_zone(client.timezone))
    when = _("%(day)s at %(time)s") % {
        "day": date_format(local, "l, F j"),
        "time": time_format(local, "g:i A"),
    }
    return Step(
        title, WAITING, _("Coming up"), when, reverse("web:member_sessions"), _("See your sessions")
    )


def _checklist(enrollment: Any, client: Client) -> GroupChecklist:
    return GroupChecklist(
        group_name=enrollment.group.name,
        steps=[
            _screening_step(enrollment),
            _agreement_step(enrollment),
            _preparation_step(enrollment),
            _first_session_step(enrollment, client),
        ],
    )


def member_checklists(client: Client, *, now: datetime | None = None) -> list[GroupChecklist]:
    """The checklist of each group where the member still has something to do, or whose
    first session is still ahead."""
    now = now or timezone.now()
    lists = []
    for enrollment in _enrollments(client, now):
        checklist = _checklist(enrollment, client)
        if checklist.done < len(checklist.steps):
            lists.append(checklist)
    return lists


def member_checklist_panel(actor: User) -> dict[str, Any] | None:
    """The home-page panel (web/home_panels.py): hidden when there is nothing to show."""
    client = member_client(actor)
    if client is None:
        return None
    lists = member_checklists(client)
    return {"checklists": lists} if lists else None
