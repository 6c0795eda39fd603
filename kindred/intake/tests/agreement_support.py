"""Set-up helpers for agreement and preparation tests, through the real services."""

from __future__ import annotations

from typing import Any

from kindred.groups.models import TherapyGroup
from kindred.groups.services import group_update
from kindred.intake import agreements
from kindred.intake.agreement_signatures import agreement_sign
from kindred.intake.models import AgreementSignature, AgreementTemplate, AgreementVersion

IP = "192.0.2.44"  # a documentation address


def published(
    admin: Any, *, name: str = "Group agreement", body: str = "# Our agreement\n\nBe kind."
) -> AgreementVersion:
    """A new template with its first version published by ``admin``."""
    template = agreements.agreement_template_create(actor=admin, name=name, body=body)
    return agreements.agreement_version_publish(actor=admin, template=template)


def next_version(
    admin: Any, template: AgreementTemplate, *, body: str, summary: str = "Clearer words."
) -> AgreementVersion:
    agreements.agreement_draft_start(actor=admin, template=template)
    agreements.agreement_draft_update(
        actor=admin, template=template, body=body, summary_of_changes=summary
    )
    return agreements.agreement_version_publish(actor=admin, template=template)


def use(coordinator: Any, group: TherapyGroup, version: AgreementVersion | None) -> TherapyGroup:
    group_update(actor=coordinator, group=group, agreement_version=version)
    group.refresh_from_db()
    return group


def sign(member: Any, group: TherapyGroup, **overrides: Any) -> AgreementSignature:
    """``member`` signs the version ``group`` uses, correctly unless told otherwise."""
    group.refresh_from_db()
    version = group.agreement_version
    assert version is not None
    values: dict[str, Any] = {
        "version_id": version.pk,
        "text_sha256": version.body_sha256,
        "typed_name": overrides.pop("typed_name", None) or member.client.legal_name,
        "agreed": True,
        "ip": IP,
    }
    values.update(overrides)
    signature, _created = agreement_sign(actor=member, group=group, **values)
    return signature
