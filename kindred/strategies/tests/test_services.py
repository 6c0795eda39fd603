"""Coping strategies: who sees which cards, sharing and its bad input, approval, marks,
notifications, risk language → safety alert, and the practice library."""

from __future__ import annotations

from typing import Any

import pytest

from kindred.audit.models import AuditEvent
from kindred.clients.models import ConcernTag
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.notifications.models import Notification
from kindred.space import services as space_services
from kindred.space.access import get_space_for
from kindred.strategies import selectors, services
from kindred.strategies.access import (
    LibraryRole,
    get_card_for,
    get_library_for,
    library_cards,
)
from kindred.strategies.models import (
    TITLE_MAX,
    WHAT_MAX,
    MarkKind,
    Strategy,
    StrategyMark,
    StrategyStatus,
)

CARD = {
    "title": "Five things I can see",
    "what_it_is": "I name five things I can see, four I can hear, three I can touch.",
    "when_it_helps": "When my thoughts start racing before a meeting.",
}


def share(cast: Cast, user: Any = None, **changes: Any) -> Strategy:
    user = user or cast.member
    return services.strategy_share(
        actor=user, access=get_library_for(user, cast.group_a.pk), **{**CARD, **changes}
    )


def approved(cast: Cast, **changes: Any) -> Strategy:
    card = share(cast, **changes)
    return services.strategy_approve(
        actor=cast.facilitator, card_access=get_card_for(cast.facilitator, card.pk)
    )


def test_who_reaches_a_groups_cards(cast: Cast) -> None:
    assert get_library_for(cast.member, cast.group_a.pk).role == LibraryRole.MEMBER
    assert get_library_for(cast.facilitator, cast.group_a.pk).role == LibraryRole.FACILITATOR
    assert get_library_for(cast.admin, cast.group_a.pk).role == LibraryRole.ADMIN
    for person in (cast.outsider, cast.facilitator_b, cast.coordinator, cast.billing):
        before = AuditEvent.objects.filter(action="strategies.strategy.denied").count()
        with pytest.raises(NotFound):
            get_library_for(person, cast.group_a.pk)
        assert AuditEvent.objects.filter(action="strategies.strategy.denied").count() == before + 1
    with pytest.raises(NotFound):
        get_library_for(cast.member, "nonsense")


def test_a_pending_card_is_seen_by_its_author_facilitators_and_admins_only(cast: Cast) -> None:
    card = share(cast)
    assert card.status == StrategyStatus.PENDING
    for person in (cast.member, cast.facilitator, cast.admin):
        assert get_card_for(person, card.pk).card.pk == card.pk
    for person in (cast.member_b, cast.outsider, cast.facilitator_b, cast.coordinator):
        with pytest.raises(NotFound):
            get_card_for(person, card.pk)
    services.strategy_approve(
        actor=cast.facilitator, card_access=get_card_for(cast.facilitator, card.pk)
    )
    assert get_card_for(cast.member_b, card.pk).card.status == StrategyStatus.APPROVED
    with pytest.raises(NotFound):
        get_card_for(cast.outsider, card.pk)


def test_sharing_tells_the_facilitators_without_the_words(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        card = share(cast)
    note = Notification.objects.get(user=cast.facilitator, kind=services.NOTIFY_PENDING)
    assert cast.group_a.name in note.title
    assert "Five things" not in note.title + note.body
    assert cast.member.full_name not in note.title + note.body
    assert AuditEvent.objects.filter(action="strategies.card.shared", object_id=str(card.pk))


def test_text_is_stored_as_written_and_rendered_inert(cast: Cast) -> None:
    evil = '<script>alert("x")</script> **calm** [x](javascript:alert(1)) <img src=x onerror=y>'
    card = approved(cast, what_it_is=evil, title="<b>Breathing</b>")
    card.refresh_from_db()
    assert card.what_it_is == evil
    row = selectors.card_row(card, cast.member_b, get_library_for(cast.member_b, cast.group_a.pk))
    html = str(row.what_html)
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "<strong>calm</strong>" in html
    assert "&lt;script&gt;" in html


def test_bad_input_gives_specific_messages_and_saves_nothing(cast: Cast) -> None:
    access = get_library_for(cast.member, cast.group_a.pk)
    with pytest.raises(ValidationFailed) as empty:
        services.strategy_share(
            actor=cast.member, access=access, title=" ", what_it_is="", when_it_helps=""
        )
    assert set(empty.value.errors) == {"title", "what_it_is", "when_it_helps"}
    with pytest.raises(ValidationFailed) as long:
        services.strategy_share(
            actor=cast.member,
            access=access,
            title="x" * (TITLE_MAX + 1),
            what_it_is="y" * (WHAT_MAX + 5),
            when_it_helps="ok",
        )
    assert f"{TITLE_MAX + 1} characters" in long.value.errors["title"][0]
    assert f"{WHAT_MAX + 5:,} characters" in long.value.errors["what_it_is"][0]
    assert "still here" in long.value.errors["what_it_is"][0]
    with pytest.raises(ValidationFailed) as concerns:
        share(cast, concerns=["999999"])
    assert "from the list" in concerns.value.errors["concerns"][0]
    with pytest.raises(ValidationFailed):
        share(cast, concerns=["'; drop table"])
    with pytest.raises(ValidationFailed):
        share(cast, what_it_is="nul \x00 byte")
    assert not Strategy.objects.exists()


def test_facilitators_do_not_share_cards(cast: Cast) -> None:
    with pytest.raises(NotPermitted):
        share(cast, user=cast.facilitator)
    assert not Strategy.objects.exists()


def test_no_sharing_after_leaving_the_group(cast: Cast) -> None:
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="moved away")
    with pytest.raises(NotFound):
        get_library_for(cast.member, cast.group_a.pk)
    access = get_library_for(cast.member, cast.group_a.pk, allow_former=True)
    assert access.role == LibraryRole.FORMER
    with pytest.raises(InvalidState) as left:
        services.strategy_share(actor=cast.member, access=access, **CARD)
    assert left.value.code == "left_group"
    assert "no longer a member" in left.value.message
    assert not Strategy.objects.exists()


def test_no_sharing_while_the_space_is_paused_or_the_member_is_muted(cast: Cast) -> None:
    fac = get_space_for(cast.facilitator, cast.group_a.pk)
    space_services.space_pause(actor=cast.facilitator, access=fac, reason="Holiday break")
    with pytest.raises(InvalidState) as paused:
        share(cast)
    assert paused.value.code == "paused"
    assert "Holiday break" in paused.value.message
    space_services.space_resume(actor=cast.facilitator, access=fac)
    space_services.mute_create(
        actor=cast.facilitator, access=fac, user=cast.member, days=2, reason="Cooling off"
    )
    with pytest.raises(InvalidState) as muted:
        share(cast)
    assert muted.value.code == "muted"
    assert "Cooling off" in muted.value.message
    assert not Strategy.objects.exists()
    share(cast, user=cast.member_b)  # the others still can


def test_risk_language_raises_an_alert_in_the_same_transaction(cast: Cast) -> None:
    card = share(cast, when_it_helps="When I feel like I want to kill myself at night.")
    assert card.risk_flagged
    alert = SafetyAlert.objects.get(flag_code=f"strategies.card.{card.pk}")
    assert alert.source == AlertSource.RISK_LANGUAGE
    assert alert.client_id == cast.client.pk
    assert alert.group_id == cast.group_a.pk
    plain = share(cast, user=cast.member_b)
    assert not plain.risk_flagged
    assert SafetyAlert.objects.count() == 1


def test_approve_and_decline(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    card = share(cast)
    other = share(cast, title="Cold water")
    with pytest.raises(NotPermitted):
        services.strategy_approve(actor=cast.admin, card_access=get_card_for(cast.admin, card.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.strategy_approve(
            actor=cast.facilitator, card_access=get_card_for(cast.facilitator, card.pk)
        )
    with pytest.raises(InvalidState):
        services.strategy_approve(
            actor=cast.facilitator, card_access=get_card_for(cast.facilitator, card.pk)
        )
    with pytest.raises(ValidationFailed) as no_reason:
        services.strategy_decline(
            actor=cast.facilitator, card_access=get_card_for(cast.facilitator, other.pk), reason=""
        )
    assert no_reason.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        declined = services.strategy_decline(
            actor=cast.facilitator,
            card_access=get_card_for(cast.facilitator, other.pk),
            reason="It names someone outside the group.",
        )
    assert declined.status == StrategyStatus.DECLINED
    assert declined.decided_by == cast.facilitator
    titles = list(
        Notification.objects.filter(user=cast.member, kind=services.NOTIFY_DECIDED).values_list(
            "title", flat=True
        )
    )
    assert len(titles) == 2
    assert all("Cold water" not in t and "Five things" not in t for t in titles)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"strategies.card.approved", "strategies.card.declined"} <= actions


def test_marks_once_each_never_on_ones_own_card_and_encouragement(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    card = approved(cast)
    other = get_card_for(cast.member_b, card.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_add(actor=cast.member_b, card_access=other, kind=MarkKind.HELPED)
    with pytest.raises(Conflict) as twice:
        services.mark_add(actor=cast.member_b, card_access=other, kind=MarkKind.HELPED)
    assert "already marked" in twice.value.message
    services.mark_add(actor=cast.member_b, card_access=other, kind=MarkKind.TRY)
    with pytest.raises(ValidationFailed) as own:
        services.mark_add(
            actor=cast.member, card_access=get_card_for(cast.member, card.pk), kind=MarkKind.TRY
        )
    assert "your own card" in own.value.message
    with pytest.raises(ValidationFailed):
        services.mark_add(actor=cast.member_b, card_access=other, kind="love")
    with pytest.raises(NotPermitted):
        services.mark_add(
            actor=cast.facilitator,
            card_access=get_card_for(cast.facilitator, card.pk),
            kind=MarkKind.TRY,
        )
    assert StrategyMark.objects.count() == 2
    note = Notification.objects.get(user=cast.member, kind=services.NOTIFY_HELPED)
    assert cast.member_b.full_name not in note.title + note.body
    # Taking the mark back and giving it again the same day does not notify twice.
    assert services.mark_remove(actor=cast.member_b, card_access=other, kind=MarkKind.HELPED)
    assert not services.mark_remove(actor=cast.member_b, card_access=other, kind=MarkKind.HELPED)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_add(actor=cast.member_b, card_access=other, kind=MarkKind.HELPED)
    assert Notification.objects.filter(user=cast.member, kind=services.NOTIFY_HELPED).count() == 1


def test_a_pending_card_cannot_be_marked(cast: Cast) -> None:
    card = share(cast)
    services.strategy_approve(
        actor=cast.facilitator, card_access=get_card_for(cast.facilitator, card.pk)
    )
    access = get_card_for(cast.member_b, card.pk)
    services.strategy_withdraw(actor=cast.member, card_access=get_card_for(cast.member, card.pk))
    access.card.refresh_from_db()
    with pytest.raises(InvalidState):
        services.mark_add(actor=cast.member_b, card_access=access, kind=MarkKind.TRY)
    with pytest.raises(NotFound):
        get_card_for(cast.member_b, card.pk)


def test_authors_are_shown_by_display_name_or_not_at_all(cast: Cast) -> None:
    card = approved(cast)
    b = get_library_for(cast.member_b, cast.group_a.pk)
    assert selectors.card_row(card, cast.member_b, b).author == "A group member"
    assert selectors.card_row(card, cast.member_b, b).real_name == ""
    space_services.display_name_set(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk), name="Sky"
    )
    assert selectors.card_row(card, cast.member_b, b).author == "Sky"
    fac = get_library_for(cast.facilitator, cast.group_a.pk)
    assert selectors.card_row(card, cast.facilitator, fac).real_name == cast.member.full_name
    assert selectors.card_row(card, cast.member, None).author == "You"


def test_promote_into_the_practice_library(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    tag = ConcernTag.objects.create(name="Anxiety")
    card = approved(cast, concerns=[tag.pk], what_it_is="Avery taught me this at Joe's Diner.")
    fac = get_card_for(cast.facilitator, card.pk)
    edited: dict[str, Any] = {
        **CARD,
        "what_it_is": "Name five things you can see.",
        "concerns": [tag.pk],
    }
    with pytest.raises(ValidationFailed) as unconfirmed:
        services.strategy_promote(
            actor=cast.facilitator, card_access=fac, confirmed_anonymous=False, **edited
        )
    assert unconfirmed.value.field == "confirmed_anonymous"
    with pytest.raises(NotPermitted):
        services.strategy_promote(
            actor=cast.admin,
            card_access=get_card_for(cast.admin, card.pk),
            confirmed_anonymous=True,
            **edited,
        )
    with django_capture_on_commit_callbacks(execute=True):
        copy = services.strategy_promote(
            actor=cast.facilitator, card_access=fac, confirmed_anonymous=True, **edited
        )
    assert copy.group_id is None
    assert copy.author_id is None
    assert copy.promoted_from_id == card.pk
    assert copy.status == StrategyStatus.APPROVED
    assert list(copy.concerns.all()) == [tag]
    with pytest.raises(Conflict):
        services.strategy_promote(
            actor=cast.facilitator, card_access=fac, confirmed_anonymous=True, **edited
        )
    # Every active member of any group and every staff member sees it; nobody's name.
    for person in (cast.outsider, cast.member_b, cast.billing, cast.facilitator_b):
        assert get_card_for(person, copy.pk).in_library
        assert selectors.card_row(copy, person, None).author == ""
    assert list(library_cards(cast.outsider)) == [copy]
    assert Notification.objects.filter(user=cast.member, kind=services.NOTIFY_PROMOTED).exists()
    # Members of the library mark it; staff do not.
    services.mark_add(
        actor=cast.outsider, card_access=get_card_for(cast.outsider, copy.pk), kind="helped"
    )
    with pytest.raises(NotPermitted):
        services.mark_add(
            actor=cast.billing, card_access=get_card_for(cast.billing, copy.pk), kind="helped"
        )


def test_a_pending_card_cannot_be_promoted(cast: Cast) -> None:
    card = share(cast)
    with pytest.raises(InvalidState):
        services.strategy_promote(
            actor=cast.facilitator,
            card_access=get_card_for(cast.facilitator, card.pk),
            confirmed_anonymous=True,
            **CARD,
        )
    assert Strategy.objects.count() == 1


def test_a_former_member_no_longer_reads_the_library(cast: Cast) -> None:
    copy_source = approved(cast)
    copy = services.strategy_promote(
        actor=cast.facilitator,
        card_access=get_card_for(cast.facilitator, copy_source.pk),
        confirmed_anonymous=True,
        **CARD,
    )
    enrollment = Enrollment.objects.get(client=cast.outsider_client, group=cast.group_b)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="moved away")
    with pytest.raises(NotFound):
        get_card_for(cast.outsider, copy.pk)
