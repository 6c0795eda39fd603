"""Session time-outs and the staff two-factor requirement."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kindred.practice.settings import practice_settings

LAST_SEEN_KEY = "kindred_last_seen"
SIGNED_IN_KEY = "kindred_signed_in_at"
MFA_OK_KEY = "kindred_mfa_ok"
ABSOLUTE_SECONDS = 12 * 60 * 60
# Writing the session on every request costs a query; a 30 s granularity is enough.
TOUCH_EVERY_SECONDS = 30


class SessionTimeoutMiddleware:
    """Ends a session after the practice's idle time (staff and members differ) and,
    whatever happens, 12 hours after sign-in."""

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
            if now - last_seen > idle_minutes * 60 or now - signed_in > ABSOLUTE_SECONDS:
                logout(request)
                return self._signed_out(request, idle_minutes)
            if now - last_seen >= TOUCH_EVERY_SECONDS or LAST_SEEN_KEY not in session:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    def _signed_out(self, request: HttpRequest, minutes: int) -> HttpResponse:
        text = _("You were signed out after %(minutes)d minutes without activity.") % {
            "minutes": minutes
        }
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": text}, status=401)
        messages.info(request, text)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = "/accounts/login/"
            return response
        return redirect(f"/accounts/login/?next={request.path}")


class RequireStaffMFAMiddleware:
    """Staff see clinical data, so they must enrol TOTP before anything else."""

    allowed_prefixes = ("/accounts/", "/static/", "/healthz", "/api/")

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
                messages.info(
                    request,
                    _("Staff accounts need two-step verification. Set it up to continue."),
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)
