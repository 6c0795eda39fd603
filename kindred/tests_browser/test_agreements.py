"""Group agreements in the browser: the admitted member signs the agreement, reads the
preparation and sees their first session (on a 360 px phone); the practice admin
publishes Kindred's example and a coordinator sees who has signed. Each page is checked
with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.accounts.models import User, UserKind
from kindred.core.testing import PASSWORD, Cast
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.groups.tests.factories import person
from kindred.intake import preparation
from kindred.intake.models import AgreementSignature, AgreementVersion, PreparationRead
from kindred.intake.tests.agreement_support import published, use
from kindred.intake.tests.screening_support import admit
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checked(page: Page) -> None:
    assert_no_horizontal_scroll(page)
    assert_accessible(page)


def _admitted_member(cast: Cast) -> tuple[User, Enrollment]:
    """Dana, screened and admitted to Steady Ground, whose agreement she has not signed."""
    version = published(
        cast.admin,
        body="# Our group agreement\n\nWhat is said in the group stays in the group.\n\n"
        "- Come on time.\n- Tell the group when you cannot come.",
    )
    use(cast.coordinator, cast.group_a, version)
    for title, body in (
        ("What to expect", "We start with a short check-in."),
        ("How to join", "The **Join** button opens ten minutes early."),
    ):
        preparation.preparation_item_create(
            actor=cast.facilitator, group=cast.group_a, title=title, body=body
        )
    client = person("Dana", "Newcomer")
    client.state_of_residence = "IL"
    user = User.objects.create_user(
        "dana.newcomer@example.test", PASSWORD, full_name="Dana Newcomer", kind=UserKind.MEMBER
    )
    client.user = user
    client.save(update_fields=["user", "state_of_residence"])
    admit(client, cast.group_a)
    enrollment = Enrollment.objects.get(client=client, group=cast.group_a)
    if enrollment.status != EnrollmentStatus.INVITED:
        pytest.fail(f"expected an offered place before signing, got {enrollment.status}")
    return user, enrollment


def _sign_with_a_mistake_first(page: Page, enrollment: Enrollment) -> None:
    heading(page, "Your agreement with Steady Ground")
    expect(page.get_by_role("article", name="The agreement")).to_contain_text(
        "What is said in the group stays in the group."
    )
    _checked(page)
    page.get_by_label("Type your full name").fill("Dana")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator("#id_typed_name_error")).to_contain_text("as we have it on record")
    expect(page.locator("#id_agreed_error")).to_contain_text("Tick the box")
    _checked(page)
    if AgreementSignature.objects.exists():
        pytest.fail("a signature was saved despite the errors")

    page.get_by_label("Type your full name").fill("dana newcomer")
    page.get_by_label("I have read this agreement and I agree to keep it.").check()
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you for signing")
    expect(page.get_by_role("link", name="Download your signed copy (PDF)")).to_be_visible()
    _checked(page)
    signature = AgreementSignature.objects.get()
    if signature.typed_name != "dana newcomer" or not signature.ip:
        pytest.fail(f"saved {signature.typed_name!r} from {signature.ip!r}")
    enrollment.refresh_from_db()
    if enrollment.status != EnrollmentStatus.ACTIVE:
        pytest.fail("signing was the last step, so the place should now be active")


def _read_the_preparation(page: Page, enrollment: Enrollment) -> None:
    heading(page, "Getting ready for Steady Ground")
    expect(page.get_by_role("status")).to_contain_text("You have read 0 of 2 parts.")
    _checked(page)
    page.get_by_role("button", name=re.compile("I've read this.*What to expect")).click()
    expect(page.get_by_role("status").last).to_contain_text("You have read 1 of 2 parts.")
    page.get_by_role("button", name=re.compile("I've read this.*How to join")).click()
    expect(page.get_by_role("status").last).to_contain_text("You have read 2 of 2 parts.")
    _checked(page)
    if PreparationRead.objects.filter(client=enrollment.client).count() != 2:
        pytest.fail("the reading marks were not saved")


def test_the_admitted_member_signs_reads_and_sees_their_first_session(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    user, enrollment = _admitted_member(cast)
    sign_in_with_cookie(phone_context, live_server.url, user)
    page = phone_context.new_page()

    open_page(page, "/home/")
    heading(page, "Welcome, Dana")
    checklist = page.get_by_role("region", name="Getting ready for your group")
    expect(checklist).to_contain_text("A short conversation with your facilitator — Done")
    expect(checklist).to_contain_text("Sign the group agreement — To do")
    expect(checklist).to_contain_text("0 of 2 read.")
    _checked(page)

    checklist.get_by_role("link", name=re.compile("Read and sign")).click()
    _sign_with_a_mistake_first(page, enrollment)
    page.get_by_role("link", name="Next: read about your group").click()
    _read_the_preparation(page, enrollment)

    open_page(page, "/home/")
    checklist = page.get_by_role("region", name="Getting ready for your group")
    expect(checklist).to_contain_text("Sign the group agreement — Done")
    expect(checklist).to_contain_text("Read about your group — Done")
    expect(checklist).to_contain_text("Your first session — Coming up")
    expect(page.get_by_role("region", name="Your next sessions")).to_contain_text("Steady Ground")
    _checked(page)
    checklist.get_by_role("link", name=re.compile("See your sessions")).click()
    heading(page, "Your sessions")
    expect(page.get_by_role("region", name="Coming up")).to_contain_text("Steady Ground")
    _checked(page)


def test_the_admin_publishes_the_example_and_a_coordinator_sees_who_signed(
    context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(context, live_server.url, cast.admin)
    page = context.new_page()
    open_page(page, "/practice/")
    page.get_by_role("link", name="Group agreements").click()
    heading(page, "Group agreements")
    _checked(page)
    page.get_by_role("button", name="Start from Kindred's example").first.click()
    heading(page, "Write Group agreement")
    expect(page.get_by_role("region", name="How members will see it")).to_contain_text(
        "What is said in the group stays in the group"
    )
    _checked(page)
    page.get_by_role("button", name="Save and review for publishing").click()
    heading(page, "Publish version 1 of Group agreement")
    _checked(page)
    page.get_by_role("button", name="Publish version 1").click()
    heading(page, "Group agreement")
    expect(page.get_by_role("status")).to_contain_text("Version 1 is published")
    _checked(page)
    version = AgreementVersion.objects.get()
    use(cast.coordinator, cast.group_a, version)

    coordinator = context.browser.new_context(base_url=live_server.url)  # type: ignore[union-attr]
    try:
        sign_in_with_cookie(coordinator, live_server.url, cast.coordinator)
        staff = coordinator.new_page()
        open_page(staff, f"/groups/{cast.group_a.pk}/")
        staff.get_by_role("link", name="Group agreement and signatures").click()
        heading(staff, "Agreement for Steady Ground")
        table = staff.get_by_role("table", name="Members and their signatures")
        expect(table).to_contain_text("Needs to sign the agreement")
        _checked(staff)
    finally:
        coordinator.close()
