"""Reads: the licensure selector (constant queries) and who may read what."""

from __future__ import annotations

from datetime import date

import pytest

from kindred.accounts.services import staff_create
from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import NotFound, NotPermitted
from kindred.practice import access, selectors, services
from kindred.practice.licensure import Reason
from kindred.practice.roles import Role


@pytest.fixture
def privileged(cast, clinician, il_license, psypact):
    services.privilege_create(
        actor=cast.admin,
        clinician=clinician,
        compact=psypact,
        home_state="IL",
        privilege_states=["KS", "FL"],
        valid_from=date(2023, 1, 1),
    )
    return clinician


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (("IL", date(2025, 1, 1)), (True, Reason.LICENSED)),
        (("KS", date(2025, 1, 1)), (True, Reason.PRIVILEGE)),
        (("FL", date(2025, 7, 1)), (False, Reason.COMPACT_MEMBERSHIP_ENDED)),
        (("KS", date(2022, 6, 1)), (False, Reason.PRIVILEGE_NOT_YET_VALID)),
        (("TX", date(2025, 1, 1)), (False, Reason.NO_LICENSE)),
        (("IL", date(2031, 1, 1)), (False, Reason.LICENSE_EXPIRED)),
    ],
)
def test_clinician_may_practice(privileged, django_assert_max_num_queries, asked, expected):
    state, on = asked
    allowed, reason = expected
    with django_assert_max_num_queries(3):
        decision = selectors.clinician_may_practice(privileged.pk, state, on)
    assert decision.allowed is allowed
    assert decision.reason == reason


def test_an_unknown_clinician_has_no_license(db, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        decision = selectors.clinician_may_practice(987654, "IL", date(2025, 1, 1))
    assert decision.reason == Reason.NO_LICENSE


def test_many_clinicians_in_three_queries(cast, privileged, psypact, django_assert_num_queries):
    ids = [privileged.pk]
    for i in range(20):
        user = staff_create(
            actor=None, email=f"x{i}@example.test", full_name=f"X {i}", roles=[Role.FACILITATOR]
        )
        clinician = services.clinician_create(actor=None, user=user)
        services.license_create(
            actor=None,
            clinician=clinician,
            state="KS" if i % 2 else "IL",
            license_type="LCPC",
            number=f"L{i}",
            issued_on=date(2020, 1, 1),
            expires_on=date(2030, 1, 1),
        )
        ids.append(clinician.pk)
    with django_assert_num_queries(3):
        decisions = selectors.clinicians_may_practice(ids, "KS", date(2025, 1, 1))
    assert len(decisions) == 21
    assert decisions[privileged.pk].reason == Reason.PRIVILEGE
    assert sum(d.allowed for d in decisions.values()) == 11


def test_members_cannot_see_clinicians_and_are_recorded(cast, clinician):
    with pytest.raises(NotFound):
        access.get_clinician_for(cast.member, clinician.pk)
    with pytest.raises(NotFound):
        selectors.clinician_list(actor=cast.member)
    denied = AuditEvent.objects.filter(category=Category.DENIED, actor=cast.member)
    assert denied.count() == 2


def test_readers_read_but_do_not_write(cast, clinician, il_license, location):
    assert access.get_clinician_for(cast.facilitator, clinician.pk) == clinician
    assert access.get_license_for(cast.billing, il_license.pk) == il_license
    assert access.get_location_for(cast.coordinator, location.pk) == location
    with pytest.raises(NotPermitted):
        access.get_clinician_for(cast.facilitator, clinician.pk, write=True)
    with pytest.raises(NotPermitted):
        access.get_location_for(cast.coordinator, location.pk, write=True)


def test_staff_accounts_are_for_staff_managers(cast):
    assert access.get_staff_for(cast.admin, cast.coordinator.pk) == cast.coordinator
    for who in ("coordinator", "facilitator", "member"):
        with pytest.raises(NotFound):
            access.get_staff_for(getattr(cast, who), cast.admin.pk)
        with pytest.raises(NotFound):
            selectors.staff_list(actor=getattr(cast, who))
    with pytest.raises(NotFound):
        access.get_staff_for(cast.admin, cast.member.pk)  # members are not staff accounts


def test_lists_filter_by_status(cast, location):
    services.location_deactivate(actor=cast.admin, location=location)
    assert list(selectors.location_list(actor=cast.admin)) == []
    inactive = selectors.ActiveFilter.INACTIVE
    assert list(selectors.location_list(actor=cast.admin, status=inactive)) == [location]
    assert selectors.ActiveFilter.parse("nonsense") == selectors.ActiveFilter.ACTIVE
    staff = selectors.staff_list(actor=cast.admin)
    assert [selectors.roles_of(u) for u in staff if u.pk == cast.admin.pk] == [[Role.ADMIN]]
