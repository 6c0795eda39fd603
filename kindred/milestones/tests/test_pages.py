"""Milestones pages: the member's own (found when they open it), sharing with crisis
resources at once, the group's shared milestones, the space panel, staff reads audited,
home panels, constant queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse

from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast, signed_in
from kindred.milestones import panels, selectors
from kindred.milestones.models import Milestone, MilestoneKind, MilestoneState
from kindred.milestones.tests.support import improved, sessions, shared_first_session
from kindred.space import services as space_services
from kindred.space.access import get_space_for


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_opening_the_page_finds_new_milestones_and_offers_to_share(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 1)
    improved(cast.client, cast.group_a)
    http = signed_in(cast.member)
    page = http.get(reverse("web:milestones"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Your first session" in html
    assert "Your answers show a real improvement since you joined" in html
    assert Milestone.objects.filter(client=cast.client).count() == 2
    milestone = Milestone.objects.get(client=cast.client, kind=MilestoneKind.FIRST_SESSION)
    form = http.get(reverse("web:milestones_share", args=[milestone.pk]))
    assert "came to their first session" in form.content.decode()
    assert "A group member" in form.content.decode()


def test_share_then_the_group_sees_the_name_label_and_words(cast: Cast) -> None:
    space_services.display_name_set(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk), name="Sky"
    )
    sessions(cast.client, cast.group_a, 1)
    http = signed_in(cast.member)
    http.get(reverse("web:milestones"))
    milestone = Milestone.objects.get(client=cast.client)
    response = http.post(
        reverse("web:milestones_share", args=[milestone.pk]), {"message": "Nervous, but glad"}
    )
    assert response.status_code == 302
    assert "support" not in response["Location"]
    for person in (cast.member_b, cast.facilitator):
        html = signed_in(person).get(reverse("web:milestones_group", args=[cast.group_a.pk]))
        text = html.content.decode()
        assert "Sky</strong> came to their first session" in text
        assert "Nervous, but glad" in text
        assert "Avery" not in text
    for person in (cast.outsider, cast.facilitator_b, cast.admin):
        page = signed_in(person).get(reverse("web:milestones_group", args=[cast.group_a.pk]))
        assert page.status_code == 404


def test_bad_message_keeps_the_text_and_shares_nothing(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 1)
    http = signed_in(cast.member)
    http.get(reverse("web:milestones"))
    milestone = Milestone.objects.get(client=cast.client)
    long = "w" * 600
    page = http.post(reverse("web:milestones_share", args=[milestone.pk]), {"message": long})
    assert page.status_code == 400
    assert "600 characters long" in page.content.decode()
    assert long in page.content.decode()
    milestone.refresh_from_db()
    assert milestone.state == MilestoneState.SUGGESTED


def test_risk_language_shows_crisis_resources_at_once(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 1)
    http = signed_in(cast.member)
    http.get(reverse("web:milestones"))
    milestone = Milestone.objects.get(client=cast.client)
    response = http.post(
        reverse("web:milestones_share", args=[milestone.pk]),
        {"message": "I came, but I want to kill myself."},
    )
    assert response["Location"].endswith(f"?shared={milestone.pk}#support")
    page = http.get(response["Location"])
    assert 'id="support"' in page.content.decode()
    assert "988" in page.content.decode()
    # Nobody else is shown the crisis box for it.
    other = signed_in(cast.member_b).get(f"{reverse('web:milestones')}?shared={milestone.pk}")
    assert 'id="support"' not in other.content.decode()


def test_dismiss_and_hide_from_the_pages(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 4)
    http = signed_in(cast.member)
    http.get(reverse("web:milestones"))
    fourth = Milestone.objects.get(client=cast.client, kind=MilestoneKind.FOURTH_SESSION)
    http.post(reverse("web:milestones_dismiss", args=[fourth.pk]))
    fourth.refresh_from_db()
    assert fourth.state == MilestoneState.DISMISSED
    assert (
        signed_in(cast.member_b)
        .post(reverse("web:milestones_dismiss", args=[fourth.pk]))
        .status_code
        == 404
    )

    shared = shared_first_session(cast.client, cast.group_a)
    fac = signed_in(cast.facilitator)
    assert (
        fac.post(reverse("web:milestones_hide", args=[shared.pk]), {"reason": ""}).status_code
        == 400
    )
    fac.post(reverse("web:milestones_hide", args=[shared.pk]), {"reason": "Off topic"})
    shared.refresh_from_db()
    assert shared.hidden
    assert (
        signed_in(cast.member_b)
        .post(reverse("web:milestones_hide", args=[shared.pk]), {"reason": "x"})
        .status_code
        == 404
    )
    mine = http.get(reverse("web:milestones")).content.decode()
    assert "Reason given: Off topic" in mine


def test_staff_read_of_a_members_milestones_is_audited(cast: Cast) -> None:
    shared_first_session(cast.client, cast.group_a, message="Hello")
    url = reverse("web:milestones_client", args=[cast.client.pk])
    page = signed_in(cast.facilitator).get(url)
    assert page.status_code == 200
    assert "Hello" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="milestones.client.viewed", client_id=cast.client.pk, actor=cast.facilitator
    ).exists()
    assert signed_in(cast.facilitator_b).get(url).status_code == 404
    assert signed_in(cast.member_b).get(url).status_code == 404
    assert (
        signed_in(cast.member)
        .get(reverse("web:milestones_client", args=[cast.client.pk]))
        .status_code
        == 404
    )


def test_staff_have_no_member_page(cast: Cast) -> None:
    assert signed_in(cast.facilitator).get(reverse("web:milestones")).status_code == 404


def test_home_panels(cast: Cast) -> None:
    assert panels.member_milestone_panel(cast.member) is None
    sessions(cast.client, cast.group_a, 1)
    from kindred.milestones.detection import detect

    detect([cast.client.pk])
    context = panels.member_milestone_panel(cast.member)
    assert context is not None
    assert context["title"] == "Your first session"
    # Rendered as the home page renders every panel: its context under "panel".
    html = render_to_string("web/milestones/_home_member_panel.html", {"panel": context})
    assert "Something worth celebrating" in html
    assert "Your first session" in html
    assert "Steady Ground" in html
    # And the member's home page itself shows it (it answered 500 when the template read
    # the context's names at the top level).
    home = signed_in(cast.member).get(reverse("web:home"), follow=True)
    assert home.status_code == 200
    assert "Something worth celebrating" in home.content.decode()
    assert panels.member_milestone_panel(cast.facilitator) is None
    fac = panels.facilitator_trends_panel(cast.facilitator)
    assert fac == {"groups": [{"pk": cast.group_a.pk, "name": "Steady Ground"}]}
    assert "trends" in render_to_string("web/milestones/_home_facilitator_panel.html", fac)
    assert panels.facilitator_trends_panel(cast.member) is None


def _shared_by_many(cast: Cast, extra: int) -> None:
    from kindred.clients.services import client_create
    from kindred.groups.services import enrollment_activate, enrollment_invite

    cast.group_a.max_size = 16
    cast.group_a.save(update_fields=["max_size"])
    clients = [cast.client, cast.client_b]
    for i in range(extra):
        client = client_create(
            actor=None,
            legal_first_name=f"Share{i}",
            legal_last_name="Member",
            date_of_birth=cast.client.date_of_birth,
            state_of_residence="IL",
            email=f"share{i}@example.test",
        )
        enrollment_activate(
            actor=None, enrollment=enrollment_invite(actor=None, group=cast.group_a, client=client)
        )
        from kindred.accounts.models import User, UserKind

        user = User.objects.create_user(
            client.email, "x-Password-1", full_name=client.display_name, kind=UserKind.MEMBER
        )
        client.user = user
        client.save(update_fields=["user"])
        clients.append(client)
    for i, client in enumerate(clients):
        assert client.user is not None
        if i % 2:
            space_services.display_name_set(
                actor=client.user,
                access=get_space_for(client.user, cast.group_a.pk),
                name=f"Nick{i}",
            )
        shared_first_session(client, cast.group_a, message=f"Words {i}")


@pytest.mark.parametrize("extra", [1, 10])
def test_group_page_and_space_panel_keep_constant_queries(
    cast: Cast, extra: int, django_assert_max_num_queries: Any
) -> None:
    _shared_by_many(cast, extra)
    http = signed_in(cast.member)
    url = reverse("web:milestones_group", args=[cast.group_a.pk])
    http.get(url)
    with django_assert_max_num_queries(12):
        page = http.get(url)
    assert page.content.decode().count("came to their first session") == extra + 2
    with django_assert_max_num_queries(2):
        context = selectors.space_panel(cast.group_a.pk)
    html = render_to_string("web/milestones/_space_panel.html", {"milestones_panel": context})
    assert html.count("came to their first session") == 3
    mine = reverse("web:milestones")
    http.get(mine)
    with django_assert_max_num_queries(12):
        http.get(mine)
