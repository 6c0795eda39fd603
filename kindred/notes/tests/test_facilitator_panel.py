"""The facilitator's home: the "Notes to write or sign" panel (their own sessions,
oldest first, each linked to its notes screen) and the page's query budget, which stays
at most 15 and the same however many sessions and notes there are."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kindred.core.testing import Cast, signed_in
from kindred.notes import services
from kindred.notes.selectors import TO_WRITE_ROWS, notes_to_write
from kindred.notes.testing import after, take_attendance, upcoming
from kindred.scheduling.dashboard import UNTAKEN_LIMIT, facilitator_home_context
from kindred.scheduling.models import GroupSession

pytestmark = pytest.mark.django_db

HOME = "/home/facilitator/"


def page_text(http: object, url: str = HOME) -> str:
    response = http.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def panel_of(page: str) -> str:
    return page.split("Notes to write or sign")[1].split("</section>", maxsplit=1)[0]


def count_home_queries(user: object) -> int:
    http = signed_in(user)  # type: ignore[arg-type]
    http.get(HOME)  # warm up: once-per-session work is not the page's
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(HOME).status_code == 200
    return len(ctx.captured_queries)


def past_sessions(cast: Cast, n: int, first: int = 1) -> list[GroupSession]:
    """Group A's upcoming sessions ``first``..``first + n - 1``, attendance taken (the
    tests then move the clock past them)."""
    sessions = [upcoming(cast.group_a, i) for i in range(first, first + n)]
    for s in sessions:
        take_attendance(s, cast.facilitator)
    return sessions


def older_than(session: GroupSession) -> list[int]:
    """The cast's group A sessions before ``session`` (attendance never taken)."""
    return list(
        GroupSession.objects.filter(group=session.group, starts_at__lt=session.starts_at)
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )


def test_the_panel_lists_the_facilitators_sessions_oldest_first_with_their_state(cast):
    first, second = past_sessions(cast, 2)
    older = older_than(first)
    assert len(older) == TO_WRITE_ROWS - 2
    services.group_note_save(
        actor=cast.facilitator, session=second, themes="Sleep.", now=second.ends_at
    )
    with after(second):
        page = page_text(signed_in(cast.facilitator))
    panel = panel_of(page)
    links = re.findall(r'href="/sessions/(\d+)/notes/"', panel)
    assert links == [str(pk) for pk in [*older, first.pk, second.pk]]
    assert panel.count("attendance not taken yet") == len(older)
    assert panel.count("not started") == 1
    assert panel.count("group note in draft") == 1
    assert "All unsigned notes by age" in panel
    # Another facilitator's panel does not list them.
    with after(second):
        other = panel_of(page_text(signed_in(cast.facilitator_b)))
    assert f"/sessions/{first.pk}/" not in other


def test_the_panel_shows_a_few_and_says_how_many_more(cast):
    sessions = past_sessions(cast, 4)
    expected = [*older_than(sessions[0]), *(s.pk for s in sessions)]
    with after(sessions[-1]):
        rows, total = notes_to_write(cast.facilitator, sessions[-1].ends_at + timedelta(hours=1))
        panel = panel_of(page_text(signed_in(cast.facilitator)))
    assert total == len(expected)
    assert [r.session.pk for r in rows] == expected[:TO_WRITE_ROWS]
    assert f"{len(expected) - TO_WRITE_ROWS} more: see all unsigned notes" in panel


def test_signed_sessions_leave_the_panel(cast):
    (s,) = past_sessions(cast, 1)
    services.group_note_save(actor=cast.facilitator, session=s, themes="Sleep.", now=s.ends_at)
    for client in (cast.client, cast.client_b):
        services.member_note_save(
            actor=cast.facilitator,
            session=s,
            client_id=client.pk,
            sections={"data": "Shared."},
            now=s.ends_at,
        )
    with after(s):
        services.notes_sign_all(actor=cast.facilitator, session=s, names_confirmed=True)
        panel = panel_of(page_text(signed_in(cast.facilitator)))
    assert f"/sessions/{s.pk}/" not in panel
    assert "not started" not in panel


def test_staff_without_a_clinician_profile_get_no_panel(cast):
    from kindred.notes.panels import facilitator_notes_panel

    assert facilitator_notes_panel(cast.coordinator) is None
    assert facilitator_notes_panel(cast.facilitator) is not None


def test_the_home_keeps_its_query_count_as_sessions_and_notes_grow(cast):
    (one,) = past_sessions(cast, 1)
    with after(one):
        few = count_home_queries(cast.facilitator)
    many = past_sessions(cast, 8, first=2)
    for s in many[:4]:
        services.group_note_save(actor=cast.facilitator, session=s, themes="x", now=s.ends_at)
        services.member_note_save(
            actor=cast.facilitator,
            session=s,
            client_id=cast.client.pk,
            sections={"data": "Shared."},
            now=s.ends_at,
        )
    take_attendance(many[-1], cast.facilitator, absent=[cast.client, cast.client_b])
    with after(many[-1]):
        more = count_home_queries(cast.facilitator)
        rows, total = notes_to_write(cast.facilitator, many[-1].ends_at + timedelta(hours=1))
    assert total == len(older_than(one)) + 9
    assert len(rows) == TO_WRITE_ROWS
    assert more == few
    assert more <= 15


def test_attendance_to_take_counts_beyond_the_listed_sessions(cast):
    """The total of untaken attendance comes with the listed rows (a window count)."""
    from datetime import time

    from django.utils import timezone

    from kindred.groups.services import group_create
    from kindred.scheduling.dashboard import sessions_run_by
    from kindred.scheduling.models import SessionStatus

    today = timezone.localdate()
    group_create(
        actor=None,
        name="Daily check-in",
        description="A daily group for the count test.",
        lead_facilitator=cast.clinician,
        recurrence="FREQ=DAILY;COUNT=40",
        start_date=today - timedelta(days=30),
        start_time=time(9),
        timezone="America/Chicago",
        modality="virtual",
        status="active",
    )
    home = facilitator_home_context(actor=cast.facilitator)
    untaken = sessions_run_by(cast.clinician).filter(
        status=SessionStatus.SCHEDULED,
        attendance_taken_at__isnull=True,
        pk__in=[r.session.pk for r in home["untaken"]],
    )
    assert len(home["untaken"]) == UNTAKEN_LIMIT == untaken.count()
    assert home["untaken_count"] > UNTAKEN_LIMIT
    earliest = timezone.now() - timedelta(days=90)
    expected = sessions_run_by(cast.clinician).filter(
        status=SessionStatus.SCHEDULED,
        attendance_taken_at__isnull=True,
        starts_at__gte=earliest,
        starts_at__lt=min(r.session.starts_at for r in home["today"] + home["upcoming"]),
    )
    assert home["untaken_count"] == expected.count()
