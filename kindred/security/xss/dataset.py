"""The data the payloads go into: the demo practice (``seed_demo``: staff in every role,
clients, groups with sessions, notes, measures, billing, agreements, the group space,
goals, strategies, journals, milestones...) plus rows of the models it leaves empty
(psychotherapy notes, break-glass grants, direct messages, reports, mutes, closure
requests...), written with the ORM: the test is about output, and each row only needs to
be a plausible one for the pages that show it. Every covered field must have at least
one row to hold its payloads (run.py fails when one has none), so a new model with free
text needs a maker here.

Also here: who the crawl signs in as, where it starts, and how each e-mail and PDF is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import IntegrityError, models, transaction
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone

from kindred.accounts.models import User, UserKind
from kindred.clients.models import Client
from kindred.core.seeding import demo
from kindred.core.testing import enrol_totp
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.scheduling.models import GroupSession

STAFF_ROLES = ("admin", "coordinator", "facilitator", "facilitator2", "supervisor", "billing")
ALL_ROLES = (*STAFF_ROLES, "member", "member2", "visitor")
QUICK_ROLES = ("admin", "coordinator", "facilitator", "billing", "member", "visitor")
STARTS = [
    "/",
    "/home/",
    "/find-a-group/",
    "/help/",
    "/refer/",
    "/notifications/",
    "/account/",
    # A member's own places (also linked from the home page; listed so that a home page
    # that fails does not hide them). Staff get 403 or 404 here, cheaply.
    "/my/sessions/",
    "/goals/",
    "/journal/",
    "/strategies/",
    "/milestones/",
    "/my/progress/",
]
AUTH_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


@dataclass
class People:
    users: dict[str, User] = field(default_factory=dict)
    member_clients: dict[str, Client] = field(default_factory=dict)
    group: TherapyGroup | None = None
    sign_in_email: str = ""  # the member's address as allauth knows it (before payloads)
    _http: dict[str, HttpClient] = field(default_factory=dict)

    def client_for(self, role: str) -> HttpClient:
        if role not in self._http:
            http = HttpClient()
            user = self.users.get(role)
            if user is not None:
                http.force_login(user, backend=AUTH_BACKEND)
            self._http[role] = http
        return self._http[role]

    @property
    def member(self) -> User:
        return self.users["member"]

    @property
    def client(self) -> Client:
        return self.member_clients["member"]

    @property
    def facilitator(self) -> User:
        return self.users["facilitator"]

    @property
    def admin(self) -> User:
        return self.users["admin"]

    @property
    def the_group(self) -> TherapyGroup:
        if self.group is None:
            raise LookupError("the member has no group")
        return self.group

    def session(self) -> GroupSession:
        sessions = GroupSession.objects.filter(group=self.group).order_by("starts_at")
        past = sessions.filter(starts_at__lt=timezone.now()).last()
        found = past or sessions.first()
        if found is None:
            raise LookupError("the member's group has no session")
        return found


def _people() -> People:
    people = People()
    for role in STAFF_ROLES:
        user = User.objects.get(email=demo.demo_email(role))
        enrol_totp(user)
        people.users[role] = user
    members = (
        Client.objects.filter(
            user__isnull=False, user__kind=UserKind.MEMBER, enrollments__status="active"
        )
        .distinct()
        .order_by("pk")
    )
    for role, client in zip(("member", "member2"), members[:2], strict=False):
        if client.user is not None:
            people.users[role] = client.user
            people.member_clients[role] = client
    people.sign_in_email = people.member.email
    enrollment = Enrollment.objects.filter(client=people.client, status="active").first()
    people.group = enrollment.group if enrollment is not None else None
    return people


# --- Rows the demo does not make --------------------------------------------------------


def _now() -> Any:
    return timezone.now()


def _make_rows(people: People) -> dict[str, Callable[[], object]]:
    """One maker per model label; each writes one plausible row (fields get payloads
    later)."""
    from kindred.accounts.models import ApiToken
    from kindred.breakglass.models import BreakGlassGrant
    from kindred.clients.models import ClientStatusChange
    from kindred.datarights.models import ClosureRequest
    from kindred.groups.models import JoinRequest
    from kindred.notifications.models import Notification
    from kindred.psychnotes.models import PsychotherapyNote
    from kindred.scheduling.models import AbsenceNotice, StateAttestation
    from kindred.space.models import (
        Conversation,
        DirectMessage,
        MessageReport,
        Mute,
        Post,
        Report,
        Space,
    )

    member, member2 = people.member, people.users.get("member2", people.member)
    client, facilitator, group = people.client, people.facilitator, people.the_group
    now = _now()

    def space() -> Space:
        found = Space.objects.filter(group=group).first()
        if found is None:
            raise LookupError("the member's group has no space")
        return found

    def conversation() -> Conversation:
        low, high = sorted((member, member2), key=lambda u: u.pk)
        found, _ = Conversation.objects.get_or_create(
            space=space(),
            member_low=low,
            member_high=high,
            defaults={"created_at": now, "last_message_at": now},
        )
        return found

    def direct_message() -> DirectMessage:
        return DirectMessage.objects.create(
            conversation=conversation(), sender=member, body="hello", created_at=now
        )

    def agreement_draft() -> object:
        from kindred.intake.models import AgreementDraft, AgreementTemplate

        template = AgreementTemplate.objects.exclude(draft__isnull=False).first()
        if template is None:
            raise LookupError("no agreement template without a draft")
        return AgreementDraft.objects.create(
            template=template, body="body", summary_of_changes="what", updated_by=people.admin
        )

    def proposal_line() -> object:
        from kindred.intake.models import WaitlistEntry
        from kindred.matching.models import MatchRun, ProposalLine

        entry = WaitlistEntry.objects.select_related("client").first()
        if entry is None:
            raise LookupError("no waitlist entry")
        run = MatchRun.objects.create(started_by=people.users["coordinator"], started_at=now)
        return ProposalLine.objects.create(
            run=run, position=1, entry=entry, client=entry.client, group=group
        )

    def addendum() -> object:
        from kindred.notes.models import Addendum, GroupNote

        note = GroupNote.objects.exclude(status="draft").first()
        if note is None:
            raise LookupError("no signed group note")
        return Addendum.objects.create(
            group_note=note, author=note.author, reason="why", text="text", created_at=now
        )

    def reminder() -> object:
        from kindred.scheduling.models import Reminder

        session = GroupSession.objects.filter(group=group).order_by("-starts_at").first()
        if session is None:
            raise LookupError("no session")
        return Reminder.objects.create(
            session=session,
            user=member,
            channel="email",
            minutes_before=1440,
            due_at=session.starts_at - timedelta(days=1),
            status="failed",
            last_error="error",
        )

    def a_post() -> Post:
        post = Post.objects.filter(space=space()).exclude(author=member).first()
        if post is None:
            raise LookupError("no post by another member")
        return post

    return {
        "intake.AgreementDraft": agreement_draft,
        "matching.ProposalLine": proposal_line,
        "notes.Addendum": addendum,
        "scheduling.Reminder": reminder,
        "accounts.ApiToken": lambda: ApiToken.objects.create(
            user=people.admin, name="token", prefix="kxss0001", token_hash="0" * 64
        ),
        "breakglass.BreakGlassGrant": lambda: BreakGlassGrant.objects.create(
            user=people.users["facilitator2"],
            client=client,
            reason="reason",
            opened_at=now,
            expires_at=now + timedelta(minutes=60),
        ),
        "clients.ClientStatusChange": lambda: ClientStatusChange.objects.create(
            client=client, status=client.status, reason="reason", changed_by=people.admin
        ),
        "datarights.ClosureRequest": lambda: ClosureRequest.objects.create(
            user=member, client=client, reason="reason", requested_at=now
        ),
        "groups.JoinRequest": lambda: JoinRequest.objects.create(
            group=group, name="name", email="join@example.test", state="IL"
        ),
        "notifications.Notification": lambda: [
            Notification.objects.create(user=user, kind="xss", title="title", body="body")
            for user in people.users.values()
        ],
        "psychnotes.PsychotherapyNote": lambda: PsychotherapyNote(
            author=facilitator, client=client, title="title", body="body"
        ).save(),
        "scheduling.AbsenceNotice": lambda: AbsenceNotice.objects.create(
            session=people.session(), client=client, note="note"
        ),
        "scheduling.StateAttestation": lambda: StateAttestation.objects.create(
            session=people.session(), client=client, state="IL", allowed=True, reason="reason"
        ),
        "space.DirectMessage": direct_message,
        "space.MessageReport": lambda: MessageReport.objects.create(
            message=direct_message(), reporter=member2, reason="other", note="n", created_at=now
        ),
        "space.Mute": lambda: Mute.objects.create(
            space=space(),
            user=member2,
            until=now + timedelta(days=1),
            reason="reason",
            created_at=now,
            created_by=facilitator,
        ),
        "space.Report": lambda: Report.objects.create(
            post=a_post(), reporter=member, reason="other", note="note", created_at=now
        ),
    }


def _first_update(model: type[models.Model], **changes: Any) -> int:
    """Change the first row; 0 when there is none or the database refuses the state."""
    first = model._base_manager.order_by("pk").values_list("pk", flat=True).first()
    if first is None:
        return 0
    try:
        with transaction.atomic():
            return model._base_manager.filter(pk=first).update(**changes)
    except IntegrityError:
        return 0


def vary_states(people: People) -> int:
    """One row in each state that shows more text (a cancelled session shows its reason, a
    hidden post its moderation reason, a declined strategy its reason...; reports stay
    open, as the moderation queue shows open ones with their notes): text shown
    only in a state the demo never reaches would go unread. Returns the rows changed."""
    from kindred.breakglass.models import BreakGlassGrant
    from kindred.goals.models import SupportReply
    from kindred.measures.models import SafetyAlert
    from kindred.milestones.models import Milestone
    from kindred.space.models import DirectMessage, Post, Space
    from kindred.strategies.models import Strategy

    now, staff, group = _now(), people.facilitator, people.the_group
    past = GroupSession.objects.filter(group=group, starts_at__lt=now).order_by("-starts_at")
    last = past.values_list("pk", flat=True).first()
    changed = 0 if last is None else past.filter(pk=last).update(status="cancelled")
    moderated = {"status": "hidden", "moderated_at": now, "moderated_by": staff}
    changed += _first_update(Post, **moderated)
    changed += _first_update(DirectMessage, **moderated)
    changed += _first_update(Strategy, status="declined", decided_at=now)
    changed += _first_update(SupportReply, status="hidden", hidden_at=now, hidden_by=staff)
    changed += _first_update(Milestone, state="shared", shared_at=now)
    changed += _first_update(
        SafetyAlert, status="acknowledged", acknowledged_at=now, acknowledged_by=staff
    )
    changed += _first_update(
        BreakGlassGrant, acknowledged_at=now, acknowledged_by=people.admin, ended_at=now
    )
    other = Space.objects.exclude(group=group).values_list("pk", flat=True).first()
    if other is not None:
        changed += Space.objects.filter(pk=other).update(paused=True, paused_at=now)
    return changed


@dataclass
class Built:
    made: list[str]
    empty: list[str]


def make_missing(people: People, labels: set[str]) -> Built:
    """A row for each model in ``labels`` that has none, where a maker exists."""
    from django.apps import apps

    makers = _make_rows(people)
    built = Built(made=[], empty=[])
    for label in sorted(labels):
        model: type[models.Model] = apps.get_model(label)
        if model._base_manager.exists():
            continue
        if label in makers:
            makers[label]()
            built.made.append(label)
        if not model._base_manager.exists():
            built.empty.append(label)
    return built


def build(labels: set[str]) -> tuple[People, Built]:
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    people = _people()
    built = make_missing(people, labels)
    vary_states(people)
    return people, built
