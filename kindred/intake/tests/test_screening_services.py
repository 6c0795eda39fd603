"""Screening services: drafts, the decision rules (nothing saved on bad input), what
each decision does to the place and the waitlist, immutability, and telling the
candidate kindly after commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.groups.services import enrollment_invite, group_update
from kindred.groups.tests.factories import make_group, person
from kindred.intake.models import (
    Answer,
    Screening,
    ScreeningDecision,
    WaitlistEntry,
    WaitlistStatus,
)
from kindred.intake.screening import screening_create, screening_decide, screening_update
from kindred.intake.screening_notices import screening_outcome_email_send
from kindred.intake.tests.screening_support import FITS, admit
from kindred.intake.waitlist import waitlist_add
from kindred.notifications.models import Notification

ADMIT, DEFER, REFER = (
    ScreeningDecision.ADMIT,
    ScreeningDecision.DEFER,
    ScreeningDecision.REFER_INDIVIDUAL,
)


@pytest.fixture
def group(cast):
    return make_group(cast, max_size=3)


@pytest.fixture
def agreement_version(db):
    import hashlib

    from kindred.intake.models import AgreementTemplate, AgreementVersion

    text = "# Our agreement\n\nWhat is said here stays here."
    template = AgreementTemplate.objects.create(name="Group agreement")
    return AgreementVersion.objects.create(
        template=template,
        number=1,
        body=text,
        body_sha256=hashlib.sha256(text.encode()).hexdigest(),
        published_at=timezone.now(),
    )


@pytest.fixture
def candidate(cast, group):
    client = person("Robin", "Candidate")
    entry = waitlist_add(actor=cast.coordinator, client=client, group=group)
    return client, entry


def use_agreement(group, version) -> None:
    """The group asks members to sign ``version`` (chosen on the group's page; set
    directly here, as this file is about screening)."""
    TherapyGroup.objects.filter(pk=group.pk).update(agreement_version=version)
    group.refresh_from_db()


def draft(cast, group, client, entry=None, **fields: Any):
    return screening_create(
        actor=cast.facilitator, client=client, group=group, entry=entry, **fields
    ).screening


def nothing_decided(client) -> None:
    assert not Screening.objects.filter(client=client, decided_at__isnull=False).exists()
    assert not Enrollment.objects.filter(client=client).exists()


# --- Drafts ---------------------------------------------------------------------------------


def test_a_facilitator_starts_a_draft_for_a_candidate_waiting_for_their_group(
    cast, group, candidate
):
    client, entry = candidate
    screening = draft(cast, group, client, entry, motivation=Answer.YES, notes="Keen to start.")
    assert screening.screener == cast.facilitator
    assert screening.decision == ""
    assert screening.decided_at is None
    assert screening.goals_fit == ""  # a draft may leave answers open
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.SCREENING
    event = AuditEvent.objects.get(action="intake.screening.created")
    assert event.actor == cast.facilitator
    assert event.client_id == client.pk
    assert "Keen" not in str(event.detail)  # field names, never values


def test_one_draft_at_a_time_per_candidate_and_group(cast, group, candidate):
    client, entry = candidate
    draft(cast, group, client, entry)
    with pytest.raises(Conflict, match="already being screened"):
        draft(cast, group, client, entry)
    assert Screening.objects.filter(client=client).count() == 1


def test_a_draft_answer_must_be_yes_partly_or_no(cast, group, candidate):
    client, entry = candidate
    with pytest.raises(ValidationFailed) as caught:
        draft(cast, group, client, entry, motivation="maybe")
    assert "motivation" in caught.value.errors
    assert not Screening.objects.exists()


def test_notes_are_limited_and_nothing_is_saved(cast, group, candidate):
    client, entry = candidate
    with pytest.raises(ValidationFailed) as caught:
        draft(cast, group, client, entry, notes="x" * 5001)
    assert "notes" in caught.value.errors
    assert not Screening.objects.exists()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def test_only_the_screener_changes_a_draft(cast, group, candidate):
    client, entry = candidate
    screening = draft(cast, group, client, entry)
    with pytest.raises(NotPermitted):
        screening_update(actor=cast.coordinator, screening=screening, motivation=Answer.NO)
    screening_update(actor=cast.facilitator, screening=screening, motivation=Answer.PARTLY)
    screening.refresh_from_db()
    assert screening.motivation == Answer.PARTLY


def test_another_groups_facilitator_cannot_screen_for_this_group(cast, group, candidate):
    client, entry = candidate
    with pytest.raises(NotPermitted):
        screening_create(actor=cast.facilitator_b, client=client, group=group, entry=entry)
    for nobody in (cast.billing, cast.member):
        with pytest.raises(NotPermitted):
            screening_create(actor=nobody, client=client, group=group, entry=entry)
    assert not Screening.objects.exists()


def test_a_coordinator_assigns_a_clinician_to_screen(cast, group, candidate):
    client, entry = candidate
    result = screening_create(
        actor=cast.coordinator, client=client, group=group, entry=entry, screener=cast.supervisor
    )
    assert result.screening.screener == cast.supervisor
    with pytest.raises(NotPermitted, match="coordinator"):
        screening_create(
            actor=cast.facilitator,
            client=person("Other"),
            group=group,
            screener=cast.supervisor,
        )
    with pytest.raises(ValidationFailed) as caught:
        screening_create(
            actor=cast.coordinator, client=person("Third"), group=group, screener=cast.billing
        )
    assert "screener" in caught.value.errors


def test_an_archived_client_or_an_ended_group_cannot_be_screened(cast, group, candidate):
    from kindred.clients.services import client_archive
    from kindred.groups.services import group_cancel

    client, _entry = candidate
    client_archive(actor=cast.coordinator, client=client, reason="Moved away")
    with pytest.raises(InvalidState):
        draft(cast, group, client)
    group_cancel(actor=cast.coordinator, group=group)
    with pytest.raises(InvalidState):
        draft(cast, group, person("Fresh"))
    assert not Screening.objects.exists()


# --- Decision rules: nothing saved on bad input ------------------------------------------


def test_a_decision_needs_every_checklist_answer(cast, group, candidate):
    client, entry = candidate
    screening = draft(cast, group, client, entry, motivation=Answer.YES)
    with pytest.raises(ValidationFailed) as caught:
        screening_decide(actor=cast.facilitator, screening=screening, decision=ADMIT)
    assert set(caught.value.errors) == {"can_participate", "goals_fit", "commitment"}
    nothing_decided(client)


@pytest.mark.parametrize("exclusion", ["acute_crisis", "active_suicidality", "active_psychosis"])
def test_admitting_someone_in_crisis_is_refused(cast, group, candidate, exclusion):
    client, entry = candidate
    screening = draft(cast, group, client, entry, **FITS, **{exclusion: True})
    with pytest.raises(ValidationFailed) as caught:
        screening_decide(
            actor=cast.facilitator,
            screening=screening,
            decision=ADMIT,
            decision_reason="They really want to join.",
        )
    message = " ".join(caught.value.errors["decision"])
    assert "not admitted to a group now" in message
    assert "Defer" in message
    assert "individual care" in message
    nothing_decided(client)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.SCREENING


@pytest.mark.parametrize(
    "exclusion", ["severe_cognitive_impairment", "extreme_hostility", "only_member_unlike_others"]
)
def test_other_exclusions_need_the_reason_to_address_them(cast, group, candidate, exclusion):
    client, entry = candidate
    screening = draft(cast, group, client, entry, **FITS, **{exclusion: True})
    with pytest.raises(ValidationFailed) as caught:
        screening_decide(actor=cast.facilitator, screening=screening, decision=ADMIT)
    assert "decision_reason" in caught.value.errors
    nothing_decided(client)
    screening_decide(
        actor=cast.facilitator,
        screening=screening,
        decision=ADMIT,
        decision_reason="The group is built for this; we agreed a plan.",
    )
    assert Enrollment.objects.filter(client=client, group=group).exists()


def test_an_inclusion_criterion_answered_no_needs_a_reason_to_admit(cast, group, candidate):
    client, entry = candidate
    answers = {**FITS, "commitment": Answer.NO}
    with pytest.raises(ValidationFailed) as caught:
        screening_create(
            actor=cast.facilitator,
            client=client,
            group=group,
            entry=entry,
            decision=ADMIT,
            **answers,
        )
    assert "can commit to attend" in caught.value.errors["decision_reason"][0]
    assert not Screening.objects.exists()


def test_a_deferral_needs_a_reason_and_a_date_after_today(cast, group, candidate):
    client, entry = candidate
    screening = draft(cast, group, client, entry, **FITS)
    with pytest.raises(ValidationFailed) as caught:
        screening_decide(actor=cast.facilitator, screening=screening, decision=DEFER)
    assert set(caught.value.errors) == {"decision_reason", "revisit_on"}
    for day in (timezone.localdate(), timezone.localdate() - timedelta(days=3)):
        with pytest.raises(ValidationFailed) as caught:
            screening_decide(
                actor=cast.facilitator,
                screening=screening,
                decision=DEFER,
                decision_reason="Starting a new job next month.",
                revisit_on=day,
            )
        assert "after today" in caught.value.errors["revisit_on"][0]
    nothing_decided(client)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.SCREENING


def test_a_referral_needs_a_reason(cast, group, candidate):
    client, entry = candidate
    screening = draft(cast, group, client, entry, **FITS)
    with pytest.raises(ValidationFailed) as caught:
        screening_decide(actor=cast.facilitator, screening=screening, decision=REFER)
    assert "decision_reason" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        screening_decide(actor=cast.facilitator, screening=screening, decision="maybe")
    assert "decision" in caught.value.errors
    nothing_decided(client)


# --- Admit -----------------------------------------------------------------------------------


def test_admit_gives_a_place_that_is_active_when_no_agreement_is_needed(cast, group, candidate):
    client, entry = candidate
    result = screening_create(
        actor=cast.facilitator, client=client, group=group, entry=entry, decision=ADMIT, **FITS
    )
    enrollment = Enrollment.objects.get(client=client, group=group)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert result.activated
    assert result.enrollment == enrollment
    assert "now a member" in result.message
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.PLACED
    assert entry.closed_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "intake.screening.decided",
        "groups.enrollment.invited",
        "groups.enrollment.activated",
    } <= actions
    invited = AuditEvent.objects.get(action="groups.enrollment.invited", client_id=client.pk)
    assert invited.actor == cast.facilitator  # the screener, not an anonymous system


def test_admit_waits_for_the_signature_when_the_group_has_an_agreement(
    cast, group, candidate, agreement_version
):
    from kindred.intake.admission import maybe_activate
    from kindred.intake.models import AgreementSignature

    client, _entry = candidate
    use_agreement(group, agreement_version)
    result = admit(client, group)
    enrollment = Enrollment.objects.get(client=client, group=group)
    assert enrollment.status == EnrollmentStatus.INVITED
    assert not result.activated
    assert "signed the group agreement" in result.message
    AgreementSignature.objects.create(
        version=agreement_version,
        client=client,
        group=group,
        user=cast.member,
        typed_name="Robin Candidate",
        agreed=True,
        signed_at=timezone.now(),
        text_sha256=agreement_version.body_sha256,
    )
    assert maybe_activate(enrollment, actor=cast.member) is True
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert maybe_activate(enrollment) is False  # already active: nothing to do


def test_admit_to_a_full_group_puts_them_first_in_line(cast, group):
    for n in range(3):
        admit(person(f"Member{n}"), group)
    client = person("Latecomer")
    anywhere = waitlist_add(actor=cast.coordinator, client=client)  # "any group"
    result = screening_create(
        actor=cast.coordinator,
        client=client,
        group=group,
        entry=anywhere,
        screener=cast.facilitator,
        decision=ADMIT,
        **FITS,
    )
    assert result.group_full
    assert result.message == "The group is full, so Latecomer Example is first in line for it."
    assert not Enrollment.objects.filter(client=client).exists()
    entry = WaitlistEntry.objects.get(client=client)  # moved, not copied
    assert entry.pk == anywhere.pk
    assert entry.group == group
    assert entry.status == WaitlistStatus.WAITING
    assert entry.added_at == anywhere.added_at  # they keep the time they waited


def test_admit_to_a_full_group_without_an_entry_creates_one(cast, group):
    for n in range(3):
        admit(person(f"Member{n}"), group)
    client = person("Latecomer")
    screening = screening_create(
        actor=cast.coordinator, client=client, group=group, screener=cast.facilitator, **FITS
    ).screening
    result = screening_decide(actor=cast.facilitator, screening=screening, decision=ADMIT)
    assert result.group_full
    entry = WaitlistEntry.objects.get(client=client, group=group)
    assert entry.status == WaitlistStatus.WAITING


def test_admitting_someone_already_offered_a_place_activates_it(cast, group, candidate):
    client, _entry = candidate
    enrollment = enrollment_invite(actor=cast.coordinator, group=group, client=client)
    result = admit(client, group)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert result.activated
    assert Enrollment.objects.filter(client=client).count() == 1


def test_an_admit_that_cannot_take_the_place_saves_nothing(cast, group, candidate):
    client, entry = candidate
    # The group is for over-40s: enrollment_invite refuses, the decision rolls back.
    group_update(actor=cast.coordinator, group=group, min_age=40)
    with pytest.raises(ValidationFailed):
        screening_create(
            actor=cast.facilitator,
            client=client,
            group=group,
            entry=entry,
            decision=ADMIT,
            **FITS,
        )
    assert not Screening.objects.exists()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


# --- Defer and refer ---------------------------------------------------------------------------


def test_defer_updates_the_waitlist_and_tells_the_member_kindly(
    cast, group, django_capture_on_commit_callbacks
):
    client = cast.outsider_client  # has a portal account
    group_b_entry = waitlist_add(actor=cast.coordinator, client=client, group=group)
    revisit = timezone.localdate() + timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        result = screening_create(
            actor=cast.facilitator,
            client=client,
            group=group,
            entry=group_b_entry,
            decision=DEFER,
            decision_reason="Grieving a recent loss; wants individual support first.",
            revisit_on=revisit,
            **FITS,
        )
    group_b_entry.refresh_from_db()
    assert group_b_entry.status == WaitlistStatus.DEFERRED
    assert group_b_entry.revisit_on == revisit
    assert "Grieving" not in group_b_entry.status_reason  # the reason stays on the screening
    assert "deferred" in result.message
    note = Notification.objects.get(user=cast.outsider, kind="screening_outcome")
    assert note.title == "Thank you for talking with us"
    assert "Grieving" not in note.body
    assert group.name not in note.body
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [client.email]
    assert "Thank you for talking with us" in email.subject
    assert "988" in email.body
    assert "Next steps" in email.body
    for secret in ("Grieving", group.name, "defer", "screening"):
        assert secret.lower() not in email.body.lower()
    # Run again: nothing is sent twice.
    assert screening_outcome_email_send(screening_id=result.screening.pk) is False
    assert len(mail.outbox) == 1


def test_a_deferred_candidate_without_an_entry_gets_one(cast, group):
    client = person("Unlisted")
    revisit = timezone.localdate() + timedelta(days=14)
    screening_create(
        actor=cast.coordinator,
        client=client,
        group=group,
        screener=cast.facilitator,
        decision=DEFER,
        decision_reason="Not yet.",
        revisit_on=revisit,
        **FITS,
    )
    entry = WaitlistEntry.objects.get(client=client)
    assert entry.status == WaitlistStatus.DEFERRED
    assert entry.revisit_on == revisit
    assert entry.group == group


def test_refer_closes_the_entry_and_emails_once(
    cast, group, candidate, django_capture_on_commit_callbacks
):
    client, entry = candidate
    with django_capture_on_commit_callbacks(execute=True):
        result = screening_create(
            actor=cast.facilitator,
            client=client,
            group=group,
            entry=entry,
            decision=REFER,
            decision_reason="Needs a specialist eating-disorder service.",
            **FITS,
        )
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.REFERRED_ELSEWHERE
    assert entry.closed_at is not None
    assert not Enrollment.objects.filter(client=client).exists()
    assert len(mail.outbox) == 1
    assert "eating" not in mail.outbox[0].body
    assert "support that may suit you better" in mail.outbox[0].body
    assert not Notification.objects.filter(kind="screening_outcome").exists()  # no account
    assert "kind note" in result.message


# --- Immutability -----------------------------------------------------------------------------


def test_a_decided_screening_never_changes(cast, group, candidate):
    client, entry = candidate
    result = screening_create(
        actor=cast.facilitator,
        client=client,
        group=group,
        entry=entry,
        decision=REFER,
        decision_reason="Individual first.",
        **FITS,
    )
    screening = result.screening
    with pytest.raises(InvalidState, match="cannot change"):
        screening_update(actor=cast.facilitator, screening=screening, notes="Changed my mind")
    with pytest.raises(InvalidState):
        screening_decide(actor=cast.facilitator, screening=screening, decision=ADMIT)
    screening.refresh_from_db()
    assert screening.decision == REFER
    assert screening.notes == ""


def test_a_new_screening_supersedes_the_old_one(cast, group, candidate):
    from kindred.intake.admission import admission_status

    client, _entry = candidate
    enrollment = enrollment_invite(actor=cast.coordinator, group=group, client=client)
    screening_create(
        actor=cast.facilitator,
        client=client,
        group=group,
        decision=DEFER,
        decision_reason="Exams this month.",
        revisit_on=timezone.localdate() + timedelta(days=20),
        **FITS,
    )
    assert admission_status(enrollment).decision == DEFER
    admit(client, group)
    status = admission_status(enrollment)
    assert status.decision == ADMIT
    assert status.screened
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
