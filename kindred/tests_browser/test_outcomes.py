"""Safety and outcome journeys: a member answers a PHQ-9 with item 9 = 1 and sees
crisis resources; the facilitator sees the alert first on their home page and
acknowledges it. The group dashboard, a member's chart and the member's own progress
draw their charts under the CSP and pass axe-core, at desktop and phone widths."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.measures.answering import administration_send
from kindred.measures.models import AlertStatus, SafetyAlert
from kindred.measures.testing import install_builtin_instruments
from kindred.measures.tests.outcome_support import completed, set_rc
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def status_is(alert: SafetyAlert, status: str) -> None:
    alert.refresh_from_db()
    if alert.status != status:
        pytest.fail(f"the alert is {alert.status}, expected {status}")


def test_item9_alert_from_answer_to_acknowledgement(
    context: BrowserContext, phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    phq9 = install_builtin_instruments().phq9
    administration = administration_send(
        actor=cast.facilitator, group=cast.group_a, client=cast.client, instrument=phq9
    )

    # The member answers on a phone: nothing most days, item 9 "Several days".
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    member = phone_context.new_page()
    open_page(member, f"/my/questionnaires/{administration.pk}/")
    for n in range(1, 10):
        value = "1" if n == 9 else "0"
        member.locator(f"#q-item{n} input[value='{value}']").check()
    member.get_by_role("button", name="Review my answers").click()
    heading(member, "Check your answers")
    member.get_by_role("button", name="Send my answers").click()
    expect(member.get_by_role("link", name="Call 988")).to_be_visible()
    assert_accessible(member)

    alert = SafetyAlert.objects.get(administration=administration)
    status_is(alert, AlertStatus.OPEN)

    # The facilitator sees it first thing on their home page.
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    open_page(page, "/home/facilitator/")
    panel = page.get_by_role("region", name="1 safety alert needs action")
    expect(panel).to_be_visible()
    expect(page.get_by_role("link", name="Alerts (1 open)")).to_be_visible()
    assert_accessible(page)
    panel.get_by_role("link", name=cast.client.display_name).click()
    heading(page, f"Safety alert for {cast.client.display_name}")
    expect(page.get_by_text("Open — this alert needs action.")).to_be_visible()
    assert_accessible(page)

    # "Other" needs a note: the error appears beside the field and nothing is saved.
    page.get_by_label("Other (described)").check()
    page.get_by_role("button", name="Acknowledge the alert").click()
    expect(page.get_by_text("Say what you did when you choose “Other”.")).to_be_visible()
    assert_accessible(page)
    status_is(alert, AlertStatus.OPEN)

    page.get_by_label("Contacted the member").check()
    page.get_by_role("button", name="Acknowledge the alert").click()
    expect(page.get_by_text("Acknowledged.", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge the alert")).to_have_count(0)
    assert_accessible(page)
    status_is(alert, AlertStatus.ACKNOWLEDGED)
    if alert.acknowledged_by != cast.facilitator:
        pytest.fail(f"acknowledged by {alert.acknowledged_by}, not the facilitator")

    open_page(page, "/home/facilitator/")
    expect(page.get_by_text("safety alert needs action")).to_have_count(0)


@pytest.fixture
def history(cast: Cast) -> None:
    from django.utils import timezone

    set_rc("phq9", 5.0, 0.89)
    start = timezone.now() - timedelta(days=60)
    for i, (phq, gad) in enumerate([(17, 12), (14, 10), (11, 8), (8, 6)]):
        when = start + timedelta(days=14 * i)
        completed(cast.client, "phq9", total=phq, group=cast.group_a, when=when)
        completed(cast.client, "gad7", total=gad, group=cast.group_a, when=when)
    completed(cast.client_b, "phq9", total=9, group=cast.group_a, when=start)
    completed(cast.client_b, "phq9", total=16, group=cast.group_a, when=start + timedelta(days=40))


@pytest.mark.parametrize("viewport", ["context", "phone_context"])
def test_dashboard_and_member_chart_draw_and_are_accessible(
    request: pytest.FixtureRequest,
    live_server: LiveServer,
    cast: Cast,
    history: None,
    viewport: str,
) -> None:
    context: BrowserContext = request.getfixturevalue(viewport)
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()

    open_page(page, f"/groups/{cast.group_a.pk}/dashboard/")
    heading(page, f"How {cast.group_a.name} is doing")
    expect(page.locator("canvas[data-chart='severity-phq9'][data-drawn='true']")).to_have_count(1)
    expect(page.get_by_text("Reliable deterioration since the first measurement.")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    open_page(page, f"/clients/{cast.client.pk}/outcomes/")
    expect(page.locator("canvas[data-chart='chart-phq9'][data-drawn='true']")).to_have_count(1)
    expect(page.get_by_text("Reliably recovered").first).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def test_member_progress_on_a_phone(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast, history: None
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page = phone_context.new_page()
    open_page(page, "/home/member/")
    page.get_by_role("link", name="See your progress").click()
    heading(page, "Your progress")
    expect(
        page.get_by_text("Your answers suggest things have been easier lately.").first
    ).to_be_visible()
    expect(page.locator("canvas[data-chart='progress-phq9'][data-drawn='true']")).to_have_count(1)
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
