"""Answering a questionnaire, and the other writes of administrations: a clinician
sending one now, and closing those whose window has passed.

Answers (``Response``, one row per item) are saved as the member goes, one item at a
time (``answer_save``) or a page at a time (``answers_save``), and can be changed until
the questionnaire is sent (``administration_submit``): a changed answer replaces the
previous one and the audit event names the item, never the value. After completion the
answers are immutable.

Completion is one transaction: the administration row is locked, every answer checked
(an answer outside the item's options, or to another version of the instrument, is
refused with a message beside that item), the answers scored by the one scoring engine
(measures/scoring.py) and the result cached on the administration, the safety alerts
written (measures/safety.py ``raise_alerts_for_administration``) and the completion
audited, and the member's outcome summary brought up to date (measures/summary.py) —
all or nothing, so an alert is never lost and never raised for answers that
were not stored. A second submission of the same questionnaire changes nothing and says
so ("already received"); a submission after the window closed stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.access import deny
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import SEAT_STATUSES, Enrollment
from kindred.measures.administrations import can_send_now, definition_for
from kindred.measures.definitions import Definition, DefinitionError, Number
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Instrument,
    Response,
    SafetyAlert,
    Timing,
)
from kindred.measures.planning import OPEN_STATUSES, adhoc_window
from kindred.measures.scoring import ScoreResult, score
from kindred.measures.summary import summary_record
from kindred.notifications.services import notify

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.groups.models import TherapyGroup

SENT_KIND = "questionnaire_sent"
#: In-progress questionnaires closed per ``expire_closed`` run (the next run does the rest).
EXPIRE_BATCH = 5000


# --- Checks -----------------------------------------------------------------------------


def _lock(administration: Administration) -> Administration:
    return (
        Administration.objects.select_for_update(of=("self",))
        .select_related("instrument", "client", "group", "session")
        .get(pk=administration.pk)
    )


def _check_member(actor: User, administration: Administration) -> None:
    """Only the member it was sent to answers it (services are called with what the
    access functions returned; this keeps the rule even if one is not). Checked before
    the transaction, so the "denied" audit event is kept."""
    from kindred.clients.models import Client

    if (
        not getattr(actor, "is_member", False)
        or not Client.objects.filter(pk=administration.client_id, user_id=actor.pk).exists()
    ):
        deny(actor, Administration, administration.pk)


def _check_answerable(locked: Administration, now: datetime) -> None:
    if locked.status == AdministrationStatus.COMPLETED:
        raise InvalidState(
            _("We already have your answers to this check-in, so they can't be changed now."),
            code="already_received",
        )
    if locked.status == AdministrationStatus.CANCELLED:
        raise InvalidState(
            _("This check-in was cancelled; there is nothing to answer."), code="cancelled"
        )
    if locked.status == AdministrationStatus.EXPIRED or (
        locked.closes_at is not None and now >= locked.closes_at
    ):
        raise InvalidState(_("This questionnaire has closed."), code="closed")
    if now < locked.available_from:
        raise InvalidState(_("This check-in is not open yet."), code="not_open")


def _check_version(locked: Administration, version: str) -> None:
    if (version or "") != locked.instrument_version:
        raise ValidationFailed(
            _(
                "These answers are for a different version of this questionnaire. Please "
                "reload the page and answer again."
            ),
            field="version",
        )


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def check_answer(definition: Definition, key: str, value: object) -> int:
    """``value`` as one of the item's option values, or ``ValidationFailed`` on the item."""
    item = definition.items_by_key.get(key)
    if item is None:
        raise ValidationFailed(
            _("This questionnaire has no question “%(item)s”.") % {"item": key}, field=key
        )
    number = _as_int(value)
    if number is None or number not in item.values:
        allowed = ", ".join(str(v) for v in sorted(item.values))
        raise ValidationFailed(
            _("“%(value)s” is not one of the answers to this question. Choose one of: %(allowed)s.")
            % {"value": value, "allowed": allowed},
            field=key,
        )
    return number


def check_answers(definition: Definition, answers: Mapping[str, object]) -> dict[str, int]:
    """Every answer checked; all the problems at once, by item."""
    checked: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        try:
            checked[key] = check_answer(definition, key, value)
        except ValidationFailed as exc:
            errors.setdefault(key, []).extend(exc.errors.get(key, [exc.message]))
    if errors:
        raise ValidationFailed(errors=errors)
    return checked


# --- Saving answers ------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveResult:
    answered: int
    questions: int
    saved: tuple[str, ...]
    replaced: tuple[str, ...]


def _write(
    actor: User, locked: Administration, answers: Mapping[str, int], now: datetime
) -> tuple[list[str], list[str]]:
    """Store ``answers`` (already checked) and audit which items changed."""
    existing = {r.item: r for r in Response.objects.filter(administration=locked)}
    new: list[Response] = []
    changed: list[Response] = []
    for key, value in answers.items():
        row = existing.get(key)
        if row is None:
            new.append(Response(administration=locked, item=key, value=value, answered_at=now))
        elif row.value != value:
            row.value, row.answered_at = value, now
            changed.append(row)
    Response.objects.bulk_create(new)
    Response.objects.bulk_update(changed, ["value", "answered_at"])
    saved = sorted(r.item for r in new)
    replaced = sorted(r.item for r in changed)
    if (saved or replaced) and locked.status == AdministrationStatus.PENDING:
        locked.status = AdministrationStatus.IN_PROGRESS
        locked.save(update_fields=["status", "updated_at"])
    if saved or replaced:
        # Which items, never their values.
        audit_change(
            actor=actor,
            action="measures.response.saved",
            obj=locked,
            client_id=locked.client_id,
            detail={"items": saved, "replaced": replaced},
        )
    return saved, replaced


def answers_save(
    *,
    actor: User,
    administration: Administration,
    answers: Mapping[str, object],
    version: str,
    now: datetime | None = None,
) -> SaveResult:
    """Save some answers (all checked first: one bad answer and nothing is saved)."""
    now = now or timezone.now()
    _check_member(actor, administration)
    with transaction.atomic():
        locked = _lock(administration)
        _check_answerable(locked, now)
        _check_version(locked, version)
        definition = definition_for(locked)
        checked = check_answers(definition, answers)
        saved, replaced = _write(actor, locked, checked, now)
        answered = Response.objects.filter(administration=locked).count()
    administration.status = locked.status
    return SaveResult(
        answered=answered,
        questions=len(definition.items),
        saved=tuple(saved),
        replaced=tuple(replaced),
    )


def answer_save(
    *,
    actor: User,
    administration: Administration,
    item: str,
    value: object,
    version: str,
    now: datetime | None = None,
) -> SaveResult:
    """Save one answer (the page saves each answer as it is given)."""
    return answers_save(
        actor=actor, administration=administration, answers={item: value}, version=version, now=now
    )


# --- Completing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitResult:
    administration: Administration
    already_received: bool
    crisis: bool
    alerts: list[SafetyAlert] = field(default_factory=list)


def _stored_total(total: Number | None) -> int | None:
    """The cached total is an integer column: the built-ins' totals are whole numbers;
    a licensed instrument scored as a mean is rounded to the nearest whole number."""
    if total is None:
        return None
    return round(total)


def _cache(locked: Administration, result: ScoreResult, *, completed: bool) -> None:
    locked.is_complete = result.complete and completed
    locked.total = _stored_total(result.total) if locked.is_complete else None
    locked.band = result.band if locked.is_complete else ""
    locked.subscales = dict(result.subscales) if locked.is_complete else {}
    locked.flags = list(result.flags)


def _score(
    locked: Administration, definition: Definition, answers: Mapping[str, int]
) -> ScoreResult:
    try:
        return score(definition, answers, cutoffs=dict(locked.instrument.cutoffs or {}))
    except DefinitionError:
        # The practice's stored cut-offs no longer fit the definition: score with the
        # definition's own, rather than lose the answers.
        return score(definition, answers)


def administration_submit(
    *,
    actor: User,
    administration: Administration,
    version: str,
    answers: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> SubmitResult:
    """Send the answers (with any ``answers`` given now): check, score, cache, raise the
    safety alerts and audit, in one transaction (see the module docstring)."""
    from kindred.measures.safety import raise_alerts_for_administration

    now = now or timezone.now()
    _check_member(actor, administration)
    with transaction.atomic():
        locked = _lock(administration)
        if locked.status == AdministrationStatus.COMPLETED:
            from kindred.measures.administrations import has_safety_flag

            return SubmitResult(locked, already_received=True, crisis=has_safety_flag(locked))
        _check_answerable(locked, now)
        _check_version(locked, version)
        definition = definition_for(locked)
        checked = check_answers(definition, answers or {})
        stored = dict(Response.objects.filter(administration=locked).values_list("item", "value"))
        merged = {**stored, **checked}
        missing = [i.key for i in definition.scored_items if i.key not in merged]
        if missing:
            raise ValidationFailed(
                errors={key: [_("Please answer this question.")] for key in missing}
            )
        _write(actor, locked, checked, now)
        result = _score(locked, definition, merged)
        _cache(locked, result, completed=True)
        locked.status = AdministrationStatus.COMPLETED
        locked.completed_at = now
        locked.save(
            update_fields=[
                "status",
                "completed_at",
                "is_complete",
                "total",
                "band",
                "subscales",
                "flags",
                "updated_at",
            ]
        )
        alerts = raise_alerts_for_administration(locked)
        # The member's outcome summary for this instrument, in the same transaction.
        summary_record(locked)
        audit_change(
            actor=actor,
            action="measures.administration.completed",
            obj=locked,
            client_id=locked.client_id,
            detail={"instrument": locked.instrument.code, "reason": locked.reason},
        )
    administration.status = locked.status
    return SubmitResult(
        locked, already_received=False, crisis=bool(result.safety_flags), alerts=alerts
    )


# --- Closing ------------------------------------------------------------------------------------


def expire_closed(*, now: datetime | None = None) -> int:
    """Close open questionnaires whose window has passed. Unanswered ones simply close;
    partly answered ones are scored as incomplete (never banded, no total) and any
    safety flag among the answers raises its alert, so a risk signal is never lost
    because "Send" was not pressed. Returns how many were closed."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = Administration.objects.filter(
            status=AdministrationStatus.PENDING, closes_at__lte=now
        ).update(status=AdministrationStatus.EXPIRED, updated_at=now)
        if closed:
            audit_change(
                actor=None,
                action="measures.administrations.expired",
                obj=None,
                detail={"count": closed, "answered": 0},
            )
    started = list(
        Administration.objects.filter(status=AdministrationStatus.IN_PROGRESS, closes_at__lte=now)
        .order_by("closes_at", "pk")
        .values_list("pk", flat=True)[:EXPIRE_BATCH]
    )
    return closed + sum(_expire_started(pk, now) for pk in started)


def _expire_started(pk: int, now: datetime) -> int:
    from kindred.measures.safety import raise_alerts_for_administration

    with transaction.atomic():
        locked = (
            Administration.objects.select_for_update()
            .select_related("instrument")
            .filter(pk=pk, status=AdministrationStatus.IN_PROGRESS, closes_at__lte=now)
            .first()
        )
        if locked is None:
            return 0
        answers = dict(Response.objects.filter(administration=locked).values_list("item", "value"))
        result: ScoreResult | None
        try:
            result = _score(locked, definition_for(locked), answers)
        except ValidationFailed:  # an answer the definition no longer takes: keep them as they are
            result = None
        if result is not None:
            _cache(locked, result, completed=False)
        locked.status = AdministrationStatus.EXPIRED
        locked.save(
            update_fields=[
                "status",
                "is_complete",
                "total",
                "band",
                "subscales",
                "flags",
                "updated_at",
            ]
        )
        alerts = raise_alerts_for_administration(locked) if locked.flags else []
        audit_change(
            actor=None,
            action="measures.administration.expired",
            obj=locked,
            client_id=locked.client_id,
            detail={"answered": len(answers), "alerts": len(alerts)},
        )
    return 1


# --- Sending one now ------------------------------------------------------------------------------


def administration_send(
    *,
    actor: User,
    group: TherapyGroup,
    client: Client,
    instrument: Instrument,
    now: datetime | None = None,
) -> Administration:
    """A facilitator sends ``instrument`` to one member of their group now (open for
    seven days). The member is told in the app, in words that say nothing clinical."""
    if not can_send_now(actor, group):
        raise NotPermitted(_("Only the group's facilitators send questionnaires."))
    now = now or timezone.now()
    with transaction.atomic():
        place = (
            Enrollment.objects.select_for_update(of=("self",))
            .filter(group=group, client=client, status__in=SEAT_STATUSES)
            .select_related("client__user")
            .first()
        )
        if place is None:
            raise ValidationFailed(
                _("%(name)s does not have a place in this group.") % {"name": client.display_name},
                field="client",
            )
        user = place.client.user
        if user is None or not user.is_active:
            raise ValidationFailed(
                _("%(name)s has no Kindred account yet, so they can't answer questionnaires.")
                % {"name": client.display_name},
                field="client",
            )
        if not instrument.is_active:
            raise ValidationFailed(_("This questionnaire is not in use."), field="instrument")
        waiting = Administration.objects.filter(
            client=client,
            instrument=instrument,
            status__in=OPEN_STATUSES,
            closes_at__gt=now,
            available_from__lte=now,
        ).first()
        if waiting is not None:
            raise Conflict(
                _("%(name)s already has %(instrument)s waiting (sent %(date)s).")
                % {
                    "name": client.display_name,
                    "instrument": instrument.short_name,
                    "date": date_format(timezone.localtime(waiting.available_from), "DATE_FORMAT"),
                },
                field="instrument",
            )
        window = adhoc_window(now)
        administration = Administration.objects.create(
            client=client,
            instrument=instrument,
            instrument_version=instrument.version,
            group=group,
            reason=Timing.ADHOC,
            available_from=window.available_from,
            due_at=window.due_at,
            closes_at=window.closes_at,
            sent_by=actor,
        )
        audit_change(
            actor=actor,
            action="measures.administration.sent",
            obj=administration,
            client_id=client.pk,
            detail={"instrument": instrument.code, "group": group.pk},
        )
        notify(
            user=user,
            kind=SENT_KIND,
            title=_("Your facilitator sent you a short check-in"),
            url=reverse("web:member_questionnaires"),
            dedupe_key=f"{SENT_KIND}:{administration.pk}",
        )
    return administration
