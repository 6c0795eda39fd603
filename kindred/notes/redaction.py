"""Keeping other members out of a member's chart.

The group note is written about the whole group. Each member's chart receives a copy in
which the other members' names (legal first and last, preferred) and their email
addresses and phone numbers are replaced by "another member", while the member's own
name is kept. A name part that belongs to both the member and another member (two
people called Sam) cannot be told apart, so it is replaced by the neutral "a member":
privacy wins over keeping one's own name. Matching is on whole words and ignores case.

``names_mentioned`` finds the members a text names, for the warning the facilitator
sees before signing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ANOTHER = "another member"
NEUTRAL = "a member"
#: Parts of names shorter than this are not matched (initials, "Al" is kept as a name).
MIN_PART = 2
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?1?[\s.-]?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)")
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Person:
    """What identifies one member in free text."""

    client_id: int
    display_name: str
    name_parts: frozenset[str]  # lower-cased whole words
    emails: frozenset[str]  # lower-cased
    phones: frozenset[str]  # digits only, last 10


_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")


def _parts(*names: str) -> frozenset[str]:
    """Lower-cased name words, and the pieces of hyphenated or apostrophed ones
    ("Mary-Jane" gives "mary-jane", "mary" and "jane")."""
    parts: set[str] = set()
    for name in names:
        for word in _WORD.findall(name or ""):
            for piece in (word, *re.split(r"['’-]", word)):
                if len(piece) >= MIN_PART:
                    parts.add(piece.lower())
    return frozenset(parts)


def person(
    client_id: int,
    *,
    legal_first_name: str,
    legal_last_name: str,
    preferred_name: str = "",
    display_name: str = "",
    email: str = "",
    phone: str = "",
) -> Person:
    digits = _DIGITS.sub("", phone or "")[-10:]
    return Person(
        client_id=client_id,
        display_name=display_name or f"{preferred_name or legal_first_name} {legal_last_name}",
        name_parts=_parts(legal_first_name, legal_last_name, preferred_name),
        emails=frozenset({email.lower()} if email else set()),
        phones=frozenset({digits} if len(digits) == 10 else set()),
    )


def person_of(client: object) -> Person:
    """A ``Person`` from a ``clients.Client``."""
    return person(
        client.pk,  # type: ignore[attr-defined]
        legal_first_name=client.legal_first_name,  # type: ignore[attr-defined]
        legal_last_name=client.legal_last_name,  # type: ignore[attr-defined]
        preferred_name=client.preferred_name,  # type: ignore[attr-defined]
        display_name=client.display_name,  # type: ignore[attr-defined]
        email=client.email or "",  # type: ignore[attr-defined]
        phone=getattr(client, "phone", "") or "",
    )


def _word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    if not ordered:
        return None
    alternation = "|".join(re.escape(w) for w in ordered)
    # A run of name words ("Avery Member") becomes one replacement.
    return re.compile(
        rf"(?<!\w)(?:{alternation})(?:\s+(?:{alternation}))*(?!\w)",
        re.IGNORECASE,
    )


def redact(text: str, *, own: Person | None, others: Sequence[Person]) -> str:
    """``text`` as ``own``'s chart receives it: every other member's names, emails and
    phone numbers replaced."""
    if not text:
        return text
    own_parts = own.name_parts if own else frozenset()
    own_emails = own.emails if own else frozenset()
    own_phones = own.phones if own else frozenset()
    other_parts: set[str] = set()
    for other in others:
        if own is not None and other.client_id == own.client_id:
            continue
        other_parts |= other.name_parts
    shared = other_parts & own_parts

    def email(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0).lower() in own_emails else ANOTHER

    def phone(match: re.Match[str]) -> str:
        digits = _DIGITS.sub("", match.group(0))[-10:]
        return match.group(0) if digits in own_phones else ANOTHER

    # Any email address or phone number that is not the member's own is removed: a
    # relative's or a friend's would identify someone just as well.
    text = _EMAIL.sub(email, text)
    text = _PHONE.sub(phone, text)
    pattern = _word_pattern(other_parts)
    if pattern is None:
        return text

    def name(match: re.Match[str]) -> str:
        words = {w.lower() for w in match.group(0).split()}
        return NEUTRAL if words & shared else ANOTHER

    return pattern.sub(name, text)


def names_mentioned(text: str, people: Sequence[Person]) -> list[Person]:
    """The members whose names (any part) appear in ``text`` as whole words."""
    if not text:
        return []
    found = []
    for p in people:
        pattern = _word_pattern(p.name_parts)
        if pattern is not None and pattern.search(text):
            found.append(p)
    return found
