"""Group agreements: the practice's versioned agreement templates, the version each group
uses, and members' e-signatures (CLINICAL.md: "a written group agreement … keep
agreement versions; a member signs the version in force").

- A template's text lives in versions. The next version is written as a draft (started
  from the latest published text) and then published: from then on its text and the
  SHA-256 of that exact text never change, and versions are never deleted
  (models.AgreementVersion refuses, and so does the database).
- A group uses one version (``TherapyGroup.agreement_version``, chosen on the group's
  form). When the group moves to another version, each member must sign it before their
  next session: ``needs_signature`` answers that for the join gate and the admission
  rule, and ``agreement_statuses`` for a whole roster in one query.
- A member with a place (invited or active) signs by typing their name as we have it on
  record, ticking the box, and sending back the version id and the hash of the text they
  were shown. Nothing is saved unless all of it is right. Signatures never change.

Writes follow ARCHITECTURE.md: keyword-only, atomic, capability checked
(``actor=None`` is a system command: seed data, ``load_default_agreement``), the audit
event in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.audit.services import audit_change
from kindred.core.access import deny
from kindred.core.errors import (
    Conflict,
    InvalidState,
    NotPermitted,
    ValidationFailed,
)
from kindred.groups.models import SEAT_STATUSES, Enrollment, TherapyGroup
from kindred.intake.default_agreement import (
    DEFAULT_AGREEMENT_NAME,
    DEFAULT_AGREEMENT_SUMMARY,
    DEFAULT_AGREEMENT_TEXT,
)
from kindred.intake.models import (
    AgreementDraft,
    AgreementSignature,
    AgreementTemplate,
    AgreementVersion,
    PostsWhenLeaving,
)
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from kindred.accounts.models import User
    from kindred.clients.models import Client

logger = logging.getLogger(__name__)

NAME_MAX = 120
BODY_MAX = 20000
SUMMARY_MAX = 500
TYPED_NAME_MAX = 200


def sha256_of(text: str) -> str:
    """The SHA-256 (hex) of ``text``'s exact UTF-8 bytes: what a signature vouches for."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_id(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def is_staff(actor: User | None) -> bool:
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and getattr(actor, "is_staff_member", False)
    )


def member_client_of(actor: User | None) -> Client | None:
    """The signed-in member's own client record (None for staff and others)."""
    from kindred.scheduling.member import member_client

    return member_client(actor)


def can_manage_templates(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_PRACTICE)


def _require_manage(actor: User | None) -> None:
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_PRACTICE)


# --- Templates and versions: reading ------------------------------------------------------


def template_list(*, actor: User | None) -> QuerySet[AgreementTemplate]:
    """Every template (staff only), with its latest version's number and date, whether
    a new version is being written, and how many groups use one of its versions."""
    if not is_staff(actor):
        return AgreementTemplate.objects.none()
    groups = (
        TherapyGroup.objects.filter(agreement_version__template=OuterRef("pk"))
        .order_by()
        .values("agreement_version__template")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return AgreementTemplate.objects.annotate(
        latest_number=Max("versions__number"),
        latest_published_at=Max("versions__published_at"),
        has_draft=Exists(AgreementDraft.objects.filter(template=OuterRef("pk"))),
        groups_using=Coalesce(Subquery(groups), 0),
    ).order_by("name", "id")


def get_template_for(
    actor: User | None, template_id: object, *, write: bool = False
) -> AgreementTemplate:
    """A template for staff (others: a denied event and 404); with ``write``, also
    whether they may change it (403 if they may only read)."""
    pk = parse_id(template_id)
    template = (
        AgreementTemplate.objects.filter(pk=pk).first()
        if pk is not None and is_staff(actor)
        else None
    )
    if template is None:
        deny(actor, AgreementTemplate, template_id)
    if write and not can_manage_templates(actor):
        raise NotPermitted(_("Only the practice admin changes group agreements."))
    return template


def template_versions(template: AgreementTemplate) -> QuerySet[AgreementVersion]:
    """A template's versions, newest first, with how many groups use each and how many
    signatures each has."""
    groups = (
        TherapyGroup.objects.filter(agreement_version=OuterRef("pk"))
        .order_by()
        .values("agreement_version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    signatures = (
        AgreementSignature.objects.filter(version=OuterRef("pk"))
        .order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        AgreementVersion.objects.filter(template=template)
        .select_related("published_by")
        .annotate(
            groups_using=Coalesce(Subquery(groups), 0),
            signature_count=Coalesce(Subquery(signatures), 0),
        )
        .order_by("-number")
    )


def latest_version(template: AgreementTemplate) -> AgreementVersion | None:
    return AgreementVersion.objects.filter(template=template).order_by("-number").first()


def draft_of(template: AgreementTemplate) -> AgreementDraft | None:
    return (
        AgreementDraft.objects.filter(template=template)
        .select_related("based_on", "updated_by")
        .first()
    )


def get_version_for(actor: User | None, version_id: object) -> AgreementVersion:
    """A published version: staff read any; a member reads the versions of the groups
    they hold a place in and the ones they signed. Anyone else: 404."""
    pk = parse_id(version_id)
    qs = AgreementVersion.objects.select_related("template", "published_by")
    version = None
    if pk is not None:
        if is_staff(actor):
            version = qs.filter(pk=pk).first()
        else:
            client = member_client_of(actor)
            if client is not None:
                mine = Q(
                    groups__enrollments__client=client,
                    groups__enrollments__status__in=SEAT_STATUSES,
                ) | Q(signatures__client=client)
                version = qs.filter(mine, pk=pk).distinct().first()
    if version is None:
        deny(actor, AgreementVersion, version_id)
    return version


def version_choices() -> QuerySet[AgreementVersion]:
    """Every published version, for choosing a group's (newest first per template)."""
    return AgreementVersion.objects.select_related("template").order_by(
        "template__name", "template_id", "-number"
    )


def version_label(version: AgreementVersion) -> str:
    return _("%(name)s — version %(number)d (%(date)s)") % {
        "name": version.template.name,
        "number": version.number,
        "date": timezone.localtime(version.published_at).date().isoformat(),
    }


# --- Templates and drafts: writing ------------------------------------------------------


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the agreement a name."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_("Use at most %(n)d characters.") % {"n": NAME_MAX}, field="name")
    return name


def _clean_body(body: str) -> str:
    """The text exactly as written, except that line endings become ``\\n`` (browsers
    send ``\\r\\n``), so a text's hash does not depend on the device it was typed on."""
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    if len(body) > BODY_MAX:
        raise ValidationFailed(_("Use at most %(n)d characters.") % {"n": BODY_MAX}, field="body")
    return body


def _clean_summary(summary: str) -> str:
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        raise ValidationFailed(
            _("Use at most %(n)d characters.") % {"n": SUMMARY_MAX}, field="summary_of_changes"
        )
    return summary


def _clean_posts_choice(value: object) -> str:
    if value not in PostsWhenLeaving.values:
        raise ValidationFailed(
            _("Choose what happens to a leaving member's posts."), field="posts_when_leaving"
        )
    return str(value)


def _actor_or_none(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def agreement_template_create(
    *, actor: User | None, name: str, body: str = "", summary_of_changes: str = ""
) -> AgreementTemplate:
    """A new template, with its first version as a draft to write and then publish."""
    _require_manage(actor)
    name = _clean_name(name)
    body = _clean_body(body)
    summary = _clean_summary(summary_of_changes)
    with transaction.atomic():
        if AgreementTemplate.objects.filter(name__iexact=name).exists():
            raise Conflict(_("There is already an agreement with this name."), field="name")
        try:
            with transaction.atomic():
                template = AgreementTemplate.objects.create(name=name)
        except IntegrityError as exc:
            raise Conflict(
                _("There is already an agreement with this name."), field="name"
            ) from exc
        AgreementDraft.objects.create(
            template=template,
            body=body,
            summary_of_changes=summary,
            updated_by=_actor_or_none(actor),
        )
        audit_change(actor=actor, action="intake.agreement_template.created", obj=template)
    return template


def agreement_template_from_example(*, actor: User | None) -> AgreementTemplate:
    """A new template whose first draft is Kindred's example agreement, for the practice
    to read, change and publish."""
    return agreement_template_create(
        actor=actor,
        name=DEFAULT_AGREEMENT_NAME,
        body=DEFAULT_AGREEMENT_TEXT,
        summary_of_changes=DEFAULT_AGREEMENT_SUMMARY,
    )


def example_available() -> bool:
    """Whether "Start from Kindred's example" can still make its template."""
    return not AgreementTemplate.objects.filter(name__iexact=DEFAULT_AGREEMENT_NAME).exists()


def load_default_agreement(
    *, actor: User | None = None, publish: bool = True
) -> tuple[AgreementTemplate, AgreementVersion | None, bool]:
    """Kindred's example agreement as a template (published as version 1 unless
    ``publish`` is False). Safe to run twice: an existing template of that name is left
    alone. Returns (template, its latest version, whether anything was created)."""
    existing = AgreementTemplate.objects.filter(name__iexact=DEFAULT_AGREEMENT_NAME).first()
    if existing is not None:
        return existing, latest_version(existing), False
    with transaction.atomic():
        template = agreement_template_from_example(actor=actor)
        version = agreement_version_publish(actor=actor, template=template) if publish else None
    return template, version, True


def agreement_draft_start(*, actor: User | None, template: AgreementTemplate) -> AgreementDraft:
    """Start writing the next version, from the latest published text."""
    _require_manage(actor)
    with transaction.atomic():
        locked = AgreementTemplate.objects.select_for_update().get(pk=template.pk)
        if AgreementDraft.objects.filter(template=locked).exists():
            raise Conflict(_("A new version of this agreement is already being written."))
        latest = latest_version(locked)
        draft = AgreementDraft.objects.create(
            template=locked,
            body=latest.body if latest is not None else "",
            posts_when_leaving=(
                latest.posts_when_leaving if latest is not None else PostsWhenLeaving.ANONYMIZE
            ),
            based_on=latest,
            updated_by=_actor_or_none(actor),
        )
        audit_change(
            actor=actor,
            action="intake.agreement_draft.started",
            obj=locked,
            detail={"based_on": latest.number if latest is not None else None},
        )
    return draft


def _locked_draft(template: AgreementTemplate) -> tuple[AgreementTemplate, AgreementDraft]:
    locked = AgreementTemplate.objects.select_for_update().get(pk=template.pk)
    draft = AgreementDraft.objects.filter(template=locked).select_related("based_on").first()
    if draft is None:
        raise InvalidState(
            _("No new version is being written. Start one from the latest version first.")
        )
    return locked, draft


def agreement_draft_update(
    *,
    actor: User | None,
    template: AgreementTemplate,
    body: str,
    summary_of_changes: str = "",
    posts_when_leaving: str | None = None,
) -> AgreementDraft:
    """Change the text, the "what changed" note or what becomes of a leaving member's
    posts (None keeps it) of the version being written."""
    _require_manage(actor)
    body = _clean_body(body)
    summary = _clean_summary(summary_of_changes)
    posts = None if posts_when_leaving in (None, "") else _clean_posts_choice(posts_when_leaving)
    with transaction.atomic():
        locked, draft = _locked_draft(template)
        posts = posts or draft.posts_when_leaving
        changed = [
            field
            for field, value in (
                ("body", body),
                ("summary_of_changes", summary),
                ("posts_when_leaving", posts),
            )
            if getattr(draft, field) != value
        ]
        if changed:
            draft.body, draft.summary_of_changes = body, summary
            draft.posts_when_leaving = posts
            draft.updated_by = _actor_or_none(actor)
            draft.save(update_fields=[*changed, "updated_by", "updated_at"])
            audit_change(
                actor=actor, action="intake.agreement_draft.updated", obj=locked, changed=changed
            )
    return draft


def agreement_draft_discard(*, actor: User | None, template: AgreementTemplate) -> None:
    """Throw away the version being written (published versions are untouched)."""
    _require_manage(actor)
    with transaction.atomic():
        locked, draft = _locked_draft(template)
        draft.delete()
        audit_change(actor=actor, action="intake.agreement_draft.discarded", obj=locked)


def agreement_version_publish(
    *, actor: User | None, template: AgreementTemplate, now: datetime | None = None
) -> AgreementVersion:
    """Publish the version being written. From now on its text never changes; groups
    can be moved to it (their members then sign it)."""
    _require_manage(actor)
    now = now or timezone.now()
    with transaction.atomic():
        locked, draft = _locked_draft(template)
        latest = latest_version(locked)
        errors: dict[str, list[str]] = {}
        if not draft.body.strip():
            errors["body"] = [_("Write the agreement before publishing it.")]
        elif (
            latest is not None
            and latest.body == draft.body
            and latest.posts_when_leaving == draft.posts_when_leaving
        ):
            errors["body"] = [
                _(
                    "This is the same text as version %(number)d. Change something before "
                    "publishing a new version."
                )
                % {"number": latest.number}
            ]
        if latest is not None and not draft.summary_of_changes:
            errors["summary_of_changes"] = [
                _("Say in a sentence what changed: members read it before signing again.")
            ]
        if errors:
            raise ValidationFailed(errors=errors)
        version = AgreementVersion(
            template=locked,
            number=(latest.number if latest is not None else 0) + 1,
            body=draft.body,
            body_sha256=sha256_of(draft.body),
            summary_of_changes=draft.summary_of_changes,
            posts_when_leaving=draft.posts_when_leaving,
            published_at=now,
            published_by=_actor_or_none(actor),
        )
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError as exc:  # a concurrent publish took the number
            raise Conflict(_("Another version was published at the same moment.")) from exc
        draft.delete()
        locked.save(update_fields=["updated_at"])
        audit_change(
            actor=actor,
            action="intake.agreement_version.published",
            obj=version,
            detail={"template": locked.pk, "number": version.number},
        )
    return version


# --- Members and their signatures -------------------------------------------------------------


class AgreementStatus(StrEnum):
    NOT_NEEDED = "not_needed"  # the group has no agreement yet
    SIGN = "sign"  # never signed this group's agreement
    SIGN_NEW = "sign_new"  # signed an earlier version; the group moved to a new one
    SIGNED = "signed"  # signed the version the group uses now

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def needs_signature(self) -> bool:
        return self in (AgreementStatus.SIGN, AgreementStatus.SIGN_NEW)


STATUS_LABELS: dict[AgreementStatus, _StrPromise] = {
    AgreementStatus.NOT_NEEDED: gettext_lazy("No agreement to sign"),
    AgreementStatus.SIGN: gettext_lazy("Needs to sign the agreement"),
    AgreementStatus.SIGN_NEW: gettext_lazy("Needs to sign the new version"),
    AgreementStatus.SIGNED: gettext_lazy("Signed"),
}


def agreement_statuses(group: TherapyGroup, client_ids: list[int]) -> dict[int, AgreementStatus]:
    """Each client's agreement status in ``group``, in one query (for rosters)."""
    if group.agreement_version_id is None:
        return dict.fromkeys(client_ids, AgreementStatus.NOT_NEEDED)
    rows = AgreementSignature.objects.filter(group=group, client_id__in=client_ids).values_list(
        "client_id", "version_id"
    )
    current: set[int] = set()
    earlier: set[int] = set()
    for client_id, version_id in rows:
        (current if version_id == group.agreement_version_id else earlier).add(client_id)
    return {
        client_id: AgreementStatus.SIGNED
        if client_id in current
        else AgreementStatus.SIGN_NEW
        if client_id in earlier
        else AgreementStatus.SIGN
        for client_id in client_ids
    }


def agreement_status(client: Client, group: TherapyGroup) -> AgreementStatus:
    return agreement_statuses(group, [client.pk])[client.pk]


def needs_signature(client: Client, group: TherapyGroup) -> bool:
    """Must ``client`` sign ``group``'s agreement (the version it uses now) before they
    can take part? False when the group has no agreement or they signed that version."""
    return agreement_status(client, group).needs_signature


# --- A group moved to another version -----------------------------------------------------------


def signing_notice_key(group_id: int, version_id: int, client_id: int) -> str:
    """The dedupe key of the notification asking a member to sign a version."""
    return f"agreement-{group_id}-{version_id}-{client_id}"


def group_agreement_changed(*, group: TherapyGroup) -> int:
    """Tell each member with a place who has not signed the version ``group`` now uses
    that there is something to read and sign (once per version). Called by
    ``groups.services.group_update`` in its transaction; the words are general (no
    clinical content). Returns how many were told."""
    from kindred.notifications.services import notify

    if group.agreement_version_id is None:
        return 0
    enrollments = list(
        Enrollment.objects.filter(
            group=group, status__in=SEAT_STATUSES, client__user__isnull=False
        ).select_related("client__user")
    )
    statuses = agreement_statuses(group, [e.client_id for e in enrollments])
    url = reverse("web:member_agreement", kwargs={"group_id": group.pk})
    told = 0
    for enrollment in enrollments:
        user = enrollment.client.user
        status = statuses[enrollment.client_id]
        if user is None or not status.needs_signature:
            continue
        if status == AgreementStatus.SIGN_NEW:
            title = _("Your group agreement for %(group)s has changed") % {"group": group.name}
            body = _("Please read the new version and sign it before your next session.")
        else:
            title = _("Please read your group agreement for %(group)s") % {"group": group.name}
            body = _("Read it and sign it before your next session.")
        note = notify(
            user=user,
            kind="agreement_updated",
            title=title,
            body=body,
            url=url,
            dedupe_key=signing_notice_key(
                group.pk, group.agreement_version_id, enrollment.client_id
            ),
        )
        told += note is not None
    return told


def posts_when_leaving_signed(client_id: int) -> str | None:
    """What the agreements a member signed say becomes of their posts when they leave:
    per group, the version they signed last; "anonymize" if any of those says so (the
    more private reading wins), "keep" if all say keep, None if they signed none. One
    query."""
    latest: dict[int, str] = {}
    rows = (
        AgreementSignature.objects.filter(client_id=client_id)
        .order_by("group_id", "-signed_at", "-id")
        .values_list("group_id", "version__posts_when_leaving")
    )
    for group_id, choice in rows:
        latest.setdefault(group_id, choice)
    if not latest:
        return None
    if any(choice == PostsWhenLeaving.ANONYMIZE for choice in latest.values()):
        return str(PostsWhenLeaving.ANONYMIZE)
    return str(PostsWhenLeaving.KEEP)
