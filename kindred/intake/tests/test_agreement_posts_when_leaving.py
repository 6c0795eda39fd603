"""A group agreement says what becomes of a member's group-space posts when they close
their account; closing an account follows what the member signed (issue 9, data rights:
"posts anonymized or kept per the group agreement")."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import ValidationFailed
from kindred.core.testing import PASSWORD, signed_in
from kindred.datarights import closure
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.intake import agreements
from kindred.intake.models import AgreementVersion, PostsWhenLeaving
from kindred.intake.tests.agreement_support import published, sign, use
from kindred.space.access import get_space_for
from kindred.space.models import DisplayName
from kindred.space.services import display_name_set


def keep_version(
    admin, template, body: str = "# Our agreement\n\nBe kind, always."
) -> AgreementVersion:
    agreements.agreement_draft_start(actor=admin, template=template)
    agreements.agreement_draft_update(
        actor=admin,
        template=template,
        body=body,
        summary_of_changes="Posts keep your name.",
        posts_when_leaving="keep",
    )
    return agreements.agreement_version_publish(actor=admin, template=template)


def test_new_agreements_remove_names_unless_the_practice_says_otherwise(cast):
    version = published(cast.admin)
    assert version.posts_when_leaving == PostsWhenLeaving.ANONYMIZE
    kept = keep_version(cast.admin, version.template)
    assert (kept.number, kept.posts_when_leaving) == (2, "keep")
    # The next draft starts from what the latest version says.
    draft = agreements.agreement_draft_start(actor=cast.admin, template=version.template)
    assert draft.posts_when_leaving == "keep"
    event = AuditEvent.objects.filter(action="intake.agreement_draft.updated").latest("id")
    assert "posts_when_leaving" in event.detail["fields"]


def test_changing_only_the_posts_choice_is_a_new_version(cast):
    version = published(cast.admin)
    kept = keep_version(cast.admin, version.template, body=version.body)
    assert kept.body == version.body
    assert kept.posts_when_leaving == "keep"
    # Nothing changed at all: refused, as before.
    agreements.agreement_draft_start(actor=cast.admin, template=version.template)
    agreements.agreement_draft_update(
        actor=cast.admin, template=version.template, body=version.body, summary_of_changes="x"
    )
    with pytest.raises(ValidationFailed) as same:
        agreements.agreement_version_publish(actor=cast.admin, template=version.template)
    assert "same text as version 2" in str(same.value.errors["body"])


def test_a_bad_choice_is_refused_and_changes_nothing(cast):
    version = published(cast.admin)
    agreements.agreement_draft_start(actor=cast.admin, template=version.template)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        agreements.agreement_draft_update(
            actor=cast.admin, template=version.template, body="New", posts_when_leaving="delete"
        )
    assert "posts_when_leaving" in exc.value.errors
    draft = agreements.draft_of(version.template)
    assert draft is not None
    assert (draft.body, draft.posts_when_leaving) == (version.body, "anonymize")
    assert AuditEvent.objects.count() == before


def test_closure_follows_the_agreement_the_member_signed(cast):
    version = published(cast.admin)
    kept = keep_version(cast.admin, version.template)
    use(cast.coordinator, cast.group_a, kept)
    sign(cast.member, cast.group_a)
    display_name_set(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk), name="Sky"
    )
    assert closure.agreed_posts_choice(cast.client.pk) == "keep"
    page = signed_in(cast.coordinator)
    assert page.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    req = closure.closure_request(actor=cast.member)
    html = page.get(f"/account-closures/{req.pk}/").content.decode()
    assert re.search(r'<input[^>]*value="keep"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="anonymize"[^>]*checked', html)
    done = closure.closure_confirm(actor=cast.coordinator, request_id=req.pk)
    assert done.posts == "keep"
    assert DisplayName.objects.filter(user=cast.member, name="Sky").exists()


def test_the_more_private_choice_wins_when_agreements_differ(cast):
    first = published(cast.admin)
    kept = keep_version(cast.admin, first.template)
    other = published(cast.admin, name="Agreement for online groups")
    use(cast.coordinator, cast.group_a, kept)
    use(cast.coordinator, cast.group_b, other)
    sign(cast.member, cast.group_a)
    assert closure.agreed_posts_choice(cast.client.pk) == "keep"
    Enrollment.objects.create(
        group=cast.group_b,
        client=cast.client,
        status=EnrollmentStatus.ACTIVE,
        invited_at=timezone.now(),
        activated_at=timezone.now(),
    )
    sign(cast.member, cast.group_b)
    assert closure.agreed_posts_choice(cast.client.pk) == "anonymize"


def test_without_a_signed_agreement_the_default_applies(cast, settings):
    assert closure.agreed_posts_choice(cast.client.pk) == "anonymize"
    settings.KINDRED_CLOSURE_POSTS = "keep"
    assert closure.agreed_posts_choice(cast.client.pk) == "keep"


def test_the_draft_page_sets_it_and_members_read_it_before_signing(cast):
    version = published(cast.admin)
    template = version.template
    admin = signed_in(cast.admin)
    assert admin.post(f"/agreements/{template.pk}/draft/start/").status_code == 302
    html = admin.get(f"/agreements/{template.pk}/draft/").content.decode()
    assert "When a member closes their account, their posts in the group space" in html
    response = admin.post(
        f"/agreements/{template.pk}/draft/",
        {"body": version.body, "summary_of_changes": "Names stay.", "posts_when_leaving": "keep"},
    )
    assert response.status_code == 302
    draft = agreements.draft_of(template)
    assert draft is not None
    assert draft.posts_when_leaving == "keep"
    bad = admin.post(
        f"/agreements/{template.pk}/draft/",
        {"body": "Changed", "summary_of_changes": "x", "posts_when_leaving": "delete"},
    )
    assert bad.status_code == 200
    draft.refresh_from_db()
    assert (draft.body, draft.posts_when_leaving) == (version.body, "keep")
    kept = agreements.agreement_version_publish(actor=cast.admin, template=template)
    use(cast.coordinator, cast.group_a, kept)
    member_page = signed_in(cast.member).get(f"/my/groups/{cast.group_a.pk}/agreement/")
    assert "your posts in the group space stay, under your display name" in (
        member_page.content.decode()
    )


def test_the_api_reads_and_sets_it(cast):
    version = published(cast.admin)
    template = version.template
    admin = signed_in(cast.admin)
    assert (
        admin.get(f"/api/v1/agreement-versions/{version.pk}/").json()["posts_when_leaving"]
        == "anonymize"
    )
    agreements.agreement_draft_start(actor=cast.admin, template=template)
    url = f"/api/v1/agreement-templates/{template.pk}/draft/"
    body = {"body": "New words", "summary_of_changes": "New words."}
    bad = admin.put(url, json.dumps({**body, "posts_when_leaving": "delete"}), "application/json")
    assert bad.status_code == 400
    assert "posts_when_leaving" in bad.json()
    ok = admin.put(url, json.dumps({**body, "posts_when_leaving": "keep"}), "application/json")
    assert ok.status_code == 200
    assert ok.json()["posts_when_leaving"] == "keep"
    # Left out: unchanged.
    assert (
        admin.put(url, json.dumps(body), "application/json").json()["posts_when_leaving"] == "keep"
    )
