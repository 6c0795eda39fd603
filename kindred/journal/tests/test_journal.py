"""The private journal: private by default, shared per entry with the group's
facilitators (screened for risk language), pages for members and facilitators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import ValidationFailed
from kindred.core.testing import Cast, signed_in
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.journal import services
from kindred.journal.access import audience_groups, shared_with_group
from kindred.journal.models import BODY_MAX, TITLE_MAX, JournalEntry
from kindred.journal.selectors import session_choices
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.notifications.models import Notification
from kindred.scheduling.models import GroupSession

RISKY = "Some nights I feel like I want to die and I don't know what to do."


def write(cast: Cast, body: str = "A calm week, mostly.", **kw: Any) -> JournalEntry:
    return services.entry_create(actor=cast.member, client=cast.client, body=body, **kw)


def past_session(cast: Cast) -> GroupSession:
    session = (
        GroupSession.objects.filter(group=cast.group_a, starts_at__lt=timezone.now())
        .order_by("-starts_at")
        .first()
    )
    assert session is not None
    return session


# --- services -----------------------------------------------------------------------------


def test_a_new_entry_is_private_and_unscreened(cast: Cast) -> None:
    entry = write(cast, body=RISKY, title="Tonight")
    assert not entry.shared_with_facilitator
    assert entry.shared_at is None
    assert entry.risk_categories == []
    assert not SafetyAlert.objects.exists()  # nobody reads a private entry
    assert list(shared_with_group(cast.group_a)) == []
    event = AuditEvent.objects.get(action="journal.entry.created")
    assert event.client_id == cast.client.pk
    assert "want to die" not in str(event.detail)


@pytest.mark.parametrize(
    ("title", "body", "field", "words"),
    [
        ("", "   ", "body", "Write something"),
        ("x" * (TITLE_MAX + 1), "fine", "title", f"{TITLE_MAX} characters"),
        ("", "x" * (BODY_MAX + 1), "body", f"{BODY_MAX} characters"),
    ],
)
def test_bad_input_is_refused_plainly_and_nothing_is_written(
    cast: Cast, title: str, body: str, field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.entry_create(actor=cast.member, client=cast.client, title=title, body=body)
    assert words in caught.value.errors[field][0]
    assert not JournalEntry.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="journal.").exists()


def test_a_session_must_be_of_the_members_own_group_and_not_in_the_future(cast: Cast) -> None:
    other = GroupSession.objects.filter(group=cast.group_b, starts_at__lt=timezone.now()).first()
    future = GroupSession.objects.filter(
        group=cast.group_a, starts_at__gt=timezone.now() + timedelta(days=2)
    ).first()
    assert other is not None
    assert future is not None
    for session in (other, future):
        with pytest.raises(ValidationFailed, match="your own group's sessions"):
            write(cast, session=session)
    assert not JournalEntry.objects.exists()
    mine = past_session(cast)
    assert mine in session_choices(cast.client)
    assert other not in session_choices(cast.client)
    assert write(cast, session=mine).session == mine


def test_sharing_shows_the_entry_to_the_groups_facilitators_only(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    entry = write(cast, body="I spoke up today.")
    private = write(cast, body="Just for me.")
    with django_capture_on_commit_callbacks(execute=True):
        services.entry_share(actor=cast.member, entry=entry)
    assert list(shared_with_group(cast.group_a)) == [entry]
    assert private not in shared_with_group(cast.group_a)
    assert list(shared_with_group(cast.group_b)) == []
    assert list(audience_groups(entry)) == [cast.group_a]
    told = Notification.objects.get(kind=services.NOTIFY_SHARED)
    assert told.user == cast.facilitator
    assert "spoke" not in told.title
    assert cast.member.full_name not in told.title
    assert not SafetyAlert.objects.exists()


def test_sharing_risk_language_raises_an_alert_in_the_same_transaction(cast: Cast) -> None:
    entry = write(cast, body=RISKY)
    services.entry_share(actor=cast.member, entry=entry)
    entry.refresh_from_db()
    assert entry.risk_flagged
    assert "suicidal_ideation" in entry.risk_categories
    alert = SafetyAlert.objects.get()
    assert alert.flag_code == f"journal.entry.{entry.pk}"
    assert alert.source == AlertSource.RISK_LANGUAGE
    assert alert.client_id == cast.client.pk
    assert alert.group_id == cast.group_a.pk
    shared = AuditEvent.objects.get(action="journal.entry.shared")
    assert shared.detail == {"groups": [cast.group_a.pk], "risk": True}


def test_editing_a_shared_entry_screens_it_again(cast: Cast) -> None:
    entry = write(cast, body="Fine.")
    services.entry_share(actor=cast.member, entry=entry)
    assert not SafetyAlert.objects.exists()
    services.entry_update(actor=cast.member, entry=entry, body=RISKY)
    assert entry.risk_flagged
    assert SafetyAlert.objects.filter(flag_code=f"journal.entry.{entry.pk}").count() == 1
    services.entry_update(
        actor=cast.member, entry=entry, body="I went for a walk and cooked dinner."
    )
    assert entry.risk_categories == []


def test_stopping_sharing_hides_it_and_earlier_reads_stay_in_the_audit_log(cast: Cast) -> None:
    entry = write(cast, body="Shared for a while.")
    services.entry_share(actor=cast.member, entry=entry)
    page = signed_in(cast.facilitator).get(reverse("web:journal_group", args=[cast.group_a.pk]))
    assert "Shared for a while." in page.content.decode()
    services.entry_unshare(actor=cast.member, entry=entry)
    page = signed_in(cast.facilitator).get(reverse("web:journal_group", args=[cast.group_a.pk]))
    assert "Shared for a while." not in page.content.decode()
    read = AuditEvent.objects.filter(action="journal.entry.viewed", object_id=str(entry.pk))
    assert read.count() == 1
    assert read.get().actor == cast.facilitator


def test_a_member_who_left_the_group_cannot_share_and_is_told_why(cast: Cast) -> None:
    entry = write(cast)
    Enrollment.objects.filter(client=cast.client).update(status=EnrollmentStatus.WITHDREW)
    with pytest.raises(ValidationFailed, match="no facilitator to share"):
        services.entry_share(actor=cast.member, entry=entry)
    entry.refresh_from_db()
    assert not entry.shared_with_facilitator


# --- pages ------------------------------------------------------------------------------


def test_the_member_writes_reads_and_lists_entries(cast: Cast) -> None:
    http = signed_in(cast.member)
    empty = http.get(reverse("web:journal"))
    assert "No entries yet." in empty.content.decode()
    session = past_session(cast)
    response = http.post(
        reverse("web:journal_new"),
        {"title": "After group", "body": "I *listened* more.", "session": str(session.pk)},
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert entry.session == session
    page = http.get(response["Location"]).content.decode()
    assert "<em>listened</em>" in page
    assert "Only you. This entry is private." in page
    listing = http.get(reverse("web:journal")).content.decode()
    assert "After group" in listing
    assert "Private" in listing


def test_the_form_shows_specific_errors_and_keeps_the_text(cast: Cast) -> None:
    http = signed_in(cast.member)
    response = http.post(reverse("web:journal_new"), {"title": "x" * 121, "body": "kept text"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "120 characters or fewer" in html
    assert "kept text" in html
    assert not JournalEntry.objects.exists()


def test_share_page_explains_who_will_read_it_and_crisis_shows_at_once(cast: Cast) -> None:
    http = signed_in(cast.member)
    entry = write(cast, body=RISKY)
    explain = http.get(reverse("web:journal_share", args=[entry.pk])).content.decode()
    assert cast.facilitator.full_name in explain
    assert "not the other members" in explain
    response = http.post(reverse("web:journal_share", args=[entry.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith("?support=1#support")
    page = http.get(response["Location"]).content.decode()
    assert "988" in page
    assert 'id="support"' in page
    calm = http.get(reverse("web:journal_entry", args=[entry.pk])).content.decode()
    assert 'id="support"' not in calm


@pytest.mark.parametrize(
    "who", ["member_b", "outsider", "facilitator", "admin", "coordinator", "supervisor"]
)
def test_nobody_else_reaches_a_private_entry(cast: Cast, who: str) -> None:
    entry = write(cast, body="CANARY-private")
    http = signed_in(getattr(cast, who))
    before = AuditEvent.objects.filter(action="journal.journalentry.denied").count()
    for name in ("journal_entry", "journal_edit", "journal_share", "journal_delete"):
        response = http.get(reverse(f"web:{name}", args=[entry.pk]))
        assert response.status_code == 404
        assert "CANARY" not in response.content.decode()
    assert http.post(reverse("web:journal_unshare", args=[entry.pk])).status_code == 404
    after = AuditEvent.objects.filter(action="journal.journalentry.denied").count()
    assert after == before + 5
    group = http.get(reverse("web:journal_group", args=[cast.group_a.pk]))
    assert "CANARY" not in group.content.decode()


@pytest.mark.parametrize("who", ["facilitator_b", "admin", "coordinator", "supervisor", "member"])
def test_only_the_groups_facilitators_open_its_shared_entries(cast: Cast, who: str) -> None:
    entry = write(cast, body="CANARY-shared")
    services.entry_share(actor=cast.member, entry=entry)
    response = signed_in(getattr(cast, who)).get(
        reverse("web:journal_group", args=[cast.group_a.pk])
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="journal.entry.viewed").exists()


def test_facilitator_page_is_empty_then_lists_shared_entries_with_risk(cast: Cast) -> None:
    http = signed_in(cast.facilitator)
    url = reverse("web:journal_group", args=[cast.group_a.pk])
    assert "Nothing shared yet." in http.get(url).content.decode()
    entry = write(cast, body=RISKY, title="Hard night")
    services.entry_share(actor=cast.member, entry=entry)
    write(cast, body="never shown")
    html = http.get(url).content.decode()
    assert "Hard night" in html
    assert cast.client.display_name in html
    assert "suicidal ideation" in html
    assert "never shown" not in html


def test_staff_have_no_journal(cast: Cast) -> None:
    assert signed_in(cast.facilitator).get(reverse("web:journal")).status_code == 404


def _shared_entries(cast: Cast, n: int) -> None:
    for i in range(n):
        entry = write(cast, body=f"entry {i}", title=f"t{i}")
        services.entry_share(actor=cast.member, entry=entry)


@pytest.mark.parametrize("n", [2, 12])
def test_pages_stay_within_a_constant_number_of_queries(
    cast: Cast, n: int, django_assert_max_num_queries: Any
) -> None:
    _shared_entries(cast, n)
    member = signed_in(cast.member)
    fac = signed_in(cast.facilitator)
    member.get(reverse("web:journal"))
    fac.get(reverse("web:journal_group", args=[cast.group_a.pk]))
    with django_assert_max_num_queries(12):
        assert member.get(reverse("web:journal")).status_code == 200
    with django_assert_max_num_queries(14):
        assert fac.get(reverse("web:journal_group", args=[cast.group_a.pk])).status_code == 200
