"""Reference data both synthetic data sets share: concern tags, the three interstate
compacts (as editable data: CLINICAL.md), license types and places."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CONCERN_TAGS: tuple[tuple[str, str], ...] = (
    ("Grief", "Loss of a loved one, or other losses that change a life."),
    ("Anxiety", "Worry, panic or fear that gets in the way of daily life."),
    ("Depression", "Low mood, loss of interest, feeling stuck."),
    ("Trauma", "After frightening or harmful experiences."),
    ("Postpartum", "The months after having or losing a baby."),
    ("Caregiving", "Looking after a relative or partner who needs care."),
    ("Chronic illness", "Living with a long-term health condition or pain."),
    ("Substance use recovery", "Staying on a path of recovery from alcohol or drug use."),
    ("LGBTQ+ support", "Identity, coming out, family and community."),
    ("Veterans", "Life during and after military service."),
)

VERIFY_NOTE = (
    "Synthetic demo data: membership and dates are examples, not a legal reference; "
    "check the compact commission's map before relying on them. "
    "Florida: status to verify (not listed as a member here until confirmed)."
)


@dataclass(frozen=True)
class CompactFacts:
    code: str
    name: str
    profession: str
    # (state, member from) pairs.
    members: tuple[tuple[str, date], ...]
    notes: str = VERIFY_NOTE


COMPACTS: tuple[CompactFacts, ...] = (
    CompactFacts(
        code="psypact",
        name="PSYPACT (Psychology Interjurisdictional Compact)",
        profession="Psychologists: telepsychology and temporary in-person practice",
        members=(
            ("AZ", date(2020, 7, 1)),
            ("CO", date(2020, 7, 1)),
            ("IL", date(2020, 7, 1)),
            ("KS", date(2022, 7, 1)),
            ("MO", date(2020, 7, 1)),
            ("NE", date(2020, 7, 1)),
            ("TX", date(2020, 7, 1)),
        ),
    ),
    CompactFacts(
        code="counseling",
        name="Counseling Compact",
        profession="Licensed professional counselors",
        members=(
            ("KS", date(2023, 1, 1)),
            ("MO", date(2023, 1, 1)),
        ),
    ),
    CompactFacts(
        code="social-work",
        name="Social Work Licensure Compact",
        profession="Social workers (bachelor's, master's and clinical)",
        members=(("MO", date(2024, 1, 1)),),
    ),
)


@dataclass(frozen=True)
class Profession:
    key: str
    credentials: str
    compact: str | None  # the compact code a clinician of this profession may hold
    # License type per state.
    license_types: dict[str, str]


PROFESSIONS: tuple[Profession, ...] = (
    Profession(
        "psychologist",
        "PhD",
        "psypact",
        {"IL": "Licensed Psychologist", "KS": "Licensed Psychologist",
         "FL": "Licensed Psychologist", "MO": "Licensed Psychologist"},
    ),
    Profession(
        "counselor",
        "MA",
        "counseling",
        {"IL": "LCPC", "KS": "LCPC", "FL": "LMHC", "MO": "LPC"},
    ),
    Profession(
        "social_worker",
        "MSW",
        "social-work",
        {"IL": "LCSW", "KS": "LSCSW", "FL": "LCSW", "MO": "LCSW"},
    ),
    Profession(
        "mft",
        "MS",
        None,
        {"IL": "LMFT", "KS": "LCMFT", "FL": "LMFT", "MO": "LMFT"},
    ),
)  # fmt: skip

STATE_TIMEZONES: dict[str, str] = {
    "IL": "America/Chicago",
    "KS": "America/Chicago",
    "FL": "America/New_York",
    "MO": "America/Chicago",
}

# City, ZIP code (a real prefix for the city; street addresses are invented).
CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "IL": (("Chicago", "60601"), ("Evanston", "60201"), ("Naperville", "60540"),
           ("Springfield", "62701"), ("Peoria", "61602"), ("Rockford", "61101"),
           ("Champaign", "61820")),
    "KS": (("Wichita", "67202"), ("Overland Park", "66210"), ("Topeka", "66603"),
           ("Lawrence", "66044"), ("Manhattan", "66502")),
    "FL": (("Tampa", "33602"), ("Orlando", "32801"), ("Miami", "33130"),
           ("Jacksonville", "32202"), ("Tallahassee", "32301"), ("Gainesville", "32601"),
           ("St. Petersburg", "33701")),
    "MO": (("St. Louis", "63101"), ("Kansas City", "64105")),
}  # fmt: skip

STREETS: tuple[str, ...] = (
    "Prairie Way", "Gulf Breeze Boulevard", "Harbor Light Drive", "Meadowlark Lane",
    "Cedar Hollow Road", "Lantern Square", "Riverbend Avenue", "Sunflower Court",
)  # fmt: skip
