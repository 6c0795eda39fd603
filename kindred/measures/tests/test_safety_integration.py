"""Alerts are never lost, through the real answering flow: a member's PHQ-9 with item 9
above 0 has its alert the moment the answers are stored; two racing submissions leave
one alert; a completion that fails after the alert was written leaves neither."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.utils import IntegrityError

from kindred.core.testing import Cast
from kindred.measures.answering import administration_send, administration_submit
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Response,
    SafetyAlert,
)
from kindred.measures.testing import answers_for, install_builtin_instruments


def _sent(cast: Cast) -> Administration:
    phq9 = install_builtin_instruments().phq9
    return administration_send(
        actor=cast.facilitator, group=cast.group_a, client=cast.client, instrument=phq9
    )


def test_submitting_item9_writes_its_alert_with_the_answers(cast):
    administration = _sent(cast)
    result = administration_submit(
        actor=cast.member,
        administration=administration,
        version=administration.instrument_version,
        answers=answers_for("phq9", 0, item9=1),
    )
    assert result.crisis
    alert = SafetyAlert.objects.get(administration=administration)
    assert alert.flag_code == "phq9.item9"
    assert alert.group == cast.group_a
    # The invariant: every completed administration with the flag has its alert.
    flagged = [
        a.pk
        for a in Administration.objects.filter(status=AdministrationStatus.COMPLETED)
        if "phq9.item9" in (a.flags or [])
    ]
    assert flagged == [administration.pk]
    assert set(SafetyAlert.objects.values_list("administration_id", flat=True)) == set(flagged)


def test_submitting_twice_leaves_one_alert(cast):
    administration = _sent(cast)
    for _ in range(2):
        administration_submit(
            actor=cast.member,
            administration=administration,
            version=administration.instrument_version,
            answers=answers_for("phq9", 1, item9=2),
        )
    assert SafetyAlert.objects.filter(administration=administration).count() == 1


def test_a_failure_after_the_alert_rolls_back_answers_and_alert(cast):
    """A completion that fails after the alert row was written (here: a second alert
    row for the same flag, refused by the database, standing in for any later error in
    the same transaction) stores nothing: no answers, no alert, not completed."""
    administration = _sent(cast)
    trigger = _install_failing_trigger()
    try:
        with pytest.raises(IntegrityError):
            administration_submit(
                actor=cast.member,
                administration=administration,
                version=administration.instrument_version,
                answers=answers_for("phq9", 0, item9=3),
            )
    finally:
        _drop_trigger(trigger)
    administration.refresh_from_db()
    assert administration.status != AdministrationStatus.COMPLETED
    assert not Response.objects.filter(administration=administration).exists()
    assert not SafetyAlert.objects.exists()


def _install_failing_trigger() -> str:
    """A database trigger that fails the completion's audit row (written after the
    alert), so the error comes from inside the real transaction."""
    name = "m3_fail_completion_audit"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
                BEGIN
                  IF NEW.action = 'measures.administration.completed' THEN
                    RAISE EXCEPTION 'refused' USING ERRCODE = 'unique_violation';
                  END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql"""
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT ON audit_auditevent "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            cursor.execute(
                f"""CREATE TRIGGER {name} BEFORE INSERT ON audit_auditevent
                FOR EACH ROW WHEN NEW.action = 'measures.administration.completed'
                BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: refused'); END"""
            )
    return name


def _drop_trigger(name: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_auditevent")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: needs concurrent transactions on two connections.",
)
def test_two_racing_submissions_leave_one_alert(transactional_db, cast):
    administration = _sent(cast)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = administration_submit(
                actor=cast.member,
                administration=Administration.objects.get(pk=administration.pk),
                version=administration.instrument_version,
                answers=answers_for("phq9", 0, item9=1),
            )
        except Exception as exc:  # the result is what the test checks
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert SafetyAlert.objects.filter(administration=administration).count() == 1, results
    assert sorted(bool(getattr(r, "already_received", None)) for r in results) == [False, True]
