"""Demo data for matching: after seed_demo (and the matching people, if demo.py does not
add them already), a coordinator running matching sees proposals for the people who fit
the demo groups, and for the two who fit none the rules that blocked every group."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F

from kindred.accounts.models import User
from kindred.clients.models import Client
from kindred.core.seeding import demo
from kindred.core.seeding.matching import SEEKERS, seed_demo_matching
from kindred.groups.models import TherapyGroup
from kindred.matching import facts
from kindred.matching.models import MatchingSettings
from kindred.matching.rules import blocking_rules
from kindred.matching.services import match_run_start
from kindred.matching.types import Modality, Rule


@pytest.fixture
def demo_with_matching(db: Any, settings: Any) -> User:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    coordinator = User.objects.get(email=demo.demo_email("coordinator"))
    # Idempotent: the same referrals again within a day are repeats.
    seed_demo_matching(coordinator=coordinator, email_domain=demo.DEMO_DOMAIN)
    return coordinator


def test_the_demo_s_matching_people_get_proposals_and_reasons(
    demo_with_matching: User,
) -> None:
    assert MatchingSettings.objects.filter(pk=1).exists()
    seekers = list(Client.objects.filter(email__contains="60").order_by("pk"))
    assert len(seekers) == len(SEEKERS)
    built = facts.build_facts()
    problem = built.problem
    by_client = {p.client_id: p for p in problem.people}
    groups = {g.group_id: g for g in problem.groups}
    fits = [by_client[c.pk] for c in seekers[:6]]
    for person in fits:
        assert any(not blocking_rules(person, g) for g in groups.values()), person
    texas, monday = by_client[seekers[6].pk], by_client[seekers[7].pk]
    for group in groups.values():
        # Every group online is closed to Texas by licensure (in person: not how they meet).
        if group.modality != Modality.IN_PERSON:
            assert Rule.LICENSURE in blocking_rules(texas, group)
        assert blocking_rules(texas, group)
        assert Rule.SCHEDULE in blocking_rules(monday, group)

    run = match_run_start(actor=demo_with_matching)
    lines = {line.client_id: line for line in run.lines.all()}
    assert run.placed_count >= 4
    assert sum(lines[c.pk].group_id is not None for c in seekers[:6]) >= 4
    assert all(lines[c.pk].reasons for c in seekers[:6] if lines[c.pk].group_id)
    assert lines[seekers[6].pk].group_id is None
    assert "licensure" in [r["rule"] for r in lines[seekers[6].pk].blocked["rules"]]
    assert lines[seekers[7].pk].group_id is None
    assert "schedule" in [r["rule"] for r in lines[seekers[7].pk].blocked["rules"]]


@pytest.mark.django_db
def test_scale_clients_give_genders_and_offices_in_their_state() -> None:
    call_command("seed_scale", clients=300, batch_size=128, stdout=StringIO(), stderr=StringIO())
    genders = set(Client.objects.values_list("gender", flat=True))
    assert {"", "woman", "man"} <= genders
    assert genders <= {"", "woman", "man", "nonbinary", "another", "prefer_not"}
    through = Client.locations.through.objects
    assert through.exists()
    assert not through.filter(client__preferred_modality="virtual").exists()
    assert not through.exclude(location__state=F("client__state_of_residence")).exists()
    languages = set(TherapyGroup.objects.values_list("language", flat=True))
    assert languages <= {"en", "es"}
