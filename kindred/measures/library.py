"""The instrument library: reading instruments, syncing the built-ins, loading a
practice's licensed instrument from a definition file, and the practice's settings for
an instrument (reliable-change parameters, cut-offs, in use or not).

Instruments are not clinical records (no one's answers are here), so reading them is
not an audited access; every change is an audited write.

Who may do what: every active staff user may read the library and score answers (an
API token of a staff user too, with ``measures:read``); loading instruments and editing
their settings is practice set-up (``Capability.MANAGE_PRACTICE``, the admin). Members
see instruments only through the questionnaires sent to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, NotFound, ValidationFailed
from kindred.measures.definitions import (
    Definition,
    DefinitionError,
    Number,
    definition_sha256,
    parse_definition,
    parse_json_text,
)
from kindred.measures.instruments import BUILTIN_DOCUMENTS
from kindred.measures.models import Instrument, InstrumentVersion
from kindred.measures.scoring import ScoreResult, score
from kindred.practice.roles import Capability, has, require

if TYPE_CHECKING:
    from kindred.accounts.models import User

# A definition file is a few kilobytes; 256 KiB leaves room for 200 long items and
# refuses anything that is clearly not a definition before it is parsed.
MAX_DEFINITION_BYTES = 256 * 1024


# --- reading ------------------------------------------------------------------------


def can_read_instruments(actor: User | None) -> bool:
    return bool(
        actor is not None and actor.is_authenticated and actor.is_active and actor.is_staff_member
    )


def can_manage_instruments(actor: User | None) -> bool:
    """Loading instruments and changing their settings is practice set-up."""
    return has(actor, Capability.MANAGE_PRACTICE)


def instrument_list(*, actor: User, include_inactive: bool = True) -> QuerySet[Instrument]:
    """Every instrument, for staff; nothing for anyone else."""
    if not can_read_instruments(actor):
        return Instrument.objects.none()
    qs = Instrument.objects.order_by("-builtin", "name", "id")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs


def get_instrument_for(actor: User, code: str) -> Instrument:
    """The instrument with this code, or NotFound (also for someone who may not read
    the library: they are not told it exists)."""
    instrument = instrument_list(actor=actor).filter(code=code).first()
    if instrument is None:
        raise NotFound(_("There is no instrument with that code."))
    return instrument


@lru_cache(maxsize=128)
def _parse_cached(sha256: str, document_json: str) -> Definition:
    import json

    return parse_definition(json.loads(document_json))


def parsed(document: Mapping[str, Any], sha256: str) -> Definition:
    """A stored definition document, parsed (cached by its fingerprint)."""
    import json

    return _parse_cached(sha256, json.dumps(document))


def definition_of(instrument: Instrument) -> Definition:
    """The parsed current definition (validated; cached by its fingerprint)."""
    import json

    return _parse_cached(instrument.definition_sha256, json.dumps(instrument.definition))


def definition_for_version(instrument: Instrument, version: str) -> Definition:
    """The definition of ``version`` of this instrument: the current one, or an older one
    kept in ``InstrumentVersion``. ``ValidationFailed`` on the field ``version`` when the
    instrument never had that version."""
    if version == instrument.version:
        return definition_of(instrument)
    old = InstrumentVersion.objects.filter(instrument=instrument, version=version).first()
    if old is None:
        raise ValidationFailed(
            _("%(name)s has no version %(version)s; the current version is %(current)s.")
            % {"name": instrument.short_name, "version": version, "current": instrument.version},
            field="version",
        )
    import json

    return _parse_cached(old.definition_sha256, json.dumps(old.definition))


def score_answers(
    instrument: Instrument,
    answers: Mapping[str, object],
    *,
    version: str | None = None,
    cutoffs: Mapping[str, Number] | None = None,
) -> ScoreResult:
    """Score answers with the instrument's definition (``version`` must be the current
    one when given: answers to another version are refused) and the practice's
    cut-offs, overridden by ``cutoffs`` when given."""
    if version is not None and version != instrument.version:
        raise ValidationFailed(
            _(
                "These answers are for version %(version)s of %(name)s, but the current "
                "version is %(current)s."
            )
            % {"version": version, "name": instrument.short_name, "current": instrument.version},
            field="version",
        )
    definition = definition_of(instrument)
    merged: dict[str, Number] = dict(instrument.cutoffs or {})
    merged.update(cutoffs or {})
    try:
        return score(definition, answers, cutoffs=merged)
    except DefinitionError as exc:
        raise ValidationFailed(errors={"cutoffs": exc.as_lines()}) from exc


# --- built-ins ----------------------------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


def _rc_defaults(definition: Definition) -> dict[str, Any]:
    rc = definition.reliable_change
    if rc is None:
        return {"rc_sd": None, "rc_reliability": None, "rc_source": ""}
    return {"rc_sd": rc.sd, "rc_reliability": rc.reliability, "rc_source": rc.source}


def _descriptive_fields(definition: Definition) -> dict[str, Any]:
    return {
        "name": definition.name[:200],
        "short_name": definition.short_name[:40],
        "version": definition.version,
        "validated": definition.validated,
        "source": definition.source[:500],
        "licence_note": definition.licence[:500],
    }


def _keep_version(
    instrument: Instrument, document: Mapping[str, Any], sha: str, actor: User | None
) -> None:
    """Record this version; a version's content never changes once recorded."""
    existing = InstrumentVersion.objects.filter(
        instrument=instrument, version=instrument.version
    ).first()
    if existing is None:
        InstrumentVersion.objects.create(
            instrument=instrument,
            version=instrument.version,
            definition=dict(document),
            definition_sha256=sha,
            created_at=timezone.now(),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    elif existing.definition_sha256 != sha:
        raise Conflict(
            _(
                "Version %(version)s of %(code)s is already recorded with different content. "
                "Give the changed definition a new version."
            )
            % {"version": instrument.version, "code": instrument.code},
            field="version",
        )


def _reclassify_outcomes(instrument: Instrument) -> None:
    """The change between members' first and latest totals depends on the definition
    and on s1 and r: reclassify this instrument's outcome summary rows (set-based)."""
    from kindred.measures.summary import classify

    classify(instrument_ids=[instrument.pk])


@transaction.atomic
def sync_builtin_instruments(*, actor: User | None = None) -> SyncReport:
    """Write the built-in definitions (measures/instruments/) to the Instrument table.

    Idempotent: an instrument whose definition is unchanged is left alone. A new
    built-in is created with its reliable-change defaults; a changed built-in gets the
    new definition, version and descriptions, but the practice's own settings
    (s1, r and their source, cut-offs, in use) are kept. A changed definition must
    carry a new version (``Conflict`` otherwise), so answers stay tied to the items
    they answered.
    """
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for code, document in BUILTIN_DOCUMENTS.items():
        definition = parse_definition(document)
        sha = definition_sha256(document)
        instrument = Instrument.objects.select_for_update().filter(code=code).first()
        if instrument is None:
            instrument = Instrument.objects.create(
                code=code,
                definition=dict(document),
                definition_sha256=sha,
                builtin=True,
                **_descriptive_fields(definition),
                **_rc_defaults(definition),
            )
            _keep_version(instrument, document, sha, actor)
            audit_change(
                actor=actor,
                action="measures.instrument.created",
                obj=instrument,
                detail={"code": code, "version": definition.version, "builtin": True},
            )
            created.append(code)
            continue
        if instrument.definition_sha256 == sha and instrument.builtin:
            unchanged.append(code)
            continue
        if not instrument.builtin:
            raise Conflict(
                _("The code %(code)s is taken by an instrument the practice loaded.")
                % {"code": code}
            )
        fields = _descriptive_fields(definition)
        for name, value in fields.items():
            setattr(instrument, name, value)
        instrument.definition = dict(document)
        instrument.definition_sha256 = sha
        _keep_version(instrument, document, sha, actor)
        instrument.save(update_fields=[*fields, "definition", "definition_sha256", "updated_at"])
        _reclassify_outcomes(instrument)
        audit_change(
            actor=actor,
            action="measures.instrument.updated",
            obj=instrument,
            changed=["definition", *fields],
            detail={"code": code, "version": definition.version},
        )
        updated.append(code)
    return SyncReport(tuple(created), tuple(updated), tuple(unchanged))


# --- a practice's own instruments ----------------------------------------------------


@transaction.atomic
def instrument_load(*, actor: User, content: bytes, licence_confirmed: bool) -> Instrument:
    """Load an instrument the practice holds a licence for, from a definition file.

    The file is size-limited, must be UTF-8 JSON and must pass the strict validation in
    ``measures/definitions.py``; the actor must confirm the practice holds a licence.
    A new code creates an instrument; a known code (loaded earlier) takes the new
    definition only with a new version; a built-in's code cannot be taken.
    """
    require(actor, Capability.MANAGE_PRACTICE)
    errors: dict[str, list[str]] = {}
    if not licence_confirmed:
        errors["licence_confirmed"] = [
            _("Confirm that the practice holds a licence for this instrument.")
        ]
    if len(content) > MAX_DEFINITION_BYTES:
        errors["file"] = [
            _("The file is too large (at most %(kb)d KB).") % {"kb": MAX_DEFINITION_BYTES // 1024}
        ]
    if errors:
        raise ValidationFailed(errors=errors)
    try:
        definition = parse_json_text(content)
    except DefinitionError as exc:
        raise ValidationFailed(errors={"file": exc.as_lines()}) from exc
    document = dict(definition.document)
    sha = definition_sha256(document)
    now = timezone.now()
    if definition.code in BUILTIN_DOCUMENTS:
        raise ValidationFailed(
            _("%(code)s is a built-in instrument's code; give yours another code.")
            % {"code": definition.code},
            field="file",
        )
    instrument = Instrument.objects.select_for_update().filter(code=definition.code).first()
    if instrument is None:
        instrument = Instrument.objects.create(
            code=definition.code,
            definition=document,
            definition_sha256=sha,
            builtin=False,
            licence_confirmed_by=actor,
            licence_confirmed_at=now,
            **_descriptive_fields(definition),
            **_rc_defaults(definition),
        )
        _keep_version(instrument, document, sha, actor)
        audit_change(
            actor=actor,
            action="measures.instrument.loaded",
            obj=instrument,
            detail={"code": definition.code, "version": definition.version, "sha256": sha},
        )
        return instrument
    if instrument.builtin:  # pragma: no cover - built-in codes are refused above
        raise Conflict(_("That code belongs to a built-in instrument."), field="file")
    if instrument.definition_sha256 == sha:
        raise Conflict(
            _("This definition (version %(version)s) is already loaded.")
            % {"version": definition.version},
            field="file",
        )
    if InstrumentVersion.objects.filter(instrument=instrument, version=definition.version).exists():
        raise Conflict(
            _(
                "Version %(version)s of %(code)s was loaded before with different content. "
                "Give the changed definition a new version."
            )
            % {"version": definition.version, "code": definition.code},
            field="file",
        )
    fields = _descriptive_fields(definition)
    for name, value in fields.items():
        setattr(instrument, name, value)
    instrument.definition = document
    instrument.definition_sha256 = sha
    instrument.licence_confirmed_by = actor
    instrument.licence_confirmed_at = now
    _keep_version(instrument, document, sha, actor)
    # Cut-offs the new version no longer has are dropped; the rest are kept.
    keep = {c.key for c in definition.cutoffs}
    instrument.cutoffs = {k: v for k, v in (instrument.cutoffs or {}).items() if k in keep}
    instrument.save(
        update_fields=[
            *fields,
            "definition",
            "definition_sha256",
            "licence_confirmed_by",
            "licence_confirmed_at",
            "cutoffs",
            "updated_at",
        ]
    )
    _reclassify_outcomes(instrument)
    audit_change(
        actor=actor,
        action="measures.instrument.loaded",
        obj=instrument,
        changed=["definition", *fields],
        detail={"code": definition.code, "version": definition.version, "sha256": sha},
    )
    return instrument


def _rc_errors(sd: float | None, r: float | None, source: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if sd is not None and not sd > 0:
        errors["rc_sd"] = [_("The reference SD must be greater than 0.")]
    if r is not None and not 0 < r < 1:
        errors["rc_reliability"] = [_("The reliability must be between 0 and 1 (e.g. 0.89).")]
    if (sd is not None or r is not None) and not source.strip():
        errors["rc_source"] = [
            _("Say where s1 and r come from (a paper, or your own intake sample).")
        ]
    if len(source) > 300:
        errors["rc_source"] = [_("Keep the source under 300 characters.")]
    return errors


@transaction.atomic
def instrument_update_settings(
    *,
    actor: User,
    instrument: Instrument,
    rc_sd: float | None,
    rc_reliability: float | None,
    rc_source: str,
    cutoffs: Mapping[str, Number] | None = None,
    is_active: bool | None = None,
) -> Instrument:
    """Change the practice's settings for an instrument: the reliable-change parameters
    s1 (reference SD) and r (reliability) with their source (Jacobson & Truax 1991),
    the tunable cut-offs, and whether it is in use."""
    require(actor, Capability.MANAGE_PRACTICE)
    source = rc_source or ""
    errors = _rc_errors(rc_sd, rc_reliability, source)
    new_cutoffs = dict(instrument.cutoffs or {})
    if cutoffs is not None:
        definition = definition_of(instrument)
        defaults = {c.key: c.default for c in definition.cutoffs}
        try:
            values = definition.cutoff_values(cutoffs)
        except DefinitionError as exc:
            for path, messages in exc.errors.items():
                errors.setdefault(path.replace("cutoffs.", "cutoff_"), []).extend(messages)
        else:
            # Store only what differs from the definition's default.
            new_cutoffs = {k: v for k, v in values.items() if v != defaults.get(k)}
    if errors:
        raise ValidationFailed(errors=errors)
    changed: list[str] = []
    for name, value in (
        ("rc_sd", rc_sd),
        ("rc_reliability", rc_reliability),
        ("rc_source", source),
        ("cutoffs", new_cutoffs),
    ):
        if getattr(instrument, name) != value:
            setattr(instrument, name, value)
            changed.append(name)
    if is_active is not None and instrument.is_active != is_active:
        instrument.is_active = is_active
        changed.append("is_active")
    if changed:
        instrument.save(update_fields=[*changed, "updated_at"])
        if {"rc_sd", "rc_reliability"} & set(changed):
            _reclassify_outcomes(instrument)
        audit_change(
            actor=actor,
            action="measures.instrument.settings_changed",
            obj=instrument,
            changed=changed,
        )
    return instrument
