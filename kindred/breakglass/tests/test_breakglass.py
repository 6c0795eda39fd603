"""Break-glass access: the grant in the one place that decides record access
(clients/access.py), flagged access, re-authentication, expiry, alerts and review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db.models import QuerySet
from django.test import Client as HttpClient

from kindred.audit.models import AuditEvent
from kindred.breakglass.access import granted_client_ids
from kindred.breakglass.models import BreakGlassGrant
from kindred.breakglass.services import breakglass_acknowledge, breakglass_end, breakglass_open
from kindred.clients.access import _group_clients, get_client_for, visible_clients
from kindred.clients.models import Client
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed
from kindred.core.testing import PASSWORD, signed_in
from kindred.notifications.models import Notification

REASON = "Member called the front desk in distress; their facilitator is on leave today."
OPEN = "/emergency-access/"
REVIEW = "/emergency-access/review/"


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC), tick=False) as t:
        yield t


def confirmed(user) -> HttpClient:
    http = signed_in(user)
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


def grant(cast, user=None, client=None, **kwargs) -> BreakGlassGrant:
    return breakglass_open(
        actor=user or cast.facilitator_b,
        client=client or cast.client,
        reason=kwargs.pop("reason", REASON),
        reauthenticated=True,
    )


# --- The access matrix ------------------------------------------------------------------


def matrix_violations(cast, clock, visible) -> list[str]:
    """Run the break-glass cases against ``visible`` (a visible_clients-like function);
    return what it got wrong."""
    wrong: list[str] = []

    def check(label: str, user, client: Client, expected: bool) -> None:
        got = visible(user).filter(pk=client.pk).exists()
        if got != expected:
            wrong.append(f"{label}: expected {expected}, got {got}")

    fb = cast.facilitator_b
    check("no grant", fb, cast.client, False)
    g = grant(cast)
    check("active grant", fb, cast.client, True)
    check("one client only", fb, cast.client_b, False)
    check("own groups still", fb, cast.outsider_client, True)
    grant(cast, user=cast.facilitator, client=cast.outsider_client)
    check("not another clinician's grant", cast.supervisor, cast.outsider_client, False)
    check("billing never", cast.billing, cast.client, False)
    check("members never", cast.member, cast.client, False)
    clock.shift(timedelta(minutes=59))
    check("59 minutes", fb, cast.client, True)
    clock.shift(timedelta(minutes=1, seconds=1))
    check("after 60 minutes", fb, cast.client, False)
    g2 = grant(cast)
    assert g2.pk != g.pk
    breakglass_end(actor=fb, grant=g2)
    check("ended early", fb, cast.client, False)
    fb.is_active = False
    check("account switched off", fb, cast.client, False)
    fb.is_active = True
    return wrong


def test_access_matrix(cast, clock):
    assert matrix_violations(cast, clock, visible_clients) == []


def test_the_matrix_catches_a_grant_that_ignores_expiry_and_owner(cast, clock):
    """A deliberately broken rule: any grant, of anyone, never expiring."""

    def broken(actor) -> QuerySet[Client]:
        if not getattr(actor, "is_staff_member", False) or not actor.is_active:
            return Client.objects.none()
        if "billing" in actor.roles:
            return Client.objects.none()
        return _group_clients(actor) | Client.objects.filter(
            pk__in=BreakGlassGrant.objects.values("client_id")
        )

    wrong = matrix_violations(cast, clock, broken)
    assert "after 60 minutes: expected False, got True" in wrong
    assert "ended early: expected False, got True" in wrong
    assert "not another clinician's grant: expected False, got True" in wrong


def test_admins_and_coordinators_see_everything_already(cast):
    for user in (cast.admin, cast.coordinator):
        with pytest.raises(NotPermitted):
            grant(cast, user=user)
    with pytest.raises(InvalidState, match="already open this record"):
        grant(cast, user=cast.facilitator)
    assert not BreakGlassGrant.objects.exists()


def test_every_access_through_a_grant_is_flagged_with_the_reason(cast, clock):
    g = grant(cast)
    for _ in range(2):
        assert get_client_for(cast.facilitator_b, cast.client.pk) == cast.client
    events = AuditEvent.objects.filter(action="breakglass.record.opened")
    assert events.count() == 2
    event = events.first()
    assert event is not None
    assert event.actor_id == cast.facilitator_b.pk
    assert event.client_id == cast.client.pk
    assert event.detail == {"grant": g.pk, "reason": REASON, "flag": "break_glass"}
    # Their own group's members are not flagged.
    get_client_for(cast.facilitator_b, cast.outsider_client.pk)
    assert events.count() == 2


def test_no_extra_query_on_the_ordinary_path(cast, django_assert_num_queries):
    fb = cast.facilitator_b
    fb.roles  # noqa: B018 - cache the roles as a request would
    with django_assert_num_queries(1) as ordinary:
        get_client_for(fb, cast.outsider_client.pk)
    grant(cast)
    fb.forget_roles()
    fb.roles  # noqa: B018
    with django_assert_num_queries(len(ordinary.captured_queries)):
        get_client_for(fb, cast.outsider_client.pk)


def test_granted_ids_subquery_is_scoped(cast):
    grant(cast)
    assert list(granted_client_ids(cast.facilitator_b)) == [{"client_id": cast.client.pk}]
    assert list(granted_client_ids(cast.facilitator)) == []


# --- Opening a grant through the page ---------------------------------------------------


def form(**overrides: str) -> dict[str, str]:
    return {"last_name": "member", "date_of_birth": "1990-04-01", "reason": REASON, **overrides}


def test_opening_needs_reauthentication(cast, clock):
    http = signed_in(cast.facilitator_b)
    response = http.get(OPEN)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = http.post(OPEN, form())
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not BreakGlassGrant.objects.exists()
    # After the password, allauth replays the posted form.
    replay = http.post("/accounts/reauthenticate/?next=" + OPEN, {"password": PASSWORD})
    assert replay.status_code == 302
    http.get(replay["Location"])
    assert BreakGlassGrant.objects.count() == 1


def test_open_a_record_in_an_emergency(cast, clock, django_capture_on_commit_callbacks):
    http = confirmed(cast.facilitator_b)
    assert http.get(f"/clients/{cast.client.pk}/").status_code == 404
    html = http.get(OPEN).content.decode()
    assert "Emergency access to a record" in html
    assert "lasts 60 minutes" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(OPEN, form())
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{cast.client.pk}/"
    page = http.get(response["Location"])
    assert page.status_code == 200
    assert "Emergency access is open until 15:00 UTC" in page.content.decode()
    g = BreakGlassGrant.objects.get()
    assert (g.user, g.client, g.reason) == (cast.facilitator_b, cast.client, REASON)
    assert g.expires_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    opened = AuditEvent.objects.get(action="breakglass.grant.opened")
    assert opened.detail["reason"] == REASON
    assert AuditEvent.objects.filter(action="breakglass.record.opened").count() == 1
    # The privacy officer (every admin) is told at once, without the member's name.
    note = Notification.objects.get(user=cast.admin)
    assert note.url == REVIEW
    assert "Avery" not in note.title
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.admin.email]
    assert "Avery" not in mail.outbox[0].body
    assert REASON not in mail.outbox[0].body
    # Read only.
    assert http.get(f"/clients/{cast.client.pk}/edit/").status_code in {403, 404}
    # Sixty minutes later the record is closed again.
    clock.shift(timedelta(minutes=60, seconds=1))
    assert confirmed(cast.facilitator_b).get(f"/clients/{cast.client.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form(reason="need it now"), "at least 20 characters"),
        (form(reason=" " * 30), "at least 20 characters"),
        (form(reason="x" * 1001), "at most 1000"),
        (form(date_of_birth="1990-04-02"), "No single active record matches"),
        (form(last_name="Outsider", date_of_birth="1979-01-30"), "already open this record"),
        (form(date_of_birth="not a date"), "Enter a valid date"),
    ],
)
def test_bad_input_opens_nothing(cast, clock, data, message):
    http = confirmed(cast.facilitator_b)
    response = http.post(OPEN, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert not Notification.objects.exists()


def test_who_may_open(cast, clock):
    assert confirmed(cast.coordinator).get(OPEN).status_code == 403
    assert confirmed(cast.billing).get(OPEN).status_code == 403
    assert confirmed(cast.supervisor).get(OPEN).status_code == 200
    assert signed_in(cast.member).get(OPEN).status_code == 404
    anonymous = HttpClient().get(OPEN)
    assert anonymous["Location"].startswith("/accounts/login/")


def test_reason_is_required_by_the_service_too(cast):
    with pytest.raises(ValidationFailed):
        grant(cast, reason="short")
    with pytest.raises(NotPermitted):
        breakglass_open(
            actor=cast.facilitator_b, client=cast.client, reason=REASON, reauthenticated=False
        )


def test_end_early(cast, clock):
    g = grant(cast)
    http = confirmed(cast.facilitator_b)
    assert cast.client.display_name in http.get(OPEN).content.decode()
    assert http.post(f"/emergency-access/{g.pk}/end/").status_code == 302
    assert http.get(f"/clients/{cast.client.pk}/").status_code == 404
    # Someone else's grant: 404.
    other = confirmed(cast.supervisor)
    assert other.post(f"/emergency-access/{g.pk}/end/").status_code == 404


# --- Review -----------------------------------------------------------------------------


def test_review_and_acknowledge(cast, clock, django_assert_max_num_queries):
    g = grant(cast)
    get_client_for(cast.facilitator_b, cast.client.pk)
    get_client_for(cast.facilitator_b, cast.client.pk)
    http = signed_in(cast.admin)
    with django_assert_max_num_queries(12):
        html = http.get(REVIEW).content.decode()
    assert REASON in html
    assert cast.facilitator_b.full_name in html
    assert cast.client.display_name in html
    assert "<td>2</td>" in html
    response = http.post(f"/emergency-access/review/{g.pk}/acknowledge/", {"note": "Checked"})
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.acknowledged_by == cast.admin
    assert g.review_note == "Checked"
    assert "Nothing is waiting for review." in http.get(REVIEW).content.decode()
    assert REASON in http.get(REVIEW + "?show=all").content.decode()
    assert AuditEvent.objects.filter(action="breakglass.grant.acknowledged").count() == 1
    with pytest.raises(InvalidState):
        breakglass_acknowledge(actor=cast.admin, grant=g, note="")


def test_review_query_count_does_not_grow(cast, clock, django_assert_max_num_queries):
    http = signed_in(cast.admin)
    for count in (1, 8):
        while BreakGlassGrant.objects.count() < count:
            g = grant(cast)
            breakglass_end(actor=cast.facilitator_b, grant=g)
        with django_assert_max_num_queries(12):
            assert http.get(REVIEW).status_code == 200


def test_only_reviewers_see_the_review(cast):
    g = grant(cast)
    for user in (cast.facilitator_b, cast.coordinator, cast.billing):
        http = signed_in(user)
        assert http.get(REVIEW).status_code == 403
        response = http.post(f"/emergency-access/review/{g.pk}/acknowledge/", {"note": ""})
        assert response.status_code == 404
    assert signed_in(cast.member).get(REVIEW).status_code == 404
    g.refresh_from_db()
    assert g.acknowledged_at is None


# --- Home panels ------------------------------------------------------------------------


def test_home_panels(cast, clock, django_assert_num_queries):
    from kindred.breakglass.panels import clinician_panel, review_panel

    assert review_panel(cast.admin) is None  # nothing waiting: hidden
    assert clinician_panel(cast.facilitator_b) == {"grants": []}
    assert clinician_panel(cast.coordinator) is None
    assert clinician_panel(cast.billing) is None
    g = grant(cast)
    cast.admin.roles  # noqa: B018
    with django_assert_num_queries(1):
        assert review_panel(cast.admin) == {"waiting": 1}
    assert review_panel(cast.facilitator_b) is None
    cast.facilitator_b.roles  # noqa: B018
    with django_assert_num_queries(1):
        assert clinician_panel(cast.facilitator_b) == {"grants": [g]}
    from django.template.loader import render_to_string

    html = render_to_string("web/breakglass/_review_panel.html", {"panel": {"waiting": 1}})
    assert "1 use of emergency access waits for your review." in html
    html = render_to_string("web/breakglass/_clinician_panel.html", {"panel": {"grants": [g]}})
    assert cast.client.display_name in html
    assert "open until 15:00 UTC" in html
