"""The admission rule: a place becomes active only when screening admitted the person
and they signed the group's current agreement; it activates by itself when the last
required step completes; a roster's statuses cost one query."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from kindred.core.errors import InvalidState
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.groups.services import enrollment_activate, enrollment_invite, enrollment_withdraw
from kindred.groups.tests.factories import make_group, person
from kindred.intake.admission import (
    StepState,
    admission_status,
    maybe_activate,
    roster_admission,
)
from kindred.intake.models import (
    AgreementSignature,
    AgreementTemplate,
    AgreementVersion,
    PreparationItem,
    PreparationRead,
    ScreeningDecision,
)
from kindred.intake.screening import screening_create, screening_update
from kindred.intake.tests.screening_support import FITS, admit
from kindred.scheduling.models import Attendance, AttendanceStatus


def version(template: AgreementTemplate, number: int) -> AgreementVersion:
    text = f"# Our agreement, version {number}\n\nWhat is said here stays here."
    return AgreementVersion.objects.create(
        template=template,
        number=number,
        body=text,
        body_sha256=hashlib.sha256(text.encode()).hexdigest(),
        published_at=timezone.now(),
    )


def sign(cast, enrollment: Enrollment, signed: AgreementVersion) -> AgreementSignature:
    return AgreementSignature.objects.create(
        version=signed,
        client=enrollment.client,
        group=enrollment.group,
        user=cast.member,
        typed_name=enrollment.client.legal_name,
        agreed=True,
        signed_at=timezone.now(),
        text_sha256=signed.body_sha256,
    )


def use(group: TherapyGroup, current: AgreementVersion) -> None:
    TherapyGroup.objects.filter(pk=group.pk).update(agreement_version=current)
    group.refresh_from_db()


@pytest.fixture
def group(cast):
    return make_group(cast)


@pytest.fixture
def offered(cast, group) -> Enrollment:
    return enrollment_invite(actor=cast.coordinator, group=group, client=person("Dana"))


def refused(cast, enrollment: Enrollment) -> str:
    with pytest.raises(InvalidState) as caught:
        enrollment_activate(actor=cast.coordinator, enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.INVITED
    assert enrollment.activated_at is None
    return caught.value.message


def test_no_place_becomes_active_without_a_screening_that_admits(cast, offered):
    assert refused(cast, offered) == (
        "Dana Example cannot join the group yet: no screening has admitted them."
    )


def test_the_message_says_where_the_screening_stands(cast, group, offered):
    client = offered.client
    draft = screening_create(
        actor=cast.facilitator, client=client, group=group, motivation="yes"
    ).screening
    assert "their screening is not decided yet" in refused(cast, offered)
    screening_update(
        actor=cast.facilitator,
        screening=draft,
        decision=ScreeningDecision.DEFER,
        decision_reason="Exams first.",
        revisit_on=timezone.localdate() + timedelta(days=10),
        **FITS,
    )
    assert "their screening deferred them" in refused(cast, offered)


def test_the_current_agreement_must_be_signed(cast, group, offered):
    template = AgreementTemplate.objects.create(name="Group agreement")
    old, current = version(template, 1), version(template, 2)
    use(group, current)
    result = admit(offered.client, group)
    assert not result.activated
    assert refused(cast, offered) == (
        "Dana Example cannot join the group yet: they have not signed the group's "
        "current agreement."
    )
    sign(cast, offered, old)  # a superseded version does not count
    assert maybe_activate(offered) is False
    assert "current agreement" in refused(cast, offered)
    sign(cast, offered, current)
    assert maybe_activate(offered, actor=cast.member) is True
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.ACTIVE


def test_both_steps_missing_are_both_named(cast, group, offered):
    template = AgreementTemplate.objects.create(name="Group agreement")
    use(group, version(template, 1))
    message = refused(cast, offered)
    assert "no screening has admitted them" in message
    assert "current agreement" in message


def test_a_coordinator_activates_a_ready_place_by_hand(cast, group):
    """Someone admitted while the group was full, offered a seat later."""
    for n in range(group.max_size):
        admit(person(f"Member{n}"), group)
    waiting = person("Waiting")
    assert admit(waiting, group).group_full
    leaving = Enrollment.objects.filter(group=group)[0]
    enrollment_withdraw(actor=cast.coordinator, enrollment=leaving, reason="Moved away")
    enrollment = enrollment_invite(actor=cast.coordinator, group=group, client=waiting)
    assert admission_status(enrollment).ready
    enrollment_activate(actor=cast.coordinator, enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_system_commands_are_trusted(cast, offered):
    """Seed data and imports of members screened before the practice used Kindred."""
    enrollment_activate(actor=None, enrollment=offered)
    offered.refresh_from_db()
    assert offered.status == EnrollmentStatus.ACTIVE


def test_maybe_activate_leaves_places_that_are_not_ready_or_not_offered(cast, offered):
    assert maybe_activate(offered) is False
    active = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    assert maybe_activate(active) is False


def test_the_steps_of_a_place(cast, group, offered):
    item = PreparationItem.objects.create(group=group, title="What to expect", body="Text")
    PreparationItem.objects.create(group=group, title="How to join", body="Text")
    status = admission_status(offered)
    assert [(s.code, s.state) for s in status.steps] == [
        ("screening", StepState.TODO),
        ("agreement", StepState.NOT_REQUIRED),
        ("preparation", StepState.TODO),
        ("first_session", StepState.TODO),
    ]
    PreparationRead.objects.create(item=item, client=offered.client, read_at=timezone.now())
    admit(offered.client, group)
    session = group.sessions.order_by("starts_at").first()
    Attendance.objects.create(
        session=session, client=offered.client, status=AttendanceStatus.PRESENT_VIRTUAL
    )
    status = admission_status(offered)
    assert status.ready
    assert status.preparation_read == 1
    assert status.preparation_total == 2
    steps = {s.code: s for s in status.steps}
    assert steps["screening"].state == StepState.DONE
    assert steps["preparation"].note == "1 of 2 read"
    assert steps["first_session"].state == StepState.DONE


@pytest.mark.parametrize("size", [2, 8])
def test_a_rosters_statuses_take_one_query(cast, django_assert_num_queries, size):
    group = make_group(cast, max_size=10)
    enrollments = [
        enrollment_invite(actor=cast.coordinator, group=group, client=person(f"P{n}"))
        for n in range(size)
    ]
    admit(enrollments[0].client, group)
    with django_assert_num_queries(1):
        statuses = roster_admission(enrollments)
    assert len(statuses) == size
    assert statuses[enrollments[0].pk].screened
    assert not statuses[enrollments[1].pk].screened
