"""Referrals for coordinators: the inbox of referrals needing review, a referral's page
(with "same person: attach" / "different person: create" for a possible duplicate),
and the staff form for a clinician's or partner's referral.

Each view: authorize (intake/access.py, intake/selectors.py) → validate the shape
(forms.py) → call one service (intake/referrals.py) → render.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.clients.access import get_client_for
from kindred.clients.selectors import concern_choices
from kindred.core.errors import KindredError
from kindred.intake import referrals as referral_services
from kindred.intake import selectors
from kindred.intake.access import get_referral_for
from kindred.intake.models import ReferralStatus
from kindred.intake.referrals import Outcome
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.web.forms import apply_error
from kindred.web.intake.common import actor_of, waitlist_page
from kindred.web.intake.forms import AttachForm, StaffReferralForm
from kindred.web.paging import paginate

SHOWS = {"review": ReferralStatus.NEEDS_REVIEW, "all": selectors.STATUS_ALL}


@waitlist_page
@require_safe
def referral_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    show = request.GET.get("show", "review")
    if show not in SHOWS:
        show = "review"
    context = paginate(request, selectors.referral_list(actor=actor, status=SHOWS[show]))
    context.update(
        {
            "section": "waitlist",
            "show": show,
            "can_manage": role_checks.has(actor, Capability.MANAGE_CLIENTS),
        }
    )
    return render(request, "web/intake/referral_list.html", context)


@waitlist_page
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    role_checks.require(actor, Capability.MANAGE_CLIENTS)
    form = StaffReferralForm(
        request.POST or None,
        concerns=concern_choices(actor=actor),
        groups=selectors.referral_groups(actor),
    )
    if request.method == "POST" and form.is_valid():
        try:
            submission = referral_services.referral_submit(actor=actor, **form.service_kwargs())
        except KindredError as exc:
            apply_error(form, exc)
        else:
            referral = submission.referral
            assert referral is not None  # noqa: S101 - staff submissions are never discarded
            if submission.outcome == Outcome.REPEATED:
                messages.info(
                    request,
                    _("This referral was already received; nothing new was saved."),
                )
            elif submission.needs_review:
                messages.warning(
                    request,
                    _(
                        "Referral received. It looks like someone who may already have a "
                        "record: check below whether it is the same person."
                    ),
                )
            else:
                messages.success(request, _("Referral received; they are on the waitlist."))
            if submission.out_of_state and submission.outcome == Outcome.CREATED:
                messages.info(request, referral_services.out_of_state_message(referral.state))
            if submission.entry is not None:
                return redirect("web:waitlist_entry", entry_id=submission.entry.pk)
            return redirect("web:referral_detail", referral_id=referral.pk)
    return render(request, "web/intake/referral_form.html", {"section": "waitlist", "form": form})


@waitlist_page
@require_safe
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_of(request)
    context = selectors.referral_detail(actor=actor, referral_id=referral_id)
    context.update(
        {
            "section": "waitlist",
            "can_manage": role_checks.has(actor, Capability.MANAGE_CLIENTS),
            "out_of_state_message": referral_services.out_of_state_message(
                context["referral"].state
            ),
        }
    )
    return render(request, "web/intake/referral_detail.html", context)


def _resolved(request: HttpRequest, entry_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("web:waitlist_entry", entry_id=entry_id)


@waitlist_page
@require_POST
def referral_attach(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_of(request)
    referral = get_referral_for(actor, referral_id, write=True)
    form = AttachForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the records below."))
        return redirect("web:referral_detail", referral_id=referral.pk)
    client = get_client_for(actor, form.cleaned_data["client"], write=True)
    try:
        entry = referral_services.referral_attach(actor=actor, referral=referral, client=client)
    except KindredError as exc:
        messages.error(request, exc.message)
        return redirect("web:referral_detail", referral_id=referral.pk)
    return _resolved(
        request,
        entry.pk,
        _("The referral is on %(name)s's record, and they are on the waitlist.")
        % {"name": client.display_name},
    )


@waitlist_page
@require_POST
def referral_new_record(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_of(request)
    referral = get_referral_for(actor, referral_id, write=True)
    try:
        entry = referral_services.referral_create_record(actor=actor, referral=referral)
    except KindredError as exc:
        messages.error(request, exc.message)
        return redirect("web:referral_detail", referral_id=referral.pk)
    return _resolved(
        request,
        entry.pk,
        _("A new record was created for %(name)s, and they are on the waitlist.")
        % {"name": entry.client.display_name},
    )
