"""Safety alerts are raised in the caller's transaction, once per flag, and the people
who must act are told after commit without any clinical content."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast
from kindred.groups.services import enrollment_activate, enrollment_invite
from kindred.measures.models import Administration, AlertSource, AlertStatus, Response, SafetyAlert
from kindred.measures.safety import (
    PHQ9_ITEM9_FLAG,
    alerting_flags,
    raise_alert,
    raise_alerts_for_administration,
)
from kindred.measures.tests.outcome_support import completed, instrument
from kindred.notifications.models import Notification

ITEM9_ANSWERS = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 1}


def _raise(admin: Administration) -> list[SafetyAlert]:
    with transaction.atomic():
        return raise_alerts_for_administration(admin)


def test_one_alert_per_flag_whatever_the_total(cast):
    admin = completed(
        cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a
    )
    assert admin.total == 1  # minimal: the alert does not depend on the total

    alerts = _raise(admin)

    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.flag_code == PHQ9_ITEM9_FLAG
    assert alert.source == AlertSource.ITEM_FLAG
    assert alert.status == AlertStatus.OPEN
    assert alert.client == cast.client
    assert alert.group == cast.group_a
    assert alert.administration == admin
    event = AuditEvent.objects.get(action="measures.safety_alert.raised")
    assert event.client_id == cast.client.pk
    assert "phq9" not in str(event.detail)


def test_raising_twice_leaves_one_alert(cast):
    admin = completed(
        cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a
    )
    first = _raise(admin)
    second = _raise(admin)
    assert [a.pk for a in first] == [a.pk for a in second]
    assert SafetyAlert.objects.count() == 1
    assert AuditEvent.objects.filter(action="measures.safety_alert.raised").count() == 1


def test_every_defined_flag_raises_its_own_alert(cast):
    inst = instrument("phq9")
    inst.definition = {
        **inst.definition,
        "flags": [
            *inst.definition.get("flags", []),
            {"code": "phq9.other", "on": "total", "op": ">=", "value": 20, "safety": True},
            {"code": "phq9.info", "on": "total", "op": ">=", "value": 10},
        ],
    }
    inst.save(update_fields=["definition"])
    admin = completed(
        cast.client,
        "phq9",
        total=24,
        flags=[PHQ9_ITEM9_FLAG, "phq9.other", "phq9.info", {"code": "phq9.other"}],
        group=cast.group_a,
    )
    # phq9.info is informational (not a safety flag); an unknown cached flag alerts.
    assert alerting_flags(admin) == [PHQ9_ITEM9_FLAG, "phq9.other"]
    assert sorted(a.flag_code for a in _raise(admin)) == ["phq9.item9", "phq9.other"]


def test_item9_cannot_be_switched_off(cast):
    inst = instrument("phq9")
    inst.definition = {**inst.definition, "flags": [{"code": PHQ9_ITEM9_FLAG, "safety": False}]}
    inst.save(update_fields=["definition"])
    admin = completed(cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG])
    assert len(_raise(admin)) == 1


def test_item9_alerts_even_when_the_cached_flags_are_empty(cast):
    admin = completed(cast.client, "phq9", ITEM9_ANSWERS, flags=[], group=cast.group_a)
    assert [a.flag_code for a in _raise(admin)] == [PHQ9_ITEM9_FLAG]


def test_informational_flags_raise_no_alert(cast, builtin_instruments):
    who5 = builtin_instruments.who5
    flags = [f["code"] for f in who5.definition["flags"] if not f.get("safety")]
    assert flags  # WHO-5 flags poor well-being, which is not a safety signal
    admin = completed(cast.client, "who5", {}, total=8, flags=flags, complete=True)
    assert _raise(admin) == []


def test_no_flags_no_alerts(cast):
    admin = completed(cast.client, "phq9", total=18, group=cast.group_a)
    assert _raise(admin) == []
    assert not SafetyAlert.objects.exists()


def test_refuses_to_run_outside_a_transaction(transactional_db, cast):
    admin = completed(cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG])
    with pytest.raises(RuntimeError, match="inside the transaction"):
        raise_alerts_for_administration(admin)
    assert not SafetyAlert.objects.exists()


def _complete_then_fail(cast: Cast) -> None:
    with transaction.atomic():
        admin = completed(
            cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a
        )
        assert len(raise_alerts_for_administration(admin)) == 1
        assert SafetyAlert.objects.count() == 1
        raise ZeroDivisionError  # anything failing later in the completing transaction


def test_an_error_after_the_alert_rolls_back_answers_and_alert(cast):
    """Alerts are never lost, and never orphaned: both are written or neither."""
    with pytest.raises(ZeroDivisionError):
        _complete_then_fail(cast)
    assert not Response.objects.exists()
    assert not SafetyAlert.objects.exists()


def test_facilitators_are_told_after_commit_without_clinical_content(
    cast, django_capture_on_commit_callbacks
):
    admin = completed(
        cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alert = _raise(admin)[0]
    assert not Notification.objects.exists()  # nobody is told before commit
    assert not mail.outbox
    for callback in callbacks:
        callback()

    notes = list(Notification.objects.all())
    assert [n.user for n in notes] == [cast.facilitator]
    note = notes[0]
    assert note.url == f"/alerts/{alert.pk}/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.facilitator.email]
    assert "A safety alert is waiting in Kindred. Sign in to see it." in message.body
    everything = f"{message.subject} {message.body} {note.title} {note.body}"
    for secret in (
        cast.client.legal_first_name,
        cast.client.legal_last_name,
        cast.client.display_name,
        cast.group_a.name,
        "PHQ",
        "item",
        "suicid",
        "self-harm",
    ):
        assert secret.lower() not in everything.lower()

    # Running the after-commit work again tells nobody twice.
    for callback in callbacks:
        callback()
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_co_facilitators_are_told_and_the_other_group_is_not(
    cast, django_capture_on_commit_callbacks
):
    cast.group_a.co_facilitators.add(cast.clinician_b)
    admin = completed(
        cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a
    )
    with django_capture_on_commit_callbacks(execute=True):
        _raise(admin)
    told = set(Notification.objects.values_list("user__email", flat=True))
    assert told == {cast.facilitator.email, cast.facilitator_b.email}
    assert cast.supervisor.email not in told


def test_without_a_group_the_alert_goes_to_the_members_only_group(
    cast, django_capture_on_commit_callbacks
):
    admin = completed(cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG])
    with django_capture_on_commit_callbacks(execute=True):
        alert = _raise(admin)[0]
    assert alert.group == cast.group_a
    assert list(Notification.objects.values_list("user", flat=True)) == [cast.facilitator.pk]


def test_without_a_group_and_several_places_every_groups_facilitators_are_told(
    cast, django_capture_on_commit_callbacks
):
    enrollment_activate(
        actor=None, enrollment=enrollment_invite(actor=None, group=cast.group_b, client=cast.client)
    )
    admin = completed(cast.client, "phq9", ITEM9_ANSWERS, flags=[PHQ9_ITEM9_FLAG])
    with django_capture_on_commit_callbacks(execute=True):
        alert = _raise(admin)[0]
    assert alert.group is None
    told = set(Notification.objects.values_list("user", flat=True))
    assert told == {cast.facilitator.pk, cast.facilitator_b.pk}
    assert len(mail.outbox) == 2


def test_raise_alert_does_not_pile_up_open_alerts(cast):
    with transaction.atomic():
        first = raise_alert(
            client_id=cast.client.pk,
            group_id=cast.group_a.pk,
            source=AlertSource.RELIABLE_DETERIORATION,
            flag_code="phq9.deterioration",
        )
        again = raise_alert(
            client_id=cast.client.pk,
            group_id=cast.group_a.pk,
            source=AlertSource.RELIABLE_DETERIORATION,
            flag_code="phq9.deterioration",
        )
    assert first is not None
    assert again is None
    assert SafetyAlert.objects.count() == 1
