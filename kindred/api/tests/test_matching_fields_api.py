"""API v1 for the fields matching needs: a client's gender and offices, a group's
language and gender focus, and both on a partner's referral."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.api.tests.test_groups_api import payload as group_payload
from kindred.api.tests.test_intake_api import payload as referral_payload
from kindred.clients.models import Client, Gender
from kindred.core.testing import signed_in
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Referral
from kindred.matching.tests.support import office

pytestmark = pytest.mark.django_db


def _post(http: HttpClient, url: str, data: Any) -> Any:
    return http.post(url, json.dumps(data), content_type="application/json")


def _patch(http: HttpClient, url: str, data: Any) -> Any:
    return http.patch(url, json.dumps(data), content_type="application/json")


def test_clients_gender_and_offices(cast: Any) -> None:
    lakeview, loop = office("Lakeview office"), office("Loop office")
    http = signed_in(cast.coordinator)
    url = f"/api/v1/clients/{cast.client.pk}/"
    response = _patch(http, url, {"gender": "nonbinary", "locations": [lakeview.pk, loop.pk]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["gender"] == "nonbinary"
    assert sorted(body["locations"]) == sorted([lakeview.pk, loop.pk])
    cast.client.refresh_from_db()
    assert cast.client.gender == Gender.NONBINARY
    bad = _patch(http, url, {"gender": "female"})
    assert bad.status_code == 400
    assert "gender" in json.dumps(bad.json())
    listed = http.get("/api/v1/clients/").json()
    mine = next(c for c in listed["results"] if c["id"] == cast.client.pk)
    assert sorted(mine["locations"]) == sorted([lakeview.pk, loop.pk])


def test_the_client_list_reads_offices_in_one_query(
    cast: Any, django_assert_max_num_queries: Any
) -> None:
    lakeview = office()
    for client in Client.objects.all():
        client.locations.add(lakeview)
    http = signed_in(cast.admin)
    http.get("/api/v1/clients/")
    with django_assert_max_num_queries(14):
        assert http.get("/api/v1/clients/").status_code == 200


def test_groups_language_and_gender_focus(cast: Any) -> None:
    http = signed_in(cast.coordinator)
    response = _post(
        http, "/api/v1/groups/", group_payload(cast, language="pl", gender_focus="man")
    )
    assert response.status_code == 201, response.content
    assert (response.json()["language"], response.json()["gender_focus"]) == ("pl", "man")
    group = TherapyGroup.objects.get(pk=response.json()["id"])
    assert (group.language, group.gender_focus) == ("pl", "man")
    for bad in ({"language": "other"}, {"gender_focus": "gentlemen"}):
        refused = _patch(http, f"/api/v1/groups/{group.pk}/", bad)
        assert refused.status_code == 400, bad
        assert next(iter(bad)) in json.dumps(refused.json())


def test_a_partner_referral_with_offices_and_gender(cast: Any) -> None:
    lakeview = office("Wichita office", state="KS")
    http = signed_in(cast.coordinator)
    response = _post(
        http,
        "/api/v1/referrals/",
        referral_payload(locations=[lakeview.pk], gender="woman"),
    )
    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    assert referral.gender == "woman"
    assert list(referral.locations.all()) == [lakeview]
    assert referral.client is not None
    assert list(referral.client.locations.all()) == [lakeview]
    detail = http.get(f"/api/v1/referrals/{referral.pk}/").json()
    assert detail["gender"] == "woman"
    assert detail["locations"] == [lakeview.pk]
