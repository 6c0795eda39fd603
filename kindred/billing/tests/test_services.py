from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from kindred.audit.models import AuditEvent
from kindred.billing import services
from kindred.billing.models import (
    Charge,
    ChargeKind,
    ChargeStatus,
    Diagnosis,
    FeeOverrideKind,
    FeeSource,
    PlaceOfService,
)
from kindred.billing.testing import past_session, take_attendance
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment
from kindred.scheduling.models import AbsenceNotice, AttendanceStatus

pytestmark = pytest.mark.django_db


def _fee(group, cents: int) -> None:
    group.fee_cents = cents
    group.save(update_fields=["fee_cents"])


def _policy(cast, actor=None, **kw) -> None:
    values: dict[str, Any] = {
        "no_show_fee_cents": None,
        "late_cancel_fee_cents": None,
        "late_cancel_hours": 24,
        "individual_fee_cents": 15000,
        "modifier_95_for_virtual": False,
    }
    values.update(kw)
    services.billing_settings_update(actor=actor or cast.billing, **values)


@pytest.fixture
def session(cast):
    _fee(cast.group_a, 4000)
    s = past_session(cast.group_a)
    take_attendance(s, cast.facilitator)
    return s


# --- Settings and fees ----------------------------------------------------------------


def test_negative_fee_is_refused_with_its_field_and_nothing_changes(cast):
    _policy(cast, no_show_fee_cents=2500)
    for name in ("no_show_fee_cents", "late_cancel_fee_cents", "individual_fee_cents"):
        values: dict[str, Any] = {
            "no_show_fee_cents": 2500,
            "late_cancel_fee_cents": None,
            "late_cancel_hours": 24,
            "individual_fee_cents": None,
            "modifier_95_for_virtual": False,
        }
        values[name] = -100
        with pytest.raises(ValidationFailed) as err:
            services.billing_settings_update(actor=cast.billing, **values)
        assert err.value.field == name
        assert "cannot be negative" in err.value.message
    assert services.billing_settings().no_show_fee_cents == 2500


def test_negative_sliding_scale_fee_is_refused(cast):
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    with pytest.raises(ValidationFailed) as err:
        services.fee_override_create(
            actor=cast.billing,
            enrollment=enrollment,
            kind=FeeOverrideKind.SLIDING_SCALE,
            fee_cents=-1,
            reason="Income",
            starts_on=date(2026, 1, 1),
        )
    assert err.value.field == "fee_cents"
    assert "cannot be negative" in err.value.message
    assert not enrollment.fee_overrides.exists()


def test_only_billing_and_admins_change_settings(cast):
    for who in (cast.coordinator, cast.facilitator, cast.supervisor, cast.member):
        with pytest.raises(NotPermitted):
            _policy(cast, who)
    _policy(cast, cast.admin, no_show_fee_cents=1)
    assert services.billing_settings().no_show_fee_cents == 1


def test_settings_change_is_audited_with_field_names_only(cast):
    _policy(cast, no_show_fee_cents=2500, late_cancel_hours=48)
    event = AuditEvent.objects.get(action="billing.settings.changed")
    assert event.actor == cast.billing
    assert "no_show_fee_cents" in event.detail["fields"]
    assert "2500" not in str(event.detail)


def test_overlapping_overrides_are_refused_and_scholarship_is_free(cast):
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    services.fee_override_create(
        actor=cast.billing,
        enrollment=enrollment,
        kind=FeeOverrideKind.SCHOLARSHIP,
        fee_cents=None,
        reason="Scholarship fund",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 30),
    )
    with pytest.raises(ValidationFailed) as err:
        services.fee_override_create(
            actor=cast.billing,
            enrollment=enrollment,
            kind=FeeOverrideKind.SLIDING_SCALE,
            fee_cents=2000,
            reason="Income",
            starts_on=date(2026, 6, 1),
        )
    assert err.value.field == "starts_on"
    with pytest.raises(ValidationFailed) as err:
        services.fee_override_create(
            actor=cast.billing,
            enrollment=enrollment,
            kind=FeeOverrideKind.SCHOLARSHIP,
            fee_cents=500,
            reason="x",
            starts_on=date(2026, 7, 1),
        )
    assert err.value.field == "fee_cents"


# --- Diagnoses ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["F41.1", "F33.0", "Z63.0", "f41.1", "F411", "S72.001A", "F32"])
def test_well_formed_icd10_codes_are_kept(cast, code):
    d = services.diagnosis_add(
        actor=cast.facilitator,
        client=cast.client,
        code=code,
        description="Synthetic",
        starts_on=date(2026, 1, 5),
    )
    assert d.code == code.upper() if "." in code or len(code) == 3 else d.code == "F41.1"


@pytest.mark.parametrize(
    "code", ["F4", "41.1", "F41.12345", "F41.", "FF1.1", "F4-1", "", "F41 1", "F41..1", "1F4"]
)
def test_malformed_icd10_code_is_refused_and_nothing_saved(cast, code):
    with pytest.raises(ValidationFailed) as err:
        services.diagnosis_add(
            actor=cast.facilitator,
            client=cast.client,
            code=code,
            description="Synthetic",
            starts_on=date(2026, 1, 5),
        )
    assert err.value.field == "code"
    assert "not a well-formed ICD-10 code" in err.value.message
    assert not Diagnosis.objects.exists()


def test_database_refuses_malformed_code_too(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Diagnosis.objects.create(
            client=cast.client, code="41.1", description="x", starts_on=date(2026, 1, 1)
        )


def test_who_may_edit_diagnoses(cast):
    kw = {
        "client": cast.client,
        "code": "F41.1",
        "description": "GAD",
        "starts_on": date(2026, 1, 5),
    }
    for who in (cast.coordinator, cast.billing, cast.facilitator_b, cast.member):
        with pytest.raises(NotPermitted):
            services.diagnosis_add(actor=who, **kw)
    for who in (cast.facilitator, cast.supervisor, cast.admin):
        services.diagnosis_add(actor=who, **kw)
    assert Diagnosis.objects.filter(client=cast.client).count() == 3
    assert (
        AuditEvent.objects.filter(
            action="billing.diagnosis.added", client_id=cast.client.pk
        ).count()
        == 3
    )


def test_a_new_current_primary_replaces_the_old_one(cast):
    first = services.diagnosis_add(
        actor=cast.facilitator,
        client=cast.client,
        code="F41.1",
        description="GAD",
        starts_on=date(2026, 1, 5),
        is_primary=True,
    )
    services.diagnosis_add(
        actor=cast.facilitator,
        client=cast.client,
        code="F33.0",
        description="MDD, recurrent, mild",
        starts_on=date(2026, 2, 5),
        is_primary=True,
    )
    first.refresh_from_db()
    assert not first.is_primary
    assert Diagnosis.objects.filter(client=cast.client, is_primary=True).count() == 1


# --- Charges --------------------------------------------------------------------------------


def test_charges_from_attendance(cast):
    _fee(cast.group_a, 4000)
    _policy(cast, no_show_fee_cents=2500, late_cancel_fee_cents=1500, late_cancel_hours=24)
    s = past_session(cast.group_a)
    take_attendance(s, cast.facilitator, {cast.client_b: AttendanceStatus.NO_SHOW})
    run = services.charges_create_for_session(actor=cast.billing, session=s)
    assert len(run.created) == 2
    mine = Charge.objects.get(session=s, client=cast.client)
    assert (mine.kind, mine.amount_cents, mine.fee_source) == (
        ChargeKind.SESSION,
        4000,
        FeeSource.GROUP,
    )
    assert mine.cpt_code == "90853"
    assert mine.place_of_service == PlaceOfService.TELEHEALTH_HOME
    assert mine.place_assumed
    assert "assumed" in mine.note
    no_show = Charge.objects.get(session=s, client=cast.client_b)
    assert (no_show.kind, no_show.amount_cents) == (ChargeKind.NO_SHOW, 2500)
    assert no_show.cpt_code == ""
    assert mine.status == ChargeStatus.DRAFT


def test_late_notice_is_charged_timely_notice_is_not(cast):
    _fee(cast.group_a, 4000)
    _policy(cast, late_cancel_fee_cents=1500, late_cancel_hours=24)
    s = past_session(cast.group_a)
    take_attendance(
        s,
        cast.facilitator,
        {
            cast.client: AttendanceStatus.ABSENT_NOTICE,
            cast.client_b: AttendanceStatus.ABSENT_NOTICE,
        },
    )
    AbsenceNotice.objects.create(session=s, client=cast.client)
    AbsenceNotice.objects.create(session=s, client=cast.client_b)
    AbsenceNotice.objects.filter(client=cast.client).update(
        created_at=s.starts_at - timedelta(hours=3)
    )
    AbsenceNotice.objects.filter(client=cast.client_b).update(
        created_at=s.starts_at - timedelta(hours=30)
    )
    services.charges_create_for_session(actor=cast.billing, session=s)
    late = Charge.objects.get(session=s)
    assert (late.client, late.kind, late.amount_cents) == (
        cast.client,
        ChargeKind.LATE_CANCEL,
        1500,
    )


def test_practice_cancellation_and_unset_fees_charge_nothing(cast):
    _fee(cast.group_a, 4000)
    s = past_session(cast.group_a)
    take_attendance(
        s,
        cast.facilitator,
        {
            cast.client: AttendanceStatus.CANCELLED_BY_PRACTICE,
            cast.client_b: AttendanceStatus.NO_SHOW,
        },
    )
    run = services.charges_create_for_session(actor=cast.billing, session=s)
    assert not run.created
    assert not Charge.objects.exists()


def test_sliding_scale_and_scholarship_fees(cast, session):
    for client, kind, cents in (
        (cast.client, FeeOverrideKind.SLIDING_SCALE, 1500),
        (cast.client_b, FeeOverrideKind.SCHOLARSHIP, None),
    ):
        services.fee_override_create(
            actor=cast.billing,
            enrollment=Enrollment.objects.get(group=cast.group_a, client=client),
            kind=kind,
            fee_cents=cents,
            reason="Income",
            starts_on=date(2020, 1, 1),
        )
    services.charges_create_for_session(actor=cast.billing, session=session)
    got = dict(Charge.objects.values_list("client_id", "amount_cents"))
    assert got == {cast.client.pk: 1500, cast.client_b.pk: 0}
    sources = set(Charge.objects.values_list("fee_source", flat=True))
    assert sources == {FeeSource.SLIDING_SCALE, FeeSource.SCHOLARSHIP}


def test_charge_for_unattended_session_is_refused(cast):
    s = past_session(cast.group_a)  # no attendance taken
    with pytest.raises(InvalidState) as err:
        services.charges_create_for_session(actor=cast.billing, session=s)
    assert "Attendance has not been taken" in err.value.message
    assert not Charge.objects.exists()


def test_charge_for_a_member_who_did_not_attend_is_refused(cast):
    _fee(cast.group_a, 4000)
    s = past_session(cast.group_a)
    take_attendance(s, cast.facilitator, {cast.client: AttendanceStatus.NO_SHOW})
    with pytest.raises(ValidationFailed) as err:
        services.charge_for_member(actor=cast.billing, session=s, client=cast.client)
    assert err.value.field == "client"
    assert "did not attend" in err.value.message
    assert not Charge.objects.exists()
    charge = services.charge_for_member(actor=cast.billing, session=s, client=cast.client_b)
    assert charge.amount_cents == 4000


def test_cancelled_session_is_refused(cast, session):
    session.status = "cancelled"
    session.save(update_fields=["status"])
    with pytest.raises(InvalidState):
        services.charges_create_for_session(actor=cast.billing, session=session)


def test_charge_creation_is_idempotent(cast, session):
    services.charges_create_for_session(actor=cast.billing, session=session)
    again = services.charges_create_for_session(actor=cast.billing, session=session)
    assert not again.changed
    assert again.unchanged == 2
    assert Charge.objects.count() == 2
    assert AuditEvent.objects.filter(action="billing.charges.created").count() == 1


def test_draft_follows_attendance_changes(cast, session):
    _policy(cast, no_show_fee_cents=2500)
    services.charges_create_for_session(actor=cast.billing, session=session)
    take_attendance(session, cast.facilitator, {cast.client: AttendanceStatus.NO_SHOW})
    run = services.charges_create_for_session(actor=cast.billing, session=session)
    assert len(run.updated) == 1
    charge = Charge.objects.get(client=cast.client)
    assert (charge.kind, charge.amount_cents) == (ChargeKind.NO_SHOW, 2500)
    take_attendance(
        session, cast.facilitator, {cast.client: AttendanceStatus.CANCELLED_BY_PRACTICE}
    )
    run = services.charges_create_for_session(actor=cast.billing, session=session)
    assert run.removed == 1
    assert not Charge.objects.filter(client=cast.client).exists()


def test_posted_charge_is_never_edited_a_credit_adjustment_corrects_it(cast, session):
    services.charges_create_for_session(actor=cast.billing, session=session)
    services.charges_post(actor=cast.billing, charges=list(Charge.objects.all()))
    posted = Charge.objects.get(client=cast.client)
    take_attendance(
        session, cast.facilitator, {cast.client: AttendanceStatus.CANCELLED_BY_PRACTICE}
    )
    run = services.charges_create_for_session(actor=cast.billing, session=session)
    assert len(run.adjustments) == 1
    again = Charge.objects.get(pk=posted.pk)
    assert (again.amount_cents, again.status, again.kind) == (4000, "posted", ChargeKind.SESSION)
    credit = run.adjustments[0]
    assert (credit.kind, credit.amount_cents, credit.corrects_id) == (
        ChargeKind.ADJUSTMENT,
        -4000,
        posted.pk,
    )
    # Re-running changes nothing; back to present removes the draft credit.
    assert not services.charges_create_for_session(actor=cast.billing, session=session).changed
    take_attendance(session, cast.facilitator)
    services.charges_create_for_session(actor=cast.billing, session=session)
    assert not Charge.objects.filter(kind=ChargeKind.ADJUSTMENT).exists()
    assert Charge.objects.get(pk=posted.pk).amount_cents == 4000


def test_posted_charge_refused_by_model_queryset_and_database(cast, session):
    services.charges_create_for_session(actor=cast.billing, session=session)
    services.charges_post(actor=cast.billing, charges=list(Charge.objects.all()))
    charge = Charge.objects.get(client=cast.client)
    charge.amount_cents = 1
    with pytest.raises(InvalidState):
        charge.save()
    with pytest.raises(InvalidState):
        charge.delete()
    with pytest.raises(InvalidState):
        Charge.objects.filter(pk=charge.pk).update(amount_cents=1)
    with pytest.raises(InvalidState):
        services.charge_discard(actor=cast.billing, charge=charge)
    with (
        pytest.raises(DatabaseError, match="posted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE billing_charge SET amount_cents = 1 WHERE id = %s", [charge.pk])
    assert Charge.objects.get(pk=charge.pk).amount_cents == 4000


def test_signed_note_required_before_billing(cast, session):
    from kindred.notes.models import NoteSettings

    NoteSettings.objects.create(pk=1, require_signed_for_billing=True)
    with pytest.raises(InvalidState) as err:
        services.charges_create_for_session(actor=cast.billing, session=session)
    assert "group note is signed" in err.value.message
    assert not Charge.objects.exists()


def test_only_billing_and_admins_make_charges(cast, session):
    for who in (cast.facilitator, cast.coordinator, cast.supervisor, cast.member):
        with pytest.raises(NotPermitted):
            services.charges_create_for_session(actor=who, session=session)
    assert services.charges_create_for_session(actor=cast.admin, session=session).created


def test_charges_are_audited_per_member(cast, session):
    services.charges_create_for_session(actor=cast.billing, session=session)
    events = AuditEvent.objects.filter(action="billing.charge.created")
    assert sorted(events.values_list("client_id", flat=True)) == sorted(
        [cast.client.pk, cast.client_b.pk]
    )


# --- Payments and balance ------------------------------------------------------------------


def test_payments_and_balance(cast, session):
    services.charges_create_for_session(actor=cast.billing, session=session)
    assert services.balance_cents(cast.client.pk) == 0  # drafts do not count
    services.charges_post(actor=cast.billing, charges=list(Charge.objects.all()))
    assert services.balance_cents(cast.client.pk) == 4000
    services.payment_record(
        actor=cast.billing,
        client=cast.client,
        amount_cents=2500,
        method="card",
        received_on=date(2026, 11, 1),
        reference="R-1",
    )
    assert services.balance_cents(cast.client.pk) == 1500
    assert AuditEvent.objects.filter(
        action="billing.payment.recorded", client_id=cast.client.pk
    ).exists()


@pytest.mark.parametrize(
    ("amount", "method", "field"),
    [(0, "card", "amount_cents"), (-5, "card", "amount_cents"), (100, "barter", "method")],
)
def test_bad_payments_are_refused(cast, amount, method, field):
    with pytest.raises(ValidationFailed) as err:
        services.payment_record(
            actor=cast.billing,
            client=cast.client,
            amount_cents=amount,
            method=method,
            received_on=date(2026, 11, 1),
        )
    assert err.value.field == field


def test_members_cannot_record_payments(cast):
    with pytest.raises(NotPermitted):
        services.payment_record(
            actor=cast.member,
            client=cast.client,
            amount_cents=100,
            method="card",
            received_on=date(2026, 11, 1),
        )


# --- The create_charges command -----------------------------------------------------------


def test_create_charges_command_dry_run_then_for_real(cast, session):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    from kindred.scheduling.attendance import session_local_date

    day = session_local_date(session).isoformat()
    call_command(
        "create_charges", "--from", "2026-01-01", "--to", "2026-12-31", "--dry-run", stdout=out
    )
    assert "Would make charges for 1 sessions" in out.getvalue()
    assert "2 new" in out.getvalue()
    assert not Charge.objects.exists()
    call_command("create_charges", "--from", day, "--to", day, stdout=out)
    assert Charge.objects.count() == 2
    out = StringIO()
    call_command("create_charges", "--from", "2026-01-01", "--to", "2026-12-31", stdout=out)
    assert "0 new, 0 changed" in out.getvalue()
    assert "Avery" not in out.getvalue()
