"""Findings of the authorization matrix that were fixed, pinned so they stay fixed.

The full matrix (KINDRED_SECURITY_FULL=1) sends POST, PUT, PATCH and DELETE to every
denied cell; these are the cells it reported."""

from __future__ import annotations

from typing import Any

import pytest

from kindred.accounts.models import ApiToken
from kindred.core.testing import PASSWORD, signed_in


@pytest.mark.django_db
def test_a_member_creating_an_api_token_is_refused_before_the_body_is_read(cast: Any) -> None:
    """It answered 400 with field errors (the body was validated before the capability
    check); a member holds no tokens, so the answer is a refusal whatever the body."""
    http = signed_in(cast.member)
    http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    for body in ("{}", '{"name": "x", "scopes": ["sessions:read"]}'):
        answer = http.post("/api/v1/tokens/", data=body, content_type="application/json")
        assert answer.status_code == 403
    assert not ApiToken.objects.filter(user=cast.member).exists()


@pytest.mark.django_db
def test_staff_still_get_field_errors_for_a_bad_token_request(cast: Any) -> None:
    http = signed_in(cast.facilitator)
    http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    answer = http.post("/api/v1/tokens/", data="{}", content_type="application/json")
    assert answer.status_code == 400
