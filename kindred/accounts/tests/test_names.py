"""People's names are one line (issue 9): every form and API serializer that takes a
person's name refuses line breaks and other control characters with a field error,
through one validator (accounts/names.py), and nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError

from kindred.accounts.models import User
from kindred.accounts.names import name_problem, validate_person_name
from kindred.api.testing import session
from kindred.api.v1.agreements import SignInputSerializer
from kindred.api.v1.clients import ClientInputSerializer
from kindred.api.v1.intake import ReferralInputSerializer
from kindred.api.v1.practice import StaffCreateInput, StaffUpdateInput
from kindred.api.v1.space import DisplayNameInputSerializer
from kindred.clients.models import Client
from kindred.core.testing import PASSWORD, Cast, signed_in
from kindred.space.models import DisplayName
from kindred.web.agreements.forms import SignForm
from kindred.web.clients.forms import ClientForm
from kindred.web.directory.forms import JoinRequestForm
from kindred.web.intake.forms import ReferralForm, StaffReferralForm
from kindred.web.practice.forms import StaffCreateForm, StaffEditForm
from kindred.web.space.forms import DisplayNameForm

LINE_BREAK = "A name cannot contain line breaks."
BROKEN = ["Ann\nEvil", "Ann\r\nEvil", "Ann\rEvil", "Ann\u2028Evil", "Ann\x85Evil", "Ann\x0bE"]
CONTROLS = ["Ann\tEvil", "Ann\x00Evil", "Ann\x7fEvil", "Ann\x1bEvil"]
FINE = ["Zoë O'Neil-Smith", "José María", "Nguyễn Thị", "श्री\u200dमान", "Dr. A. B. Cole Jr."]

# Every place a person's name is taken: (form or serializer, field).
FORM_FIELDS: list[tuple[type[forms.Form], str]] = [
    (StaffCreateForm, "full_name"),
    (StaffEditForm, "full_name"),
    (ClientForm, "legal_first_name"),
    (ClientForm, "legal_last_name"),
    (ClientForm, "preferred_name"),
    (ClientForm, "emergency_contact_name"),
    (ReferralForm, "first_name"),
    (ReferralForm, "last_name"),
    (ReferralForm, "preferred_name"),
    (StaffReferralForm, "referrer_name"),
    (DisplayNameForm, "name"),
    (SignForm, "typed_name"),
    (JoinRequestForm, "name"),
]
SERIALIZER_FIELDS: list[tuple[type[serializers.Serializer[Any]], str]] = [
    (StaffCreateInput, "full_name"),
    (StaffUpdateInput, "full_name"),
    (ClientInputSerializer, "legal_first_name"),
    (ClientInputSerializer, "legal_last_name"),
    (ClientInputSerializer, "preferred_name"),
    (ClientInputSerializer, "emergency_contact_name"),
    (ReferralInputSerializer, "first_name"),
    (ReferralInputSerializer, "last_name"),
    (ReferralInputSerializer, "preferred_name"),
    (ReferralInputSerializer, "referrer_name"),
    (DisplayNameInputSerializer, "name"),
    (SignInputSerializer, "typed_name"),
]


@pytest.mark.parametrize("value", BROKEN)
def test_line_breaks_are_refused_with_the_message(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_person_name(value)
    assert exc.value.messages == [LINE_BREAK]
    assert exc.value.code == "name_line_break"


@pytest.mark.parametrize("value", CONTROLS)
def test_other_control_characters_are_refused(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_person_name(value)
    assert exc.value.code == "name_control_character"


@pytest.mark.parametrize("value", FINE)
def test_real_names_pass(value: str) -> None:
    assert name_problem(value) is None
    validate_person_name(value)


@pytest.mark.parametrize(("form", "field"), FORM_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_every_form_name_field_uses_the_validator(form: type[forms.Form], field: str) -> None:
    the_field = form.base_fields[field]
    assert validate_person_name in the_field.validators
    with pytest.raises(ValidationError) as exc:
        the_field.clean("Ann\nEvil Jones")
    assert LINE_BREAK in exc.value.messages
    assert the_field.clean("Ann Jones") == "Ann Jones"


@pytest.mark.parametrize(
    ("serializer", "field"), SERIALIZER_FIELDS, ids=lambda x: getattr(x, "__name__", x)
)
def test_every_serializer_name_field_uses_the_validator(
    serializer: type[serializers.Serializer[Any]], field: str
) -> None:
    the_field = serializer().fields[field]
    with pytest.raises(ApiValidationError) as exc:
        the_field.run_validation("Ann\nEvil Jones")
    assert [str(m) for m in exc.value.detail] == [LINE_BREAK]
    assert the_field.run_validation("Ann Jones") == "Ann Jones"


# --- End to end: the field error, and nothing saved ---------------------------------------


def _reauthenticated(http: Any) -> Any:
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


@pytest.mark.django_db
def test_staff_names_on_the_web_and_in_the_api(cast: Cast) -> None:
    web = _reauthenticated(signed_in(cast.admin))
    page = web.post(
        "/staff/new/",
        {
            "full_name": "Ann\r\nBcc: x@example.test",
            "email": "ann@example.test",
            "roles": ["billing"],
        },
    )
    assert page.status_code in (200, 400)
    assert LINE_BREAK in page.content.decode()
    api = session(cast.admin)
    assert (
        api.post(
            "/accounts/reauthenticate/", {"password": PASSWORD}, format="multipart"
        ).status_code
        == 302
    )
    answer = api.post(
        "/api/v1/staff/",
        {"full_name": "Ann\nEvil", "email": "ann@example.test", "roles": ["billing"]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["full_name"] == [LINE_BREAK]
    assert not User.objects.filter(email="ann@example.test").exists()
    edit = api.patch(
        f"/api/v1/staff/{cast.billing.pk}/", {"full_name": "Bill\u2028Evil"}, format="json"
    )
    assert edit.status_code == 400
    assert edit.json()["full_name"] == [LINE_BREAK]
    assert "\u2028" not in User.objects.get(pk=cast.billing.pk).full_name


@pytest.mark.django_db
def test_client_names_in_the_api(cast: Cast) -> None:
    api = session(cast.admin)
    before = Client.objects.count()
    answer = api.post(
        "/api/v1/clients/",
        {
            "legal_first_name": "Priya\n",
            "legal_last_name": "Ra\nman",
            "preferred_name": "P\rR",
            "emergency_contact_name": "Sam\tLee",
            "date_of_birth": "1994-02-11",
            "state_of_residence": "KS",
            "email": "priya.r@example.test",
            "preferred_modality": "in_person",
        },
        format="json",
    )
    assert answer.status_code == 400
    errors = answer.json()
    assert errors["legal_last_name"] == [LINE_BREAK]
    assert errors["preferred_name"] == [LINE_BREAK]
    assert "emergency_contact_name" in errors
    assert Client.objects.count() == before


@pytest.mark.django_db
def test_space_display_names_on_the_web_and_in_the_api(cast: Cast) -> None:
    group = cast.group_a.pk
    api = session(cast.member)
    answer = api.put(f"/api/v1/space/groups/{group}/display-name/", {"name": "Sky\nBlue"})
    assert answer.status_code == 400
    assert answer.json()["name"] == [LINE_BREAK]
    url = reverse("web:space_display_name", args=[group])
    page = signed_in(cast.member).post(url, {"name": "Sky\r\nBlue"})
    assert LINE_BREAK in page.content.decode()
    assert not DisplayName.objects.filter(user=cast.member).exists()


@pytest.mark.django_db
def test_the_staff_services_refuse_them_too(cast: Cast) -> None:
    """A command or seed that calls the service directly gets the same refusal."""
    from kindred.accounts.services import staff_create
    from kindred.core.errors import ValidationFailed
    from kindred.practice.roles import Role

    with pytest.raises(ValidationFailed) as exc:
        staff_create(actor=None, email="c@example.test", full_name="C\nD", roles=[Role.BILLING])
    assert (exc.value.field, exc.value.message) == ("full_name", LINE_BREAK)
    assert not User.objects.filter(email="c@example.test").exists()
