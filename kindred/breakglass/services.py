"""Writes for break-glass access: open a grant (typed reason, time-limited, one client),
end it early, and acknowledge it in review. Every step is audited in the same
transaction; admins (the privacy officer) are notified in the app and by email at once.

Re-authentication is the page's job (kindred/web/breakglass: the view is wrapped in
``kindred.accounts.reauth.sensitive``), because a password or code can only be asked for
interactively; this module refuses when the caller says it has not been done.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.breakglass.access import active_grant, grant_minutes, may_break_glass
from kindred.breakglass.models import BreakGlassGrant
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability, Role

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

MIN_REASON = 20
MAX_REASON = 1000
NOTIFICATION_KIND = "breakglass"


def _clean_reason(reason: str) -> str:
    text = reason or ""
    if len(text.strip()) < MIN_REASON:
        raise ValidationFailed(
            _(
                "Say what the emergency is, in at least %(n)d characters: the practice's "
                "privacy officer reads it."
            )
            % {"n": MIN_REASON},
            field="reason",
        )
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            _("Use at most %(n)d characters.") % {"n": MAX_REASON}, field="reason"
        )
    return text


def find_client(*, actor: User, last_name: str, date_of_birth: date | None) -> Client:
    """The one active client with this legal last name and date of birth. A clinician
    cannot browse records outside their groups, so they name the person exactly."""
    from kindred.clients.models import Client, ClientStatus

    if not may_break_glass(actor):
        raise NotPermitted(_("Only clinicians can use emergency access."))
    name = (last_name or "").strip()
    if not name or date_of_birth is None:
        raise ValidationFailed(_("Enter the person's legal last name and date of birth."))
    matches = list(
        Client.objects.filter(
            legal_last_name__iexact=name,
            date_of_birth=date_of_birth,
            status=ClientStatus.ACTIVE,
        )[:2]
    )
    if len(matches) != 1:
        raise ValidationFailed(
            _(
                "No single active record matches that last name and date of birth. Check "
                "both, or call the practice admin."
            ),
            field="last_name",
        )
    return matches[0]


def breakglass_open(
    *, actor: User, client: Client, reason: str, reauthenticated: bool
) -> BreakGlassGrant:
    """Grant ``actor`` access to ``client``'s record for ``grant_minutes()`` minutes."""
    from kindred.clients.access import visible_clients

    if not may_break_glass(actor):
        raise NotPermitted(_("Only clinicians can use emergency access."))
    if not reauthenticated:
        raise NotPermitted(_("Confirm your password or code first."))
    text = _clean_reason(reason)
    existing = active_grant(actor, client.pk)
    if existing is not None:
        return existing
    if visible_clients(actor).filter(pk=client.pk).exists():
        raise InvalidState(_("You can already open this record; emergency access is not needed."))
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=actor,
            client=client,
            reason=text,
            opened_at=now,
            expires_at=now + timedelta(minutes=grant_minutes()),
        )
        audit_change(
            actor=actor,
            action="breakglass.grant.opened",
            obj=grant,
            client_id=client.pk,
            detail={"reason": text[:500], "minutes": grant_minutes(), "flag": "break_glass"},
        )
        _alert_admins(grant)
    return grant


def _admins() -> list[User]:
    from kindred.accounts.models import User

    return list(
        User.objects.filter(is_active=True, role_grants__role=Role.ADMIN).distinct().order_by("id")
    )


def _alert_admins(grant: BreakGlassGrant) -> None:
    """In-app now and an email after commit. Neither names the client nor repeats the
    reason: the review page (admins only) shows them."""
    from kindred.notifications.services import notify

    url = reverse("web:breakglass_review")
    title = _("Emergency access to a member's record was used. Review it.")
    admins = _admins()
    for admin in admins:
        notify(
            user=admin,
            kind=NOTIFICATION_KIND,
            title=title,
            url=url,
            dedupe_key=f"{NOTIFICATION_KIND}:{grant.pk}",
        )
    emails = [a.email for a in admins]
    transaction.on_commit(lambda: _email_admins(emails), robust=True)


def _email_admins(emails: list[str]) -> None:
    from django.conf import settings
    from django.core.mail import EmailMessage

    from kindred.practice.settings import practice_settings

    if not emails:
        return
    practice = practice_settings().name
    link = settings.SITE_URL.rstrip("/") + reverse("web:breakglass_review")
    EmailMessage(
        subject=" ".join(
            (_("Emergency access was used at %(practice)s") % {"practice": practice}).split()
        ),
        body=_(
            "A clinician used emergency (break-glass) access to a member's record at "
            "%(practice)s just now.\n\nReview it here (sign-in required):\n%(link)s\n"
        )
        % {"practice": practice, "link": link},
        to=emails,
    ).send()


def breakglass_end(*, actor: User, grant: BreakGlassGrant) -> BreakGlassGrant:
    """End one's own grant before it runs out."""
    if grant.user_id != actor.pk:
        raise NotPermitted(_("You can only end your own emergency access."))
    if not grant.is_active:
        return grant
    with transaction.atomic():
        grant.ended_at = timezone.now()
        grant.save(update_fields=["ended_at"])
        audit_change(
            actor=actor, action="breakglass.grant.ended", obj=grant, client_id=grant.client_id
        )
    return grant


def breakglass_acknowledge(*, actor: User, grant: BreakGlassGrant, note: str) -> BreakGlassGrant:
    """The privacy officer (an admin) has looked at this use of emergency access."""
    role_checks.require(actor, Capability.VIEW_AUDIT)
    if grant.user_id == actor.pk:
        raise NotPermitted(_("Someone else must review your own emergency access."))
    if grant.acknowledged_at is not None:
        raise InvalidState(_("This use of emergency access is already reviewed."))
    text = (note or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed(_("Use at most %(n)d characters.") % {"n": MAX_REASON}, field="note")
    with transaction.atomic():
        locked = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.acknowledged_at is not None:
            raise InvalidState(_("This use of emergency access is already reviewed."))
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = actor
        locked.review_note = text
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "review_note"])
        audit_change(
            actor=actor,
            action="breakglass.grant.acknowledged",
            obj=locked,
            client_id=locked.client_id,
        )
    return locked
