"""A client's postal address (optional): whole or empty, a well-formed ZIP code, set on
the page and through the API, shown on the client page, the superbill and the record
export. Its state is the state of residence."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.urls import reverse

from kindred.accounts.token_services import api_token_create
from kindred.audit.models import AuditEvent
from kindred.billing import pdf
from kindred.clients.models import Client
from kindred.clients.services import client_create, client_update
from kindred.core.errors import ValidationFailed
from kindred.core.testing import signed_in
from kindred.records.export import Range, member_record

pytestmark = pytest.mark.django_db

ADDRESS = {
    "address_line1": "200 Example Street",
    "address_line2": "Apt 4B",
    "city": "Springfield",
    "postal_code": "62701-1234",
}


def with_address(client: Client, actor: Any) -> Client:
    return client_update(actor=actor, client=client, **ADDRESS)  # type: ignore[arg-type]


# --- Service -----------------------------------------------------------------------------


def test_an_address_is_saved_trimmed_and_audited_by_field_name(cast: Any) -> None:
    client_update(
        actor=cast.coordinator,
        client=cast.client,
        address_line1="  200 Example Street ",
        city=" Springfield",
        postal_code="62701 ",
    )
    cast.client.refresh_from_db()
    assert cast.client.address_line1 == "200 Example Street"
    assert cast.client.postal_code == "62701"
    assert cast.client.address_lines == ["200 Example Street", "Springfield, IL 62701"]
    event = AuditEvent.objects.filter(action="clients.client.updated").latest("id")
    assert event.detail["fields"] == ["address_line1", "city", "postal_code"]
    assert "Example" not in str(event.detail)


def test_a_record_without_an_address_has_no_address_lines(cast: Any) -> None:
    assert cast.client.address_lines == []
    assert not cast.client.has_address


@pytest.mark.parametrize(
    "zip_code", ["6270", "627011", "62701-12", "62701-12345", "ABCDE", "62701 1234"]
)
def test_a_malformed_zip_code_is_refused_beside_its_field(cast: Any, zip_code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        client_update(
            actor=cast.coordinator,
            client=cast.client,
            address_line1="200 Example Street",
            city="Springfield",
            postal_code=zip_code,
        )
    assert set(caught.value.errors) == {"postal_code"}
    assert "ZIP" in caught.value.errors["postal_code"][0]
    cast.client.refresh_from_db()
    assert cast.client.address_line1 == ""
    assert cast.client.postal_code == ""


def test_a_partial_address_names_each_missing_part(cast: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        client_update(actor=cast.coordinator, client=cast.client, address_line2="Apt 4B")
    assert set(caught.value.errors) == {"address_line1", "city", "postal_code"}
    with pytest.raises(ValidationFailed) as caught:
        client_update(
            actor=cast.coordinator, client=cast.client, address_line1="1 Main St", city="Topeka"
        )
    assert set(caught.value.errors) == {"postal_code"}
    cast.client.refresh_from_db()
    assert not cast.client.has_address


def test_an_address_is_cleared_by_emptying_it(cast: Any) -> None:
    with_address(cast.client, cast.coordinator)
    client_update(
        actor=cast.coordinator,
        client=cast.client,
        address_line1="",
        address_line2="",
        city="",
        postal_code="",
    )
    cast.client.refresh_from_db()
    assert cast.client.address_lines == []


def test_a_new_record_may_carry_an_address(cast: Any) -> None:
    client = client_create(
        actor=cast.coordinator,
        legal_first_name="Quinn",
        legal_last_name="Example",
        date_of_birth=date(1985, 6, 1),
        state_of_residence="KS",
        address_line1="9 Prairie Road",
        city="Topeka",
        postal_code="66601",
    )
    assert client.address_lines == ["9 Prairie Road", "Topeka, KS 66601"]


def test_the_database_refuses_a_malformed_zip_code(cast: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=cast.client.pk).update(postal_code="1234")


# --- Pages -------------------------------------------------------------------------------


def _form_data(client: Client, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "legal_first_name": client.legal_first_name,
        "legal_last_name": client.legal_last_name,
        "preferred_name": client.preferred_name,
        "pronouns": client.pronouns,
        "date_of_birth": client.date_of_birth.isoformat(),
        "email": client.email,
        "phone": client.phone,
        "state_of_residence": client.state_of_residence,
        "timezone": client.timezone,
        "preferred_modality": client.preferred_modality,
        "language": client.language,
    }
    data.update(changes)
    return data


def test_the_edit_form_saves_the_address_and_the_page_shows_it(cast: Any) -> None:
    http = signed_in(cast.coordinator)
    url = reverse("web:client_update", args=[cast.client.pk])
    assert 'name="postal_code"' in http.get(url).content.decode()
    response = http.post(url, _form_data(cast.client, **ADDRESS))
    assert response.status_code == 302
    page = http.get(reverse("web:client_detail", args=[cast.client.pk])).content.decode()
    assert "200 Example Street<br>Apt 4B<br>Springfield, IL 62701-1234" in page


def test_the_edit_form_shows_a_bad_zip_code_beside_the_field(cast: Any) -> None:
    http = signed_in(cast.coordinator)
    url = reverse("web:client_update", args=[cast.client.pk])
    response = http.post(
        url, _form_data(cast.client, address_line1="1 Main St", city="Chicago", postal_code="606")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a 5-digit ZIP code" in html
    assert 'aria-invalid="true"' in html
    cast.client.refresh_from_db()
    assert not cast.client.has_address


# --- API ---------------------------------------------------------------------------------


def _token(user: Any, *scopes: str) -> HttpClient:
    raw, _ = api_token_create(actor=user, name="Integration", scopes=list(scopes))
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_reads_and_changes_the_address(cast: Any) -> None:
    api = _token(cast.admin, "clients:read", "clients:write")
    url = f"/api/v1/clients/{cast.client.pk}/"
    response = api.patch(url, ADDRESS, content_type="application/json")
    assert response.status_code == 200, response.content
    body = api.get(url).json()
    assert body["address_line1"] == "200 Example Street"
    assert body["address_line2"] == "Apt 4B"
    assert body["city"] == "Springfield"
    assert body["postal_code"] == "62701-1234"
    assert body["state_of_residence"] == "IL"


def test_the_api_answers_a_bad_zip_code_on_its_field(cast: Any) -> None:
    api = _token(cast.admin, "clients:read", "clients:write")
    response = api.patch(
        f"/api/v1/clients/{cast.client.pk}/",
        {**ADDRESS, "postal_code": "6270"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "postal_code" in response.json()
    cast.client.refresh_from_db()
    assert not cast.client.has_address


# --- Superbill and record export ---------------------------------------------------------


def test_the_superbill_prints_the_address(cast: Any) -> None:
    with_address(cast.client, cast.coordinator)
    html = render_to_string(
        pdf.SUPERBILL_TEMPLATE,
        pdf.superbill_context(cast.client, date(2026, 1, 1), date(2026, 12, 31)),
    )
    assert "200 Example Street<br>Apt 4B<br>Springfield, IL 62701-1234" in html


def test_a_superbill_without_an_address_says_so(cast: Any) -> None:
    html = render_to_string(
        pdf.SUPERBILL_TEMPLATE,
        pdf.superbill_context(cast.client, date(2026, 1, 1), date(2026, 12, 31)),
    )
    assert "Not recorded (state of residence: IL)" in html


def test_the_record_export_holds_the_address(cast: Any) -> None:
    with_address(cast.client, cast.coordinator)
    data = member_record(client=cast.client, span=Range(date(2026, 1, 1), date(2026, 12, 31)))
    assert data["member"]["address"] == {
        "line1": "200 Example Street",
        "line2": "Apt 4B",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701-1234",
    }
    html = render_to_string("web/records/record_pdf.html", {"record": data})
    assert "200 Example Street<br>Apt 4B<br>Springfield, IL 62701-1234" in html
