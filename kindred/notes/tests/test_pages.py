"""The notes pages: one screen for the group note and every member's note (constant
queries for 3 or 10 members), per-part saves with htmx, sign all, the naming warning,
signed notes read-only with addenda, the co-sign queue, the unsigned-notes dashboard,
a member's chart (redacted), the settings page; who may open what; audit of reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse

from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.core.testing import Cast, signed_in
from kindred.measures.models import AlertStatus, SafetyAlert
from kindred.measures.safety import PHQ9_ITEM9_FLAG, raise_alerts_for_administration
from kindred.measures.tests.outcome_support import completed
from kindred.notes import access, selectors, services
from kindred.notes.models import GroupNote, MemberNote, NoteStatus
from kindred.notes.note_settings import note_settings_update
from kindred.notes.testing import add_members, after, at, take_attendance, upcoming
from kindred.scheduling.attendance import seated_clients
from kindred.scheduling.models import ATTENDED_STATUSES, Attendance, GroupSession


def url(session: GroupSession) -> str:
    return reverse("web:session_notes", args=[session.pk])


def test_the_screen_shows_the_group_note_and_a_note_per_attending_member(cast):
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator, absent=[cast.client_b])
    with after(s):
        page = signed_in(cast.facilitator).get(url(s))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Group note" in html
    assert f'name="m{cast.client.pk}-data"' in html
    assert f'name="m{cast.client_b.pk}-data"' not in html  # absent: no note
    assert "Absent: an absence entry, no note" in html
    assert "Blair Member" in html
    assert AuditEvent.objects.filter(action="notes.session_notes.viewed").count() == 1
    with after(s):
        services.member_note_save(
            actor=cast.facilitator, session=s, client_id=cast.client.pk, plan="Weekly."
        )
        signed_in(cast.supervisor).get(url(s))
    # Each read of a member's note is audited on that member's record, by who read it.
    read = AuditEvent.objects.get(action="notes.member_note.viewed")
    assert (read.client_id, read.actor) == (cast.client.pk, cast.supervisor)


def _post_all(
    http: HttpClient,
    session: GroupSession,
    cast: Cast,
    extra: dict[str, str] | None = None,
    clients: Sequence[Client] = (),
) -> Any:
    data = {
        "action": "save",
        "g-themes": "Holidays and family.",
        "g-interventions": "Grounding exercise.",
        "g-process": "Warm.",
    }
    for client in clients or [cast.client, cast.client_b]:
        data[f"m{client.pk}-data"] = "Took part."
        data[f"m{client.pk}-assessment"] = "Steady."
        data[f"m{client.pk}-risk"] = "None noted."
        data[f"m{client.pk}-plan"] = "Continue."
    data.update(extra or {})
    return http.post(url(session), data)


def test_save_draft_then_sign_all_without_javascript(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        response = _post_all(http, session, cast)
        assert response.status_code == 302
        assert GroupNote.objects.get().status == NoteStatus.DRAFT
        assert MemberNote.objects.count() == 2
        response = _post_all(http, session, cast, {"action": "sign"})
        assert response.status_code == 302
    assert GroupNote.objects.get().status == NoteStatus.SIGNED
    assert set(MemberNote.objects.values_list("status", flat=True)) == {NoteStatus.SIGNED}
    with after(session):
        page = http.get(url(session))
    html = page.content.decode()
    assert "Signed" in html
    assert 'name="g-themes"' not in html  # read-only
    assert "Add an addendum" in html


def test_one_part_saves_alone_with_htmx(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        response = http.post(
            url(session),
            {"save_part": f"member-{cast.client.pk}", f"m{cast.client.pk}-plan": "Weekly."},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<section")
    assert "Saved." in html
    assert MemberNote.objects.get().plan == "Weekly."
    assert not GroupNote.objects.exists()


def test_errors_are_shown_beside_the_field_and_nothing_is_saved(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        response = http.post(url(session), {"action": "save", "g-themes": "x" * 10001})
    assert response.status_code == 400
    assert 'id="g-themes-error"' in response.content.decode()
    assert not GroupNote.objects.exists()


def test_the_naming_warning_asks_before_signing(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        _post_all(http, session, cast, {"g-themes": "Avery spoke first."})
        page = http.get(url(session))
        assert "The group note names members" in page.content.decode()
        response = _post_all(http, session, cast, {"action": "sign", "g-themes": "Avery spoke."})
        assert response.status_code == 400
        assert 'id="confirm-error"' in response.content.decode()
        assert GroupNote.objects.get().status == NoteStatus.DRAFT
        response = _post_all(
            http,
            session,
            cast,
            {"action": "sign", "g-themes": "Avery spoke.", "confirm_names": "on"},
        )
        assert response.status_code == 302
    assert GroupNote.objects.get().status == NoteStatus.SIGNED


def test_addendum_from_the_page(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        _post_all(http, session, cast, {"action": "sign"})
    note = MemberNote.objects.get(client=cast.client)
    add_url = reverse("web:note_addendum", args=["member", note.pk])
    with after(session, 2):
        http = signed_in(cast.facilitator)
        bad = http.post(add_url, {"reason": "", "text": "x"})
        assert bad.status_code == 400
        good = http.post(add_url, {"reason": "Correction", "text": "Plan is fortnightly."})
        assert good.status_code == 302
        page = http.get(url(session))
    assert "Plan is fortnightly." in page.content.decode()
    # Someone who cannot read the session gets 404 and a denied event.
    with after(session, 2):
        other = signed_in(cast.facilitator_b).post(add_url, {"reason": "r", "text": "t"})
    assert other.status_code == 404
    assert AuditEvent.objects.filter(action="notes.membernote.denied").exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("facilitator", 200),
        ("supervisor", 200),
        ("admin", 200),
        ("coordinator", 403),
        ("billing", 404),
        ("facilitator_b", 404),
        ("member", 404),
        ("outsider", 404),
    ],
)
def test_who_may_open_the_notes_screen(cast, session, who, status):
    with after(session):
        response = signed_in(getattr(cast, who)).get(url(session))
    assert response.status_code == status


def test_only_facilitators_may_post(cast, session):
    with after(session):
        response = _post_all(signed_in(cast.supervisor), session, cast)
    assert response.status_code == 403
    assert not GroupNote.objects.exists()


ITEM9 = {f"item{i}": 0 for i in range(1, 10)} | {"item9": 1}

#: PERFORMANCE.md: every main page in at most 15 queries, whatever the data.
BUDGET = 15


def busy_session(cast: Cast, extra: int, *, sign: bool, index: int = 1) -> GroupSession:
    """A session of group A with ``extra`` more members (member_b a no-show), each with
    scores the day before, every third with an open safety alert, and every note
    written by the facilitator: drafts, or signed (they co-sign for their supervisor)
    with an addendum on the group note and on three member notes."""
    s = upcoming(cast.group_a, index=index)
    already = len(seated_clients(s))
    add_members(cast.group_a, extra, start=already)
    take_attendance(s, cast.facilitator, absent=[cast.client_b])
    with at(s.starts_at - timedelta(days=1)):
        for i, client in enumerate(seated_clients(s)):
            completed(client, "phq9", total=5 + i, group=cast.group_a)
            completed(client, "gad7", total=3 + i, group=cast.group_a)
            if i % 3 == 0:
                risk = completed(client, "phq9", ITEM9, flags=[PHQ9_ITEM9_FLAG], group=cast.group_a)
                with transaction.atomic():
                    raise_alerts_for_administration(risk)
    with after(s):
        services.group_note_save(actor=cast.facilitator, session=s, themes="Sleep.")
        for att in Attendance.objects.filter(session=s, status__in=ATTENDED_STATUSES):
            services.member_note_save(
                actor=cast.facilitator,
                session=s,
                client_id=att.client_id,
                sections={"data": "Took part.", "assessment": "Steady."},
                risk="None noted.",
                plan="Continue.",
            )
        if sign:
            done = services.notes_sign_all(actor=cast.facilitator, session=s, names_confirmed=True)
            assert done.group_note is not None
            signed: list[GroupNote | MemberNote] = [done.group_note, *done.member_notes[:3]]
            for note in signed:
                services.addendum_add(
                    actor=cast.facilitator, note=note, reason="Correction", text="Also noted."
                )
    assert SafetyAlert.objects.filter(status=AlertStatus.OPEN).exists()
    return s


def queries_for(
    http: HttpClient, path: str, django_assert_max_num_queries: Any, budget: int = BUDGET
) -> tuple[int, Any]:
    """The queries of the second GET (the first may save the login session, as the
    benchmark discards it too)."""
    assert http.get(path).status_code == 200
    with django_assert_max_num_queries(budget) as ctx:
        response = http.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("sign", [False, True], ids=["drafts", "signed"])
def test_the_screen_stays_within_the_budget_for_3_or_10_members(
    cast, django_assert_max_num_queries, sign
):
    counts = []
    for index, extra, members in ((1, 1, 3), (2, 7, 10)):
        s = busy_session(cast, extra, sign=sign, index=index)
        with after(s):
            n, page = queries_for(
                signed_in(cast.facilitator), url(s), django_assert_max_num_queries
            )
        html = page.content.decode()
        # Everything is drawn: every attending member, scores, an alert, the addenda.
        attending = Attendance.objects.filter(session=s, status__in=ATTENDED_STATUSES).count()
        assert attending == members - 1  # member_b a no-show
        assert html.count("Took part.") >= attending
        assert "PHQ-9" in html
        if sign:
            assert html.count("Also noted.") == 1 + min(3, attending)
            assert "Fern Facilitator" in html
        else:
            assert "alert" in html.lower()
        counts.append(n)
    assert counts[1] <= counts[0]


def test_who_writes_on_the_screen_is_who_runs_the_session(cast):
    """The screen decides who may write in its own query: the same answer as
    ``access.may_write_notes`` for the lead, a co-facilitator, a substitute covering,
    the lead being covered, and the supervisor."""
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator)
    cases = [(cast.facilitator, True), (cast.supervisor, False)]
    for who, expected in cases:
        sheet = selectors.notes_sheet(actor=who, session=s)
        assert sheet.can_write is expected is access.may_write_notes(who, s), who
    cast.group_a.co_facilitators.add(cast.clinician_b)
    s = GroupSession.objects.select_related("group").get(pk=s.pk)
    assert selectors.notes_sheet(actor=cast.facilitator_b, session=s).can_write
    cast.group_a.co_facilitators.remove(cast.clinician_b)
    s.substitute_facilitator = cast.clinician_b
    s.save(update_fields=["substitute_facilitator"])
    s = GroupSession.objects.select_related("group").get(pk=s.pk)
    for who, expected in [(cast.facilitator_b, True), (cast.facilitator, False)]:
        sheet = selectors.notes_sheet(actor=who, session=s)
        assert sheet.can_write is expected is access.may_write_notes(who, s), who


def test_the_screen_uses_the_practice_s_note_settings(cast):
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator)
    template = {
        part: {"heading": f"Our {part}", "prompt": f"Write the {part}."}
        for part in ("themes", "interventions", "process")
    }
    note_settings_update(
        actor=cast.admin,
        member_note_format="soap",
        group_note_template=template,
        late_entry_hours=48,
        cosign_supervisees=True,
        require_signed_for_billing=False,
    )
    sheet = selectors.notes_sheet(actor=cast.facilitator, session=s)
    assert sheet.note_format == "soap"
    assert [p.heading for p in sheet.group_parts] == [
        "Our themes",
        "Our interventions",
        "Our process",
    ]
    assert [x.key for x in sheet.members[0].sections] == [
        "subjective",
        "objective",
        "assessment",
    ]  # the plan has its own field


def test_a_member_with_a_note_but_no_place_any_more_still_shows(cast, session):
    from kindred.groups.models import Enrollment

    with after(session):
        services.member_note_save(
            actor=cast.facilitator, session=session, client_id=cast.client.pk, plan="Weekly."
        )
    # The enrollment is corrected afterwards: no place that day any more.
    Enrollment.objects.filter(client=cast.client, group=cast.group_a).update(activated_at=None)
    sheet = selectors.notes_sheet(actor=cast.facilitator, session=session)
    rows = {row.client.pk: row for row in sheet.members}
    note = rows[cast.client.pk].note
    assert note is not None
    assert note.plan == "Weekly."
    assert [r.client.pk for r in sheet.members][-1] == cast.client.pk  # after those seated
    assert AuditEvent.objects.filter(
        action="notes.member_note.viewed", client_id=cast.client.pk
    ).exists()
    assert AuditEvent.objects.filter(
        action="notes.session_notes.viewed", client_id__isnull=True
    ).exists()


def test_the_cosign_queue(cast, session):
    with after(session):
        _post_all(signed_in(cast.facilitator), session, cast, {"action": "sign"})
    http = signed_in(cast.supervisor)  # in real time: signing was a week ahead
    page = http.get(reverse("web:notes_cosign_queue"))
    html = page.content.decode()
    assert "Group note" in html
    assert "Note for Avery Member" in html
    note = GroupNote.objects.get()
    response = http.post(reverse("web:note_cosign", args=["group", note.pk]))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.COSIGNED
    # The facilitator cannot co-sign their own note (refused, nothing changed).
    member_note = MemberNote.objects.get(client=cast.client)
    signed_in(cast.facilitator).post(reverse("web:note_cosign", args=["member", member_note.pk]))
    member_note.refresh_from_db()
    assert member_note.status == NoteStatus.SIGNED


def test_cosign_refuses_a_reader_who_is_not_the_supervisor_whatever_the_state(cast, session):
    """Issue 9: someone who may read a draft note but is not the author's supervisor
    gets a 403 page (not the redirect with the state's message); the supervisor gets
    the redirect back with the reason."""
    with after(session):
        _post_all(signed_in(cast.facilitator), session, cast)
    note = GroupNote.objects.get()
    assert note.status == NoteStatus.DRAFT
    cosign = reverse("web:note_cosign", args=["group", note.pk])
    for reader in (cast.facilitator, cast.admin):
        assert signed_in(reader).post(cosign).status_code == 403
    assert signed_in(cast.supervisor).post(cosign).status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT


def test_the_unsigned_dashboard_by_age(cast, django_assert_max_num_queries):
    s1 = upcoming(cast.group_a, index=1)
    s2 = upcoming(cast.group_a, index=2)
    take_attendance(s1, cast.facilitator)
    with after(s1):
        services.group_note_save(actor=cast.facilitator, session=s1, themes="Draft")
    # Five days after the second session: s2 is 4–7 days old, s1 older.
    with at(s2.ends_at + timedelta(days=5)):
        http = signed_in(cast.facilitator)
        with django_assert_max_num_queries(18):
            page = http.get(reverse("web:notes_unsigned"))
        html = page.content.decode()
        assert "4 to 7 days ago: <strong>1</strong>" in html
        assert "Today: <strong>0</strong>" in html
        assert "group note in draft by Fern Facilitator" in html
        board = selectors.unsigned_dashboard(actor=cast.facilitator)
        assert [r.session for r in board.rows["days_4_7"]] == [s2]
        assert s1 in [r.session for r in board.rows["older"]]
        # Earlier sessions without notes count too; the supervisor sees the same.
        assert selectors.unsigned_dashboard(actor=cast.supervisor).counts == board.counts
        other = signed_in(cast.facilitator_b).get(reverse("web:notes_unsigned")).content.decode()
        assert "Steady Ground" not in other
        admin = signed_in(cast.admin).get(reverse("web:notes_unsigned")).content.decode()
        assert "Steady Ground" in admin


def test_the_members_chart_gets_the_group_note_without_other_names(cast, session):
    with after(session):
        _post_all(
            signed_in(cast.facilitator),
            session,
            cast,
            {"action": "sign", "g-process": "Blair comforted Avery.", "confirm_names": "on"},
        )
    http = signed_in(cast.facilitator)  # back in real time
    page = http.get(reverse("web:client_notes", args=[cast.client.pk]))
    html = page.content.decode()
    # (The cast share the last name "Member": that word alone would be "a member".)
    assert "another member comforted Avery." in html
    assert "Blair" not in html
    other = http.get(reverse("web:client_notes", args=[cast.client_b.pk])).content.decode()
    assert "Blair comforted another member." in other
    event = AuditEvent.objects.filter(action="notes.member_notes.viewed").first()
    assert event is not None
    assert event.client_id in (cast.client.pk, cast.client_b.pk)
    assert (
        signed_in(cast.facilitator_b)
        .get(reverse("web:client_notes", args=[cast.client.pk]))
        .status_code
        == 404
    )


def test_the_settings_page_is_for_admins(cast):
    page = signed_in(cast.admin).get(reverse("web:note_settings"))
    assert page.status_code == 200
    data = {
        "member_note_format": "soap",
        "late_entry_hours": "48",
        "cosign_supervisees": "on",
        "themes_heading": "Themes",
        "themes_prompt": "",
        "interventions_heading": "What we did",
        "interventions_prompt": "",
        "process_heading": "",
        "process_prompt": "",
    }
    bad = signed_in(cast.admin).post(reverse("web:note_settings"), data)
    assert bad.status_code == 400
    data["process_heading"] = "How it went"
    good = signed_in(cast.admin).post(reverse("web:note_settings"), data)
    assert good.status_code == 302
    assert signed_in(cast.facilitator).get(reverse("web:note_settings")).status_code == 404


def test_supervisor_and_admin_homes_show_the_notes_panel(cast, session):
    with after(session):
        _post_all(signed_in(cast.facilitator), session, cast, {"action": "sign"})
    page = signed_in(cast.supervisor).get("/home/supervisor/").content.decode()
    assert "Session notes" in page
    assert "2 notes wait for your co-signature." not in page  # group + 2 members = 3
    assert "3 notes wait for your co-signature." in page
    admin = signed_in(cast.admin).get("/home/admin/").content.decode()
    assert "sessions have notes to write or sign" in admin
    assert reverse("web:note_settings") in admin


def test_a_coordinator_sees_the_client_but_not_their_notes(cast):
    response = signed_in(cast.coordinator).get(reverse("web:client_notes", args=[cast.client.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="notes.member_notes.viewed").exists()


def test_the_supervisor_cosigns_from_the_session_page(cast, session):
    with after(session):
        _post_all(signed_in(cast.facilitator), session, cast, {"action": "sign"})
    http = signed_in(cast.supervisor)
    html = http.get(url(session)).content.decode()
    assert "Co-sign the group note" in html
    assert "Co-sign the note for Avery Member" in html
    note = GroupNote.objects.get()
    response = http.post(reverse("web:note_cosign", args=["group", note.pk]) + "?next=session")
    assert response["Location"] == url(session)
    note.refresh_from_db()
    assert note.status == NoteStatus.COSIGNED
    assert "Co-sign the group note" not in http.get(url(session)).content.decode()
    # The author sees no co-sign button on their own notes.
    with after(session):
        own = signed_in(cast.facilitator).get(url(session)).content.decode()
    assert "Co-sign the note for" not in own


def test_the_chart_removes_other_names_from_member_notes_and_addenda_too(cast, session):
    with after(session):
        http = signed_in(cast.facilitator)
        _post_all(
            http,
            session,
            cast,
            {
                "action": "sign",
                "confirm_names": "on",
                f"m{cast.client.pk}-data": "Avery supported Blair.",
            },
        )
        note = GroupNote.objects.get()
        services.addendum_add(
            actor=cast.facilitator, note=note, reason="Detail", text="Blair left early."
        )
    html = (
        signed_in(cast.facilitator)
        .get(reverse("web:client_notes", args=[cast.client.pk]))
        .content.decode()
    )
    assert "Avery supported another member." in html
    assert "another member left early." in html
    assert "Blair" not in html


def test_a_cancelled_session_has_no_note_forms(cast):
    from kindred.scheduling.session_services import session_cancel

    s = upcoming(cast.group_a)
    session_cancel(actor=cast.coordinator, session=s, reason="Facilitator ill")
    html = signed_in(cast.facilitator).get(url(s)).content.decode()
    assert "This session was cancelled, so it has no notes." in html
    assert 'name="g-themes"' not in html
