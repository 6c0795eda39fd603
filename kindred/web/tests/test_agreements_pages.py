"""Group agreement pages: the practice admin writes and publishes versions; coordinators
choose a group's version; members read and sign it; staff see who signed; the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
from django.test import Client as HttpClient

from kindred.accounts.models import User
from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import PASSWORD, signed_in
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.groups.services import enrollment_invite
from kindred.groups.tests.factories import person
from kindred.intake import agreements
from kindred.intake.default_agreement import DEFAULT_AGREEMENT_NAME
from kindred.intake.models import AgreementDraft, AgreementSignature, AgreementVersion
from kindred.intake.tests.agreement_support import next_version, published, sign, use


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(response: Any) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def field_error(response: Any, field: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def reauthenticated(user: User) -> HttpClient:
    http = signed_in(user)
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


@pytest.fixture
def version(cast) -> AgreementVersion:
    version = published(
        cast.admin, body="# Our agreement\n\nWhat is said here **stays here**.\n\n- Be kind."
    )
    use(cast.coordinator, cast.group_a, version)
    return version


# --- Templates: the practice admin --------------------------------------------------------


def test_the_admin_starts_from_the_example_edits_and_publishes(cast):
    http = signed_in(cast.admin)
    page = text(http.get("/agreements/"))
    assert "No group agreement yet." in page
    assert "Start from Kindred's example" in page

    response = http.post("/agreements/example/")
    template = agreements.template_list(actor=cast.admin).get()
    assert response["Location"] == f"/agreements/{template.pk}/draft/"
    page = text(http.get(response["Location"]))
    assert "How members will see it" in page
    assert "<h3>What is said in the group stays in the group</h3>" in page

    draft = AgreementDraft.objects.get()
    edited = draft.body.replace("Our group agreement", "The Prairie group agreement")
    response = http.post(
        f"/agreements/{template.pk}/draft/",
        {"body": edited, "summary_of_changes": "", "publish": "1"},
    )
    assert response["Location"] == f"/agreements/{template.pk}/draft/publish/"
    page = text(http.get(response["Location"]))
    assert "Publish version 1 of Group agreement" in page
    assert "Once published, this text never changes." in page

    response = http.post(f"/agreements/{template.pk}/draft/publish/")
    assert response["Location"] == f"/agreements/{template.pk}/"
    version = AgreementVersion.objects.get()
    assert version.body == edited
    page = text(http.get(f"/agreements/{template.pk}/"))
    assert "Version 1" in page
    assert "Write a new version" in page
    assert "Start from Kindred's example" not in text(http.get("/agreements/"))

    page = text(http.get(f"/agreements/versions/{version.pk}/"))
    assert version.body_sha256 in page
    assert "<h2>The Prairie group agreement</h2>" in page


def test_a_new_version_is_written_from_the_latest_and_errors_show_beside_the_field(cast):
    first = published(cast.admin, body="Version one.")
    http = signed_in(cast.admin)
    template = first.template
    assert http.post(f"/agreements/{template.pk}/draft/start/").status_code == 302
    assert "Version one." in http.get(f"/agreements/{template.pk}/draft/").content.decode()

    too_long = http.post(
        f"/agreements/{template.pk}/draft/", {"body": "x" * 20001, "summary_of_changes": ""}
    )
    assert too_long.status_code == 200
    assert "at most 20000 characters" in field_error(too_long, "body")
    assert AgreementDraft.objects.get().body == "Version one."

    response = http.post(f"/agreements/{template.pk}/draft/publish/")
    assert response.status_code == 200
    page = text(response)
    assert "This is the same text as version 1." in page
    assert "Say in a sentence what changed" in page
    assert AgreementVersion.objects.count() == 1


def test_discarding_the_draft_asks_first(cast):
    first = published(cast.admin)
    agreements.agreement_draft_start(actor=cast.admin, template=first.template)
    http = signed_in(cast.admin)
    url = f"/agreements/{first.template.pk}/draft/discard/"
    assert "Throw away the unpublished version" in text(http.get(url))
    assert http.post(url).status_code == 302
    assert not AgreementDraft.objects.exists()


def test_writing_a_template_from_scratch_checks_the_name(cast):
    published(cast.admin, name="Group agreement")
    http = signed_in(cast.admin)
    response = http.post("/agreements/new/", {"name": "group agreement"})
    assert "already an agreement with this name" in field_error(response, "name")
    response = http.post("/agreements/new/", {"name": "Online groups"})
    template = agreements.template_list(actor=cast.admin).get(name="Online groups")
    assert response["Location"] == f"/agreements/{template.pk}/draft/"


@pytest.mark.parametrize("who", ["coordinator", "facilitator", "supervisor", "billing"])
def test_other_staff_read_agreements_but_do_not_change_them(cast, who):
    version = published(cast.admin)
    template = version.template
    http = signed_in(getattr(cast, who))
    page = text(http.get("/agreements/"))
    assert DEFAULT_AGREEMENT_NAME in page
    assert "New agreement" not in page
    assert http.get(f"/agreements/{template.pk}/").status_code == 200
    assert http.get(f"/agreements/versions/{version.pk}/").status_code == 200
    assert http.post("/agreements/new/", {"name": "Mine"}).status_code == 403
    assert http.post("/agreements/example/").status_code == 403
    assert http.post(f"/agreements/{template.pk}/draft/start/").status_code == 403
    assert http.get(f"/agreements/{template.pk}/draft/").status_code == 403
    assert not AgreementDraft.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["/agreements/", "/agreements/new/", "/agreements/{t}/", "/agreements/versions/{v}/"],
)
def test_members_and_visitors_find_no_agreement_admin_pages(cast, path):
    version = published(cast.admin)
    url = path.format(t=version.template_id, v=version.pk)
    assert signed_in(cast.member).get(url).status_code == 404
    assert HttpClient().get(url).status_code == 302  # to sign in


def test_a_missing_template_or_version_is_not_found(cast):
    http = signed_in(cast.admin)
    for url in ("/agreements/999/", "/agreements/versions/999/", "/agreements/999/draft/"):
        assert http.get(url).status_code == 404
    assert AuditEvent.objects.filter(category=Category.DENIED).count() == 3


def test_the_agreement_list_query_count_is_constant(cast, django_assert_max_num_queries):
    http = signed_in(cast.admin)
    published(cast.admin, name="One")
    http.get("/agreements/")
    with django_assert_max_num_queries(12) as first:
        http.get("/agreements/")
    for n in range(6):
        version = published(cast.admin, name=f"Agreement {n}", body=f"Text {n}.")
        next_version(cast.admin, version.template, body=f"Text {n}, again.")
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert http.get("/agreements/").status_code == 200


# --- A group's version: the group form ------------------------------------------------------


def test_a_coordinator_chooses_the_groups_version_on_its_form(cast):
    from kindred.web.tests.test_group_pages import group_form

    version = published(cast.admin)
    http = signed_in(cast.coordinator)
    page = http.get(f"/groups/{cast.group_a.pk}/edit/").content.decode()
    assert "Group agreement — version 1" in page
    group = cast.group_a
    data = group_form(
        cast,
        name=group.name,
        description=group.description,
        recurrence=group.recurrence,
        start_date=group.start_date.isoformat(),
        start_time=group.start_time.strftime("%H:%M"),
        session_minutes=group.session_minutes,
        min_size=group.min_size,
        max_size=group.max_size,
        fee="0",
        agreement_version=version.pk,
    )
    data.pop("status")
    response = http.post(f"/groups/{group.pk}/edit/", data)
    assert response.status_code == 302, field_error(response, "agreement_version")
    group.refresh_from_db()
    assert group.agreement_version == version


# --- A group's signatures: staff -----------------------------------------------------------


def test_the_groups_signatures_page_shows_who_still_needs_to_sign(cast, version):
    sign(cast.member, cast.group_a)
    page = words(signed_in(cast.facilitator).get(f"/groups/{cast.group_a.pk}/agreement/"))
    assert "Members sign Group agreement, version 1 ." in page
    assert "1 member still needs to sign it." in page
    assert re.search(r"Avery Member.*?Signed.*?Version 1", page)
    assert re.search(r"Blair Member.*?Needs to sign the agreement", page)
    assert "Casey" not in page
    assert AuditEvent.objects.filter(
        action="intake.agreement_signature.listed", actor=cast.facilitator
    ).exists()

    newer = next_version(cast.admin, version.template, body="Changed.")
    use(cast.coordinator, cast.group_a, newer)
    page = words(signed_in(cast.coordinator).get(f"/groups/{cast.group_a.pk}/agreement/"))
    assert re.search(r"Avery Member.*?Needs to sign the new version", page)


def test_a_group_without_an_agreement_says_how_to_choose_one(cast):
    page = text(signed_in(cast.coordinator).get(f"/groups/{cast.group_a.pk}/agreement/"))
    assert "This group has no agreement yet." in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("facilitator_b", 404), ("supervisor", 403), ("billing", 404), ("member", 404)],
)
def test_only_the_groups_staff_see_its_signatures(cast, version, who, status):
    sign(cast.member, cast.group_a)
    response = signed_in(getattr(cast, who)).get(f"/groups/{cast.group_a.pk}/agreement/")
    assert response.status_code == status
    assert "Blair" not in response.content.decode()


def test_the_signatures_page_query_count_does_not_grow_with_members(
    cast, version, django_assert_max_num_queries
):
    http = signed_in(cast.coordinator)
    url = f"/groups/{cast.group_a.pk}/agreement/"
    sign(cast.member, cast.group_a)
    http.get(url)
    with django_assert_max_num_queries(20) as first:
        http.get(url)
    for n in range(5):
        client = person(f"Extra{n}", "Member")
        enrollment_invite(actor=cast.coordinator, group=cast.group_a, client=client)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert http.get(url).status_code == 200


# --- Members: reading and signing ------------------------------------------------------------


def test_a_member_reads_and_signs_their_groups_agreement(cast, version):
    http = signed_in(cast.member)
    url = f"/my/groups/{cast.group_a.pk}/agreement/"
    page = http.get(url).content.decode()
    assert "<strong>stays here</strong>" in page
    assert f'value="{version.body_sha256}"' in page
    assert f'name="version" value="{version.pk}"' in page

    response = http.post(
        url,
        {
            "version": version.pk,
            "text_sha256": version.body_sha256,
            "typed_name": "avery member",
            "agreed": "on",
        },
        REMOTE_ADDR="203.0.113.7",
    )
    assert response["Location"] == url
    signature = AgreementSignature.objects.get()
    assert (signature.typed_name, signature.ip) == ("avery member", "203.0.113.7")
    page = text(http.get(url))
    assert "You signed this agreement on" in page
    assert f"/agreements/signatures/{signature.pk}/pdf/" in page
    assert 'name="typed_name"' not in page


def test_a_wrong_name_shows_beside_the_field_and_saves_nothing(cast, version):
    response = signed_in(cast.member).post(
        f"/my/groups/{cast.group_a.pk}/agreement/",
        {"version": version.pk, "text_sha256": version.body_sha256, "typed_name": "Avery"},
    )
    assert response.status_code == 200
    assert "as we have it on record" in field_error(response, "typed_name")
    assert "Tick the box" in field_error(response, "agreed")
    assert not AgreementSignature.objects.exists()


def test_signing_an_old_version_shows_the_new_one_to_read(cast, version):
    newer = next_version(cast.admin, version.template, body="# Our agreement\n\nUpdated text.")
    use(cast.coordinator, cast.group_a, newer)
    response = signed_in(cast.member).post(
        f"/my/groups/{cast.group_a.pk}/agreement/",
        {
            "version": version.pk,
            "text_sha256": version.body_sha256,
            "typed_name": "Avery Member",
            "agreed": "on",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This agreement was updated; please read the new version" in page
    assert "Updated text." in page
    assert f'name="version" value="{newer.pk}"' in page
    assert 'value="Avery Member"' in page  # the name typed is kept
    assert not AgreementSignature.objects.exists()


def test_a_tampered_hash_saves_nothing(cast, version):
    response = signed_in(cast.member).post(
        f"/my/groups/{cast.group_a.pk}/agreement/",
        {
            "version": version.pk,
            "text_sha256": "f" * 64,
            "typed_name": "Avery Member",
            "agreed": "on",
        },
    )
    assert "reload the page and read it again" in response.content.decode()
    assert not AgreementSignature.objects.exists()


def test_a_new_version_asks_the_member_to_sign_again(cast, version):
    sign(cast.member, cast.group_a)
    newer = next_version(cast.admin, version.template, body="Changed.", summary="Shorter.")
    use(cast.coordinator, cast.group_a, newer)
    page = text(signed_in(cast.member).get(f"/my/groups/{cast.group_a.pk}/agreement/"))
    assert "Your group's agreement has changed." in page
    assert "What changed: Shorter." in page
    assert "earlier version (1)" in page


def test_a_group_without_an_agreement_tells_the_member_there_is_nothing_to_do(cast):
    page = text(signed_in(cast.member).get(f"/my/groups/{cast.group_a.pk}/agreement/"))
    assert "There is nothing to sign yet." in page


@pytest.mark.parametrize("who", ["outsider", "coordinator", "facilitator"])
def test_someone_elses_agreement_page_is_not_found(cast, version, who):
    http = signed_in(getattr(cast, who))
    url = f"/my/groups/{cast.group_a.pk}/agreement/"
    assert http.get(url).status_code == 404
    assert http.post(url, {"version": version.pk}).status_code == 404
    assert not AgreementSignature.objects.exists()


# --- The PDF ---------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    result = subprocess.run(  # noqa: S603 - a fixed local tool on bytes we made
        [pdftotext, "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", result.stdout.decode())


def test_the_member_downloads_their_signed_agreement_as_a_pdf(cast, version):
    signature = sign(cast.member, cast.group_a, typed_name="avery  member")
    response = signed_in(cast.member).get(f"/agreements/signatures/{signature.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert "attachment;" in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"%PDF")
    words = pdf_text(content)
    assert "Our agreement" in words
    assert "What is said here stays here." in words
    assert "avery member" in words
    assert "Avery Member" in words  # name on record
    assert signature.text_sha256 in words.replace(" ", "")
    assert "192.0.2.44" in words
    assert "Steady Ground" in words
    event = AuditEvent.objects.get(action="intake.agreement_signature.exported")
    assert (event.actor, event.client_id, event.category) == (
        cast.member,
        cast.client.pk,
        Category.ACCESS,
    )


def test_staff_download_after_signing_in_again(cast, version):
    signature = sign(cast.member, cast.group_a)
    url = f"/agreements/signatures/{signature.pk}/pdf/"
    response = signed_in(cast.facilitator).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not AuditEvent.objects.filter(action="intake.agreement_signature.exported").exists()
    response = reauthenticated(cast.coordinator).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("who", ["member_b", "outsider", "facilitator_b", "supervisor", "billing"])
def test_nobody_else_gets_the_pdf(cast, version, who):
    signature = sign(cast.member, cast.group_a)
    response = signed_in(getattr(cast, who)).get(f"/agreements/signatures/{signature.pk}/pdf/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="intake.agreement_signature.exported").exists()
    assert AuditEvent.objects.filter(category=Category.DENIED).exists()


def test_text_in_the_agreement_cannot_inject_markup_into_pages_or_the_pdf(cast):
    body = (
        "# Ours\n\n<script>alert('x')</script> <img src=x onerror=alert(1)> "
        "[click](javascript:alert(1)) ![pic](http://192.0.2.1/tracker.png)"
    )
    version = published(cast.admin, body=body)
    use(cast.coordinator, cast.group_a, version)
    page = signed_in(cast.member).get(f"/my/groups/{cast.group_a.pk}/agreement/")
    html = page.content.decode()
    article = html[html.index('<article class="agreement-text') :]
    article = article[: article.index("</article>")]
    assert "<script" not in article
    assert "<img" not in article
    assert "javascript:" not in article.replace("[click](javascript:alert(1))", "")
    assert "&lt;script&gt;" in article
    signature = sign(cast.member, cast.group_a)
    response = signed_in(cast.member).get(f"/agreements/signatures/{signature.pk}/pdf/")
    assert "<script>alert('x')</script>" in pdf_text(response.content)  # shown as text


# --- Offered places see it too ------------------------------------------------------------


def test_an_offered_member_can_read_and_sign(cast, version):
    from kindred.accounts.models import UserKind

    client = person("Dana", "Newcomer")
    user = User.objects.create_user(
        "dana@example.test", PASSWORD, full_name="Dana Newcomer", kind=UserKind.MEMBER
    )
    client.user = user
    client.save(update_fields=["user"])
    enrollment_invite(actor=cast.coordinator, group=cast.group_a, client=client)
    http = signed_in(user)
    url = f"/my/groups/{cast.group_a.pk}/agreement/"
    assert http.get(url).status_code == 200
    http.post(
        url,
        {
            "version": version.pk,
            "text_sha256": version.body_sha256,
            "typed_name": "Dana Newcomer",
            "agreed": "on",
        },
    )
    assert AgreementSignature.objects.filter(client=client).exists()
    assert Enrollment.objects.get(client=client).status == EnrollmentStatus.INVITED
