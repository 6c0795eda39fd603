"""Writes for client records: concern tags, clients, their status and availability.

Portal invitations live in ``invitation_services.py``. Every function here is atomic,
checks the actor's capability, validates the whole input (reporting every bad field at
once), and writes its audit event in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from typing import TYPE_CHECKING, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.clients.models import (
    AvailabilityWindow,
    Client,
    ClientStatus,
    ClientStatusChange,
    ConcernTag,
    Modality,
    Weekday,
)
from kindred.core.errors import Conflict, InvalidState, ValidationFailed, full_clean_or_fail
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from kindred.accounts.models import User
    from kindred.practice.models import Location

EARLIEST_BIRTH_YEAR = 1900
MAX_WINDOWS_PER_CLIENT = 28
REASON_MAX_LENGTH = 500

# Text fields whose surrounding whitespace is meaningless (names, contact details).
_TRIMMED_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "pronouns",
    "email",
    "phone",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
)
_CLIENT_EXCLUDE = ["search_name", "user", "created_by", "concerns", "locations"]


def search_key(*parts: str) -> str:
    """Lower-case, accent-free text for name search ("José" finds "jose")."""
    text = " ".join(p for p in parts if p)
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold()[:310]


def phone_digits(phone: str) -> str:
    """The digits of a phone number, without the US country code (+1 312… = 312…)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


# --- Concern tags ------------------------------------------------------------------------


def _clean_concern(concern: ConcernTag) -> None:
    errors: dict[str, list[str]] = {}
    if not concern.name:
        errors["name"] = [_("Give the concern a name.")]
    else:
        clash = ConcernTag.objects.filter(name__iexact=concern.name)
        if concern.pk is not None:
            clash = clash.exclude(pk=concern.pk)
        if clash.exists():
            errors["name"] = [_("A concern with this name already exists.")]
    try:
        concern.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            known = errors.setdefault(field, [])
            known.extend(m for m in messages if m not in known)
    if errors:
        raise ValidationFailed(errors=errors)


def _save_concern(concern: ConcernTag, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            concern.save(update_fields=update_fields)
    except IntegrityError as exc:  # the same name created at the same moment
        raise ValidationFailed(_("A concern with this name already exists."), field="name") from exc


def concern_create(*, actor: User | None, name: str, description: str = "") -> ConcernTag:
    """Add a presenting concern to the practice's list. ``actor`` None: a system command."""
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_PRACTICE)
    concern = ConcernTag(name=(name or "").strip(), description=(description or "").strip())
    _clean_concern(concern)
    with transaction.atomic():
        _save_concern(concern)
        audit_change(actor=actor, action="clients.concern.created", obj=concern)
    return concern


def concern_update(*, actor: User, concern: ConcernTag, name: str, description: str) -> ConcernTag:
    """Rename or re-describe a concern. Records that carry it keep it, under the new name."""
    role_checks.require(actor, Capability.MANAGE_PRACTICE)
    new_name, new_description = (name or "").strip(), (description or "").strip()
    changed = [
        field
        for field, value in (("name", new_name), ("description", new_description))
        if getattr(concern, field) != value
    ]
    if not changed:
        return concern
    before = {field: getattr(concern, field) for field in changed}
    concern.name, concern.description = new_name, new_description
    try:
        _clean_concern(concern)
    except ValidationFailed:
        for field, value in before.items():
            setattr(concern, field, value)
        raise
    with transaction.atomic():
        _save_concern(concern, update_fields=[*changed, "updated_at"])
        audit_change(actor=actor, action="clients.concern.updated", obj=concern, changed=changed)
    return concern


def concern_set_offered(*, actor: User, concern: ConcernTag, offered: bool) -> ConcernTag:
    """Retire a concern (``offered=False``: kept on existing records, no longer offered
    for new ones) or restore it."""
    role_checks.require(actor, Capability.MANAGE_PRACTICE)
    if concern.is_active == offered:
        return concern
    with transaction.atomic():
        concern.is_active = offered
        concern.save(update_fields=["is_active", "updated_at"])
        audit_change(
            actor=actor,
            action="clients.concern.restored" if offered else "clients.concern.retired",
            obj=concern,
        )
    return concern


# --- Clients -----------------------------------------------------------------------------


class PossibleDuplicate(Conflict):
    """A client with the same name and date of birth (or the same date of birth and
    email or phone) already exists; the caller must confirm to create another."""

    def __init__(self, candidate_ids: list[int]):
        super().__init__(
            _(
                "This looks like someone who already has a record. Check the records "
                "below; if this is a different person, confirm to create a new record."
            ),
            code="possible_duplicate",
        )
        self.candidate_ids = candidate_ids


class ClientChanges(TypedDict, total=False):
    legal_first_name: str
    legal_last_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date
    email: str
    phone: str
    state_of_residence: str
    timezone: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    preferred_modality: str
    language: str
    gender: str
    concerns: list[ConcernTag]
    locations: list[Location]


#: The many-to-many fields of ClientChanges (set after the row is saved).
_MANY = ("concerns", "locations")
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    field for field in ClientChanges.__annotations__ if field not in _MANY
)


def _normalise(client: Client) -> None:
    for field in _TRIMMED_FIELDS:
        setattr(client, field, (getattr(client, field) or "").strip())
    client.email = client.email.lower()
    client.search_name = search_key(
        client.legal_first_name, client.legal_last_name, client.preferred_name
    )


def _validate_client(client: Client) -> None:
    """Every rule about one client's fields, all reported together."""
    errors: dict[str, list[str]] = {}
    try:
        client.full_clean(exclude=_CLIENT_EXCLUDE)
    except ValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    dob = client.date_of_birth
    if isinstance(dob, date) and dob.year < EARLIEST_BIRTH_YEAR and "date_of_birth" not in errors:
        errors["date_of_birth"] = [
            _("Check the year: a date of birth before %(year)d is not accepted.")
            % {"year": EARLIEST_BIRTH_YEAR}
        ]
    for field, message in _address_gaps(client).items():
        errors.setdefault(field, [message])
    if errors:
        raise ValidationFailed(errors=errors)


def _address_gaps(client: Client) -> dict[str, str]:
    """An address is optional, but one that is given must be whole enough to post to:
    a street line, a city and a ZIP code (its state is the state of residence)."""
    if not (client.address_line1 or client.address_line2 or client.city or client.postal_code):
        return {}
    gaps = {}
    if not client.address_line1:
        gaps["address_line1"] = _("Add the street address, or leave the whole address empty.")
    if not client.city:
        gaps["city"] = _("Add the city, or leave the whole address empty.")
    if not client.postal_code:
        gaps["postal_code"] = _("Add the ZIP code, or leave the whole address empty.")
    return gaps


def _check_concerns(concerns: Iterable[ConcernTag], *, allowed_retired: set[int]) -> None:
    retired = [c.name for c in concerns if not c.is_active and c.pk not in allowed_retired]
    if retired:
        raise ValidationFailed(
            _("No longer offered: %(names)s.") % {"names": ", ".join(sorted(retired))},
            field="concerns",
        )


def _check_locations(locations: Iterable[Location], *, allowed_retired: set[int]) -> None:
    closed = [loc.name for loc in locations if not loc.is_active and loc.pk not in allowed_retired]
    if closed:
        raise ValidationFailed(
            _("No longer in use: %(names)s.") % {"names": ", ".join(sorted(closed))},
            field="locations",
        )


def possible_duplicates(
    *,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: date,
    email: str = "",
    phone: str = "",
    exclude_pk: int | None = None,
) -> list[int]:
    """Ids of clients who may be this person: same date of birth and the same name
    (ignoring case and accents), email or phone digits. One indexed query."""
    name = search_key(legal_first_name.strip(), legal_last_name.strip())
    email = (email or "").strip().lower()
    digits = phone_digits(phone)
    same_day = Client.objects.filter(date_of_birth=date_of_birth).only(
        "id", "legal_first_name", "legal_last_name", "email", "phone"
    )
    if exclude_pk is not None:
        same_day = same_day.exclude(pk=exclude_pk)
    return [
        c.pk
        for c in same_day.order_by("id")
        if search_key(c.legal_first_name, c.legal_last_name) == name
        or (email and c.email == email)
        or (digits and phone_digits(c.phone) == digits)
    ]


def client_create(
    *,
    actor: User | None,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: date,
    state_of_residence: str,
    preferred_name: str = "",
    pronouns: str = "",
    email: str = "",
    phone: str = "",
    timezone: str = "America/Chicago",
    address_line1: str = "",
    address_line2: str = "",
    city: str = "",
    postal_code: str = "",
    emergency_contact_name: str = "",
    emergency_contact_relationship: str = "",
    emergency_contact_phone: str = "",
    preferred_modality: str = Modality.EITHER,
    language: str = "en",
    gender: str = "",
    concerns: list[ConcernTag] | None = None,
    locations: Sequence[Location] = (),
    confirm_duplicate: bool = False,
) -> Client:
    """Create a client record. ``actor`` None means a system command (seed data).

    Raises ``PossibleDuplicate`` when the person may already have a record, unless
    ``confirm_duplicate`` says the caller has looked and this is someone else.
    """
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_CLIENTS)
    client = Client(
        legal_first_name=legal_first_name,
        legal_last_name=legal_last_name,
        preferred_name=preferred_name,
        pronouns=pronouns,
        date_of_birth=date_of_birth,
        email=email,
        phone=phone,
        state_of_residence=state_of_residence,
        timezone=timezone,
        address_line1=address_line1,
        address_line2=address_line2,
        city=city,
        postal_code=postal_code,
        emergency_contact_name=emergency_contact_name,
        emergency_contact_relationship=emergency_contact_relationship,
        emergency_contact_phone=emergency_contact_phone,
        preferred_modality=preferred_modality,
        language=language,
        gender=gender or "",
        created_by=actor,
    )
    _normalise(client)
    _validate_client(client)
    concern_list = list(concerns or [])
    _check_concerns(concern_list, allowed_retired=set())
    location_list = list(locations)
    _check_locations(location_list, allowed_retired=set())
    if not confirm_duplicate:
        candidates = possible_duplicates(
            legal_first_name=client.legal_first_name,
            legal_last_name=client.legal_last_name,
            date_of_birth=client.date_of_birth,
            email=client.email,
            phone=client.phone,
        )
        if candidates:
            raise PossibleDuplicate(candidates)
    with transaction.atomic():
        client.save()
        if concern_list:
            client.concerns.set(concern_list)
        if location_list:
            client.locations.set(location_list)
        audit_change(
            actor=actor,
            action="clients.client.created",
            obj=client,
            client_id=client.pk,
            detail={"confirmed_duplicate": True} if confirm_duplicate else None,
        )
    return client


def _require_active(client: Client) -> None:
    if client.status != ClientStatus.ACTIVE:
        raise InvalidState(_("This record is archived. Restore it before changing it."))


class _ManyChanges:
    """New concerns and offices for a record (None: not being changed)."""

    def __init__(
        self,
        client: Client,
        concerns: Sequence[ConcernTag] | None,
        locations: Sequence[Location] | None,
    ) -> None:
        self.client = client
        self.concerns = list(concerns) if concerns is not None else None
        self.locations = list(locations) if locations is not None else None
        self.current_concerns = {c.pk for c in client.concerns.all()}
        self.current_locations = (
            {loc.pk for loc in client.locations.all()} if locations is not None else set()
        )

    def check(self) -> None:
        """A record may keep a retired concern or a closed office, but not gain one."""
        if self.concerns is not None:
            _check_concerns(self.concerns, allowed_retired=self.current_concerns)
        if self.locations is not None:
            _check_locations(self.locations, allowed_retired=self.current_locations)

    def changed(self) -> list[str]:
        found = []
        if self.concerns is not None and {c.pk for c in self.concerns} != self.current_concerns:
            found.append("concerns")
        if (
            self.locations is not None
            and {loc.pk for loc in self.locations} != self.current_locations
        ):
            found.append("locations")
        return found

    def save(self) -> None:
        changed = self.changed()
        if "concerns" in changed and self.concerns is not None:
            self.client.concerns.set(self.concerns)
        if "locations" in changed and self.locations is not None:
            self.client.locations.set(self.locations)


def client_update(*, actor: User, client: Client, **changes: Unpack[ClientChanges]) -> Client:
    """Change any of the editable fields (those not given stay as they are).

    A record may keep a concern that has since been retired (or an office no longer in
    use), but cannot gain one. A new email address revokes open portal invitations sent
    to the old one.
    """
    role_checks.require(actor, Capability.MANAGE_CLIENTS)
    _require_active(client)
    unknown = set(changes) - set(ClientChanges.__annotations__)
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    many = _ManyChanges(client, changes.pop("concerns", None), changes.pop("locations", None))
    before = {field: getattr(client, field) for field in EDITABLE_FIELDS}
    for field, value in changes.items():
        setattr(client, field, value)
    _normalise(client)
    try:
        _validate_client(client)
        many.check()
    except ValidationFailed:
        for field, value in before.items():
            setattr(client, field, value)
        _normalise(client)
        raise
    changed = [f for f in EDITABLE_FIELDS if getattr(client, f) != before[f]]
    changed += many.changed()
    if not changed:
        return client
    with transaction.atomic():
        fields = [f for f in changed if f not in _MANY]
        if fields:
            client.save(update_fields=[*fields, "search_name", "updated_at"])
        many.save()
        audit_change(
            actor=actor,
            action="clients.client.updated",
            obj=client,
            client_id=client.pk,
            changed=changed,
        )
        if "email" in changed:
            from kindred.clients.invitation_services import revoke_open_invitations

            revoke_open_invitations(actor=actor, client=client, why="email_changed")
    return client


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why, in a few words."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            _("Use at most %(n)d characters.") % {"n": REASON_MAX_LENGTH}, field="reason"
        )
    return reason


def _set_status(*, actor: User, client: Client, status: ClientStatus, reason: str) -> Client:
    role_checks.require(actor, Capability.MANAGE_CLIENTS)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if locked.status == status:
            raise InvalidState(
                _("This record is already archived.")
                if status == ClientStatus.ARCHIVED
                else _("This record is already active.")
            )
        client.status = status
        client.save(update_fields=["status", "updated_at"])
        ClientStatusChange.objects.create(
            client=client, status=status, reason=reason, changed_by=actor
        )
        verb = "archived" if status == ClientStatus.ARCHIVED else "restored"
        # The reason stays in ClientStatusChange: it may be clinical, the audit log is not.
        audit_change(actor=actor, action=f"clients.client.{verb}", obj=client, client_id=client.pk)
        if status == ClientStatus.ARCHIVED:
            from kindred.clients.invitation_services import revoke_open_invitations

            revoke_open_invitations(actor=actor, client=client, why="archived")
    return client


def client_archive(*, actor: User, client: Client, reason: str) -> Client:
    """Archive a record (it leaves the default list; nothing is deleted). Open portal
    invitations are revoked."""
    return _set_status(actor=actor, client=client, status=ClientStatus.ARCHIVED, reason=reason)


def client_restore(*, actor: User, client: Client, reason: str) -> Client:
    return _set_status(actor=actor, client=client, status=ClientStatus.ACTIVE, reason=reason)


# --- Availability ------------------------------------------------------------------------


def availability_add(
    *, actor: User | None, client: Client, weekday: int, start_time: time, end_time: time
) -> AvailabilityWindow:
    """Add a weekly window. A window that overlaps or touches another on the same day is
    merged with it, so the client's windows never overlap; returns the resulting window.
    ``actor`` None: a system command, or a self-referral (intake/referrals.py)."""
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_CLIENTS)
    _require_active(client)
    errors: dict[str, list[str]] = {}
    if weekday not in Weekday.values:
        errors["weekday"] = [_("Choose a day of the week.")]
    if end_time <= start_time:
        errors["end_time"] = [_("“Until” must be later than “from”.")]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        touching = list(
            AvailabilityWindow.objects.filter(
                client=client,
                weekday=weekday,
                start_time__lte=end_time,
                end_time__gte=start_time,
            )
        )
        if not touching and client.availability.count() >= MAX_WINDOWS_PER_CLIENT:
            raise ValidationFailed(
                _("A record can hold at most %(n)d windows. Remove one first.")
                % {"n": MAX_WINDOWS_PER_CLIENT},
                field="weekday",
            )
        start = min([start_time, *(w.start_time for w in touching)])
        end = max([end_time, *(w.end_time for w in touching)])
        AvailabilityWindow.objects.filter(pk__in=[w.pk for w in touching]).delete()
        window = AvailabilityWindow(client=client, weekday=weekday, start_time=start, end_time=end)
        full_clean_or_fail(window, exclude=["client"])
        window.save()
        audit_change(
            actor=actor,
            action="clients.availability.added",
            obj=window,
            client_id=client.pk,
            detail={"merged": len(touching)} if touching else None,
        )
    return window


def availability_remove(*, actor: User, window: AvailabilityWindow) -> None:
    role_checks.require(actor, Capability.MANAGE_CLIENTS)
    _require_active(window.client)
    with transaction.atomic():
        audit_change(
            actor=actor,
            action="clients.availability.removed",
            obj=window,
            client_id=window.client_id,
        )
        window.delete()
