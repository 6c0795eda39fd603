import pytest
from django.test import Client as HttpClient

from kindred.core.testing import signed_in


@pytest.mark.parametrize(
    ("who", "lands_on"),
    [
        ("admin", "/home/admin/"),
        ("coordinator", "/home/coordinator/"),
        ("facilitator", "/home/facilitator/"),
        ("supervisor", "/home/supervisor/"),
        ("billing", "/home/billing/"),
        ("member", "/home/member/"),
    ],
)
def test_each_role_lands_on_its_own_home(cast, who, lands_on):
    http = signed_in(getattr(cast, who))
    response = http.get("/home/", follow=True)
    assert response.redirect_chain[-1][0] == lands_on
    assert response.status_code == 200


def test_member_pages_offer_988(cast):
    response = signed_in(cast.member).get("/home/member/")
    assert b"Need help now? Call or text 988" in response.content


def test_staff_pages_do_not_show_member_banner(cast):
    response = signed_in(cast.coordinator).get("/home/coordinator/")
    assert b"Need help now? Call or text 988" not in response.content


def test_anonymous_is_sent_to_sign_in(db):
    response = HttpClient().get("/home/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_role_one_does_not_hold_redirects_home(cast):
    response = signed_in(cast.facilitator).get("/home/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/home/"


def test_pages_are_never_cached(cast):
    response = signed_in(cast.admin).get("/home/admin/")
    assert response["Cache-Control"] == "no-store"
    assert "X-Request-ID" in response
