"""The public directory pages, "Request to join", and the coordinators' list."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client as HttpClient

from kindred.core.antispam import RATE_LIMIT
from kindred.core.testing import signed_in
from kindred.groups.models import JoinRequest
from kindred.scheduling.tests.member_setup import make_group, next_weekday, office
from kindred.web.directory.forms import SHOWN_SALT


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _stamp(seconds_ago: float = 30) -> str:
    return signing.dumps({"t": time.time() - seconds_ago}, salt=SHOWN_SALT)


def _form(**values: Any) -> dict[str, Any]:
    data = {
        "name": "Robin Example",
        "email": "robin@example.test",
        "phone": "+1 312 555 0100",
        "state": "IL",
        "website": "",
        "shown": _stamp(),
    }
    data.update(values)
    return data


# --- The directory ------------------------------------------------------------------------


def test_anonymous_visitors_see_the_listed_groups_and_the_page_may_be_cached(cast):
    response = HttpClient().get("/find-a-group/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Cookie" in response.get("Vary", "")
    assert not response.cookies  # no CSRF or session cookie ties the page to a visitor
    text = _text(response)
    assert "Steady Ground" in text
    assert "Open Harbor" in text
    assert "Illinois, Kansas" in text  # group A's facilitator covers both
    assert "Florida" in text  # group B's
    assert "Seats open" in text
    assert "Request to join" in text
    assert "Need help right now?" in text


def test_the_directory_never_shows_anything_about_members(cast):
    text = _text(HttpClient().get("/find-a-group/"))
    for word in ("Avery", "Blair", "Casey", "Outsider", "@example.test", "seats taken"):
        assert word not in text


def test_times_are_rewritten_by_a_static_script_with_the_nonce(cast):
    response = HttpClient().get("/find-a-group/")
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce is not None
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert any("kindred/directory.js" in attrs for attrs, _ in scripts)
    for attrs, body in scripts:
        assert body.strip() == ""
        assert f'nonce="{nonce.group(1)}"' in attrs
    assert re.search(r'<time datetime="[^"]+" data-local-time data-zone="America/Chicago"', html)


def test_signed_in_people_get_a_page_that_is_not_cached(cast):
    response = signed_in(cast.member).get("/find-a-group/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_each_group_has_its_own_page_with_a_title_and_description(cast):
    response = HttpClient().get(f"/find-a-group/{cast.group_a.slug}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    html = response.content.decode()
    assert "<title>Steady Ground: a therapy group · Kindred</title>" in html
    assert '<meta name="description" content="Steady Ground: a small group' in html
    assert '<link rel="canonical"' in html


def test_unlisted_and_unknown_groups_are_not_found(cast):
    hidden = make_group(cast, "Quiet Room", listed_publicly=False)
    http = HttpClient()
    assert http.get(f"/find-a-group/{hidden.slug}/").status_code == 404
    assert http.get("/find-a-group/no-such-group/").status_code == 404
    assert http.get(f"/find-a-group/{hidden.slug}/join/").status_code == 404


def test_visitors_filter_by_how_a_group_meets(cast):
    location, room = office(cast)
    make_group(cast, "Harbor Lights", modality="in_person", location=location, room=room)
    text = _text(HttpClient().get("/find-a-group/?modality=in_person"))
    assert "Harbor Lights" in text
    assert "Steady Ground" not in text
    assert "In person at Lakeview office, Chicago, IL" in text
    empty = _text(HttpClient().get("/find-a-group/?modality=hybrid"))
    assert "No group matches these choices right now." in empty


def test_the_directory_page_query_count_is_constant(cast, django_assert_max_num_queries):
    http = HttpClient()
    http.get("/find-a-group/")
    with django_assert_max_num_queries(15) as before:
        http.get("/find-a-group/")
    before_count = len(before.captured_queries)  # before the next request clears the log
    for i, weekday in enumerate((0, 3, 4, 5, 6)):
        make_group(
            cast,
            f"Group {i}",
            start_date=next_weekday(weekday),
            co_facilitators=[cast.supervisor_clinician],
        )
    with django_assert_max_num_queries(before_count):
        response = http.get("/find-a-group/")
    assert "Group 4" in _text(response)


# --- Request to join ----------------------------------------------------------------------


def test_a_visitor_asks_to_join_and_is_thanked_with_next_steps_and_help(cast):
    http = HttpClient()
    page = http.get(f"/find-a-group/{cast.group_a.slug}/join/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    response = http.post(f"/find-a-group/{cast.group_a.slug}/join/", _form())
    assert response.status_code == 302
    assert response["Location"] == f"/find-a-group/{cast.group_a.slug}/join/thanks/"
    saved = JoinRequest.objects.get()
    assert (saved.name, saved.email, saved.state, saved.group) == (
        "Robin Example",
        "robin@example.test",
        "IL",
        cast.group_a,
    )
    thanks = _text(http.get(response["Location"]))
    assert "Thank you for reaching out" in thanks
    assert "What happens next" in thanks
    assert "988" in thanks


def test_bad_input_is_explained_beside_each_field_and_nothing_saved(cast):
    response = HttpClient().post(
        f"/find-a-group/{cast.group_a.slug}/join/",
        _form(name="", email="nope", phone="12", state=""),
    )
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("name", "email", "phone", "state"):
        assert f'id="id_{field}_error"' in html, field
    assert not JoinRequest.objects.exists()


def test_a_form_sent_too_fast_is_refused_and_a_fresh_one_offered(cast):
    response = HttpClient().post(
        f"/find-a-group/{cast.group_a.slug}/join/", _form(shown=_stamp(seconds_ago=0))
    )
    assert response.status_code == 200
    assert "That was very quick" in _text(response)
    assert not JoinRequest.objects.exists()


def test_a_forged_timestamp_is_refused(cast):
    response = HttpClient().post(
        f"/find-a-group/{cast.group_a.slug}/join/", _form(shown="1700000000")
    )
    assert "This form has expired" in _text(response)
    assert not JoinRequest.objects.exists()


def test_a_filled_honeypot_looks_like_success_but_saves_nothing(cast):
    response = HttpClient().post(
        f"/find-a-group/{cast.group_a.slug}/join/", _form(website="http://spam.example.test")
    )
    assert response.status_code == 302
    assert not JoinRequest.objects.exists()


def test_too_many_requests_from_one_connection_get_429(cast):
    http = HttpClient(REMOTE_ADDR="203.0.113.50")
    for i in range(RATE_LIMIT):
        response = http.post(
            f"/find-a-group/{cast.group_a.slug}/join/", _form(email=f"p{i}@example.test")
        )
        assert response.status_code == 302
    response = http.post(f"/find-a-group/{cast.group_a.slug}/join/", _form(email="x@example.test"))
    assert response.status_code == 429
    assert "several requests from this connection" in _text(response)
    assert JoinRequest.objects.count() == RATE_LIMIT
    other = HttpClient(REMOTE_ADDR="198.51.100.20")
    response = other.post(f"/find-a-group/{cast.group_a.slug}/join/", _form())
    assert response.status_code == 302


# --- Coordinators -------------------------------------------------------------------------


def test_a_coordinator_sees_and_handles_join_requests(cast):
    HttpClient().post(f"/find-a-group/{cast.group_a.slug}/join/", _form())
    saved = JoinRequest.objects.get()
    http = signed_in(cast.coordinator)
    page = http.get("/join-requests/")
    assert page.status_code == 200
    text = _text(page)
    assert "Robin Example" in text
    assert "Steady Ground" in text
    done = http.post(f"/join-requests/{saved.pk}/handle/", follow=True)
    assert "is marked handled" in _text(done)
    assert "No requests waiting." in _text(done)
    saved.refresh_from_db()
    assert saved.handled_by == cast.coordinator
    handled = _text(http.get("/join-requests/?show=handled"))
    assert "Robin Example" in handled
    http.post(f"/join-requests/{saved.pk}/handle/", {"handled": "0"})
    saved.refresh_from_db()
    assert saved.handled_at is None


@pytest.mark.parametrize(
    ("who", "status"), [("facilitator", 403), ("billing", 403), ("member", 404)]
)
def test_others_cannot_see_join_requests(cast, who, status):
    HttpClient().post(f"/find-a-group/{cast.group_a.slug}/join/", _form())
    saved = JoinRequest.objects.get()
    http = signed_in(getattr(cast, who))
    assert http.get("/join-requests/").status_code == status
    assert http.post(f"/join-requests/{saved.pk}/handle/").status_code == 404
    saved.refresh_from_db()
    assert saved.handled_at is None


def test_the_join_request_list_needs_sign_in(db):
    assert HttpClient().get("/join-requests/").status_code == 302


def test_the_join_request_list_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.coordinator)
    HttpClient(REMOTE_ADDR="203.0.113.1").post(f"/find-a-group/{cast.group_a.slug}/join/", _form())
    http.get("/join-requests/")
    with django_assert_max_num_queries(12) as before:
        http.get("/join-requests/")
    before_count = len(before.captured_queries)  # before the next request clears the log
    for i in range(4):
        HttpClient(REMOTE_ADDR=f"203.0.113.{10 + i}").post(
            f"/find-a-group/{cast.group_b.slug}/join/", _form(email=f"q{i}@example.test")
        )
    with django_assert_max_num_queries(before_count):
        response = http.get("/join-requests/")
    assert _text(response).count("Mark handled") == 5
