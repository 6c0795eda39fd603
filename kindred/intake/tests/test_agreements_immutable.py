"""Published agreement versions and signatures are never changed or deleted: the model,
the queryset and the database itself refuse."""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kindred.intake.models import (
    AgreementSignature,
    AgreementTemplate,
    AgreementVersion,
    ImmutableRowError,
)

TEXT = "# Our agreement\n\nWhat is said here stays here."


@pytest.fixture
def version(db) -> AgreementVersion:
    template = AgreementTemplate.objects.create(name="Group agreement")
    return AgreementVersion.objects.create(
        template=template,
        number=1,
        body=TEXT,
        body_sha256=hashlib.sha256(TEXT.encode()).hexdigest(),
        published_at=timezone.now(),
    )


@pytest.fixture
def signature(cast, version) -> AgreementSignature:
    return AgreementSignature.objects.create(
        version=version,
        client=cast.client,
        group=cast.group_a,
        user=cast.member,
        typed_name="Avery Member",
        agreed=True,
        signed_at=timezone.now(),
        ip="192.0.2.10",
        text_sha256=version.body_sha256,
    )


def test_the_models_refuse_to_save_or_delete_an_existing_row(version, signature):
    version.body = "Something else"
    signature.typed_name = "Someone else"
    for row in (version, signature):
        with pytest.raises(ImmutableRowError):
            row.save()
        with pytest.raises(ImmutableRowError):
            row.delete()
    assert AgreementVersion.objects.get(pk=version.pk).body == TEXT
    assert AgreementSignature.objects.get(pk=signature.pk).typed_name == "Avery Member"


def test_the_querysets_refuse_bulk_changes(version, signature):
    with pytest.raises(ImmutableRowError):
        AgreementVersion.objects.filter(pk=version.pk).update(body="Rewritten")
    with pytest.raises(ImmutableRowError):
        AgreementSignature.objects.all().update(typed_name="Rewritten")
    with pytest.raises(ImmutableRowError):
        AgreementSignature.objects.all().delete()
    with pytest.raises(ImmutableRowError):
        version.signatures.all().delete()
    assert AgreementSignature.objects.filter(pk=signature.pk).exists()


@pytest.mark.parametrize(
    ("table", "column"),
    [("intake_agreementversion", "body"), ("intake_agreementsignature", "typed_name")],
)
def test_the_database_refuses_update(version, signature, table, column):
    """Even SQL that goes around the ORM cannot rewrite a signed text or a signature."""
    row = version if table.endswith("version") else signature
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", ["Rewritten", row.pk])  # noqa: S608
    assert AgreementVersion.objects.get(pk=version.pk).body == TEXT
    assert AgreementSignature.objects.get(pk=signature.pk).typed_name == "Avery Member"


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: on SQLite the test framework itself empties tables with "
    "DELETE, so the SQLite trigger refuses UPDATE only (CI runs the suite on PostgreSQL).",
)
@pytest.mark.parametrize("table", ["intake_agreementsignature", "intake_agreementversion"])
def test_the_database_refuses_delete_on_postgresql(version, signature, table):
    row = version if table.endswith("version") else signature
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608
    assert AgreementVersion.objects.filter(pk=version.pk).exists()
    assert AgreementSignature.objects.filter(pk=signature.pk).exists()
