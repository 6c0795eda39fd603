"""Coping strategies: members share "what helped me" cards with their group (phone
first); facilitators approve them and can copy one, anonymised, into the practice
library.

Who may see what is decided by ``kindred.strategies.access`` (404 and a denied event for
everyone else); every change goes through ``kindred.strategies.services``. The mark
buttons are plain forms (they work without JavaScript); with htmx they swap the card's
mark bar in place.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.access import deny
from kindred.core.errors import KindredError
from kindred.strategies import selectors, services
from kindred.strategies.access import (
    CardAccess,
    LibraryAccess,
    LibraryRole,
    get_card_for,
    get_library_for,
    is_admin,
    may_read_library,
)
from kindred.strategies.models import Strategy, StrategyStatus
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of, signed_in_page
from kindred.web.strategies.forms import CardForm, DeclineForm, PromoteForm

SECTION = "strategies"


strategies_page = signed_in_page


def _paging(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def _context(**extra: Any) -> dict[str, Any]:
    return {"section": SECTION, **extra}


def _share_blocked(access: LibraryAccess, actor: Any) -> str:
    """Why the member may not share here now ("" when they may)."""
    if not access.is_member:
        return ""
    try:
        services.check_can_share(actor, access)
    except KindredError as exc:
        return exc.message
    return ""


# --- members and everyone: the index, a group's cards, the library, my cards ---------


@strategies_page
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if getattr(actor, "is_member", False):
        groups = selectors.member_groups(actor)
    else:
        groups = selectors.staff_groups(actor)
    if not groups and not may_read_library(actor):
        raise Http404
    return render(
        request,
        "web/strategies/index.html",
        _context(
            groups=groups,
            is_member=getattr(actor, "is_member", False),
            library=may_read_library(actor),
        ),
    )


@strategies_page
@require_safe
def group_library(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_library_for(actor, group_id)
    filters = selectors.Filters.from_params(request.GET)
    status = request.GET.get("status", StrategyStatus.APPROVED)
    if not access.sees_everything or status not in {*StrategyStatus.values, ""}:
        status = StrategyStatus.APPROVED
    found = selectors.group_cards(
        access, actor, filters, page=request.GET.get("page"), status=status
    )
    return render(
        request,
        "web/strategies/group.html",
        _context(
            access=access,
            group=access.group,
            rows=found.rows,
            page_obj=found.page,
            query_without_page=_paging(request),
            filters=filters,
            concerns=selectors.concern_choices(),
            status=status,
            statuses=StrategyStatus.choices,
            share_blocked=_share_blocked(access, actor),
        ),
    )


@strategies_page
@require_safe
def library(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not may_read_library(actor):
        raise Http404
    filters = selectors.Filters.from_params(request.GET)
    found = selectors.library_page(actor, filters, page=request.GET.get("page"))
    return render(
        request,
        "web/strategies/library.html",
        _context(
            rows=found.rows,
            page_obj=found.page,
            query_without_page=_paging(request),
            filters=filters,
            concerns=selectors.concern_choices(),
            is_member=getattr(actor, "is_member", False),
        ),
    )


@strategies_page
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not getattr(actor, "is_member", False):
        raise Http404
    found = selectors.my_cards(actor, page=request.GET.get("page"))
    return render(
        request,
        "web/strategies/mine.html",
        _context(rows=found.rows, page_obj=found.page, query_without_page=_paging(request)),
    )


@strategies_page
@require_http_methods(["GET", "HEAD", "POST"])
def share(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_library_for(actor, group_id, allow_former=request.method == "POST")
    if not access.is_member and access.role != LibraryRole.FORMER:
        deny(actor, Strategy, group_id)
    form = CardForm(request.POST or None, concerns=selectors.concern_choices())
    if request.method == "POST" and form.is_valid():
        try:
            card = services.strategy_share(
                actor=actor,
                access=access,
                title=form.cleaned_data["title"],
                what_it_is=form.cleaned_data["what_it_is"],
                when_it_helps=form.cleaned_data["when_it_helps"],
                concerns=form.cleaned_data["concerns"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _("Thank you. A facilitator will read your card before the group sees it."),
            )
            url = reverse("web:strategies_card", args=[card.pk])
            if card.risk_flagged:
                return redirect(f"{url}?shared={card.pk}#support")
            return redirect(url)
    if access.role == LibraryRole.FORMER:
        return render(
            request,
            "web/strategies/left.html",
            _context(group=access.group, errors=form.non_field_errors()),
            status=409,
        )
    return render(
        request,
        "web/strategies/share.html",
        _context(
            access=access,
            group=access.group,
            form=form,
            share_blocked=_share_blocked(access, actor),
        ),
        status=400 if form.errors else 200,
    )


# --- one card ----------------------------------------------------------------------------


def _card_context(request: HttpRequest, card_access: CardAccess, **extra: Any) -> dict[str, Any]:
    actor = actor_of(request)
    access = card_access.group_access
    card = card_access.card
    row = selectors.card_row(card, actor, access)
    may_mark = (
        card.status == StrategyStatus.APPROVED
        and getattr(actor, "is_member", False)
        and card.author_id != actor.pk
        and (access is None or (access.is_member and not access.space.paused))
    )
    shared = request.GET.get("shared", "")
    return _context(
        access=access,
        group=access.group if access else None,
        row=row,
        card=card,
        may_mark=may_mark,
        may_decide=access is not None
        and access.is_facilitator
        and card.status == StrategyStatus.PENDING,
        may_promote=access is not None
        and access.is_facilitator
        and card.status == StrategyStatus.APPROVED,
        may_withdraw=card.status in (StrategyStatus.PENDING, StrategyStatus.APPROVED)
        and (card.author_id == actor.pk or (access is None and is_admin(actor))),
        crisis=shared == str(card.pk) and card.author_id == actor.pk and card.risk_flagged,
        promoted_from=card.promoted_from_id if access is None and actor.is_staff_member else None,
        decline_form=DeclineForm(),
        **extra,
    )


@strategies_page
@require_safe
def card_detail(request: HttpRequest, card_id: int) -> HttpResponse:
    card_access = get_card_for(actor_of(request), card_id)
    return render(request, "web/strategies/card.html", _card_context(request, card_access))


def _back_to_card(request: HttpRequest, card_id: int) -> HttpResponse:
    return redirect(reverse("web:strategies_card", args=[card_id]) + "#marks")


@strategies_page
@require_POST
def mark(request: HttpRequest, card_id: int) -> HttpResponse:
    """Add (or with ``undo``, take back) a mark. With htmx, the mark bar alone."""
    actor = actor_of(request)
    card_access = get_card_for(actor, card_id, allow_former=True)
    kind = request.POST.get("kind", "")
    error = ""
    try:
        if request.POST.get("undo"):
            services.mark_remove(actor=actor, card_access=card_access, kind=kind)
        else:
            services.mark_add(actor=actor, card_access=card_access, kind=kind)
    except KindredError as exc:
        error = exc.message
    if card_access.group_access is not None and card_access.group_access.role == "former":
        return render(
            request,
            "web/strategies/left.html",
            _context(group=card_access.group_access.group, errors=[error]),
            status=409,
        )
    if request.headers.get("HX-Request"):
        context = _card_context(request, card_access, mark_error=error)
        return render(request, "web/strategies/_marks.html", context)
    if error:
        messages.error(request, error)
    return _back_to_card(request, card_access.card.pk)


@strategies_page
@require_POST
def withdraw(request: HttpRequest, card_id: int) -> HttpResponse:
    actor = actor_of(request)
    card_access = get_card_for(actor, card_id, allow_former=True)
    try:
        services.strategy_withdraw(actor=actor, card_access=card_access)
    except KindredError as exc:
        messages.error(request, exc.message)
        if card_access.group_access is not None and card_access.group_access.role == "former":
            return redirect("web:strategies")
        return redirect("web:strategies_card", card_id=card_access.card.pk)
    messages.success(request, _("Withdrawn. Nobody else sees the card now."))
    if card_access.in_library:
        return redirect("web:strategies_library")
    return redirect("web:strategies_mine")


# --- facilitators: approval and the practice library -----------------------------------


def _facilitator_access(request: HttpRequest, group_id: int) -> LibraryAccess:
    actor = actor_of(request)
    access = get_library_for(actor, group_id)
    if not access.sees_everything:
        deny(actor, Strategy, group_id)
    return access


@strategies_page
@require_safe
def queue(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = _facilitator_access(request, group_id)
    found = selectors.approval_queue(access, actor, page=request.GET.get("page"))
    return render(
        request,
        "web/strategies/queue.html",
        _context(
            access=access,
            group=access.group,
            rows=found.rows,
            page_obj=found.page,
            query_without_page=_paging(request),
            decline_form=DeclineForm(),
        ),
    )


@strategies_page
@require_http_methods(["GET", "HEAD", "POST"])
def decide(request: HttpRequest, card_id: int) -> HttpResponse:
    """Approve, or decline with a reason (a form of its own when the reason is missing)."""
    actor = actor_of(request)
    card_access = get_card_for(actor, card_id)
    access = card_access.group_access
    if access is None or not access.is_facilitator:
        deny(actor, Strategy, card_id)
    form = DeclineForm(request.POST or None)
    back = request.POST.get("back", "")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "approve":
                services.strategy_approve(actor=actor, card_access=card_access)
                messages.success(request, _("Approved: the group can see the card now."))
            elif form.is_valid():
                services.strategy_decline(
                    actor=actor, card_access=card_access, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Not shared. The member can read your reason."))
            else:
                return _decline_page(request, card_access, form)
        except KindredError as exc:
            if request.POST.get("action") != "approve" and exc.field == "reason":
                apply_error(form, exc)
                return _decline_page(request, card_access, form)
            messages.error(request, exc.message)
        if back == "card":
            return redirect("web:strategies_card", card_id=card_access.card.pk)
        return redirect("web:strategies_queue", group_id=access.group.pk)
    return _decline_page(request, card_access, form)


def _decline_page(request: HttpRequest, card_access: CardAccess, form: DeclineForm) -> HttpResponse:
    return render(
        request,
        "web/strategies/decline.html",
        _card_context(request, card_access, form=form),
        status=400 if form.errors else 200,
    )


@strategies_page
@require_http_methods(["GET", "HEAD", "POST"])
def promote(request: HttpRequest, card_id: int) -> HttpResponse:
    actor = actor_of(request)
    card_access = get_card_for(actor, card_id)
    access = card_access.group_access
    if access is None or not access.is_facilitator:
        deny(actor, Strategy, card_id)
    card = card_access.card
    initial = {
        "title": card.title,
        "what_it_is": card.what_it_is,
        "when_it_helps": card.when_it_helps,
        "concerns": list(card.concerns.values_list("pk", flat=True)),
    }
    form = PromoteForm(request.POST or None, initial=initial, concerns=selectors.concern_choices())
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.strategy_promote(
                actor=actor,
                card_access=card_access,
                title=form.cleaned_data["title"],
                what_it_is=form.cleaned_data["what_it_is"],
                when_it_helps=form.cleaned_data["when_it_helps"],
                concerns=form.cleaned_data["concerns"],
                confirmed_anonymous=form.cleaned_data["confirmed_anonymous"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request, _("Added to the practice library, without the author's name.")
            )
            return redirect("web:strategies_card", card_id=copy.pk)
    return render(
        request,
        "web/strategies/promote.html",
        _card_context(request, card_access, form=form),
        status=400 if form.errors else 200,
    )
