"""The gate shared by the sections open to anyone signed in (goals, journal, coping
strategies, milestones, the space) and the member look-up of their member-only pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from kindred.core.errors import NotPermitted
from kindred.core.testing import Cast
from kindred.web.pages import member_client_or_404, signed_in_page


def _request(user: Any) -> HttpRequest:
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return request


@signed_in_page
def _echo(request: HttpRequest, thing_id: int) -> HttpResponse:
    return HttpResponse(f"thing {thing_id} for {request.user.pk}")


@signed_in_page
def _refusing(request: HttpRequest) -> HttpResponse:
    raise NotPermitted("Only the group's facilitators can do that.")


def test_signed_in_page_sends_the_signed_out_to_sign_in_first() -> None:
    response = _echo(_request(AnonymousUser()), thing_id=3)
    assert response.status_code == 302
    assert "next=/somewhere/" in response["Location"]


def test_signed_in_page_runs_the_view_for_anyone_signed_in(cast: Cast) -> None:
    for person in (cast.member, cast.facilitator):
        response = _echo(_request(person), thing_id=3)
        assert response.status_code == 200
        assert response.content.decode() == f"thing 3 for {person.pk}"
    assert _echo.__name__ == "_echo"  # the view keeps its name (wraps)


def test_a_refused_capability_becomes_a_403_with_the_services_words(cast: Cast) -> None:
    with pytest.raises(PermissionDenied) as refused:
        _refusing(_request(cast.member))
    assert str(refused.value) == "Only the group's facilitators can do that."


def test_member_client_or_404_is_the_members_own_record(cast: Cast) -> None:
    assert member_client_or_404(_request(cast.member)) == cast.client
    assert member_client_or_404(_request(cast.member_b)) == cast.client_b


def test_member_client_or_404_is_404_for_staff_and_switched_off_members(cast: Cast) -> None:
    for person in cast.staff:
        with pytest.raises(Http404):
            member_client_or_404(_request(person))
    cast.member.is_active = False
    with pytest.raises(Http404):
        member_client_or_404(_request(cast.member))
