"""Group agreements, signatures and preparation in the demo and scale data sets."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from kindred.accounts.models import User, UserKind
from kindred.clients.models import Client
from kindred.core.seeding.demo import GROUPS
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup
from kindred.intake.agreements import AgreementStatus, agreement_statuses
from kindred.intake.checklist import member_checklists
from kindred.intake.default_agreement import DEFAULT_AGREEMENT_NAME
from kindred.intake.models import (
    AgreementSignature,
    AgreementVersion,
    PreparationItem,
    PreparationRead,
)


def run(command: str, **options: object) -> str:
    out = StringIO()
    call_command(command, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    run("seed_demo")
    return list(
        User.objects.filter(kind=UserKind.MEMBER, email__endswith="demo.example.test").order_by(
            "pk"
        )
    )


def test_every_demo_group_uses_the_example_agreement_and_has_preparation(demo):
    version = AgreementVersion.objects.get()
    assert (version.template.name, version.number) == (DEFAULT_AGREEMENT_NAME, 1)
    groups = TherapyGroup.objects.filter(name__in=[g.name for g in GROUPS])
    assert groups.count() == len(GROUPS)
    for group in groups:
        assert group.agreement_version == version
        titles = list(group.preparation.order_by("position").values_list("title", flat=True))
        assert titles[:3] == [
            "What to expect",
            "How we look after each other",
            "What might feel hard",
        ]
        assert titles[3] in ("How to join", "How to get there")


def test_the_first_demo_member_has_signed_and_read_the_second_has_not(demo):
    first, second = (Client.objects.get(user=m) for m in demo[:2])
    for client, signed in ((first, True), (second, False)):
        places = Enrollment.objects.filter(
            client=client, status__in=(EnrollmentStatus.INVITED, EnrollmentStatus.ACTIVE)
        ).select_related("group")
        assert places.exists()
        for place in places:
            status = agreement_statuses(place.group, [client.pk])[client.pk]
            assert status == (AgreementStatus.SIGNED if signed else AgreementStatus.SIGN)
    signature = AgreementSignature.objects.filter(client=first).first()
    assert signature is not None
    assert signature.typed_name == first.legal_name
    assert signature.ip is not None
    assert signature.ip.startswith("192.0.2.")
    assert PreparationRead.objects.filter(client=first).count() == (
        PreparationItem.objects.filter(group__enrollments__client=first).count()
    )
    assert not PreparationRead.objects.filter(client=second).exists()
    assert member_checklists(second)  # their home page shows what is left to do


@pytest.fixture
def scale(db) -> str:
    return run("seed_scale", clients=300, batch_size=500)


def test_scale_groups_each_use_one_version_and_active_members_signed(scale):
    assert "agreements and signatures" in scale
    versions = list(AgreementVersion.objects.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    groups = TherapyGroup.objects.all()
    assert not groups.filter(agreement_version__isnull=True).exists()
    signatures = AgreementSignature.objects.select_related("version", "group", "client", "user")
    assert signatures.count() > 50
    active = set(
        Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).values_list(
            "group_id", "client_id"
        )
    )
    current = 0
    for signature in signatures:
        assert (signature.group_id, signature.client_id) in active
        assert signature.text_sha256 == signature.version.body_sha256
        in_force = signature.group.agreement_version
        assert in_force is not None
        assert signature.version.number <= in_force.number
        assert signature.user.client == signature.client
        assert not signature.user.is_active  # never signs in, never gets reminders
        assert signature.typed_name == signature.client.legal_name
        activated = Enrollment.objects.get(
            group=signature.group, client=signature.client, status=EnrollmentStatus.ACTIVE
        ).activated_at
        assert activated is not None
        assert signature.signed_at <= activated
        current += signature.version_id == signature.group.agreement_version_id
    assert current / signatures.count() > 0.8


def test_a_second_scale_run_adds_signers_without_clashing(scale):
    before = AgreementSignature.objects.count()
    run("seed_scale", clients=60, force=True)
    assert AgreementVersion.objects.count() == 3
    assert AgreementSignature.objects.count() > before
    assert User.objects.count() == User.objects.values("email").distinct().count()
