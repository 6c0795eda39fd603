"""The email digest: off by default, once a day at the person's hour in their own time
zone, counts and a link only (never text or names), idempotent, skips who it should;
the settings page and API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from kindred.accounts.models import ApiToken
from kindred.accounts.scopes import Scope
from kindred.accounts.tokens import new_token
from kindred.core.errors import ValidationFailed
from kindred.core.testing import Cast, signed_in
from kindred.notifications.digest import send_digests, summary
from kindred.notifications.models import DigestSent, Notification, NotificationPreference
from kindred.notifications.preferences import preference_of, preference_set
from kindred.notifications.services import notify

# 23:30 UTC on a winter day is 17:30 in Chicago (CST) and 18:30 in New York (EST).
EVENING = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
CANARY = "CANARY-9b2f post text"


def daily(user: Any, hour: int = 17) -> None:
    preference_set(actor=user, digest="daily", digest_hour=hour)
    NotificationPreference.objects.filter(user=user).update(
        last_digest_at=EVENING - timedelta(days=1)
    )


def things(user: Any, *kinds: str) -> None:
    for n, kind in enumerate(kinds):
        note = notify(
            user=user,
            kind=kind,
            title=f"{CANARY} by Avery Member in Steady Ground ({n})",
            body=f"{CANARY} — feeling suicidal",
            url="/space/1/",
        )
        assert note is not None
        Notification.objects.filter(pk=note.pk).update(created_at=EVENING - timedelta(hours=2))


def test_the_digest_is_off_by_default_and_nothing_is_sent(cast: Cast) -> None:
    assert preference_of(cast.member).digest == "off"
    things(cast.member, "space_reply")
    run = send_digests(now=EVENING)
    assert run.considered == 0
    assert mail.outbox == []


def test_counts_and_a_link_only_never_text_names_or_clinical_words(cast: Cast) -> None:
    daily(cast.member)
    things(cast.member, "space_reply", "space_reply", "goal_reply", "something_new")
    run = send_digests(now=EVENING)
    assert run.sent == 1
    (email,) = mail.outbox
    assert email.to == [cast.member.email]
    assert email.subject == "New in Kindred"
    assert (
        "You have 4 new things in Kindred: 2 in your group's space, 1 about your goals, "
        "1 other update." in email.body
    )
    assert reverse("web:notifications") in email.body
    everything = email.subject + email.body + str(email.extra_headers)
    for secret in ("CANARY", "Avery", "Member", "Steady Ground", "suicidal", "Fern"):
        assert secret not in everything
    assert cast.group_a.name not in everything


def test_two_runs_send_one_digest_a_day(cast: Cast) -> None:
    daily(cast.member)
    things(cast.member, "space_reply")
    assert send_digests(now=EVENING).sent == 1
    again = send_digests(now=EVENING + timedelta(minutes=15))
    assert again.sent == 0
    assert len(mail.outbox) == 1
    assert DigestSent.objects.filter(user=cast.member).count() == 1
    # Something new later the same evening still waits for tomorrow.
    things(cast.member, "space_reply")
    newest = Notification.objects.filter(user=cast.member).order_by("-pk")[0]
    Notification.objects.filter(pk=newest.pk).update(created_at=EVENING + timedelta(minutes=20))
    assert send_digests(now=EVENING + timedelta(minutes=30)).already_sent == 1
    assert len(mail.outbox) == 1
    tomorrow = send_digests(now=EVENING + timedelta(days=1))
    assert tomorrow.sent == 1
    assert "You have 1 new thing in Kindred: 1 in your group's space." in mail.outbox[1].body


def test_the_hour_is_read_in_the_persons_own_time_zone(cast: Cast) -> None:
    cast.client.timezone = "America/New_York"
    cast.client.save(update_fields=["timezone"])
    cast.client_b.timezone = "America/Chicago"
    cast.client_b.save(update_fields=["timezone"])
    for user in (cast.member, cast.member_b):
        daily(user, hour=18)
        things(user, "session_cancelled")
    run = send_digests(now=EVENING)  # 18:30 in New York, 17:30 in Chicago
    assert (run.sent, run.not_due) == (1, 1)
    assert [m.to for m in mail.outbox] == [[cast.member.email]]
    later = send_digests(now=EVENING + timedelta(hours=1))  # 18:30 in Chicago
    assert later.sent == 1
    assert mail.outbox[1].to == [cast.member_b.email]


def test_skips_nothing_new_read_ones_inactive_and_no_address(cast: Cast) -> None:
    for user in (cast.member, cast.member_b, cast.outsider, cast.facilitator):
        daily(user)
    things(cast.member)  # nothing
    things(cast.member_b, "space_reply")
    Notification.objects.filter(user=cast.member_b).update(read_at=EVENING)
    things(cast.outsider, "space_reply")
    cast.outsider.is_active = False
    cast.outsider.save(update_fields=["is_active"])
    things(cast.facilitator, "safety_alert")
    type(cast.facilitator).objects.filter(pk=cast.facilitator.pk).update(email="")
    run = send_digests(now=EVENING)
    assert run.sent == 0
    assert run.nothing_new == 2
    assert run.considered == 2  # inactive and address-less people are not even considered
    assert mail.outbox == []
    assert not DigestSent.objects.exists()


def test_only_what_arrived_since_the_last_digest_counts(cast: Cast) -> None:
    daily(cast.member)
    things(cast.member, "space_reply")
    NotificationPreference.objects.filter(user=cast.member).update(
        last_digest_at=EVENING - timedelta(hours=1)
    )
    assert send_digests(now=EVENING).nothing_new == 1


def test_staff_may_use_it_too_in_the_practices_zone(cast: Cast) -> None:
    daily(cast.facilitator, hour=17)  # the practice is in Chicago: 17:30
    things(cast.facilitator, "safety_alert", "licensure_gate")
    assert send_digests(now=EVENING).sent == 1
    assert "2 other updates" in mail.outbox[0].body
    assert "safety" not in mail.outbox[0].body.lower()


def test_summary_wording() -> None:
    from collections import Counter

    assert summary(Counter({"questionnaire_sent": 1})) == (
        1,
        "You have 1 new thing in Kindred: 1 check-in.",
    )


def test_the_command_reports_progress_and_is_idempotent(cast: Cast) -> None:
    daily(cast.member, hour=0)
    things(cast.member, "space_reply")
    Notification.objects.update(created_at=datetime.now(UTC) - timedelta(minutes=5))
    NotificationPreference.objects.update(last_digest_at=datetime.now(UTC) - timedelta(hours=1))
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert "checked 1 of 1 people" in out.getvalue()
    assert "sent 1;" in out.getvalue()
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert "sent 0;" in out.getvalue()
    assert "already sent today 1" in out.getvalue()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("digest", "hour", "field"), [("weekly", 5, "digest"), ("daily", 24, "digest_hour")]
)
def test_bad_values_are_refused_and_nothing_changes(
    cast: Cast, digest: str, hour: int, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        preference_set(actor=cast.member, digest=digest, digest_hour=hour)
    assert field in caught.value.errors
    assert not NotificationPreference.objects.exists()


def test_settings_page_explains_and_saves(cast: Cast) -> None:
    http = signed_in(cast.member)
    assert "Email summary settings" in http.get(reverse("web:notifications")).content.decode()
    page = http.get(reverse("web:notification_settings")).content.decode()
    assert "itself tell someone that you are in therapy" in page
    assert "America/Chicago" in page
    response = http.post(
        reverse("web:notification_settings"), {"digest": "daily", "digest_hour": "7"}
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=cast.member)
    assert (pref.digest, pref.digest_hour) == ("daily", 7)
    bad = http.post(reverse("web:notification_settings"), {"digest": "hourly", "digest_hour": "7"})
    assert bad.status_code == 400
    pref.refresh_from_db()
    assert pref.digest == "daily"
    staff = signed_in(cast.admin).get(reverse("web:notification_settings"))
    assert staff.status_code == 200


def test_api_reads_and_changes_ones_own_preference_and_refuses_tokens(cast: Cast) -> None:
    http = APIClient()
    http.force_login(cast.member, backend="allauth.account.auth_backends.AuthenticationBackend")
    url = "/api/v1/notifications/preferences/"
    assert http.get(url).json() == {
        "digest": "off",
        "digest_hour": 18,
        "time_zone": "America/Chicago",
    }
    changed = http.put(url, {"digest": "daily", "digest_hour": 6}, format="json")
    assert changed.status_code == 200
    assert changed.json()["digest"] == "daily"
    assert http.put(url, {"digest": "daily", "digest_hour": 30}, format="json").status_code == 400
    assert NotificationPreference.objects.get(user=cast.member).digest_hour == 6
    raw, prefix, digest = new_token()
    ApiToken.objects.create(
        user=cast.admin, name="t", prefix=prefix, token_hash=digest, scopes=[s.value for s in Scope]
    )
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert token.get(url).status_code == 403
