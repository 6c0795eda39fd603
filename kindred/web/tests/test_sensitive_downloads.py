"""A staff download of another person's billing record is sensitive
(``kindred.accounts.reauth.sensitive``): without a recent sign-in the password prompt
comes first and sends the person back to the download; someone who may not see the
record gets 404 before any prompt."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from kindred.core.testing import PASSWORD, Cast, signed_in


def _url(cast: Cast, kind: str = "statement") -> str:
    return f"/billing/clients/{cast.client.pk}/{kind}.pdf?start=2026-01-01&end=2026-12-31"


def test_a_stale_session_is_asked_to_confirm_and_sent_back(cast: Cast) -> None:
    url = _url(cast)
    stale = signed_in(cast.billing).get(url)
    assert stale.status_code == 302
    prompt = urlsplit(stale["Location"])
    assert prompt.path == "/accounts/reauthenticate/"
    assert parse_qs(prompt.query)["next"] == [url]  # the period comes back too


def test_those_who_may_not_see_the_record_get_404_before_any_prompt(cast: Cast) -> None:
    for person in (cast.facilitator, cast.coordinator, cast.member):
        assert signed_in(person).get(_url(cast)).status_code == 404
    assert signed_in(cast.billing).get(_url(cast, "diary")).status_code == 404


# WeasyPrint warns that a future version will need HarfBuzz-Subset; the PDF is made
# all the same, and that warning is not what this test is about.
@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")
def test_after_confirming_the_download_is_served(cast: Cast) -> None:
    http = signed_in(cast.billing)
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    response = http.get(_url(cast))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
