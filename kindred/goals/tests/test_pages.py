"""Goals pages: the member's flow, bad input kept on the page, crisis resources, who gets
in, escaping, and constant query counts at two sizes."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast, signed_in
from kindred.goals import selectors, services
from kindred.goals.access import get_goal_for
from kindred.goals.models import CheckIn, Goal, GoalStatus, SupportReply
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.models import SafetyAlert
from kindred.space.access import get_space_for
from kindred.space.services import display_name_set

SCRIPT = "<script>alert('x')</script>"


def goal_of(cast: Cast, user: Any = None, **data: Any) -> Goal:
    user = user or cast.member
    client = cast.client if user == cast.member else cast.client_b
    return services.goal_create(
        actor=user,
        client=client,
        data={"what": "Walk each morning", "shared_with_group": True, **data},
    )


def test_member_sets_a_goal_checks_in_and_celebrates(cast: Cast) -> None:
    http = signed_in(cast.member)
    assert http.get(reverse("web:goals_home")).status_code == 200
    response = http.post(
        reverse("web:goals_new"),
        {
            "what": "Call my sister",
            "why": "I miss her",
            "next_step": "Find her number",
            "shared_with_group": "on",
            "nudges": "on",
            "nudge_day": "3",
        },
    )
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.shared_with_group
    assert goal.group_id == cast.group_a.pk
    page = http.get(reverse("web:goals_checkin", args=[goal.pk]))
    assert 'type="number"' in page.content.decode()
    assert (
        http.post(
            reverse("web:goals_checkin", args=[goal.pk]), {"progress": "7", "note": "Did it twice"}
        ).status_code
        == 302
    )
    # The form now shows this week's check-in and saving it changes it.
    assert (
        http.post(
            reverse("web:goals_checkin", args=[goal.pk]), {"progress": "8", "note": "Three"}
        ).status_code
        == 302
    )
    assert CheckIn.objects.get().progress == 8
    detail = http.get(reverse("web:goals_detail", args=[goal.pk])).content.decode()
    assert "<svg" in detail
    assert "I miss her" in detail  # the member sees their own why
    http.post(reverse("web:goals_status", args=[goal.pk]), {"status": "reached"})
    goal.refresh_from_db()
    assert goal.status == GoalStatus.REACHED
    assert (
        "worth celebrating"
        in http.get(reverse("web:goals_detail", args=[goal.pk])).content.decode()
    )


def test_bad_input_is_explained_and_kept(cast: Cast) -> None:
    http = signed_in(cast.member)
    long_what = "w" * 250
    response = http.post(reverse("web:goals_new"), {"what": long_what, "nudge_day": "3"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "250 characters" in body
    assert long_what in body  # nothing lost
    goal = goal_of(cast)
    response = http.post(reverse("web:goals_checkin", args=[goal.pk]), {"progress": "12"})
    assert response.status_code == 400
    assert "outside the scale" in response.content.decode()
    assert not CheckIn.objects.exists()
    assert Goal.objects.count() == 1


def test_html_is_escaped_everywhere(cast: Cast) -> None:
    goal = goal_of(cast, what=SCRIPT)
    services.reply_create(
        actor=cast.member_b, access=get_goal_for(cast.member_b, goal.pk), body=SCRIPT
    )
    for user, url in (
        (cast.member, reverse("web:goals_home")),
        (cast.member_b, reverse("web:goals_shared")),
        (cast.member_b, reverse("web:goals_detail", args=[goal.pk])),
        (cast.facilitator, reverse("web:goals_group", args=[cast.group_a.pk])),
    ):
        body = signed_in(user).get(url).content.decode()
        assert SCRIPT not in body, url
        assert "&lt;script&gt;" in body, url


def test_risky_checkin_shows_crisis_resources_to_the_writer_only(cast: Cast) -> None:
    goal = goal_of(cast)
    http = signed_in(cast.member)
    response = http.post(
        reverse("web:goals_checkin", args=[goal.pk]),
        {"progress": "1", "note": "I want to kill myself"},
        follow=True,
    )
    assert "988" in response.content.decode()
    assert SafetyAlert.objects.count() == 1
    # Once only, and nobody else.
    assert "tel:988" not in http.get(reverse("web:goals_detail", args=[goal.pk])).content.decode()
    peer = signed_in(cast.member_b).get(reverse("web:goals_shared")).content.decode()
    assert "tel:988" not in peer
    assert "kill myself" not in peer


def test_peers_see_display_names_never_real_names_or_why(cast: Cast) -> None:
    goal = goal_of(cast, why="Private reason")
    display_name_set(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk), name="Sky"
    )
    body = signed_in(cast.member_b).get(reverse("web:goals_detail", args=[goal.pk])).content
    text = body.decode()
    assert "Sky" in text
    assert "Avery" not in text
    assert "Private reason" not in text


@pytest.mark.parametrize("who", ["outsider", "facilitator_b", "coordinator", "billing"])
def test_others_get_404(cast: Cast, who: str) -> None:
    goal = goal_of(cast)
    http = signed_in(getattr(cast, who))
    assert http.get(reverse("web:goals_detail", args=[goal.pk])).status_code == 404
    assert http.get(reverse("web:goals_group", args=[cast.group_a.pk])).status_code == 404


def test_reply_after_leaving_is_refused_plainly(cast: Cast) -> None:
    goal = goal_of(cast)
    enrollment_withdraw(
        actor=cast.admin,
        enrollment=Enrollment.objects.get(client=cast.client_b, group=cast.group_a),
        reason="Moved",
    )
    response = signed_in(cast.member_b).post(
        reverse("web:goals_reply", args=[goal.pk]), {"body": "Go!"}
    )
    assert response.status_code == 409
    assert "no longer a member" in response.content.decode()
    assert not SupportReply.objects.exists()


def test_facilitator_reads_are_audited(cast: Cast) -> None:
    goal = goal_of(cast)
    http = signed_in(cast.facilitator)
    assert http.get(reverse("web:goals_detail", args=[goal.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="goals.goal.viewed", client_id=cast.client.pk).exists()
    page = http.get(reverse("web:goals_group", args=[cast.group_a.pk])).content.decode()
    assert "No check-in this week yet" in page
    assert "Avery" in page  # staff see who is who


def test_home_panels(cast: Cast) -> None:
    goal_of(cast)
    member = selectors.member_panel(cast.member)
    assert member is not None
    assert member["panel"]["to_check_in"] == 1  # type: ignore[index]
    staff = selectors.facilitator_panel(cast.facilitator)
    assert staff is not None
    assert staff["panel"]["groups"][0]["waiting"] == 1  # type: ignore[index]
    assert selectors.facilitator_panel(cast.facilitator_b) is None
    assert selectors.member_panel(cast.facilitator) is None
    mine = render_to_string("web/goals/_member_panel.html", member)
    assert "check in this week" in mine
    theirs = render_to_string("web/goals/_facilitator_panel.html", staff)
    assert "1 with no check-in yet" in theirs
    assert reverse("web:goals_group", args=[cast.group_a.pk]) in theirs


def _fill(cast: Cast, n: int) -> None:
    for i in range(n):
        for user in (cast.member, cast.member_b):
            goal = goal_of(cast, user, what=f"Goal {i}")
            services.checkin_record(
                actor=user, access=get_goal_for(user, goal.pk), progress=i % 11, note="ok"
            )
            services.reply_create(
                actor=cast.facilitator, access=get_goal_for(cast.facilitator, goal.pk), body="Nice"
            )


@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("member", "web:goals_home"),
        ("member", "web:goals_shared"),
        ("facilitator", "web:goals_group"),
        ("member", "web:goals_detail"),
        ("facilitator", "web:goals_detail"),
    ],
)
def test_pages_use_constant_queries(
    cast: Cast, who: str, url_name: str, django_assert_max_num_queries: Any
) -> None:
    first = goal_of(cast)
    _fill(cast, 1)
    http = signed_in(getattr(cast, who))
    args = {
        "web:goals_group": [cast.group_a.pk],
        "web:goals_detail": [first.pk],
    }.get(url_name, [])
    url = reverse(url_name, args=args)
    http.get(url)
    with django_assert_max_num_queries(25) as small:
        assert http.get(url).status_code == 200
    _fill(cast, 8)
    for _ in range(6):
        services.reply_create(
            actor=cast.member_b, access=get_goal_for(cast.member_b, first.pk), body="More"
        )
    with django_assert_max_num_queries(25) as big:
        assert http.get(url).status_code == 200
    assert len(small) == len(big), (len(small), len(big))
