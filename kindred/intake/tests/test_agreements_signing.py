"""Signing a group agreement: the rules (the member's own name, the box, the version in
force, the exact text's hash), that nothing is saved when one is broken, re-signing a new
version, who may sign, and the place becoming active when signing was the last step."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from kindred.accounts.models import User, UserKind
from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import PASSWORD
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.groups.services import enrollment_withdraw
from kindred.groups.tests.factories import person
from kindred.intake import agreement_signatures as signatures
from kindred.intake.agreements import AgreementStatus, agreement_status
from kindred.intake.models import AgreementSignature
from kindred.intake.tests.agreement_support import IP, next_version, published, sign, use
from kindred.intake.tests.screening_support import admit


@pytest.fixture
def version(cast):
    version = published(cast.admin, body="# Our agreement\n\nWhat is said here stays here.")
    use(cast.coordinator, cast.group_a, version)
    return version


def test_a_member_signs_the_version_their_group_uses(cast, version):
    before = timezone.now()
    signature = sign(cast.member, cast.group_a, typed_name="Avery Member")

    assert signature.version == version
    assert signature.client == cast.client
    assert signature.group == cast.group_a
    assert signature.user == cast.member
    assert signature.typed_name == "Avery Member"
    assert signature.agreed is True
    assert signature.ip == IP
    assert signature.text_sha256 == version.body_sha256
    assert signature.signed_at >= before
    event = AuditEvent.objects.get(action="intake.agreement_signature.signed")
    assert event.client_id == cast.client.pk
    assert event.actor == cast.member
    assert event.detail == {"group": cast.group_a.pk, "version": version.pk}
    assert agreement_status(cast.client, cast.group_a) == AgreementStatus.SIGNED


@pytest.mark.parametrize(
    "typed", ["avery member", "  AVERY   Member ", "Avery\tMember", "AveryMember", "Ave Member"]
)
def test_the_name_matches_loosely_legal_or_preferred(cast, version, typed):
    cast.client.preferred_name = "Ave"
    cast.client.save(update_fields=["preferred_name"])
    signature = sign(cast.member, cast.group_a, typed_name=typed)
    assert signature.typed_name == typed  # kept exactly as typed


def _nothing_saved() -> None:
    assert not AgreementSignature.objects.exists()
    assert not AuditEvent.objects.filter(action="intake.agreement_signature.signed").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"typed_name": "Avery Membr"}, "typed_name", "as we have it on record"),
        ({"typed_name": "Blair Member"}, "typed_name", "as we have it on record"),
        ({"typed_name": "Avery"}, "typed_name", "as we have it on record"),
        ({"typed_name": "   "}, "typed_name", "Type your full name to sign."),
        ({"typed_name": "x" * 201}, "typed_name", "at most 200"),
        ({"agreed": False}, "agreed", "Tick the box"),
    ],
)
def test_a_wrong_name_or_an_unticked_box_saves_nothing(cast, version, overrides, field, message):
    with pytest.raises(ValidationFailed) as caught:
        sign(cast.member, cast.group_a, **overrides)
    assert message in caught.value.errors[field][0]
    _nothing_saved()


def test_the_name_error_says_which_name_to_use(cast, version):
    with pytest.raises(ValidationFailed) as caught:
        sign(cast.member, cast.group_a, typed_name="A. Member")
    assert "“Avery Member”" in caught.value.errors["typed_name"][0]


def test_both_mistakes_are_reported_together(cast, version):
    with pytest.raises(ValidationFailed) as caught:
        sign(cast.member, cast.group_a, typed_name="Someone Else", agreed=False)
    assert set(caught.value.errors) == {"typed_name", "agreed"}
    _nothing_saved()


def test_a_hash_that_is_not_the_texts_saves_nothing(cast, version):
    with pytest.raises(ValidationFailed) as caught:
        sign(cast.member, cast.group_a, text_sha256="0" * 64)
    assert "reload the page" in caught.value.errors["text_sha256"][0]
    _nothing_saved()


def test_a_superseded_version_is_refused_with_a_clear_message(cast, version):
    newer = next_version(cast.admin, version.template, body="# Our agreement\n\nUpdated.")
    use(cast.coordinator, cast.group_a, newer)
    with pytest.raises(Conflict) as caught:
        sign(cast.member, cast.group_a, version_id=version.pk, text_sha256=version.body_sha256)
    assert caught.value.message == "This agreement was updated; please read the new version."
    assert caught.value.code == "superseded"
    _nothing_saved()


@pytest.mark.parametrize("bad", ["", "abc", "0", "-3", None])
def test_a_missing_or_malformed_version_id_is_refused(cast, version, bad):
    with pytest.raises(Conflict):
        sign(cast.member, cast.group_a, version_id=bad)
    _nothing_saved()


def test_signing_again_returns_the_first_signature(cast, version):
    first = sign(cast.member, cast.group_a)
    again, created = signatures.agreement_sign(
        actor=cast.member,
        group=cast.group_a,
        version_id=version.pk,
        text_sha256=version.body_sha256,
        typed_name="Avery Member",
        agreed=True,
        ip=None,
    )
    assert (again, created) == (first, False)
    assert AgreementSignature.objects.count() == 1


def test_a_new_version_needs_a_new_signature_and_keeps_the_old_one(cast, version):
    old = sign(cast.member, cast.group_a)
    newer = next_version(cast.admin, version.template, body="# Our agreement\n\nUpdated.")
    use(cast.coordinator, cast.group_a, newer)
    assert agreement_status(cast.client, cast.group_a) == AgreementStatus.SIGN_NEW

    view = signatures.member_agreement(actor=cast.member, group_id=cast.group_a.pk)
    assert (view.version, view.signature, view.earlier) == (newer, None, old)

    new = sign(cast.member, cast.group_a)
    assert new.version == newer
    assert set(AgreementSignature.objects.filter(client=cast.client)) == {old, new}
    assert agreement_status(cast.client, cast.group_a) == AgreementStatus.SIGNED


def test_an_ip_address_that_is_not_one_is_not_stored(cast, version):
    assert sign(cast.member, cast.group_a, ip="not an address").ip is None


def test_staff_cannot_sign(cast, version):
    with pytest.raises(NotPermitted):
        sign(cast.coordinator, cast.group_a, typed_name="Cora Coordinator")
    _nothing_saved()


def test_a_member_of_another_group_gets_not_found(cast, version):
    with pytest.raises(NotFound):
        sign(cast.outsider, cast.group_a, typed_name="Casey Outsider")
    _nothing_saved()
    assert AuditEvent.objects.filter(category=Category.DENIED, actor=cast.outsider).exists()


def test_a_member_whose_place_ended_cannot_sign(cast, version):
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    with pytest.raises(NotFound):
        sign(cast.member, cast.group_a)
    _nothing_saved()


def test_there_is_nothing_to_sign_without_an_agreement(cast):
    group = cast.group_a
    with pytest.raises(InvalidState):
        signatures.agreement_sign(
            actor=cast.member,
            group=group,
            version_id=1,
            text_sha256="0" * 64,
            typed_name="Avery Member",
            agreed=True,
            ip=IP,
        )
    _nothing_saved()


def test_signing_the_last_missing_step_activates_the_place(cast, version):
    """An offered place whose screening admitted the person becomes active when they
    sign (intake/admission.py's rule, called after the signature)."""
    client = person("Dana", "Newcomer", born=date(1991, 5, 5))
    user = User.objects.create_user(
        "dana.newcomer@example.test", PASSWORD, full_name="Dana Newcomer", kind=UserKind.MEMBER
    )
    client.user = user
    client.save(update_fields=["user"])
    admit(client, cast.group_a)  # screened and admitted: a place, offered until signed
    enrollment = Enrollment.objects.get(client=client, group=cast.group_a)
    assert enrollment.status == EnrollmentStatus.INVITED

    signature, created = signatures.agreement_sign(
        actor=user,
        group=cast.group_a,
        version_id=version.pk,
        text_sha256=version.body_sha256,
        typed_name="dana newcomer",
        agreed=True,
        ip=IP,
    )

    assert created
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert signature.client == client
