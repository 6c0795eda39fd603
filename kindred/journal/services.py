"""Writing, sharing and deleting journal entries (the member's own only).

Each service checks that the entry is the actor's own, validates, writes and records
its audit event in the same transaction. Audit events name the entry and the member's
record, never the title or the text.

Sharing screens the title and text for risk language (``kindred.space.risk``); on a
match a SafetyAlert is raised in the same transaction (``flag_code`` "journal.entry.<pk>")
and the caller shows the writer crisis resources at once (``entry.risk_flagged``).
Editing a shared entry screens it again. A private entry is never screened: nobody
reads it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import NotPermitted, ValidationFailed
from kindred.journal import selectors
from kindred.journal.access import audience_groups
from kindred.journal.models import BODY_MAX, TITLE_MAX, JournalEntry
from kindred.notifications.services import notify
from kindred.space import risk

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.scheduling.models import GroupSession

NOTIFY_SHARED = "journal_shared"


def _require_owner(actor: User, entry: JournalEntry) -> None:
    if entry.user_id != actor.pk:  # access.get_own_entry makes this unreachable
        raise NotPermitted(_("Only the person who wrote a journal entry can change it."))


def _clean(title: str, body: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if len(title) > TITLE_MAX:
        errors["title"] = [
            _("Keep the title to %(max)d characters or fewer (it has %(n)d).")
            % {"max": TITLE_MAX, "n": len(title)}
        ]
    if not body:
        errors["body"] = [_("Write something in the entry, or cancel.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [
            _("Keep the entry to %(max)d characters or fewer (it has %(n)d).")
            % {"max": BODY_MAX, "n": len(body)}
        ]
    if errors:
        raise ValidationFailed(errors=errors)
    return title, body


def _check_session(client: Client, session: GroupSession | None) -> None:
    if session is None:
        return
    if not selectors.member_sessions(client).filter(pk=session.pk).exists():
        raise ValidationFailed(
            _("Choose one of your own group's sessions, from today or before."), field="session"
        )


def _screen(entry: JournalEntry) -> list[str]:
    text = f"{entry.title}\n\n{entry.body}" if entry.title else entry.body
    return risk.categories(text)


def _alert(entry: JournalEntry) -> None:
    """Raise a safety alert for a shared entry with risk language (same transaction)."""
    from kindred.measures.models import AlertSource
    from kindred.measures.safety import raise_alert

    group_id = entry.session.group_id if entry.session is not None else None
    if group_id is None:
        group_id = audience_groups(entry).values_list("pk", flat=True).first()
    raise_alert(
        client_id=entry.client_id,
        group_id=group_id,
        source=AlertSource.RISK_LANGUAGE,
        flag_code=f"journal.entry.{entry.pk}",
    )


def _tell_facilitators(entry_id: int) -> None:
    """After commit: each facilitator who can now read the entry gets a notification
    (no name, no text: the member's name is on the page they open)."""
    entry = JournalEntry.objects.filter(pk=entry_id, shared_with_facilitator=True).first()
    if entry is None or entry.shared_at is None:
        return
    stamp = int(entry.shared_at.timestamp())
    for group in audience_groups(entry).select_related("lead_facilitator__user"):
        users = [group.lead_facilitator.user]
        users += [c.user for c in group.co_facilitators.select_related("user")]
        for user in users:
            notify(
                user=user,
                kind=NOTIFY_SHARED,
                title=_("A member shared a journal entry with you"),
                url=reverse("web:journal_group", args=[group.pk]),
                dedupe_key=f"{NOTIFY_SHARED}:{entry.pk}:{stamp}:{group.pk}",
            )


@transaction.atomic
def entry_create(
    *,
    actor: User,
    client: Client,
    body: str,
    title: str = "",
    session: GroupSession | None = None,
    share: bool = False,
) -> JournalEntry:
    """A new entry, private unless ``share`` (then screened and shared at once)."""
    if client.user_id != actor.pk:
        raise NotPermitted(_("You can write only in your own journal."))
    title, body = _clean(title, body)
    _check_session(client, session)
    now = timezone.now()
    entry = JournalEntry(
        user=actor,
        client=client,
        session=session,
        title=title,
        body=body,
        created_at=now,
        updated_at=now,
    )
    entry.save()
    audit_change(
        actor=actor,
        action="journal.entry.created",
        obj=entry,
        client_id=client.pk,
        detail={"session": session.pk if session else None},
    )
    if share:
        _share(actor, entry)
    return entry


@transaction.atomic
def entry_update(
    *,
    actor: User,
    entry: JournalEntry,
    body: str,
    title: str = "",
    session: GroupSession | None = None,
) -> JournalEntry:
    """Change an entry. A shared entry stays shared and is screened again."""
    _require_owner(actor, entry)
    title, body = _clean(title, body)
    _check_session(entry.client, session)
    changed = [
        name
        for name, value in (("title", title), ("body", body), ("session", session))
        if getattr(entry, name) != value
    ]
    entry.title, entry.body, entry.session = title, body, session
    entry.updated_at = timezone.now()
    fields = ["title", "body", "session", "updated_at"]
    if entry.shared_with_facilitator:
        if not audience_groups(entry).exists():
            raise ValidationFailed(
                _(
                    "This entry is shared, and the session you chose is not of a group "
                    "you are in now. Stop sharing it first, or choose another session."
                ),
                field="session",
            )
        entry.risk_categories = _screen(entry)
        fields.append("risk_categories")
    entry.save(update_fields=fields)
    audit_change(
        actor=actor,
        action="journal.entry.changed",
        obj=entry,
        client_id=entry.client_id,
        changed=changed,
        detail={"shared": entry.shared_with_facilitator, "risk": entry.risk_flagged},
    )
    if entry.risk_flagged:
        _alert(entry)
    return entry


def _share(actor: User, entry: JournalEntry) -> JournalEntry:
    groups = list(audience_groups(entry).values_list("pk", flat=True))
    if not groups:
        raise ValidationFailed(
            _(
                "There is no facilitator to share this with: you do not have a place in a "
                "group right now, or the session it is about is of a group you have left."
            )
        )
    now = timezone.now()
    entry.shared_with_facilitator = True
    entry.shared_at = now
    entry.risk_categories = _screen(entry)
    entry.save(update_fields=["shared_with_facilitator", "shared_at", "risk_categories"])
    audit_change(
        actor=actor,
        action="journal.entry.shared",
        obj=entry,
        client_id=entry.client_id,
        detail={"groups": groups, "risk": entry.risk_flagged},
    )
    if entry.risk_flagged:
        _alert(entry)
    transaction.on_commit(partial(_tell_facilitators, entry.pk))
    return entry


@transaction.atomic
def entry_share(*, actor: User, entry: JournalEntry) -> JournalEntry:
    """Share an entry with the facilitators of the member's group (see access.py for
    exactly whom). Sharing again when already shared changes nothing."""
    _require_owner(actor, entry)
    if entry.shared_with_facilitator:
        return entry
    return _share(actor, entry)


@transaction.atomic
def entry_unshare(*, actor: User, entry: JournalEntry) -> JournalEntry:
    """Stop sharing: facilitators no longer see it (their earlier reads stay in the
    audit log)."""
    _require_owner(actor, entry)
    if not entry.shared_with_facilitator:
        return entry
    entry.shared_with_facilitator = False
    entry.shared_at = None
    entry.risk_categories = []
    entry.save(update_fields=["shared_with_facilitator", "shared_at", "risk_categories"])
    audit_change(actor=actor, action="journal.entry.unshared", obj=entry, client_id=entry.client_id)
    return entry


@transaction.atomic
def entry_delete(*, actor: User, entry: JournalEntry) -> None:
    """Delete an entry for good (the text is gone; the audit log keeps that it existed)."""
    _require_owner(actor, entry)
    audit_change(
        actor=actor,
        action="journal.entry.deleted",
        obj=entry,
        client_id=entry.client_id,
        detail={"was_shared": entry.shared_with_facilitator},
    )
    JournalEntry.objects.filter(pk=entry.pk, user_id=actor.pk).delete()
