"""seed_scale's notes and billing: signed notes for most past sessions (a few left
unsigned or waiting for a co-signature), absence entries for those not there, charges
made by the billing rule from the attendance, payments, diagnoses; deterministic."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.db.utils import DatabaseError
from django.utils import timezone

from kindred.accounts.models import RoleGrant
from kindred.billing.models import Charge, ChargeKind, ChargeStatus, Diagnosis, Payment
from kindred.billing.services import balance_cents, charges_create_for_session
from kindred.core.seeding.billing import seed_scale_billing
from kindred.core.seeding.notes import seed_scale_notes
from kindred.groups.models import Enrollment
from kindred.notes.models import AbsenceEntry, GroupNote, MemberNote, NoteStatus
from kindred.notes.selectors import unsigned_sessions
from kindred.practice.models import ClinicianProfile
from kindred.practice.roles import Role
from kindred.scheduling.models import ATTENDED_STATUSES, Attendance, GroupSession


@pytest.fixture
def scale(db: None) -> str:
    out = StringIO()
    call_command("seed_scale", clients=300, batch_size=500, stdout=out)
    return out.getvalue()


def _held_sessions() -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(attendance_taken_at__isnull=False).select_related("group")
    )


def test_most_past_sessions_have_signed_notes_and_the_rest_are_recent(scale):
    assert "notes" in scale
    held = _held_sessions()
    notes = {n.session_id: n for n in GroupNote.objects.all()}
    signed = [s for s in held if s.pk in notes and notes[s.pk].is_signed]
    assert len(signed) / len(held) > 0.9
    now = timezone.now()
    for session in held:
        note = notes.get(session.pk)
        if note is None or not note.is_signed:
            assert session.ends_at >= now - timedelta(days=14), session
        if note is not None and note.is_signed:
            assert note.signed_at is not None
            assert note.signed_at >= session.ends_at
            assert note.text_sha256 == note.content_hash()
    drafts = [n for n in notes.values() if n.status == NoteStatus.DRAFT]
    assert not any(n.text_sha256 or n.signed_at for n in drafts)


def test_member_notes_for_those_there_and_absences_for_the_others(scale):
    attendance = {
        (a.session_id, a.client_id): a.status for a in Attendance.objects.all().only("status")
    }
    members = list(MemberNote.objects.select_related("session__group"))
    assert len(members) > 300
    for note in members[:2000]:
        assert attendance[(note.session_id, note.client_id)] in ATTENDED_STATUSES
        assert note.facts["attendance"]["status"] == attendance[(note.session_id, note.client_id)]
        assert set(note.sections) == {"data", "assessment"}  # the default format, DAP
        lead = note.session.group.lead_facilitator_id
        assert note.author_id == ClinicianProfile.objects.get(pk=lead).user_id
    by_group = {n.pk: n for n in GroupNote.objects.exclude(status=NoteStatus.DRAFT)}
    absences = list(AbsenceEntry.objects.all())
    assert absences
    for entry in absences:
        group_note = by_group[entry.group_note_id]
        assert attendance[(group_note.session_id, entry.client_id)] not in ATTENDED_STATUSES
    # Every signed session's attendance is covered: a note or an absence entry each.
    for group_note in list(by_group.values())[:200]:
        rows = {c for (s, c) in attendance if s == group_note.session_id}
        written = set(
            MemberNote.objects.filter(session_id=group_note.session_id).values_list(
                "client_id", flat=True
            )
        ) | set(group_note.absences.values_list("client_id", flat=True))
        assert written == rows


def test_supervisees_notes_are_cosigned_and_some_of_last_week_wait(scale):
    statuses = Counter(GroupNote.objects.values_list("status", flat=True))
    assert statuses[NoteStatus.COSIGNED] > 0
    waiting = GroupNote.objects.filter(status=NoteStatus.SIGNED, needs_cosign=True)
    assert waiting.exists()
    week_ago = timezone.now() - timedelta(days=7)
    assert not waiting.filter(session__ends_at__lt=week_ago).exists()
    for note in GroupNote.objects.filter(status=NoteStatus.COSIGNED).select_related("author")[:50]:
        supervisor = note.author.clinician.supervisor
        assert supervisor is not None
        assert note.cosigned_by_id == supervisor.user_id
        assert note.cosigned_at is not None
        assert note.signed_at is not None
        assert note.cosigned_at >= note.signed_at
    assert not GroupNote.objects.filter(
        needs_cosign=True, author__clinician__supervisor__isnull=True
    ).exists()


def test_the_unsigned_dashboard_has_recent_work(scale):
    from kindred.accounts.models import User

    admin = User.objects.filter(email__startswith="admin1@").get()
    unsigned = unsigned_sessions(admin, timezone.now())
    assert unsigned.filter(attendance_taken_at__isnull=False).exists()
    assert GroupNote.objects.filter(status=NoteStatus.DRAFT).exists()


def test_signed_notes_refuse_updates_in_the_database(scale):
    note = GroupNote.objects.exclude(status=NoteStatus.DRAFT).first()
    assert note is not None
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE notes_groupnote SET themes = 'changed' WHERE id = %s", [note.pk])


def test_charges_are_what_the_billing_rule_makes(scale):
    charges = Charge.objects.all()
    assert charges.count() > 300
    assert not Charge.objects.filter(kind=ChargeKind.ADJUSTMENT).exists()
    week_ago = (timezone.now() - timedelta(days=8)).date()
    assert not charges.filter(status=ChargeStatus.DRAFT, service_date__lt=week_ago).exists()
    assert charges.filter(status=ChargeStatus.POSTED).exists()
    # The service, run again on a seeded session, finds nothing to change.
    for session in _held_sessions()[:40]:
        if GroupSession.objects.filter(pk=session.pk, charges__isnull=False).exists():
            run = charges_create_for_session(actor=None, session=session)
            assert not run.changed, session
    kinds = Counter(charges.values_list("kind", flat=True))
    assert kinds[ChargeKind.SESSION] > kinds[ChargeKind.NO_SHOW] > 0


def test_diagnoses_and_payments(scale):
    placed = set(
        Enrollment.objects.filter(activated_at__isnull=False).values_list("client_id", flat=True)
    )
    primary = Diagnosis.objects.filter(is_primary=True)
    assert set(primary.values_list("client_id", flat=True)) == placed
    assert Diagnosis.objects.filter(is_primary=False).exists()
    payments = Payment.objects.all()
    assert payments.exists()
    assert not payments.filter(received_on__gt=timezone.localdate()).exists()
    posted = Charge.objects.filter(status=ChargeStatus.POSTED).aggregate(s=Sum("amount_cents"))
    paid = payments.aggregate(s=Sum("amount_cents"))
    assert 0 < paid["s"] < posted["s"]
    payer = payments.first()
    assert payer is not None
    assert balance_cents(payer.client_id) >= 0


def _wipe(*tables: str) -> None:
    """Empty these tables inside the test's transaction (rolled back afterwards). On
    PostgreSQL the immutability triggers are switched off first, in the same
    transaction; SQLite's triggers only refuse UPDATE."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Run the deferred foreign-key checks now: ALTER TABLE refuses a table with
            # pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names


def test_notes_and_billing_are_deterministic(scale):
    def notes() -> list[tuple[object, ...]]:
        return [
            *GroupNote.objects.order_by("session_id").values_list(
                "session_id", "status", "themes", "signed_at", "cosigned_at"
            ),
            *MemberNote.objects.order_by("session_id", "client_id").values_list(
                "session_id", "client_id", "status", "sections", "text_sha256"
            ),
            *AbsenceEntry.objects.order_by("client_id", "created_at").values_list(
                "client_id", "status", "created_at"
            ),
        ]

    def billing() -> list[tuple[object, ...]]:
        return [
            *Charge.objects.order_by("session_id", "client_id").values_list(
                "session_id", "client_id", "kind", "status", "amount_cents", "fee_source"
            ),
            *Payment.objects.order_by("client_id", "received_on").values_list(
                "client_id", "amount_cents", "received_on"
            ),
            *Diagnosis.objects.order_by("client_id", "code").values_list("client_id", "code"),
        ]

    tables = (
        "notes_absenceentry",
        "notes_membernote",
        "notes_groupnote",
        "billing_payment",
        "billing_charge",
        "billing_diagnosis",
        "billing_feeoverride",
    )
    groups = list(GroupSession.objects.values_list("group_id", flat=True).distinct())
    billing_ids = list(
        RoleGrant.objects.filter(role=Role.BILLING)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    now = timezone.now()
    runs = []
    for batch_size in (100, 700):
        _wipe(*tables)
        seed_scale_notes(groups, now=now, seed=2026, batch_size=batch_size)
        seed_scale_billing(groups, billing_ids=billing_ids, now=now, seed=2026)
        runs.append((notes(), billing()))
    assert runs[0] == runs[1]
    assert len(runs[0][0]) > 300
