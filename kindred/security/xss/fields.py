"""Which fields are free text: every CharField and TextField (and their kinds: e-mail, URL,
slug, encrypted text) on Kindred's models, each either covered (it gets payloads) or
excluded for a reason written here. Every field not excluded is covered, so a new model
field gets payloads at once; the run fails when no row of its model exists to hold them
(then the data set, dataset.py, needs a maker). Covered fields whose value no scanned
surface showed are listed in the report (``fields_never_seen``): text shown only in
states the data set does not reach, or on pages past the crawl's bounds.

Rules exclude three kinds without listing them: fields with choices (an enumeration: the
forms and serializers refuse anything else, and pages show the label), fields the app
derives (``editable=False``) and slugs (validated to letters, digits, ``-`` and ``_``).
A field too short to hold the shortest payload is excluded too. The rest is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

from kindred.core.crypto import EncryptedTextField
from kindred.security.xss.corpus import (
    EMAIL_PAYLOADS,
    LINE_PAYLOADS,
    PAYLOADS,
    TEXT_PAYLOADS,
    URL_PAYLOADS,
)

POOLS = {"text": TEXT_PAYLOADS, "line": LINE_PAYLOADS, "email": EMAIL_PAYLOADS, "url": URL_PAYLOADS}

APP_WRITTEN = "written by the app (a code, a key or a message it composes), never by a person"
HASH = "a hash or token digest"
ZONE = "an IANA time-zone name, checked at input and converted with ZoneInfo"
CODE = "a code checked against a fixed list at input (a CharField without choices=)"

EXCLUDED: dict[str, str] = {
    "audit.AuditEvent.action": APP_WRITTEN,
    "audit.AuditEvent.object_type": APP_WRITTEN,
    "audit.AuditEvent.object_id": APP_WRITTEN,
    "audit.AuditEvent.request_id": APP_WRITTEN,
    "audit.AuditEvent.via": APP_WRITTEN,
    "accounts.User.password": HASH,
    "accounts.ApiToken.prefix": "the token's public prefix, generated",
    "accounts.ApiToken.token_hash": HASH,
    "practice.Practice.timezone": ZONE,
    "practice.Location.timezone": ZONE,
    "clients.Client.timezone": ZONE,
    "clients.PortalInvitation.token_hash": HASH,
    "groups.TherapyGroup.recurrence": "an RFC 5545 RRULE, parsed and rebuilt by the scheduler",
    "groups.TherapyGroup.timezone": ZONE,
    "scheduling.CalendarFeed.token_hash": HASH,
    "notifications.Notification.kind": APP_WRITTEN,
    "notifications.Notification.url": "a path the app builds with reverse()",
    "notifications.Notification.dedupe_key": APP_WRITTEN,
    "intake.Referral.preferred_modality": CODE,
    "intake.Referral.language": CODE,
    "intake.Referral.gender": CODE,
    "intake.Referral.fingerprint": HASH,
    "intake.Referral.source_key": APP_WRITTEN,
    "intake.AgreementVersion.body_sha256": HASH,
    "intake.AgreementSignature.text_sha256": HASH,
    "measures.Instrument.version": "a version string compared by the library loader",
    "measures.Instrument.definition_sha256": HASH,
    "measures.InstrumentVersion.version": "a version string compared by the library loader",
    "measures.InstrumentVersion.definition_sha256": HASH,
    "measures.Administration.instrument_version": APP_WRITTEN,
    "measures.Administration.band": APP_WRITTEN + " (the band scoring picked)",
    "measures.Response.item": "an item key of the instrument definition",
    "measures.SafetyAlert.flag_code": APP_WRITTEN,
    "notes.GroupNote.text_sha256": HASH,
    "notes.MemberNote.text_sha256": HASH,
    "notes.AbsenceEntry.status": CODE,
    "notes.Addendum.text_sha256": HASH,
    "measures.OutcomeSummary.basis": APP_WRITTEN + " (the scoring basis)",
    "measures.OutcomeSummary.first_band": APP_WRITTEN + " (a band scoring picked)",
    "measures.OutcomeSummary.latest_band": APP_WRITTEN + " (a band scoring picked)",
    "measures.OutcomeSummary.outcome": APP_WRITTEN + " (an outcome code)",
    "measures.OutcomeSummary.rci_direction": APP_WRITTEN + " (a direction code)",
    "matching.MatchRun.error": APP_WRITTEN,
    "matching.MatchRun.progress": APP_WRITTEN,
    "matching.MatchRun.solver_status": APP_WRITTEN,
    "matching.ProposalLine.urgency": CODE,
    "matching.GroupSuggestion.modality": CODE,
    "billing.Charge.attendance_status": CODE,
    "milestones.Milestone.source_key": APP_WRITTEN,
    "api.IdempotencyKey.owner": APP_WRITTEN,
    "api.IdempotencyKey.key": "a client's idempotency key, only ever compared, never shown",
    "api.IdempotencyKey.method": APP_WRITTEN,
    "api.IdempotencyKey.path": APP_WRITTEN,
    "api.IdempotencyKey.request_hash": HASH,
    "api.IdempotencyKey.response_body": "a stored JSON answer, replayed as JSON, never rendered",
    "api.IdempotencyKey.content_type": APP_WRITTEN,
}


@dataclass(frozen=True)
class FreeTextField:
    index: int  # the field part of its markers
    label: str  # app_label.Model.field
    model: type[models.Model]
    name: str
    max_length: int | None
    pool: str  # "text" (TextField), "line" (CharField), "email" or "url"
    encrypted: bool
    unique: bool  # unique alone or with other fields: each row needs its own value

    @property
    def pool_indexes(self) -> tuple[int, ...]:
        return POOLS[self.pool]


def _label(model: type[models.Model], field: models.Field) -> str:  # type: ignore[type-arg]
    return f"{model._meta.label}.{field.name}"


def _candidates() -> list[tuple[type[models.Model], models.Field]]:  # type: ignore[type-arg]
    found: list[tuple[type[models.Model], models.Field]] = []  # type: ignore[type-arg]
    for model in apps.get_models():
        if not model.__module__.startswith("kindred.") or model._meta.proxy:
            continue
        found.extend(
            (model, field)
            for field in model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField))
        )
    return sorted(found, key=lambda pair: _label(*pair))


def _pool(field: models.Field) -> str:  # type: ignore[type-arg]
    if isinstance(field, models.EmailField):
        return "email"
    if isinstance(field, models.URLField):
        return "url"
    return "text" if isinstance(field, models.TextField) else "line"


def _shortest(pool: str) -> int:
    indexes = POOLS[pool]
    return min(PAYLOADS[i].length for i in indexes)


def rule_exclusion(field: models.Field) -> str | None:  # type: ignore[type-arg]
    if field.choices:
        return "choices: an enumeration (anything else is refused; pages show the label)"
    if not field.editable:
        return "derived by the app (editable=False)"
    if isinstance(field, models.SlugField):
        return "a slug: letters, digits, - and _ only (validated), used in URLs"
    max_length = getattr(field, "max_length", None)
    if max_length is not None and max_length < _shortest(_pool(field)):
        return f"too short for any payload (max_length {max_length})"
    return None


def _unique(model: type[models.Model], field: models.Field) -> bool:  # type: ignore[type-arg]
    if field.unique:
        return True
    for together in model._meta.unique_together:
        if field.name in together:
            return True
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and field.name in constraint.fields:
            return True
    return False


@dataclass(frozen=True)
class Inventory:
    covered: list[FreeTextField]
    excluded: dict[str, str]  # label: reason (listed and by rule)
    stale: list[str]  # listed as excluded but no longer a field


def inventory() -> Inventory:
    covered: list[FreeTextField] = []
    excluded: dict[str, str] = {}
    labels = set()
    for model, field in _candidates():
        label = _label(model, field)
        labels.add(label)
        reason = EXCLUDED.get(label) or rule_exclusion(field)
        if reason:
            excluded[label] = reason
            continue
        covered.append(
            FreeTextField(
                index=len(covered),
                label=label,
                model=model,
                name=field.name,
                max_length=getattr(field, "max_length", None),
                pool=_pool(field),
                encrypted=isinstance(field, EncryptedTextField),
                unique=_unique(model, field),
            )
        )
    stale = sorted(set(EXCLUDED) - labels)
    return Inventory(covered=covered, excluded=excluded, stale=stale)
