from django.urls import URLPattern, path

from kindred.api.v1 import billing as views

urlpatterns: list[URLPattern] = [
    path(
        "sessions/<int:session_id>/charges/",
        views.SessionChargesView.as_view(),
        name="session_charges",
    ),
    path(
        "sessions/<int:session_id>/charges/post/",
        views.SessionChargesPostView.as_view(),
        name="session_charges_post",
    ),
    path(
        "clients/<int:client_id>/charges/", views.ClientChargesView.as_view(), name="client_charges"
    ),
    path(
        "clients/<int:client_id>/payments/",
        views.ClientPaymentsView.as_view(),
        name="client_payments",
    ),
    path(
        "clients/<int:client_id>/balance/", views.ClientBalanceView.as_view(), name="client_balance"
    ),
    path(
        "clients/<int:client_id>/diagnoses/",
        views.ClientDiagnosesView.as_view(),
        name="client_diagnoses",
    ),
    path(
        "clients/<int:client_id>/superbill/",
        views.ClientSuperbillView.as_view(),
        name="client_superbill",
    ),
]
