"""Preparation items: written by a group's managers and facilitators, ordered, copied
from another group, and marked read by members with a place."""

from __future__ import annotations

import pytest

from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.intake import preparation
from kindred.intake.models import PreparationItem, PreparationRead


def _add(actor, group, title: str, body: str = "Some words.") -> PreparationItem:
    return preparation.preparation_item_create(actor=actor, group=group, title=title, body=body)


def _titles(group) -> list[str]:
    return list(preparation.preparation_items(group).values_list("title", flat=True))


@pytest.mark.parametrize("who", ["coordinator", "admin", "facilitator"])
def test_managers_and_the_groups_facilitators_write_preparation(cast, who):
    actor = getattr(cast, who)
    item = _add(actor, cast.group_a, "  What to expect ", "Line one\r\nLine two")
    assert (item.title, item.body, item.position) == ("What to expect", "Line one\nLine two", 0)
    assert _add(actor, cast.group_a, "How to join").position == 1
    event = AuditEvent.objects.filter(action="intake.preparation_item.created").first()
    assert event is not None
    assert event.actor == actor
    assert event.detail == {"group": cast.group_a.pk}


@pytest.mark.parametrize("who", ["facilitator_b", "supervisor", "billing", "member"])
def test_others_may_not_write_a_groups_preparation(cast, who):
    with pytest.raises(NotPermitted):
        _add(getattr(cast, who), cast.group_a, "Mine")
    item = _add(cast.coordinator, cast.group_a, "Theirs")
    with pytest.raises(NotPermitted):
        preparation.preparation_item_update(
            actor=getattr(cast, who), item=item, title="Changed", body="Changed"
        )
    with pytest.raises(NotPermitted):
        preparation.preparation_item_delete(actor=getattr(cast, who), item=item)
    assert _titles(cast.group_a) == ["Theirs"]


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("", "Words", "title"), ("T" * 151, "Words", "title"), ("Title", "  \n ", "body")],
)
def test_an_item_needs_a_title_and_a_text(cast, title, body, field):
    with pytest.raises(ValidationFailed) as caught:
        _add(cast.facilitator, cast.group_a, title, body)
    assert field in caught.value.errors
    assert not PreparationItem.objects.exists()


def test_items_move_up_and_down_and_close_gaps_when_removed(cast):
    a, b, c = (_add(cast.facilitator, cast.group_a, t) for t in ("A", "B", "C"))
    preparation.preparation_item_move(actor=cast.facilitator, item=c, up=True)
    assert _titles(cast.group_a) == ["A", "C", "B"]
    preparation.preparation_item_move(actor=cast.facilitator, item=a, up=True)  # already first
    preparation.preparation_item_move(actor=cast.facilitator, item=a, up=False)
    assert _titles(cast.group_a) == ["C", "A", "B"]
    preparation.preparation_item_delete(actor=cast.facilitator, item=a)
    assert _titles(cast.group_a) == ["C", "B"]
    assert list(preparation.preparation_items(cast.group_a).values_list("position", flat=True)) == [
        0,
        1,
    ]
    assert b.pk in preparation.preparation_items(cast.group_a).values_list("pk", flat=True)


def test_copying_adds_another_groups_items_after_this_groups(cast):
    _add(cast.facilitator_b, cast.group_b, "What to expect", "Open groups change.")
    _add(cast.facilitator_b, cast.group_b, "How to join", "By video.")
    _add(cast.coordinator, cast.group_a, "Welcome")

    copies = preparation.preparation_copy(
        actor=cast.coordinator, group=cast.group_a, source=cast.group_b
    )

    assert [c.title for c in copies] == ["What to expect", "How to join"]
    assert _titles(cast.group_a) == ["Welcome", "What to expect", "How to join"]
    assert _titles(cast.group_b) == ["What to expect", "How to join"]
    event = AuditEvent.objects.get(action="intake.preparation_item.copied")
    assert event.detail == {"from_group": cast.group_b.pk, "items": 2}


def test_copying_needs_a_different_group_with_preparation(cast):
    _add(cast.coordinator, cast.group_a, "Welcome")
    with pytest.raises(ValidationFailed):
        preparation.preparation_copy(
            actor=cast.coordinator, group=cast.group_a, source=cast.group_a
        )
    with pytest.raises(ValidationFailed) as caught:
        preparation.preparation_copy(
            actor=cast.coordinator, group=cast.group_a, source=cast.group_b
        )
    assert "has no preparation to copy" in caught.value.errors["from_group"][0]
    assert PreparationItem.objects.count() == 1


def test_a_group_holds_a_bounded_number_of_items(cast):
    for n in range(preparation.MAX_ITEMS):
        _add(cast.coordinator, cast.group_a, f"Part {n}")
    with pytest.raises(InvalidState):
        _add(cast.coordinator, cast.group_a, "One too many")


def test_a_member_marks_an_item_read_once(cast):
    item = _add(cast.facilitator, cast.group_a, "What to expect")
    mark, created = preparation.preparation_mark_read(actor=cast.member, item=item)
    again, created_again = preparation.preparation_mark_read(actor=cast.member, item=item)
    assert (created, created_again) == (True, False)
    assert mark == again
    assert PreparationRead.objects.get().client == cast.client
    items = preparation.member_preparation(cast.client, cast.group_a)
    assert [(e.item, e.read_at) for e in items] == [(item, mark.read_at)]
    assert preparation.member_preparation(cast.client_b, cast.group_a)[0].read_at is None
    assert AuditEvent.objects.filter(action="intake.preparation_item.read").count() == 1


def test_only_members_with_a_place_mark_items_read(cast):
    item = _add(cast.facilitator, cast.group_a, "What to expect")
    with pytest.raises(NotFound):
        preparation.preparation_mark_read(actor=cast.outsider, item=item)
    with pytest.raises(NotPermitted):
        preparation.preparation_mark_read(actor=cast.facilitator, item=item)
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    with pytest.raises(NotFound):
        preparation.preparation_mark_read(actor=cast.member, item=item)
    assert not PreparationRead.objects.exists()
    assert AuditEvent.objects.filter(category=Category.DENIED).count() == 2


def test_an_item_of_another_group_is_not_found(cast):
    item = _add(cast.facilitator_b, cast.group_b, "Theirs")
    with pytest.raises(NotFound):
        preparation.get_item_for(cast.coordinator, cast.group_a, item.pk)
    for bad in ("x", "0", "", None, "99999999999999999999999"):
        with pytest.raises(NotFound):
            preparation.get_item_for(cast.coordinator, cast.group_a, bad)
