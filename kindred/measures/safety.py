"""Safety alerts: raising them, telling the people who must act, and acknowledging them.

CLINICAL.md "Safety": a risk signal (PHQ-9 item 9 > 0 whatever the total — Kroenke,
Spitzer & Williams 2001 — and any flag an instrument defines) creates a SafetyAlert for
the member's facilitators, shown at once, which a clinician must acknowledge with the
action taken. Alerts are never lost: ``raise_alerts_for_administration`` writes the alert
rows inside the caller's transaction (the one that stores the answers), so either both
are committed or neither is. Telling people (in-app notification, a short email) happens
only after commit, and says only that an alert is waiting: no name, no score, no answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import InvalidState, ValidationFailed
from kindred.measures.models import (
    Administration,
    AlertAction,
    AlertSource,
    AlertStatus,
    SafetyAlert,
)
from kindred.notifications.services import notify

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.notifications.models import Notification

#: The flag PHQ-9 raises when item 9 ("thoughts that you would be better off dead, or of
#: hurting yourself") is answered above 0, whatever the total (CLINICAL.md).
PHQ9_ITEM9_FLAG = "phq9.item9"
PHQ9_CODE = "phq9"
PHQ9_ITEM9_KEY = "item9"

NOTIFICATION_KIND = "safety_alert"
ESCALATION_KIND = "safety_alert_escalated"
ACTION_NOTE_MAX = 2000


# --- raising ---------------------------------------------------------------------------


def _flag_code(flag: object) -> str:
    """A cached flag is a code ("phq9.item9") or a mapping with a ``code``."""
    if isinstance(flag, str):
        return flag.strip()
    if isinstance(flag, dict):
        return str(flag.get("code") or "").strip()
    return ""


def _defined_flags(definition: object) -> dict[str, dict[str, Any]]:
    """The instrument's own flag definitions by code."""
    if not isinstance(definition, dict):
        return {}
    found: dict[str, dict[str, Any]] = {}
    for spec in definition.get("flags") or []:
        if isinstance(spec, dict) and spec.get("code"):
            found[str(spec["code"])] = spec
    return found


def alerting_flags(administration: Administration) -> list[str]:
    """The flag codes of a completed administration that each need a safety alert.

    A flag the scoring cached on the administration raises an alert when the
    instrument's definition marks it ``"safety": true`` (measures/definitions.py); an
    informational flag (WHO-5 poor well-being, a PCL-5 or AUDIT-C screen) does not. A
    cached flag the definition no longer knows raises one (when unsure, alert). PHQ-9
    item 9 above 0 always raises one, checked from the stored answer as well as from
    the flag, so it holds even if the cached flags were left empty.
    """
    instrument = administration.instrument
    defined = _defined_flags(instrument.definition)
    codes: list[str] = []
    for flag in administration.flags or []:
        code = _flag_code(flag)
        if not code or code in codes:
            continue
        spec = defined.get(code)
        if code != PHQ9_ITEM9_FLAG and spec is not None and spec.get("safety") is not True:
            continue
        codes.append(code[:80])
    if instrument.code == PHQ9_CODE and PHQ9_ITEM9_FLAG not in codes:
        item = str(defined.get(PHQ9_ITEM9_FLAG, {}).get("item") or PHQ9_ITEM9_KEY)
        if administration.responses.filter(item=item, value__gt=0).exists():
            codes.insert(0, PHQ9_ITEM9_FLAG)
    return codes


def _alert_group_id(administration: Administration) -> int | None:
    """The group the alert belongs to: the administration's, else the member's only
    current group (with several, the alert belongs to the member and every group's
    facilitators are told)."""
    if administration.group_id is not None:
        return administration.group_id
    from kindred.groups.models import SEAT_STATUSES, Enrollment

    ids = list(
        Enrollment.objects.filter(client_id=administration.client_id, status__in=SEAT_STATUSES)
        .values_list("group_id", flat=True)
        .distinct()[:2]
    )
    return ids[0] if len(ids) == 1 else None


def raise_alerts_for_administration(administration: Administration) -> list[SafetyAlert]:
    """Write one SafetyAlert per alerting flag of ``administration`` (see
    ``alerting_flags``) and return the administration's alerts for those flags. When
    the practice has turned on ``alert_on_reliable_deterioration``, a reliable
    deterioration since the member's first total raises one more alert (not returned:
    the member's crisis page is about their answers, not their trend).

    Call it inside the transaction that completes the administration (after its
    ``flags`` are set), never outside one: it opens no transaction of its own, so an error
    later in the caller's transaction rolls back the answers and the alerts together.
    Running it twice — or two submissions racing — leaves one alert per flag (a unique
    constraint decides; the loser reads the winner's row). People are told after commit,
    once per new alert.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "raise_alerts_for_administration must run inside the transaction that "
            "stores the answers."
        )
    from kindred.measures.outcomes import deterioration_alert

    # A reliable deterioration is a risk signal too, when the practice asks for it; it is
    # not an answer to a risk item, so it is not among the alerts returned.
    deterioration_alert(administration)
    codes = alerting_flags(administration)
    if not codes:
        return []
    group_id = _alert_group_id(administration)
    now = timezone.now()
    alerts: list[SafetyAlert] = []
    created: list[SafetyAlert] = []
    for code in codes:
        alert = SafetyAlert(
            client_id=administration.client_id,
            group_id=group_id,
            administration=administration,
            source=AlertSource.ITEM_FLAG,
            flag_code=code,
            created_at=now,
        )
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller
                alert.save(force_insert=True)
        except IntegrityError:
            existing = SafetyAlert.objects.filter(
                administration=administration, flag_code=code
            ).first()
            if existing is None:  # not a duplicate after all
                raise
            alerts.append(existing)
            continue
        audit_change(
            actor=None,
            action="measures.safety_alert.raised",
            obj=alert,
            client_id=alert.client_id,
            detail={"administration": administration.pk},
        )
        alerts.append(alert)
        created.append(alert)
    if created:
        transaction.on_commit(partial(_after_raise, [a.pk for a in created]))
    return alerts


def raise_alert(
    *,
    client_id: int,
    group_id: int | None,
    source: AlertSource,
    flag_code: str,
    administration: Administration | None = None,
) -> SafetyAlert | None:
    """Raise one alert not tied to an item flag (e.g. reliable deterioration). Runs in
    the caller's transaction; returns None when an open alert with the same flag for the
    same member already exists (so a repeated signal does not pile up alerts)."""
    if SafetyAlert.objects.filter(
        client_id=client_id, flag_code=flag_code, status=AlertStatus.OPEN
    ).exists():
        return None
    alert = SafetyAlert(
        client_id=client_id,
        group_id=group_id,
        administration=administration,
        source=source,
        flag_code=flag_code[:80],
        created_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        return None
    audit_change(
        actor=None,
        action="measures.safety_alert.raised",
        obj=alert,
        client_id=client_id,
        detail={"source": str(source)},
    )
    transaction.on_commit(partial(_after_raise, [alert.pk]))
    return alert


def _risk_language_places() -> tuple[tuple[str, str], ...]:
    """Where a member's words raised a risk-language alert (the flag code's prefix,
    see each app's services), in words for clinicians."""
    return (
        (
            "space.post.",
            _(
                "Risk language in a post in the group's space (see “Posts with risk "
                "language” on the space's moderation page)"
            ),
        ),
        (
            "space.message.",
            _(
                "Risk language in a direct message between members (see the space's "
                "moderation page)"
            ),
        ),
        (
            "goals.",
            _(
                "Risk language in a goal, a weekly check-in or a supportive reply (see the "
                "member's goals)"
            ),
        ),
        ("journal.", _("Risk language in a journal entry the member shared with you")),
        ("strategies.", _("Risk language in a coping strategy the member shared")),
        ("milestones.", _("Risk language in a milestone the member shared with the group")),
    )


def flag_label(alert: SafetyAlert) -> str:
    """What raised the alert, in words for clinicians (never shown to members)."""
    if alert.flag_code == PHQ9_ITEM9_FLAG:
        return _(
            "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) was answered "
            "above “Not at all”"
        )
    administration = alert.administration
    if alert.source == AlertSource.RISK_LANGUAGE:
        for prefix, place in _risk_language_places():
            if alert.flag_code.startswith(prefix):
                return place
    if alert.source == AlertSource.RELIABLE_DETERIORATION:
        name = (
            administration.instrument.short_name
            if administration is not None
            else alert.flag_code.split(".", 1)[0]
        )
        return _("Reliable deterioration on %(instrument)s since the first measurement") % {
            "instrument": name
        }
    if administration is not None:
        spec = _defined_flags(administration.instrument.definition).get(alert.flag_code, {})
        label = spec.get("label") or spec.get("text")
        if label:
            return f"{administration.instrument.short_name}: {label}"
        return f"{administration.instrument.short_name}: {alert.flag_code}"
    return alert.get_source_display()


# --- telling people --------------------------------------------------------------------


def alert_recipients(alert: SafetyAlert) -> list[User]:
    """The facilitators (lead and co-facilitators) of the alert's group, or — for an
    alert without a group — of every group where the member holds a place. Active
    accounts only; one query."""
    from kindred.accounts.models import User as UserModel
    from kindred.groups.models import SEAT_STATUSES, TherapyGroup

    if alert.group_id is not None:
        groups = TherapyGroup.objects.filter(pk=alert.group_id)
    else:
        groups = TherapyGroup.objects.filter(
            enrollments__client_id=alert.client_id, enrollments__status__in=SEAT_STATUSES
        )
    group_ids = groups.values("pk")
    return list(
        UserModel.objects.filter(is_active=True)
        .filter(
            Q(clinician__led_groups__in=group_ids)
            | Q(clinician__co_facilitated_groups__in=group_ids)
        )
        .distinct()
        .order_by("pk")
    )


def _after_raise(alert_ids: Sequence[int]) -> None:
    """After commit: tell each alert's facilitators (in-app, once each) and email them
    that an alert is waiting."""
    from kindred.measures.safety_selectors import forget_open_alert_counts

    forget_open_alert_counts()
    for alert in SafetyAlert.objects.filter(pk__in=list(alert_ids)).order_by("pk"):
        tell_people(
            alert,
            alert_recipients(alert),
            kind=NOTIFICATION_KIND,
            title=_("A safety alert is waiting for you"),
        )


def tell_people(alert: SafetyAlert, people: Iterable[User], *, kind: str, title: str) -> int:
    """One in-app notification per person for ``alert`` (idempotent), and a short email
    to each person newly told. Returns how many were told."""
    url = reverse("web:alert_detail", kwargs={"alert_id": alert.pk})
    emailed: list[int] = []
    for person in people:
        note = notify(user=person, kind=kind, title=title, url=url, dedupe_key=f"{kind}:{alert.pk}")
        if note is not None and person.email:
            emailed.append(note.pk)
    for notification_id in emailed:
        send_alert_email.enqueue(notification_id)
    return len(emailed)


EMAIL_TEMPLATES = {
    NOTIFICATION_KIND: "email/measures/alert",
    ESCALATION_KIND: "email/measures/alert_escalated",
}


def alert_email_send(*, notification_id: int) -> bool:
    """Email the "an alert is waiting, sign in" message for one notification, once.
    The claim row and the send share a transaction: if sending fails the claim is
    rolled back and the task can run again. The email names nobody and holds no
    clinical content."""
    from kindred.groups.models import NoticeEmail
    from kindred.notifications.models import Notification
    from kindred.practice.settings import practice_settings

    note: Notification | None = (
        Notification.objects.select_related("user").filter(pk=notification_id).first()
    )
    if note is None or note.kind not in EMAIL_TEMPLATES:
        return False
    if not note.user.email or not note.user.is_active:
        return False
    prefix = EMAIL_TEMPLATES[note.kind]
    try:
        with transaction.atomic():
            NoticeEmail.objects.create(notification=note, sent_at=timezone.now())
            context = {
                "practice_name": practice_settings().name,
                "link": f"{settings.SITE_URL.rstrip('/')}{reverse('account_login')}",
            }
            subject = render_to_string(f"{prefix}_subject.txt", context)
            body = render_to_string(f"{prefix}_body.txt", context)
            EmailMessage(
                subject=" ".join(subject.split()),
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[note.user.email],
            ).send()
    except IntegrityError:
        return False
    return True


@task(queue_name="email")
def send_alert_email(notification_id: int) -> bool:
    """Send the short safety-alert email for one notification (safe to run twice)."""
    return alert_email_send(notification_id=notification_id)


# --- acknowledging ---------------------------------------------------------------------


def alert_acknowledge(
    *, actor: User, alert: SafetyAlert, action: str, note: str = ""
) -> SafetyAlert:
    """Record the action a clinician took on an open alert. The caller has fetched the
    alert with ``safety_selectors.get_alert_for(actor, id, write=True)``. Acknowledged
    alerts are read-only: a second acknowledgement is refused."""
    errors: dict[str, list[str]] = {}
    if action not in AlertAction.values:
        errors["action"] = [_("Choose the action you took.")]
    if action == AlertAction.OTHER and not note.strip():
        errors["note"] = [_("Say what you did when you choose “Other”.")]
    if len(note) > ACTION_NOTE_MAX:
        errors.setdefault("note", []).append(
            _("Keep the note under %(max)d characters.") % {"max": ACTION_NOTE_MAX}
        )
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        locked = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.status != AlertStatus.OPEN:
            raise InvalidState(_("This alert was already acknowledged."))
        locked.status = AlertStatus.ACKNOWLEDGED
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = actor
        locked.action = action
        locked.action_note = note
        locked.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "action", "action_note"]
        )
        audit_change(
            actor=actor,
            action="measures.safety_alert.acknowledged",
            obj=locked,
            client_id=locked.client_id,
            changed=["status", "acknowledged_at", "acknowledged_by", "action", "action_note"],
        )
        from kindred.measures.safety_selectors import forget_open_alert_counts

        transaction.on_commit(forget_open_alert_counts)
    return locked
