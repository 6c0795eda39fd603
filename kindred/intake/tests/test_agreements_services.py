"""Agreement templates and versions: drafts, publishing, immutability of what was
published, the example agreement, and a group moving to a new version."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.intake import agreements
from kindred.intake.default_agreement import DEFAULT_AGREEMENT_NAME, DEFAULT_AGREEMENT_TEXT
from kindred.intake.models import AgreementDraft, AgreementTemplate, AgreementVersion
from kindred.intake.tests.agreement_support import next_version, published, sign, use
from kindred.notifications.models import Notification


def test_a_template_starts_as_a_draft_and_publishing_freezes_the_exact_text(cast):
    body = "# Our agreement\r\n\r\nWhat is said here stays here.  \r\n"
    template = agreements.agreement_template_create(actor=cast.admin, name="  Evening groups ")
    assert template.name == "Evening groups"
    agreements.agreement_draft_update(actor=cast.admin, template=template, body=body)
    assert not AgreementVersion.objects.exists()

    version = agreements.agreement_version_publish(actor=cast.admin, template=template)

    expected = "# Our agreement\n\nWhat is said here stays here.  \n"  # only line endings
    assert version.number == 1
    assert version.body == expected
    assert version.body_sha256 == hashlib.sha256(expected.encode()).hexdigest()
    assert version.published_by == cast.admin
    assert not AgreementDraft.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "intake.agreement_template.created",
        "intake.agreement_draft.updated",
        "intake.agreement_version.published",
    } <= actions


def test_a_new_version_starts_from_the_latest_text_and_gets_the_next_number(cast):
    first = published(cast.admin, body="Version one.")
    draft = agreements.agreement_draft_start(actor=cast.admin, template=first.template)
    assert draft.body == "Version one."
    assert draft.based_on == first
    with pytest.raises(Conflict):
        agreements.agreement_draft_start(actor=cast.admin, template=first.template)
    agreements.agreement_draft_update(
        actor=cast.admin, template=first.template, body="Version two.", summary_of_changes="New"
    )

    second = agreements.agreement_version_publish(actor=cast.admin, template=first.template)

    assert second.number == 2
    assert AgreementVersion.objects.get(pk=first.pk).body == "Version one."
    assert list(agreements.template_versions(first.template)) == [second, first]


@pytest.mark.parametrize(
    ("body", "summary", "field", "message"),
    [
        ("   \n", "Something", "body", "Write the agreement before publishing it."),
        ("Version one.", "Nothing really", "body", "same text as version 1"),
        ("Version two.", "", "summary_of_changes", "Say in a sentence what changed"),
    ],
)
def test_publishing_refuses_an_empty_unchanged_or_unexplained_version(
    cast, body, summary, field, message
):
    first = published(cast.admin, body="Version one.")
    agreements.agreement_draft_start(actor=cast.admin, template=first.template)
    agreements.agreement_draft_update(
        actor=cast.admin, template=first.template, body=body, summary_of_changes=summary
    )
    with pytest.raises(ValidationFailed) as caught:
        agreements.agreement_version_publish(actor=cast.admin, template=first.template)
    assert message in caught.value.errors[field][0]
    assert AgreementVersion.objects.count() == 1
    assert AgreementDraft.objects.filter(template=first.template).exists()


def test_discarding_a_draft_leaves_the_published_versions(cast):
    first = published(cast.admin, body="Version one.")
    agreements.agreement_draft_start(actor=cast.admin, template=first.template)
    agreements.agreement_draft_discard(actor=cast.admin, template=first.template)
    assert not AgreementDraft.objects.exists()
    assert AgreementVersion.objects.get() == first
    with pytest.raises(InvalidState):
        agreements.agreement_draft_discard(actor=cast.admin, template=first.template)


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "supervisor", "billing", "member"])
def test_only_the_practice_admin_writes_agreements(cast, who):
    actor = getattr(cast, who)
    with pytest.raises(NotPermitted):
        agreements.agreement_template_create(actor=actor, name="Mine")
    template = published(cast.admin).template
    with pytest.raises(NotPermitted):
        agreements.agreement_draft_start(actor=actor, template=template)
    assert AgreementTemplate.objects.count() == 1


def test_names_are_unique_and_checked(cast):
    published(cast.admin, name="Group agreement")
    with pytest.raises(Conflict):
        agreements.agreement_template_create(actor=cast.admin, name="group AGREEMENT")
    with pytest.raises(ValidationFailed) as caught:
        agreements.agreement_template_create(actor=cast.admin, name="   ")
    assert "name" in caught.value.errors
    with pytest.raises(ValidationFailed):
        agreements.agreement_template_create(actor=cast.admin, name="x" * 121)
    assert AgreementTemplate.objects.count() == 1


def test_the_example_agreement_loads_once_and_covers_what_an_agreement_needs(db, capsys):
    call_command("load_default_agreement")
    call_command("load_default_agreement")

    version = AgreementVersion.objects.get()
    assert version.template.name == DEFAULT_AGREEMENT_NAME
    assert version.body == DEFAULT_AGREEMENT_TEXT
    text = version.body.lower()
    for topic in (
        "confidential",
        "on time",
        "if you cannot come",
        "outside the group",
        "social media",
        "if you decide to leave",
        "asked to leave",
        "988",
    ):
        assert topic in text, topic
    out = capsys.readouterr().out
    assert "published version 1" in out
    assert "already there" in out


def test_the_example_can_start_as_a_draft_for_the_admin_to_edit(cast):
    assert agreements.example_available()
    template = agreements.agreement_template_from_example(actor=cast.admin)
    draft = agreements.draft_of(template)
    assert draft is not None
    assert draft.body == DEFAULT_AGREEMENT_TEXT
    assert not agreements.example_available()
    with pytest.raises(Conflict):
        agreements.agreement_template_from_example(actor=cast.admin)


def test_statuses_and_needs_signature_follow_the_groups_version(cast):
    group = cast.group_a
    assert agreements.agreement_status(cast.client, group) == agreements.AgreementStatus.NOT_NEEDED
    assert not agreements.needs_signature(cast.client, group)

    first = published(cast.admin, body="Version one.")
    use(cast.coordinator, group, first)
    assert agreements.needs_signature(cast.client, group)
    sign(cast.member, group)
    assert not agreements.needs_signature(cast.client, group)

    second = next_version(cast.admin, first.template, body="Version two.")
    use(cast.coordinator, group, second)
    statuses = agreements.agreement_statuses(group, [cast.client.pk, cast.client_b.pk])
    assert statuses == {
        cast.client.pk: agreements.AgreementStatus.SIGN_NEW,
        cast.client_b.pk: agreements.AgreementStatus.SIGN,
    }
    assert statuses[cast.client.pk].label == "Needs to sign the new version"
    assert agreements.needs_signature(cast.client, group)

    sign(cast.member, group)
    assert not agreements.needs_signature(cast.client, group)
    # Moving back to a version they signed asks nothing new.
    use(cast.coordinator, group, first)
    assert not agreements.needs_signature(cast.client, group)


def test_statuses_of_a_roster_take_one_query(cast, django_assert_num_queries):
    use(cast.coordinator, cast.group_a, published(cast.admin))
    ids = [cast.client.pk, cast.client_b.pk, cast.outsider_client.pk]
    with django_assert_num_queries(1):
        agreements.agreement_statuses(cast.group_a, ids)


def test_moving_a_group_to_a_new_version_tells_its_members_once_per_version(cast):
    first = published(cast.admin, body="Version one.")
    use(cast.coordinator, cast.group_a, first)
    sign(cast.member, cast.group_a)
    Notification.objects.all().delete()

    second = next_version(cast.admin, first.template, body="Version two.")
    use(cast.coordinator, cast.group_a, second)
    use(cast.coordinator, cast.group_a, first)
    use(cast.coordinator, cast.group_a, second)

    notes = Notification.objects.filter(kind="agreement_updated")
    # member: version 2 only (they signed version 1); member_b: versions 2 and 1, once each.
    assert sorted(n.user_id for n in notes) == sorted(
        [cast.member.pk, cast.member_b.pk, cast.member_b.pk]
    )
    note = notes.get(user=cast.member)
    assert note.url == f"/my/groups/{cast.group_a.pk}/agreement/"
    assert "sign it before your next session" in note.body
    assert not Notification.objects.filter(user=cast.outsider).exists()
    key = agreements.signing_notice_key(cast.group_a.pk, first.pk, cast.client_b.pk)
    first_time = Notification.objects.get(user=cast.member_b, dedupe_key=key)
    assert first_time.title == "Please read your group agreement for Steady Ground"
    sign(cast.member, cast.group_a)  # the notice asking for it is answered: marked read
    note.refresh_from_db()
    assert note.read_at is not None
    changed = AuditEvent.objects.filter(action="groups.group.updated").first()
    assert changed is not None
    assert changed.detail["fields"] == ["agreement_version"]
