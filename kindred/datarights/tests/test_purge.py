"""Destroying a closed member's record once its retention period has passed
(kindred/datarights/purge.py): a member with data in every app is closed, time moves
past ``retain_until``, an admin purges; afterwards no row in any table points to the
client except the audit log (the tombstone request's link is emptied), another member of
the same group keeps every row, posts and messages stay, the user row is a tombstone,
one audit event holds counts only. Refusals (not closed, too early, legal hold, wrong
confirmation, no right) change nothing; a second purge is a no-op."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from kindred.accounts.models import ApiToken, User
from kindred.audit.models import AuditEvent, Category
from kindred.clients.models import Client
from kindred.core.errors import InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.datarights import closure, purge
from kindred.datarights.models import ClosureRequest, ClosureStatus

pytestmark = pytest.mark.django_db


# --- helpers -----------------------------------------------------------------------------


def client_fks() -> list[tuple[type[Model], str, str]]:
    """Every concrete foreign key to Client in the model registry (M2M tables too)."""
    return [
        (model, f.name, f.attname)
        for model in apps.get_models(include_auto_created=True)
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is Client
    ]


def references(client_id: int, *, apart_from: int | None = None) -> dict[tuple[str, str], int]:
    """Rows in any table that point to ``client_id``, by (model, field); with
    ``apart_from``, not counting rows that also point to that client (a placement
    exclusion between the two goes with either)."""
    fks = client_fks()
    refs: dict[tuple[str, str], int] = {}
    for model, name, attname in fks:
        rows = model._base_manager.filter(**{attname: client_id})
        if apart_from is not None:
            for other_model, _other, other_attname in fks:
                if other_model is model and other_attname != attname:
                    rows = rows.exclude(**{other_attname: apart_from})
        n = rows.count()
        if n:
            refs[(model._meta.label, name)] = n
    return refs


def table_counts() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed
    }


def close(cast: Cast, user: User, posts: str = "anonymize") -> ClosureRequest:
    request = closure.open_request(user) or closure.closure_request(actor=user)
    return closure.closure_confirm(actor=cast.coordinator, request_id=request.pk, posts=posts)


def after_retention(request: ClosureRequest) -> Any:
    assert request.retain_until is not None
    day = request.retain_until + timedelta(days=1)
    moment = timezone.make_aware(datetime(day.year, day.month, day.day, 12, 0))
    return time_machine.travel(moment, tick=True)


# --- the member with data everywhere -----------------------------------------------------


def enrich(c: Cast) -> None:
    """What the authorization world does not build for the member: signed notes with
    addenda, absence entries, a scored questionnaire with its alert, posted charges with
    a correction, a payment, a fee override, a referral, a state attestation, emergency
    access, a library copy of their card, their mark on another card, a strategy card of
    member B."""
    from kindred.billing.models import Charge, ChargeKind, ChargeStatus
    from kindred.billing.services import charges_post, fee_override_create, payment_record
    from kindred.breakglass.services import breakglass_open
    from kindred.groups.models import Enrollment
    from kindred.intake.models import Referral
    from kindred.measures.answering import administration_send, administration_submit
    from kindred.measures.models import Instrument
    from kindred.measures.testing import answers_for
    from kindred.notes import services as note_services
    from kindred.notes.models import GroupNote, MemberNote
    from kindred.notes.testing import after, take_attendance, upcoming
    from kindred.scheduling.models import StateAttestation
    from kindred.strategies.access import get_card_for, get_library_for
    from kindred.strategies.models import Strategy
    from kindred.strategies.services import mark_add, strategy_approve, strategy_share

    session = upcoming(c.group_a)
    take_attendance(session, c.facilitator)
    with after(session):
        note_services.group_note_save(
            actor=c.facilitator, session=session, themes="Sleep and routines."
        )
        for client, text in ((c.client, "Avery: a better week."), (c.client_b, "Blair: steady.")):
            note_services.member_note_save(
                actor=c.facilitator,
                session=session,
                client_id=client.pk,
                sections={"data": text, "assessment": "Improving."},
                plan="Continue weekly.",
            )
        note_services.notes_sign_all(actor=c.facilitator, session=session, names_confirmed=True)
        mine = MemberNote.objects.get(session=session, client=c.client)
        note_services.addendum_add(
            actor=c.facilitator, note=mine, reason="Late detail", text="Called after."
        )
        group_note = GroupNote.objects.get(session=session)
        note_services.addendum_add(
            actor=c.facilitator, note=group_note, reason="Room", text="Started late."
        )
        phq9 = Instrument.objects.get(code="phq9")
        adm = administration_send(
            actor=c.facilitator, group=c.group_a, client=c.client, instrument=phq9
        )
        administration_submit(
            actor=c.member,
            administration=adm,
            version=adm.instrument_version,
            answers=answers_for("phq9", 1),
        )
    StateAttestation.objects.create(session=session, client=c.client, state="IL", allowed=True)
    draft = Charge.objects.filter(client=c.client).first()
    assert draft is not None
    [posted] = charges_post(actor=c.billing, charges=[draft])
    Charge.objects.create(
        client=c.client,
        session=posted.session,
        kind=ChargeKind.ADJUSTMENT,
        status=ChargeStatus.POSTED,
        amount_cents=-posted.amount_cents,
        fee_source=posted.fee_source,
        service_date=posted.service_date,
        corrects=posted,
        posted_at=timezone.now(),
    )
    payment_record(
        actor=c.billing,
        client=c.client,
        amount_cents=1500,
        method="card",
        received_on=timezone.localdate(),
    )
    fee_override_create(
        actor=c.billing,
        enrollment=Enrollment.objects.get(group=c.group_a, client=c.client),
        kind="scholarship",
        fee_cents=None,
        reason="Hardship",
        starts_on=timezone.localdate(),
    )
    Referral.objects.filter(last_name="Referred", first_name="Rowan").update(client=c.client)
    Referral.objects.filter(first_name="Robin").update(
        duplicate_candidates=[c.client.pk, c.outsider_client.pk]
    )
    breakglass_open(
        actor=c.facilitator_b,
        client=c.client,
        reason="Crisis call after hours, no answer.",
        reauthenticated=True,
    )
    from allauth.account.models import EmailAddress

    from kindred.core.testing import enrol_totp
    from kindred.goals.access import get_goal_for
    from kindred.goals.models import Goal
    from kindred.goals.services import checkin_record

    EmailAddress.objects.create(user=c.member, email=c.member.email, verified=True, primary=True)
    enrol_totp(c.member)
    goal = Goal.objects.filter(client=c.client, what="Walk every morning").get()
    checkin_record(actor=c.member, access=get_goal_for(c.member, goal.pk), progress=6, note="Two")
    card = Strategy.objects.get(author=c.member)
    strategy_approve(actor=c.facilitator, card_access=get_card_for(c.facilitator, card.pk))
    Strategy.objects.create(
        title="Breathing",
        what_it_is="In four, out four.",
        when_it_helps="Any time.",
        status="approved",
        created_at=timezone.now(),
        decided_at=timezone.now(),
        promoted_from=card,
    )
    theirs = strategy_share(
        actor=c.member_b,
        access=get_library_for(c.member_b, c.group_a.pk),
        title="A walk",
        what_it_is="Round the block.",
        when_it_helps="After work.",
    )
    strategy_approve(actor=c.facilitator, card_access=get_card_for(c.facilitator, theirs.pk))
    mark_add(actor=c.member, card_access=get_card_for(c.member, theirs.pk), kind="try")


@pytest.fixture
def world() -> Any:
    from kindred.security.authz.world import build_world

    built = build_world()
    assert not built.unbuilt, built.unbuilt
    enrich(built.cast)
    return built


#: Tables the member of the world has rows in (through the client or their user):
#: the purge must empty each of them for this member. Asserted so the world keeps
#: exercising every part of the plan.
EXPECTED_DELETED = {
    "notes.Addendum",
    "notes.MemberNote",
    "psychnotes.PsychotherapyNote",
    "measures.SafetyAlert",
    "measures.Administration",
    "measures.Response",
    "scheduling.Attendance",
    "scheduling.StateAttestation",
    "scheduling.AbsenceNotice",
    "billing.Charge",
    "billing.Payment",
    "billing.Diagnosis",
    "billing.FeeOverride",
    "matching.ProposalLine",
    "intake.Screening",
    "intake.WaitlistEntry",
    "intake.Referral",
    "intake.PlacementExclusion",
    "intake.AgreementSignature",
    "groups.Enrollment",
    "goals.Goal",
    "goals.CheckIn",
    "goals.SupportReply",
    "milestones.Milestone",
    "journal.JournalEntry",
    "strategies.Strategy",
    "strategies.StrategyMark",
    "breakglass.BreakGlassGrant",
    "clients.Client",
    "clients.AvailabilityWindow",
    "account.EmailAddress",
    "mfa.Authenticator",
    "notifications.Notification",
    "scheduling.CalendarFeed",
    "space.DisplayName",
}


def test_every_foreign_key_to_client_is_planned_or_kept() -> None:
    """A model added later with a client foreign key must be in the purge's plan (or
    cascade from the client) or be a kept reference; PROTECT ones must be planned."""
    planned = {(s.model, s.lookup) for s in purge.PLAN if s.on == "client"}
    for model, name, _attname in client_fks():
        label = model._meta.label
        key = (label, name)
        if key in purge.KEPT_CLIENT_REFERENCES or key in planned:
            continue
        on_delete = model._meta.get_field(name).remote_field.on_delete  # type: ignore[union-attr]
        assert getattr(on_delete, "__name__", "") == "CASCADE", (
            f"{label}.{name} is not in purge.PLAN"
        )


def test_purge_destroys_every_row_of_the_member_and_nothing_else(world: Any) -> None:
    from kindred.notes.models import GroupNote, MemberNote
    from kindred.space.models import DirectMessage, Post
    from kindred.strategies.models import Strategy

    c: Cast = world.cast
    user = c.member
    client_id = c.client.pk
    # "keep": display names survive closure; the purge removes them all the same.
    request = close(c, user, posts="keep")
    before_refs = references(client_id)
    assert ("notes.MemberNote", "client") in before_refs
    others = {
        cid: references(cid, apart_from=client_id) for cid in (c.client_b.pk, c.outsider_client.pk)
    }
    posts = Post.objects.filter(author=user).count()
    messages = DirectMessage.objects.filter(sender=user).count()
    assert posts
    assert messages
    group_notes = GroupNote.objects.count()
    tokens = ApiToken.objects.filter(user=user).count()

    with after_retention(request):
        preview = purge.purge_preview(ClosureRequest.objects.get(pk=request.pk))
        assert references(client_id) == before_refs  # the preview rolled back
        events_before = AuditEvent.objects.count()
        done = purge.record_purge(actor=c.admin, request_id=request.pk, confirm=str(request.pk))

    counts = done.outcome["purge"]
    assert counts == preview
    missing = EXPECTED_DELETED - set(counts["deleted"])
    assert not missing, missing
    # Nothing in any table points to the client, except the audit log.
    assert set(references(client_id)) == {("audit.AuditEvent", "client")}
    assert not Client.objects.filter(pk=client_id).exists()
    # The tombstone.
    done.refresh_from_db()
    assert done.client_id is None
    assert done.purged_by == c.admin
    assert done.purged_at
    assert done.status == ClosureStatus.CLOSED
    assert done.reason == ""
    # Other members, their notes and the group's shared things are untouched.
    assert {cid: references(cid, apart_from=client_id) for cid in others} == others
    assert MemberNote.objects.filter(client=c.client_b).count() == 1
    assert GroupNote.objects.count() == group_notes
    assert Post.objects.filter(author=user).count() == posts
    assert DirectMessage.objects.filter(sender=user).count() == messages
    assert ApiToken.objects.filter(user=user).count() == tokens
    library_copy = Strategy.objects.get(title="Breathing")
    assert library_copy.promoted_from_id is None
    assert Strategy.objects.filter(author=c.member_b).count() == 1
    from kindred.intake.models import Referral

    assert Referral.objects.get(first_name="Robin").duplicate_candidates == [c.outsider_client.pk]
    # The user row stays, switched off, without name or e-mail.
    user.refresh_from_db()
    assert not user.is_active
    assert not user.has_usable_password()
    assert user.email == purge.tombstone_email(user.pk)
    assert user.full_name == purge.TOMBSTONE_NAME
    # One audit event, counts only.
    [event] = AuditEvent.objects.filter(pk__gt=0).order_by("-id")[:1]
    assert AuditEvent.objects.count() == events_before + 1
    assert event.action == "datarights.record.purged"
    assert event.category == Category.CHANGE
    assert event.client_id == client_id
    assert event.actor_id == c.admin.pk
    assert event.detail["deleted"] == counts["deleted"]
    assert all(isinstance(v, int) for v in event.detail["deleted"].values())

    # Running it again changes nothing and records nothing.
    rows = table_counts()
    again = purge.record_purge(actor=c.admin, request_id=request.pk)
    assert again.outcome == done.outcome
    assert again.purged_at == done.purged_at
    assert table_counts() == rows


def cast_closed(cast: Cast) -> ClosureRequest:
    return close(cast, cast.member)


def unchanged(cast: Cast) -> tuple[dict[tuple[str, str], int], int]:
    return references(cast.client.pk), AuditEvent.objects.count()


def test_refused_before_retain_until_when_not_closed_and_under_hold(cast: Cast) -> None:
    pending = closure.closure_request(actor=cast.member)
    before = unchanged(cast)
    with pytest.raises(InvalidState, match="closed account"):
        purge.record_purge(actor=cast.admin, request_id=pending.pk)
    assert unchanged(cast) == before

    request = closure.closure_confirm(actor=cast.coordinator, request_id=pending.pk)
    assert request.retain_until is not None
    before = unchanged(cast)
    with pytest.raises(InvalidState, match=request.retain_until.isoformat()):
        purge.record_purge(actor=cast.admin, request_id=request.pk)
    # The last day itself is still too early.
    with pytest.raises(InvalidState, match="must be kept"):
        purge.record_purge(actor=cast.admin, request_id=request.pk, on=request.retain_until)
    assert unchanged(cast) == before

    purge.record_hold(actor=cast.admin, request_id=request.pk, reason="Subpoena 24-117")
    before = unchanged(cast)
    with after_retention(request), pytest.raises(InvalidState, match="legal hold"):
        purge.record_purge(actor=cast.admin, request_id=request.pk)
    assert unchanged(cast) == before
    assert Client.objects.filter(pk=cast.client.pk).exists()


def test_wrong_confirmation_missing_request_and_rights(cast: Cast) -> None:
    request = cast_closed(cast)
    before = unchanged(cast)
    with after_retention(request):
        with pytest.raises(ValidationFailed, match=f"Type the request number, {request.pk}"):
            purge.record_purge(actor=cast.admin, request_id=request.pk, confirm="yes")
        with pytest.raises(NotFound):
            purge.record_purge(actor=cast.admin, request_id="nope")
        with pytest.raises(NotFound):
            purge.record_purge(actor=cast.admin, request_id=987654)
        for who in (cast.coordinator, cast.facilitator, cast.member_b, cast.billing):
            with pytest.raises(NotPermitted):
                purge.record_purge(actor=who, request_id=request.pk)
            with pytest.raises(NotPermitted):
                purge.record_hold(actor=who, request_id=request.pk, reason="x")
            with pytest.raises(NotPermitted):
                purge.due(who)
    assert unchanged(cast) == before


def test_legal_hold_needs_a_reason_blocks_and_lifts(cast: Cast) -> None:
    request = cast_closed(cast)
    for bad in ("", "   ", None, "a" * 501, "x\x00y"):
        with pytest.raises(ValidationFailed):
            purge.record_hold(actor=cast.admin, request_id=request.pk, reason=bad)
    assert AuditEvent.objects.filter(action__startswith="datarights.record.").count() == 0
    held = purge.record_hold(actor=cast.admin, request_id=request.pk, reason="Litigation")
    assert held.held_at
    assert held.held_by == cast.admin
    assert held.hold_reason == "Litigation"
    with pytest.raises(InvalidState, match="already on hold"):
        purge.record_hold(actor=cast.admin, request_id=request.pk, reason="Again")
    event = AuditEvent.objects.get(action="datarights.record.held")
    assert event.client_id == cast.client.pk
    assert "Litigation" not in str(event.detail)

    with after_retention(request):
        run = purge.purge_due(actor=cast.admin)
        assert run.destroyed == []
        assert run.failed == []
        assert [r.pk for r in run.held] == [request.pk]
        assert [r.pk for r in purge.due(cast.admin)] == [request.pk]  # listed, marked held
        lifted = purge.record_release(actor=cast.admin, request_id=request.pk)
        assert lifted.held_at is None
        assert lifted.hold_reason == ""
        with pytest.raises(InvalidState, match="not on hold"):
            purge.record_release(actor=cast.admin, request_id=request.pk)
        run = purge.purge_due(actor=cast.admin)
        assert [r.pk for r in run.destroyed] == [request.pk]
        assert run.held == []
        assert purge.due(cast.admin).count() == 0
    assert AuditEvent.objects.filter(action="datarights.record.hold_lifted").count() == 1
    with pytest.raises(InvalidState, match="already been destroyed"):
        purge.record_hold(actor=cast.admin, request_id=request.pk, reason="Too late")


def test_a_withdrawn_request_cannot_be_held(cast: Cast) -> None:
    closure.closure_request(actor=cast.member)
    withdrawn = closure.closure_withdraw(actor=cast.member)
    with pytest.raises(InvalidState):
        purge.record_hold(actor=cast.admin, request_id=withdrawn.pk, reason="Why")


def test_due_lists_only_closed_past_and_not_destroyed(cast: Cast) -> None:
    first = cast_closed(cast)
    second = close(cast, cast.member_b)
    assert first.retain_until is not None
    day = first.retain_until + timedelta(days=1)
    assert list(purge.due(cast.admin, on=first.retain_until)) == []
    assert {r.pk for r in purge.due(cast.admin, on=day)} == {first.pk, second.pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_the_triggers_still_refuse_outside_a_purge(cast: Cast) -> None:
    """The bypass is the purge's alone: a signed note cannot be deleted otherwise, and
    the setting is empty again after a purge."""
    from django.db import DatabaseError

    from kindred.notes import services as note_services
    from kindred.notes.models import MemberNote
    from kindred.notes.testing import after, take_attendance, upcoming

    session = upcoming(cast.group_a)
    take_attendance(session, cast.facilitator)
    with after(session):
        note_services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.client_b.pk,
            sections={"data": "Steady."},
            plan="Continue.",
        )
        note_services.notes_sign_all(actor=cast.facilitator, session=session, names_confirmed=True)
    request = cast_closed(cast)
    with after_retention(request):
        purge.record_purge(actor=cast.admin, request_id=request.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('kindred.purge', true)")
        assert cursor.fetchone()[0] in (None, "")
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        MemberNote._base_manager.filter(client=cast.client_b).delete()


def test_a_failed_purge_changes_nothing(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row the plan does not know that PROTECTs the client stops the purge: refused
    with the table named, every delete before it rolled back."""
    from kindred.billing.models import Diagnosis
    from kindred.billing.services import diagnosis_add

    diagnosis_add(
        actor=cast.admin,
        client=cast.client,
        code="F41.1",
        description="GAD",
        starts_on=date(2026, 1, 5),
    )
    plan = tuple(s for s in purge.PLAN if s.model != "billing.Diagnosis")
    monkeypatch.setattr(purge, "PLAN", plan)
    request = cast_closed(cast)
    before = unchanged(cast)
    with after_retention(request), pytest.raises(InvalidState, match=r"billing\.Diagnosis"):
        purge.record_purge(actor=cast.admin, request_id=request.pk)
    assert unchanged(cast) == before
    assert Diagnosis.objects.filter(client=cast.client).count() == 1
    request.refresh_from_db()
    assert request.purged_at is None
    assert request.client_id == cast.client.pk


# --- the command -------------------------------------------------------------------------


def run_command(*args: str) -> tuple[int, str, str]:
    from io import StringIO

    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("purge_expired_records", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_command_dry_run_lists_and_changes_nothing(cast: Cast) -> None:
    from django.core.management.base import CommandError

    request = cast_closed(cast)
    held = close(cast, cast.member_b)
    purge.record_hold(actor=cast.admin, request_id=held.pk, reason="Audit by the state board")
    code, out, _err = run_command()
    assert code == 0
    assert "No record is due" in out
    before = table_counts()
    with after_retention(request):
        code, out, _err = run_command("--dry-run")
    assert code == 0
    assert f"request {request.pk}  client {cast.client.pk}" in out
    assert "clients.Client: 1" in out
    assert "groups.Enrollment: 1" in out
    assert f"request {held.pk}  client {cast.client_b.pk}" in out
    assert "ON LEGAL HOLD" in out
    assert "Would destroy 1 record(s)" in out
    assert "Avery" not in out  # ids, never names
    assert table_counts() == before
    for bad in (("--confirm",), ("--confirm", "--admin", cast.coordinator.email)):
        with pytest.raises(CommandError):
            run_command(*bad)
    with pytest.raises(CommandError, match="--batch"):
        run_command("--batch", "0")
    assert table_counts() == before


def test_command_confirm_destroys_due_records_in_batches(cast: Cast) -> None:
    first = cast_closed(cast)
    second = close(cast, cast.member_b)
    third = close(cast, cast.outsider)
    purge.record_hold(actor=cast.admin, request_id=third.pk, reason="Pending complaint")
    with after_retention(first):
        code, out, err = run_command("--confirm", "--admin", cast.admin.email, "--batch", "1")
        assert code == 0, err
        assert f"request {first.pk}: destroyed" in out
        assert f"request {second.pk}: destroyed" in out
        assert f"request {third.pk}: on legal hold, kept" in out
        assert "Destroyed 2 record(s); 1 on legal hold; 0 failed." in out
        assert not Client.objects.filter(pk__in=[cast.client.pk, cast.client_b.pk]).exists()
        assert Client.objects.filter(pk=cast.outsider_client.pk).exists()
        assert AuditEvent.objects.filter(action="datarights.record.purged").count() == 2
        # Again: nothing left to do but the held one.
        code, out, _err = run_command("--confirm", "--admin", cast.admin.email)
        assert code == 0
        assert "Destroyed 0 record(s); 1 on legal hold" in out


def test_command_exit_code_3_when_a_record_fails(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kindred.billing.services import diagnosis_add

    diagnosis_add(
        actor=cast.admin,
        client=cast.client,
        code="F41.1",
        description="GAD",
        starts_on=date(2026, 1, 5),
    )
    monkeypatch.setattr(
        purge, "PLAN", tuple(s for s in purge.PLAN if s.model != "billing.Diagnosis")
    )
    first = cast_closed(cast)
    second = close(cast, cast.member_b)
    with after_retention(first):
        code, out, err = run_command("--confirm", "--admin", cast.admin.email)
    assert code == purge_command_exit_failed()
    assert f"request {first.pk}: NOT destroyed" in err
    assert "billing.Diagnosis" in err
    assert f"request {second.pk}: destroyed" in out
    assert Client.objects.filter(pk=cast.client.pk).exists()


def purge_command_exit_failed() -> int:
    from kindred.datarights.management.commands.purge_expired_records import EXIT_FAILED

    return EXIT_FAILED


def test_the_members_sign_in_records_go_and_others_stay(cast: Cast) -> None:
    from axes.models import AccessAttempt, AccessFailureLog

    from kindred.accounts.tests.flows import new_browser, post_password

    wrong = "this is not the password at all"
    for email in (cast.member.email, cast.member_b.email):
        post_password(new_browser("10.0.0.9"), email, wrong)
    mine, theirs = cast.member.email.lower(), cast.member_b.email.lower()
    assert AccessFailureLog.objects.filter(username=mine).exists()
    assert AccessAttempt.objects.filter(username=mine).exists()
    request = close(cast, cast.member)
    with after_retention(request):
        done = purge.record_purge(actor=cast.admin, request_id=request.pk, confirm=str(request.pk))
    assert not AccessFailureLog.objects.filter(username=mine).exists()
    assert not AccessAttempt.objects.filter(username=mine).exists()
    assert AccessFailureLog.objects.filter(username=theirs).exists()
    assert AccessAttempt.objects.filter(username=theirs).exists()
    assert done.outcome["purge"]["deleted"]["axes.AccessFailureLog"] >= 1
