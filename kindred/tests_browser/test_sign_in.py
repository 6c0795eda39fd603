"""Signing in, for every role, through the real pages in a real browser."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from kindred.core.testing import PASSWORD, Cast
from kindred.tests_browser.support import (
    assert_accessible,
    heading,
    submit_code,
    submit_password,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each staff role's home page and its main heading.
STAFF_HOMES = [
    ("admin", "/home/admin/", "Practice admin"),
    ("coordinator", "/home/coordinator/", "Intake"),
    ("facilitator", "/home/facilitator/", "Today"),
    ("supervisor", "/home/supervisor/", "Supervision"),
    ("billing", "/home/billing/", "Billing"),
]


def test_staff_first_sign_in_sets_up_two_factor(page: Page, cast: Cast) -> None:
    """Password, then the set-up page (QR code and key), a code from the "app", the
    recovery codes, and on to the home page."""
    person = cast.coordinator
    Authenticator.objects.filter(user=person).delete()  # as if never set up

    submit_password(page, person.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    assert_accessible(page)
    secret = page.locator("#totp-secret, #authenticator_secret").first
    key = secret.text_content() or secret.input_value()
    key = key.strip().replace(" ", "")
    expect(page.get_by_role("img", name=re.compile("QR code", re.IGNORECASE))).to_be_visible()

    submit_code(page, totp_code(key))
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.get_by_text(re.compile(r"\b[0-9a-z]{8}\b")).first).to_be_visible()
    assert_accessible(page)

    page.goto("/home/")
    expect(page).to_have_url(re.compile(r"/home/coordinator/$"))
    heading(page, "Intake")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


@pytest.mark.parametrize(("who", "path", "title"), STAFF_HOMES)
def test_staff_sign_in_with_two_factor_lands_on_their_home(
    page: Page, cast: Cast, who: str, path: str, title: str
) -> None:
    person = getattr(cast, who)
    submit_password(page, person.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    submit_code(page, totp_code(cast.totp_secrets[person.pk]))
    expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))
    heading(page, title)
    assert_accessible(page)
    # Staff pages do not carry the member crisis banner.
    expect(page.get_by_role("region", name="Crisis help")).to_have_count(0)


def test_a_wrong_code_is_refused_beside_the_field(page: Page, cast: Cast) -> None:
    submit_password(page, cast.admin.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    submit_code(page, "000000" if totp_code(cast.totp_secrets[cast.admin.pk]) != "000000" else "1")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.locator("input[name=code]")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_member_signs_in_and_always_sees_988(page: Page, cast: Cast) -> None:
    submit_password(page, cast.member.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/home/member/$"))
    heading(page, "Welcome, Avery")
    crisis = page.get_by_role("link", name="Need help now? Call or text 988")
    expect(crisis).to_be_visible()
    expect(crisis).to_have_attribute("href", "/help/")
    assert_accessible(page)


def test_sign_in_page_is_accessible_and_offers_988(page: Page, cast: Cast) -> None:
    page.goto("/accounts/login/")
    heading(page, "Sign in")
    expect(page.get_by_role("link", name="Need help now? Call or text 988")).to_be_visible()
    assert_accessible(page)


def test_a_wrong_password_says_so_and_signs_nobody_in(page: Page, cast: Cast) -> None:
    submit_password(page, cast.coordinator.email, "not the right password at all")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(
        page.get_by_role("alert").or_(page.locator(".errorlist, .form-errors"))
    ).not_to_have_count(0)
    page.goto("/home/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
