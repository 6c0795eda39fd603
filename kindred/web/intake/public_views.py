"""The public self-referral form (no account needed) and its "what happens next" page.

The directory's "Request to join" leads here with the group chosen
(``/refer/?group=<slug>``). The thanks page is the same whatever happened to the
submission (saved, a repeat, or discarded by the honeypot), so a program learns nothing
from it; it only says, when that applies, that the practice may not run groups where the
person lives — carried in a signed value, never the state itself.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from kindred.clients.selectors import practice_contact
from kindred.core.antispam import RateLimited
from kindred.core.errors import KindredError
from kindred.core.middleware import client_ip
from kindred.intake import selectors
from kindred.intake.referrals import next_steps_message, out_of_state_message, referral_submit
from kindred.web.forms import apply_error
from kindred.web.intake.forms import SelfReferralForm, read_stamp, shown_stamp

THANKS_SALT = "kindred.intake.referral-thanks"
THANKS_MAX_AGE = 24 * 60 * 60


def _form(request: HttpRequest) -> SelfReferralForm:
    groups = selectors.public_group_choices()
    wanted = request.GET.get("group", "")
    initial = {"group": wanted} if wanted in {slug for slug, _name in groups} else {}
    return SelfReferralForm(
        request.POST or None,
        initial=initial,
        concerns=selectors.public_concerns(),
        groups=groups,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def referral_self(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        group = selectors.public_group(data["group"])
        try:
            submission = referral_submit(
                actor=None,
                group=group,
                ip=client_ip(request),
                honeypot=data["website"],
                shown_at=read_stamp(data["shown"]),
                **form.service_kwargs(),
            )
        except RateLimited as exc:
            apply_error(form, exc)
            status = 429
        except KindredError as exc:
            apply_error(form, exc)
        else:
            ticket = signing.dumps(
                {"o": submission.out_of_state, "g": group.name if group else ""},
                salt=THANKS_SALT,
            )
            return redirect(f"{reverse('web:referral_thanks')}?t={ticket}")
    if form.is_bound:
        # A fresh "shown at" for the next try, so a slow first attempt is not held
        # against the second.
        data = request.POST.copy()
        data["shown"] = shown_stamp()
        form.data = data
    return render(
        request,
        "web/intake/refer.html",
        {"section": "refer", "form": form},
        status=status,
    )


@require_safe
def referral_thanks(request: HttpRequest) -> HttpResponse:
    try:
        ticket = signing.loads(request.GET.get("t", ""), salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        ticket = {}
    if not isinstance(ticket, dict):
        ticket = {}
    return render(
        request,
        "web/intake/refer_thanks.html",
        {
            "section": "refer",
            "out_of_state_message": out_of_state_message() if ticket.get("o") else "",
            "group_name": str(ticket.get("g") or ""),
            "next_steps": next_steps_message(),
            "contact": practice_contact(),
        },
    )
