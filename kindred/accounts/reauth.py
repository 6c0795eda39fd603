"""Re-authentication for sensitive actions (SECURITY.md, "Authentication"; ASVS V6/V7).

A sensitive page needs a password or two-factor code confirmed in this session within
``ACCOUNT_REAUTHENTICATION_TIMEOUT`` (10 minutes): signing in counts, and so does
allauth's re-authentication page (/accounts/reauthenticate/, which offers the password
and, for people with an authenticator app, a code). Without one, the person is sent
there and then back to what they were doing; a form they had posted is replayed by
allauth after the confirmation.

Sensitive today: creating API tokens, changes to staff accounts (invite, edit, roles,
deactivate, reactivate, sign-in link), exporting a member's record, the psychotherapy-notes
export, the licensure and intake report downloads, staff downloads of signed agreements and
billing PDFs, closing an account, break-glass access, destroying a closed member's record
and lifting a legal hold on it. (The API's own checks answer 403
JSON instead of redirecting to a re-authentication page.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from kindred.accounts.adapter import signed_in_recently

View = Callable[..., HttpResponse]


def sensitive(view: View) -> View:
    """Sign-in, then a recent password or code confirmation, then the view."""
    return cast("View", login_required(reauthentication_required(view)))


def recently_confirmed(request: HttpRequest | Any) -> bool:
    """For services that want the page's word that the confirmation happened."""
    return signed_in_recently(request)
