"""Privacy inside the record: each member's chart gets the group note without the
other members' names and contact details; the member's own name is kept."""

from __future__ import annotations

import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kindred.notes import redaction
from kindred.notes.redaction import person, redact


def p(pk: int, first: str, last: str, preferred: str = "", **kw: str) -> redaction.Person:
    return person(pk, legal_first_name=first, legal_last_name=last, preferred_name=preferred, **kw)


AVERY = p(1, "Avery", "Lindqvist", email="avery@example.test", phone="312-555-0101")
BLAIR = p(2, "Blair", "Okafor", "Bee", email="blair@example.test", phone="(312) 555-0102")
CASEY = p(3, "Casey", "Mary-Jane")


def test_other_members_are_another_member_and_the_own_name_stays():
    text = (
        "Avery Lindqvist opened. Blair Okafor (Bee) responded to AVERY; bee's story moved "
        "the group. Blair's phone 312 555 0102, blair@example.test. Casey and Jane left."
    )
    out = redact(text, own=AVERY, others=[AVERY, BLAIR, CASEY])
    assert "Avery Lindqvist opened" in out
    assert "AVERY" in out
    assert not re.search(r"(?i)\b(blair|okafor|bee|casey|jane)\b", out)
    assert "another member's story" in out  # possessives keep their grammar
    assert "555" not in out
    assert "@" not in out
    assert "another member (another member)" in out


def test_a_shared_name_part_becomes_neutral():
    twin = p(4, "Avery", "Stone")
    out = redact("Avery spoke to Stone.", own=AVERY, others=[AVERY, twin])
    assert out == "a member spoke to another member."


def test_names_mentioned_finds_whole_words_only():
    people = [AVERY, BLAIR]
    assert redaction.names_mentioned("Averyville is a town; blairs.", people) == []
    assert redaction.names_mentioned("we met bee", people) == [BLAIR]


NAME = st.text(string.ascii_lowercase, min_size=2, max_size=10).map(str.capitalize)
RESERVED = {"another", "member", "a", "an"}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    names=st.lists(st.tuples(NAME, NAME), min_size=2, max_size=8),
    filler=st.lists(st.sampled_from(["and", "said", "to", "the", ",", ".", "'s", "—"])),
    data=st.data(),
)
def test_no_other_members_name_survives(names, filler, data):
    people = [p(i + 1, first, last) for i, (first, last) in enumerate(names)]
    words = [w for first, last in names for w in (first, last)] + filler
    tokens = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=40))
    text = " ".join(t.upper() if len(t) % 3 == 0 else t for t in tokens)
    own = people[0]
    out = redact(text, own=own, others=people)
    others = set().union(*(o.name_parts for o in people[1:])) - RESERVED
    survivors = {w.lower() for w in re.findall(r"[A-Za-z]+", out)}
    assert not (others & survivors - {"another", "member", "a"})
    # The own name survives wherever it is not also another member's.
    for part in own.name_parts - set().union(*(o.name_parts for o in people[1:])):
        if re.search(rf"(?i)\b{part}\b", text):
            assert re.search(rf"(?i)\b{part}\b", out)
