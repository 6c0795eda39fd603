"""Who sees which client record: every role × a record they might see, someone else's,
and one that does not exist. Facilitators see the clients of the groups they run (the
cast's ``facilitator`` runs group A: client and client_b; ``facilitator_b`` runs group
B: outsider_client), supervisors those of their supervisees' groups (``supervisor``
supervises ``facilitator``); billing and members see none. Only admins and
coordinators may change a record."""

from datetime import time
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kindred.audit.models import AuditEvent, Category
from kindred.clients.access import (
    get_client_for,
    get_concern_for,
    get_invitation_for,
    get_window_for,
    visible_clients,
)
from kindred.clients.selectors import client_get, own_client
from kindred.clients.services import availability_add, concern_create
from kindred.core.errors import NotFound, NotPermitted

SEES_ALL = {"admin", "coordinator"}
#: Who sees which of the cast's clients through the groups they run or supervise.
SEES_THROUGH_GROUPS = {
    "facilitator": {"client", "client_b"},
    "supervisor": {"client", "client_b"},
    "facilitator_b": {"outsider_client"},
}


def _sees(who: str, target: str) -> bool:
    if target == "missing":
        return False
    return who in SEES_ALL or target in SEES_THROUGH_GROUPS.get(who, set())


EVERYONE = [
    "admin",
    "coordinator",
    "facilitator",
    "facilitator_b",
    "supervisor",
    "billing",
    "member",
    "member_b",
    "outsider",
]
MISSING = 987654


def _actor(cast: Any, who: str) -> Any:
    return AnonymousUser() if who == "anonymous" else getattr(cast, who)


def _denied(client_id: object) -> int:
    return AuditEvent.objects.filter(
        category=Category.DENIED, action="clients.client.denied", object_id=str(client_id)
    ).count()


@pytest.mark.parametrize("who", [*EVERYONE, "anonymous"])
@pytest.mark.parametrize("target", ["client", "outsider_client", "missing"])
def test_reading_a_client(cast, who, target):
    actor = _actor(cast, who)
    client_id = MISSING if target == "missing" else getattr(cast, target).pk
    if _sees(who, target):
        assert get_client_for(actor, client_id).pk == client_id
        assert _denied(client_id) == 0
    else:
        with pytest.raises(NotFound):
            get_client_for(actor, client_id)
        assert _denied(client_id) == 1


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("target", ["client", "outsider_client", "missing"])
def test_changing_a_client(cast, who, target):
    actor = _actor(cast, who)
    client_id = MISSING if target == "missing" else getattr(cast, target).pk
    if who in SEES_ALL and target != "missing":
        assert get_client_for(actor, client_id, write=True).pk == client_id
    elif _sees(who, target):
        with pytest.raises(NotPermitted):
            get_client_for(actor, client_id, write=True)
    else:
        with pytest.raises(NotFound):
            get_client_for(actor, client_id, write=True)


@pytest.mark.parametrize("who", [*EVERYONE, "anonymous"])
def test_visible_clients(cast, who):
    visible = set(visible_clients(_actor(cast, who)).values_list("pk", flat=True))
    if who in SEES_ALL:
        assert visible == {cast.client.pk, cast.client_b.pk, cast.outsider_client.pk}
    else:
        assert visible == {getattr(cast, t).pk for t in SEES_THROUGH_GROUPS.get(who, set())}


def test_a_deactivated_coordinator_sees_nothing(cast):
    cast.coordinator.is_active = False
    assert not visible_clients(cast.coordinator).exists()
    with pytest.raises(NotFound):
        get_client_for(cast.coordinator, cast.client.pk)


@pytest.mark.parametrize("bad_id", ["abc", "", "-1", "0", str(2**70), None])
def test_malformed_ids_are_not_found(cast, bad_id):
    with pytest.raises(NotFound):
        get_client_for(cast.admin, bad_id)


def test_opening_a_record_is_an_access_event(cast):
    client_get(actor=cast.coordinator, client_id=cast.client.pk)
    event = AuditEvent.objects.get(action="clients.client.viewed")
    assert (event.category, event.actor, event.client_id) == (
        Category.ACCESS,
        cast.coordinator,
        cast.client.pk,
    )


def test_windows_and_invitations_belong_to_their_client(cast):
    window = availability_add(
        actor=cast.coordinator,
        client=cast.client,
        weekday=0,
        start_time=time(9),
        end_time=time(10),
    )
    assert get_window_for(cast.coordinator, cast.client, window.pk) == window
    with pytest.raises(NotFound):  # someone else's window through another client's URL
        get_window_for(cast.coordinator, cast.client_b, window.pk)
    with pytest.raises(NotFound):
        get_window_for(cast.coordinator, cast.client, MISSING)
    with pytest.raises(NotFound):
        get_invitation_for(cast.coordinator, cast.client, MISSING)
    assert AuditEvent.objects.filter(category=Category.DENIED).count() == 3


@pytest.mark.parametrize("who", EVERYONE)
def test_concerns(cast, who):
    concern = concern_create(actor=cast.admin, name="Grief")
    actor = getattr(cast, who)
    if who in {"member", "member_b", "outsider"}:
        with pytest.raises(NotFound):
            get_concern_for(actor, concern.pk)
        return
    assert get_concern_for(actor, concern.pk) == concern
    with pytest.raises(NotFound):
        get_concern_for(actor, MISSING)
    if who == "admin":
        assert get_concern_for(actor, concern.pk, write=True) == concern
    else:
        with pytest.raises(NotPermitted):
            get_concern_for(actor, concern.pk, write=True)


@pytest.mark.parametrize("who", EVERYONE)
def test_own_record(cast, who):
    actor = getattr(cast, who)
    own = {"member": cast.client, "member_b": cast.client_b, "outsider": cast.outsider_client}
    if who in own:
        assert own_client(actor=actor) == own[who]
        assert AuditEvent.objects.filter(
            action="clients.client.viewed", actor=actor, client_id=own[who].pk
        ).exists()
    else:
        with pytest.raises(NotFound):
            own_client(actor=actor)
