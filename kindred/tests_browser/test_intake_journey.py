"""Issue 4 as one story, through the pages only: a person asks for a place on their phone
(/refer/), a coordinator finds them on the waitlist and asks the group's facilitator to
screen them, the facilitator admits them, the coordinator invites them to the member
portal, and the person opens the emailed link on their phone, sets a password, signs
the group agreement, reads the preparation and sees their first session coming up with
the rest of their checklist done. Each page is checked with axe-core; the person's pages
also for sideways scrolling at 360 px."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from django.core import mail
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.clients.models import Client
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.intake import preparation
from kindred.intake.models import (
    AgreementSignature,
    PreparationRead,
    Referral,
    Screening,
    ScreeningDecision,
    WaitlistEntry,
    WaitlistStatus,
)
from kindred.intake.tests.agreement_support import published, use
from kindred.intake.tests.referral_support import THEIR_WORDS, refer
from kindred.tests_browser.conftest import DESKTOP
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "robin.journey@example.test"
NEW_PASSWORD = "a long and private passphrase for robin"  # noqa: S105 - synthetic
LINK = re.compile(r"https?://[^/\s]+(/welcome/[A-Za-z0-9_-]{20,}/)")
CRITERIA = (
    "Motivated to take part",
    "Able to take part in a group",
    "Their goals fit this group",
    "Can commit to attend",
)


@pytest.fixture
def steady_ground(cast: Cast) -> None:
    """Steady Ground asks its members to sign an agreement and read two short parts."""
    version = published(
        cast.admin,
        body="# Our group agreement\n\nWhat is said in the group stays in the group.",
    )
    use(cast.coordinator, cast.group_a, version)
    for title, body in (
        ("What to expect", "We start with a short check-in."),
        ("How to join", "The **Join** button opens ten minutes early."),
    ):
        preparation.preparation_item_create(
            actor=cast.facilitator, group=cast.group_a, title=title, body=body
        )


@pytest.fixture
def staff_context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A second desktop browser, for the facilitator beside the coordinator."""
    ctx = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def _phone_checked(page: Page) -> None:
    assert_no_horizontal_scroll(page)
    assert_accessible(page)


def _fail_unless(condition: bool, message: str) -> None:
    if not condition:
        pytest.fail(message, pytrace=False)


# --- The person asks for a place -------------------------------------------------------------


def _self_refer(phone: Page) -> Client:
    open_page(phone, "/refer/")
    heading(phone, "Ask for a place in a group")
    _phone_checked(phone)
    phone.get_by_label("First name").fill("Robin")
    phone.get_by_label("Last name").fill("Journey")
    phone.get_by_label("Date of birth").fill("1991-03-14")
    phone.get_by_label("Email").fill(EMAIL)
    phone.get_by_label("The state you live in").select_option("IL")
    phone.get_by_label("Group you are asking about").select_option(label="Steady Ground")
    phone.wait_for_timeout(3_200)  # people take longer than the minimum fill time
    phone.get_by_role("button", name="Send").click()
    heading(phone, "Thank you for reaching out")
    _phone_checked(phone)
    client_id = Referral.objects.get().client_id
    if client_id is None:
        pytest.fail("the referral made no client record", pytrace=False)
    entry = WaitlistEntry.objects.get(client_id=client_id)
    _fail_unless(entry.status == WaitlistStatus.WAITING, f"entry is {entry.status}")
    return Client.objects.get(pk=client_id)


# --- Staff: waitlist, screening, admission, invitation ---------------------------------------


def _coordinator_asks_for_a_screening(page: Page, cast: Cast) -> Screening:
    open_page(page, "/waitlist/")
    heading(page, "Waitlist")
    assert_accessible(page)
    page.get_by_role("link", name="Robin Journey").click()
    heading(page, "Robin Journey")
    assert_accessible(page)
    page.get_by_role("link", name="Start a screening").click()
    heading(page, "Screen Robin Journey")
    assert_accessible(page)
    expect(page.get_by_label("Group")).to_have_value(str(cast.group_a.pk))
    page.get_by_label("Who screens").select_option(label="Fern Facilitator")
    page.get_by_role("button", name="Save as a draft").click()
    heading(page, "Screening of Robin Journey")
    expect(page.get_by_role("status")).to_contain_text("saved as a draft")
    expect(
        page.get_by_text("In progress: Fern Facilitator has not recorded a decision")
    ).to_be_visible()
    assert_accessible(page)
    screening = Screening.objects.get()
    _fail_unless(screening.screener_id == cast.facilitator.pk, "the facilitator is not screening")
    return screening


def _facilitator_admits(page: Page, screening: Screening) -> None:
    open_page(page, "/home/")
    page.get_by_role("link", name="Robin Journey for Steady Ground").click()
    heading(page, "Screening of Robin Journey")
    assert_accessible(page)
    for criterion in CRITERIA:
        page.get_by_role("group", name=criterion).get_by_label("Yes").check()
    page.get_by_role("group", name="What do you decide?").get_by_label("Admit").check()
    page.get_by_role("button", name="Record the decision").click()
    heading(page, "Screening of Robin Journey")
    expect(page.get_by_role("status")).to_contain_text(
        "Robin Journey is admitted and has a place in Steady Ground. They join once they "
        "have signed the group agreement."
    )
    assert_accessible(page)
    screening.refresh_from_db()
    _fail_unless(screening.decision == ScreeningDecision.ADMIT, "no admit was recorded")
    place = Enrollment.objects.get(client_id=screening.client_id)
    _fail_unless(place.status == EnrollmentStatus.INVITED, f"the place is {place.status}")


def _invitation_link() -> str:
    """The link in the invitation email (sent after the request's transaction)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in mail.outbox:
            found = LINK.search(str(message.body))
            if EMAIL in message.to and found:
                return found.group(1)
        time.sleep(0.1)
    pytest.fail(f"no invitation email to {EMAIL} ({len(mail.outbox)} sent)", pytrace=False)


def _coordinator_invites(page: Page) -> str:
    open_page(page, "/clients/?search=journey")
    heading(page, "Clients")
    page.get_by_role("link", name="Robin Journey").click()
    heading(page, "Robin Journey")
    assert_accessible(page)
    portal = page.get_by_role("region", name="Member portal")
    portal.get_by_role("button", name="Invite to member portal").click()
    expect(page.get_by_role("region", name="Member portal")).to_contain_text(
        f"An invitation was sent to {EMAIL}"
    )
    assert_accessible(page)
    return _invitation_link()


# --- The person joins --------------------------------------------------------------------------


def _set_password(phone: Page, link: str) -> None:
    open_page(phone, link)
    heading(phone, "Welcome to Kindred")
    _phone_checked(phone)
    phone.get_by_label("Choose a password").fill(NEW_PASSWORD)
    phone.get_by_label("Type it again").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Set up my account").click()
    heading(phone, "Welcome, Robin")
    _phone_checked(phone)


def _sign_and_read(phone: Page, client: Client) -> None:
    checklist = phone.get_by_role("region", name="Getting ready for your group")
    expect(checklist).to_contain_text("A short conversation with your facilitator — Done")
    expect(checklist).to_contain_text("Sign the group agreement — To do")
    checklist.get_by_role("link", name=re.compile("Read and sign")).click()
    heading(phone, "Your agreement with Steady Ground")
    _phone_checked(phone)
    phone.get_by_label("Type your full name").fill("Robin Journey")
    phone.get_by_label("I have read this agreement and I agree to keep it.").check()
    phone.get_by_role("button", name="Sign the agreement").click()
    expect(phone.get_by_role("status")).to_contain_text("Thank you for signing")
    _phone_checked(phone)
    _fail_unless(AgreementSignature.objects.filter(client=client).exists(), "no signature")
    place = Enrollment.objects.get(client=client)
    _fail_unless(place.status == EnrollmentStatus.ACTIVE, f"the place is {place.status}")

    phone.get_by_role("link", name="Next: read about your group").click()
    heading(phone, "Getting ready for Steady Ground")
    _phone_checked(phone)
    phone.get_by_role("button", name=re.compile("I've read this.*What to expect")).click()
    expect(phone.get_by_role("status").last).to_contain_text("You have read 1 of 2 parts.")
    phone.get_by_role("button", name=re.compile("I've read this.*How to join")).click()
    expect(phone.get_by_role("status").last).to_contain_text("You have read 2 of 2 parts.")
    _phone_checked(phone)
    _fail_unless(PreparationRead.objects.filter(client=client).count() == 2, "reads not saved")


def _sees_the_first_session(phone: Page) -> None:
    open_page(phone, "/home/")
    checklist = phone.get_by_role("region", name="Getting ready for your group")
    expect(checklist).to_contain_text("A short conversation with your facilitator — Done")
    expect(checklist).to_contain_text("Sign the group agreement — Done")
    expect(checklist).to_contain_text("Read about your group — Done")
    expect(checklist).to_contain_text("Your first session — Coming up")
    expect(phone.get_by_role("region", name="Your next sessions")).to_contain_text("Steady Ground")
    _phone_checked(phone)
    checklist.get_by_role("link", name=re.compile("See your sessions")).click()
    heading(phone, "Your sessions")
    expect(phone.get_by_role("region", name="Coming up")).to_contain_text("Steady Ground")
    _phone_checked(phone)


@pytest.mark.usefixtures("steady_ground")
def test_from_asking_for_a_place_to_the_first_session(
    phone_context: BrowserContext,
    context: BrowserContext,
    staff_context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
) -> None:
    phone = phone_context.new_page()
    client = _self_refer(phone)

    sign_in_with_cookie(context, live_server.url, cast.coordinator)
    coordinator = context.new_page()
    screening = _coordinator_asks_for_a_screening(coordinator, cast)

    sign_in_with_cookie(staff_context, live_server.url, cast.facilitator)
    _facilitator_admits(staff_context.new_page(), screening)
    entry = WaitlistEntry.objects.get(client=client)
    _fail_unless(entry.status == WaitlistStatus.PLACED, f"the entry is {entry.status}")

    link = _coordinator_invites(coordinator)
    _set_password(phone, link)
    client.refresh_from_db()
    _fail_unless(client.user is not None and client.user.email == EMAIL, "no portal account")
    _sign_and_read(phone, client)
    _sees_the_first_session(phone)


def test_the_coordinators_intake_pages_fit_a_phone(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    submission = refer(group=cast.group_a, in_their_words=THEIR_WORDS)
    referral, entry = submission.referral, submission.entry
    if referral is None or entry is None:
        pytest.fail(f"the referral was not received ({submission.outcome})", pytrace=False)
    sign_in_with_cookie(phone_context, live_server.url, cast.coordinator)
    page = phone_context.new_page()
    for path, title in [
        ("/waitlist/", "Waitlist"),
        ("/waitlist/?status=open&state=IL&modality=virtual&waited=2", "Waitlist"),
        (f"/waitlist/{entry.pk}/", "Robin Example"),
        ("/referrals/", "Referrals"),
        (f"/referrals/{referral.pk}/", "Referral for Robin Example"),
    ]:
        open_page(page, path)
        heading(page, title)
        _phone_checked(page)
