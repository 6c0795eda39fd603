"""The vocabulary of the authorization table: who may use a URL, as a rule.

The matrix signs in as each of the cast's people (``Who``) and asks a URL about an object
on side A or side B of the cast:

- side A: ``group_a`` led by ``facilitator`` (supervised by ``supervisor``) with ``member``
  and ``member_b``; objects a member owns on side A are ``member``'s;
- side B: ``group_b`` led by ``facilitator_b`` with ``outsider``; the member-owned objects
  are ``outsider``'s.

So for ``member`` an A object is "own" and a B object "other's"; ``member_b`` is the
"other member" of an A object they share a group with; ``facilitator_b`` is the "other
facilitator". A row's rule is a union of grants; each grant names the people it lets in,
per side (and for a URL that names no object). The expected outcome of every cell is
derived from the rule, never written per cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kindred.practice.roles import ROLE_CAPABILITIES, Capability, Role


class Who(StrEnum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    MEMBER_B = "member_b"  # the other member of group A
    OUTSIDER = "outsider"  # the member of group B
    FACILITATOR = "facilitator"
    FACILITATOR_B = "facilitator_b"  # the other facilitator
    SUPERVISOR = "supervisor"
    COORDINATOR = "coordinator"
    BILLING = "billing"
    ADMIN = "admin"


MEMBERS = frozenset({Who.MEMBER, Who.MEMBER_B, Who.OUTSIDER})
STAFF_ROLE_OF: dict[Who, Role] = {
    Who.FACILITATOR: Role.FACILITATOR,
    Who.FACILITATOR_B: Role.FACILITATOR,
    Who.SUPERVISOR: Role.SUPERVISOR,
    Who.COORDINATOR: Role.COORDINATOR,
    Who.BILLING: Role.BILLING,
    Who.ADMIN: Role.ADMIN,
}
STAFF = frozenset(STAFF_ROLE_OF)
EVERYONE = frozenset(Who)
SIGNED_IN = EVERYONE - {Who.ANONYMOUS}


class Side(StrEnum):
    A = "A"  # own side of member / facilitator
    B = "B"  # the other side
    NONE = "none"  # the URL names no object


@dataclass(frozen=True)
class Grant:
    """People let in: ``a``/``b`` for objects of side A/B, ``none`` when no object."""

    name: str
    a: frozenset[Who]
    b: frozenset[Who]
    none: frozenset[Who]

    def allows(self, who: Who, side: Side) -> bool:
        return who in {Side.A: self.a, Side.B: self.b, Side.NONE: self.none}[side]


def _everywhere(name: str, people: frozenset[Who]) -> Grant:
    return Grant(name, people, people, people)


def cap(capability: Capability) -> Grant:
    """Staff whose role carries ``capability``, whatever the object."""
    people = frozenset(w for w, r in STAFF_ROLE_OF.items() if capability in ROLE_CAPABILITIES[r])
    return _everywhere(f"cap:{capability.value}", people)


PUBLIC = _everywhere("public", EVERYONE)
SIGNED = _everywhere("signed_in", SIGNED_IN)
ANY_MEMBER = _everywhere("members", MEMBERS)
ANY_STAFF = _everywhere("staff", STAFF)
ANONYMOUS_ONLY = _everywhere("anonymous", frozenset({Who.ANONYMOUS}))
# The member who owns the object (their journal entry, goal, notification...).
OWNER = Grant("owner", frozenset({Who.MEMBER}), frozenset({Who.OUTSIDER}), MEMBERS)
# Members with an active place in the object's group.
GROUP_MEMBERS = Grant(
    "group_members", frozenset({Who.MEMBER, Who.MEMBER_B}), frozenset({Who.OUTSIDER}), MEMBERS
)
# The group's facilitator only (authors of process notes, owners of their own tokens).
LEAD = Grant(
    "lead",
    frozenset({Who.FACILITATOR}),
    frozenset({Who.FACILITATOR_B}),
    frozenset({Who.FACILITATOR, Who.FACILITATOR_B}),
)
# The group's facilitator and their supervisor.
CLINICIANS = Grant(
    "clinicians",
    frozenset({Who.FACILITATOR, Who.SUPERVISOR}),
    frozenset({Who.FACILITATOR_B}),
    frozenset({Who.FACILITATOR, Who.FACILITATOR_B, Who.SUPERVISOR}),
)
# The staff member themself (their own account, profile, token): for side-less URLs any
# staff; for a staff object, its person.
SELF_STAFF = Grant(
    "self_staff", frozenset({Who.FACILITATOR}), frozenset({Who.FACILITATOR_B}), STAFF
)
NOBODY = _everywhere("nobody", frozenset())


@dataclass(frozen=True)
class Rule:
    grants: tuple[Grant, ...]
    label: str = ""

    def allows(self, who: Who, side: Side) -> bool:
        return any(g.allows(who, side) for g in self.grants)

    def allows_somewhere(self, who: Who) -> bool:
        return any(self.allows(who, s) for s in Side)

    def describe(self) -> str:
        return self.label or " | ".join(g.name for g in self.grants)


def rule(*grants: Grant, label: str = "") -> Rule:
    return Rule(tuple(grants), label)


@dataclass(frozen=True)
class Row:
    """One URL pattern: its rule and how to fill its URL from the cast.

    ``slots`` maps a URL keyword to a slot of the world (``"group"``, ``"journal_entry"``);
    ``fixed`` gives literal values for the other keywords; ``target`` is the keyword
    whose object is replaced by a missing id (default: the last slot). ``denied_redirect``
    lets a denied person be sent somewhere other than sign-in (a role's home page).
    ``no_object`` marks a URL whose keyword is not an object (a token, a slug of a code).
    """

    rule: Rule
    slots: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    target: str = ""
    denied_redirect: bool = False
    note: str = ""
    method: str = "GET"  # the method every cell sends; POST for action-only URLs
    # The URL names a thing inside the object that the world does not hold (a reaction to
    # remove): an allowed person may get 404 for it.
    absent_ok: bool = False
    # Who may write with the other unsafe methods, when that differs from ``rule`` (any
    # staff may submit a referral, only intake staff read the list). None: nobody else.
    writes: Rule | None = None


def row(
    r: Rule | Grant,
    slots: dict[str, str] | None = None,
    *,
    fixed: dict[str, str] | None = None,
    target: str = "",
    denied_redirect: bool = False,
    note: str = "",
    method: str = "GET",
    absent_ok: bool = False,
    writes: Rule | None = None,
) -> Row:
    the_rule = r if isinstance(r, Rule) else Rule((r,))
    return Row(
        the_rule, slots or {}, fixed or {}, target, denied_redirect, note, method, absent_ok, writes
    )
