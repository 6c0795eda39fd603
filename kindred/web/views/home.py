"""Home pages: each role lands on its own, with the next thing to do first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kindred.practice.roles import Role
from kindred.web import selectors as home_selectors
from kindred.web.home_panels import MEMBER, panels_for

# A person with several roles lands on the first of these they hold.
ROLE_ORDER = [Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR, Role.SUPERVISOR, Role.BILLING]


def root(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    return redirect("account_login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "is_member", False):
        return redirect("web:member_home")
    for role in ROLE_ORDER:
        if role in user.roles:  # type: ignore[union-attr]
            return redirect("web:role_home", role=role.value)
    return render(request, "web/home/no_role.html", {"section": "home"})


@login_required
def role_home(request: HttpRequest, role: str) -> HttpResponse:
    user = request.user
    try:
        wanted = Role(role)
    except ValueError:
        wanted = None
    if wanted is None or wanted not in getattr(user, "roles", frozenset()):
        return redirect("web:home")
    context = home_selectors.role_home_context(actor=user, role=wanted)  # type: ignore[arg-type]
    context.update(
        {
            "panels": panels_for(wanted, user),  # type: ignore[arg-type]
            "section": "home",
            "role": wanted,
            "other_roles": [
                (r, reverse("web:role_home", args=[r.value]))
                for r in ROLE_ORDER
                if r in user.roles and r != wanted  # type: ignore[union-attr]
            ],
        }
    )
    return render(request, f"web/home/{wanted.value}.html", context)


@login_required
def member_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not getattr(user, "is_member", False):
        return redirect("web:home")
    context = home_selectors.member_home_context(actor=user)  # type: ignore[arg-type]
    context["section"] = "home"
    context["panels"] = panels_for(MEMBER, user)  # type: ignore[arg-type]
    return render(request, "web/home/member.html", context)


def help_now(request: HttpRequest) -> HttpResponse:
    """Crisis resources; public, so it works even when signed out."""
    return render(request, "web/help.html", {})
