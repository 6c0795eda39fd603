from __future__ import annotations

from datetime import date

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from kindred.audit.models import AuditEvent
from kindred.billing import pdf, services
from kindred.billing.models import Charge, Diagnosis, Payment
from kindred.billing.testing import past_session, take_attendance
from kindred.core.testing import signed_in
from kindred.notes.testing import add_members
from kindred.scheduling.models import AttendanceStatus

pytestmark = pytest.mark.django_db

VALID_NPI = "1234567893"


@pytest.fixture
def session(cast):
    cast.group_a.fee_cents = 4000
    cast.group_a.save(update_fields=["fee_cents"])
    s = past_session(cast.group_a)
    take_attendance(s, cast.facilitator)
    return s


@pytest.fixture
def billed(cast, session):
    services.charges_create_for_session(actor=cast.billing, session=session)
    services.charges_post(actor=cast.billing, charges=list(Charge.objects.all()))
    return session


def _settings(**kw: str) -> dict[str, str]:
    data = {
        "no_show_fee_cents": "25.00",
        "late_cancel_fee_cents": "",
        "late_cancel_hours": "24",
        "individual_fee_cents": "150",
        "payer_note": "",
    }
    data.update(kw)
    return data


# --- Who gets in --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["billing", "admin"])
def test_billing_pages_for_billing_and_admins(cast, session, name):
    http = signed_in(getattr(cast, name))
    for url in (
        reverse("web:billing_home"),
        reverse("web:billing_settings"),
        reverse("web:billing_report"),
        reverse("web:billing_session", args=[session.pk]),
        reverse("web:billing_ledger", args=[cast.client.pk]),
        reverse("web:billing_payment_new", args=[cast.client.pk]),
        reverse("web:billing_fee_override_new", args=[cast.client.pk]),
    ):
        assert http.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ["coordinator", "facilitator", "supervisor", "member"])
def test_billing_pages_do_not_exist_for_others(cast, session, name):
    http = signed_in(getattr(cast, name))
    for url in (
        reverse("web:billing_home"),
        reverse("web:billing_settings"),
        reverse("web:billing_report"),
        reverse("web:billing_report_csv"),
        reverse("web:billing_session", args=[session.pk]),
        reverse("web:billing_ledger", args=[cast.client.pk]),
    ):
        assert http.get(url).status_code == 404, url
    assert AuditEvent.objects.filter(category="denied").exists()


def test_nav_has_billing_for_billing_and_members(cast):
    assert (
        "/billing/"
        in signed_in(cast.billing).get(reverse("web:home"), follow=True).content.decode()
    )
    page = signed_in(cast.member).get(reverse("web:member_sessions")).content.decode()
    assert reverse("web:member_billing") in page


# --- Settings and fees ---------------------------------------------------------------------


def test_negative_fee_in_the_settings_form_is_shown_beside_the_field(cast):
    http = signed_in(cast.billing)
    response = http.post(reverse("web:billing_settings"), _settings(no_show_fee_cents="-5"))
    assert response.status_code == 400
    assert "A fee cannot be negative." in response.content.decode()
    assert services.billing_settings().pk is not None
    assert not services.billing_settings().no_show_fee_cents
    response = http.post(reverse("web:billing_settings"), _settings())
    assert response.status_code == 302
    assert services.billing_settings().no_show_fee_cents == 2500
    assert services.billing_settings().individual_fee_cents == 15000


def test_fee_override_form(cast):
    from kindred.groups.models import Enrollment

    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    http = signed_in(cast.billing)
    url = reverse("web:billing_fee_override_new", args=[cast.client.pk])
    data = {
        "enrollment": enrollment.pk,
        "kind": "sliding",
        "fee_cents": "-1",
        "reason": "Income",
        "starts_on": "2026-11-01",
    }
    response = http.post(url, data)
    assert response.status_code == 400
    assert "A fee cannot be negative." in response.content.decode()
    response = http.post(url, {**data, "fee_cents": "15"})
    assert response.status_code == 302
    assert enrollment.fee_overrides.get().fee_cents == 1500


# --- Charges, ledger, payments ------------------------------------------------------------


def test_session_page_makes_and_posts_charges(cast, session):
    http = signed_in(cast.billing)
    url = reverse("web:billing_session", args=[session.pk])
    http.post(url, {"action": "create"})
    assert Charge.objects.filter(session=session, status="draft").count() == 2
    http.post(url, {"action": "post"})
    assert Charge.objects.filter(session=session, status="posted").count() == 2
    page = http.get(url).content.decode()
    assert "$40.00" in page


def test_unattended_session_shows_the_reason(cast):
    s = past_session(cast.group_a, 1)
    http = signed_in(cast.billing)
    response = http.post(
        reverse("web:billing_session", args=[s.pk]), {"action": "create"}, follow=True
    )
    assert "Attendance has not been taken" in response.content.decode()
    assert not Charge.objects.exists()


def test_session_page_queries_do_not_grow_with_members(cast, django_assert_max_num_queries):
    add_members(cast.group_a, 8)
    s = past_session(cast.group_a)
    take_attendance(s, cast.facilitator)
    services.charges_create_for_session(actor=cast.billing, session=s)
    http = signed_in(cast.billing)
    with django_assert_max_num_queries(14):
        assert http.get(reverse("web:billing_session", args=[s.pk])).status_code == 200
    with django_assert_max_num_queries(18):
        assert http.get(reverse("web:billing_home")).status_code == 200


def test_payment_form_and_ledger(cast, billed, django_assert_max_num_queries):
    http = signed_in(cast.billing)
    url = reverse("web:billing_payment_new", args=[cast.client.pk])
    response = http.post(url, {"amount_cents": "0", "method": "card", "received_on": "2026-11-20"})
    assert response.status_code == 400
    response = http.post(
        url,
        {"amount_cents": "25", "method": "card", "received_on": "2026-11-20", "reference": "R1"},
    )
    assert response.status_code == 302
    assert Payment.objects.get().amount_cents == 2500
    with django_assert_max_num_queries(16):
        page = http.get(reverse("web:billing_ledger", args=[cast.client.pk])).content.decode()
    assert "$15.00" in page  # 40 charged − 25 paid
    assert AuditEvent.objects.filter(
        action="billing.ledger.viewed", client_id=cast.client.pk
    ).exists()


# --- Diagnoses -------------------------------------------------------------------------------


def test_clinician_adds_a_diagnosis_bad_code_beside_the_field(cast):
    http = signed_in(cast.facilitator)
    url = reverse("web:client_diagnoses", args=[cast.client.pk])
    data = {"code": "41.1", "description": "GAD", "starts_on": "2026-10-01"}
    response = http.post(url, data)
    assert response.status_code == 400
    assert "not a well-formed ICD-10 code" in response.content.decode()
    assert not Diagnosis.objects.exists()
    assert http.post(url, {**data, "code": "F41.1", "is_primary": "on"}).status_code == 302
    detail = http.get(reverse("web:client_detail", args=[cast.client.pk])).content.decode()
    assert "F41.1" in detail


def test_diagnosis_access(cast):
    url = reverse("web:client_diagnoses", args=[cast.client.pk])
    assert signed_in(cast.coordinator).get(url).status_code == 403  # sees the record
    assert signed_in(cast.coordinator).post(url, {"code": "F41.1"}).status_code == 403
    assert signed_in(cast.facilitator_b).get(url).status_code == 404
    assert signed_in(cast.member).get(url).status_code == 404
    assert signed_in(cast.billing).get(url).status_code == 200
    assert signed_in(cast.billing).post(url, {"code": "F41.1"}).status_code == 403
    assert signed_in(cast.admin).get(url).status_code == 200


# --- Member portal ----------------------------------------------------------------------


def test_member_sees_their_ledger_and_downloads_pdfs(cast, billed):
    http = signed_in(cast.member)
    page = http.get(reverse("web:member_billing")).content.decode()
    assert "$40.00" in page
    for kind in ("superbill", "statement"):
        response = http.get(
            reverse("web:member_billing_pdf", args=[kind]),
            {"start": "2026-01-01", "end": "2026-12-31"},
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(
        action="billing.superbill.exported", client_id=cast.client.pk, actor=cast.member
    ).exists()


def test_member_pages_are_not_for_staff(cast):
    assert signed_in(cast.billing).get(reverse("web:member_billing")).status_code == 404


def test_member_does_not_see_others_charges(cast, billed):
    page = signed_in(cast.outsider).get(reverse("web:member_billing")).content.decode()
    assert "$40.00" not in page


def test_bad_period_is_refused(cast, billed):
    http = signed_in(cast.member)
    url = reverse("web:member_billing_pdf", args=["superbill"])
    response = http.get(url, {"start": "2026-12-01", "end": "2026-01-01"}, follow=True)
    assert "before the first" in response.content.decode()


# --- Superbill content ---------------------------------------------------------------------


def test_superbill_content(cast, session):
    cast.clinician.npi = VALID_NPI
    cast.clinician.save(update_fields=["npi"])
    services.billing_settings_update(
        actor=cast.billing,
        no_show_fee_cents=None,
        late_cancel_fee_cents=None,
        late_cancel_hours=24,
        individual_fee_cents=None,
        modifier_95_for_virtual=True,
        payer_note="Questions: billing@example.test",
    )
    services.diagnosis_add(
        actor=cast.facilitator,
        client=cast.client,
        code="F41.1",
        description="Generalized anxiety disorder",
        starts_on=date(2025, 1, 1),
        is_primary=True,
    )
    services.charges_create_for_session(actor=cast.billing, session=session)
    services.charges_post(actor=cast.billing, charges=list(Charge.objects.all()))
    services.payment_record(
        actor=cast.billing,
        client=cast.client,
        amount_cents=1000,
        method="cash",
        received_on=date(2026, 11, 20),
    )
    html = render_to_string(
        pdf.SUPERBILL_TEMPLATE,
        pdf.superbill_context(cast.client, date(2026, 1, 1), date(2026, 12, 31)),
    )
    assert "Test Practice" in html
    assert "Avery Member" in html
    assert "1990-04-01" in html
    assert "F41.1" in html
    assert "Generalized anxiety disorder" in html
    assert session.starts_at.date().isoformat()[:4] in html
    assert "90853" in html
    assert "<td>10*</td>" in html
    assert "<td>95</td>" in html
    assert VALID_NPI in html
    assert "LCPC IL 180.000002" in html  # the member is in IL (state of residence)
    assert "$40.00" in html
    assert "$10.00" in html  # paid
    assert "Place of service 10" in html
    assert "billing@example.test" in html


def test_superbill_has_no_other_members(cast, billed):
    html = render_to_string(
        pdf.SUPERBILL_TEMPLATE,
        pdf.superbill_context(cast.client, date(2026, 1, 1), date(2026, 12, 31)),
    )
    assert "Blair" not in html


def test_no_show_is_not_on_the_superbill(cast):
    services.billing_settings_update(
        actor=cast.billing,
        no_show_fee_cents=2500,
        late_cancel_fee_cents=None,
        late_cancel_hours=24,
        individual_fee_cents=None,
        modifier_95_for_virtual=False,
    )
    s = past_session(cast.group_a)
    take_attendance(s, cast.facilitator, {cast.client: AttendanceStatus.NO_SHOW})
    services.charges_create_for_session(actor=cast.billing, session=s)
    services.charges_post(actor=cast.billing, charges=list(Charge.objects.all()))
    html = render_to_string(
        pdf.SUPERBILL_TEMPLATE,
        pdf.superbill_context(cast.client, date(2026, 1, 1), date(2026, 12, 31)),
    )
    assert "90853" not in html
    assert "No sessions were billed" in html


# --- Report ------------------------------------------------------------------------------


def test_report_page_and_csv(cast, billed, django_assert_max_num_queries):
    services.billing_settings_update(
        actor=cast.billing,
        no_show_fee_cents=None,
        late_cancel_fee_cents=None,
        late_cancel_hours=24,
        individual_fee_cents=15000,
        modifier_95_for_virtual=False,
    )
    http = signed_in(cast.billing)
    with django_assert_max_num_queries(20):
        page = http.get(reverse("web:billing_report"), {"start": "2026-01-01", "end": "2026-12-31"})
    text = page.content.decode()
    assert "Steady Ground" in text
    assert "$40.00" in text  # per member-session
    assert "$300.00" in text  # two sessions individually
    response = http.get(
        reverse("web:billing_report_csv"), {"start": "2026-01-01", "end": "2026-12-31"}
    )
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "Steady Ground,2,2,0,80.00,40.00,,300.00,,73" in body


def test_report_csv_is_spreadsheet_safe(cast, billed):
    cast.group_a.name = "=HYPERLINK(1)"
    cast.group_a.save(update_fields=["name"])
    http = signed_in(cast.billing)
    body = http.get(reverse("web:billing_report_csv")).content.decode()
    assert "'=HYPERLINK(1)" in body
