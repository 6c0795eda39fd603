"""Demo data for matching (issue 6): the practice's default weights, and a few people on
the waitlist chosen so that a coordinator who runs matching in the demo sees proposals
with their reasons and, for two people, the rules that kept them out of every group.

They arrive as staff referrals through the real intake service (so the client record,
its weekly times, offices, language and gender and the waitlist entry are made as for
anyone else). Six fit one of the demo groups with open seats (same concern, a time
window around its meeting in their own time zone, the way they would meet, the office
for the in-person ones); one lives in Texas, where no facilitator may practise; one can
only come early on Monday mornings, when no group meets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from random import Random

from django.utils import timezone

from kindred.accounts.models import User
from kindred.clients.models import ConcernTag
from kindred.core.seeding import names
from kindred.intake.models import ReferralSource, Urgency
from kindred.intake.referrals import AvailabilityRow, referral_submit
from kindred.matching.models import MatchingSettings
from kindred.practice.models import Location

SEED = 6061


@dataclass(frozen=True)
class Seeker:
    concern: str
    state: str
    modality: str  # virtual, in_person, either
    windows: tuple[tuple[int, time, time], ...]  # weekday (0 = Monday), from, until
    office_city: str = ""  # the office they could get to, for in-person groups
    urgency: str = Urgency.ROUTINE
    gender: str = ""
    weeks_waiting: int = 3
    why: str = ""  # for whoever reads this file: which group they fit


SEEKERS: tuple[Seeker, ...] = (
    Seeker(
        "Anxiety", "IL", "virtual", ((1, time(17, 0), time(21, 0)),),
        urgency=Urgency.SOON, weeks_waiting=9, why="Steady Ground (Tuesday evenings, video)",
    ),
    Seeker(
        "Anxiety", "KS", "either", ((1, time(18, 0), time(20, 30)),),
        gender="woman", weeks_waiting=5, why="Steady Ground",
    ),
    Seeker(
        "Grief", "IL", "in_person", ((3, time(11, 0), time(14, 0)),),
        office_city="Chicago", urgency=Urgency.URGENT, gender="man", weeks_waiting=2,
        why="Lakeview grief circle (Thursday lunchtime, Chicago office)",
    ),
    Seeker(
        "Caregiving", "FL", "either", ((2, time(17, 0), time(19, 30)),),
        office_city="Tampa", gender="nonbinary", weeks_waiting=6,
        why="Harbor caregivers (Wednesday evenings, Tampa office or video)",
    ),
    Seeker(
        "Depression", "FL", "virtual", ((5, time(10, 0), time(13, 0)),),
        weeks_waiting=11, why="Saturday open circle (video; 11:00 in Florida)",
    ),
    Seeker(
        "Depression", "KS", "virtual", ((5, time(9, 0), time(12, 0)),),
        urgency=Urgency.SOON, gender="prefer_not", weeks_waiting=4,
        why="Saturday open circle",
    ),
    Seeker(
        "Anxiety", "TX", "virtual", ((1, time(17, 0), time(21, 0)),),
        weeks_waiting=7, why="none: no facilitator may practise in Texas",
    ),
    Seeker(
        "Anxiety", "IL", "virtual", ((0, time(7, 0), time(8, 30)),),
        weeks_waiting=8, why="none: no group meets early on Monday mornings",
    ),
)  # fmt: skip


def seed_matching_settings() -> MatchingSettings:
    """The practice's weights row, with the defaults."""
    row, _created = MatchingSettings.objects.get_or_create(pk=1)
    return row


def seed_demo_matching(*, coordinator: User, email_domain: str, seed: int = SEED) -> int:
    """The weights and the people above; returns how many went on the waitlist."""
    seed_matching_settings()
    rng = Random(seed)  # noqa: S311 - synthetic data, not secrets
    concerns = {c.name: c for c in ConcernTag.objects.filter(is_active=True)}
    offices = {loc.city: loc for loc in Location.objects.filter(is_active=True)}
    today = timezone.localdate()
    placed = 0
    for n, seeker in enumerate(SEEKERS):
        name = names.person_name(rng)
        concern = concerns.get(seeker.concern)
        office = offices.get(seeker.office_city) if seeker.office_city else None
        when = timezone.now() - timedelta(weeks=seeker.weeks_waiting, days=n % 3)
        submission = referral_submit(
            actor=coordinator,
            source=ReferralSource.STAFF,
            first_name=name.first,
            last_name=name.last,
            date_of_birth=_born(rng, today),
            state=seeker.state,
            email=names.email_for(name, email_domain, number=600 + n),
            phone=names.fictional_phone(rng, seeker.state if seeker.state != "TX" else "IL"),
            concerns=[concern] if concern is not None else [],
            preferred_modality=seeker.modality,
            availability=[AvailabilityRow(d, a, b) for d, a, b in seeker.windows],
            locations=[office] if office is not None else [],
            gender=seeker.gender,
            urgency=seeker.urgency,
            now=when,
        )
        if submission.entry is not None:
            placed += 1
    return placed


def _born(rng: Random, today: date) -> date:
    return names.birth_date(rng, today=today, min_age=24, max_age=66)
