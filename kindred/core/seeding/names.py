"""Deterministic synthetic people: every value comes from the ``Random`` passed in, so
the same seed gives the same data set on every machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

FIRST_NAMES: tuple[str, ...] = (
    "Aaliyah", "Adrian", "Aisha", "Alejandro", "Alex", "Amara", "Andre", "Anika", "Ari",
    "Ava", "Beatriz", "Benjamin", "Bianca", "Caleb", "Camila", "Carmen", "Charlie", "Chen",
    "Chloe", "Dakota", "Daniel", "Darius", "Deja", "Diego", "Dmitri", "Elena", "Eli",
    "Emeka", "Emma", "Esperanza", "Ethan", "Fatima", "Felix", "Gabriel", "Grace", "Hana",
    "Hector", "Imani", "Irene", "Isaac", "Jada", "Jamal", "Jasmine", "Javier", "Jin",
    "Jordan", "Jose", "Julia", "Kai", "Kayla", "Keisha", "Kenji", "Lakshmi", "Laura",
    "Leila", "Leo", "Lucia", "Luis", "Malik", "Marcus", "Maria", "Mateo", "Maya", "Mei",
    "Miguel", "Mina", "Nadia", "Naomi", "Nia", "Noah", "Nora", "Olivia", "Omar", "Owen",
    "Priya", "Quinn", "Rafael", "Rania", "Reese", "Riley", "Rosa", "Ruth", "Samir", "Sara",
    "Sean", "Sofia", "Tanisha", "Teresa", "Theo", "Tomasz", "Trinh", "Valentina", "Victor",
    "Wei", "Willa", "Xavier", "Yara", "Yusuf", "Zainab", "Zoe",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Abbott", "Acosta", "Adeyemi", "Ahmed", "Alvarez", "Anderson", "Baker", "Banks",
    "Barrera", "Bell", "Bennett", "Brooks", "Bui", "Caldwell", "Campbell", "Carter",
    "Castillo", "Chavez", "Cho", "Coleman", "Collins", "Cruz", "Dang", "Davis", "Delgado",
    "Diaz", "Dominguez", "Edwards", "Ellis", "Espinoza", "Evans", "Farah", "Fischer",
    "Flores", "Foster", "Garcia", "Gomez", "Gonzalez", "Graham", "Green", "Gutierrez",
    "Hall", "Hansen", "Harris", "Hayes", "Hernandez", "Hill", "Hoang", "Holmes", "Hughes",
    "Ibrahim", "Jackson", "James", "Jensen", "Johnson", "Jones", "Kaur", "Kelly", "Khan",
    "Kim", "Kowalski", "Kumar", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Mendoza",
    "Mitchell", "Moore", "Morales", "Morgan", "Murphy", "Nakamura", "Nguyen", "Novak",
    "Okafor", "Olsen", "Ortiz", "Owens", "Park", "Patel", "Perez", "Peterson", "Phillips",
    "Pham", "Price", "Ramirez", "Ramos", "Reed", "Reyes", "Rivera", "Roberts", "Robinson",
    "Rodriguez", "Romero", "Ross", "Russo", "Sanchez", "Santos", "Schmidt", "Scott",
    "Shah", "Silva", "Singh", "Smith", "Soto", "Stewart", "Sullivan", "Tanaka", "Taylor",
    "Thomas", "Thompson", "Torres", "Tran", "Turner", "Vargas", "Vasquez", "Walker",
    "Washington", "Watson", "White", "Williams", "Wilson", "Wong", "Wright", "Yang",
    "Young", "Zielinski",
)  # fmt: skip

PRONOUNS: tuple[str, ...] = ("she/her", "he/him", "they/them", "she/they", "he/they")

RELATIONSHIPS: tuple[str, ...] = (
    "Partner", "Spouse", "Parent", "Sibling", "Friend", "Adult child", "Roommate",
)  # fmt: skip

# Area codes of the cities the synthetic practices are in; the 555-01xx exchange is
# reserved for fiction, so none of these numbers can reach anyone.
AREA_CODES: dict[str, tuple[str, ...]] = {
    "IL": ("312", "773", "217", "309"),
    "KS": ("316", "785", "913"),
    "FL": ("813", "407", "305", "904"),
    "MO": ("314", "816"),
}


@dataclass(frozen=True)
class PersonName:
    first: str
    last: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def person_name(rng: Random) -> PersonName:
    return PersonName(rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))


def fictional_phone(rng: Random, state: str = "IL") -> str:
    area = rng.choice(AREA_CODES.get(state, AREA_CODES["IL"]))
    return f"+1 {area} 555 01{rng.randrange(100):02d}"


def email_for(name: PersonName, domain: str, *, number: int | None = None) -> str:
    local = f"{name.first}.{name.last}".lower().replace(" ", "")
    if number is not None:
        local = f"{local}{number}"
    return f"{local}@{domain}"


def birth_date(rng: Random, *, today: date, min_age: int = 18, max_age: int = 80) -> date:
    """A date of birth for someone between ``min_age`` and ``max_age`` years old."""
    youngest = today - timedelta(days=365 * min_age + 5)
    span = 365 * (max_age - min_age)
    return youngest - timedelta(days=rng.randrange(span))


def npi_check_digit(first_nine: str) -> str:
    """The Luhn check digit of an NPI (computed over the prefix 80840, per CMS)."""
    digits = [int(d) for d in "80840" + first_nine]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        weighted = digit * 2 if i % 2 == 0 else digit
        total += weighted - 9 if weighted > 9 else weighted
    return str((10 - total % 10) % 10)


def synthetic_npi(number: int) -> str:
    """A checksum-valid NPI that cannot belong to anyone: issued NPIs start with 1 or 2,
    these start with 9."""
    first_nine = f"9{number % 10**8:08d}"
    return first_nine + npi_check_digit(first_nine)


def documentation_ip(rng: Random) -> str:
    """An address from TEST-NET-1 (192.0.2.0/24, RFC 5737): never a real client."""
    return f"192.0.2.{rng.randrange(1, 255)}"
