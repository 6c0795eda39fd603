"""Closing a member's portal account (issue 9, data rights).

Who decides: the member asks (after confirming their password); a coordinator or admin
(``MANAGE_CLIENTS``) confirms. Not the member alone, because closing is not undoable by
the member, the practice has to end their places in groups clinically (CLINICAL.md), and
a stolen session must not be able to close an account outright. The member may withdraw
the request until it is confirmed.

What closure does (one transaction, audited): the sign-in is switched off, every session
ends and every API token is revoked (``accounts.revocation``); the clinical record is
kept — nothing is deleted — until ``retain_until`` (closure date + the practice's
retention period); the member's group-space posts stay (other members' conversations
stay readable) and, by default, their display names are removed so their posts read as
written by "a member" rather than their chosen name (``PostsChoice.KEEP`` leaves them).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.accounts.revocation import revoke_everything
from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.datarights.export import own_client
from kindred.datarights.models import ClosureRequest, ClosureStatus, PostsChoice
from kindred.practice import roles
from kindred.practice.roles import Capability
from kindred.space.models import DisplayName

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from kindred.accounts.models import User

#: How long the clinical record is kept after closure when there is no practice profile
#: yet (``KINDRED_RECORD_RETENTION_YEARS`` in settings); the practice's own figure is
#: ``Practice.record_retention_years`` (its profile page). Seven years covers most US
#: states' adult-record rules; the practice must check its own state's law.
RETENTION_YEARS = 7
REASON_MAX = 500
ALREADY = gettext_lazy(
    "You have already asked to close your account. The practice will be in touch."
)


def retention_years() -> int:
    """The practice's retention period in years (its profile), else the setting."""
    from kindred.practice.settings import practice_settings

    years = practice_settings().record_retention_years
    if years is None:
        years = getattr(settings, "KINDRED_RECORD_RETENTION_YEARS", RETENTION_YEARS)
    return int(years)


def default_posts_choice() -> str:
    """What happens to posts when the group agreement says nothing else."""
    return str(getattr(settings, "KINDRED_CLOSURE_POSTS", PostsChoice.ANONYMIZE))


def agreed_posts_choice(client_id: int | None) -> str:
    """What the group agreements the member signed say (the latest signed version per
    group; the more private choice if they differ), else the default."""
    from kindred.intake.agreements import posts_when_leaving_signed

    signed = posts_when_leaving_signed(client_id) if client_id is not None else None
    return signed or default_posts_choice()


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def open_request(user: User) -> ClosureRequest | None:
    return ClosureRequest.objects.filter(user=user, status=ClosureStatus.REQUESTED).first()


def closure_request(*, actor: User, reason: object = "") -> ClosureRequest:
    """The member asks for their portal account to be closed."""
    client = own_client(actor)
    if not isinstance(reason, str):
        raise ValidationFailed(_("Write your note as text."), field="reason")
    if "\x00" in reason:
        raise ValidationFailed(_("Your note has a character we can't store."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("Keep your note to %(n)d characters.") % {"n": REASON_MAX}, field="reason"
        )
    if open_request(actor) is not None:
        raise Conflict(str(ALREADY))
    try:
        with transaction.atomic():
            request = ClosureRequest.objects.create(
                user=actor, client=client, reason=reason, requested_at=timezone.now()
            )
            audit_change(
                actor=actor,
                action="datarights.closure.requested",
                obj=request,
                client_id=client.pk,
            )
    except IntegrityError as exc:  # two requests at once: the constraint keeps one
        raise Conflict(str(ALREADY)) from exc
    return request


def closure_withdraw(*, actor: User) -> ClosureRequest:
    """The member changes their mind before the practice confirms."""
    own_client(actor)
    with transaction.atomic():
        request = (
            ClosureRequest.objects.select_for_update()
            .filter(user=actor, status=ClosureStatus.REQUESTED)
            .first()
        )
        if request is None:
            raise InvalidState(_("There is no request to close your account to withdraw."))
        request.status = ClosureStatus.WITHDRAWN
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        audit_change(
            actor=actor,
            action="datarights.closure.withdrawn",
            obj=request,
            client_id=request.client_id,
        )
    return request


def pending(actor: User) -> QuerySet[ClosureRequest]:
    roles.require(actor, Capability.MANAGE_CLIENTS)
    return (
        ClosureRequest.objects.filter(status=ClosureStatus.REQUESTED)
        .select_related("client", "user")
        .order_by("requested_at", "id")
    )


def get_request_for(actor: User, request_id: object) -> ClosureRequest:
    roles.require(actor, Capability.MANAGE_CLIENTS)
    try:
        pk = int(str(request_id))
    except ValueError as exc:
        raise NotFound(_("Not found.")) from exc
    request = ClosureRequest.objects.select_related("client", "user").filter(pk=pk).first()
    if request is None:
        raise NotFound(_("Not found."))
    return request


def closure_confirm(*, actor: User, request_id: object, posts: object = None) -> ClosureRequest:
    """A coordinator or admin closes the account the member asked to close."""
    roles.require(actor, Capability.MANAGE_CLIENTS)
    choice = posts
    if choice not in (None, "") and choice not in PostsChoice.values:
        raise ValidationFailed(
            _("Choose whether the member's posts keep their display name or not."),
            field="posts",
        )
    found = get_request_for(actor, request_id)
    if choice in (None, ""):
        choice = agreed_posts_choice(found.client_id)
    with transaction.atomic():
        request = (
            ClosureRequest.objects.select_for_update()
            .select_related("user")
            .get(pk=int(str(request_id)))
        )
        if request.status == ClosureStatus.CLOSED:
            raise InvalidState(_("This account is already closed."))
        if request.status != ClosureStatus.REQUESTED:
            raise InvalidState(_("The member withdrew this request; there is nothing to close."))
        user = request.user
        if user.pk == actor.pk:
            raise NotPermitted(_("Someone else at the practice must confirm your own closure."))
        user.is_active = False
        user.deactivated_at = timezone.now()
        user.save(update_fields=["is_active", "deactivated_at"])
        revoked = revoke_everything(user=user, actor=actor, reason="account_closed")
        names_removed = 0
        if choice == PostsChoice.ANONYMIZE:
            names_removed, _detail = DisplayName.objects.filter(user=user).delete()
        today = timezone.localdate()
        outcome: dict[str, Any] = {
            "sessions_ended": revoked["sessions"],
            "tokens_revoked": revoked["tokens"],
            "display_names_removed": names_removed,
        }
        request.status = ClosureStatus.CLOSED
        request.decided_at = timezone.now()
        request.decided_by = actor
        request.posts = choice
        request.retain_until = _add_years(today, retention_years())
        request.outcome = outcome
        request.save(
            update_fields=["status", "decided_at", "decided_by", "posts", "retain_until", "outcome"]
        )
        audit_change(
            actor=actor,
            action="datarights.closure.confirmed",
            obj=request,
            client_id=request.client_id,
            detail={**outcome, "posts": choice, "retain_until": request.retain_until.isoformat()},
        )
    return request
