"""The licensure check (CLINICAL.md, "Licensure for virtual sessions"): pure, table-driven."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindred.practice.licensure import (
    ACTIVE,
    LicenseFact,
    LicensureDecision,
    MembershipPeriod,
    PrivilegeFact,
    Reason,
    Standing,
    decide,
    member_states_on,
    standing,
)
from kindred.practice.models import CredentialStatus

D = date
PSYPACT = 1
COUNSELING = 2

IL_LICENSE = LicenseFact(1, "IL", "Licensed Psychologist", "071-1", D(2020, 1, 1), D(2026, 9, 30))
KS_LICENSE = LicenseFact(2, "KS", "LCPC", "KS-9", D(2021, 6, 1), D(2025, 5, 31))
# PSYPACT privilege from Illinois (home) into Kansas and Florida.
PRIV = PrivilegeFact(
    10, PSYPACT, "PSYPACT", "IL", frozenset({"KS", "FL"}), D(2022, 1, 1), D(2027, 12, 31)
)
MEMBERS = [
    MembershipPeriod(PSYPACT, "IL", D(2020, 1, 1)),
    MembershipPeriod(PSYPACT, "KS", D(2021, 1, 1)),
    MembershipPeriod(PSYPACT, "FL", D(2022, 1, 1), D(2025, 6, 30)),  # left the compact
    MembershipPeriod(COUNSELING, "KS", D(2023, 1, 1)),
]
ON = D(2025, 3, 1)


def run(
    state: str = "KS",
    on: date = ON,
    licenses: Sequence[LicenseFact] = (IL_LICENSE,),
    privileges: Sequence[PrivilegeFact] = (PRIV,),
    members: Sequence[MembershipPeriod] = MEMBERS,
) -> LicensureDecision:
    return decide(state=state, on=on, licenses=licenses, privileges=privileges, memberships=members)


# (name, kwargs for run(), allowed, reason of the first finding)
CASES = [
    ("license in the state", {"state": "IL"}, True, Reason.LICENSED),
    ("license on its issue day", {"state": "IL", "on": D(2020, 1, 1)}, True, Reason.LICENSED),
    ("license on its expiry day", {"state": "IL", "on": D(2026, 9, 30)}, True, Reason.LICENSED),
    ("license the day after expiry", {"state": "IL", "on": D(2026, 10, 1), "privileges": ()},
     False, Reason.LICENSE_EXPIRED),
    ("license before issue", {"state": "IL", "on": D(2019, 12, 31), "privileges": ()},
     False, Reason.LICENSE_NOT_YET_VALID),
    ("suspended license", {"state": "IL", "privileges": (),
                           "licenses": (replace(IL_LICENSE, status="suspended"),)},
     False, Reason.LICENSE_NOT_ACTIVE),
    ("nothing for the state", {"state": "TX"}, False, Reason.NO_LICENSE),
    ("no credentials at all", {"licenses": (), "privileges": ()}, False, Reason.NO_LICENSE),
    ("not a state", {"state": "ZZ"}, False, Reason.UNKNOWN_STATE),
    ("privilege into a member state", {}, True, Reason.PRIVILEGE),
    ("privilege on its first day", {"on": D(2022, 1, 1)}, True, Reason.PRIVILEGE),
    ("privilege on its last day", {"on": D(2027, 12, 31),
                                   "licenses": (replace(IL_LICENSE, expires_on=D(2028, 1, 1)),)},
     True, Reason.PRIVILEGE),
    ("privilege before it starts", {"on": D(2021, 12, 31)}, False, Reason.PRIVILEGE_NOT_YET_VALID),
    ("privilege after it ended", {"on": D(2028, 1, 1),
                                  "licenses": (replace(IL_LICENSE, expires_on=D(2029, 1, 1)),)},
     False, Reason.PRIVILEGE_ENDED),
    ("privilege not active", {"privileges": (replace(PRIV, status="revoked"),)},
     False, Reason.PRIVILEGE_NOT_ACTIVE),
    ("privilege state still a member on its last day", {"state": "FL", "on": D(2025, 6, 30)},
     True, Reason.PRIVILEGE),
    ("privilege state left the compact", {"state": "FL", "on": D(2025, 7, 1)},
     False, Reason.COMPACT_MEMBERSHIP_ENDED),
    ("privilege state never a member", {"members": [m for m in MEMBERS if m.state != "KS"]},
     False, Reason.STATE_NOT_IN_COMPACT),
    ("privilege state joins later", {"members": [
        *[m for m in MEMBERS if m.state != "KS"], MembershipPeriod(PSYPACT, "KS", D(2026, 1, 1))]},
     False, Reason.STATE_NOT_IN_COMPACT),
    ("home state left the compact", {"members": [
        *[m for m in MEMBERS if m.state != "IL"],
        MembershipPeriod(PSYPACT, "IL", D(2020, 1, 1), D(2024, 12, 31))]},
     False, Reason.HOME_STATE_MEMBERSHIP_ENDED),
    ("home state not a member", {"members": [m for m in MEMBERS if m.state != "IL"]},
     False, Reason.HOME_STATE_NOT_IN_COMPACT),
    ("home license expired", {"on": D(2026, 10, 1)}, False, Reason.HOME_LICENSE_NOT_IN_FORCE),
    ("home license suspended", {"licenses": (replace(IL_LICENSE, status="suspended"),)},
     False, Reason.HOME_LICENSE_NOT_IN_FORCE),
    ("no home license at all", {"licenses": ()}, False, Reason.HOME_LICENSE_NOT_IN_FORCE),
    ("membership of another compact does not count", {"members": [
        m for m in MEMBERS if not (m.compact_id == PSYPACT and m.state == "KS")]},
     False, Reason.STATE_NOT_IN_COMPACT),
    ("expired own license, but a privilege covers it", {"licenses": (IL_LICENSE, KS_LICENSE),
                                                       "on": D(2025, 8, 1)},
     True, Reason.PRIVILEGE),
    ("current own license wins over a privilege", {"licenses": (IL_LICENSE, KS_LICENSE)},
     True, Reason.LICENSED),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs", "allowed", "reason"), CASES, ids=[c[0] for c in CASES])
def test_decision_table(name, kwargs, allowed, reason):
    decision = run(**kwargs)
    assert decision.allowed is allowed
    assert decision.reason == reason
    assert decision.message  # always a sentence to show


def test_the_decision_names_the_license_that_allows_it():
    decision = run(state="IL")
    assert decision.license == IL_LICENSE
    assert decision.message == (
        "Licensed: Licensed Psychologist license 071-1 in Illinois, valid through Sept. 30, 2026."
    )


def test_a_privilege_decision_names_the_privilege_and_the_home_license():
    decision = run()
    assert decision.privilege == PRIV
    assert decision.license == IL_LICENSE
    assert "PSYPACT" in decision.message
    assert "Kansas" in decision.message


def test_expired_license_says_when():
    decision = run(state="KS", licenses=(KS_LICENSE,), privileges=(), on=D(2025, 8, 1))
    assert decision.message == "The LCPC license KS-9 in Kansas expired on May 31, 2025."


def test_membership_ended_says_when():
    decision = run(state="FL", on=D(2025, 7, 1))
    assert decision.message == "Florida's membership of PSYPACT ended on June 30, 2025."


def test_every_failed_credential_is_listed():
    # An expired Kansas license and a privilege not yet started: both are explained.
    early = replace(PRIV, valid_from=D(2025, 9, 1))
    decision = run(licenses=(IL_LICENSE, KS_LICENSE), privileges=(early,), on=D(2025, 8, 1))
    assert not decision.allowed
    assert [f.reason for f in decision.findings] == [
        Reason.LICENSE_EXPIRED,
        Reason.PRIVILEGE_NOT_YET_VALID,
    ]
    assert len(decision.messages) == 2


def test_active_literal_matches_the_model():
    assert ACTIVE == CredentialStatus.ACTIVE


def test_member_states_on():
    assert member_states_on(MEMBERS, PSYPACT, D(2021, 6, 1)) == {"IL", "KS"}
    assert member_states_on(MEMBERS, PSYPACT, D(2025, 6, 30)) == {"IL", "KS", "FL"}
    assert member_states_on(MEMBERS, PSYPACT, D(2025, 7, 1)) == {"IL", "KS"}
    assert member_states_on(MEMBERS, COUNSELING, D(2025, 7, 1)) == {"KS"}
    assert member_states_on(MEMBERS, 99, D(2025, 7, 1)) == set()


@pytest.mark.parametrize(
    ("status", "today", "expected", "label"),
    [
        ("active", D(2025, 1, 1), Standing.CURRENT, "Current"),
        ("active", D(2026, 9, 10), Standing.EXPIRING, "Expires in 20 days"),
        ("active", D(2026, 9, 29), Standing.EXPIRING, "Expires in 1 day"),
        ("active", D(2026, 9, 30), Standing.EXPIRING, "Expires today"),
        ("active", D(2026, 10, 1), Standing.ENDED, "Expired"),
        ("active", D(2019, 1, 1), Standing.NOT_YET, "Not yet valid"),
        ("suspended", D(2025, 1, 1), Standing.NOT_ACTIVE, "Suspended"),
        ("pending", D(2025, 1, 1), Standing.NOT_ACTIVE, "Pending"),
    ],
)
def test_standing(status, today, expected, label):
    result = standing(status=status, starts=D(2020, 1, 1), ends=D(2026, 9, 30), today=today)
    assert result.standing == expected
    assert result.label == label
    assert result.tone in {"ok", "warn", "danger"}


# --- Properties -----------------------------------------------------------------------

STATES = ["IL", "KS", "FL", "MO"]
dates = st.dates(min_value=D(2019, 1, 1), max_value=D(2030, 12, 31))


@st.composite
def licenses(draw):
    issued = draw(dates)
    return LicenseFact(
        id=draw(st.integers(1, 10_000)),
        state=draw(st.sampled_from(STATES)),
        license_type="LCPC",
        number=str(draw(st.integers(1, 999))),
        issued_on=issued,
        expires_on=issued + timedelta(days=draw(st.integers(1, 2000))),
        status=draw(st.sampled_from([ACTIVE, ACTIVE, "expired", "suspended"])),
    )


@st.composite
def privileges(draw):
    start = draw(dates)
    home = draw(st.sampled_from(STATES))
    return PrivilegeFact(
        id=draw(st.integers(1, 10_000)),
        compact_id=draw(st.sampled_from([PSYPACT, COUNSELING])),
        compact_name="C",
        home_state=home,
        privilege_states=frozenset(draw(st.sets(st.sampled_from(STATES), max_size=3))) - {home},
        valid_from=start,
        valid_until=draw(st.none() | st.just(start + timedelta(days=400))),
        status=draw(st.sampled_from([ACTIVE, ACTIVE, "revoked"])),
    )


@st.composite
def periods(draw):
    start = draw(dates)
    return MembershipPeriod(
        compact_id=draw(st.sampled_from([PSYPACT, COUNSELING])),
        state=draw(st.sampled_from(STATES)),
        effective_from=start,
        effective_until=draw(st.none() | st.just(start + timedelta(days=700))),
    )


facts = st.tuples(
    st.lists(licenses(), max_size=4),
    st.lists(privileges(), max_size=3),
    st.lists(periods(), max_size=8),
    st.sampled_from(STATES),
    dates,
)


def _independent_answer(
    lics: list[LicenseFact],
    privs: list[PrivilegeFact],
    members: list[MembershipPeriod],
    state: str,
    on: date,
) -> bool:
    """The rule written out again, as plainly as possible, to check decide() against."""

    def in_force(lic: LicenseFact) -> bool:
        return lic.status == ACTIVE and lic.issued_on <= on <= lic.expires_on

    def member(compact_id: int, s: str) -> bool:
        return any(
            m.compact_id == compact_id
            and m.state == s
            and m.effective_from <= on
            and (m.effective_until is None or on <= m.effective_until)
            for m in members
        )

    if any(x.state == state and in_force(x) for x in lics):
        return True
    return any(
        p.status == ACTIVE
        and state in p.privilege_states
        and p.valid_from <= on
        and (p.valid_until is None or on <= p.valid_until)
        and member(p.compact_id, state)
        and member(p.compact_id, p.home_state)
        and any(x.state == p.home_state and in_force(x) for x in lics)
        for p in privs
    )


@settings(max_examples=300, deadline=None)
@given(facts)
def test_decide_agrees_with_the_rule(data):
    lics, privs, members, state, on = data
    decision = decide(state=state, on=on, licenses=lics, privileges=privs, memberships=members)
    assert decision.allowed == _independent_answer(lics, privs, members, state, on)
    assert decision.findings
    assert all(f.allows == decision.allowed for f in decision.findings[:1])


@settings(max_examples=150, deadline=None)
@given(facts, st.randoms(use_true_random=False))
def test_the_order_of_the_facts_does_not_matter(data, rnd):
    lics, privs, members, state, on = data
    first = decide(state=state, on=on, licenses=lics, privileges=privs, memberships=members)
    rnd.shuffle(lics)
    rnd.shuffle(privs)
    rnd.shuffle(members)
    second = decide(state=state, on=on, licenses=lics, privileges=privs, memberships=members)
    assert first.allowed == second.allowed
    assert first.reason == second.reason


@settings(max_examples=150, deadline=None)
@given(facts, licenses())
def test_a_license_elsewhere_never_takes_a_permission_away(data, extra):
    lics, privs, members, state, on = data
    before = decide(state=state, on=on, licenses=lics, privileges=privs, memberships=members)
    after = decide(
        state=state, on=on, licenses=[*lics, extra], privileges=privs, memberships=members
    )
    assert not before.allowed or after.allowed
