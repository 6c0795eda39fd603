"""Billing for the demo, through the real services: the practice's billing rules, a
sliding-scale fee and a scholarship, diagnoses on members' records (added by their
group's lead facilitator), charges from the attendance of every past session (those
older than a week posted, the last week's left as drafts so the billing page has work),
and payments from most members (some paid in full, some part, some nothing).

Synthetic only: codes are common ICD-10-CM codes with their public descriptions; no real
person is described. Call after attendance and notes are seeded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from django.utils import timezone

from kindred.billing import services
from kindred.billing.models import (
    CPT_GROUP_PSYCHOTHERAPY,
    BillingSettings,
    Charge,
    ChargeKind,
    ChargeStatus,
    Diagnosis,
    FeeOverride,
    FeeOverrideKind,
    Payment,
    PaymentMethod,
)
from kindred.billing.services import PLACE_ASSUMED_NOTE, SessionFacts, desired_charge
from kindred.core.errors import KindredError
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.notes.models import NoteStatus
from kindred.scheduling.attendance import session_local_date
from kindred.scheduling.models import (
    AbsenceNotice,
    Attendance,
    GroupSession,
    SessionStatus,
    StateAttestation,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

DIAGNOSES = (
    ("F41.1", "Generalized anxiety disorder"),
    ("F33.0", "Major depressive disorder, recurrent, mild"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("Z63.0", "Problems in relationship with spouse or partner"),
)
METHODS = (PaymentMethod.CARD, PaymentMethod.HSA, PaymentMethod.CHECK, PaymentMethod.CASH)


def seed_demo_billing(
    *, groups: Sequence[TherapyGroup], staff: Mapping[str, User], seed: int
) -> dict[str, int]:
    rng = Random(seed + 70)  # noqa: S311 - synthetic data, not secrets
    billing = staff["billing"]
    services.billing_settings_update(
        actor=billing,
        no_show_fee_cents=2500,
        late_cancel_fee_cents=1500,
        late_cancel_hours=24,
        individual_fee_cents=15000,
        modifier_95_for_virtual=True,
        payer_note="Superbill for out-of-network reimbursement. Questions: billing desk.",
    )
    places = list(
        Enrollment.objects.filter(group__in=groups, status=EnrollmentStatus.ACTIVE)
        .select_related("group__lead_facilitator__user", "client")
        .order_by("group_id", "invited_at", "pk")
    )
    counts = {"overrides": 0, "diagnoses": 0, "charges": 0, "posted": 0, "payments": 0}
    seen: set[int] = set()
    for index, place in enumerate(places):
        if index == 1:
            services.fee_override_create(
                actor=billing,
                enrollment=place,
                kind=FeeOverrideKind.SLIDING_SCALE,
                fee_cents=place.group.fee_cents // 2,
                reason="Sliding scale: household income form on file.",
                starts_on=(place.activated_at or place.invited_at).date(),
            )
            counts["overrides"] += 1
        elif index == 3:
            services.fee_override_create(
                actor=billing,
                enrollment=place,
                kind=FeeOverrideKind.SCHOLARSHIP,
                fee_cents=None,
                reason="Community scholarship fund.",
                starts_on=(place.activated_at or place.invited_at).date(),
            )
            counts["overrides"] += 1
        if place.client_id in seen:
            continue
        seen.add(place.client_id)
        code, description = DIAGNOSES[rng.randrange(len(DIAGNOSES))]
        services.diagnosis_add(
            actor=place.group.lead_facilitator.user,
            client=place.client,
            code=code,
            description=description,
            starts_on=(place.activated_at or place.invited_at).date() - timedelta(days=14),
            is_primary=True,
        )
        counts["diagnoses"] += 1
    now = timezone.now()
    sessions = GroupSession.objects.filter(
        group__in=groups, attendance_taken_at__isnull=False, ends_at__lt=now
    ).order_by("starts_at", "pk")
    for session in sessions:
        try:
            run = services.charges_create_for_session(actor=billing, session=session, now=now)
        except KindredError:
            continue  # cancelled, or a note still unsigned where the practice requires it
        counts["charges"] += len(run.created)
    week_ago = (now - timedelta(days=7)).date()
    older = list(Charge.objects.filter(status=ChargeStatus.DRAFT, service_date__lt=week_ago))
    counts["posted"] = len(services.charges_post(actor=billing, charges=older))
    for client_id in sorted(seen):
        owed = services.balance_cents(client_id)
        share = rng.choice((0.0, 0.5, 1.0, 1.0))
        amount = int(owed * share)
        if amount <= 0:
            continue
        services.payment_record(
            actor=billing,
            client=next(p.client for p in places if p.client_id == client_id),
            amount_cents=amount,
            method=rng.choice(METHODS),
            received_on=(now - timedelta(days=rng.randrange(1, 6))).date(),
            reference=f"DEMO-{client_id:04d}",
        )
        counts["payments"] += 1
    return counts


# --- The scale data set ------------------------------------------------------------------

#: The practice's billing rules in the scale data set (the demo's).
SCALE_RULES = {
    "no_show_fee_cents": 2500,
    "late_cancel_fee_cents": 1500,
    "late_cancel_hours": 24,
    "individual_fee_cents": 15000,
    "modifier_95_for_virtual": True,
    "payer_note": "Superbill for out-of-network reimbursement. Questions: billing desk.",
}
#: Shares of members' places with a sliding-scale fee and with a scholarship.
SLIDING_SHARE, SCHOLARSHIP_SHARE = 0.06, 0.02
#: Charges of sessions older than this are posted; the last week's are drafts.
DRAFT_DAYS = 7


@dataclass
class _Places:
    """Who held a place in which group since when, and their fee overrides."""

    first_day: dict[int, date] = field(default_factory=dict)  # client -> first place
    lead_of: dict[int, int] = field(default_factory=dict)  # client -> a lead's user id
    overrides: dict[tuple[int, int], list[FeeOverride]] = field(default_factory=dict)


def _seed_overrides(
    group_ids: list[int], rng: Random, billing_ids: list[int], batch_size: int
) -> tuple[_Places, int]:
    places = _Places()
    rows: list[tuple[FeeOverride, int, int]] = []
    for pk, group_id, client_id, activated, fee, lead_user in (
        Enrollment.objects.filter(group_id__in=group_ids, activated_at__isnull=False)
        .order_by("id")
        .values_list(
            "pk",
            "group_id",
            "client_id",
            "activated_at",
            "group__fee_cents",
            "group__lead_facilitator__user_id",
        )
    ):
        day = activated.date() if activated is not None else date.min  # not null: filtered
        if client_id not in places.first_day or day < places.first_day[client_id]:
            places.first_day[client_id] = day
            places.lead_of[client_id] = lead_user
        roll = rng.random()
        if not fee or roll >= SLIDING_SHARE + SCHOLARSHIP_SHARE:
            continue
        sliding = roll < SLIDING_SHARE
        override = FeeOverride(
            enrollment_id=pk,
            kind=FeeOverrideKind.SLIDING_SCALE if sliding else FeeOverrideKind.SCHOLARSHIP,
            fee_cents=fee // rng.choice((2, 3)) if sliding else 0,
            reason="Sliding scale: household income form on file."
            if sliding
            else "Community scholarship fund.",
            starts_on=day,
            created_by_id=rng.choice(billing_ids) if billing_ids else None,
        )
        rows.append((override, group_id, client_id))
    FeeOverride.objects.bulk_create([o for o, _g, _c in rows], batch_size=batch_size)
    for override, group_id, client_id in rows:
        places.overrides.setdefault((group_id, client_id), []).append(override)
    return places, len(rows)


def _seed_diagnoses(places: _Places, rng: Random, batch_size: int) -> int:
    rows: list[Diagnosis] = []
    for client_id in sorted(places.first_day):
        codes = rng.sample(range(len(DIAGNOSES)), k=2 if rng.random() < 0.1 else 1)
        for n, index in enumerate(codes):
            code, description = DIAGNOSES[index]
            rows.append(
                Diagnosis(
                    client_id=client_id,
                    code=code,
                    description=description,
                    is_primary=n == 0,
                    starts_on=places.first_day[client_id] - timedelta(days=14),
                    created_by_id=places.lead_of[client_id],
                )
            )
    Diagnosis.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def _session_facts(
    sessions: list[GroupSession], places: _Places, rules: BillingSettings
) -> list[SessionFacts]:
    """The billing rule's facts for many sessions at once (four queries)."""
    ids = [s.pk for s in sessions]
    attendance: dict[int, dict[int, Attendance]] = defaultdict(dict)
    for row in Attendance.objects.filter(session_id__in=ids).only(
        "session_id", "client_id", "status"
    ):
        attendance[row.session_id][row.client_id] = row
    notices: dict[int, dict[int, datetime]] = defaultdict(dict)
    for session_id, client_id, given in AbsenceNotice.objects.filter(
        session_id__in=ids
    ).values_list("session_id", "client_id", "created_at"):
        notices[session_id][client_id] = given
    attested: dict[int, set[int]] = defaultdict(set)
    for session_id, client_id in StateAttestation.objects.filter(session_id__in=ids).values_list(
        "session_id", "client_id"
    ):
        attested[session_id].add(client_id)
    return [
        SessionFacts(
            session=s,
            service_date=session_local_date(s),
            attendance=attendance[s.pk],
            notices=notices[s.pk],
            attested=attested[s.pk],
            overrides={
                cid: places.overrides[(s.group_id, cid)]
                for cid in attendance[s.pk]
                if (s.group_id, cid) in places.overrides
            },
            settings=rules,
        )
        for s in sessions
    ]


def _charges(
    facts: SessionFacts, *, rng: Random, billing_ids: list[int], now: datetime
) -> list[Charge]:
    """The charges the billing rule (``desired_charge``) makes for one session, posted a
    few days after it unless it was in the last week."""
    session = facts.session
    posted = facts.service_date < (now - timedelta(days=DRAFT_DAYS)).date()
    made = []
    for client_id in sorted(facts.attendance):
        want = desired_charge(facts, client_id)
        if want is None:
            continue
        by = rng.choice(billing_ids) if billing_ids else None
        made.append(
            Charge(
                client_id=client_id,
                session=session,
                kind=want.kind,
                status=ChargeStatus.POSTED if posted else ChargeStatus.DRAFT,
                amount_cents=want.amount_cents,
                fee_source=want.fee_source,
                service_date=facts.service_date,
                attendance_status=facts.attendance[client_id].status,
                cpt_code=CPT_GROUP_PSYCHOTHERAPY if want.kind == ChargeKind.SESSION else "",
                place_of_service=want.place_of_service,
                place_assumed=want.place_assumed,
                note=str(PLACE_ASSUMED_NOTE) if want.place_assumed else "",
                created_by_id=by,
                posted_at=min(session.ends_at + timedelta(days=rng.randint(1, 5)), now)
                if posted
                else None,
                posted_by_id=by if posted else None,
            )
        )
    return made


def _payments(
    owed: dict[tuple[int, date], int], rng: Random, billing_ids: list[int], today: date
) -> list[Payment]:
    """Most members pay each month's posted charges early the next month (some half,
    about one month in five nothing yet)."""
    rows = []
    for (client_id, month), total in sorted(owed.items()):
        share = rng.choices((1.0, 0.5, 0.0), weights=(70, 10, 20))[0]
        amount = int(total * share)
        next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        received = next_month + timedelta(days=rng.randint(0, 9))
        if amount <= 0 or received > today:
            continue
        rows.append(
            Payment(
                client_id=client_id,
                amount_cents=amount,
                method=rng.choice(METHODS),
                received_on=received,
                reference=f"SCALE-{client_id}-{month:%Y%m}",
                recorded_by_id=rng.choice(billing_ids) if billing_ids else None,
            )
        )
    return rows


def seed_scale_billing(
    group_ids: Iterable[int],
    *,
    billing_ids: list[int],
    now: datetime,
    seed: int,
    batch_size: int = 2000,
    progress: Callable[[int], object] = lambda n: None,
) -> int:
    """Billing for the scale data set, bulk-inserted: the practice's billing rules (the
    demo's, when none are set), sliding-scale fees and scholarships on a few places,
    a primary ICD-10 diagnosis (now and then a second) for everyone who held a place,
    the charges the billing rule makes from the attendance of every past session
    (``desired_charge``, the services' own rule; posted unless from the last week), and
    payments of most months' charges. Deterministic (seeded); returns rows written."""
    from kindred.notes.note_settings import note_settings

    rng = Random(f"{seed}:billing")  # noqa: S311 - synthetic data, not secrets
    ids = list(group_ids)
    BillingSettings.objects.get_or_create(pk=1, defaults=SCALE_RULES)
    rules = services.billing_settings()
    places, written = _seed_overrides(ids, rng, billing_ids, batch_size)
    written += _seed_diagnoses(places, rng, batch_size)
    progress(written)
    sessions = GroupSession.objects.filter(
        group_id__in=ids,
        status=SessionStatus.SCHEDULED,
        attendance_taken_at__isnull=False,
        ends_at__lt=now,
    )
    if note_settings().require_signed_for_billing:
        sessions = sessions.filter(group_note__status__in=(NoteStatus.SIGNED, NoteStatus.COSIGNED))
    session_ids = list(sessions.order_by("id").values_list("pk", flat=True))
    owed: dict[tuple[int, date], int] = defaultdict(int)
    for start in range(0, len(session_ids), batch_size):
        chunk = list(
            GroupSession.objects.filter(pk__in=session_ids[start : start + batch_size])
            .select_related("group")
            .order_by("id")
        )
        charges = [
            charge
            for facts in _session_facts(chunk, places, rules)
            for charge in _charges(facts, rng=rng, billing_ids=billing_ids, now=now)
        ]
        Charge.objects.bulk_create(charges, batch_size=batch_size)
        for charge in charges:
            if charge.status == ChargeStatus.POSTED:
                owed[(charge.client_id, charge.service_date.replace(day=1))] += charge.amount_cents
        written += len(charges)
        progress(len(charges))
    payments = _payments(owed, rng, billing_ids, timezone.localdate(now))
    Payment.objects.bulk_create(payments, batch_size=batch_size)
    progress(len(payments))
    return written + len(payments)
