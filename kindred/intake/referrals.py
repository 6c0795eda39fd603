"""Referrals: someone asks for a place in a group — the person themselves on the public
form, or a clinician, a partner organisation or the practice's own staff for them (the
staff form and ``POST /api/v1/referrals/``). One service, ``referral_submit``, serves all
three.

What a referral becomes:

- a client record and a waitlist entry (for the group asked about, or for any group
  that fits), when nobody in the practice's records looks like the same person;
- otherwise a referral "needing review", holding the ids of the records it resembles
  (clients.services.possible_duplicates: same date of birth and the same name, email or
  phone). A coordinator then says "same person: attach" (``referral_attach``: the entry
  goes on the existing record) or "different person: create" (``referral_create_record``).

Rules: a referral needs a way to contact the person (an email or a phone number); a
state the practice does not serve is accepted but flagged (``Referral.out_of_state``,
``WaitlistEntry.flagged_out_of_state``) and answered with a kind message; the same
referral sent again within a day (same name, date of birth, email, phone and group — a
double click, a reload, a partner's retry) is idempotent: the first one is returned and
nothing new is saved. Public submissions also pass core/antispam.py's checks.

"In their words" is clinical: it is stored exactly as typed and never copied into the
audit log (field names only) or an email.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.clients import services as client_services
from kindred.clients.models import LANGUAGE_CHOICES, ClientStatus, Gender, Modality
from kindred.clients.services import phone_digits, search_key
from kindred.core.antispam import RATE_LIMIT, RATE_WINDOW, check_fill_time, check_rate, ip_key
from kindred.core.errors import InvalidState, ValidationFailed
from kindred.core.validators import validate_phone
from kindred.groups.models import LIVE_STATUSES
from kindred.intake.models import (
    Referral,
    ReferralSource,
    ReferralStatus,
    Urgency,
    WaitlistEntry,
)
from kindred.intake.state_zones import main_zone
from kindred.intake.waitlist import waitlist_add
from kindred.practice import roles as role_checks
from kindred.practice.models import Practice
from kindred.practice.roles import Capability
from kindred.practice.states import is_state, state_name

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client, ConcernTag
    from kindred.groups.models import TherapyGroup
    from kindred.practice.models import Location

#: The same referral sent again within this time is the same referral.
REPEAT_WINDOW = timedelta(hours=24)
#: Weekly availability rows a referral may carry.
MAX_AVAILABILITY_ROWS = 14
IN_THEIR_WORDS_MAX = 3000
IP_PURPOSE = "kindred.intake.referral.ip"
FINGERPRINT_PURPOSE = "kindred.intake.referral.fingerprint"
#: Who may refer someone through the staff form and the API.
STAFF_SOURCES = (ReferralSource.CLINICIAN, ReferralSource.PARTNER, ReferralSource.STAFF)
#: Sources that name an outside referrer, whose name is needed.
REFERRER_SOURCES = (ReferralSource.CLINICIAN, ReferralSource.PARTNER)
_LANGUAGES = frozenset(code for code, _label in LANGUAGE_CHOICES)
_TRIMMED = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "email",
    "phone",
    "referrer_name",
    "referrer_organisation",
    "referrer_email",
    "referrer_phone",
)


@dataclass(frozen=True)
class AvailabilityRow:
    """One weekly window, in the person's own time: a day (0 = Monday) and two times."""

    weekday: int
    start: time
    end: time

    def as_json(self) -> dict[str, Any]:
        return {"weekday": self.weekday, "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}

    @property
    def label(self) -> str:
        """ "Tuesday 6:00 p.m.–8:00 p.m." in the active language."""
        from django.utils.formats import time_format

        from kindred.clients.models import Weekday

        day = Weekday(self.weekday).label if self.weekday in Weekday.values else "?"
        return f"{day} {time_format(self.start)}–{time_format(self.end)}"

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> AvailabilityRow:
        return cls(
            weekday=int(row["weekday"]),
            start=time.fromisoformat(str(row["start"])),
            end=time.fromisoformat(str(row["end"])),
        )


class Outcome(StrEnum):
    CREATED = "created"  # saved: on the waitlist, or waiting for a coordinator's review
    REPEATED = "repeated"  # the same referral again within the window: nothing new saved
    DISCARDED = "discarded"  # the honeypot was filled in: not a person, nothing saved


@dataclass(frozen=True)
class Submission:
    outcome: Outcome
    referral: Referral | None
    entry: WaitlistEntry | None = None

    @property
    def out_of_state(self) -> bool:
        return bool(self.referral is not None and self.referral.out_of_state)

    @property
    def needs_review(self) -> bool:
        return self.referral is not None and self.referral.status == ReferralStatus.NEEDS_REVIEW


def out_of_state_message(state: str = "") -> str:
    """The kind word for someone in a state the practice does not serve (named when
    known)."""
    if state:
        where = _(
            "The practice does not run groups in %(state)s at the moment, so we may not be "
            "able to offer you a place there."
        ) % {"state": state_name(state)}
    else:
        where = _(
            "The practice does not run groups in the state you live in at the moment, so we "
            "may not be able to offer you a place there."
        )
    return " ".join(
        [
            where,
            _(
                "We have your referral all the same: someone will read it and get in touch, "
                "and if we cannot help we will try to suggest support closer to you."
            ),
        ]
    )


def next_steps_message() -> str:
    return _(
        "Someone from the practice will contact you, usually within two working days, for "
        "a short conversation about what you are looking for and which group could fit."
    )


# --- Checking what was sent ------------------------------------------------------------


def merge_rows(rows: Iterable[AvailabilityRow]) -> list[AvailabilityRow]:
    """Rows ordered by day and time, with overlapping or touching rows of a day joined."""
    merged: list[AvailabilityRow] = []
    for row in sorted(rows, key=lambda r: (r.weekday, r.start, r.end)):
        last = merged[-1] if merged else None
        if last is not None and last.weekday == row.weekday and row.start <= last.end:
            merged[-1] = AvailabilityRow(row.weekday, last.start, max(last.end, row.end))
        else:
            merged.append(row)
    return merged


def _check_availability(rows: Sequence[AvailabilityRow]) -> list[str]:
    from kindred.clients.models import Weekday

    messages: list[str] = []
    if len(rows) > MAX_AVAILABILITY_ROWS:
        messages.append(_("Give at most %(n)d times in the week.") % {"n": MAX_AVAILABILITY_ROWS})
    for row in rows:
        if row.weekday not in Weekday.values:
            messages.append(_("Choose a day of the week for each time."))
        elif row.end <= row.start:
            messages.append(
                _("%(day)s: “until” must be later than “from”.")
                % {"day": Weekday(row.weekday).label}
            )
    return messages


def _check_contact(referral: Referral, errors: dict[str, list[str]]) -> None:
    for field in ("email", "referrer_email"):
        value = getattr(referral, field)
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                errors.setdefault(field, []).append(
                    _("Enter an email address like name@example.com.")
                )
    for field in ("phone", "referrer_phone"):
        value = getattr(referral, field)
        if value:
            try:
                validate_phone(value)
            except DjangoValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
    if not referral.email and not referral.phone:
        errors.setdefault("email", []).append(
            _("Give an email address or a phone number, so the practice can reach you.")
        )


def _check_person(referral: Referral, *, today: date, errors: dict[str, list[str]]) -> None:
    if not referral.first_name:
        errors["first_name"] = [_("Give a first name.")]
    if not referral.last_name:
        errors["last_name"] = [_("Give a last name.")]
    dob = referral.date_of_birth
    if dob is None:
        errors["date_of_birth"] = [
            _("Give a date of birth: it keeps this record apart from others with the same name.")
        ]
    elif dob > today:
        errors["date_of_birth"] = [_("This date is in the future.")]
    elif dob.year < client_services.EARLIEST_BIRTH_YEAR:
        errors["date_of_birth"] = [
            _("Check the year: a date of birth before %(year)d is not accepted.")
            % {"year": client_services.EARLIEST_BIRTH_YEAR}
        ]
    if not is_state(referral.state):
        errors["state"] = [_("Choose the state the person lives in.")]


def _check_choices(
    referral: Referral,
    *,
    concerns: Sequence[ConcernTag],
    locations: Sequence[Location],
    group: TherapyGroup | None,
    public: bool,
    errors: dict[str, list[str]],
) -> None:
    retired = sorted(c.name for c in concerns if not c.is_active)
    if retired:
        errors["concerns"] = [_("No longer offered: %(names)s.") % {"names": ", ".join(retired)}]
    closed = sorted(loc.name for loc in locations if not loc.is_active)
    if closed:
        errors["locations"] = [_("No longer in use: %(names)s.") % {"names": ", ".join(closed)}]
    if referral.gender and referral.gender not in Gender.values:
        errors["gender"] = [_("Choose one of the answers, or leave it empty.")]
    if referral.preferred_modality not in Modality.values:
        errors["preferred_modality"] = [_("Choose how you would like to meet.")]
    if referral.language not in _LANGUAGES:
        errors["language"] = [_("Choose a language.")]
    if referral.urgency not in Urgency.values:
        errors["urgency"] = [_("Choose how urgent it feels.")]
    if len(referral.in_their_words) > IN_THEIR_WORDS_MAX:
        errors["in_their_words"] = [
            _("Use at most %(n)d characters; there will be time to say more when we talk.")
            % {"n": IN_THEIR_WORDS_MAX}
        ]
    if group is not None and (
        group.status not in LIVE_STATUSES or (public and not group.listed_publicly)
    ):
        errors["group"] = [
            _("This group is not taking new people now. Choose another, or any group.")
        ]


def _check_source(referral: Referral, errors: dict[str, list[str]]) -> None:
    if referral.source not in STAFF_SOURCES:
        errors["source"] = [_("Choose who is making the referral.")]
    elif referral.source in REFERRER_SOURCES and not referral.referrer_name:
        errors["referrer_name"] = [_("Give the referrer's name, so the practice can reply.")]


def _check_lengths(referral: Referral, errors: dict[str, list[str]]) -> None:
    """The model's own limits (lengths), for fields not already reported."""
    try:
        referral.full_clean(
            exclude=[
                "client",
                "group",
                "created_by",
                "duplicate_candidates",
                "fingerprint",
                "source_key",
                "availability",
                "state",
                "status",
                "date_of_birth",
                "email",
                "referrer_email",
                "phone",
                "referrer_phone",
            ],
            validate_constraints=False,
        )
    except DjangoValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, list(messages))


def fingerprint(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    email: str,
    phone: str,
    group_id: int | None,
) -> str:
    """A keyed hash of who is referred and for what: the same person, contact details
    and group give the same value, however names are capitalised or phones written."""
    parts = [
        search_key(first_name.strip(), last_name.strip()),
        date_of_birth.isoformat() if date_of_birth else "",
        email.strip().lower(),
        phone_digits(phone),
        str(group_id or ""),
    ]
    return salted_hmac(FINGERPRINT_PURPOSE, "\x1f".join(parts), algorithm="sha256").hexdigest()


# --- Submitting ----------------------------------------------------------------------------


def referral_submit(
    *,
    actor: User | None,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    state: str,
    email: str = "",
    phone: str = "",
    preferred_name: str = "",
    pronouns: str = "",
    concerns: Sequence[ConcernTag] = (),
    in_their_words: str = "",
    preferred_modality: str = Modality.EITHER,
    availability: Sequence[AvailabilityRow] = (),
    language: str = "en",
    gender: str = "",
    locations: Sequence[Location] = (),
    urgency: str = Urgency.ROUTINE,
    group: TherapyGroup | None = None,
    source: str = ReferralSource.SELF,
    referrer_name: str = "",
    referrer_organisation: str = "",
    referrer_email: str = "",
    referrer_phone: str = "",
    ip: str | None = None,
    honeypot: str = "",
    shown_at: datetime | None = None,
    now: datetime | None = None,
) -> Submission:
    """Receive a referral.

    ``actor`` None is a visitor's self-referral on the public form: the honeypot, the
    time-to-fill stamp (``shown_at``) and the per-connection limit (``ip``) apply, and
    the source is "self". Otherwise ``actor`` needs ``MANAGE_CLIENTS`` and ``source`` is
    a clinician, a partner organisation or staff (with the referrer's details).

    ``locations`` are the offices they could get to for an in-person group; they are
    kept only when the person would meet in person or either way. ``gender`` is
    optional (a ``clients.models.Gender`` code): some groups are for one gender only.

    Raises ValidationFailed with per-field messages (nothing saved) for bad input, a
    form sent too fast or without its stamp, or too many submissions from one
    connection (``core.antispam.RateLimited``).
    """
    now = now or timezone.now()
    public = actor is None
    if public:
        if honeypot:
            return Submission(Outcome.DISCARDED, None)
        check_fill_time(shown_at, now=now)
        source = ReferralSource.SELF
        referrer_name = referrer_organisation = referrer_email = referrer_phone = ""
    else:
        role_checks.require(actor, Capability.MANAGE_CLIENTS)
    referral = Referral(
        source=source,
        first_name=first_name,
        last_name=last_name,
        preferred_name=preferred_name,
        pronouns=pronouns,
        date_of_birth=date_of_birth,
        email=email,
        phone=phone,
        state=(state or "").strip().upper(),
        in_their_words=in_their_words or "",
        preferred_modality=preferred_modality,
        language=language,
        gender=(gender or "").strip(),
        urgency=urgency,
        group=group,
        referrer_name=referrer_name,
        referrer_organisation=referrer_organisation,
        referrer_email=referrer_email,
        referrer_phone=referrer_phone,
        created_by=actor,
        source_key=ip_key(ip, purpose=IP_PURPOSE) if public else "",
    )
    for field in _TRIMMED:
        setattr(referral, field, (getattr(referral, field) or "").strip())
    referral.email = referral.email.lower()
    referral.referrer_email = referral.referrer_email.lower()
    concern_list = list(concerns)
    # Offices matter only to someone who would come in person.
    location_list = list(locations) if preferred_modality != Modality.VIRTUAL else []
    rows = merge_rows(availability)
    errors: dict[str, list[str]] = {}
    _check_person(referral, today=timezone.localdate(now), errors=errors)
    _check_contact(referral, errors)
    _check_choices(
        referral,
        concerns=concern_list,
        locations=location_list,
        group=group,
        public=public,
        errors=errors,
    )
    if not public:
        _check_source(referral, errors)
    availability_errors = _check_availability(list(availability))
    if availability_errors:
        errors["availability"] = availability_errors
    _check_lengths(referral, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    referral.availability = [row.as_json() for row in rows]
    referral.fingerprint = fingerprint(
        first_name=referral.first_name,
        last_name=referral.last_name,
        date_of_birth=referral.date_of_birth,
        email=referral.email,
        phone=referral.phone,
        group_id=group.pk if group is not None else None,
    )
    with transaction.atomic():
        # Referrals queue on the practice's single row, so the repeat check, the limit
        # per connection and the duplicate check cannot interleave with another
        # submission (a double click stores one referral).
        practice = Practice.objects.select_for_update().filter(pk=1).first()
        repeat = (
            Referral.objects.filter(
                fingerprint=referral.fingerprint, created_at__gte=now - REPEAT_WINDOW
            )
            .exclude(status__in=[ReferralStatus.DECLINED, ReferralStatus.SPAM])
            .order_by("-created_at", "-id")
            .first()
        )
        if repeat is not None:
            return Submission(Outcome.REPEATED, repeat, _entry_of(repeat))
        if public and referral.source_key:
            check_rate(
                Referral.objects.filter(
                    source_key=referral.source_key, created_at__gte=now - RATE_WINDOW
                ).count(),
                limit=RATE_LIMIT,
            )
        served = set(practice.states_served) if practice is not None else None
        referral.out_of_state = served is not None and referral.state not in served
        referral.save()
        if concern_list:
            referral.concerns.set(concern_list)
        if location_list:
            referral.locations.set(location_list)
        entry = _receive(actor=actor, referral=referral, concerns=concern_list, now=now)
    return Submission(Outcome.CREATED, referral, entry)


def _entry_of(referral: Referral) -> WaitlistEntry | None:
    return referral.entries.order_by("-added_at", "-id").first()


def _receive(
    *, actor: User | None, referral: Referral, concerns: list[ConcernTag], now: datetime
) -> WaitlistEntry | None:
    """Make the client record and the waitlist entry, or hold the referral for review."""
    client = None
    try:
        client = _create_client(actor=actor, referral=referral, concerns=concerns, confirm=False)
    except client_services.PossibleDuplicate as exc:
        referral.status = ReferralStatus.NEEDS_REVIEW
        referral.duplicate_candidates = exc.candidate_ids
        referral.save(update_fields=["status", "duplicate_candidates", "updated_at"])
    audit_change(
        actor=actor,
        action="intake.referral.received",
        obj=referral,
        client_id=client.pk if client is not None else None,
        detail={
            "source": referral.source,
            "out_of_state": referral.out_of_state,
            "needs_review": client is None,
        },
    )
    if client is None:
        return None
    return _accept(actor=actor, referral=referral, client=client, now=now)


def _create_client(
    *, actor: User | None, referral: Referral, concerns: list[ConcernTag], confirm: bool
) -> Client:
    assert referral.date_of_birth is not None  # noqa: S101 - checked when submitted
    client = client_services.client_create(
        actor=actor,
        legal_first_name=referral.first_name,
        legal_last_name=referral.last_name,
        preferred_name=referral.preferred_name,
        pronouns=referral.pronouns,
        date_of_birth=referral.date_of_birth,
        state_of_residence=referral.state,
        timezone=main_zone(referral.state),
        email=referral.email,
        phone=referral.phone,
        preferred_modality=referral.preferred_modality,
        language=referral.language,
        gender=referral.gender,
        concerns=[c for c in concerns if c.is_active],
        locations=[loc for loc in referral.locations.all() if loc.is_active],
        confirm_duplicate=confirm,
    )
    _add_availability(actor=actor, referral=referral, client=client)
    return client


def _add_availability(*, actor: User | None, referral: Referral, client: Client) -> None:
    for row in (AvailabilityRow.from_json(r) for r in referral.availability or []):
        client_services.availability_add(
            actor=actor, client=client, weekday=row.weekday, start_time=row.start, end_time=row.end
        )


def _accept(
    *, actor: User | None, referral: Referral, client: Client, now: datetime
) -> WaitlistEntry:
    referral.client = client
    referral.status = ReferralStatus.ACCEPTED
    referral.save(update_fields=["client", "status", "updated_at"])
    return waitlist_add(
        actor=actor,
        client=client,
        group=referral.group,
        urgency=referral.urgency,
        referral=referral,
        flagged_out_of_state=referral.out_of_state,
        now=now,
    )


# --- A coordinator's review of a possible duplicate ---------------------------------------


def _locked_for_review(referral: Referral) -> Referral:
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if locked.status != ReferralStatus.NEEDS_REVIEW:
        raise InvalidState(_("This referral has already been dealt with."))
    return locked


def referral_attach(
    *, actor: User, referral: Referral, client: Client, now: datetime | None = None
) -> WaitlistEntry:
    """ "Same person": the referral belongs to ``client`` (one of the records it
    resembles). The record gains the referral's concerns, offices and weekly times, and
    its gender when the record has none (its contact details are left as they are);
    the person goes on the waitlist."""
    role_checks.require(actor, Capability.MANAGE_CLIENTS)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_for_review(referral)
        if client.pk not in (locked.duplicate_candidates or []):
            raise ValidationFailed(
                _("Choose one of the records this referral may belong to."), field="client"
            )
        if client.status != ClientStatus.ACTIVE:
            raise InvalidState(
                _("This record is archived. Restore it first, then attach the referral.")
            )
        known = {c.pk for c in client.concerns.all()}
        added = [c for c in locked.concerns.all() if c.is_active and c.pk not in known]
        reachable = list(client.locations.all())
        more = [
            loc
            for loc in locked.locations.all()
            if loc.is_active and loc.pk not in {r.pk for r in reachable}
        ]
        changes: client_services.ClientChanges = {}
        if added:
            changes["concerns"] = [*client.concerns.all(), *added]
        if more:
            changes["locations"] = [*reachable, *more]
        if locked.gender and not client.gender:
            changes["gender"] = locked.gender
        if changes:
            client_services.client_update(actor=actor, client=client, **changes)
        _add_availability(actor=actor, referral=locked, client=client)
        audit_change(
            actor=actor, action="intake.referral.attached", obj=locked, client_id=client.pk
        )
        entry = _accept(actor=actor, referral=locked, client=client, now=now)
    referral.status, referral.client = locked.status, locked.client
    return entry


def referral_create_record(
    *, actor: User, referral: Referral, now: datetime | None = None
) -> WaitlistEntry:
    """ "Different person": make a new client record from the referral, then put them
    on the waitlist."""
    role_checks.require(actor, Capability.MANAGE_CLIENTS)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_for_review(referral)
        client = _create_client(
            actor=actor, referral=locked, concerns=list(locked.concerns.all()), confirm=True
        )
        audit_change(
            actor=actor, action="intake.referral.new_record", obj=locked, client_id=client.pk
        )
        entry = _accept(actor=actor, referral=locked, client=client, now=now)
    referral.status, referral.client = locked.status, locked.client
    return entry
