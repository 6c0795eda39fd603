"""The world the matrix asks about: the test cast plus one object of each kind on each
side, built through the real services (as the people who would create them).

A slot is a kind of object the URLs name (``"group"``, ``"journal_entry"``...) with its
side-A id and side-B id (the same id for practice-wide objects, such as a location). A
slot whose builder failed is recorded in ``World.unbuilt`` with the reason, so the
matrix reports it instead of silently asking only about missing ids.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import models
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.models import User
from kindred.clients.models import Client
from kindred.core.testing import PASSWORD, Cast, build_cast
from kindred.groups.models import TherapyGroup

from .rules import Side, Who

MISSING_ID = 987654321
# Set to "1": the world also holds an API token for each staff person, and the matrix
# asks the /api/ and /fhir/ rows with it as well as with the session (``World.bearers``).
TOKENS_ENV = "KINDRED_AUTHZ_TOKENS"


@dataclass(frozen=True)
class Slot:
    model: type[models.Model]
    a: int
    b: int
    # What the URL carries instead of the id, when it names the object otherwise (a
    # group's directory slug, the raw token of an emailed link or a calendar feed).
    a_key: str | None = None
    b_key: str | None = None

    def pk_for(self, side: Side) -> int:
        return self.b if side is Side.B else self.a

    def id_for(self, side: Side) -> int | str:
        """The value the URL carries for the object of ``side``."""
        key = self.b_key if side is Side.B else self.a_key
        return self.pk_for(side) if key is None else key


@dataclass(frozen=True)
class Keyed:
    """A builder's object named in its URLs by ``key`` (a slug, a token), not its id."""

    obj: models.Model
    key: str


Built = models.Model | Keyed


@dataclass(frozen=True)
class Bearer:
    """A client that sends a person's API token (no session), and the token's scopes."""

    http: HttpClient
    scopes: frozenset[str]


@dataclass
class World:
    cast: Cast
    slots: dict[str, Slot] = field(default_factory=dict)
    unbuilt: dict[str, str] = field(default_factory=dict)
    bearers: dict[Who, Bearer] = field(default_factory=dict)

    def user(self, who: Who) -> User | None:
        if who is Who.ANONYMOUS:
            return None
        user: User = getattr(self.cast, who.value)
        return user

    def http(self, who: Who) -> HttpClient:
        """A fresh client signed in as ``who`` (staff with two-factor passed), with the
        password confirmed again, so pages that need a recent re-authentication answer
        with their access decision instead of a detour to the confirmation page."""
        http = HttpClient()
        user = self.user(who)
        if user is not None:
            http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
            answer = http.post("/accounts/reauthenticate/", {"password": PASSWORD})
            if answer.status_code != 302:
                raise RuntimeError(f"re-authentication as {who} answered {answer.status_code}")
        return http

    def make_bearers(self) -> dict[Who, Bearer]:
        """An API token for each person who may hold one (staff: MANAGE_OWN_TOKENS), made
        through the token service with every scope their roles allow, as they would."""
        from kindred.accounts.token_services import allowed_scopes, api_token_create
        from kindred.practice import roles as role_checks
        from kindred.practice.roles import Capability

        made: dict[Who, Bearer] = {}
        for who in Who:
            user = self.user(who)
            if user is None or not role_checks.has(user, Capability.MANAGE_OWN_TOKENS):
                continue
            scopes = sorted(allowed_scopes(user))
            raw, _token = api_token_create(actor=user, name="authz matrix", scopes=scopes)
            http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
            made[who] = Bearer(http, frozenset(str(s) for s in scopes))
        return made

    def add(self, name: str, build: Callable[[Cast], tuple[Built, Built]]) -> None:
        try:
            a, b = build(self.cast)
        except Exception as exc:  # reported as an unbuilt slot, never hidden
            last = traceback.format_exception_only(exc)[-1].strip()
            self.unbuilt[name] = last[:300]
            return
        obj_a, key_a = (a.obj, a.key) if isinstance(a, Keyed) else (a, None)
        obj_b, key_b = (b.obj, b.key) if isinstance(b, Keyed) else (b, None)
        self.slots[name] = Slot(type(obj_a), int(obj_a.pk), int(obj_b.pk), key_a, key_b)


def _need[T](found: T | None) -> T:
    """A builder's look-up came back empty: the slot is reported as unbuilt."""
    if found is None:
        raise LookupError("the cast has no such object")
    return found


def _pair[T: Built](a: T, b: T | None = None) -> tuple[T, T]:
    return a, a if b is None else b


# --- builders (one per slot) -------------------------------------------------------


def _sessions(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.scheduling.models import GroupSession

    a = GroupSession.objects.filter(group=c.group_a).order_by("starts_at").first()
    b = GroupSession.objects.filter(group=c.group_b).order_by("starts_at").first()
    return _need(a), _need(b)


def _enrollments(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.groups.models import Enrollment

    return (
        Enrollment.objects.get(group=c.group_a, client=c.client),
        Enrollment.objects.get(group=c.group_b, client=c.outsider_client),
    )


def _journal(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.journal.services import entry_create

    return (
        entry_create(actor=c.member, client=c.client, title="Mine", body="A quiet week."),
        entry_create(actor=c.outsider, client=c.outsider_client, title="Theirs", body="Busy."),
    )


def _goals(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.goals.services import goal_create

    return (
        goal_create(actor=c.member, client=c.client, data={"what": "Walk every morning"}),
        goal_create(actor=c.outsider, client=c.outsider_client, data={"what": "Read a book"}),
    )


def _posts(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.space.access import get_space_for
    from kindred.space.services import display_name_set, thread_create

    def first_post(user: User, group_id: int, name: str) -> models.Model:
        display_name_set(actor=user, access=get_space_for(user, group_id), name=name)
        return thread_create(
            actor=user, access=get_space_for(user, group_id), title="Hello", body="Hi all"
        )

    return first_post(c.member, c.group_a.pk, "Avery"), first_post(c.outsider, c.group_b.pk, "Cas")


def _threads(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.space.models import Post

    a = Post.objects.filter(thread__space__group=c.group_a).select_related("thread").first()
    b = Post.objects.filter(thread__space__group=c.group_b).select_related("thread").first()
    return _need(a).thread, _need(b).thread


def _notifications(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.notifications.services import notify

    a = notify(user=c.member, kind="authz", title="For member")
    b = notify(user=c.outsider, kind="authz", title="For outsider")
    return _need(a), _need(b)


def _psychnotes(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.psychnotes.services import psychnote_create

    return (
        psychnote_create(actor=c.facilitator, client=c.client, body="Process note A."),
        psychnote_create(actor=c.facilitator_b, client=c.outsider_client, body="Process B."),
    )


def _cards(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.strategies.access import get_library_for
    from kindred.strategies.services import strategy_share

    def share(user: User, group_id: int) -> models.Model:
        access = get_library_for(user, group_id)
        return strategy_share(
            actor=user,
            access=access,
            title="Box breathing",
            what_it_is="Breathe in four, hold four, out four.",
            when_it_helps="Before a hard talk.",
        )

    return share(c.member, c.group_a.pk), share(c.outsider, c.group_b.pk)


def _tokens(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.accounts.token_services import allowed_scopes, api_token_create

    def token(user: User) -> models.Model:
        scopes = sorted(allowed_scopes(user))[:1]
        return api_token_create(actor=user, name="integration", scopes=scopes)[1]

    return token(c.facilitator), token(c.facilitator_b)


def _invitations(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.clients.invitation_services import invitation_create
    from kindred.clients.services import client_create

    def fresh(first: str) -> models.Model:
        client = client_create(
            actor=None,
            legal_first_name=first,
            legal_last_name="Invitee",
            date_of_birth=date(1992, 2, 2),
            state_of_residence="IL",
            email=f"{first.lower()}.invitee@example.test",
        )
        return invitation_create(actor=c.admin, client=client)

    return fresh("Ivy"), fresh("Iris")


def _invitees(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.clients.models import PortalInvitation

    a, b = PortalInvitation.objects.filter(client__legal_last_name="Invitee").order_by("pk")[:2]
    return a.client, b.client


def _location(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.practice.services import location_create

    return _pair(
        location_create(
            actor=c.admin,
            name="Loop Office",
            address_line1="1 Main St",
            city="Chicago",
            state="IL",
            postal_code="60601",
            timezone="America/Chicago",
        )
    )


def _room(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.practice.models import Location
    from kindred.practice.services import room_create

    location = Location.objects.order_by("pk").first()
    return _pair(room_create(actor=c.admin, location=_need(location), name="Room 1", capacity=10))


def _compact(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.practice.services import compact_create

    return _pair(compact_create(actor=c.admin, code="counseling", name="Counseling Compact"))


def _concern(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.clients.services import concern_create

    return _pair(concern_create(actor=c.admin, name="Grief"))


def _licenses(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.practice.models import License

    a = License.objects.filter(clinician=c.clinician).order_by("pk").first()
    b = License.objects.filter(clinician=c.clinician_b).order_by("pk").first()
    return _need(a), _need(b)


def _past_sessions(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.scheduling.models import GroupSession

    now = timezone.now()
    a = GroupSession.objects.filter(group=c.group_a, ends_at__lt=now).order_by("starts_at")
    b = GroupSession.objects.filter(group=c.group_b, ends_at__lt=now).order_by("starts_at")
    first_a, first_b = a.first(), b.first()
    return _need(first_a), _need(first_b)


def _availability(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.clients.models import AvailabilityWindow

    fields = AvailabilityWindow._meta.get_fields()
    names = {f.name for f in fields}
    data: dict[str, object] = {}
    if "weekday" in names:
        data["weekday"] = 1
    if "starts_at" in names:
        data["starts_at"] = timezone.now().time().replace(hour=9, minute=0, second=0)
        data["ends_at"] = data["starts_at"].replace(hour=12)  # type: ignore[attr-defined]
    if "start_time" in names:
        data["start_time"] = timezone.now().time().replace(hour=9, minute=0, second=0)
        data["end_time"] = data["start_time"].replace(hour=12)  # type: ignore[attr-defined]
    return (
        AvailabilityWindow.objects.create(client=c.client, **data),
        AvailabilityWindow.objects.create(client=c.outsider_client, **data),
    )


def _alerts(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.measures.models import AlertSource
    from kindred.measures.safety import raise_alert

    def alert(client_id: int, group_id: int) -> models.Model:
        found = raise_alert(
            client_id=client_id,
            group_id=group_id,
            source=AlertSource.MANUAL,
            flag_code="authz-matrix",
        )
        return _need(found)

    return alert(c.client.pk, c.group_a.pk), alert(c.outsider_client.pk, c.group_b.pk)


def _preparation(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.intake.preparation import preparation_item_create

    return (
        preparation_item_create(actor=c.admin, group=c.group_a, title="Before", body="Read."),
        preparation_item_create(actor=c.admin, group=c.group_b, title="Before", body="Read."),
    )


def _waitlist(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.intake.waitlist import waitlist_add

    return (
        waitlist_add(actor=c.admin, client=c.client, group=c.group_b),
        waitlist_add(actor=c.admin, client=c.outsider_client, group=c.group_a),
    )


def _diagnoses(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.billing.services import diagnosis_add

    day = timezone.localdate() - timedelta(days=30)
    return (
        diagnosis_add(
            actor=c.admin, client=c.client, code="F41.1", description="GAD", starts_on=day
        ),
        diagnosis_add(
            actor=c.admin, client=c.outsider_client, code="F41.1", description="GAD", starts_on=day
        ),
    )


def _closures(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.datarights.closure import closure_request

    return closure_request(actor=c.member, reason=""), closure_request(actor=c.outsider)


def _session_notes(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.notes.services import group_note_save

    def note(actor: User, session: models.Model) -> models.Model:
        return group_note_save(actor=actor, session=session, themes="Trust and pacing.")  # type: ignore[arg-type]

    a, b = _past_sessions(c)
    return note(c.facilitator, a), note(c.facilitator_b, b)


def _screenings(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.intake.screening import screening_create

    # Each side's screening is for that side's group, screened by its facilitator (who,
    # with the group's managers, may read it; only the screener may record it).
    return (
        screening_create(actor=c.facilitator, client=c.outsider_client, group=c.group_a).screening,
        screening_create(actor=c.facilitator_b, client=c.client, group=c.group_b).screening,
    )


def _referrals(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.intake.models import ReferralSource
    from kindred.intake.referrals import referral_submit

    def refer(first: str) -> models.Model:
        sent = referral_submit(
            actor=c.admin,
            first_name=first,
            last_name="Referred",
            date_of_birth=date(1990, 3, 3),
            state="IL",
            email=f"{first.lower()}.referred@example.test",
            source=ReferralSource.CLINICIAN,
            referrer_name="Dr Referrer",
        )
        return _need(sent.referral)

    return refer("Rowan"), refer("Robin")


def _milestones(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.goals.access import get_goal_for
    from kindred.goals.services import goal_create, goal_set_status
    from kindred.milestones.detection import detect
    from kindred.milestones.models import Milestone
    from kindred.milestones.services import milestone_share

    # A goal reached is a milestone in each group the member is in: each side's member
    # marks a new goal reached, then detection finds it.
    for user, client in ((c.member, c.client), (c.outsider, c.outsider_client)):
        goal = goal_create(actor=user, client=client, data={"what": "Sleep by eleven"})
        goal_set_status(actor=user, access=get_goal_for(user, goal.pk), status="reached")
    detect([c.client.pk, c.outsider_client.pk], within_days=None, notify=False)
    a = Milestone.objects.filter(client=c.client, group=c.group_a).order_by("pk").first()
    b = Milestone.objects.filter(client=c.outsider_client, group=c.group_b).order_by("pk").first()
    # Shared with the group, so its facilitator may hide it (they act only on shared ones).
    return (
        milestone_share(actor=c.member, milestone=_need(a)),
        milestone_share(actor=c.outsider, milestone=_need(b)),
    )


def _administrations(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.measures.answering import administration_send
    from kindred.measures.models import Instrument

    instrument = _need(Instrument.objects.order_by("pk").first())
    return (
        administration_send(
            actor=c.facilitator, group=c.group_a, client=c.client, instrument=instrument
        ),
        administration_send(
            actor=c.facilitator_b, group=c.group_b, client=c.outsider_client, instrument=instrument
        ),
    )


def _agreement_templates(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.intake.agreements import (
        agreement_draft_start,
        agreement_draft_update,
        agreement_template_create,
        agreement_version_publish,
    )

    # Two templates, each published once and with a new draft being written: side A's
    # version is group A's agreement, side B's group B's (members read their own).
    def template(name: str) -> models.Model:
        made = agreement_template_create(actor=c.admin, name=name)
        agreement_draft_update(actor=c.admin, template=made, body="We keep what is said here.")
        agreement_version_publish(actor=c.admin, template=made)
        agreement_draft_start(actor=c.admin, template=made)
        return made

    return template("Agreement A"), template("Agreement B")


def _agreement_versions(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.intake.models import AgreementVersion

    a = AgreementVersion.objects.filter(template__name="Agreement A").first()
    b = AgreementVersion.objects.filter(template__name="Agreement B").first()
    return _need(a), _need(b)


def _agreement_signatures(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.groups.services import group_update
    from kindred.intake.agreement_signatures import agreement_sign
    from kindred.intake.models import AgreementVersion

    def sign(user: User, group: TherapyGroup, client: Client) -> models.Model:
        side = "A" if group.pk == c.group_a.pk else "B"
        version = _need(AgreementVersion.objects.filter(template__name=f"Agreement {side}").first())
        group_update(actor=c.admin, group=group, agreement_version=version)
        return agreement_sign(
            actor=user,
            group=group,
            version_id=version.pk,
            text_sha256=version.body_sha256,
            typed_name=f"{client.legal_first_name} {client.legal_last_name}",
            agreed=True,
            ip=None,
        )[0]

    return sign(c.member, c.group_a, c.client), sign(c.outsider, c.group_b, c.outsider_client)


def _conversations(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.core.testing import _member
    from kindred.groups.services import enrollment_activate, enrollment_invite
    from kindred.space.access import get_space_for
    from kindred.space.services import (
        conversation_start,
        display_name_set,
        space_settings_update,
    )

    # Each side's member writes to a partner in their group who is nobody else in the
    # cast (a conversation is its two people's; member B must not see side A's).
    def partner(first: str, state: str, group: TherapyGroup) -> User:
        user, client = _member(first, "Partner", date(1985, 5, 5), state)
        place = enrollment_invite(actor=None, group=group, client=client)
        enrollment_activate(actor=None, enrollment=place)
        return user

    partner_a = partner("Alden", "IL", c.group_a)
    partner_b = partner("Blair", "FL", c.group_b)
    for lead, group in ((c.facilitator, c.group_a), (c.facilitator_b, c.group_b)):
        space = get_space_for(lead, group.pk).space
        space_settings_update(
            actor=lead,
            access=get_space_for(lead, group.pk),
            moderation=space.moderation,
            direct_messages_allowed=True,
            office_hours=space.office_hours,
            rules=space.rules,
        )

    def start(user: User, other: User, group_id: int, name: str) -> models.Model:
        display_name_set(actor=other, access=get_space_for(other, group_id), name=name)
        return conversation_start(
            actor=user, access=get_space_for(user, group_id), with_user_id=other.pk
        )

    return (
        start(c.member, partner_a, c.group_a.pk, "Alden"),
        start(c.outsider, partner_b, c.group_b.pk, "Blair"),
    )


def _direct_messages(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.space.access import get_space_for
    from kindred.space.models import Conversation
    from kindred.space.services import message_send

    def send(user: User, group: TherapyGroup) -> models.Model:
        conversation = _need(Conversation.objects.filter(space__group=group).first())
        access = get_space_for(user, group.pk)
        return message_send(
            actor=user, access=access, conversation=conversation, body="See you Tuesday."
        )

    return send(c.member, c.group_a), send(c.outsider, c.group_b)


def _fhir_questionnaires(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.measures.models import InstrumentVersion

    return _pair(_need(InstrumentVersion.objects.order_by("pk").first()))


def _partners(c: Cast) -> tuple[User, User]:
    """The partners ``_conversations`` put in group A and group B (nobody else in the cast)."""
    a = User.objects.filter(email="alden.partner@example.test").first()
    b = User.objects.filter(email="blair.partner@example.test").first()
    return _need(a), _need(b)


def _post_reports(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.space.access import get_space_for
    from kindred.space.models import Post, ReportReason
    from kindred.space.services import report_create

    def report(reporter: User, group: TherapyGroup) -> models.Model:
        post = _need(Post.objects.filter(thread__space__group=group).order_by("pk").first())
        return report_create(
            actor=reporter,
            access=get_space_for(reporter, group.pk),
            post=post,
            reason=ReportReason.OFF_TOPIC,
        )

    partner_a, partner_b = _partners(c)
    return report(partner_a, c.group_a), report(partner_b, c.group_b)


def _message_reports(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.space.access import get_space_for
    from kindred.space.models import DirectMessage, ReportReason
    from kindred.space.services import message_report_create

    def report(recipient: User, group: TherapyGroup) -> models.Model:
        found = DirectMessage.objects.filter(conversation__space__group=group).first()
        return message_report_create(
            actor=recipient,
            access=get_space_for(recipient, group.pk),
            message=_need(found),
            reason=ReportReason.OTHER,
            note="Please look at this.",
        )

    partner_a, partner_b = _partners(c)
    return report(partner_a, c.group_a), report(partner_b, c.group_b)


def _schedules(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.measures.models import Instrument, Timing
    from kindred.measures.schedules import schedule_create

    instrument = _need(Instrument.objects.order_by("pk").first())
    return (
        schedule_create(
            actor=c.facilitator, group=c.group_a, instrument=instrument, timing=Timing.AFTER_SESSION
        ),
        schedule_create(
            actor=c.facilitator_b,
            group=c.group_b,
            instrument=instrument,
            timing=Timing.AFTER_SESSION,
        ),
    )


def _mutes(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.space.access import get_space_for
    from kindred.space.services import mute_create

    # The partners are muted (built last among the space's objects, so nothing the
    # cast's members write is refused by it).
    def mute(lead: User, partner: User, group: TherapyGroup) -> models.Model:
        access = get_space_for(lead, group.pk)
        return mute_create(actor=lead, access=access, user=partner, days=1, reason="A pause.")

    partner_a, partner_b = _partners(c)
    return mute(c.facilitator, partner_a, c.group_a), mute(c.facilitator_b, partner_b, c.group_b)


def _absence_notices(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.scheduling.member import absence_notice_give
    from kindred.scheduling.models import GroupSession

    def notice(user: User, group: TherapyGroup) -> models.Model:
        ahead = GroupSession.objects.filter(group=group, starts_at__gt=timezone.now())
        session = _need(ahead.order_by("-starts_at").first())
        return absence_notice_give(actor=user, session=session, note="Travelling.")

    return notice(c.member, c.group_a), notice(c.outsider, c.group_b)


def _member_states(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.practice.models import Compact
    from kindred.practice.services import compact_member_state_add

    # The states of the cast's licenses joined the compact a year ago (privileges need
    # their home and privilege states to be members).
    compact = _need(Compact.objects.filter(code="counseling").first())
    since = timezone.localdate() - timedelta(days=365)
    made = [
        compact_member_state_add(actor=c.admin, compact=compact, state=state, effective_from=since)
        for state in ("IL", "KS", "FL")
    ]
    return _pair(made[0])


def _privileges(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.practice.models import Compact
    from kindred.practice.services import privilege_create

    compact = _need(Compact.objects.filter(code="counseling").first())
    since = timezone.localdate() - timedelta(days=60)
    return (
        privilege_create(
            actor=c.admin,
            clinician=c.clinician,
            compact=compact,
            home_state="IL",
            privilege_states=["FL"],
            valid_from=since,
        ),
        privilege_create(
            actor=c.admin,
            clinician=c.clinician_b,
            compact=compact,
            home_state="FL",
            privilege_states=["KS"],
            valid_from=since,
        ),
    )


def _directory_slugs(c: Cast) -> tuple[Keyed, Keyed]:
    from kindred.groups.services import group_update

    # Both groups listed in the public directory (its pages name a group by its slug).
    listed = [
        group_update(actor=c.coordinator, group=group, listed_publicly=True)
        for group in (c.group_a, c.group_b)
    ]
    return Keyed(listed[0], listed[0].slug), Keyed(listed[1], listed[1].slug)


def _join_requests(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.groups.directory import join_request_create

    def ask(group: TherapyGroup, name: str, state: str) -> models.Model:
        # A visitor fills in the directory's form (a minute after it was shown).
        shown = timezone.now() - timedelta(minutes=1)
        email = f"{name.lower()}.visitor@example.test"
        _outcome, made = join_request_create(
            group=group, name=f"{name} Visitor", email=email, state=state, shown_at=shown
        )
        return _need(made)

    return ask(c.group_a, "Jordan", "IL"), ask(c.group_b, "Jamie", "FL")


def _waitlist_exclusions(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.intake.models import ExclusionReason
    from kindred.intake.waitlist import exclusion_add

    # Side A's involves the client of side A's waitlist entry (``client``), side B's the
    # client of side B's (``outsider_client``); neither involves the other side's client.
    return (
        exclusion_add(
            actor=c.coordinator, client=c.client, other=c.client_b, reason=ExclusionReason.SOCIAL
        ),
        exclusion_add(
            actor=c.coordinator,
            client=c.outsider_client,
            other=c.client_b,
            reason=ExclusionReason.COWORKER,
        ),
    )


def _matching_runs(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.matching.services import match_run_start

    # A coordinator runs matching over the waitlist (both sides' entries).
    return _pair(match_run_start(actor=c.coordinator))


def _matching_lines(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.matching.models import MatchRun, ProposalLine

    run = _need(MatchRun.objects.order_by("-pk").first())
    a = ProposalLine.objects.filter(run=run, client=c.client).first()
    b = ProposalLine.objects.filter(run=run, client=c.outsider_client).first()
    return _need(a), _need(b)


def _support_replies(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.goals.access import get_goal_for
    from kindred.goals.models import Goal
    from kindred.goals.services import reply_create

    # Each side's facilitator sends support on their member's goal (built by _goals).
    def reply(lead: User, client: Client, what: str) -> models.Model:
        goal = _need(Goal.objects.filter(client=client, what=what).first())
        return reply_create(
            actor=lead, access=get_goal_for(lead, goal.pk), body="Lovely steady progress."
        )

    return (
        reply(c.facilitator, c.client, "Walk every morning"),
        reply(c.facilitator_b, c.outsider_client, "Read a book"),
    )


def _completed_administrations(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.measures.administrations import definition_for
    from kindred.measures.answering import administration_send, administration_submit
    from kindred.measures.models import Instrument

    # Another instrument than _administrations' (that one stays open), sent by each
    # side's facilitator and answered in full by the member (the lowest answer to each
    # question, so no safety flag is raised).
    instrument = _need(Instrument.objects.order_by("pk")[1:2].first())

    def complete(lead: User, group: TherapyGroup, user: User, client: Client) -> models.Model:
        sent = administration_send(actor=lead, group=group, client=client, instrument=instrument)
        definition = definition_for(sent)
        answers = {item.key: item.min_value for item in definition.items}
        return administration_submit(
            actor=user, administration=sent, version=sent.instrument_version, answers=answers
        ).administration

    return (
        complete(c.facilitator, c.group_a, c.member, c.client),
        complete(c.facilitator_b, c.group_b, c.outsider, c.outsider_client),
    )


def _completed(c: Cast) -> tuple[models.Model, models.Model]:
    """The administrations ``_completed_administrations`` completed (FHIR
    QuestionnaireResponse and Observation ids are theirs)."""
    from kindred.measures.models import Administration, AdministrationStatus

    done = Administration.objects.filter(status=AdministrationStatus.COMPLETED).order_by("pk")
    return _need(done.filter(client=c.client).first()), _need(
        done.filter(client=c.outsider_client).first()
    )


def _live_sessions(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.scheduling.models import GroupSession
    from kindred.scheduling.session_services import session_reschedule

    # The coordinator moves each group's next session to start in five minutes, so its
    # Join window is open while the matrix runs (the last session ahead keeps the
    # absence notice of _absence_notices).
    def live(group: TherapyGroup) -> models.Model:
        ahead = GroupSession.objects.filter(group=group, starts_at__gt=timezone.now())
        session = _need(ahead.order_by("starts_at").first())
        soon_after = timezone.now() + timedelta(minutes=5)
        return session_reschedule(actor=c.coordinator, session=session, starts_at=soon_after)

    return live(c.group_a), live(c.group_b)


def _breakglass_grants(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.breakglass.services import breakglass_open
    from kindred.clients.services import client_create

    # Each side's facilitator opens emergency access to a client nobody in the cast
    # sees (so the grant widens no other row's access).
    def grant(lead: User, first: str, state: str) -> models.Model:
        client = client_create(
            actor=c.admin,
            legal_first_name=first,
            legal_last_name="Urgent",
            date_of_birth=date(1988, 8, 8),
            state_of_residence=state,
            email=f"{first.lower()}.urgent@example.test",
        )
        return breakglass_open(
            actor=lead, client=client, reason="Crisis call after hours.", reauthenticated=True
        )

    return grant(c.facilitator, "Emery", "IL"), grant(c.facilitator_b, "Ellis", "FL")


def _charges(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.billing.models import Charge
    from kindred.billing.services import charges_create_for_session
    from kindred.billing.testing import past_session, take_attendance
    from kindred.groups.services import group_update

    # Each group charges a fee; its facilitator takes attendance at its second past
    # session (the first has the draft note of _session_notes); billing makes the
    # draft charges.
    def charge(group: TherapyGroup, lead: User, client: Client) -> models.Model:
        group_update(actor=c.coordinator, group=group, fee_cents=4000)
        session = past_session(group, 1)
        take_attendance(session, lead)
        charges_create_for_session(actor=c.billing, session=session)
        return _need(Charge.objects.filter(session=session, client=client).first())

    return charge(c.group_a, c.facilitator, c.client), charge(
        c.group_b, c.facilitator_b, c.outsider_client
    )


def _invitation_tokens(c: Cast) -> tuple[Keyed, Keyed]:
    import re

    from django.core import mail

    from kindred.clients.invitation_services import invitation_create, invitation_send
    from kindred.clients.services import client_create

    # The emailed link's raw token exists only in the email: the send task runs (as in
    # production, after the invitation is made) and the link is read from the outbox.
    def link(first: str) -> Keyed:
        client = client_create(
            actor=None,
            legal_first_name=first,
            legal_last_name="Linked",
            date_of_birth=date(1993, 3, 3),
            state_of_residence="IL",
            email=f"{first.lower()}.linked@example.test",
        )
        invitation = invitation_create(actor=c.admin, client=client)
        outbox: list[object] = getattr(mail, "outbox", [])
        sent_before = len(outbox)
        if not invitation_send(invitation_id=invitation.pk):
            raise LookupError("the invitation was not sent")
        bodies = [str(getattr(m, "body", "")) for m in getattr(mail, "outbox", [])[sent_before:]]
        found = re.search(r"/welcome/([\w-]+)/", "\n".join(bodies))
        return Keyed(invitation, _need(found).group(1))

    return link("Lane"), link("Lou")


def _calendar_tokens(c: Cast) -> tuple[Keyed, Keyed]:
    from kindred.scheduling.calendar_feeds import calendar_feed_create

    token_a, feed_a = calendar_feed_create(actor=c.member)
    token_b, feed_b = calendar_feed_create(actor=c.outsider)
    return Keyed(feed_a, token_a), Keyed(feed_b, token_b)


def _audit_events(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.audit.models import AuditEvent

    # Recorded by the services above: an event about side A's client and one about B's.
    a = AuditEvent.objects.filter(client_id=c.client.pk).order_by("pk").first()
    b = AuditEvent.objects.filter(client_id=c.outsider_client.pk).order_by("pk").first()
    return _pair(_need(a), _need(b))


def _self_exports(c: Cast) -> tuple[models.Model, models.Model]:
    from kindred.datarights.selfexport import selfexport_request

    # Each side's member asks for their PDF (still queued: the world is built in a
    # transaction that is rolled back, so no worker runs).
    a, _ = selfexport_request(actor=c.member)
    b, _ = selfexport_request(actor=c.outsider)
    return a, b


# Kinds of object the URLs name that the world does not build yet: their rows are asked
# only about a missing object (reported as ``rows_missing_object_only``).
NOT_BUILT: dict[str, str] = {}

BUILDERS: dict[str, Callable[[Cast], tuple[Built, Built]]] = {
    "group": lambda c: (c.group_a, c.group_b),
    "client": lambda c: (c.client, c.outsider_client),
    "clinician": lambda c: (c.clinician, c.clinician_b),
    "staff_user": lambda c: (c.facilitator, c.facilitator_b),
    "session": _sessions,
    "past_session": _past_sessions,
    "enrollment": _enrollments,
    "license": _licenses,
    "journal_entry": _journal,
    "goal": _goals,
    "post": _posts,
    "thread": _threads,
    "notification": _notifications,
    "psychnote": _psychnotes,
    "card": _cards,
    "token": _tokens,
    "invitation": _invitations,
    "invitee": _invitees,
    "location": _location,
    "room": _room,
    "compact": _compact,
    "concern": _concern,
    "availability": _availability,
    "alert": _alerts,
    "preparation_item": _preparation,
    "waitlist_entry": _waitlist,
    "diagnosis": _diagnoses,
    "closure": _closures,
    "session_note": _session_notes,
    "screening": _screenings,
    "referral": _referrals,
    "milestone": _milestones,
    "administration": _administrations,
    "agreement_template": _agreement_templates,
    "agreement_version": _agreement_versions,
    "agreement_signature": _agreement_signatures,
    "conversation": _conversations,
    "direct_message": _direct_messages,
    "fhir_patient": lambda c: (c.client, c.outsider_client),
    "fhir_questionnaire": _fhir_questionnaires,
    "post_report": _post_reports,
    "message_report": _message_reports,
    "questionnaire_schedule": _schedules,
    "mute": _mutes,
    "absence_notice": _absence_notices,
    "member_state": _member_states,
    "privilege": _privileges,
    "directory_slug": _directory_slugs,
    "join_request": _join_requests,
    "waitlist_exclusion": _waitlist_exclusions,
    "matching_run": _matching_runs,
    "matching_line": _matching_lines,
    "support_reply": _support_replies,
    "completed_administration": _completed_administrations,
    "fhir_response": _completed,
    "fhir_observation": _completed,
    "live_session": _live_sessions,
    "breakglass_grant": _breakglass_grants,
    "charge": _charges,
    "invitation_token": _invitation_tokens,
    "calendar_token": _calendar_tokens,
    "audit_event": _audit_events,
    "self_export": _self_exports,
}


def build_world() -> World:
    """The cast and every slot (call inside a transaction that is rolled back)."""
    from kindred.measures.testing import install_builtin_instruments
    from kindred.practice.models import Practice

    world = World(cast=build_cast())
    install_builtin_instruments()
    # Every request of the matrix is rolled back, so a session's "last seen" never moves
    # on; a long idle limit keeps the people signed in for a long run (the idle time-out
    # has its own tests).
    Practice.objects.filter(pk=world.cast.practice.pk).update(
        staff_idle_minutes=720, member_idle_minutes=720
    )
    for name, build in BUILDERS.items():
        world.add(name, build)
    if os.environ.get(TOKENS_ENV) == "1":
        world.bearers = world.make_bearers()
    return world


def soon(days: int = 7) -> date:
    return timezone.localdate() + timedelta(days=days)
