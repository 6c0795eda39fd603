"""Members' signatures of their group's agreement (intake/agreements.py keeps the
templates, versions and statuses): the member's view of their group's agreement,
signing it, the staff's list of a group's signatures, and the PDF export.

A member with a place (invited or active) signs by typing their full name as we have it
on record (case and spaces do not matter; legal or preferred first name), ticking the
box, and sending back the id of the version and the SHA-256 of the text they were shown.
Nothing is saved unless all of it is right: a version the group no longer uses is
refused with "This agreement was updated; please read the new version". Signatures never
change (models.AgreementSignature and a database trigger refuse).
"""

from __future__ import annotations

import ipaddress
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.models import Category
from kindred.audit.services import audit_access, audit_change, audit_record
from kindred.core.access import deny
from kindred.core.errors import (
    Conflict,
    InvalidState,
    KindredError,
    NotPermitted,
    ValidationFailed,
)
from kindred.groups.models import SEAT_STATUSES, Enrollment, TherapyGroup
from kindred.intake.agreements import (
    AgreementStatus,
    is_staff,
    member_client_of,
    parse_id,
    signing_notice_key,
)
from kindred.intake.models import AgreementSignature, AgreementVersion

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

logger = logging.getLogger(__name__)

TYPED_NAME_MAX = 200


def _name_key(name: str) -> str:
    """Case and spaces do not matter when a typed name is compared with the record."""
    return "".join(unicodedata.normalize("NFKC", name or "").casefold().split())


def names_on_record(client: Client) -> list[str]:
    """The full names a member may sign with: their legal name, and their preferred
    first name with their last name."""
    names = [f"{client.legal_first_name} {client.legal_last_name}"]
    if client.preferred_name:
        names.append(f"{client.preferred_name} {client.legal_last_name}")
    return names


def name_matches(typed: str, client: Client) -> bool:
    key = _name_key(typed)
    return bool(key) and any(key == _name_key(name) for name in names_on_record(client))


@dataclass(frozen=True)
class MemberAgreement:
    """A member's view of one group's agreement."""

    group: TherapyGroup
    enrollment: Enrollment
    client: Client
    version: AgreementVersion | None
    signature: AgreementSignature | None  # on the version the group uses now
    earlier: AgreementSignature | None  # their latest signature on an earlier version
    status: AgreementStatus


def member_enrollment(actor: User | None, group_id: object) -> Enrollment:
    """The member's current place (invited or active) in the group; anyone else, or a
    group they have no place in: a denied event and 404."""
    client = member_client_of(actor)
    pk = parse_id(group_id)
    enrollment = None
    if client is not None and pk is not None:
        enrollment = (
            Enrollment.objects.filter(group_id=pk, client=client, status__in=SEAT_STATUSES)
            .select_related("group__agreement_version__template", "client")
            .first()
        )
    if enrollment is None:
        deny(actor, TherapyGroup, group_id)
    return enrollment


def member_agreement(*, actor: User | None, group_id: object) -> MemberAgreement:
    enrollment = member_enrollment(actor, group_id)
    group, client = enrollment.group, enrollment.client
    version = group.agreement_version
    signatures = list(
        AgreementSignature.objects.filter(group=group, client=client)
        .select_related("version")
        .order_by("-signed_at", "-id")
    )
    signature = next((s for s in signatures if s.version_id == group.agreement_version_id), None)
    earlier = next((s for s in signatures if s.version_id != group.agreement_version_id), None)
    if version is None:
        status = AgreementStatus.NOT_NEEDED
    elif signature is not None:
        status = AgreementStatus.SIGNED
    else:
        status = AgreementStatus.SIGN_NEW if earlier is not None else AgreementStatus.SIGN
    return MemberAgreement(
        group=group,
        enrollment=enrollment,
        client=client,
        version=version,
        signature=signature,
        earlier=earlier,
        status=status,
    )


def _clean_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def _signer_errors(client: Client, *, typed_name: str, agreed: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not agreed:
        errors["agreed"] = [_("Tick the box to say you agree.")]
    if not (typed_name or "").strip():
        errors["typed_name"] = [_("Type your full name to sign.")]
    elif len(typed_name) > TYPED_NAME_MAX:
        errors["typed_name"] = [_("Use at most %(n)d characters.") % {"n": TYPED_NAME_MAX}]
    elif not name_matches(typed_name, client):
        errors["typed_name"] = [
            _(
                "Type your full name as we have it on record, for example “%(name)s”. "
                "If your name has changed, please tell your care team."
            )
            % {"name": names_on_record(client)[-1]}
        ]
    return errors


def agreement_sign(
    *,
    actor: User,
    group: TherapyGroup,
    version_id: object,
    text_sha256: str,
    typed_name: str,
    agreed: bool,
    ip: str | None,
    now: datetime | None = None,
) -> tuple[AgreementSignature, bool]:
    """The member signs the version ``group`` uses now. Returns (signature, created):
    signing a version already signed returns the existing signature.

    Refused, with nothing saved: a version that is no longer the group's ("This
    agreement was updated"), a hash that is not the hash of that version's text, a box
    not ticked, a name that is not the member's full name on record.
    """
    client = member_client_of(actor)
    if client is None:
        raise NotPermitted(_("Only members sign their group's agreement."))
    now = now or timezone.now()
    if not Enrollment.objects.filter(
        group_id=group.pk, client=client, status__in=SEAT_STATUSES
    ).exists():
        deny(actor, TherapyGroup, group.pk)
    with transaction.atomic():
        # The group row is locked so that a change of version and a signature cannot
        # cross: the signature is always on the version in force when it is saved.
        locked = TherapyGroup.objects.select_for_update().get(pk=group.pk)
        enrollment = Enrollment.objects.filter(
            group=locked, client=client, status__in=SEAT_STATUSES
        ).first()
        if enrollment is None:
            raise InvalidState(_("You no longer have a place in this group."))
        if locked.agreement_version_id is None:
            raise InvalidState(_("Your group has no agreement to sign yet."))
        version = AgreementVersion.objects.get(pk=locked.agreement_version_id)
        if parse_id(version_id) != version.pk:
            raise Conflict(
                _("This agreement was updated; please read the new version."),
                field="version",
                code="superseded",
            )
        existing = AgreementSignature.objects.filter(
            version=version, client=client, group=locked
        ).first()
        if existing is not None:
            return existing, False
        if (text_sha256 or "").strip().lower() != version.body_sha256:
            raise ValidationFailed(
                _(
                    "The text on your screen is not the text of this agreement. Please "
                    "reload the page and read it again before signing."
                ),
                field="text_sha256",
            )
        errors = _signer_errors(client, typed_name=typed_name, agreed=agreed)
        if errors:
            raise ValidationFailed(errors=errors)
        signature = AgreementSignature(
            version=version,
            client=client,
            group=locked,
            user=actor,
            typed_name=typed_name,
            agreed=True,
            signed_at=now,
            ip=_clean_ip(ip),
            text_sha256=version.body_sha256,
        )
        try:
            with transaction.atomic():
                signature.save()
        except IntegrityError:  # the same member, in another tab, a moment earlier
            existing = AgreementSignature.objects.get(version=version, client=client, group=locked)
            return existing, False
        audit_change(
            actor=actor,
            action="intake.agreement_signature.signed",
            obj=signature,
            client_id=client.pk,
            detail={"group": locked.pk, "version": version.pk},
        )
        _settle_notice(actor, signing_notice_key(locked.pk, version.pk, client.pk))
    _after_signing(enrollment, actor)
    return signature, True


def _settle_notice(actor: User, key: str) -> None:
    """The notification that asked for this signature has been answered: mark it read."""
    from kindred.notifications.models import Notification
    from kindred.notifications.services import notification_mark_read

    note = Notification.objects.filter(user=actor, dedupe_key=key, read_at__isnull=True).first()
    if note is not None:
        notification_mark_read(actor=actor, notification=note)


def _after_signing(enrollment: Enrollment, actor: User) -> None:
    """Let the admission rule (intake/admission.py) activate the place if the signature
    was the last thing missing."""
    from kindred.intake.admission import maybe_activate

    try:
        maybe_activate(enrollment, actor=actor)
    except KindredError:
        # The signature stands; the place stays offered and the roster says what is missing.
        logger.warning("Enrollment %s was not activated after signing", enrollment.pk)


# --- Staff: a group's signatures -----------------------------------------------------------


def can_view_signatures(actor: User | None, group: TherapyGroup) -> bool:
    """Group managers and the group's own facilitators (as for the roster)."""
    from kindred.groups.selectors import can_see_roster

    return is_staff(actor) and can_see_roster(actor, group)


@dataclass(frozen=True)
class SignatureRow:
    enrollment: Enrollment
    status: AgreementStatus
    signature: AgreementSignature | None  # the latest, on any version


def group_signature_rows(*, actor: User, group: TherapyGroup) -> list[SignatureRow]:
    """Each member with a place now, with their agreement status and latest signature.
    Two queries; writes an access event. Callers check ``can_view_signatures`` first."""
    if not can_view_signatures(actor, group):
        raise NotPermitted(
            _("Only the group's facilitators and coordinators see members' signatures.")
        )
    audit_access(actor=actor, action="intake.agreement_signature.listed", obj=group)
    enrollments = list(
        Enrollment.objects.filter(group=group, status__in=SEAT_STATUSES)
        .select_related("client")
        .order_by("client__legal_last_name", "client__legal_first_name", "id")
    )
    latest: dict[int, AgreementSignature] = {}
    for given in (
        AgreementSignature.objects.filter(
            group=group, client_id__in=[e.client_id for e in enrollments]
        )
        .select_related("version")
        .order_by("signed_at", "id")
    ):
        latest[given.client_id] = given
    rows = []
    for enrollment in enrollments:
        signature = latest.get(enrollment.client_id)
        if group.agreement_version_id is None:
            status = AgreementStatus.NOT_NEEDED
        elif signature is None:
            status = AgreementStatus.SIGN
        elif signature.version_id == group.agreement_version_id:
            status = AgreementStatus.SIGNED
        else:
            status = AgreementStatus.SIGN_NEW
        rows.append(SignatureRow(enrollment=enrollment, status=status, signature=signature))
    return rows


def group_signatures(*, actor: User, group: TherapyGroup) -> QuerySet[AgreementSignature]:
    """Every signature given in ``group`` (newest first), for staff who may see them.
    Callers check ``can_view_signatures`` (and write the access event) first."""
    if not can_view_signatures(actor, group):
        raise NotPermitted(
            _("Only the group's facilitators and coordinators see members' signatures.")
        )
    return (
        AgreementSignature.objects.filter(group=group)
        .select_related("client", "version__template")
        .order_by("-signed_at", "-id")
    )


def get_signature_for(actor: User | None, signature_id: object) -> AgreementSignature:
    """A signature for the member who gave it, or for staff who may see the signatures
    of its group; anyone else: a denied event and 404."""
    pk = parse_id(signature_id)
    signature = None
    if pk is not None:
        signature = (
            AgreementSignature.objects.filter(pk=pk)
            .select_related("version__template", "group", "client", "user")
            .first()
        )
    if signature is not None:
        client = member_client_of(actor)
        if client is not None:
            allowed = signature.client_id == client.pk
        else:
            allowed = can_view_signatures(actor, signature.group)
        if not allowed:
            signature = None
    if signature is None:
        deny(actor, AgreementSignature, signature_id)
    return signature


def agreement_signature_export(*, actor: User, signature: AgreementSignature) -> bytes:
    """The signature as a PDF (the text signed, name, time, IP address and hash),
    audited as an export. The caller found it through ``get_signature_for``."""
    from kindred.intake.pdf import signature_pdf

    audit_record(
        actor=actor,
        action="intake.agreement_signature.exported",
        category=Category.ACCESS,
        obj=signature,
        client_id=signature.client_id,
        detail={"format": "pdf", "group": signature.group_id},
    )
    return signature_pdf(signature)
