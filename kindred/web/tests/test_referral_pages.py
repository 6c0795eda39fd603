"""The public self-referral form and its thanks page, and the coordinators' referral
pages (inbox, staff form, review of a possible duplicate)."""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

import pytest
from django.core import signing
from django.test import Client as HttpClient

from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.clients.services import concern_create
from kindred.core.antispam import RATE_LIMIT
from kindred.core.testing import signed_in
from kindred.intake.models import Referral, ReferralStatus, WaitlistEntry
from kindred.intake.tests.referral_support import THEIR_WORDS, refer, written
from kindred.web.intake.forms import SHOWN_SALT

REFER = "/refer/"


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _stamp(seconds_ago: float = 30) -> str:
    return signing.dumps({"t": time.time() - seconds_ago}, salt=SHOWN_SALT)


def _form(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Robin",
        "last_name": "Example",
        "date_of_birth": "1991-05-17",
        "email": "robin.example@example.test",
        "phone": "+1 312 555 0188",
        "state": "IL",
        "in_their_words": THEIR_WORDS,
        "preferred_modality": "virtual",
        "language": "en",
        "urgency": "soon",
        "group": "",
        "day_1": "1",
        "from_1": "18:00",
        "until_1": "20:00",
        "website": "",
        "shown": _stamp(),
    }
    data.update(values)
    return data


# --- The public form ----------------------------------------------------------------------


def test_the_form_is_public_never_cached_and_offers_help_now(cast):
    grief = concern_create(actor=cast.admin, name="Grief")
    response = HttpClient().get(REFER)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    text = _text(response)
    assert "Ask for a place in a group" in text
    assert 'href="tel:911"' in html
    assert 'href="tel:988"' in html
    assert "call or text 988" in text
    assert grief.name in text
    assert 'name="website"' in html  # the honeypot
    assert 'aria-hidden="true"' in html


def test_the_directory_leads_here_with_the_group_chosen(cast):
    directory = HttpClient().get(f"/find-a-group/{cast.group_a.slug}/").content.decode()
    link = f'href="/refer/?group={cast.group_a.slug}"'
    assert link in directory
    assert link in HttpClient().get("/find-a-group/").content.decode()
    html = HttpClient().get(f"/refer/?group={cast.group_a.slug}").content.decode()
    assert f'<option value="{cast.group_a.slug}" selected>' in html
    html = HttpClient().get("/refer/?group=no-such-group").content.decode()
    assert '<option value="" selected>' in html


def test_a_visitor_refers_themselves_and_sees_what_happens_next(cast):
    http = HttpClient()
    response = http.post(REFER, _form(group=cast.group_a.slug))
    assert response.status_code == 302
    assert response["Location"].startswith("/refer/thanks/?t=")
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.group == cast.group_a
    assert referral.availability == [{"weekday": 1, "start": "18:00", "end": "20:00"}]
    entry = WaitlistEntry.objects.get()
    assert entry.client.email == "robin.example@example.test"
    thanks = http.get(response["Location"])
    assert thanks.status_code == 200
    text = _text(thanks)
    assert "Thank you for reaching out" in text
    assert "We have your request for a place in Steady Ground." in text
    assert "What happens next" in text
    assert "usually within two working days" in text
    assert "988" in text
    assert "911" in text
    assert "does not run groups in the state you live in" not in text


def test_someone_out_of_state_gets_a_kind_word(cast):
    response = HttpClient().post(REFER, _form(state="TX"), follow=True)
    text = _text(response)
    assert "does not run groups in the state you live in" in text
    assert "we will try to suggest support closer to you" in text
    assert "Texas" not in response.redirect_chain[0][0]
    assert Referral.objects.get().out_of_state


def test_no_way_to_contact_is_explained_beside_the_field_and_nothing_saved(cast):
    before = written()
    response = HttpClient().post(REFER, _form(email="", phone=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert "Give an email address or a phone number" in _text(response)
    assert written() == before


def test_bad_input_is_shown_beside_each_field_and_nothing_saved(cast):
    before = written()
    response = HttpClient().post(
        REFER,
        _form(first_name="", date_of_birth="", email="nope", phone="12", state="", day_1=""),
    )
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("first_name", "date_of_birth", "state", "day_1"):
        assert f'id="id_{field}_error"' in html, field
    assert written() == before
    # The service's own checks come back beside their fields once the shape is right.
    response = HttpClient().post(REFER, _form(email="nope", phone="12", until_1="17:00"))
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert 'id="id_phone_error"' in html
    assert 'id="availability_error"' in html
    assert "“until” must be later than “from”" in _text(response)
    assert written() == before


def test_a_form_sent_too_fast_or_with_a_forged_stamp_is_refused(cast):
    before = written()
    quick = HttpClient().post(REFER, _form(shown=_stamp(seconds_ago=0)))
    assert "That was very quick" in _text(quick)
    forged = HttpClient().post(REFER, _form(shown="1700000000"))
    assert "This form has expired" in _text(forged)
    assert written() == before


def test_a_filled_honeypot_looks_like_success_but_saves_nothing(cast):
    before = written()
    response = HttpClient().post(REFER, _form(website="http://spam.example.test"))
    assert response.status_code == 302
    assert written() == before


def test_too_many_referrals_from_one_connection_get_429(cast):
    http = HttpClient(REMOTE_ADDR="203.0.113.60")
    for n in range(RATE_LIMIT):
        response = http.post(
            REFER, _form(first_name=f"P{n}x", email=f"p{n}@example.test", phone="")
        )
        assert response.status_code == 302
    before = written()
    response = http.post(REFER, _form(email="late@example.test", first_name="Late"))
    assert response.status_code == 429
    assert "several requests from this connection" in _text(response)
    assert written() == before
    other = HttpClient(REMOTE_ADDR="198.51.100.21")
    assert other.post(REFER, _form(email="late@example.test")).status_code == 302


def test_sending_the_form_twice_saves_one_referral(cast):
    http = HttpClient()
    first = http.post(REFER, _form())
    second = http.post(REFER, _form())
    assert first.status_code == second.status_code == 302
    assert Referral.objects.count() == 1
    assert WaitlistEntry.objects.count() == 1


def test_a_broken_thanks_link_still_thanks(cast):
    response = HttpClient().get("/refer/thanks/?t=forged")
    assert response.status_code == 200
    assert "Thank you for reaching out" in _text(response)


# --- Coordinators' pages ------------------------------------------------------------------


def _like_avery() -> dict[str, Any]:
    return {
        "first_name": "Avery",
        "last_name": "Member",
        "date_of_birth": date(1990, 4, 1),
        "email": "avery.other@example.test",
    }


def test_the_inbox_lists_referrals_needing_review_and_the_read_is_audited(cast):
    refer(**_like_avery())
    refer(first_name="Clear", last_name="Case", email="clear@example.test")
    http = signed_in(cast.coordinator)
    text = _text(http.get("/referrals/"))
    assert "Avery Member" in text
    assert "Resembles 1 record" in text
    assert "Clear Case" not in text
    assert "Clear Case" in _text(http.get("/referrals/?show=all"))
    assert AuditEvent.objects.filter(action="intake.referral.listed").count() == 2


def test_the_inbox_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.coordinator)
    refer(**_like_avery())
    http.get("/referrals/")
    with django_assert_max_num_queries(15) as before:
        http.get("/referrals/")
    count = len(before.captured_queries)
    for n in range(6):
        refer(**{**_like_avery(), "email": f"a{n}@example.test"}, group=cast.group_a, ip=None)
    with django_assert_max_num_queries(count):
        response = http.get("/referrals/")
    assert _text(response).count("Resembles 1 record") == 7


def test_a_coordinator_reviews_a_possible_duplicate_and_attaches_it(cast):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    http = signed_in(cast.coordinator)
    page = http.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    text = _text(page)
    assert "Is this someone who already has a record?" in text
    assert "Avery Member" in text
    assert THEIR_WORDS in text
    assert AuditEvent.objects.filter(
        action="intake.referral.viewed", object_id=str(referral.pk), actor=cast.coordinator
    ).exists()
    response = http.post(f"/referrals/{referral.pk}/attach/", {"client": cast.client.pk})
    entry = WaitlistEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/waitlist/{entry.pk}/"
    assert entry.client == cast.client
    again = http.post(f"/referrals/{referral.pk}/attach/", {"client": cast.client.pk}, follow=True)
    assert "already been dealt with" in _text(again)
    assert WaitlistEntry.objects.count() == 1


def test_a_coordinator_says_different_person_and_a_record_is_made(cast):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    http = signed_in(cast.coordinator)
    clients = Client.objects.count()
    response = http.post(f"/referrals/{referral.pk}/new-record/", follow=True)
    assert response.status_code == 200
    assert "A new record was created" in _text(response)
    assert "Possible duplicate" in _text(response)
    assert Client.objects.count() == clients + 1


def test_attaching_to_a_record_the_coordinator_cannot_pick_is_refused(cast):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    http = signed_in(cast.coordinator)
    response = http.post(f"/referrals/{referral.pk}/attach/", {"client": cast.client_b.pk})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NEEDS_REVIEW
    assert http.post(f"/referrals/{referral.pk}/attach/", {"client": "x"}).status_code == 302
    assert not WaitlistEntry.objects.exists()


def _staff_form(**values: Any) -> dict[str, Any]:
    data = _form(**values)
    for key in ("website", "shown"):
        data.pop(key)
    data.update(
        {
            "source": "partner",
            "referrer_name": "Jamie Referrer",
            "referrer_organisation": "Lakeside Family Medicine",
            "referrer_email": "jamie@example.test",
            "referrer_phone": "",
        }
    )
    data.update(values)
    return data


def test_a_coordinator_adds_a_partner_referral(cast):
    http = signed_in(cast.coordinator)
    page = http.get("/referrals/new/")
    assert page.status_code == 200
    assert "Who is referring" in _text(page)
    response = http.post("/referrals/new/", _staff_form(group=cast.group_b.pk))
    entry = WaitlistEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/waitlist/{entry.pk}/"
    referral = Referral.objects.get()
    assert (referral.source, referral.created_by, referral.group) == (
        "partner",
        cast.coordinator,
        cast.group_b,
    )
    again = http.post("/referrals/new/", _staff_form(group=cast.group_b.pk), follow=True)
    assert "already received; nothing new was saved" in _text(again)
    assert Referral.objects.count() == 1


def test_a_staff_referral_without_the_referrer_is_explained(cast):
    http = signed_in(cast.coordinator)
    before = written()
    response = http.post("/referrals/new/", _staff_form(referrer_name=""))
    assert response.status_code == 200
    assert 'id="id_referrer_name_error"' in response.content.decode()
    assert written() == before


def test_a_staff_referral_resembling_a_record_goes_to_review(cast):
    http = signed_in(cast.admin)
    response = http.post(
        "/referrals/new/",
        _staff_form(first_name="Avery", last_name="Member", date_of_birth="1990-04-01"),
    )
    referral = Referral.objects.get()
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.status == ReferralStatus.NEEDS_REVIEW


STAFF_PAGES = [
    ("get", "/referrals/"),
    ("get", "/referrals/new/"),
    ("post", "/referrals/new/"),
    ("get", "/referrals/{id}/"),
    ("post", "/referrals/{id}/attach/"),
    ("post", "/referrals/{id}/new-record/"),
]


@pytest.mark.parametrize(
    "who", ["facilitator", "facilitator_b", "supervisor", "billing", "member", "outsider"]
)
def test_only_coordinators_and_admins_find_the_referral_pages(cast, who):
    referral = refer(**_like_avery()).referral
    assert referral is not None
    http = signed_in(getattr(cast, who))
    before = written()
    for method, path in STAFF_PAGES:
        response = getattr(http, method)(path.format(id=referral.pk), {"client": cast.client.pk})
        assert response.status_code == 404, (method, path)
    assert AuditEvent.objects.filter(
        action="intake.referral.denied", object_id=str(referral.pk)
    ).exists()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NEEDS_REVIEW
    assert written() == before


def test_the_referral_pages_need_sign_in(cast):
    for path in ("/referrals/", "/referrals/new/", "/referrals/1/"):
        response = HttpClient().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
