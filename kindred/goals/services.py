"""Setting goals, checking in, replying with support, and gentle nudges.

Every service checks what this person may do, validates with a specific plain-language
message (nothing is stored when anything is wrong), writes and audits in one
transaction. Audit details name ids and fields, never the words.

Risk language: what a member writes (a goal's what / why / next step, a check-in note,
a reply) is screened with ``kindred.space.risk.categories`` before it is stored; a match
raises a SafetyAlert in the same transaction (flag ``goals.goal.<pk>``,
``goals.checkin.<pk>``, ``goals.reply.<pk>``) and the caller shows the writer crisis
resources at once (``risk_flagged`` on what is returned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.clients.models import Weekday
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.goals.access import GoalAccess, GoalRole, active_groups_of
from kindred.goals.models import (
    NEXT_STEP_MAX,
    NOTE_MAX,
    PROGRESS_MAX,
    PROGRESS_MIN,
    REASON_MAX,
    REPLY_MAX,
    WHAT_MAX,
    WHY_MAX,
    CheckIn,
    Goal,
    GoalStatus,
    ReplyStatus,
    SupportReply,
)
from kindred.notifications.services import NewNotification, notify, notify_many
from kindred.space import risk

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from kindred.accounts.models import User
    from kindred.clients.models import Client

NOTIFY_REPLY = "goals.reply"
NOTIFY_NUDGE = "goals.nudge"
NUDGE_TITLE = "A moment to check in on your goal?"
#: How far ahead a goal's date may be.
BY_WHEN_MAX_DAYS = 5 * 366


# --- weeks -----------------------------------------------------------------------------


def today_in(zone_name: str | None, now: datetime | None = None) -> date:
    """Today in the time zone ``zone_name`` (the site's when unknown or invalid)."""
    moment = now or timezone.now()
    try:
        zone = ZoneInfo(zone_name) if zone_name else None
    except (KeyError, ValueError):
        zone = None
    if zone is None:
        return timezone.localdate(moment)
    return moment.astimezone(zone).date()


def local_today(client: Client | None, now: datetime | None = None) -> date:
    """Today in the member's own time zone."""
    return today_in(client.timezone if client is not None else None, now)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_of_for(client: Client | None, now: datetime | None = None) -> date:
    """The Monday of this ISO week in the member's time zone."""
    return monday_of(local_today(client, now))


# --- validation helpers ----------------------------------------------------------------


def _text(
    value: object, *, field: str, limit: int, label: str, required: bool = False
) -> tuple[str, str | None]:
    """Cleaned text, or the message to show beside ``field``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", _("%(label)s must be text.") % {"label": label}
    text = value.strip()
    if "\x00" in text:
        return text, _("%(label)s contains a character we can't store.") % {"label": label}
    if required and not text:
        return text, _("Say in a few words what %(label)s is.") % {"label": label.lower()}
    if len(text) > limit:
        return text, _(
            "%(label)s is %(length)s characters long; it can have at most %(max)s. Shorten "
            "it — nothing was saved, and your text is still here."
        ) % {"label": label, "length": f"{len(text):,}", "max": f"{limit:,}"}
    return text, None


def parse_progress(value: object) -> int:
    """A whole number from 0 to 10, or a specific message."""
    message = _("Progress is a whole number from %(min)d (not started) to %(max)d (done).") % {
        "min": PROGRESS_MIN,
        "max": PROGRESS_MAX,
    }
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationFailed(message, field="progress")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(message, field="progress") from None
    if number < PROGRESS_MIN or number > PROGRESS_MAX:
        raise ValidationFailed(
            _("%(value)s is outside the scale: choose a number from %(min)d to %(max)d.")
            % {"value": number, "min": PROGRESS_MIN, "max": PROGRESS_MAX},
            field="progress",
        )
    return number


def _parse_date(value: object) -> tuple[date | None, str | None]:
    if value in (None, ""):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    try:
        return date.fromisoformat(str(value).strip()), None
    except ValueError:
        return None, _("Give the date as year-month-day, e.g. 2026-12-31.")


def _risk_alert(*, client_id: int, group_id: int | None, flag_code: str) -> None:
    from kindred.measures.models import AlertSource
    from kindred.measures.safety import raise_alert

    raise_alert(
        client_id=client_id,
        group_id=group_id,
        source=AlertSource.RISK_LANGUAGE,
        flag_code=flag_code,
    )


def _require_owner(access: GoalAccess) -> None:
    if not access.is_owner:
        raise NotPermitted(_("Only the member whose goal this is can change it."))


# --- goals -----------------------------------------------------------------------------


@dataclass
class GoalInput:
    what: str
    why: str
    by_when: date | None
    next_step: str
    shared_with_group: bool
    group_id: int | None
    nudges: bool
    nudge_day: int


def _clean_goal(client: Client, data: dict[str, Any], *, current: Goal | None) -> GoalInput:
    errors: dict[str, list[str]] = {}

    def take(field: str, limit: int, label: str, required: bool = False) -> str:
        text, problem = _text(
            data.get(field, getattr(current, field, "")),
            field=field,
            limit=limit,
            label=label,
            required=required,
        )
        if problem:
            errors[field] = [problem]
        return text

    what = take("what", WHAT_MAX, _("Your goal"), required=True)
    why = take("why", WHY_MAX, _("Why it matters"))
    next_step = take("next_step", NEXT_STEP_MAX, _("The next step"))

    raw_date = data.get("by_when", current.by_when if current else None)
    by_when, problem = _parse_date(raw_date)
    today = local_today(client)
    if problem:
        errors["by_when"] = [problem]
    elif by_when is not None and (current is None or by_when != current.by_when):
        if by_when < today:
            errors["by_when"] = [_("That date has passed: choose today or a later day.")]
        elif by_when > today + timedelta(days=BY_WHEN_MAX_DAYS):
            errors["by_when"] = [_("Choose a date within the next five years.")]

    shared = bool(data.get("shared_with_group", current.shared_with_group if current else False))
    nudges = bool(data.get("nudges", current.nudges if current else True))
    raw_day = data.get("nudge_day", current.nudge_day if current else Weekday.THURSDAY)
    try:
        nudge_day = int(str(raw_day))
    except (TypeError, ValueError):
        nudge_day = -1
    if isinstance(raw_day, bool) or nudge_day not in Weekday.values:
        errors["nudge_day"] = [_("Choose a day of the week.")]

    group_id = _clean_group(client, data, current, shared, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    return GoalInput(
        what=what,
        why=why,
        by_when=by_when,
        next_step=next_step,
        shared_with_group=shared,
        group_id=group_id,
        nudges=nudges,
        nudge_day=nudge_day,
    )


def _clean_group(
    client: Client,
    data: dict[str, Any],
    current: Goal | None,
    shared: bool,
    errors: dict[str, list[str]],
) -> int | None:
    """The group the goal belongs to: one of the member's active groups (the only one
    when they have one), or unchanged; ``errors`` gets what is wrong."""
    groups = list(active_groups_of(client).order_by("name", "pk").values_list("pk", flat=True))
    raw_group = data.get("group_id", current.group_id if current else None)
    group_id: int | None
    if raw_group in (None, ""):
        group_id = groups[0] if len(groups) == 1 else None
        if group_id is None and len(groups) > 1:
            errors["group_id"] = [_("Choose the group this goal belongs to.")]
            return None
    else:
        try:
            group_id = int(str(raw_group))
        except (TypeError, ValueError):
            group_id = None
        unchanged = current is not None and group_id == current.group_id
        if group_id not in groups and not unchanged:
            errors["group_id"] = [
                _("Choose one of the groups you are in now.")
                if groups
                else _("You are not in a group right now, so a goal can't belong to one.")
            ]
            return None
    if shared and (group_id is None or group_id not in groups):
        errors["shared_with_group"] = [
            _(
                "You are not in a group right now, so this goal can only be private. "
                "Untick “my group can see this goal”."
            )
        ]
    return group_id


def _screen_goal(goal: Goal) -> list[str]:
    return risk.categories(f"{goal.what}\n\n{goal.why}\n\n{goal.next_step}")


def goal_create(*, actor: User, client: Client, data: dict[str, Any]) -> Goal:
    """A member sets a goal for themselves. ``data``: what, why, by_when, next_step,
    shared_with_group, group_id, nudges, nudge_day (missing ones take defaults)."""
    if client.user_id != actor.pk:
        raise NotPermitted(_("Members set goals for themselves only."))
    cleaned = _clean_goal(client, data, current=None)
    with transaction.atomic():
        goal = Goal(client=client, user=actor, **cleaned.__dict__)
        goal.risk_categories = _screen_goal(goal)
        goal.save()
        audit_change(
            actor=actor,
            action="goals.goal.created",
            obj=goal,
            client_id=client.pk,
            detail={"shared": goal.shared_with_group, "risk": bool(goal.risk_categories)},
        )
        if goal.risk_categories:
            _risk_alert(
                client_id=client.pk, group_id=goal.group_id, flag_code=f"goals.goal.{goal.pk}"
            )
    return goal


def goal_update(*, actor: User, access: GoalAccess, data: dict[str, Any]) -> Goal:
    """The member changes their goal (any of the fields of ``goal_create``)."""
    _require_owner(access)
    with transaction.atomic():
        goal = Goal.objects.select_for_update().get(pk=access.goal.pk)
        cleaned = _clean_goal(goal.client, data, current=goal)
        changed = [f for f, v in cleaned.__dict__.items() if getattr(goal, f) != v]
        if not changed:
            return goal
        for field in changed:
            setattr(goal, field, getattr(cleaned, field))
        texts = {"what", "why", "next_step"}
        if texts & set(changed):
            goal.risk_categories = _screen_goal(goal)
        goal.save()
        audit_change(
            actor=actor,
            action="goals.goal.updated",
            obj=goal,
            client_id=goal.client_id,
            changed=changed,
            detail={"risk": bool(goal.risk_categories)},
        )
        if goal.risk_categories and texts & set(changed):
            _risk_alert(
                client_id=goal.client_id,
                group_id=goal.group_id,
                flag_code=f"goals.goal.{goal.pk}",
            )
    return goal


_STATUS_VERBS = {
    GoalStatus.REACHED: "reached",
    GoalStatus.SET_ASIDE: "set_aside",
    GoalStatus.ACTIVE: "resumed",
}


def goal_set_status(*, actor: User, access: GoalAccess, status: str) -> Goal:
    """Mark a goal reached (celebrated), set it aside, or take it up again."""
    _require_owner(access)
    if status not in GoalStatus.values:
        raise ValidationFailed(
            _("Choose: working on it, reached, or set aside for now."), field="status"
        )
    with transaction.atomic():
        goal = Goal.objects.select_for_update().get(pk=access.goal.pk)
        if goal.status == status:
            raise InvalidState(
                _("This goal is already “%(status)s”.") % {"status": GoalStatus(status).label},
                code="unchanged",
            )
        now = timezone.now()
        goal.status = status
        if status == GoalStatus.REACHED:
            goal.reached_at = now
            goal.set_aside_at = None
        elif status == GoalStatus.SET_ASIDE:
            goal.set_aside_at = now
            goal.reached_at = None
        else:
            goal.reached_at = None
            goal.set_aside_at = None
        goal.save(update_fields=["status", "reached_at", "set_aside_at", "updated_at"])
        audit_change(
            actor=actor,
            action=f"goals.goal.{_STATUS_VERBS[GoalStatus(status)]}",
            obj=goal,
            client_id=goal.client_id,
            changed=["status"],
        )
    return goal


# --- check-ins -------------------------------------------------------------------------


def checkin_record(
    *,
    actor: User,
    access: GoalAccess,
    progress: object,
    note: object = "",
    replace: bool = False,
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """This week's check-in on a goal (the member's own week). A second one in the same
    week is refused with a clear message unless ``replace`` (then this week's check-in
    is updated). Returns the check-in and whether it is new."""
    _require_owner(access)
    goal = access.goal
    if goal.status != GoalStatus.ACTIVE:
        raise InvalidState(
            _(
                "This goal is marked “%(status)s”, so it takes no check-ins. Take it up "
                "again first if you'd like to keep checking in."
            )
            % {"status": goal.get_status_display()},
            code="goal_not_active",
        )
    errors: dict[str, list[str]] = {}
    value = 0
    try:
        value = parse_progress(progress)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    text, problem = _text(note, field="note", limit=NOTE_MAX, label=_("Your sentence"))
    if problem:
        errors["note"] = [problem]
    if errors:
        raise ValidationFailed(errors=errors)
    moment = now or timezone.now()
    week = week_of_for(goal.client, moment)
    found = risk.categories(text) if text else []
    try:
        with transaction.atomic():
            existing = CheckIn.objects.select_for_update().filter(goal=goal, week_of=week).first()
            if existing is not None and not replace:
                raise Conflict(
                    _(
                        "You have already checked in on this goal this week (progress "
                        "%(progress)d, on %(day)s). Change that check-in instead — nothing "
                        "new was saved."
                    )
                    % {
                        "progress": existing.progress,
                        "day": date_format(timezone.localtime(existing.updated_at), "DATE_FORMAT"),
                    },
                    code="already_checked_in",
                )
            created = existing is None
            new_words = created
            if existing is None:
                checkin = CheckIn.objects.create(
                    goal=goal,
                    week_of=week,
                    progress=value,
                    note=text,
                    risk_categories=found,
                    created_at=moment,
                    updated_at=moment,
                )
            else:
                checkin = existing
                new_words = checkin.note != text
                checkin.progress = value
                checkin.note = text
                checkin.risk_categories = found
                checkin.updated_at = moment
                checkin.save(update_fields=["progress", "note", "risk_categories", "updated_at"])
            audit_change(
                actor=actor,
                action="goals.checkin.created" if created else "goals.checkin.updated",
                obj=checkin,
                client_id=goal.client_id,
                changed=None if created else ["progress", "note"],
                detail={"goal": goal.pk, "week_of": week.isoformat(), "risk": bool(found)},
            )
            if found and new_words:  # the same words saved again raise nothing new
                _risk_alert(
                    client_id=goal.client_id,
                    group_id=goal.group_id,
                    flag_code=f"goals.checkin.{checkin.pk}",
                )
    except IntegrityError as exc:  # two check-ins sent at the same moment
        raise Conflict(
            _("You have already checked in on this goal this week. Change that check-in instead."),
            code="already_checked_in",
        ) from exc
    return checkin, created


# --- supportive replies ----------------------------------------------------------------


def _space_state(goal: Goal, actor: User) -> None:
    """The group space's pause and mutes apply to replies too."""
    from kindred.space.models import Space
    from kindred.space.services import check_not_paused_or_muted

    if goal.group_id is None:
        return
    space = Space.objects.filter(group_id=goal.group_id).first()
    if space is None:
        return
    check_not_paused_or_muted(
        actor,
        space,
        paused=_("The group's space is paused, so nobody can send replies right now."),
        muted=_(
            "A facilitator has paused your posting in this group until %(until)s, "
            "replies included. You can still read. Reason given: %(reason)s"
        ),
    )


def reply_create(
    *, actor: User, access: GoalAccess, body: object, checkin: CheckIn | None = None
) -> SupportReply:
    """Send a supportive reply to a goal the actor can see (a shared goal of their
    group, their own goal, or as the group's facilitator)."""
    if access.role == GoalRole.FORMER:
        raise InvalidState(
            _(
                "You are no longer a member of this group, so you can't reply to its "
                "members' goals. Your care team can tell you about other groups."
            ),
            code="left_group",
        )
    goal = access.goal
    if goal.status == GoalStatus.SET_ASIDE:
        raise InvalidState(
            _("This goal has been set aside for now, so it isn't taking replies."),
            code="goal_set_aside",
        )
    if checkin is not None and checkin.goal_id != goal.pk:
        raise NotPermitted(_("That check-in belongs to another goal."))
    if not access.is_staff:
        _space_state(goal, actor)
    text, problem = _text(body, field="body", limit=REPLY_MAX, label=_("Your reply"))
    if not problem and not text:
        problem = _("Write a few words of support before you send.")
    if problem:
        raise ValidationFailed(problem, field="body")
    found = [] if access.is_staff else risk.categories(text)
    with transaction.atomic():
        reply = SupportReply.objects.create(
            goal=goal,
            checkin=checkin,
            author=actor,
            body=text,
            created_at=timezone.now(),
            risk_categories=found,
        )
        writer = getattr(actor, "client", None) if not access.is_staff else None
        audit_change(
            actor=actor,
            action="goals.support_reply.created",
            obj=reply,
            client_id=writer.pk if writer is not None else goal.client_id,
            detail={"goal": goal.pk, "risk": bool(found)},
        )
        if found and writer is not None:
            _risk_alert(
                client_id=writer.pk, group_id=goal.group_id, flag_code=f"goals.reply.{reply.pk}"
            )
        if goal.user_id != actor.pk:
            transaction.on_commit(partial(_tell_reply, reply.pk))
    return reply


def _tell_reply(reply_id: int) -> None:
    """After commit: tell the goal's owner someone sent support (never the words or
    who)."""
    reply = SupportReply.objects.select_related("goal__user").get(pk=reply_id)
    owner = reply.goal.user
    if not owner.is_active or reply.status != ReplyStatus.VISIBLE:
        return
    notify(
        user=owner,
        kind=NOTIFY_REPLY,
        title=_("Someone sent you support on one of your goals"),
        url=reverse("web:goals_detail", args=[reply.goal_id]),
        dedupe_key=f"{NOTIFY_REPLY}:{reply.pk}",
    )


def reply_hide(
    *, actor: User, access: GoalAccess, reply: SupportReply, reason: str
) -> SupportReply:
    """A facilitator hides a reply (its text is kept, with who, when and why)."""
    if not access.is_staff:
        raise NotPermitted(_("Only the group's facilitators can hide a reply."))
    if reply.goal_id != access.goal.pk:
        raise NotPermitted(_("That reply belongs to another goal."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why, in a few words."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("Keep it under %(max)d characters.") % {"max": REASON_MAX}, field="reason"
        )
    with transaction.atomic():
        locked = SupportReply.objects.select_for_update().get(pk=reply.pk)
        if locked.status == ReplyStatus.HIDDEN:
            raise InvalidState(_("This reply is already hidden."), code="unchanged")
        locked.status = ReplyStatus.HIDDEN
        locked.hidden_at = timezone.now()
        locked.hidden_by = actor
        locked.hidden_reason = reason
        locked.save(update_fields=["status", "hidden_at", "hidden_by", "hidden_reason"])
        audit_change(
            actor=actor,
            action="goals.support_reply.hidden",
            obj=locked,
            client_id=access.goal.client_id,
            changed=["status"],
        )
    return locked


def reply_restore(*, actor: User, access: GoalAccess, reply: SupportReply) -> SupportReply:
    if not access.is_staff:
        raise NotPermitted(_("Only the group's facilitators can restore a reply."))
    if reply.goal_id != access.goal.pk:
        raise NotPermitted(_("That reply belongs to another goal."))
    with transaction.atomic():
        locked = SupportReply.objects.select_for_update().get(pk=reply.pk)
        if locked.status == ReplyStatus.VISIBLE:
            raise InvalidState(_("This reply is not hidden."), code="unchanged")
        locked.status = ReplyStatus.VISIBLE
        locked.save(update_fields=["status"])
        audit_change(
            actor=actor,
            action="goals.support_reply.restored",
            obj=locked,
            client_id=access.goal.client_id,
            changed=["status"],
        )
    return locked


# --- gentle nudges ---------------------------------------------------------------------


@dataclass
class NudgeRun:
    considered: int = 0
    due: int = 0
    sent: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"considered": self.considered, "due": self.due, "sent": self.sent}


#: A goal set this recently is not nudged yet.
NUDGE_GRACE = timedelta(days=2)
NUDGE_BATCH = 2000


def _due(row: Mapping[str, Any], now: datetime) -> date | None:
    """This week's Monday when the goal should get a nudge now, else None."""
    today = today_in(row["client__timezone"], now)
    week = monday_of(today)
    if today.weekday() < row["nudge_day"]:
        return None
    last = row["last_week"]
    if last is not None and last >= week:
        return None
    if row["created_at"] > now - NUDGE_GRACE:
        return None
    return week


def nudge_key(goal_id: int, week: date) -> str:
    return f"{NOTIFY_NUDGE}:{goal_id}:{week.isoformat()}"


def nudges_run(
    *, now: datetime | None = None, progress: Callable[[NudgeRun], None] | None = None
) -> NudgeRun:
    """One gentle in-app notification per goal per week for members with an active
    goal, nudges on, and no check-in this week by their chosen day. Safe to run any
    number of times (the dedupe key is per goal per week). Constant queries per batch."""
    from kindred.notifications.models import Notification

    moment = now or timezone.now()
    run = NudgeRun()
    rows = (
        Goal.objects.filter(
            status=GoalStatus.ACTIVE, nudges=True, user__is_active=True, client__user=F("user")
        )
        .annotate(last_week=Max("checkins__week_of"))
        .values("pk", "user_id", "client__timezone", "nudge_day", "created_at", "last_week")
        .order_by("pk")
    )
    last_pk = 0
    url = reverse("web:goals_home")
    while True:
        batch = list(rows.filter(pk__gt=last_pk)[:NUDGE_BATCH])
        if not batch:
            break
        last_pk = batch[-1]["pk"]
        run.considered += len(batch)
        due: dict[str, NewNotification] = {}
        for row in batch:
            week = _due(row, moment)
            if week is None:
                continue
            key = nudge_key(row["pk"], week)
            due[key] = NewNotification(
                user_id=row["user_id"],
                kind=NOTIFY_NUDGE,
                title=NUDGE_TITLE,
                body=_(
                    "No pressure — a few seconds to note where you are with one of your "
                    "goals this week. Any number counts, 0 included."
                ),
                url=url,
                dedupe_key=key,
            )
        run.due += len(due)
        if due:
            had = set(
                Notification.objects.filter(
                    kind=NOTIFY_NUDGE, dedupe_key__in=list(due)
                ).values_list("dedupe_key", flat=True)
            )
            fresh = [note for key, note in due.items() if key not in had]
            if fresh:
                notify_many(fresh)
            run.sent += len(fresh)
        if progress is not None:
            progress(run)
    return run
