"""A group's space: members and their facilitators, phone first.

Who may see what is decided by ``kindred.space.access`` (404 and a denied event for
everyone else); every change goes through ``kindred.space.services``. New posts appear
without reloading: the thread and the list poll every ``POLL_SECONDS`` with htmx, and a
plain link does the same without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.access import deny
from kindred.core.errors import KindredError, NotFound
from kindred.core.markdown import render_markdown
from kindred.milestones import selectors as milestone_selectors
from kindred.space import selectors, services
from kindred.space.access import (
    SpaceAccess,
    get_post_for,
    get_space_for,
    get_thread_for,
)
from kindred.space.models import Mute, Post, PostStatus, Report, Space, Thread
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of, signed_in_page
from kindred.web.space.forms import (
    DisplayNameForm,
    MuteForm,
    PauseForm,
    ReasonForm,
    ReplyForm,
    ReportForm,
    ResolveForm,
    SettingsForm,
    ThreadForm,
)

SECTION = "space"
POLL_SECONDS = 15


space_page = signed_in_page


def _context(access: SpaceAccess, **extra: Any) -> dict[str, Any]:
    return {
        "section": SECTION,
        "access": access,
        "space": access.space,
        "group": access.group,
        "poll_seconds": POLL_SECONDS,
        **extra,
    }


def _needs_name(request: HttpRequest, access: SpaceAccess) -> bool:
    return access.is_member and selectors.display_name_of(access, actor_of(request)) is None


def _name_url(access: SpaceAccess, next_url: str) -> str:
    return reverse("web:space_display_name", args=[access.group.pk]) + f"?next={next_url}"


# --- the space and its threads ---------------------------------------------------------


@space_page
@require_safe
def space_home(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_space_for(actor, group_id)
    if _needs_name(request, access):
        return redirect(_name_url(access, request.path))
    rows, more = selectors.thread_list(access, actor)
    mute = services.active_mute(access.space, actor) if access.is_member else None
    conversations, unread_messages = selectors.message_summary(access, actor)
    return render(
        request,
        "web/space/space.html",
        _context(
            access,
            rows=rows,
            more=more,
            mute=mute,
            has_conversations=conversations > 0,
            unread_messages=unread_messages,
            name=_own_name(access, actor),
            rules_html=render_markdown(access.space.rules) if access.space.rules else "",
            milestones_panel=milestone_selectors.space_panel(access.group.pk, actor=actor),
        ),
    )


def _own_name(access: SpaceAccess, actor: Any) -> str:
    if not access.is_member:
        return ""
    entry = selectors.display_name_of(access, actor)
    return entry.name if entry else ""


@space_page
@require_safe
def space_threads(request: HttpRequest, group_id: int) -> HttpResponse:
    """The thread list alone (what the space page polls); the page without htmx."""
    if not request.headers.get("HX-Request"):
        return redirect("web:space", group_id=group_id)
    actor = actor_of(request)
    access = get_space_for(actor, group_id)
    rows, more = selectors.thread_list(access, actor)
    return render(request, "web/space/_threads.html", _context(access, rows=rows, more=more))


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def display_name(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_space_for(actor, group_id)
    if not access.is_member:
        raise NotFound("Not found.")
    current = selectors.display_name_of(access, actor)
    form = DisplayNameForm(request.POST or None, initial={"name": current.name if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.display_name_set(actor=actor, access=access, name=form.cleaned_data["name"])
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Saved. This is how the group will see you here."))
            target = request.GET.get("next", "")
            if not target.startswith("/space/"):
                target = reverse("web:space", args=[access.group.pk])
            return redirect(target)
    return render(
        request, "web/space/display_name.html", _context(access, form=form, current=current)
    )


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def thread_new(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_space_for(actor, group_id, allow_former=request.method == "POST")
    if request.method != "POST" and _needs_name(request, access):
        return redirect(_name_url(access, request.path))
    form = ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.thread_create(
                actor=actor,
                access=access,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            return _after_post(request, post)
    return render(request, "web/space/thread_new.html", _context(access, form=form))


def _after_post(request: HttpRequest, post: Post) -> HttpResponse:
    url = reverse("web:space_thread", args=[post.thread_id])
    if post.status == PostStatus.PENDING:
        messages.info(
            request, _("Thank you. Your post will appear once a facilitator has read it.")
        )
    else:
        messages.success(request, _("Posted."))
    if post.risk_flagged:
        return redirect(f"{url}?posted={post.pk}#support")
    return redirect(f"{url}#post-{post.pk}")


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    actor = actor_of(request)
    access, thread = get_thread_for(actor, thread_id, allow_former=request.method == "POST")
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                actor=actor, access=access, thread=thread, body=form.cleaned_data["body"]
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            return _after_post(request, post)
        if access.role == "former":
            return render(
                request, "web/space/left.html", _context(access, message=form.non_field_errors()),
                status=409,
            )  # fmt: skip
    if _needs_name(request, access):
        return redirect(_name_url(access, request.path))
    before = _before(request)
    rows, more = selectors.thread_posts(access, actor, thread, before=before)
    last_id = max((r.post.pk for r in rows), default=0)
    if before is None:  # reading earlier posts never moves the marker back
        services.thread_mark_read(actor=actor, thread=thread, up_to_post_id=last_id)
    crisis = _crisis_post(request, actor, rows)
    return render(
        request,
        "web/space/thread.html",
        _context(
            access,
            thread=thread,
            rows=rows,
            more=more,
            form=form,
            last_id=last_id,
            before=before,
            earliest=min((r.post.pk for r in rows), default=0),
            crisis=crisis,
            can_write=_can_write_reason(access, actor, thread),
        ),
        status=400 if form.errors else 200,
    )


def _before(request: HttpRequest) -> int | None:
    """``?before=<post id>``: the page of posts before it (older ones)."""
    try:
        value = int(request.GET.get("before", ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _crisis_post(request: HttpRequest, actor: Any, rows: list[selectors.PostRow]) -> bool:
    """Show crisis resources at once after the writer's own post raised risk language."""
    posted = request.GET.get("posted", "")
    return any(str(r.post.pk) == posted and r.is_mine and r.post.risk_flagged for r in rows)


def _can_write_reason(access: SpaceAccess, actor: Any, thread: Thread) -> str:
    """Why the reply box is not offered, or "" when it is."""
    if access.is_facilitator:
        return ""
    if access.space.paused:
        return _("The space is paused, so nobody can post right now.")
    mute = services.active_mute(access.space, actor)
    if mute is not None:
        return _("A facilitator has paused your posting in this space for now.")
    if thread.locked:
        return _("This conversation is locked: a facilitator has closed it to new replies.")
    return ""


@space_page
@require_safe
def thread_poll(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Posts newer than ``after`` (htmx polling); without htmx, the thread page."""
    if not request.headers.get("HX-Request"):
        return redirect("web:space_thread", thread_id=thread_id)
    actor = actor_of(request)
    access, thread = get_thread_for(actor, thread_id)
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    rows, _more = selectors.thread_posts(access, actor, thread)
    new_rows = [r for r in rows if r.post.pk > after]
    last_id = max([after, *(r.post.pk for r in new_rows)])
    if new_rows:
        services.thread_mark_read(actor=actor, thread=thread, up_to_post_id=last_id)
    return render(
        request,
        "web/space/_poll.html",
        _context(access, thread=thread, rows=new_rows, last_id=last_id),
    )


# --- reacting and reporting ------------------------------------------------------------


@space_page
@require_POST
def react(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = actor_of(request)
    access, post = get_post_for(actor, post_id, allow_former=True)
    kind = request.POST.get("kind", "")
    try:
        if request.POST.get("undo"):
            services.reaction_remove(actor=actor, access=access, post=post, kind=kind)
        else:
            services.reaction_add(actor=actor, access=access, post=post, kind=kind)
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("web:space_thread", args=[post.thread_id]) + f"#post-{post.pk}")


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = actor_of(request)
    access, post = get_post_for(actor, post_id, allow_former=request.method == "POST")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                actor=actor,
                access=access,
                post=post,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request, _("Thank you. A facilitator will look at it; nobody else is told.")
            )
            return redirect("web:space_thread", thread_id=post.thread_id)
    return render(
        request,
        "web/space/report.html",
        _context(access, post=post, form=form),
        status=400 if form.errors else 200,
    )


# --- moderation ------------------------------------------------------------------------


def _facilitator_access(request: HttpRequest, group_id: int) -> SpaceAccess:
    actor = actor_of(request)
    access = get_space_for(actor, group_id)
    if not access.is_facilitator:
        deny(actor, Space, group_id)
    return access


def _mute_form(
    access: SpaceAccess, data: Any = None, *, members: list[tuple[Any, str]] | None = None
) -> MuteForm:
    overview_members = members if members is not None else selectors.moderation_members(access)
    form = MuteForm(data)
    form.fields["user"].choices = [  # type: ignore[attr-defined]
        (m.pk, f"{name} ({m.full_name})" if name else m.full_name) for m, name in overview_members
    ]
    return form


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def moderation(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = _facilitator_access(request, group_id)
    space = access.space
    settings_form = SettingsForm(
        request.POST or None,
        initial={
            "moderation": space.moderation,
            "direct_messages_allowed": space.direct_messages_allowed,
            "office_hours": space.office_hours,
            "rules": space.rules,
        },
    )
    if request.method == "POST" and settings_form.is_valid():
        try:
            services.space_settings_update(actor=actor, access=access, **settings_form.cleaned_data)
        except KindredError as exc:
            apply_error(settings_form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("web:space_moderation", group_id=access.group.pk)
    overview = selectors.moderation_overview(access, actor)
    return render(
        request,
        "web/space/moderation.html",
        _context(
            access,
            overview=overview,
            message_reports=overview.message_reports,
            risky_messages=overview.risky_messages,
            settings_form=settings_form,
            pause_form=PauseForm(),
            mute_form=_mute_form(access, members=overview.members),
            resolve_form=ResolveForm(),
        ),
        status=400 if settings_form.errors else 200,
    )


@space_page
@require_POST
def pause(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = _facilitator_access(request, group_id)
    try:
        if request.POST.get("resume"):
            services.space_resume(actor=actor, access=access)
            messages.success(request, _("The space is open again."))
        else:
            services.space_pause(actor=actor, access=access, reason=request.POST.get("reason", ""))
            messages.success(request, _("The space is paused."))
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect("web:space_moderation", group_id=access.group.pk)


@space_page
@require_POST
def mute(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = _facilitator_access(request, group_id)
    form = _mute_form(access, request.POST)
    if form.is_valid():
        from kindred.accounts.models import User

        try:
            services.mute_create(
                actor=actor,
                access=access,
                user=User.objects.get(pk=form.cleaned_data["user"]),
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
            )
        except KindredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The member can read but not post until the mute ends."))
    else:
        messages.error(request, _("Choose a member, a number of days and a reason."))
    return redirect("web:space_moderation", group_id=access.group.pk)


@space_page
@require_POST
def mute_lift(request: HttpRequest, mute_id: int) -> HttpResponse:
    actor = actor_of(request)
    row = Mute.objects.filter(pk=mute_id).values_list("space__group_id", flat=True).first()
    access = _facilitator_access(request, row or 0)
    mute_row = Mute.objects.filter(pk=mute_id, space=access.space).first()
    if mute_row is None:
        raise NotFound("Not found.")
    try:
        services.mute_lift(actor=actor, access=access, mute=mute_row)
        messages.success(request, _("Mute lifted."))
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect("web:space_moderation", group_id=access.group.pk)


@space_page
@require_POST
def thread_moderate(request: HttpRequest, thread_id: int) -> HttpResponse:
    actor = actor_of(request)
    access, thread = get_thread_for(actor, thread_id)
    flags: dict[str, bool] = {}
    for name in ("pinned", "locked"):
        if name in request.POST:
            flags[name] = request.POST[name] == "1"
    services.thread_set_flags(actor=actor, access=access, thread=thread, **flags)
    return redirect("web:space_thread", thread_id=thread.pk)


@space_page
@require_http_methods(["GET", "HEAD", "POST"])
def post_moderate(request: HttpRequest, post_id: int) -> HttpResponse:
    """Hide (with a reason), restore or approve a post."""
    actor = actor_of(request)
    access, post = get_post_for(actor, post_id)
    if not access.is_facilitator:
        deny(actor, Post, post_id)
    form = ReasonForm(request.POST or None)
    action = request.POST.get("action", "hide")
    if request.method == "POST":
        done = _apply_moderation(request, access, post, action, form)
        if done is not None:
            return done
    return render(
        request,
        "web/space/hide.html",
        _context(access, post=post, form=form),
        status=400 if form.errors else 200,
    )


def _apply_moderation(
    request: HttpRequest, access: SpaceAccess, post: Post, action: str, form: ReasonForm
) -> HttpResponse | None:
    """Do ``action``; a redirect when done, None to show the hide form again."""
    actor = actor_of(request)
    try:
        if action == "approve":
            services.post_approve(actor=actor, access=access, post=post)
            messages.success(request, _("Approved: the group can see the post now."))
        elif action == "restore":
            services.post_restore(actor=actor, access=access, post=post)
            messages.success(request, _("Restored."))
        elif form.is_valid():
            services.post_hide(
                actor=actor, access=access, post=post, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Hidden. The text is kept; you can restore it."))
        else:
            return None
    except KindredError as exc:
        if action == "hide":
            apply_error(form, exc)
            return None
        messages.error(request, exc.message)
        return redirect("web:space_moderation", group_id=access.group.pk)
    if request.POST.get("back", "") == "thread":
        return redirect(reverse("web:space_thread", args=[post.thread_id]))
    return redirect("web:space_moderation", group_id=access.group.pk)


@space_page
@require_POST
def report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = actor_of(request)
    row = (
        Report.objects.filter(pk=report_id).values_list("post__space__group_id", flat=True).first()
    )
    access = _facilitator_access(request, row or 0)
    report_row = (
        Report.objects.filter(pk=report_id, post__space=access.space).select_related("post").first()
    )
    if report_row is None:
        raise NotFound("Not found.")
    try:
        services.report_resolve(
            actor=actor,
            access=access,
            report=report_row,
            resolution=request.POST.get("resolution", ""),
        )
        messages.success(request, _("Report closed."))
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect("web:space_moderation", group_id=access.group.pk)
