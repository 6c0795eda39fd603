"""The fields matching needs, on the pages that record them: a group's language and
gender focus (form, page, public directory), a client's gender and the offices they could
get to (form, page), and both on the public and staff referral forms (copied to the
record, shown on the referral)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.clients.models import Client, Gender
from kindred.core.testing import signed_in
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Referral
from kindred.matching.tests.support import office
from kindred.web.tests.test_client_pages import client_form
from kindred.web.tests.test_group_pages import group_form
from kindred.web.tests.test_referral_pages import _form, _staff_form

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Groups ----------------------------------------------------------------------------------


def test_a_group_is_created_with_its_language_and_gender_focus(cast: Any) -> None:
    http = signed_in(cast.coordinator)
    page = _text(http.get("/groups/new/"))
    assert "Language the group is held in" in page
    assert "Open to everyone" in page
    response = http.post("/groups/new/", group_form(cast, language="es", gender_focus="woman"))
    assert response.status_code == 302
    group = TherapyGroup.objects.get(name="Thursday Anxiety Skills")
    assert (group.language, group.gender_focus) == ("es", "woman")
    detail = _text(http.get(f"/groups/{group.pk}/"))
    assert "Spanish" in detail
    assert "Women" in detail
    directory = _text(HttpClient().get(f"/find-a-group/{group.slug}/"))
    assert "Language" in directory
    assert "Spanish" in directory
    assert "For women" in directory


def test_without_a_language_a_group_is_in_english(cast: Any) -> None:
    http = signed_in(cast.coordinator)
    data = group_form(cast)
    data.pop("language", None)
    assert http.post("/groups/new/", data).status_code == 302
    assert TherapyGroup.objects.get(name="Thursday Anxiety Skills").language == "en"


def test_an_unknown_gender_focus_is_refused_beside_the_field(cast: Any) -> None:
    http = signed_in(cast.coordinator)
    response = http.post("/groups/new/", group_form(cast, gender_focus="ladies"))
    assert response.status_code == 200
    assert 'id="id_gender_focus_error"' in response.content.decode()
    assert not TherapyGroup.objects.filter(name="Thursday Anxiety Skills").exists()


def test_the_directory_lists_every_group_s_language(cast: Any) -> None:
    page = _text(HttpClient().get(f"/find-a-group/{cast.group_a.slug}/"))
    assert "English" in page


# --- Clients -----------------------------------------------------------------------------------


def test_a_client_record_gives_gender_and_offices(cast: Any) -> None:
    lakeview, loop = office("Lakeview office"), office("Loop office")
    http = signed_in(cast.coordinator)
    page = _text(http.get("/clients/new/"))
    assert "Offices they could get to" in page
    assert "some groups are for women or for men only" in page
    response = http.post(
        "/clients/new/", client_form(gender="another", locations=[lakeview.pk, loop.pk])
    )
    assert response.status_code == 302
    client = Client.objects.get(legal_last_name="Okafor")
    assert client.gender == Gender.ANOTHER
    assert set(client.locations.all()) == {lakeview, loop}
    detail = _text(http.get(f"/clients/{client.pk}/"))
    assert "Another gender" in detail
    assert "Lakeview office, Loop office" in detail

    edit = http.get(f"/clients/{client.pk}/edit/").content.decode()
    assert re.search(rf'value="{lakeview.pk}"[^>]*checked', edit)
    data = client_form(gender="", locations=[loop.pk])
    assert http.post(f"/clients/{client.pk}/edit/", data).status_code == 302
    client.refresh_from_db()
    assert client.gender == ""
    assert list(client.locations.all()) == [loop]


# --- Referrals -----------------------------------------------------------------------------------


def test_the_public_form_asks_which_offices_when_meeting_in_person(cast: Any) -> None:
    lakeview = office()
    html = HttpClient().get("/refer/").content.decode()
    assert "Which of our offices could you get to?" in html
    assert 'data-shown-for-modality="in_person either"' in html
    assert "kindred/referral.js" in html
    assert "some groups are for women or for men only" in html
    assert f"{lakeview.name}, {lakeview.city}" in html

    response = HttpClient().post(
        "/refer/",
        _form(preferred_modality="either", locations=[lakeview.pk], gender="woman"),
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert list(referral.locations.all()) == [lakeview]
    assert referral.client is not None
    assert list(referral.client.locations.all()) == [lakeview]
    assert referral.client.gender == Gender.WOMAN


def test_no_offices_no_question(cast: Any) -> None:
    assert "Which of our offices" not in HttpClient().get("/refer/").content.decode()


def test_the_staff_form_carries_them_and_the_referral_shows_them(cast: Any) -> None:
    lakeview = office()
    http = signed_in(cast.coordinator)
    page = _text(http.get("/referrals/new/"))
    assert "Which of the practice&#x27;s offices could they get to?" in page
    assert "Their gender (optional)" in page
    response = http.post(
        "/referrals/new/",
        _staff_form(preferred_modality="in_person", locations=[lakeview.pk], gender="man"),
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.gender == Gender.MAN
    assert referral.client is not None
    assert referral.client.gender == Gender.MAN
    assert list(referral.client.locations.all()) == [lakeview]
    detail = _text(http.get(f"/referrals/{referral.pk}/"))
    assert "Lakeview office" in detail
    assert "Man" in detail


def test_a_bad_gender_on_the_public_form_is_refused_beside_the_field(cast: Any) -> None:
    response = HttpClient().post("/refer/", _form(gender="female"))
    assert response.status_code == 200
    assert 'id="id_gender_error"' in response.content.decode()
    assert not Referral.objects.exists()
