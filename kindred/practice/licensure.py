"""May a clinician practise in a state on a date? (CLINICAL.md, "Licensure for virtual
sessions".)

Therapy happens where the client is at the time of the session, so for a virtual session
every facilitator needs, for the member's attested state and the session's date, either

* a license in that state, in force that day, or
* a compact privilege listing that state, in force that day, under a compact of which
  both that state and the privilege's home state are members that day, backed by a
  license in the home state in force that day.

This module is pure: plain dataclasses in, a decision with its reasons out; no ORM, no
clock. ``kindred.practice.selectors.clinician_may_practice`` loads the facts.

Every date range is inclusive at both ends: a license is good from ``issued_on`` through
``expires_on``, a privilege from ``valid_from`` through ``valid_until``, a compact
membership from ``effective_from`` through ``effective_until``. A missing end date means
open-ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kindred.practice.states import is_state, state_name

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# The stored value of CredentialStatus.ACTIVE (kept literal so this module imports no
# models; a test checks they agree).
ACTIVE = "active"
# Licenses and privileges ending within this many days are flagged on the pages.
EXPIRY_WARNING_DAYS = 60


@dataclass(frozen=True, slots=True)
class LicenseFact:
    id: int
    state: str
    license_type: str
    number: str
    issued_on: date
    expires_on: date
    status: str = ACTIVE


@dataclass(frozen=True, slots=True)
class PrivilegeFact:
    id: int
    compact_id: int
    compact_name: str
    home_state: str
    privilege_states: frozenset[str]
    valid_from: date
    valid_until: date | None = None
    status: str = ACTIVE


@dataclass(frozen=True, slots=True)
class MembershipPeriod:
    """One period of a state's membership of a compact."""

    compact_id: int
    state: str
    effective_from: date
    effective_until: date | None = None

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )


class Reason(StrEnum):
    # Allowed
    LICENSED = "licensed"
    PRIVILEGE = "privilege"
    # Not allowed
    UNKNOWN_STATE = "unknown_state"
    NO_LICENSE = "no_license"
    LICENSE_NOT_ACTIVE = "license_not_active"
    LICENSE_NOT_YET_VALID = "license_not_yet_valid"
    LICENSE_EXPIRED = "license_expired"
    PRIVILEGE_NOT_ACTIVE = "privilege_not_active"
    PRIVILEGE_NOT_YET_VALID = "privilege_not_yet_valid"
    PRIVILEGE_ENDED = "privilege_ended"
    STATE_NOT_IN_COMPACT = "state_not_in_compact"
    COMPACT_MEMBERSHIP_ENDED = "compact_membership_ended"
    HOME_STATE_NOT_IN_COMPACT = "home_state_not_in_compact"
    HOME_STATE_MEMBERSHIP_ENDED = "home_state_membership_ended"
    HOME_LICENSE_NOT_IN_FORCE = "home_license_not_in_force"


ALLOWING = frozenset({Reason.LICENSED, Reason.PRIVILEGE})


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason, with the credential it is about and the date it refers to (the day a
    license expired, a membership ended, a privilege starts...)."""

    reason: Reason
    state: str
    license: LicenseFact | None = None
    privilege: PrivilegeFact | None = None
    when: date | None = None

    @property
    def allows(self) -> bool:
        return self.reason in ALLOWING

    @property
    def message(self) -> str:
        return describe(self)


@dataclass(frozen=True, slots=True)
class LicensureDecision:
    state: str
    on: date
    allowed: bool
    # The first finding is the basis (when allowed) or the main reason (when not); the
    # rest are the other credentials that were considered and why they did not count.
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def reason(self) -> Reason:
        return self.findings[0].reason

    @property
    def license(self) -> LicenseFact | None:
        return self.findings[0].license

    @property
    def privilege(self) -> PrivilegeFact | None:
        return self.findings[0].privilege

    @property
    def message(self) -> str:
        return self.findings[0].message

    @property
    def messages(self) -> list[str]:
        return [f.message for f in self.findings]


# --- Small pure helpers -------------------------------------------------------------


def license_in_force(lic: LicenseFact, on: date) -> bool:
    return lic.status == ACTIVE and lic.issued_on <= on <= lic.expires_on


def privilege_in_force(priv: PrivilegeFact, on: date) -> bool:
    return (
        priv.status == ACTIVE
        and priv.valid_from <= on
        and (priv.valid_until is None or on <= priv.valid_until)
    )


def member_states_on(periods: Iterable[MembershipPeriod], compact_id: int, on: date) -> set[str]:
    """The states that are members of ``compact_id`` on ``on``."""
    return {p.state for p in periods if p.compact_id == compact_id and p.covers(on)}


def _membership_finding(
    periods: list[MembershipPeriod],
    state: str,
    on: date,
    *,
    ended: Reason,
    missing: Reason,
    subject: str,
    privilege: PrivilegeFact,
) -> Finding | None:
    """None when ``subject`` is a member on ``on``; otherwise why not."""
    mine = [p for p in periods if p.compact_id == privilege.compact_id and p.state == subject]
    if any(p.covers(on) for p in mine):
        return None
    past = [p.effective_until for p in mine if p.effective_until and p.effective_until < on]
    if past:
        return Finding(ended, state, privilege=privilege, when=max(past))
    future = [p.effective_from for p in mine if p.effective_from > on]
    return Finding(missing, state, privilege=privilege, when=min(future) if future else None)


def _license_problem(lic: LicenseFact, on: date) -> Finding:
    if lic.status != ACTIVE:
        return Finding(Reason.LICENSE_NOT_ACTIVE, lic.state, license=lic)
    if on < lic.issued_on:
        return Finding(Reason.LICENSE_NOT_YET_VALID, lic.state, license=lic, when=lic.issued_on)
    return Finding(Reason.LICENSE_EXPIRED, lic.state, license=lic, when=lic.expires_on)


def _check_privilege(
    priv: PrivilegeFact,
    state: str,
    on: date,
    licenses: list[LicenseFact],
    periods: list[MembershipPeriod],
) -> Finding:
    if priv.status != ACTIVE:
        return Finding(Reason.PRIVILEGE_NOT_ACTIVE, state, privilege=priv)
    if on < priv.valid_from:
        return Finding(Reason.PRIVILEGE_NOT_YET_VALID, state, privilege=priv, when=priv.valid_from)
    if priv.valid_until is not None and on > priv.valid_until:
        return Finding(Reason.PRIVILEGE_ENDED, state, privilege=priv, when=priv.valid_until)
    problem = _membership_finding(
        periods,
        state,
        on,
        ended=Reason.COMPACT_MEMBERSHIP_ENDED,
        missing=Reason.STATE_NOT_IN_COMPACT,
        subject=state,
        privilege=priv,
    ) or _membership_finding(
        periods,
        state,
        on,
        ended=Reason.HOME_STATE_MEMBERSHIP_ENDED,
        missing=Reason.HOME_STATE_NOT_IN_COMPACT,
        subject=priv.home_state,
        privilege=priv,
    )
    if problem is not None:
        return problem
    home = [x for x in licenses if x.state == priv.home_state and license_in_force(x, on)]
    if not home:
        return Finding(Reason.HOME_LICENSE_NOT_IN_FORCE, state, privilege=priv)
    best_home = max(home, key=lambda x: (x.expires_on, x.id))
    return Finding(Reason.PRIVILEGE, state, privilege=priv, license=best_home)


def decide(
    *,
    state: str,
    on: date,
    licenses: Iterable[LicenseFact],
    privileges: Iterable[PrivilegeFact],
    memberships: Iterable[MembershipPeriod],
) -> LicensureDecision:
    """Whether someone holding ``licenses`` and ``privileges`` may practise in ``state``
    on ``on``, and why. The order of the inputs does not matter."""
    if not is_state(state):
        return LicensureDecision(
            state, on, allowed=False, findings=(Finding(Reason.UNKNOWN_STATE, state),)
        )
    # Total orders (every field breaks ties), so the first finding never depends on the
    # order the facts came in.
    licenses = sorted(
        licenses,
        key=lambda x: (x.expires_on, x.id, x.issued_on, x.status, x.license_type, x.number),
        reverse=True,
    )
    privileges = sorted(
        privileges,
        key=lambda p: (
            p.valid_from,
            p.id,
            p.valid_until or date.max,
            p.status,
            p.compact_id,
            p.home_state,
            sorted(p.privilege_states),
        ),
        reverse=True,
    )
    periods = list(memberships)

    here = [x for x in licenses if x.state == state]
    in_force = [x for x in here if license_in_force(x, on)]
    if in_force:
        return LicensureDecision(
            state,
            on,
            allowed=True,
            findings=(Finding(Reason.LICENSED, state, license=in_force[0]),),
        )

    privilege_findings: list[Finding] = []
    for priv in privileges:
        if state not in priv.privilege_states:
            continue
        finding = _check_privilege(priv, state, on, licenses, periods)
        if finding.allows:
            return LicensureDecision(state, on, allowed=True, findings=(finding,))
        privilege_findings.append(finding)

    findings = tuple([_license_problem(x, on) for x in here] + privilege_findings)
    if not findings:
        findings = (Finding(Reason.NO_LICENSE, state),)
    return LicensureDecision(state, on, allowed=False, findings=findings)


# --- Standing of one credential (for badges on the pages) ---------------------------


class Standing(StrEnum):
    CURRENT = "current"
    EXPIRING = "expiring"  # in force, ending within EXPIRY_WARNING_DAYS
    NOT_YET = "not_yet"
    ENDED = "ended"  # past its end date
    NOT_ACTIVE = "not_active"  # its status says so (suspended, revoked, pending...)


@dataclass(frozen=True, slots=True)
class CredentialStanding:
    standing: Standing
    days_left: int | None = None  # days until the end date, when there is one
    status: str = ACTIVE

    @property
    def label(self) -> str:
        if self.standing == Standing.ENDED:
            return _("Expired")
        if self.standing == Standing.NOT_YET:
            return _("Not yet valid")
        if self.standing == Standing.NOT_ACTIVE:
            return _status(self.status).capitalize()
        if self.standing == Standing.EXPIRING and self.days_left is not None:
            if self.days_left == 0:
                return _("Expires today")
            return ngettext("Expires in %(n)d day", "Expires in %(n)d days", self.days_left) % {
                "n": self.days_left
            }
        return _("Current")

    @property
    def tone(self) -> str:
        """ok, warn or danger: the text says the same, the colour only repeats it."""
        return {
            Standing.CURRENT: "ok",
            Standing.EXPIRING: "warn",
            Standing.NOT_YET: "warn",
        }.get(self.standing, "danger")


def standing(*, status: str, starts: date, ends: date | None, today: date) -> CredentialStanding:
    days_left = (ends - today).days if ends is not None else None
    if status != ACTIVE:
        return CredentialStanding(Standing.NOT_ACTIVE, days_left, status)
    if ends is not None and today > ends:
        return CredentialStanding(Standing.ENDED, days_left)
    if today < starts:
        return CredentialStanding(Standing.NOT_YET, days_left)
    if days_left is not None and days_left <= EXPIRY_WARNING_DAYS:
        return CredentialStanding(Standing.EXPIRING, days_left)
    return CredentialStanding(Standing.CURRENT, days_left)


# --- Words ----------------------------------------------------------------------------


def _status(value: str) -> str:
    words = {
        "active": _("active"),
        "pending": _("pending"),
        "inactive": _("inactive"),
        "expired": _("expired"),
        "suspended": _("suspended"),
        "revoked": _("revoked"),
    }
    return words.get(value, value)


def _d(value: date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _lic(lic: LicenseFact | None) -> str:
    if lic is None:
        return ""
    return _("%(type)s license %(number)s in %(state)s") % {
        "type": lic.license_type,
        "number": lic.number,
        "state": state_name(lic.state),
    }


_SENTENCES: dict[Reason, _StrPromise] = {
    Reason.LICENSED: gettext_lazy("Licensed: %(license)s, valid through %(expires)s."),
    Reason.PRIVILEGE: gettext_lazy(
        "Compact privilege under %(compact)s for %(state)s, based on the %(license)s."
    ),
    Reason.UNKNOWN_STATE: gettext_lazy("“%(code)s” is not a US state code."),
    Reason.NO_LICENSE: gettext_lazy("No license or compact privilege for %(state)s."),
    Reason.LICENSE_NOT_ACTIVE: gettext_lazy("The %(license)s is not active (status: %(status)s)."),
    Reason.LICENSE_NOT_YET_VALID: gettext_lazy("The %(license)s is only valid from %(date)s."),
    Reason.LICENSE_EXPIRED: gettext_lazy("The %(license)s expired on %(date)s."),
    Reason.PRIVILEGE_NOT_ACTIVE: gettext_lazy(
        "The %(compact)s privilege is not active (status: %(status)s)."
    ),
    Reason.PRIVILEGE_NOT_YET_VALID: gettext_lazy(
        "The %(compact)s privilege for %(state)s is only valid from %(date)s."
    ),
    Reason.PRIVILEGE_ENDED: gettext_lazy(
        "The %(compact)s privilege for %(state)s ended on %(date)s."
    ),
    Reason.COMPACT_MEMBERSHIP_ENDED: gettext_lazy(
        "%(state)s's membership of %(compact)s ended on %(date)s."
    ),
    Reason.STATE_NOT_IN_COMPACT: gettext_lazy(
        "%(state)s is not a member of %(compact)s on that date."
    ),
    Reason.HOME_STATE_MEMBERSHIP_ENDED: gettext_lazy(
        "The home state %(home)s left %(compact)s on %(date)s."
    ),
    Reason.HOME_STATE_NOT_IN_COMPACT: gettext_lazy(
        "The home state %(home)s is not a member of %(compact)s on that date."
    ),
    Reason.HOME_LICENSE_NOT_IN_FORCE: gettext_lazy(
        "The %(compact)s privilege needs a license in the home state %(home)s in force "
        "on that date, and there is none."
    ),
}
_JOINS_LATER = gettext_lazy("%(state)s joins %(compact)s only on %(date)s.")


def describe(finding: Finding) -> str:
    """A plain sentence for staff: what allows it, or why not."""
    priv, lic = finding.privilege, finding.license
    params = {
        "code": finding.state,
        "state": state_name(finding.state),
        "compact": priv.compact_name if priv else "",
        "home": state_name(priv.home_state) if priv else "",
        "license": _lic(lic),
        "expires": _d(lic.expires_on if lic else None),
        "date": _d(finding.when),
        "status": _status(
            lic.status
            if lic and finding.reason == Reason.LICENSE_NOT_ACTIVE
            else priv.status
            if priv
            else ""
        ),
    }
    sentence = _SENTENCES[finding.reason]
    if finding.reason == Reason.STATE_NOT_IN_COMPACT and finding.when:
        sentence = _JOINS_LATER
    return str(sentence) % params
