"""Who may see and acknowledge which safety alerts, and the reads that depend on it.

- Practice admins (``OVERSEE_SAFETY_ALERTS``): every alert.
- Clinicians: alerts of the groups they lead or co-facilitate (or supervise through a
  supervisee, or cover as a substitute) — and alerts without a group for members who
  hold a place in one of those groups — and any alert escalated to them.
- Everyone else (coordinators, billing, members): none. Someone else's alert is a 404.

The rule is applied inside the query (``visible_alerts``); opening one alert writes an
access audit event (it is clinical content).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from kindred.audit.services import audit_access
from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.core.errors import NotPermitted
from kindred.measures.models import AlertStatus, SafetyAlert
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability, Role

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

#: Open-alert counts for the navigation are cached per person under a generation
#: number that every change to any alert bumps, so a page asks the database at most once
#: a minute and never shows a count older than the last change.
COUNT_CACHE_SECONDS = 60
GENERATION_KEY = "kindred:alerts:generation"


def _alert_clinician_ids(actor: User | None) -> list[int] | None:
    """The clinicians whose groups' alerts ``actor`` sees (theirs, and their
    supervisees' for a supervisor): None means every group (admins); empty, none."""
    from kindred.groups.access import clinician_of

    if actor is None or not actor.is_authenticated or not actor.is_active:
        return []
    if not getattr(actor, "is_staff_member", False):
        return []
    if role_checks.has(actor, Capability.OVERSEE_SAFETY_ALERTS):
        return None
    clinician = clinician_of(actor)
    if clinician is None:
        return []
    ids: list[int] = [clinician.pk]
    if role_checks.has_role(actor, Role.SUPERVISOR):
        ids += list(clinician.supervisees.values_list("pk", flat=True))
    return ids


def alert_groups(actor: User | None) -> QuerySet[TherapyGroup] | None:
    """The groups whose alerts ``actor`` sees, as a sub-select (no query of its own):
    None means every group (admins); an empty queryset means none."""
    from kindred.groups.access import facilitated_groups_q
    from kindred.groups.models import TherapyGroup

    ids = _alert_clinician_ids(actor)
    if ids is None:
        return None
    if not ids:
        return TherapyGroup.objects.none()
    return TherapyGroup.objects.filter(
        pk__in=TherapyGroup.objects.filter(facilitated_groups_q(ids)).values("pk")
    )


def alert_group_ids(actor: User | None, *, memo: object | None = None) -> list[int] | None:
    """The same groups as ``alert_groups``, resolved to a literal list of ids (None
    means every group: admins). One small query (two for a supervisor).

    For the alert lists: PostgreSQL estimated the OR of the lead / co-facilitator /
    substitute sub-selects at ~1,500 groups when a clinician sees about a dozen, and
    hash-joined every client of the practice to find their alerts; with the literal
    list it knows the true number. With ``memo`` (an object living for one request)
    the answer is kept on it."""
    from kindred.groups.access import facilitated_groups_q
    from kindred.groups.models import TherapyGroup

    cache_of: dict[int, list[int]] | None = None
    if memo is not None and actor is not None and actor.pk is not None:
        cache_of = memo.__dict__.setdefault("_kindred_alert_group_ids", {})
        if actor.pk in cache_of:
            return list(cache_of[actor.pk])
    ids = _alert_clinician_ids(actor)
    if ids is None:
        return None
    found = (
        list(
            TherapyGroup.objects.filter(facilitated_groups_q(ids))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if ids
        else []
    )
    if cache_of is not None and actor is not None:
        cache_of[actor.pk] = found
    return list(found)


def can_see_alerts(actor: User | None) -> bool:
    """Whether the alerts page is for ``actor`` at all (admins and clinicians)."""
    from kindred.groups.access import clinician_of

    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if role_checks.has(actor, Capability.OVERSEE_SAFETY_ALERTS):
        return True
    return clinician_of(actor) is not None


def visible_alerts(
    actor: User | None, *, resolve_groups: bool = False, memo: object | None = None
) -> QuerySet[SafetyAlert]:
    """Alerts ``actor`` may see. With ``resolve_groups`` their groups are looked up
    first and written into the query as literal ids (``alert_group_ids``: one more small
    query, a much better plan for the lists); without, as sub-selects (no query of
    their own, for the home page's budget)."""
    groups: list[int] | QuerySet[TherapyGroup] | None = (
        alert_group_ids(actor, memo=memo) if resolve_groups else alert_groups(actor)
    )
    if groups is None:
        return SafetyAlert.objects.all()
    if not can_see_alerts(actor):
        return SafetyAlert.objects.none()
    from kindred.groups.models import SEAT_STATUSES, Enrollment

    seated = Enrollment.objects.filter(group_id__in=groups, status__in=SEAT_STATUSES).values(
        "client_id"
    )
    # An alert escalated to someone (the clinical lead) is theirs to see as well.
    return SafetyAlert.objects.filter(
        Q(group_id__in=groups)
        | Q(group__isnull=True, client_id__in=seated)
        | Q(escalated_to_id=actor.pk)  # type: ignore[union-attr]
    )


def alert_list(
    *,
    actor: User | None,
    status: str = "",
    group: TherapyGroup | None = None,
    memo: object | None = None,
) -> QuerySet[SafetyAlert]:
    """Alerts ``actor`` may see: open ones first (oldest first: the longest waiting is
    the most urgent), then acknowledged ones (newest first)."""
    qs = visible_alerts(actor, resolve_groups=True, memo=memo)
    if status in AlertStatus.values:
        qs = qs.filter(status=status)
    if group is not None:
        qs = qs.filter(group=group)
    is_open = Q(status=AlertStatus.OPEN)
    return qs.select_related(
        "client", "group", "acknowledged_by", "administration__instrument"
    ).order_by(
        Case(When(is_open, then=Value(0)), default=Value(1), output_field=IntegerField()),
        Case(When(is_open, then=F("created_at"))).asc(nulls_last=True),
        "-created_at",
        "-id",
    )


def get_alert_for(actor: User | None, alert_id: object, *, write: bool = False) -> SafetyAlert:
    """The alert if ``actor`` may see it (else a denied event and 404). Clinicians who
    can see an alert may acknowledge it; ``write`` checks nothing more but is kept for
    symmetry with the other access functions."""
    pk = _int_or_none(alert_id)
    alert = None
    if pk is not None:
        alert = (
            visible_alerts(actor)
            .filter(pk=pk)
            .select_related("client", "group", "acknowledged_by", "administration__instrument")
            .first()
        )
    if alert is None:
        deny(actor, SafetyAlert, alert_id)
    if write and not can_see_alerts(actor):  # unreachable: kept as a guard
        raise NotPermitted("You cannot acknowledge this alert.")
    return alert


def alert_get(*, actor: User, alert_id: object, write: bool = False) -> SafetyAlert:
    """Open one alert: the access check, then an access audit event."""
    alert = get_alert_for(actor, alert_id, write=write)
    audit_access(
        actor=actor, action="measures.safety_alert.viewed", obj=alert, client_id=alert.client_id
    )
    return alert


def _generation() -> int:
    value = cache.get(GENERATION_KEY)
    if isinstance(value, int):
        return value
    cache.add(GENERATION_KEY, 1, None)
    value = cache.get(GENERATION_KEY)
    return value if isinstance(value, int) else 1


def forget_open_alert_counts() -> None:
    """Every cached open-alert count is stale now (an alert was raised or acknowledged)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


def open_alert_count(*, actor: User) -> int:
    """How many open alerts ``actor`` may see: cached (one query at most a minute)."""
    if not can_see_alerts(actor):
        return 0
    key = f"kindred:alerts:open:{actor.pk}:{_generation()}"
    cached = cache.get(key)
    if isinstance(cached, int):
        return cached
    count = visible_alerts(actor).filter(status=AlertStatus.OPEN).count()
    cache.set(key, count, COUNT_CACHE_SECONDS)
    return count


def alerts_nav_label(actor: User) -> str:
    """The navigation's "Alerts" item, with how many are open (cached count)."""
    from django.utils.translation import gettext as _

    count = open_alert_count(actor=actor)
    if count:
        return _("Alerts (%(count)d open)") % {"count": count}
    return _("Alerts")
