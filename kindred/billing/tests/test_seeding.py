"""The demo's billing (core/seeding/billing.py): rules set, own fees, diagnoses, charges
from attendance (older ones posted, the last week's drafts), payments; all through the
services, so every row is audited."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.billing.models import Charge, ChargeStatus, Diagnosis, FeeOverride, Payment
from kindred.billing.services import billing_settings
from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


def test_demo_billing(demo: None) -> None:
    assert billing_settings().individual_fee_cents == 15000
    assert FeeOverride.objects.filter(kind="sliding").exists()
    assert FeeOverride.objects.filter(kind="scholarship", fee_cents=0).exists()
    assert Diagnosis.objects.filter(is_primary=True).count() >= 4
    # Every member present at a past session has its charge; older ones are posted.
    week_ago = timezone.now() - timedelta(days=8)
    present = Attendance.objects.filter(
        status__in=ATTENDED_STATUSES,
        session__status="scheduled",
        session__attendance_taken_at__isnull=False,
        session__ends_at__lt=week_ago,
    )
    for client_id, session_id in present.values_list("client_id", "session_id"):
        charge = Charge.objects.get(client_id=client_id, session_id=session_id)
        assert charge.status == ChargeStatus.POSTED
        assert charge.cpt_code == "90853"
    if present.exists():
        assert Payment.objects.exists()
        assert AuditEvent.objects.filter(action="billing.charge.posted").exists()
    # One charge per member and session, whatever the seeding did.
    pairs = list(Charge.objects.exclude(kind="adjustment").values_list("client_id", "session_id"))
    assert len(pairs) == len(set(pairs))
