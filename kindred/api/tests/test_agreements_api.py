"""API v1 for group agreements and preparation: scopes, roles, field errors, 404s, 409s,
the PDF and query counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import allowed_scopes, api_token_create
from kindred.audit.models import AuditEvent
from kindred.core.testing import signed_in
from kindred.groups.services import enrollment_invite
from kindred.groups.tests.factories import person
from kindred.intake import preparation
from kindred.intake.models import (
    AgreementDraft,
    AgreementSignature,
    AgreementVersion,
    PreparationItem,
    PreparationRead,
)
from kindred.intake.tests.agreement_support import next_version, published, sign, use

TEMPLATES = "/api/v1/agreement-templates/"


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def token_for(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return bearer(raw)


def post(http: HttpClient, url: str, data: Any = None) -> Any:
    return http.post(url, json.dumps(data or {}), content_type="application/json")


def put(http: HttpClient, url: str, data: Any) -> Any:
    return http.put(url, json.dumps(data), content_type="application/json")


def patch(http: HttpClient, url: str, data: Any) -> Any:
    return http.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def version(cast) -> AgreementVersion:
    version = published(cast.admin, body="# Our agreement\n\nBe kind.")
    use(cast.coordinator, cast.group_a, version)
    return version


# --- Scopes ---------------------------------------------------------------------------------


def test_who_may_put_agreement_scopes_on_a_token(cast):
    both = {Scope.AGREEMENTS_READ, Scope.AGREEMENTS_WRITE}
    for who in ("admin", "coordinator", "facilitator", "supervisor"):
        assert both <= allowed_scopes(getattr(cast, who)), who
    assert not both & allowed_scopes(cast.billing)


def test_a_token_needs_the_agreement_scopes(cast, version):
    assert token_for(cast.admin, "groups:read").get(TEMPLATES).status_code == 403
    reader = token_for(cast.admin, "agreements:read")
    assert reader.get(TEMPLATES).status_code == 200
    assert post(reader, TEMPLATES, {"name": "Another"}).status_code == 403
    writer = token_for(cast.admin, "agreements:read", "agreements:write")
    assert post(writer, TEMPLATES, {"name": "Another"}).status_code == 201


# --- Templates and versions -------------------------------------------------------------------


def test_the_admin_writes_and_publishes_a_version_through_the_api(cast):
    http = token_for(cast.admin, "agreements:read", "agreements:write")
    response = post(http, TEMPLATES, {"name": "Online groups", "body": "Be on time.\r\n"})
    assert response.status_code == 201
    created = response.json()
    assert created["versions"] == []
    assert created["draft"]["body"] == "Be on time.\n"
    url = f"{TEMPLATES}{created['id']}/"

    response = put(http, f"{url}draft/", {"body": "Be on time, please.", "summary_of_changes": ""})
    assert response.status_code == 200
    response = post(http, f"{url}draft/publish/")
    assert response.status_code == 201
    version = response.json()
    assert version["number"] == 1
    assert version["body"] == "Be on time, please."
    assert version["body_html"] == "<p>Be on time, please.</p>\n"
    assert version["body_sha256"] == AgreementVersion.objects.get().body_sha256

    assert post(http, f"{url}draft/publish/").status_code == 409  # nothing being written
    assert post(http, f"{url}draft/").status_code == 201
    assert post(http, f"{url}draft/").status_code == 409
    response = post(http, f"{url}draft/publish/")
    assert response.status_code == 400
    assert "same text as version 1" in response.json()["body"][0]
    assert "summary_of_changes" in response.json()
    assert http.delete(f"{url}draft/").status_code == 204
    assert not AgreementDraft.objects.exists()
    detail = http.get(url).json()
    assert [v["number"] for v in detail["versions"]] == [1]
    assert detail["draft"] is None


def test_published_versions_cannot_be_changed_through_the_api(cast, version):
    http = signed_in(cast.admin)
    url = f"/api/v1/agreement-versions/{version.pk}/"
    assert http.get(url).json()["body"] == version.body
    for method in ("put", "patch", "delete"):
        response = getattr(http, method)(url, "{}", content_type="application/json")
        assert response.status_code == 405
    assert AgreementVersion.objects.get().body == version.body


def test_bad_template_input_is_a_400_with_field_errors_and_saves_nothing(cast):
    http = signed_in(cast.admin)
    response = post(http, TEMPLATES, {"name": " "})
    assert response.status_code == 400
    assert "Give the agreement a name." in response.json()["name"][0]
    response = post(http, TEMPLATES, {"name": "Fine", "body": "x" * 20001})
    assert response.status_code == 400
    assert "body" in response.json()
    assert not AgreementDraft.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "facilitator"])
def test_other_staff_read_templates_but_do_not_write(cast, version, who):
    http = signed_in(getattr(cast, who))
    assert http.get(TEMPLATES).status_code == 200
    assert http.get(f"{TEMPLATES}{version.template_id}/").status_code == 200
    assert post(http, TEMPLATES, {"name": "Mine"}).status_code == 403
    assert post(http, f"{TEMPLATES}{version.template_id}/draft/").status_code == 403
    assert not AgreementDraft.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "supervisor", "billing"])
def test_the_draft_is_the_admins_as_on_the_web(cast, version, who):
    """Issue 9: the next version being written is read with MANAGE_PRACTICE, like the
    web's draft page: other staff get 403 for the draft and no draft in the template."""
    next_url = f"{TEMPLATES}{version.template_id}/draft/"
    admin = signed_in(cast.admin)
    assert post(admin, next_url).status_code == 201
    saved = put(admin, next_url, {"body": "Not yet agreed.", "summary_of_changes": ""})
    assert saved.status_code == 200
    assert "Not yet agreed." in admin.get(next_url).json()["body"]
    assert admin.get(f"{TEMPLATES}{version.template_id}/").json()["draft"] is not None
    http = signed_in(getattr(cast, who))
    assert http.get(next_url).status_code == 403
    detail = http.get(f"{TEMPLATES}{version.template_id}/")
    assert detail.status_code == 200
    assert detail.json()["draft"] is None
    assert "Not yet agreed" not in detail.content.decode()
    web = http.get(reverse("web:agreement_draft", args=[version.template_id]))
    assert web.status_code == 403  # the same answer as the page


def test_members_find_no_templates_and_only_their_groups_versions(cast, version):
    http = signed_in(cast.member)
    assert http.get(TEMPLATES).status_code == 404
    assert http.get(f"{TEMPLATES}{version.template_id}/").status_code == 404
    assert http.get(f"/api/v1/agreement-versions/{version.pk}/").status_code == 200
    assert (
        signed_in(cast.outsider).get(f"/api/v1/agreement-versions/{version.pk}/").status_code == 404
    )


def test_the_template_list_keeps_its_query_count(cast, django_assert_max_num_queries):
    http = signed_in(cast.admin)
    published(cast.admin, name="First")
    http.get(TEMPLATES)
    with django_assert_max_num_queries(12) as first:
        http.get(TEMPLATES)
    for n in range(5):
        next_version(cast.admin, published(cast.admin, name=f"T{n}").template, body=f"{n}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert len(http.get(TEMPLATES).json()["results"]) == 6


# --- Signing ------------------------------------------------------------------------------------


def _sign_payload(read: AgreementVersion, **overrides: Any) -> dict[str, Any]:
    data = {
        "version": read.pk,
        "text_sha256": read.body_sha256,
        "typed_name": "Avery Member",
        "agreed": True,
    }
    data.update(overrides)
    return data


def test_a_member_reads_and_signs_through_the_api(cast, version):
    http = signed_in(cast.member)
    url = f"/api/v1/groups/{cast.group_a.pk}/agreement/"
    data = http.get(url).json()
    assert data["status"] == "sign"
    assert data["version"]["body_sha256"] == version.body_sha256
    response = post(
        http,
        f"{url}sign/",
        _sign_payload(version),
    )
    assert response.status_code == 201
    signed = response.json()
    assert signed["typed_name"] == "Avery Member"
    assert signed["text_sha256"] == version.body_sha256
    again = post(http, f"{url}sign/", _sign_payload(version))
    assert again.status_code == 200
    assert again.json()["id"] == signed["id"]
    data = http.get(url).json()
    assert (data["status"], data["signature"]) == ("signed", signed["id"])


@pytest.mark.parametrize(
    ("overrides", "status", "key"),
    [
        ({"typed_name": "Someone Else"}, 400, "typed_name"),
        ({"agreed": False}, 400, "agreed"),
        ({"text_sha256": "0" * 64}, 400, "text_sha256"),
        ({"version": "abc"}, 400, "version"),
        ({"typed_name": None}, 400, "typed_name"),
    ],
)
def test_bad_signatures_are_refused_and_nothing_is_saved(cast, version, overrides, status, key):
    response = post(
        signed_in(cast.member),
        f"/api/v1/groups/{cast.group_a.pk}/agreement/sign/",
        _sign_payload(version, **overrides),
    )
    assert response.status_code == status
    assert key in response.json()
    assert not AgreementSignature.objects.exists()


def test_a_superseded_version_is_a_409_that_says_so(cast, version):
    use(cast.coordinator, cast.group_a, next_version(cast.admin, version.template, body="New."))
    response = post(
        signed_in(cast.member),
        f"/api/v1/groups/{cast.group_a.pk}/agreement/sign/",
        _sign_payload(version),
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This agreement was updated; please read the new version.",
        "code": "superseded",
    }
    assert not AgreementSignature.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "coordinator"])
def test_only_the_groups_members_sign(cast, version, who):
    response = post(
        signed_in(getattr(cast, who)),
        f"/api/v1/groups/{cast.group_a.pk}/agreement/sign/",
        _sign_payload(version),
    )
    assert response.status_code == 404
    assert not AgreementSignature.objects.exists()


def test_staff_list_a_groups_signatures(cast, version, django_assert_max_num_queries):
    sign(cast.member, cast.group_a)
    url = f"/api/v1/groups/{cast.group_a.pk}/agreement-signatures/"
    http = token_for(cast.coordinator, "agreements:read")
    http.get(url)
    with django_assert_max_num_queries(15) as first:
        results = http.get(url).json()["results"]
    assert [(r["client_name"], r["version_number"]) for r in results] == [("Avery Member", 1)]
    for n in range(4):
        client = person(f"Extra{n}", "Member")
        enrollment_invite(actor=cast.coordinator, group=cast.group_a, client=client)
    sign(cast.member_b, cast.group_a)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert len(http.get(url).json()["results"]) == 2
    assert signed_in(cast.facilitator).get(url).status_code == 200
    assert signed_in(cast.facilitator_b).get(url).status_code == 404
    assert signed_in(cast.supervisor).get(url).status_code == 403
    assert signed_in(cast.member).get(url).status_code == 404


def test_the_pdf_through_the_api(cast, version):
    signature = sign(cast.member, cast.group_a)
    url = f"/api/v1/agreement-signatures/{signature.pk}/pdf/"
    response = signed_in(cast.member).get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    response = token_for(cast.coordinator, "agreements:read").get(url)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="intake.agreement_signature.exported").count() == 2
    assert signed_in(cast.member_b).get(url).status_code == 404
    assert signed_in(cast.facilitator_b).get(url, HTTP_ACCEPT="application/pdf").status_code == 404
    detail = signed_in(cast.member).get(f"/api/v1/agreement-signatures/{signature.pk}/")
    assert detail.json()["ip"] == "192.0.2.44"


def test_a_group_in_the_api_carries_its_agreement_version(cast, version):
    http = token_for(cast.coordinator, "groups:read", "groups:write")
    url = f"/api/v1/groups/{cast.group_a.pk}/"
    assert http.get(url).json()["agreement_version"] == version.pk
    newer = next_version(cast.admin, version.template, body="New.")
    response = patch(http, url, {"agreement_version": newer.pk})
    assert response.status_code == 200
    assert response.json()["agreement_version"] == newer.pk
    response = patch(http, url, {"agreement_version": 99999})
    assert response.status_code == 400
    assert "agreement_version" in response.json()


# --- Preparation ----------------------------------------------------------------------------


def test_staff_write_preparation_and_members_read_and_mark_it(cast):
    base = f"/api/v1/groups/{cast.group_a.pk}/preparation/"
    staff = signed_in(cast.facilitator)  # facilitators sign in; they hold no tokens
    first = post(staff, base, {"title": "What to expect", "body": "**Weekly** meetings."})
    assert first.status_code == 201
    assert first.json()["body_html"] == "<p><strong>Weekly</strong> meetings.</p>\n"
    second = post(staff, base, {"title": "How to join", "body": "By video."}).json()
    moved = post(staff, f"{base}{second['id']}/move/", {"direction": "up"})
    assert [i["title"] for i in moved.json()] == ["How to join", "What to expect"]
    assert patch(staff, f"{base}{second['id']}/", {"title": "Joining"}).json()["title"] == "Joining"

    member = signed_in(cast.member)
    items = member.get(base).json()
    assert [(i["title"], i["read_at"]) for i in items] == [
        ("Joining", None),
        ("What to expect", None),
    ]
    response = post(member, f"{base}{second['id']}/read/")
    assert response.status_code == 201
    assert post(member, f"{base}{second['id']}/read/").status_code == 200
    assert member.get(base).json()[0]["read_at"] is not None
    assert PreparationRead.objects.count() == 1

    assert staff.delete(f"{base}{first.json()['id']}/").status_code == 204
    assert PreparationItem.objects.count() == 1


def test_preparation_errors_and_access(cast):
    base = f"/api/v1/groups/{cast.group_a.pk}/preparation/"
    response = post(signed_in(cast.coordinator), base, {"title": "", "body": " "})
    assert response.status_code == 400
    assert set(response.json()) == {"title", "body"}
    item = preparation.preparation_item_create(
        actor=cast.coordinator, group=cast.group_a, title="What to expect", body="Words."
    )
    assert post(signed_in(cast.member), base, {"title": "Mine", "body": "X"}).status_code == 404
    assert signed_in(cast.outsider).get(base).status_code == 404
    assert signed_in(cast.facilitator_b).get(base).status_code == 404
    assert post(signed_in(cast.supervisor), base, {"title": "X", "body": "Y"}).status_code == 403
    assert post(signed_in(cast.facilitator), f"{base}{item.pk}/read/").status_code == 404
    assert post(signed_in(cast.outsider), f"{base}{item.pk}/read/").status_code == 404
    assert PreparationItem.objects.count() == 1
    assert not PreparationRead.objects.exists()


def test_copying_preparation_through_the_api(cast):
    preparation.preparation_item_create(
        actor=cast.coordinator, group=cast.group_b, title="Open groups", body="Words."
    )
    url = f"/api/v1/groups/{cast.group_a.pk}/preparation/copy/"
    response = post(signed_in(cast.coordinator), url, {"from_group": cast.group_b.pk})
    assert response.status_code == 201
    assert [i["title"] for i in response.json()] == ["Open groups"]
    # The facilitator of group A cannot see group B, so cannot copy from it.
    response = post(signed_in(cast.facilitator), url, {"from_group": cast.group_b.pk})
    assert response.status_code == 404
    assert PreparationItem.objects.filter(group=cast.group_a).count() == 1
