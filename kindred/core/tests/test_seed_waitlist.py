"""Referrals and the waitlist in seed_demo (through the services) and seed_scale (bulk,
one entry for every second client)."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.intake.models import (
    OPEN_WAITLIST_STATUSES,
    ContactAttempt,
    PlacementExclusion,
    Referral,
    ReferralStatus,
    WaitlistEntry,
    WaitlistStatus,
    WaitlistStatusChange,
)
from kindred.intake.waitlist import CLOSED_STATUSES


def _run(command: str, **options: object) -> str:
    out = StringIO()
    call_command(command, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo(db, settings) -> str:
    settings.DEBUG = True
    return _run("seed_demo")


def test_the_demo_has_about_twenty_people_waiting_as_a_coordinator_would_see_them(demo):
    entries = WaitlistEntry.objects.all()
    # About fifteen from core/seeding/waitlist.py, eight more to match
    # (core/seeding/matching.py: six who fit a group, one in Texas, one only on Monday
    # mornings).
    assert 21 <= entries.count() <= 24
    assert entries.filter(urgency="urgent").count() >= 3
    assert entries.filter(flagged_out_of_state=True).count() == 3
    assert entries.filter(group__isnull=False).count() >= 3
    review = Referral.objects.filter(status=ReferralStatus.NEEDS_REVIEW)
    assert review.count() == 1
    assert review.get().duplicate_candidates
    assert ContactAttempt.objects.count() >= 6
    assert ContactAttempt.objects.values("entry").distinct().count() >= 4
    assert set(WaitlistStatusChange.objects.values_list("status", flat=True)) >= {
        "contacted",
        "unreachable",
        "referred_elsewhere",
    }
    assert PlacementExclusion.objects.count() == 1
    sources = set(Referral.objects.values_list("source", flat=True))
    assert sources >= {"self", "clinician", "partner"}
    # Made through the services: every referral and entry left its audit trail.
    assert AuditEvent.objects.filter(action="intake.referral.received").count() == (
        Referral.objects.count()
    )
    assert AuditEvent.objects.filter(action="intake.waitlist_entry.created").count() == (
        entries.count()
    )


def test_the_demo_waits_for_weeks_not_only_today(demo):
    now = timezone.now()
    waits = sorted((now - e.added_at).days for e in WaitlistEntry.objects.all())
    assert waits[0] <= 7
    assert waits[-1] >= 10 * 7


def test_the_demo_waitlist_page_opens_for_the_coordinator(demo):
    from kindred.accounts.models import User
    from kindred.core.testing import signed_in

    coordinator = User.objects.get(email="coordinator@demo.example.test")
    http = signed_in(coordinator)
    # Two-factor is required of staff; the demo account has not enrolled yet.
    from kindred.core.testing import enrol_totp

    enrol_totp(coordinator)
    response = http.get("/waitlist/")
    assert response.status_code == 200
    assert "Out of state" in response.content.decode()


@pytest.fixture
def scale(db) -> str:
    return _run("seed_scale", clients=400, batch_size=150)


def test_scale_has_one_entry_for_every_second_client_with_its_referral(scale):
    assert "waitlist" in scale
    entries = WaitlistEntry.objects.all()
    assert entries.count() == 200
    assert entries.filter(referral__isnull=True).count() == 0
    assert Referral.objects.filter(status=ReferralStatus.ACCEPTED).count() == 200
    assert Referral.objects.filter(status=ReferralStatus.NEEDS_REVIEW).count() == 2
    assert entries.values("client").distinct().count() == 200
    # Each referral is about its entry's client, received when the entry was added.
    for entry in entries.select_related("referral", "client")[:50]:
        assert entry.referral is not None
        assert entry.referral.client_id == entry.client_id
        assert entry.referral.last_name == entry.client.legal_last_name
        assert entry.referral.created_at == entry.added_at


def test_scale_statuses_history_and_contacts_make_sense(scale):
    now = timezone.now()
    statuses = Counter(WaitlistEntry.objects.values_list("status", flat=True))
    open_count = sum(statuses[s] for s in OPEN_WAITLIST_STATUSES)
    assert open_count > 100
    assert statuses[WaitlistStatus.WAITING] > 50
    assert not WaitlistEntry.objects.filter(added_at__gt=now).exists()
    closed = WaitlistEntry.objects.filter(status__in=list(CLOSED_STATUSES))
    assert closed.exists()
    assert not closed.filter(closed_at__isnull=True).exists()
    assert (
        not WaitlistEntry.objects.exclude(status__in=list(CLOSED_STATUSES))
        .filter(closed_at__isnull=False)
        .exists()
    )
    moved = WaitlistEntry.objects.exclude(status=WaitlistStatus.WAITING).count()
    assert WaitlistStatusChange.objects.count() == moved
    assert ContactAttempt.objects.count() > 150
    assert not ContactAttempt.objects.filter(at__gt=now).exists()
    assert PlacementExclusion.objects.count() == 4
    urgent = WaitlistEntry.objects.filter(urgency="urgent").count()
    assert 0 < urgent < 60


def test_scale_waitlist_is_deterministic_for_a_seed(db):
    from random import Random

    from kindred.clients.models import Client, ConcernTag
    from kindred.core.seeding.waitlist import seed_scale_waitlist

    _run("seed_scale", clients=120)

    def snapshot() -> list[tuple[object, ...]]:
        return list(
            WaitlistEntry.objects.annotate(attempts=Count("contacts"))
            .order_by("client_id")
            .values_list("client_id", "status", "urgency", "group_id", "attempts")
        )

    def again(seed: str) -> list[tuple[object, ...]]:
        PlacementExclusion.objects.all().delete()
        WaitlistEntry.objects.all().delete()
        Referral.objects.all().delete()
        seed_scale_waitlist(
            client_ids=list(Client.objects.order_by("pk").values_list("pk", flat=True)),
            concern_ids=list(ConcernTag.objects.order_by("pk").values_list("pk", flat=True)),
            groups=[],
            coordinator_ids=[],
            rng=Random(seed),
            now=timezone.now(),
            batch_size=50,
            progress=lambda n: None,
        )
        return snapshot()

    assert again("a") == again("a")
    assert again("a") != again("b")
