"""Session time-outs, the staff two-factor requirement, and account pages the practice
manages instead of the person."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.practice.settings import practice_settings

LAST_SEEN_KEY = "kindred_last_seen"
SIGNED_IN_KEY = "kindred_signed_in_at"
MFA_OK_KEY = "kindred_mfa_ok"
#: Sessions end this long after sign-in whatever happens (settings.KINDRED_SESSION_ABSOLUTE_HOURS;
#: the idle limits are the practice's settings, staff_idle_minutes and member_idle_minutes).
DEFAULT_ABSOLUTE_HOURS = 12
# Writing the session on every request costs a query; a 30 s granularity is enough.
TOUCH_EVERY_SECONDS = 30
# Set on the request when the middleware ends a session, so the sign-out audit event
# can say why.
SIGNOUT_REASON_ATTR = "kindred_signout_reason"


def absolute_hours() -> int:
    from django.conf import settings

    return int(getattr(settings, "KINDRED_SESSION_ABSOLUTE_HOURS", DEFAULT_ABSOLUTE_HOURS))


class SessionTimeoutMiddleware:
    """Ends a session after the practice's idle time (staff and members differ) and,
    whatever happens, 12 hours after sign-in. Enforced here, on the server: the browser's
    cookie lifetime is only a convenience."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and hasattr(request, "session")
            and "_auth_user_id" in request.session
        ):
            now = time.time()
            session = request.session
            signed_in = session.setdefault(SIGNED_IN_KEY, now)
            last_seen = session.get(LAST_SEEN_KEY, now)
            prefs = practice_settings()
            idle_minutes = (
                prefs.staff_idle_minutes
                if getattr(user, "is_staff_member", False)
                else prefs.member_idle_minutes
            )
            if now - signed_in > absolute_hours() * 60 * 60:
                return self._sign_out(request, "absolute_timeout", idle_minutes)
            if now - last_seen > idle_minutes * 60:
                return self._sign_out(request, "idle_timeout", idle_minutes)
            if now - last_seen >= TOUCH_EVERY_SECONDS or LAST_SEEN_KEY not in session:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, reason: str, minutes: int) -> HttpResponse:
        setattr(request, SIGNOUT_REASON_ATTR, reason)
        logout(request)
        if reason == "absolute_timeout":
            text = _(
                "You were signed out because you had been signed in for %(hours)d hours. "
                "Please sign in again."
            ) % {"hours": absolute_hours()}
        else:
            text = ngettext(
                "You were signed out after %(minutes)d minute without activity.",
                "You were signed out after %(minutes)d minutes without activity.",
                minutes,
            ) % {"minutes": minutes}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": text}, status=401)
        messages.info(request, text)
        login_url = reverse("account_login")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        if request.method == "GET":
            login_url = f"{login_url}?{urlencode({'next': request.get_full_path()})}"
        return redirect(login_url)


class RequireStaffMFAMiddleware:
    """Staff see clinical data, so they must enrol TOTP before anything else: every page
    but the account flows sends them to the enrolment page, and the API (with the
    browser's session) refuses them until they have."""

    allowed_prefixes = ("/accounts/", "/static/", "/healthz", "/help/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "is_staff_member", False)
            and hasattr(request, "session")
            and not request.session.get(MFA_OK_KEY)
            and not request.path.startswith(self.allowed_prefixes)
        ):
            from allauth.mfa.models import Authenticator

            if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                request.session[MFA_OK_KEY] = True
            else:
                text = _("Staff accounts need two-step verification. Set it up to continue.")
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": text}, status=403)
                messages.info(request, text)
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class ManagedAccountPagesMiddleware:
    """The practice manages each person's email address (it is how they sign in, and
    staff records and invitations depend on it), so allauth's page for adding or changing
    email addresses is closed; the account page says whom to ask."""

    closed_paths = ("/accounts/email/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in self.closed_paths:
            if request.user.is_authenticated:
                messages.info(
                    request,
                    _(
                        "Your email address is managed by your practice. Ask your practice admin "
                        "to change it."
                    ),
                )
                return redirect("web:account")
            return redirect("account_login")
        return self.get_response(request)
