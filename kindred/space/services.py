"""Writing in a group's space and moderating it.

Every service takes the ``SpaceAccess`` the caller got from ``access.get_space_for`` (or
``get_thread_for`` / ``get_post_for``), checks what this person may do there, validates,
writes and audits in one transaction. Audit details name ids and fields, never the words
of a post.

Risk language: a member's post is screened (``risk.categories``) before it is stored;
a match raises a SafetyAlert through ``measures.safety.raise_alert`` in the same
transaction, so a post and its alert are committed together or not at all. Under
pre-moderation the post waits for a facilitator; the writer is shown crisis resources
(the caller reads ``post.risk_flagged``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import EnrollmentStatus, TherapyGroup
from kindred.notifications.services import notify
from kindred.space import risk
from kindred.space.access import SpaceAccess, SpaceRole
from kindred.space.models import (
    DISPLAY_NAME_MAX,
    DISPLAY_NAME_MIN,
    POST_MAX,
    REASON_MAX,
    RULES_MAX,
    TITLE_MAX,
    Conversation,
    DirectMessage,
    DisplayName,
    MessageReport,
    ModerationMode,
    Mute,
    Post,
    PostStatus,
    Reaction,
    ReactionKind,
    ReadMarker,
    Report,
    ReportReason,
    Space,
    Thread,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User

NOTIFY_REPLY = "space_reply"
NOTIFY_PENDING = "space_pending"
NOTIFY_REPORT = "space_report"
#: Longest mute a facilitator may set in one go.
MUTE_MAX_DAYS = 90
DISPLAY_NAME_RE = re.compile(r"^[\w][\w .'\-]*$")


# --- helpers ---------------------------------------------------------------------------


def _require_facilitator(access: SpaceAccess) -> None:
    if not access.is_facilitator:
        raise NotPermitted(_("Only the group's facilitators can do that."))


def _require_reader(access: SpaceAccess) -> None:
    if access.role == SpaceRole.FORMER:
        raise InvalidState(
            _(
                "You are no longer a member of this group, so you can't post or react in "
                "its space. Your care team can tell you about other groups."
            ),
            code="left_group",
        )


def active_mute(space: Space, user: User, *, now: datetime | None = None) -> Mute | None:
    now = now or timezone.now()
    return (
        Mute.objects.filter(space=space, user=user, until__gt=now, lifted_at__isnull=True)
        .order_by("-until")
        .first()
    )


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def check_not_paused_or_muted(actor: User, space: Space, *, paused: str, muted: str) -> None:
    """Refuse a member's write while the group's space is paused or a facilitator has
    muted them there: the one rule behind posts, direct messages, coping-strategy cards
    and goal replies.

    ``paused`` and ``muted`` are the caller's own (translated) words for what cannot be
    done; ``muted`` names ``%(until)s`` and ``%(reason)s``. The facilitator's reason for
    a pause is added after ``paused``. Raises ``InvalidState`` with code ``paused`` or
    ``muted``; returns nothing when the member may write."""
    if space.paused:
        message = paused
        if space.paused_reason:
            message += " " + _("The facilitator says: %(reason)s") % {"reason": space.paused_reason}
        raise InvalidState(message, code="paused")
    mute = active_mute(space, actor)
    if mute is not None:
        raise InvalidState(
            muted % {"until": _when(mute.until), "reason": mute.reason}, code="muted"
        )


def _check_can_write(actor: User, access: SpaceAccess, *, thread: Thread | None = None) -> None:
    """Why ``actor`` may not post here right now, as an error; nothing if they may."""
    _require_reader(access)
    if access.is_facilitator:
        return
    space = access.space
    check_not_paused_or_muted(
        actor,
        space,
        paused=_("The space is paused, so nobody can post right now."),
        muted=_(
            "A facilitator has paused your posting in this space until %(until)s. "
            "You can still read it. Reason given: %(reason)s"
        ),
    )
    if thread is not None and thread.locked:
        raise InvalidState(
            _("This conversation is locked: a facilitator has closed it to new replies."),
            code="locked",
        )
    if not DisplayName.objects.filter(space=space, user=actor).exists():
        raise InvalidState(
            _("Choose the name you will use in this group's space before you post."),
            code="display_name_required",
        )


def _check_body(body: str, *, field: str = "body") -> None:
    if not body or not body.strip():
        raise ValidationFailed(_("Write something before you post."), field=field)
    if len(body) > POST_MAX:
        raise ValidationFailed(
            _(
                "Your post is %(length)s characters long; a post can have at most %(max)s. "
                "Shorten it or split it into two posts — nothing was posted, and your text "
                "is still here."
            )
            % {"length": f"{len(body):,}", "max": f"{POST_MAX:,}"},
            field=field,
        )
    if "\x00" in body:
        raise ValidationFailed(_("Your post contains a character we can't store."), field=field)


def _check_reason(reason: str, *, required: bool, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_("Say why, in a few words."), field=field)
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("Keep it under %(max)d characters.") % {"max": REASON_MAX}, field=field
        )
    return reason


def facilitator_users(group: TherapyGroup) -> list[User]:
    """The group's lead and co-facilitators with an active account (the people told
    about posts, cards and reports waiting for them), oldest account first."""
    from kindred.accounts.models import User as UserModel

    return list(
        UserModel.objects.filter(is_active=True)
        .filter(Q(clinician__led_groups=group.pk) | Q(clinician__co_facilitated_groups=group.pk))
        .distinct()
        .order_by("pk")
    )


def tell_facilitators(
    group: TherapyGroup, *, kind: str, title: str, url: str, dedupe_key: str
) -> None:
    """Notify each of the group's active lead and co-facilitators once about one thing
    waiting for them (``dedupe_key`` names the thing; each person's id is added)."""
    for person in facilitator_users(group):
        notify(user=person, kind=kind, title=title, url=url, dedupe_key=f"{dedupe_key}:{person.pk}")


def _thread_url(thread: Thread) -> str:
    return reverse("web:space_thread", kwargs={"thread_id": thread.pk})


# --- display names ---------------------------------------------------------------------


def display_name_set(*, actor: User, access: SpaceAccess, name: str) -> DisplayName:
    """Choose (or change) the name ``actor`` writes under in this space. Members only;
    unique in the group (ignoring case)."""
    _require_reader(access)
    if not access.is_member:
        raise NotPermitted(_("Facilitators post under their own name."))
    name = " ".join((name or "").split())
    if len(name) < DISPLAY_NAME_MIN or len(name) > DISPLAY_NAME_MAX:
        raise ValidationFailed(
            _("Use between %(min)d and %(max)d characters.")
            % {"min": DISPLAY_NAME_MIN, "max": DISPLAY_NAME_MAX},
            field="name",
        )
    if not DISPLAY_NAME_RE.match(name):
        raise ValidationFailed(
            _("Use letters, numbers, spaces, dots, dashes or apostrophes."), field="name"
        )
    taken = (
        DisplayName.objects.filter(space=access.space, name__iexact=name)
        .exclude(user=actor)
        .exists()
    )
    if taken:
        raise ValidationFailed(
            _("Someone in this group already uses that name. Try another."), field="name"
        )
    try:
        with transaction.atomic():
            entry, created = DisplayName.objects.update_or_create(
                space=access.space, user=actor, defaults={"name": name}
            )
            audit_change(
                actor=actor,
                action="space.display_name.set",
                obj=entry,
                client_id=access.client.pk if access.client else None,
                changed=["name"],
                detail={"created": created},
            )
    except IntegrityError as exc:  # two people taking the same name at once
        raise ValidationFailed(
            _("Someone in this group already uses that name. Try another."), field="name"
        ) from exc
    return entry


# --- posting ---------------------------------------------------------------------------


def _store_post(
    *, actor: User, access: SpaceAccess, thread: Thread, body: str, title: str = ""
) -> Post:
    """Inside the caller's transaction: screen (a new thread's title with its first
    post), store, alert, audit, mark read."""
    now = timezone.now()
    screened = f"{title}\n\n{body}" if title else body
    found = risk.categories(screened) if access.is_member else []
    status = PostStatus.VISIBLE
    if access.is_member and access.space.moderation == ModerationMode.PRE:
        status = PostStatus.PENDING
    post = Post.objects.create(
        space=access.space,
        thread=thread,
        author=actor,
        body=body,
        created_at=now,
        status=status,
        risk_categories=found,
    )
    if status == PostStatus.VISIBLE:
        Thread.objects.filter(pk=thread.pk).update(last_post_at=now)
    audit_change(
        actor=actor,
        action="space.post.created",
        obj=post,
        client_id=access.client.pk if access.client else None,
        detail={"thread": thread.pk, "status": status, "risk": bool(found)},
    )
    if found and access.client is not None:
        from kindred.measures.models import AlertSource
        from kindred.measures.safety import raise_alert

        raise_alert(
            client_id=access.client.pk,
            group_id=access.group.pk,
            source=AlertSource.RISK_LANGUAGE,
            flag_code=f"space.post.{post.pk}",
        )
    thread_mark_read(actor=actor, thread=thread, up_to_post_id=post.pk)  # one upsert
    if status == PostStatus.PENDING:
        transaction.on_commit(partial(_tell_pending, access, post.pk))
    else:
        transaction.on_commit(partial(_tell_reply, post.pk))
    return post


def thread_create(*, actor: User, access: SpaceAccess, title: str, body: str) -> Post:
    """Start a conversation: a thread and its first post. Returns the post."""
    _check_can_write(actor, access)
    title = " ".join((title or "").split())
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give your conversation a short title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("Keep the title under %(max)d characters.") % {"max": TITLE_MAX}]
    try:
        _check_body(body)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        now = timezone.now()
        thread = Thread.objects.create(
            space=access.space, title=title, created_by=actor, created_at=now, last_post_at=now
        )
        audit_change(
            actor=actor,
            action="space.thread.created",
            obj=thread,
            client_id=access.client.pk if access.client else None,
        )
        return _store_post(actor=actor, access=access, thread=thread, body=body, title=title)


def post_create(*, actor: User, access: SpaceAccess, thread: Thread, body: str) -> Post:
    """Reply in a thread."""
    if thread.space_id != access.space.pk:
        raise NotPermitted(_("That conversation belongs to another group."))
    _check_can_write(actor, access, thread=thread)
    _check_body(body)
    with transaction.atomic():
        return _store_post(actor=actor, access=access, thread=thread, body=body)


def _tell_reply(post_id: int) -> None:
    """After commit: tell the thread's starter there is a reply (never its words)."""
    post = Post.objects.select_related("thread", "thread__created_by", "space__group").get(
        pk=post_id
    )
    starter = post.thread.created_by
    if post.status != PostStatus.VISIBLE or starter.pk == post.author_id or not starter.is_active:
        return
    notify(
        user=starter,
        kind=NOTIFY_REPLY,
        title=_("Someone replied to your conversation in %(group)s")
        % {"group": post.space.group.name},
        url=_thread_url(post.thread),
        dedupe_key=f"{NOTIFY_REPLY}:{post.pk}",
    )


def _tell_pending(access: SpaceAccess, post_id: int) -> None:
    tell_facilitators(
        access.group,
        kind=NOTIFY_PENDING,
        title=_("A post in %(group)s is waiting for your approval") % {"group": access.group.name},
        url=reverse("web:space_moderation", kwargs={"group_id": access.group.pk}),
        dedupe_key=f"{NOTIFY_PENDING}:{post_id}",
    )


def thread_mark_read(*, actor: User, thread: Thread, up_to_post_id: int) -> None:
    """Remember how far ``actor`` has read: the newest post they were shown (their own
    business: not audited). One upsert, whatever was there before."""
    if up_to_post_id <= 0:
        return
    ReadMarker.objects.bulk_create(
        [
            ReadMarker(
                thread=thread,
                user=actor,
                last_read_post_id=up_to_post_id,
                updated_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["thread", "user"],
        update_fields=["last_read_post_id", "updated_at"],
    )


# --- reactions and reports -------------------------------------------------------------


def reaction_add(*, actor: User, access: SpaceAccess, post: Post, kind: str) -> Reaction:
    _require_reader(access)
    if kind not in ReactionKind.values:
        raise ValidationFailed(_("Choose one of the reactions offered."), field="kind")
    if post.status != PostStatus.VISIBLE:
        raise InvalidState(_("You can react only to posts everyone can see."))
    if access.space.paused and not access.is_facilitator:
        raise InvalidState(_("The space is paused, so nobody can react right now."), code="paused")
    label = ReactionKind(kind).label
    if Reaction.objects.filter(post=post, user=actor, kind=kind).exists():
        raise Conflict(
            _("You have already reacted “%(kind)s” to this post.") % {"kind": label},
            code="already_reacted",
        )
    try:
        with transaction.atomic():
            reaction = Reaction.objects.create(
                post=post, user=actor, kind=kind, created_at=timezone.now()
            )
            audit_change(
                actor=actor,
                action="space.reaction.added",
                obj=reaction,
                client_id=access.client.pk if access.client else None,
                detail={"post": post.pk, "kind": kind},
            )
    except IntegrityError as exc:
        raise Conflict(
            _("You have already reacted “%(kind)s” to this post.") % {"kind": label},
            code="already_reacted",
        ) from exc
    return reaction


def reaction_remove(*, actor: User, access: SpaceAccess, post: Post, kind: str) -> None:
    _require_reader(access)
    with transaction.atomic():
        reaction = Reaction.objects.filter(post=post, user=actor, kind=kind).first()
        if reaction is None:
            return
        audit_change(
            actor=actor,
            action="space.reaction.removed",
            obj=reaction,
            client_id=access.client.pk if access.client else None,
            detail={"post": post.pk, "kind": kind},
        )
        reaction.delete()


def report_create(
    *, actor: User, access: SpaceAccess, post: Post, reason: str, note: str = ""
) -> Report:
    """A member asks the facilitators to look at a post."""
    _require_reader(access)
    if not access.is_member:
        raise NotPermitted(_("Facilitators moderate posts directly instead of reporting them."))
    if post.author_id == actor.pk:
        raise ValidationFailed(
            _(
                "You can't report your own post. If you'd like it taken down, ask a "
                "facilitator and they will hide it."
            ),
            field="reason",
        )
    if reason not in ReportReason.values:
        raise ValidationFailed(_("Choose why you are reporting this post."), field="reason")
    note = _check_reason(note, required=reason == ReportReason.OTHER, field="note")
    if Report.objects.filter(post=post, reporter=actor, resolved_at__isnull=True).exists():
        raise Conflict(
            _("You have already reported this post. A facilitator will look at it."),
            code="already_reported",
        )
    try:
        with transaction.atomic():
            report = Report.objects.create(
                post=post, reporter=actor, reason=reason, note=note, created_at=timezone.now()
            )
            audit_change(
                actor=actor,
                action="space.report.created",
                obj=report,
                client_id=access.client.pk if access.client else None,
                detail={"post": post.pk, "reason": reason},
            )
            transaction.on_commit(partial(_tell_report, access, report.pk))
    except IntegrityError as exc:
        raise Conflict(
            _("You have already reported this post. A facilitator will look at it."),
            code="already_reported",
        ) from exc
    return report


def _tell_report(access: SpaceAccess, report_id: int) -> None:
    tell_facilitators(
        access.group,
        kind=NOTIFY_REPORT,
        title=_("A post in %(group)s was reported") % {"group": access.group.name},
        url=reverse("web:space_moderation", kwargs={"group_id": access.group.pk}),
        dedupe_key=f"{NOTIFY_REPORT}:{report_id}",
    )


# --- moderation ------------------------------------------------------------------------


def _moderate(
    *, actor: User, access: SpaceAccess, post: Post, to: PostStatus, reason: str, verb: str
) -> Post:
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        was = locked.status
        locked.status = to
        locked.moderated_at = timezone.now()
        locked.moderated_by = actor
        locked.moderation_reason = reason
        locked.save(update_fields=["status", "moderated_at", "moderated_by", "moderation_reason"])
        if to == PostStatus.VISIBLE:
            Thread.objects.filter(pk=locked.thread_id, last_post_at__lt=locked.created_at).update(
                last_post_at=locked.created_at
            )
        audit_change(
            actor=actor,
            action=f"space.post.{verb}",
            obj=locked,
            changed=["status"],
            detail={"from": was, "to": to},
        )
        if verb == "approved":
            transaction.on_commit(partial(_tell_reply, locked.pk))
    return locked


def post_hide(*, actor: User, access: SpaceAccess, post: Post, reason: str) -> Post:
    """Hide a post from members (its text is kept; facilitators still see it)."""
    _require_facilitator(access)
    reason = _check_reason(reason, required=True)
    if post.status == PostStatus.HIDDEN:
        raise InvalidState(_("This post is already hidden."))
    return _moderate(
        actor=actor, access=access, post=post, to=PostStatus.HIDDEN, reason=reason, verb="hidden"
    )


def post_restore(*, actor: User, access: SpaceAccess, post: Post, reason: str = "") -> Post:
    _require_facilitator(access)
    reason = _check_reason(reason, required=False)
    if post.status != PostStatus.HIDDEN:
        raise InvalidState(_("Only a hidden post can be restored."))
    return _moderate(
        actor=actor,
        access=access,
        post=post,
        to=PostStatus.VISIBLE,
        reason=reason,
        verb="restored",
    )


def post_approve(*, actor: User, access: SpaceAccess, post: Post) -> Post:
    """Let a post that waited (pre-moderation) be seen by the group."""
    _require_facilitator(access)
    if post.status != PostStatus.PENDING:
        raise InvalidState(_("This post is not waiting for approval."))
    return _moderate(
        actor=actor, access=access, post=post, to=PostStatus.VISIBLE, reason="", verb="approved"
    )


def thread_set_flags(
    *, actor: User, access: SpaceAccess, thread: Thread, pinned: bool | None = None,
    locked: bool | None = None,
) -> Thread:  # fmt: skip
    """Pin or unpin, lock or unlock a conversation."""
    _require_facilitator(access)
    changed: list[str] = []
    with transaction.atomic():
        row = Thread.objects.select_for_update().get(pk=thread.pk)
        if pinned is not None and row.pinned != pinned:
            row.pinned = pinned
            changed.append("pinned")
        if locked is not None and row.locked != locked:
            row.locked = locked
            changed.append("locked")
        if changed:
            row.save(update_fields=changed)
            audit_change(
                actor=actor,
                action="space.thread.moderated",
                obj=row,
                changed=changed,
                detail={"pinned": row.pinned, "locked": row.locked},
            )
    return row


def space_pause(*, actor: User, access: SpaceAccess, reason: str) -> Space:
    """Pause the whole space (members read but cannot post or react)."""
    _require_facilitator(access)
    reason = _check_reason(reason, required=True)
    with transaction.atomic():
        space = Space.objects.select_for_update().get(pk=access.space.pk)
        space.paused = True
        space.paused_reason = reason[:300]
        space.paused_at = timezone.now()
        space.paused_by = actor
        space.save(update_fields=["paused", "paused_reason", "paused_at", "paused_by"])
        audit_change(actor=actor, action="space.space.paused", obj=space, changed=["paused"])
    return space


def space_resume(*, actor: User, access: SpaceAccess) -> Space:
    _require_facilitator(access)
    with transaction.atomic():
        space = Space.objects.select_for_update().get(pk=access.space.pk)
        if not space.paused:
            raise InvalidState(_("The space is not paused."))
        space.paused = False
        space.paused_reason = ""
        space.save(update_fields=["paused", "paused_reason"])
        audit_change(actor=actor, action="space.space.resumed", obj=space, changed=["paused"])
    return space


def space_settings_update(
    *,
    actor: User,
    access: SpaceAccess,
    moderation: str,
    direct_messages_allowed: bool,
    office_hours: str,
    rules: str,
) -> Space:
    """Moderation mode, direct messages, office hours and the space's rules."""
    _require_facilitator(access)
    errors: dict[str, list[str]] = {}
    if moderation not in ModerationMode.values:
        errors["moderation"] = [_("Choose how posts are moderated.")]
    office_hours = (office_hours or "").strip()
    if len(office_hours) > 300:
        errors["office_hours"] = [_("Keep it under 300 characters.")]
    if len(rules or "") > RULES_MAX:
        errors["rules"] = [_("Keep the rules under %(max)d characters.") % {"max": RULES_MAX}]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        space = Space.objects.select_for_update().get(pk=access.space.pk)
        values = {
            "moderation": moderation,
            "direct_messages_allowed": direct_messages_allowed,
            "office_hours": office_hours,
            "rules": rules or "",
        }
        changed = [name for name, value in values.items() if getattr(space, name) != value]
        for name in changed:
            setattr(space, name, values[name])
        if changed:
            space.save(update_fields=changed)
            audit_change(
                actor=actor,
                action="space.space.settings_changed",
                obj=space,
                changed=changed,
                detail={"moderation": space.moderation, "dm": space.direct_messages_allowed},
            )
    return space


def mute_create(*, actor: User, access: SpaceAccess, user: User, days: int, reason: str) -> Mute:
    """Stop a member posting for ``days`` days (they can still read)."""
    _require_facilitator(access)
    reason = _check_reason(reason, required=True)
    if not 1 <= days <= MUTE_MAX_DAYS:
        raise ValidationFailed(
            _("Choose between 1 and %(max)d days.") % {"max": MUTE_MAX_DAYS}, field="days"
        )
    client = getattr(user, "client", None)
    in_group = (
        client is not None
        and access.group.enrollments.filter(client=client, status=EnrollmentStatus.ACTIVE).exists()
    )
    if not in_group:
        raise ValidationFailed(_("Choose a member of this group."), field="user")
    now = timezone.now()
    with transaction.atomic():
        mute = Mute.objects.create(
            space=access.space,
            user=user,
            until=now + timedelta(days=days),
            reason=reason,
            created_at=now,
            created_by=actor,
        )
        audit_change(
            actor=actor,
            action="space.mute.created",
            obj=mute,
            client_id=client.pk if client is not None else None,
            detail={"days": days},
        )
    return mute


def mute_lift(*, actor: User, access: SpaceAccess, mute: Mute) -> Mute:
    _require_facilitator(access)
    if mute.space_id != access.space.pk:
        raise NotPermitted(_("That mute belongs to another group."))
    with transaction.atomic():
        updated = Mute.objects.filter(pk=mute.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=actor
        )
        if not updated:
            raise InvalidState(_("This mute was already lifted."))
        audit_change(actor=actor, action="space.mute.lifted", obj=mute, changed=["lifted_at"])
    mute.refresh_from_db()
    return mute


def report_resolve(*, actor: User, access: SpaceAccess, report: Report, resolution: str) -> Report:
    """Close a report, saying what was done (hiding the post is a separate action)."""
    _require_facilitator(access)
    resolution = _check_reason(resolution, required=True, field="resolution")
    if report.post.space_id != access.space.pk:
        raise NotPermitted(_("That report belongs to another group."))
    with transaction.atomic():
        updated = Report.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor, resolution=resolution
        )
        if not updated:
            raise InvalidState(_("This report was already resolved."))
        audit_change(
            actor=actor, action="space.report.resolved", obj=report, changed=["resolved_at"]
        )
    report.refresh_from_db()
    return report


# --- direct messages -------------------------------------------------------------------

NOTIFY_MESSAGE = "space_message"
NOTIFY_MESSAGE_REPORT = "space_message_report"


def _dm_url(conversation: Conversation) -> str:
    return reverse("web:space_conversation", kwargs={"conversation_id": conversation.pk})


def _check_can_message(actor: User, access: SpaceAccess) -> None:
    """Why ``actor`` may not send a direct message in this space now, as an error."""
    _require_reader(access)
    if not access.is_member:
        raise NotPermitted(
            _("Direct messages are between members; facilitators read them but don't send them.")
        )
    space = access.space
    if not space.direct_messages_allowed:
        raise InvalidState(
            _(
                "Direct messages are turned off for this group by the facilitator, so you "
                "can't send one now. Earlier messages are kept and you can still read them."
            ),
            code="direct_messages_off",
        )
    check_not_paused_or_muted(
        actor,
        space,
        paused=_("The space is paused, so nobody can send messages right now."),
        muted=_(
            "A facilitator has paused your posting and messaging in this space until "
            "%(until)s. You can still read it. Reason given: %(reason)s"
        ),
    )
    if not DisplayName.objects.filter(space=space, user=actor).exists():
        raise InvalidState(
            _("Choose the name you will use in this group's space before you send a message."),
            code="display_name_required",
        )


def _active_member_user_ids(access: SpaceAccess, user_ids: list[int]) -> set[int]:
    from kindred.accounts.models import User as UserModel

    return set(
        UserModel.objects.filter(
            pk__in=user_ids,
            is_active=True,
            client__enrollments__group=access.group,
            client__enrollments__status=EnrollmentStatus.ACTIVE,
        ).values_list("pk", flat=True)
    )


def conversation_start(*, actor: User, access: SpaceAccess, with_user_id: int) -> Conversation:
    """The conversation between ``actor`` and another active member of the group (made
    the first time). Refused when direct messages are off, the space is paused, the
    writer is muted or the other person is not an active member with a display name."""
    _check_can_message(actor, access)
    if with_user_id == actor.pk:
        raise ValidationFailed(_("Choose another member of the group."), field="member")
    named = DisplayName.objects.filter(space=access.space, user_id=with_user_id).exists()
    if not named or not _active_member_user_ids(access, [with_user_id]):
        raise ValidationFailed(
            _("Choose a member of this group who has a name in its space."), field="member"
        )
    low, high = sorted((actor.pk, with_user_id))
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation, created = Conversation.objects.get_or_create(
                space=access.space,
                member_low_id=low,
                member_high_id=high,
                defaults={"created_at": now, "last_message_at": now},
            )
            if created:
                audit_change(
                    actor=actor,
                    action="space.conversation.created",
                    obj=conversation,
                    client_id=access.client.pk if access.client else None,
                )
    except IntegrityError:  # both started it at once: the other one won
        conversation = Conversation.objects.get(
            space=access.space, member_low_id=low, member_high_id=high
        )
    return conversation


def message_send(
    *, actor: User, access: SpaceAccess, conversation: Conversation, body: str
) -> DirectMessage:
    """Send a direct message: screened for risk language like a post (a match raises a
    safety alert in the same transaction and the caller shows crisis resources), audited,
    and the other member told there is a message (never its words)."""
    if conversation.space_id != access.space.pk or not conversation.includes(actor.pk):
        raise NotPermitted(_("That conversation is not yours."))
    _check_can_message(actor, access)
    other = conversation.other(actor.pk)
    if not _active_member_user_ids(access, [other]):
        raise InvalidState(
            _(
                "The other person is no longer a member of this group, so they can't "
                "receive messages here. The conversation is kept."
            ),
            code="recipient_left",
        )
    _check_body(body)
    found = risk.categories(body)
    with transaction.atomic():
        now = timezone.now()
        message = DirectMessage.objects.create(
            conversation=conversation,
            sender=actor,
            body=body,
            created_at=now,
            risk_categories=found,
        )
        read_field = "low_read_id" if actor.pk == conversation.member_low_id else "high_read_id"
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=now, **{read_field: message.pk}
        )
        audit_change(
            actor=actor,
            action="space.message.created",
            obj=message,
            client_id=access.client.pk if access.client else None,
            detail={"conversation": conversation.pk, "risk": bool(found)},
        )
        if found and access.client is not None:
            from kindred.measures.models import AlertSource
            from kindred.measures.safety import raise_alert

            raise_alert(
                client_id=access.client.pk,
                group_id=access.group.pk,
                source=AlertSource.RISK_LANGUAGE,
                flag_code=f"space.message.{message.pk}",
            )
        transaction.on_commit(partial(_tell_message, message.pk, other))
    return message


def _tell_message(message_id: int, recipient_id: int) -> None:
    """After commit: tell the other member there is a message (never its words or who
    sent it)."""
    from kindred.accounts.models import User as UserModel

    message = DirectMessage.objects.select_related(
        "conversation", "conversation__space__group"
    ).get(pk=message_id)
    recipient = UserModel.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None or message.status != PostStatus.VISIBLE:
        return
    notify(
        user=recipient,
        kind=NOTIFY_MESSAGE,
        title=_("You have a new direct message in the %(group)s space")
        % {"group": message.conversation.space.group.name},
        url=_dm_url(message.conversation),
        dedupe_key=f"{NOTIFY_MESSAGE}:{message.pk}",
    )


def conversation_mark_read(*, actor: User, conversation: Conversation, up_to_id: int) -> None:
    """Remember the newest message ``actor`` has seen (members only; not audited)."""
    if up_to_id <= 0 or not conversation.includes(actor.pk):
        return
    field = "low_read_id" if actor.pk == conversation.member_low_id else "high_read_id"
    Conversation.objects.filter(pk=conversation.pk, **{f"{field}__lt": up_to_id}).update(
        **{field: up_to_id}
    )


def message_hide(
    *, actor: User, access: SpaceAccess, message: DirectMessage, reason: str
) -> DirectMessage:
    """Hide a direct message from both members (its text is kept for facilitators)."""
    _require_facilitator(access)
    reason = _check_reason(reason, required=True)
    if message.status == PostStatus.HIDDEN:
        raise InvalidState(_("This message is already hidden."))
    return _moderate_message(actor=actor, message=message, to=PostStatus.HIDDEN, reason=reason)


def message_restore(*, actor: User, access: SpaceAccess, message: DirectMessage) -> DirectMessage:
    _require_facilitator(access)
    if message.status != PostStatus.HIDDEN:
        raise InvalidState(_("Only a hidden message can be restored."))
    return _moderate_message(actor=actor, message=message, to=PostStatus.VISIBLE, reason="")


def _moderate_message(
    *, actor: User, message: DirectMessage, to: PostStatus, reason: str
) -> DirectMessage:
    with transaction.atomic():
        locked = DirectMessage.objects.select_for_update().get(pk=message.pk)
        was = locked.status
        locked.status = to
        locked.moderated_at = timezone.now()
        locked.moderated_by = actor
        locked.moderation_reason = reason
        locked.save(update_fields=["status", "moderated_at", "moderated_by", "moderation_reason"])
        audit_change(
            actor=actor,
            action="space.message.hidden" if to == PostStatus.HIDDEN else "space.message.restored",
            obj=locked,
            changed=["status"],
            detail={"from": was, "to": to},
        )
    locked.conversation = message.conversation
    return locked


def message_report_create(
    *, actor: User, access: SpaceAccess, message: DirectMessage, reason: str, note: str = ""
) -> MessageReport:
    """The recipient asks the facilitators to look at a direct message."""
    _require_reader(access)
    if not access.is_member:
        raise NotPermitted(_("Facilitators moderate messages directly instead of reporting them."))
    if message.sender_id == actor.pk:
        raise ValidationFailed(
            _(
                "You can't report your own message. If you'd like it taken down, ask a "
                "facilitator and they will hide it."
            ),
            field="reason",
        )
    if reason not in ReportReason.values:
        raise ValidationFailed(_("Choose why you are reporting this message."), field="reason")
    note = _check_reason(note, required=reason == ReportReason.OTHER, field="note")
    duplicate = Conflict(
        _("You have already reported this message. A facilitator will look at it."),
        code="already_reported",
    )
    if MessageReport.objects.filter(
        message=message, reporter=actor, resolved_at__isnull=True
    ).exists():
        raise duplicate
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(
                message=message, reporter=actor, reason=reason, note=note, created_at=timezone.now()
            )
            audit_change(
                actor=actor,
                action="space.message_report.created",
                obj=report,
                client_id=access.client.pk if access.client else None,
                detail={"message": message.pk, "reason": reason},
            )
            transaction.on_commit(partial(_tell_message_report, access, report.pk))
    except IntegrityError as exc:
        raise duplicate from exc
    return report


def _tell_message_report(access: SpaceAccess, report_id: int) -> None:
    tell_facilitators(
        access.group,
        kind=NOTIFY_MESSAGE_REPORT,
        title=_("A direct message in %(group)s was reported") % {"group": access.group.name},
        url=reverse("web:space_moderation", kwargs={"group_id": access.group.pk}),
        dedupe_key=f"{NOTIFY_MESSAGE_REPORT}:{report_id}",
    )


def message_report_resolve(
    *, actor: User, access: SpaceAccess, report: MessageReport, resolution: str
) -> MessageReport:
    _require_facilitator(access)
    resolution = _check_reason(resolution, required=True, field="resolution")
    if report.message.conversation.space_id != access.space.pk:
        raise NotPermitted(_("That report belongs to another group."))
    with transaction.atomic():
        updated = MessageReport.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor, resolution=resolution
        )
        if not updated:
            raise InvalidState(_("This report was already resolved."))
        audit_change(
            actor=actor,
            action="space.message_report.resolved",
            obj=report,
            changed=["resolved_at"],
        )
    report.refresh_from_db()
    return report
