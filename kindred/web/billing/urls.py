from django.urls import URLPattern, path

from kindred.web.billing import views

urlpatterns: list[URLPattern] = [
    path("billing/", views.billing_home, name="billing_home"),
    path("billing/settings/", views.settings_page, name="billing_settings"),
    path("billing/report/", views.report_page, name="billing_report"),
    path("billing/report.csv", views.report_csv, name="billing_report_csv"),
    path("billing/sessions/<int:session_id>/", views.session_charges, name="billing_session"),
    path(
        "billing/charges/<int:charge_id>/discard/",
        views.charge_discard,
        name="billing_charge_discard",
    ),
    path("billing/clients/<int:client_id>/", views.ledger, name="billing_ledger"),
    path(
        "billing/clients/<int:client_id>/payments/new/",
        views.payment_new,
        name="billing_payment_new",
    ),
    path(
        "billing/clients/<int:client_id>/fees/new/",
        views.fee_override_new,
        name="billing_fee_override_new",
    ),
    path(
        "billing/clients/<int:client_id>/<str:kind>.pdf",
        views.client_pdf,
        name="billing_client_pdf",
    ),
    path("clients/<int:client_id>/diagnoses/", views.client_diagnoses, name="client_diagnoses"),
    path(
        "clients/<int:client_id>/diagnoses/<int:diagnosis_id>/",
        views.diagnosis_edit,
        name="client_diagnosis_edit",
    ),
    path("my/billing/", views.member_billing, name="member_billing"),
    path("my/billing/<str:kind>.pdf", views.member_pdf, name="member_billing_pdf"),
]
