import re
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.models import User, UserKind
from kindred.audit.models import AuditEvent, Category
from kindred.clients.models import (
    AvailabilityWindow,
    Client,
    ClientStatus,
    ConcernTag,
    PortalInvitation,
)
from kindred.clients.services import client_create, concern_create
from kindred.core.testing import signed_in

LINK_RE = re.compile(r"http://127\.0\.0\.1:8000(/welcome/([A-Za-z0-9_-]{40,})/)")
NEW_PASSWORD = "paper boats drift past the old mill"


def client_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "legal_first_name": "Imani",
        "legal_last_name": "Okafor",
        "preferred_name": "",
        "pronouns": "she/her",
        "date_of_birth": "1991-07-19",
        "email": "imani.o@example.test",
        "phone": "+1 312 555 0177",
        "state_of_residence": "IL",
        "timezone": "America/Chicago",
        "emergency_contact_name": "Ade Okafor",
        "emergency_contact_relationship": "brother",
        "emergency_contact_phone": "+1 312 555 0178",
        "preferred_modality": "virtual",
        "language": "en",
    }
    data.update(overrides)
    return data


def field_error(response: Any, field: str) -> str:
    """The error list rendered beside ``field`` (empty when there is none)."""
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


# --- Concern tags ------------------------------------------------------------------------


def test_admin_manages_concerns(cast):
    http = signed_in(cast.admin)
    page = http.get("/practice/concerns/")
    assert page.status_code == 200
    assert b"No concerns yet." in page.content
    response = http.post("/practice/concerns/", {"name": "Grief", "description": "Loss"})
    assert response.status_code == 302
    grief = ConcernTag.objects.get(name="Grief")
    response = http.post("/practice/concerns/", {"name": "grief"})
    assert response.status_code == 200
    assert "already exists" in field_error(response, "name")
    assert ConcernTag.objects.count() == 1
    response = http.post(f"/practice/concerns/{grief.pk}/edit/", {"name": "Grief and loss"})
    assert response.status_code == 302
    http.post(f"/practice/concerns/{grief.pk}/retire/")
    grief.refresh_from_db()
    assert (grief.name, grief.is_active) == ("Grief and loss", False)
    page = http.get("/practice/concerns/")
    assert b"Retired" in page.content
    http.post(f"/practice/concerns/{grief.pk}/restore/")
    assert ConcernTag.objects.get(pk=grief.pk).is_active


def test_concern_pages_are_for_practice_admins(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    assert signed_in(cast.coordinator).get("/practice/concerns/").status_code == 403
    assert (
        signed_in(cast.coordinator).post(f"/practice/concerns/{grief.pk}/retire/").status_code
        == 403
    )
    assert signed_in(cast.member).get("/practice/concerns/").status_code == 404
    assert signed_in(cast.member).post(f"/practice/concerns/{grief.pk}/retire/").status_code == 404
    assert ConcernTag.objects.get(pk=grief.pk).is_active
    assert HttpClient().get("/practice/concerns/").status_code == 302


# --- Client list -------------------------------------------------------------------------


def test_coordinator_finds_clients_by_name(cast):
    http = signed_in(cast.coordinator)
    page = http.get("/clients/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Avery Member" in html
    assert "Casey Outsider" in html
    page = http.get("/clients/", {"search": "cas"})
    html = page.content.decode()
    assert "Casey Outsider" in html
    assert "Avery Member" not in html
    page = http.get("/clients/", {"search": "nobody-at-all"})
    assert b"No clients match these filters." in page.content


def test_list_filters_and_bad_filter_values(cast):
    http = signed_in(cast.coordinator)
    html = http.get("/clients/", {"state": "KS"}).content.decode()
    assert "Blair Member" in html
    assert "Avery Member" not in html
    response = http.get("/clients/", {"state": "ZZ", "concern": "abc"})
    assert response.status_code == 200
    assert field_error(response, "state")
    assert field_error(response, "concern")


def test_staff_without_clients_see_an_empty_list(cast):
    page = signed_in(cast.billing).get("/clients/")
    assert page.status_code == 200
    assert b"No clients to show yet." in page.content
    assert b"Avery Member" not in page.content


def test_facilitators_see_only_their_groups_clients(cast):
    page = signed_in(cast.facilitator_b).get("/clients/")
    assert page.status_code == 200
    assert b"Casey Outsider" in page.content
    assert b"Avery Member" not in page.content


def test_members_and_strangers_never_see_the_list(cast):
    assert signed_in(cast.member).get("/clients/").status_code == 404
    response = HttpClient().get("/clients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _count_queries(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_page_query_count_is_constant(cast, django_assert_max_num_queries):
    grief = concern_create(actor=cast.admin, name="Grief")
    http = signed_in(cast.coordinator)
    http.get("/clients/")  # warm the session and practice settings
    few = _count_queries(http, "/clients/")
    for i in range(65):
        client_create(
            actor=None,
            legal_first_name=f"Person{i}",
            legal_last_name=f"Example{i:03d}",
            date_of_birth=date(1970, 1, 1) + timedelta(days=i * 40),
            state_of_residence="IL",
            concerns=[grief],
        )
    many = _count_queries(http, "/clients/")
    assert many == few
    with django_assert_max_num_queries(12):
        page = http.get("/clients/?page=2")
    assert b"Page 2 of 2" in page.content


# --- Create and edit ---------------------------------------------------------------------


def test_coordinator_creates_a_client(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    http = signed_in(cast.coordinator)
    assert http.get("/clients/new/").status_code == 200
    response = http.post("/clients/new/", client_form(concerns=[grief.pk]))
    client = Client.objects.get(legal_last_name="Okafor")
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client.pk}/"
    assert list(client.concerns.all()) == [grief]
    assert client.emergency_contact_relationship == "brother"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the future"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "before 1900"),
        ({"date_of_birth": "yesterday"}, "date_of_birth", "valid date"),
        ({"email": "imani@"}, "email", "valid email"),
        ({"phone": "555"}, "phone", "7 to 15 digits"),
        ({"state_of_residence": "ZZ"}, "state_of_residence", "valid choice"),
        ({"legal_first_name": ""}, "legal_first_name", "required"),
        ({"legal_last_name": "x" * 101}, "legal_last_name", "at most 100"),
    ],
)
def test_bad_input_shows_beside_the_field_and_saves_nothing(cast, overrides, field, message):
    before = Client.objects.count()
    response = signed_in(cast.coordinator).post("/clients/new/", client_form(**overrides))
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert 'aria-invalid="true"' in response.content.decode()
    assert Client.objects.count() == before


def test_possible_duplicates_are_shown_and_need_confirmation(cast):
    http = signed_in(cast.coordinator)
    data = client_form(
        legal_first_name="Avery", legal_last_name="Member", date_of_birth="1990-04-01", email=""
    )
    response = http.post("/clients/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Possible existing records" in html
    assert f'href="/clients/{cast.client.pk}/"' in html
    assert 'name="confirm_duplicate"' in html
    assert Client.objects.filter(legal_first_name="Avery").count() == 1
    response = http.post("/clients/new/", {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Client.objects.filter(legal_first_name="Avery").count() == 2


@pytest.mark.parametrize("who", ["facilitator", "billing"])
def test_staff_without_the_capability_cannot_create(cast, who):
    http = signed_in(getattr(cast, who))
    assert http.get("/clients/new/").status_code == 403
    assert http.post("/clients/new/", client_form()).status_code == 403
    assert not Client.objects.filter(legal_last_name="Okafor").exists()


def test_edit_a_client(cast):
    http = signed_in(cast.coordinator)
    url = f"/clients/{cast.client.pk}/edit/"
    page = http.get(url)
    assert page.status_code == 200
    assert b'value="Avery"' in page.content
    data = client_form(
        legal_first_name="Avery",
        legal_last_name="Member",
        date_of_birth="1990-04-01",
        email="avery.member@example.test",
        preferred_name="Ave",
    )
    response = http.post(url, data)
    assert response.status_code == 302
    cast.client.refresh_from_db()
    assert cast.client.preferred_name == "Ave"
    response = http.post(url, {**data, "phone": "nope"})
    assert "7 to 15 digits" in field_error(response, "phone")
    assert Client.objects.get(pk=cast.client.pk).phone == "+1 312 555 0177"


def test_outsiders_cannot_edit(cast):
    url = f"/clients/{cast.client.pk}/edit/"
    assert signed_in(cast.facilitator_b).get(url).status_code == 404
    # Group A's facilitator can see the record but not change it.
    assert signed_in(cast.facilitator).get(url).status_code == 403
    assert signed_in(cast.member).post(url, client_form()).status_code == 404
    assert Client.objects.get(pk=cast.client.pk).legal_last_name == "Member"


# --- Detail ------------------------------------------------------------------------------


def test_detail_is_audited_and_shows_activity_to_admins_only(cast):
    url = f"/clients/{cast.client.pk}/"
    page = signed_in(cast.coordinator).get(url)
    assert page.status_code == 200
    assert b"avery.member@example.test" in page.content
    assert b"Recent activity" not in page.content
    assert AuditEvent.objects.filter(
        action="clients.client.viewed", actor=cast.coordinator, client_id=cast.client.pk
    ).exists()
    page = signed_in(cast.admin).get(url)
    assert b"Recent activity" in page.content
    assert b"clients.client.viewed" in page.content


@pytest.mark.parametrize("who", ["facilitator_b", "billing", "member", "outsider"])
def test_detail_is_not_found_for_those_who_may_not_see_it(cast, who):
    response = signed_in(getattr(cast, who)).get(f"/clients/{cast.client.pk}/")
    assert response.status_code == 404
    assert b"avery.member@example.test" not in response.content
    assert AuditEvent.objects.filter(
        category=Category.DENIED,
        action="clients.client.denied",
        actor=getattr(cast, who),
        object_id=str(cast.client.pk),
    ).exists()


def test_missing_client_is_404(cast):
    assert signed_in(cast.admin).get("/clients/99999999/").status_code == 404
    assert signed_in(cast.admin).get(f"/clients/{2**70}/").status_code == 404


def test_detail_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.admin)
    url = f"/clients/{cast.client.pk}/"
    http.get(url)
    few = _count_queries(http, url)
    for day in range(7):
        http.post(
            f"/clients/{cast.client.pk}/availability/",
            {"weekday": day, "start_time": "09:00", "end_time": "10:00"},
        )
        http.post(
            f"/clients/{cast.client.pk}/availability/",
            {"weekday": day, "start_time": "18:00", "end_time": "19:00"},
        )
    assert AvailabilityWindow.objects.filter(client=cast.client).count() == 14
    assert _count_queries(http, url) == few
    with django_assert_max_num_queries(15):
        http.get(url)


# --- Availability ------------------------------------------------------------------------


def test_availability_add_merge_and_remove(cast):
    http = signed_in(cast.coordinator)
    base = f"/clients/{cast.client.pk}/availability/"
    assert (
        http.post(base, {"weekday": 1, "start_time": "18:00", "end_time": "20:00"}).status_code
        == 302
    )
    http.post(base, {"weekday": 1, "start_time": "19:00", "end_time": "21:00"})
    window = AvailabilityWindow.objects.get(client=cast.client)
    assert (window.start_time.hour, window.end_time.hour) == (18, 21)
    response = http.post(base, {"weekday": 2, "start_time": "18:00", "end_time": "17:00"})
    assert response.status_code == 200
    assert "later than" in field_error(response, "end_time")
    assert AvailabilityWindow.objects.filter(client=cast.client).count() == 1
    response = http.post(f"{base}{window.pk}/remove/")
    assert response.status_code == 302
    assert not AvailabilityWindow.objects.filter(client=cast.client).exists()


def test_availability_of_someone_elses_record(cast):
    window = AvailabilityWindow.objects.create(
        client=cast.client_b, weekday=0, start_time="09:00", end_time="10:00"
    )
    http = signed_in(cast.coordinator)
    # A window id that belongs to another client, through this client's URL.
    assert (
        http.post(f"/clients/{cast.client.pk}/availability/{window.pk}/remove/").status_code == 404
    )
    assert (
        signed_in(cast.facilitator_b)
        .post(f"/clients/{cast.client_b.pk}/availability/{window.pk}/remove/")
        .status_code
        == 404
    )
    assert AvailabilityWindow.objects.filter(pk=window.pk).exists()


# --- Archive and restore -----------------------------------------------------------------


def test_archive_and_restore_with_a_reason(cast):
    http = signed_in(cast.coordinator)
    url = f"/clients/{cast.client.pk}/archive/"
    assert http.get(url).status_code == 200
    response = http.post(url, {"reason": ""})
    assert "required" in field_error(response, "reason")
    assert Client.objects.get(pk=cast.client.pk).status == ClientStatus.ACTIVE
    assert http.post(url, {"reason": "Finished intake elsewhere"}).status_code == 302
    assert Client.objects.get(pk=cast.client.pk).status == ClientStatus.ARCHIVED
    assert "Avery Member" not in http.get("/clients/").content.decode()
    detail = http.get(f"/clients/{cast.client.pk}/").content.decode()
    assert "Finished intake elsewhere" in detail
    assert http.get(f"/clients/{cast.client.pk}/edit/").status_code == 302
    response = http.post(f"/clients/{cast.client.pk}/restore/", {"reason": "Came back"})
    assert response.status_code == 302
    assert Client.objects.get(pk=cast.client.pk).status == ClientStatus.ACTIVE


# --- Portal invitation, end to end ---------------------------------------------------------


@pytest.fixture
def invitee(cast):
    grief = concern_create(actor=cast.admin, name="Complicated grief")
    return client_create(
        actor=cast.coordinator,
        legal_first_name="Jun",
        legal_last_name="Watanabe",
        date_of_birth=date(1983, 11, 2),
        state_of_residence="FL",
        email="jun.w@example.test",
        pronouns="he/him",
        concerns=[grief],
    )


def _invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox) -> tuple[str, str]:
    http = signed_in(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(f"/clients/{invitee.pk}/invite/")
    assert response.status_code == 302
    found = LINK_RE.search(mailoutbox[-1].body)
    assert found is not None
    return found.group(1), found.group(2)


def test_invitation_end_to_end(cast, invitee, django_capture_on_commit_callbacks, mailoutbox):
    path, token = _invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox)
    message = mailoutbox[-1]
    assert message.to == ["jun.w@example.test"]
    assert "You have been invited to Kindred" in message.body
    assert "Test Practice" in message.body
    # The random token could contain any short string, so it is left out of the check.
    text = f"{message.subject}\n{message.body}".replace(token, "<token>")
    for private in ["Jun", "Watanabe", "grief", "he/him", "1983", "FL", "Florida"]:
        assert private not in text, private

    # The token is stored nowhere in clear: not on the invitation, the audit log or sessions.
    invitation = PortalInvitation.objects.get(client=invitee)
    assert invitation.token_hash != token
    stored = str(list(PortalInvitation.objects.values())) + str(list(AuditEvent.objects.values()))
    assert token not in stored

    page = signed_in(cast.coordinator).get(f"/clients/{invitee.pk}/")
    assert b"An invitation was sent to jun.w@example.test" in page.content

    visitor = HttpClient()
    response = visitor.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/welcome/set-password/"
    for session in Session.objects.all():
        assert token not in str(session.get_decoded())
    page = visitor.get("/welcome/set-password/")
    assert page.status_code == 200
    assert b"jun.w@example.test" in page.content
    assert b"Need help now? Call or text 988" in page.content

    response = visitor.post(
        "/welcome/set-password/",
        {"password1": NEW_PASSWORD, "password2": "something else entirely"},
    )
    assert "not the same" in field_error(response, "password2")
    response = visitor.post(
        "/welcome/set-password/", {"password1": "too short", "password2": "too short"}
    )
    assert "at least 15" in field_error(response, "password1")
    assert not User.objects.filter(email="jun.w@example.test").exists()

    response = visitor.post(
        "/welcome/set-password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/home/member/"
    user = User.objects.get(email="jun.w@example.test")
    assert user.kind == UserKind.MEMBER
    assert user.full_name == "Jun Watanabe"
    invitee.refresh_from_db()
    assert invitee.user == user
    home = visitor.get("/home/member/")
    assert home.status_code == 200
    assert home.wsgi_request.user == user
    actions = set(AuditEvent.objects.filter(client_id=invitee.pk).values_list("action", flat=True))
    assert {
        "clients.invitation.created",
        "clients.invitation.sent",
        "clients.invitation.accepted",
    } <= actions

    # The link works once.
    again = HttpClient().get(path)
    assert again.status_code == 404
    assert b"This link no longer works" in again.content


def test_revoked_and_expired_links_show_a_kind_page(
    cast, invitee, django_capture_on_commit_callbacks, mailoutbox
):
    path, _ = _invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = HttpClient().get(path)
    assert response.status_code == 404
    assert b"contact" in response.content
    path, _ = _invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox)
    invitation = PortalInvitation.objects.filter(client=invitee).order_by("-id").first()
    assert invitation is not None
    response = signed_in(cast.coordinator).post(
        f"/clients/{invitee.pk}/invitations/{invitation.pk}/revoke/"
    )
    assert response.status_code == 302
    assert HttpClient().get(path).status_code == 404
    assert HttpClient().get("/welcome/made-up-token/").status_code == 404
    assert HttpClient().get("/welcome/set-password/").status_code == 404


def test_a_link_opened_then_revoked_stops_at_the_password_page(
    cast, invitee, django_capture_on_commit_callbacks, mailoutbox
):
    path, _ = _invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox)
    visitor = HttpClient()
    visitor.get(path)
    invitation = PortalInvitation.objects.get(client=invitee)
    signed_in(cast.coordinator).post(f"/clients/{invitee.pk}/invitations/{invitation.pk}/revoke/")
    response = visitor.post(
        "/welcome/set-password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="jun.w@example.test").exists()


def test_existing_account_is_a_clear_error(
    cast, invitee, django_capture_on_commit_callbacks, mailoutbox
):
    path, _ = _invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox)
    User.objects.create_user("jun.w@example.test", NEW_PASSWORD, full_name="Jun elsewhere")
    visitor = HttpClient()
    visitor.get(path)
    page = visitor.get("/welcome/set-password/")
    assert page.status_code == 409
    assert b"already exists" in page.content
    response = visitor.post(
        "/welcome/set-password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 409
    assert User.objects.filter(email="jun.w@example.test").count() == 1
    invitee.refresh_from_db()
    assert invitee.user is None


def test_resend_and_missing_email(cast, invitee, django_capture_on_commit_callbacks, mailoutbox):
    old_path, _ = _invite(cast, invitee, django_capture_on_commit_callbacks, mailoutbox)
    invitation = PortalInvitation.objects.get(client=invitee)
    http = signed_in(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        http.post(f"/clients/{invitee.pk}/invitations/{invitation.pk}/resend/")
    assert len(mailoutbox) == 2
    assert HttpClient().get(old_path).status_code == 404
    no_email = client_create(
        actor=cast.coordinator,
        legal_first_name="Lee",
        legal_last_name="Park",
        date_of_birth=date(1975, 5, 5),
        state_of_residence="IL",
    )
    page = http.get(f"/clients/{no_email.pk}/")
    assert b"No email address on the record." in page.content
    response = http.post(f"/clients/{no_email.pk}/invite/", follow=True)
    assert b"Add an email address to the record first" in response.content
    assert not PortalInvitation.objects.filter(client=no_email).exists()


@pytest.mark.parametrize("who", ["facilitator", "billing", "member"])
def test_invitations_are_not_for_everyone(cast, invitee, who):
    response = signed_in(getattr(cast, who)).post(f"/clients/{invitee.pk}/invite/")
    assert response.status_code == 404
    assert not PortalInvitation.objects.exists()


# --- The fast <select> renders exactly what Django's would ----------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "state"),
        ({"state": "KS"}, "state"),
        ({"state": "ZZ"}, "state"),  # an error: aria-invalid and the description
        ({"status": "archived"}, "status"),
        ({"concern": "abc"}, "concern"),
    ],
)
def test_fast_select_matches_django(cast, data, field):
    from django import forms
    from django.test.html import parse_html

    from kindred.web.clients.forms import ClientFilterForm, ClientForm

    concern_create(actor=cast.admin, name="Grief & <loss>")
    form = ClientFilterForm(data or None, concerns=ConcernTag.objects.all())
    form.is_valid()
    bound = form[field]
    fast = bound.as_widget()
    slow = bound.as_widget(widget=forms.Select(choices=bound.field.widget.choices))
    assert parse_html(fast) == parse_html(slow)
    tz = ClientForm(None, concerns=ConcernTag.objects.none())["timezone"]
    fast = tz.as_widget()
    slow = tz.as_widget(widget=forms.Select(choices=tz.field.widget.choices))
    assert "<optgroup" in fast
    assert parse_html(fast) == parse_html(slow)
