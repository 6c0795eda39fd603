"""Billing services: settings, fee overrides, diagnoses, charges from attendance,
posting, and payments. Each checks who may do it, validates, writes and appends its
audit event in one transaction.

Charges from attendance (``charges_create_for_session``):

====================================================  ===================================
Attendance                                            Charge
====================================================  ===================================
present (in person, virtually, late, left early)      the member's session fee: their fee
                                                      override on that date, else the
                                                      group's fee (a $0 charge is kept: it
                                                      is the record of the service)
no-show                                               the no-show fee, if the practice set one
absent with notice given after the deadline           the late-cancellation fee, if set
absent with notice in time, or when the notice's      nothing
time is unknown (no notice in Kindred); cancelled
by the practice; no attendance recorded
====================================================  ===================================

Running it again is safe: one charge per member and session. While a charge is a draft
it is brought in line with the attendance (or removed); once posted it never changes,
and a difference becomes one draft *adjustment* (a credit when the new amount is lower).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.billing.access import may_edit_diagnoses, require_billing
from kindred.billing.models import (
    CPT_GROUP_PSYCHOTHERAPY,
    BillingSettings,
    Charge,
    ChargeKind,
    ChargeStatus,
    Diagnosis,
    FeeOverride,
    FeeOverrideKind,
    FeeSource,
    Payment,
    PaymentMethod,
    PlaceOfService,
    normalize_icd10,
)
from kindred.core.errors import (
    InvalidState,
    NotPermitted,
    ValidationFailed,
    full_clean_or_fail,
)
from kindred.groups.models import Enrollment, GroupModality
from kindred.scheduling.attendance import session_local_date
from kindred.scheduling.models import (
    ATTENDED_STATUSES,
    AbsenceNotice,
    Attendance,
    AttendanceStatus,
    GroupSession,
    StateAttestation,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

#: The largest fee or payment Kindred accepts, in cents ($100,000): anything above is a
#: typing mistake.
MAX_CENTS = 10_000_000
PLACE_ASSUMED_NOTE = _(
    "Place of service 10 (telehealth in the member's home) is assumed: Kindred does not "
    "ask members whether they join from home."
)


def _check_fee(value: int | None, field_name: str, *, required: bool = False) -> None:
    if value is None:
        if required:
            raise ValidationFailed(_("Enter an amount."), field=field_name)
        return
    if value < 0:
        raise ValidationFailed(_("A fee cannot be negative."), field=field_name)
    if value > MAX_CENTS:
        raise ValidationFailed(_("That amount is too large for one session."), field=field_name)


# --- Settings ----------------------------------------------------------------------------


def billing_settings() -> BillingSettings:
    row = BillingSettings.objects.filter(pk=1).first()
    return row if row is not None else BillingSettings(pk=1)


SETTINGS_FIELDS = (
    "no_show_fee_cents",
    "late_cancel_fee_cents",
    "late_cancel_hours",
    "individual_fee_cents",
    "modifier_95_for_virtual",
    "payer_note",
)


def billing_settings_update(
    *,
    actor: User,
    no_show_fee_cents: int | None,
    late_cancel_fee_cents: int | None,
    late_cancel_hours: int,
    individual_fee_cents: int | None,
    modifier_95_for_virtual: bool,
    payer_note: str = "",
) -> BillingSettings:
    require_billing(actor)
    _check_fee(no_show_fee_cents, "no_show_fee_cents")
    _check_fee(late_cancel_fee_cents, "late_cancel_fee_cents")
    _check_fee(individual_fee_cents, "individual_fee_cents")
    if not 0 <= late_cancel_hours <= 336:
        raise ValidationFailed(
            _("Use a number of hours from 0 to 336 (two weeks)."), field="late_cancel_hours"
        )
    with transaction.atomic():
        row = BillingSettings.objects.select_for_update().filter(pk=1).first()
        row = row or BillingSettings(pk=1)
        before = {f: getattr(row, f) for f in SETTINGS_FIELDS}
        row.no_show_fee_cents = no_show_fee_cents
        row.late_cancel_fee_cents = late_cancel_fee_cents
        row.late_cancel_hours = late_cancel_hours
        row.individual_fee_cents = individual_fee_cents
        row.modifier_95_for_virtual = modifier_95_for_virtual
        row.payer_note = payer_note.strip()
        full_clean_or_fail(row)
        row.save()
        changed = [f for f in SETTINGS_FIELDS if getattr(row, f) != before[f]]
        audit_change(actor=actor, action="billing.settings.changed", obj=row, changed=changed)
    return row


# --- Fee overrides -----------------------------------------------------------------------


def fee_override_create(
    *,
    actor: User,
    enrollment: Enrollment,
    kind: str,
    fee_cents: int | None,
    reason: str,
    starts_on: date,
    ends_on: date | None = None,
) -> FeeOverride:
    """A member's own fee for their place (sliding scale with an amount, or a
    scholarship at no fee), from ``starts_on`` until ``ends_on`` (or open). Periods of
    one place may not overlap."""
    require_billing(actor)
    if kind not in FeeOverrideKind.values:
        raise ValidationFailed(_("Choose sliding scale or scholarship."), field="kind")
    if kind == FeeOverrideKind.SCHOLARSHIP:
        if fee_cents not in (None, 0):
            raise ValidationFailed(_("A scholarship has no fee; leave it at 0."), field="fee_cents")
        fee_cents = 0
    _check_fee(fee_cents, "fee_cents", required=True)
    cents = fee_cents or 0
    if not reason.strip():
        raise ValidationFailed(_("Say why this member has their own fee."), field="reason")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(_("The end date is before the start date."), field="ends_on")
    with transaction.atomic():
        Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
        for other in FeeOverride.objects.filter(enrollment=enrollment):
            if _overlaps(other.starts_on, other.ends_on, starts_on, ends_on):
                raise ValidationFailed(
                    _("This member already has their own fee from %(start)s for this place.")
                    % {"start": other.starts_on.isoformat()},
                    field="starts_on",
                )
        override = FeeOverride(
            enrollment=enrollment,
            kind=kind,
            fee_cents=cents,
            reason=reason.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor,
        )
        full_clean_or_fail(override)
        override.save()
        audit_change(
            actor=actor,
            action="billing.fee_override.created",
            obj=override,
            client_id=enrollment.client_id,
            detail={"enrollment": enrollment.pk, "kind": kind},
        )
    return override


def fee_override_end(*, actor: User, override: FeeOverride, ends_on: date) -> FeeOverride:
    """End an override on ``ends_on`` (charges already made keep their amount)."""
    require_billing(actor)
    if ends_on < override.starts_on:
        raise ValidationFailed(_("The end date is before the start date."), field="ends_on")
    with transaction.atomic():
        override.ends_on = ends_on
        full_clean_or_fail(override)
        override.save(update_fields=["ends_on", "updated_at"])
        audit_change(
            actor=actor,
            action="billing.fee_override.ended",
            obj=override,
            client_id=override.enrollment.client_id,
            changed=["ends_on"],
        )
    return override


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def fee_for(
    *, group_fee_cents: int, overrides: list[FeeOverride], on: date
) -> tuple[int, FeeSource]:
    """The session fee on ``on``: the override covering that date (the latest starting,
    should several), else the group's fee."""
    covering = [o for o in overrides if o.covers(on)]
    if covering:
        chosen = max(covering, key=lambda o: (o.starts_on, o.pk or 0))
        source = (
            FeeSource.SCHOLARSHIP
            if chosen.kind == FeeOverrideKind.SCHOLARSHIP
            else FeeSource.SLIDING_SCALE
        )
        return chosen.fee_cents, source
    return group_fee_cents, FeeSource.GROUP


# --- Diagnoses ---------------------------------------------------------------------------


def _diagnosis_checks(code: str, description: str) -> str:
    normalized = normalize_icd10(code)
    from kindred.billing.models import ICD10_RE

    if not ICD10_RE.fullmatch(normalized):
        raise ValidationFailed(
            _(
                "“%(code)s” is not a well-formed ICD-10 code. A code is a letter, a digit "
                "and a letter or digit, then optionally a dot and up to four more letters "
                "or digits, for example F41.1."
            )
            % {"code": code.strip()[:20]},
            field="code",
        )
    if not description.strip():
        raise ValidationFailed(_("Describe the diagnosis in words."), field="description")
    return normalized


def _require_diagnosis_editor(actor: User, client: Client) -> None:
    if not may_edit_diagnoses(actor, client):
        raise NotPermitted(_("Only the member's clinicians and practice admins can change this."))


def diagnosis_add(
    *,
    actor: User,
    client: Client,
    code: str,
    description: str,
    starts_on: date,
    is_primary: bool = False,
    ends_on: date | None = None,
) -> Diagnosis:
    _require_diagnosis_editor(actor, client)
    normalized = _diagnosis_checks(code, description)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(_("The end date is before the start date."), field="ends_on")
    with transaction.atomic():
        diagnosis = Diagnosis(
            client=client,
            code=normalized,
            description=description.strip(),
            is_primary=is_primary,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor,
        )
        if is_primary and ends_on is None:
            _unset_primary(actor, client, keep=None)
        full_clean_or_fail(diagnosis)
        diagnosis.save()
        audit_change(
            actor=actor, action="billing.diagnosis.added", obj=diagnosis, client_id=client.pk
        )
    return diagnosis


def diagnosis_update(
    *,
    actor: User,
    diagnosis: Diagnosis,
    code: str,
    description: str,
    starts_on: date,
    is_primary: bool,
    ends_on: date | None,
) -> Diagnosis:
    client = diagnosis.client
    _require_diagnosis_editor(actor, client)
    normalized = _diagnosis_checks(code, description)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(_("The end date is before the start date."), field="ends_on")
    fields = ("code", "description", "starts_on", "is_primary", "ends_on")
    with transaction.atomic():
        before = {f: getattr(diagnosis, f) for f in fields}
        diagnosis.code = normalized
        diagnosis.description = description.strip()
        diagnosis.starts_on = starts_on
        diagnosis.is_primary = is_primary
        diagnosis.ends_on = ends_on
        if is_primary and ends_on is None:
            _unset_primary(actor, client, keep=diagnosis.pk)
        full_clean_or_fail(diagnosis)
        diagnosis.save()
        changed = [f for f in fields if getattr(diagnosis, f) != before[f]]
        audit_change(
            actor=actor,
            action="billing.diagnosis.changed",
            obj=diagnosis,
            client_id=client.pk,
            changed=changed,
        )
    return diagnosis


def _unset_primary(actor: User, client: Client, *, keep: int | None) -> None:
    """A new current primary diagnosis makes the previous one secondary."""
    for other in Diagnosis.objects.filter(client=client, is_primary=True, ends_on__isnull=True):
        if other.pk == keep:
            continue
        other.is_primary = False
        other.save(update_fields=["is_primary", "updated_at"])
        audit_change(
            actor=actor,
            action="billing.diagnosis.changed",
            obj=other,
            client_id=client.pk,
            changed=["is_primary"],
        )


# --- Charges from attendance -------------------------------------------------------------


@dataclass(frozen=True)
class Desired:
    kind: ChargeKind
    amount_cents: int
    fee_source: FeeSource
    place_of_service: str
    place_assumed: bool


@dataclass
class ChargeRun:
    """What ``charges_create_for_session`` did (counts are per member)."""

    session_id: int
    created: list[Charge] = field(default_factory=list)
    updated: list[Charge] = field(default_factory=list)
    removed: int = 0
    adjustments: list[Charge] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed or self.adjustments)


@dataclass(frozen=True)
class SessionFacts:
    """Everything the charge rule needs about one session, loaded in a few queries."""

    session: GroupSession
    service_date: date
    attendance: dict[int, Attendance]
    notices: dict[int, datetime]
    attested: set[int]
    overrides: dict[int, list[FeeOverride]]
    settings: BillingSettings


def _session_facts(session: GroupSession, rules: BillingSettings) -> SessionFacts:
    attendance = {a.client_id: a for a in Attendance.objects.filter(session=session)}
    notices = dict(
        AbsenceNotice.objects.filter(session=session).values_list("client_id", "created_at")
    )
    attested = set(
        StateAttestation.objects.filter(session=session).values_list("client_id", flat=True)
    )
    overrides: dict[int, list[FeeOverride]] = defaultdict(list)
    for override in FeeOverride.objects.filter(
        enrollment__group_id=session.group_id, enrollment__client_id__in=list(attendance)
    ).select_related("enrollment"):
        overrides[override.enrollment.client_id].append(override)
    return SessionFacts(
        session=session,
        service_date=session_local_date(session),
        attendance=attendance,
        notices=notices,
        attested=attested,
        overrides=overrides,
        settings=rules,
    )


def _place_of_service(facts: SessionFacts, attendance: Attendance) -> tuple[str, bool]:
    status = attendance.status
    if status == AttendanceStatus.PRESENT_IN_PERSON:
        return PlaceOfService.OFFICE, False
    if status == AttendanceStatus.PRESENT_VIRTUAL:
        return PlaceOfService.TELEHEALTH_HOME, True
    modality = facts.session.modality
    if modality == GroupModality.IN_PERSON:
        return PlaceOfService.OFFICE, False
    if modality == GroupModality.HYBRID and attendance.client_id not in facts.attested:
        return PlaceOfService.OFFICE, False
    return PlaceOfService.TELEHEALTH_HOME, True


def desired_charge(facts: SessionFacts, client_id: int) -> Desired | None:
    """What the member should be charged for the session (None: nothing). Pure, on
    facts already loaded."""
    attendance = facts.attendance.get(client_id)
    if attendance is None:
        return None
    rules = facts.settings
    status = attendance.status
    if status in ATTENDED_STATUSES:
        amount, source = fee_for(
            group_fee_cents=facts.session.group.fee_cents,
            overrides=facts.overrides.get(client_id, []),
            on=facts.service_date,
        )
        place, assumed = _place_of_service(facts, attendance)
        return Desired(ChargeKind.SESSION, amount, source, place, assumed)
    if status == AttendanceStatus.NO_SHOW and rules.no_show_fee_cents:
        return Desired(ChargeKind.NO_SHOW, rules.no_show_fee_cents, FeeSource.POLICY, "", False)  # noqa: FBT003
    if status == AttendanceStatus.ABSENT_NOTICE and rules.late_cancel_fee_cents:
        told_at = facts.notices.get(client_id)
        deadline = facts.session.starts_at - timedelta(hours=rules.late_cancel_hours)
        if told_at is not None and told_at > deadline:
            return Desired(
                ChargeKind.LATE_CANCEL,
                rules.late_cancel_fee_cents,
                FeeSource.POLICY,
                "",
                False,  # noqa: FBT003
            )
    return None


def _check_chargeable(session: GroupSession, now: datetime) -> None:
    if session.is_cancelled:
        raise InvalidState(_("This session was cancelled, so there is nothing to charge."))
    if session.starts_at > now or session.attendance_taken_at is None:
        raise InvalidState(
            _(
                "Attendance has not been taken for this session, so there is nothing to "
                "charge yet. Charges are made from attendance."
            )
        )
    from kindred.notes.note_settings import session_is_billable

    if not session_is_billable(session):
        raise InvalidState(
            _(
                "The practice bills a session only once its group note is signed, and this "
                "session's note is not signed yet."
            )
        )


def charges_create_for_session(
    *, actor: User | None, session: GroupSession, now: datetime | None = None
) -> ChargeRun:
    """Make (or bring up to date) the charges of every member at ``session`` from its
    attendance. Safe to run again; see the module's docstring for the rule. ``actor``
    None is the system itself (``manage.py create_charges``)."""
    if actor is not None:
        require_billing(actor)
    now = now or timezone.now()
    rules = billing_settings()
    with transaction.atomic():
        locked = GroupSession.objects.select_for_update().select_related("group").get(pk=session.pk)
        _check_chargeable(locked, now)
        facts = _session_facts(locked, rules)
        existing: dict[int, list[Charge]] = defaultdict(list)
        for charge in Charge.objects.filter(session=locked).order_by("id"):
            existing[charge.client_id].append(charge)
        run = ChargeRun(session_id=locked.pk)
        for client_id in sorted(set(facts.attendance) | set(existing)):
            _reconcile(actor, facts, client_id, existing.get(client_id, []), run)
        if run.changed:
            audit_change(
                actor=actor,
                action="billing.charges.created",
                obj=locked,
                detail={
                    "created": len(run.created),
                    "updated": len(run.updated),
                    "removed": run.removed,
                    "adjustments": len(run.adjustments),
                },
            )
    return run


def _reconcile(
    actor: User | None, facts: SessionFacts, client_id: int, charges: list[Charge], run: ChargeRun
) -> None:
    want = desired_charge(facts, client_id)
    posted = [c for c in charges if c.is_posted]
    draft = next((c for c in charges if not c.is_posted), None)
    attendance = facts.attendance.get(client_id)
    status = attendance.status if attendance is not None else ""
    if posted:
        _reconcile_posted(
            actor=actor,
            facts=facts,
            client_id=client_id,
            posted=posted,
            draft=draft,
            want=want,
            status=status,
            run=run,
        )
        return
    if want is None:
        if draft is not None:
            _remove_draft(actor, facts.session, draft)
            run.removed += 1
        else:
            run.unchanged += 1
        return
    values = {
        "kind": want.kind,
        "amount_cents": want.amount_cents,
        "fee_source": want.fee_source,
        "service_date": facts.service_date,
        "attendance_status": status,
        "cpt_code": CPT_GROUP_PSYCHOTHERAPY if want.kind == ChargeKind.SESSION else "",
        "place_of_service": want.place_of_service,
        "place_assumed": want.place_assumed,
        "note": str(PLACE_ASSUMED_NOTE) if want.place_assumed else "",
    }
    if draft is None:
        charge = Charge(client_id=client_id, session=facts.session, created_by=actor, **values)
        full_clean_or_fail(charge)
        charge.save()
        run.created.append(charge)
        audit_change(actor=actor, action="billing.charge.created", obj=charge, client_id=client_id)
        return
    changed = [k for k, v in values.items() if getattr(draft, k) != v]
    if not changed:
        run.unchanged += 1
        return
    for key, value in values.items():
        setattr(draft, key, value)
    full_clean_or_fail(draft)
    draft.save()
    run.updated.append(draft)
    audit_change(
        actor=actor,
        action="billing.charge.changed",
        obj=draft,
        client_id=client_id,
        changed=changed,
    )


def _reconcile_posted(
    *,
    actor: User | None,
    facts: SessionFacts,
    client_id: int,
    posted: list[Charge],
    draft: Charge | None,
    want: Desired | None,
    status: str,
    run: ChargeRun,
) -> None:
    """Posted charges are never touched; a difference is one draft adjustment."""
    original = next((c for c in posted if c.kind != ChargeKind.ADJUSTMENT), posted[0])
    posted_sum = sum(c.amount_cents for c in posted)
    delta = (want.amount_cents if want is not None else 0) - posted_sum
    if delta == 0:
        if draft is not None:
            _remove_draft(actor, facts.session, draft)
            run.removed += 1
        else:
            run.unchanged += 1
        return
    note = _("Correction after the attendance changed to “%(status)s”.") % {
        "status": AttendanceStatus(status).label if status else _("not recorded")
    }
    if draft is None:
        adjustment = Charge(
            client_id=client_id,
            session=facts.session,
            kind=ChargeKind.ADJUSTMENT,
            amount_cents=delta,
            fee_source=FeeSource.CORRECTION,
            service_date=facts.service_date,
            attendance_status=status,
            corrects=original,
            note=note,
            created_by=actor,
        )
        full_clean_or_fail(adjustment)
        adjustment.save()
        run.adjustments.append(adjustment)
        audit_change(
            actor=actor,
            action="billing.charge.adjusted",
            obj=adjustment,
            client_id=client_id,
            detail={"corrects": original.pk},
        )
        return
    if draft.amount_cents == delta and draft.attendance_status == status:
        run.unchanged += 1
        return
    draft.amount_cents = delta
    draft.attendance_status = status
    draft.note = note
    draft.save()
    run.adjustments.append(draft)
    audit_change(
        actor=actor,
        action="billing.charge.adjusted",
        obj=draft,
        client_id=client_id,
        detail={"corrects": original.pk},
    )


def _remove_draft(actor: User | None, session: GroupSession, draft: Charge) -> None:
    audit_change(
        actor=actor,
        action="billing.charge.removed",
        obj=session,
        client_id=draft.client_id,
        detail={"charge": draft.pk},
    )
    draft.delete()


def charge_for_member(*, actor: User, session: GroupSession, client: Client) -> Charge:
    """Make (or update) one member's charge for ``session``. A member with no
    attendance recorded, or whose attendance carries no fee, is refused."""
    require_billing(actor)
    attendance = Attendance.objects.filter(session=session, client=client).first()
    if attendance is None or attendance.status not in ATTENDED_STATUSES:
        facts = _session_facts(session, billing_settings())
        if attendance is None or desired_charge(facts, client.pk) is None:
            raise ValidationFailed(
                _(
                    "%(name)s did not attend this session (and the practice's policy has "
                    "no fee for their absence), so there is nothing to charge."
                )
                % {"name": client.display_name},
                field="client",
            )
    charges_create_for_session(actor=actor, session=session)
    found = (
        Charge.objects.filter(session=session, client=client)
        .order_by("-status", "-id")  # a draft (adjustment) first, then the posted charge
        .first()
    )
    if found is None:  # pragma: no cover - the run above made it
        raise InvalidState(_("No charge was made."))
    return found


def charges_post(*, actor: User, charges: list[Charge]) -> list[Charge]:
    """Post draft charges: from now on they never change and count in the balance."""
    require_billing(actor)
    now = timezone.now()
    posted: list[Charge] = []
    with transaction.atomic():
        ids = [c.pk for c in charges]
        for charge in Charge.objects.select_for_update().filter(pk__in=ids).order_by("id"):
            if charge.is_posted:
                continue
            charge.status = ChargeStatus.POSTED
            charge.posted_at = now
            charge.posted_by = actor
            charge.save(update_fields=["status", "posted_at", "posted_by", "updated_at"])
            posted.append(charge)
            audit_change(
                actor=actor, action="billing.charge.posted", obj=charge, client_id=charge.client_id
            )
    return posted


def charge_discard(*, actor: User, charge: Charge) -> None:
    """Throw away a draft charge (a posted one is corrected by an adjustment)."""
    require_billing(actor)
    if charge.is_posted:
        raise InvalidState(
            _("A posted charge cannot be changed; it is corrected by an adjustment.")
        )
    with transaction.atomic():
        audit_change(
            actor=actor,
            action="billing.charge.discarded",
            obj=charge.session,
            client_id=charge.client_id,
            detail={"charge": charge.pk},
        )
        charge.delete()


# --- Payments ----------------------------------------------------------------------------


def payment_record(
    *,
    actor: User,
    client: Client,
    amount_cents: int,
    method: str,
    received_on: date,
    reference: str = "",
    note: str = "",
) -> Payment:
    require_billing(actor)
    if amount_cents <= 0:
        raise ValidationFailed(_("Enter an amount above zero."), field="amount_cents")
    if amount_cents > MAX_CENTS:
        raise ValidationFailed(_("That amount is too large."), field="amount_cents")
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Choose how the payment was made."), field="method")
    from kindred.practice.settings import practice_today

    if received_on > practice_today():
        raise ValidationFailed(_("This date is in the future."), field="received_on")
    with transaction.atomic():
        payment = Payment(
            client=client,
            amount_cents=amount_cents,
            method=method,
            received_on=received_on,
            reference=reference.strip(),
            note=note.strip(),
            recorded_by=actor,
        )
        full_clean_or_fail(payment)
        payment.save()
        audit_change(
            actor=actor, action="billing.payment.recorded", obj=payment, client_id=client.pk
        )
    return payment


def balance_cents(client_id: int) -> int:
    """Posted charges minus payments (positive: the member owes)."""
    charged = (
        Charge.objects.filter(client_id=client_id, status=ChargeStatus.POSTED).aggregate(
            s=Sum("amount_cents")
        )["s"]
        or 0
    )
    paid = Payment.objects.filter(client_id=client_id).aggregate(s=Sum("amount_cents"))["s"] or 0
    return int(charged) - int(paid)
