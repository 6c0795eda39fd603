"""Billing for the demo, through the real services: the practice's billing rules, a
sliding-scale fee and a scholarship, diagnoses on members' records (added by their
group's lead facilitator), charges from the attendance of every past session (those
older than a week posted, the last week's left as drafts so the billing page has work),
and payments from most members (some paid in full, some part, some nothing).

Synthetic only: codes are common ICD-10-CM codes with their public descriptions; no real
person is described. Call after attendance and notes are seeded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from random import Random
from typing import TYPE_CHECKING

from django.utils import timezone

from kindred.billing import services
from kindred.billing.models import Charge, ChargeStatus, FeeOverrideKind, PaymentMethod
from kindred.core.errors import KindredError
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.scheduling.models import GroupSession

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
