"""Coping-strategy pages: who gets in, sharing and its bad input on the page, crisis
resources, marks without JavaScript and with htmx, approval, promotion, and constant
query counts at two data sizes."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.models import ConcernTag
from kindred.core.testing import Cast, signed_in
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_graduate
from kindred.space import services as space_services
from kindred.space.access import get_space_for
from kindred.strategies import selectors, services
from kindred.strategies.access import get_card_for, get_library_for
from kindred.strategies.models import (
    WHAT_MAX,
    MarkKind,
    Strategy,
    StrategyMark,
    StrategyStatus,
)

FORM = {
    "title": "Cold water on my wrists",
    "what_it_is": "I run cold water over my wrists for a minute.",
    "when_it_helps": "When I feel a panic coming on at work.",
}


def share(cast: Cast, user: Any = None, **changes: Any) -> Strategy:
    user = user or cast.member
    return services.strategy_share(
        actor=user, access=get_library_for(user, cast.group_a.pk), **{**FORM, **changes}
    )


def approved(cast: Cast, **changes: Any) -> Strategy:
    card = share(cast, **changes)
    return services.strategy_approve(
        actor=cast.facilitator, card_access=get_card_for(cast.facilitator, card.pk)
    )


def bulk_cards(cast: Cast, count: int) -> None:
    """``count`` shared cards in group A by member A, each with marks by member B, a
    concern, and a pending one in between (test data, written directly)."""
    tag, _created = ConcernTag.objects.get_or_create(name="Sleep")
    now = timezone.now()
    cards = Strategy.objects.bulk_create(
        [
            Strategy(
                group=cast.group_a,
                author=cast.member,
                title=f"Idea {n}",
                what_it_is=f"Something **small** number {n}.",
                when_it_helps="At night.",
                status=StrategyStatus.APPROVED if n % 5 else StrategyStatus.PENDING,
                created_at=now,
                decided_at=now,
                decided_by=cast.facilitator,
            )
            for n in range(count)
        ]
    )
    Strategy.concerns.through.objects.bulk_create(
        [Strategy.concerns.through(strategy_id=c.pk, concerntag_id=tag.pk) for c in cards]
    )
    StrategyMark.objects.bulk_create(
        [
            StrategyMark(strategy=c, user=cast.member_b, kind=kind, created_at=now)
            for c in cards
            for kind in MarkKind.values
        ]
    )


# --- who gets in -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "facilitator_b", "coordinator", "billing"])
def test_others_get_404_and_a_denied_event(cast: Cast, who: str) -> None:
    card = share(cast)
    http = signed_in(getattr(cast, who))
    before = AuditEvent.objects.filter(action="strategies.strategy.denied").count()
    assert http.get(reverse("web:strategies_group", args=[cast.group_a.pk])).status_code == 404
    assert http.get(reverse("web:strategies_card", args=[card.pk])).status_code == 404
    assert http.get(reverse("web:strategies_queue", args=[cast.group_a.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="strategies.strategy.denied").count() == before + 3


def test_members_cannot_open_the_queue_and_admins_read_but_do_not_decide(cast: Cast) -> None:
    card = share(cast)
    member = signed_in(cast.member_b)
    assert member.get(reverse("web:strategies_queue", args=[cast.group_a.pk])).status_code == 404
    admin = signed_in(cast.admin)
    page = admin.get(reverse("web:strategies_queue", args=[cast.group_a.pk]))
    assert page.status_code == 200
    assert FORM["title"] in page.content.decode()
    response = admin.post(reverse("web:strategies_decide", args=[card.pk]), {"action": "approve"})
    assert response.status_code == 404
    card.refresh_from_db()
    assert card.status == StrategyStatus.PENDING


# --- sharing -----------------------------------------------------------------------------


def test_a_member_shares_a_card_and_facilitators_see_it_waiting(cast: Cast) -> None:
    tag = ConcernTag.objects.create(name="Panic")
    http = signed_in(cast.member)
    url = reverse("web:strategies_share", args=[cast.group_a.pk])
    assert http.get(url).status_code == 200
    response = http.post(url, {**FORM, "concerns": [tag.pk]})
    card = Strategy.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:strategies_card", args=[card.pk])
    assert list(card.concerns.all()) == [tag]
    page = http.get(response["Location"]).content.decode()
    assert "A facilitator will read your card" in page
    other = signed_in(cast.member_b)
    listing = other.get(reverse("web:strategies_group", args=[cast.group_a.pk])).content.decode()
    assert FORM["title"] not in listing
    queue = signed_in(cast.facilitator).get(reverse("web:strategies_queue", args=[cast.group_a.pk]))
    assert FORM["title"] in queue.content.decode()
    assert cast.member.full_name in queue.content.decode()
    assert AuditEvent.objects.filter(action="strategies.queue.viewed").count() == 1


def test_oversized_text_is_refused_with_the_text_kept(cast: Cast) -> None:
    http = signed_in(cast.member)
    long = "word " * (WHAT_MAX // 4)
    response = http.post(
        reverse("web:strategies_share", args=[cast.group_a.pk]), {**FORM, "what_it_is": long}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"at most {WHAT_MAX:,}" in page
    assert "still here" in page
    assert long.strip()[:200] in page
    assert not Strategy.objects.exists()


def test_html_in_a_card_is_shown_as_text(cast: Cast) -> None:
    card = approved(
        cast,
        title='<script>alert("t")</script>',
        what_it_is="<script>alert('w')</script> <iframe src=x></iframe>",
        when_it_helps="<img src=x onerror=alert(1)>",
    )
    for path in (
        reverse("web:strategies_card", args=[card.pk]),
        reverse("web:strategies_group", args=[cast.group_a.pk]),
    ):
        page = signed_in(cast.member_b).get(path).content.decode()
        assert "<script>alert" not in page
        assert "<iframe" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_risk_language_shows_crisis_resources_to_the_writer_only(cast: Cast) -> None:
    http = signed_in(cast.member)
    response = http.post(
        reverse("web:strategies_share", args=[cast.group_a.pk]),
        {**FORM, "when_it_helps": "When I want to end my life."},
    )
    card = Strategy.objects.get()
    assert response["Location"].endswith(f"?shared={card.pk}#support")
    page = http.get(response["Location"]).content.decode()
    assert "tel:988" in page
    services.strategy_approve(
        actor=cast.facilitator, card_access=get_card_for(cast.facilitator, card.pk)
    )
    other = signed_in(cast.member_b).get(response["Location"]).content.decode()
    assert "tel:988" not in other


def test_sharing_while_paused_muted_or_after_leaving(cast: Cast) -> None:
    http = signed_in(cast.member)
    url = reverse("web:strategies_share", args=[cast.group_a.pk])
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    space_services.space_pause(actor=cast.facilitator, access=fac, reason="Back Monday")
    page = http.get(url).content.decode()
    assert "paused" in page
    assert "Back Monday" in page
    response = http.post(url, FORM)
    assert response.status_code == 400
    assert "paused" in response.content.decode()
    space_services.space_resume(actor=cast.facilitator, access=fac)
    space_services.mute_create(
        actor=cast.facilitator, access=fac, user=cast.member, days=1, reason="A break"
    )
    response = http.post(url, FORM)
    assert response.status_code == 400
    assert "A break" in response.content.decode()
    enrollment = Enrollment.objects.get(client=cast.client_b, group=cast.group_a)
    enrollment_graduate(actor=cast.coordinator, enrollment=enrollment)
    gone = signed_in(cast.member_b).post(url, FORM)
    assert gone.status_code == 409
    assert "no longer a member" in gone.content.decode()
    assert not Strategy.objects.exists()


# --- marks and decisions -----------------------------------------------------------------


def test_marks_work_without_javascript_and_with_htmx(cast: Cast) -> None:
    card = approved(cast)
    http = signed_in(cast.member_b)
    url = reverse("web:strategies_mark", args=[card.pk])
    response = http.post(url, {"kind": "helped"})
    assert response.status_code == 302
    assert StrategyMark.objects.filter(kind="helped").count() == 1
    again = http.post(url, {"kind": "helped"}, follow=True).content.decode()
    assert "already marked" in again
    assert StrategyMark.objects.count() == 1
    fragment = http.post(url, {"kind": "try"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert 'id="marks"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    http.post(url, {"kind": "try", "undo": "1"})
    assert list(StrategyMark.objects.values_list("kind", flat=True)) == ["helped"]
    own = signed_in(cast.member).post(url, {"kind": "try"}, follow=True).content.decode()
    assert "your own card" in own
    assert StrategyMark.objects.count() == 1


def test_decline_needs_a_reason_and_the_author_reads_it(cast: Cast) -> None:
    card = share(cast)
    http = signed_in(cast.facilitator)
    url = reverse("web:strategies_decide", args=[card.pk])
    response = http.post(url, {"action": "decline", "reason": ""})
    assert response.status_code == 400
    card.refresh_from_db()
    assert card.status == StrategyStatus.PENDING
    http.post(url, {"action": "decline", "reason": "It names a workplace."})
    card.refresh_from_db()
    assert card.status == StrategyStatus.DECLINED
    mine = signed_in(cast.member).get(reverse("web:strategies_mine")).content.decode()
    assert "It names a workplace." in mine


def test_promote_needs_the_confirmation_and_makes_an_anonymous_copy(cast: Cast) -> None:
    space_services.display_name_set(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk), name="Sky"
    )
    card = approved(cast)
    http = signed_in(cast.facilitator)
    url = reverse("web:strategies_promote", args=[card.pk])
    form = http.get(url).content.decode()
    assert FORM["what_it_is"] in form  # pre-filled
    refused = http.post(url, {**FORM, "title": "Cold water"})
    assert refused.status_code == 400
    assert "tick the box" in refused.content.decode()
    assert Strategy.objects.count() == 1
    done = http.post(url, {**FORM, "title": "Cold water", "confirmed_anonymous": "on"})
    copy = Strategy.objects.get(group__isnull=True)
    assert done["Location"] == reverse("web:strategies_card", args=[copy.pk])
    seen = signed_in(cast.outsider).get(done["Location"]).content.decode()
    assert "Cold water" in seen
    assert "Sky" not in seen
    assert cast.member.full_name not in seen
    library = signed_in(cast.outsider).get(reverse("web:strategies_library")).content.decode()
    assert "Cold water" in library


# --- search and constant queries ---------------------------------------------------------


def test_search_by_words_and_concern(cast: Cast) -> None:
    tag = ConcernTag.objects.create(name="Grief")
    approved(cast, title="Walking the dog", concerns=[tag.pk])
    approved(cast, title="Box breathing")
    http = signed_in(cast.member_b)
    url = reverse("web:strategies_group", args=[cast.group_a.pk])
    page = http.get(url, {"q": "breath"}).content.decode()
    assert "Box breathing" in page
    assert "Walking the dog" not in page
    page = http.get(url, {"concern": tag.pk}).content.decode()
    assert "Walking the dog" in page
    assert "Box breathing" not in page
    odd = http.get(url, {"concern": "x'; --", "q": "<script>" * 50, "page": "-3"})
    assert odd.status_code == 200


@pytest.mark.parametrize("size", [6, 60])
def test_list_pages_use_a_constant_number_of_queries(
    cast: Cast, size: int, django_assert_max_num_queries: Any
) -> None:
    bulk_cards(cast, size)
    member = signed_in(cast.member_b)
    facilitator = signed_in(cast.facilitator)
    author = signed_in(cast.member)
    author.get(reverse("web:strategies_mine"))
    group_url = reverse("web:strategies_group", args=[cast.group_a.pk])
    member.get(group_url)  # sessions and caches warm
    facilitator.get(group_url)
    # Measured: the same at 6 and at 60 cards (20 a page).
    with django_assert_max_num_queries(11):
        assert member.get(group_url).status_code == 200
    with django_assert_max_num_queries(11):
        assert member.get(group_url, {"q": "Idea", "concern": "1", "page": "2"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert facilitator.get(group_url, {"status": ""}).status_code == 200
    with django_assert_max_num_queries(12):
        queue = reverse("web:strategies_queue", args=[cast.group_a.pk])
        assert facilitator.get(queue).status_code == 200
    with django_assert_max_num_queries(8):
        assert author.get(reverse("web:strategies_mine")).status_code == 200
    with django_assert_max_num_queries(7):
        assert member.get(reverse("web:strategies_library")).status_code == 200
    with django_assert_max_num_queries(6):
        assert member.get(reverse("web:strategies")).status_code == 200
    with django_assert_max_num_queries(6):
        assert facilitator.get(reverse("web:strategies")).status_code == 200


@pytest.mark.parametrize("size", [6, 60])
def test_home_panels_use_a_constant_number_of_queries(
    cast: Cast, size: int, django_assert_max_num_queries: Any
) -> None:
    bulk_cards(cast, size)
    with django_assert_max_num_queries(3):
        panel = selectors.member_panel(cast.member)
    assert panel is not None
    assert panel["strategies_helped"] == size
    with django_assert_max_num_queries(1):
        fac = selectors.facilitator_panel(cast.facilitator)
    assert fac is not None
    assert fac["strategies_waiting"] == len(range(0, size, 5))
    assert selectors.member_panel(cast.facilitator) is None
    assert selectors.facilitator_panel(cast.outsider) is None


def test_home_panel_templates_render_what_the_providers_give(cast: Cast) -> None:
    from django.template.loader import render_to_string

    approved(cast)
    share(cast, user=cast.member_b)
    member = selectors.member_panel(cast.member)
    html = render_to_string("web/strategies/_member_panel.html", {"panel": member})
    assert reverse("web:strategies") in html
    assert "Coping strategies" in html
    fac = selectors.facilitator_panel(cast.facilitator)
    html = render_to_string("web/strategies/_facilitator_panel.html", {"panel": fac})
    assert "1 coping strategy card waits for approval" in html
    assert reverse("web:strategies_queue", args=[cast.group_a.pk]) in html
