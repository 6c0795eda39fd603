"""Sharing, approving, marking and promoting coping-strategy cards.

Every service takes the access the caller got from ``access.get_library_for`` or
``access.get_card_for``, checks what this person may do, validates, writes and audits in
one transaction. Audit details name ids and fields, never the words of a card.

Who may write follows the group space (``kindred.space``): a member who has left the
group, or whose group's space is paused, or who is muted there, cannot share a card; the
messages say which. Risk language in a card raises a SafetyAlert in the same transaction
(flag ``strategies.card.<pk>``); the caller shows the writer crisis resources at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.clients.models import ConcernTag
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.notifications.services import notify
from kindred.space import risk
from kindred.space.services import check_not_paused_or_muted, tell_facilitators
from kindred.strategies.access import CardAccess, LibraryAccess, LibraryRole, is_admin
from kindred.strategies.models import (
    CONCERNS_MAX,
    REASON_MAX,
    TITLE_MAX,
    WHAT_MAX,
    WHEN_MAX,
    MarkKind,
    Strategy,
    StrategyMark,
    StrategyStatus,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User

NOTIFY_PENDING = "strategy_pending"
NOTIFY_DECIDED = "strategy_decided"
NOTIFY_HELPED = "strategy_helped"
NOTIFY_PROMOTED = "strategy_promoted"


# --- helpers ---------------------------------------------------------------------------


def _require_not_former(access: LibraryAccess) -> None:
    if access.role == LibraryRole.FORMER:
        raise InvalidState(
            _(
                "You are no longer a member of this group, so you can't share or mark "
                "coping strategies in it. Your care team can tell you about other groups."
            ),
            code="left_group",
        )


def check_can_share(actor: User, access: LibraryAccess) -> None:
    """Why ``actor`` may not share a card in this group right now, as an error."""
    _require_not_former(access)
    if not access.is_member:
        raise NotPermitted(
            _(
                "Members share their own coping strategies; facilitators approve them and "
                "can add them to the practice library."
            )
        )
    check_not_paused_or_muted(
        actor,
        access.space,
        paused=_("The group's space is paused, so nobody can share a card right now."),
        muted=_(
            "A facilitator has paused your posting in this group's space until "
            "%(until)s, and that includes sharing cards. You can still read them. "
            "Reason given: %(reason)s"
        ),
    )


def _clean_text(value: str, *, field: str, limit: int, empty: str, what: str) -> tuple[str, str]:
    """The text kept (surrounding blank lines trimmed), or an error message."""
    text = (value or "").strip()
    if not text:
        return text, empty
    if "\x00" in text:
        return text, _("This contains a character we can't store.")
    if len(text) > limit:
        return text, _(
            "%(what)s is %(length)s characters long; it can have at most %(max)s. Shorten "
            "it — nothing was saved, and your text is still here."
        ) % {"what": what, "length": f"{len(text):,}", "max": f"{limit:,}"}
    return text, ""


def _clean_card(
    title: str, what_it_is: str, when_it_helps: str, concerns: Iterable[object]
) -> tuple[str, str, str, list[ConcernTag]]:
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = [_("Give your card a short title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [
            _("The title is %(length)d characters long; keep it under %(max)d.")
            % {"length": len(title), "max": TITLE_MAX}
        ]
    elif "\x00" in title:
        errors["title"] = [_("This contains a character we can't store.")]
    what_it_is, problem = _clean_text(
        what_it_is,
        field="what_it_is",
        limit=WHAT_MAX,
        empty=_("Say what the strategy is, in a sentence or two."),
        what=_("“What it is”"),
    )
    if problem:
        errors["what_it_is"] = [problem]
    when_it_helps, problem = _clean_text(
        when_it_helps,
        field="when_it_helps",
        limit=WHEN_MAX,
        empty=_("Say when it helps, for example “when worries start at night”."),
        what=_("“When it helps”"),
    )
    if problem:
        errors["when_it_helps"] = [problem]
    ids: set[int] = set()
    for raw in concerns or ():
        try:
            ids.add(int(str(raw)))
        except (TypeError, ValueError):
            errors["concerns"] = [_("Choose concerns from the list.")]
            break
    tags = list(ConcernTag.objects.filter(pk__in=ids, is_active=True)) if ids else []
    if "concerns" not in errors and len(tags) != len(ids):
        errors["concerns"] = [_("Choose concerns from the list.")]
    elif len(tags) > CONCERNS_MAX:
        errors["concerns"] = [_("Choose at most %(max)d concerns.") % {"max": CONCERNS_MAX}]
    if errors:
        raise ValidationFailed(errors=errors)
    return title, what_it_is, when_it_helps, tags


def _check_reason(reason: str, *, required: bool) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise ValidationFailed(
            _("Say why, in a few kind words: the member who wrote it will read this."),
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("Keep it under %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
    return reason


def _client_id(access: LibraryAccess | None) -> int | None:
    return access.client.pk if access is not None and access.client is not None else None


def _card_url(card_id: int) -> str:
    return reverse("web:strategies_card", kwargs={"card_id": card_id})


# --- sharing ---------------------------------------------------------------------------


def strategy_share(
    *,
    actor: User,
    access: LibraryAccess,
    title: str,
    what_it_is: str,
    when_it_helps: str,
    concerns: Iterable[object] = (),
) -> Strategy:
    """A member shares a card with their group. It waits for a facilitator's approval;
    the facilitators are told. Risk language raises a safety alert (``risk_flagged``)."""
    check_can_share(actor, access)
    title, what_it_is, when_it_helps, tags = _clean_card(title, what_it_is, when_it_helps, concerns)
    found = risk.categories(f"{title}\n\n{what_it_is}\n\n{when_it_helps}")
    with transaction.atomic():
        card = Strategy.objects.create(
            group=access.group,
            author=actor,
            title=title,
            what_it_is=what_it_is,
            when_it_helps=when_it_helps,
            status=StrategyStatus.PENDING,
            created_at=timezone.now(),
            risk_categories=found,
        )
        if tags:
            card.concerns.set(tags)
        audit_change(
            actor=actor,
            action="strategies.card.shared",
            obj=card,
            client_id=_client_id(access),
            detail={"group": access.group.pk, "concerns": len(tags), "risk": bool(found)},
        )
        if found and access.client is not None:
            from kindred.measures.models import AlertSource
            from kindred.measures.safety import raise_alert

            raise_alert(
                client_id=access.client.pk,
                group_id=access.group.pk,
                source=AlertSource.RISK_LANGUAGE,
                flag_code=f"strategies.card.{card.pk}",
            )
        transaction.on_commit(partial(_tell_pending, access, card.pk))
    return card


def _tell_pending(access: LibraryAccess, card_id: int) -> None:
    tell_facilitators(
        access.group,
        kind=NOTIFY_PENDING,
        title=_("A coping strategy card in %(group)s is waiting for your approval")
        % {"group": access.group.name},
        url=reverse("web:strategies_queue", kwargs={"group_id": access.group.pk}),
        dedupe_key=f"{NOTIFY_PENDING}:{card_id}",
    )


def strategy_withdraw(*, actor: User, card_access: CardAccess) -> Strategy:
    """The author takes their card back (pending or shared); an admin takes a card out
    of the practice library. The text is kept; nobody else sees it any more."""
    card = card_access.card
    access = card_access.group_access
    if access is not None:
        _require_not_former(access)
        if card.author_id != actor.pk:
            raise NotPermitted(_("Only the member who shared a card can withdraw it."))
    elif not is_admin(actor):
        raise NotPermitted(_("Only an admin can take a card out of the practice library."))
    with transaction.atomic():
        updated = Strategy.objects.filter(
            pk=card.pk, status__in=[StrategyStatus.PENDING, StrategyStatus.APPROVED]
        ).update(status=StrategyStatus.WITHDRAWN)
        if not updated:
            raise InvalidState(_("This card is not shared or waiting any more."))
        audit_change(
            actor=actor,
            action="strategies.card.withdrawn",
            obj=card,
            client_id=_client_id(access),
            changed=["status"],
            detail={"from": card.status},
        )
    card.refresh_from_db()
    return card


# --- deciding --------------------------------------------------------------------------


def _require_facilitator(card_access: CardAccess) -> LibraryAccess:
    access = card_access.group_access
    if access is None or not access.is_facilitator:
        raise NotPermitted(_("Only the group's facilitators can do that."))
    return access


def _decide(*, actor: User, card_access: CardAccess, to: StrategyStatus, reason: str) -> Strategy:
    access = _require_facilitator(card_access)
    card = card_access.card
    with transaction.atomic():
        locked = Strategy.objects.select_for_update().get(pk=card.pk)
        if locked.status != StrategyStatus.PENDING:
            raise InvalidState(
                _("This card is not waiting for approval any more (it is “%(status)s”).")
                % {"status": StrategyStatus(locked.status).label},
                code="not_pending",
            )
        locked.status = to
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decline_reason = reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decline_reason"])
        audit_change(
            actor=actor,
            action=f"strategies.card.{to}",
            obj=locked,
            client_id=None,
            changed=["status"],
            detail={"group": access.group.pk},
        )
        transaction.on_commit(partial(_tell_decided, locked.pk))
    return locked


def strategy_approve(*, actor: User, card_access: CardAccess) -> Strategy:
    """The group can see the card now; its author is told."""
    return _decide(actor=actor, card_access=card_access, to=StrategyStatus.APPROVED, reason="")


def strategy_decline(*, actor: User, card_access: CardAccess, reason: str) -> Strategy:
    """The card is not shared; its author is told why (the reason is required)."""
    reason = _check_reason(reason, required=True)
    return _decide(actor=actor, card_access=card_access, to=StrategyStatus.DECLINED, reason=reason)


def _tell_decided(card_id: int) -> None:
    card = Strategy.objects.select_related("author", "group").get(pk=card_id)
    author = card.author
    if author is None or not author.is_active or card.group is None:
        return
    if card.status == StrategyStatus.APPROVED:
        title = _("Your coping strategy card is now shared with %(group)s") % {
            "group": card.group.name
        }
    else:
        title = _("A facilitator replied about the coping strategy card you shared")
    notify(
        user=author,
        kind=NOTIFY_DECIDED,
        title=title,
        url=_card_url(card.pk),
        dedupe_key=f"{NOTIFY_DECIDED}:{card.pk}",
    )


# --- marks -----------------------------------------------------------------------------


def _check_can_mark(actor: User, card_access: CardAccess, kind: str) -> None:
    card = card_access.card
    access = card_access.group_access
    if access is not None:
        _require_not_former(access)
        if not access.is_member:
            raise NotPermitted(_("Marks are for members: facilitators see the counts."))
        if access.space.paused:
            raise InvalidState(
                _("The group's space is paused, so nobody can mark cards right now."),
                code="paused",
            )
    elif not getattr(actor, "is_member", False):
        raise NotPermitted(_("Marks are for members: staff see the counts."))
    if kind not in MarkKind.values:
        raise ValidationFailed(_("Choose “I'll try it” or “This helped”."), field="kind")
    if card.author_id == actor.pk:
        raise ValidationFailed(
            _(
                "This is your own card, so you can't mark it. Others' marks show on it "
                "once it is shared."
            ),
            field="kind",
        )
    if card.status != StrategyStatus.APPROVED:
        raise InvalidState(_("You can mark only cards that are shared."), code="not_shared")


def mark_add(*, actor: User, card_access: CardAccess, kind: str) -> StrategyMark:
    """Mark a card "I'll try it" or "This helped" (once each). A "This helped" tells
    the author, gently and without a name, at most once a day per card."""
    _check_can_mark(actor, card_access, kind)
    card = card_access.card
    label = MarkKind(kind).label
    duplicate = Conflict(
        _("You have already marked this card “%(kind)s”.") % {"kind": label},
        code="already_marked",
    )
    if StrategyMark.objects.filter(strategy=card, user=actor, kind=kind).exists():
        raise duplicate
    try:
        with transaction.atomic():
            mark = StrategyMark.objects.create(
                strategy=card, user=actor, kind=kind, created_at=timezone.now()
            )
            audit_change(
                actor=actor,
                action="strategies.mark.added",
                obj=mark,
                client_id=_client_id(card_access.group_access),
                detail={"strategy": card.pk, "kind": kind},
            )
            if kind == MarkKind.HELPED and card.author_id is not None:
                transaction.on_commit(partial(_tell_helped, card.pk))
    except IntegrityError as exc:
        raise duplicate from exc
    return mark


def mark_remove(*, actor: User, card_access: CardAccess, kind: str) -> bool:
    """Take a mark back; False when there was none (nothing changes)."""
    access = card_access.group_access
    if access is not None:
        _require_not_former(access)
    if kind not in MarkKind.values:
        raise ValidationFailed(_("Choose “I'll try it” or “This helped”."), field="kind")
    with transaction.atomic():
        mark = StrategyMark.objects.filter(strategy=card_access.card, user=actor, kind=kind).first()
        if mark is None:
            return False
        audit_change(
            actor=actor,
            action="strategies.mark.removed",
            obj=mark,
            client_id=_client_id(access),
            detail={"strategy": card_access.card.pk, "kind": kind},
        )
        mark.delete()
    return True


def _tell_helped(card_id: int) -> None:
    card = Strategy.objects.select_related("author").get(pk=card_id)
    author = card.author
    if author is None or not author.is_active:
        return
    today = timezone.localdate().isoformat()
    notify(
        user=author,
        kind=NOTIFY_HELPED,
        title=_("Someone in your group found your coping strategy helpful"),
        body=_("What you shared made a difference. Thank you."),
        url=_card_url(card.pk),
        dedupe_key=f"{NOTIFY_HELPED}:{card.pk}:{today}",
    )


# --- the practice library --------------------------------------------------------------


def strategy_promote(
    *,
    actor: User,
    card_access: CardAccess,
    title: str,
    what_it_is: str,
    when_it_helps: str,
    concerns: Iterable[object] = (),
    confirmed_anonymous: bool,
) -> Strategy:
    """Copy an approved group card into the practice library, as the facilitator edited
    it to remove anything that could identify someone (they must say so). The copy has
    no group and no author; ``promoted_from`` (staff only) points at the original."""
    access = _require_facilitator(card_access)
    card = card_access.card
    if card.status != StrategyStatus.APPROVED:
        raise InvalidState(
            _("Only a card the group can see can go into the practice library."),
            code="not_shared",
        )
    title, what_it_is, when_it_helps, tags = _clean_card(title, what_it_is, when_it_helps, concerns)
    if not confirmed_anonymous:
        raise ValidationFailed(
            _(
                "Read the card again and remove names, places, dates and anything else that "
                "could identify someone, then tick the box to say you have."
            ),
            field="confirmed_anonymous",
        )
    with transaction.atomic():
        Strategy.objects.select_for_update().filter(pk=card.pk).first()
        if Strategy.objects.filter(
            promoted_from=card, status=StrategyStatus.APPROVED, group__isnull=True
        ).exists():
            raise Conflict(
                _("This card is already in the practice library."), code="already_promoted"
            )
        now = timezone.now()
        copy = Strategy.objects.create(
            group=None,
            author=None,
            title=title,
            what_it_is=what_it_is,
            when_it_helps=when_it_helps,
            status=StrategyStatus.APPROVED,
            created_at=now,
            decided_at=now,
            decided_by=actor,
            promoted_from=card,
        )
        if tags:
            copy.concerns.set(tags)
        audit_change(
            actor=actor,
            action="strategies.card.promoted",
            obj=copy,
            detail={"from": card.pk, "group": access.group.pk, "concerns": len(tags)},
        )
        if card.author_id is not None:
            transaction.on_commit(partial(_tell_promoted, card.pk))
    return copy


def _tell_promoted(card_id: int) -> None:
    card = Strategy.objects.select_related("author").get(pk=card_id)
    if card.author is None or not card.author.is_active:
        return
    notify(
        user=card.author,
        kind=NOTIFY_PROMOTED,
        title=_("A facilitator added your coping strategy to the practice's library"),
        body=_("Without your name or anything that could identify you."),
        url=_card_url(card.pk),
        dedupe_key=f"{NOTIFY_PROMOTED}:{card.pk}",
    )
