from django.urls import URLPattern, path

from kindred.api.v1.datarights import (
    ClosureConfirmView,
    ClosureListView,
    OwnClosureView,
    OwnDataPdfView,
    OwnDataView,
)
from kindred.api.v1.datarights_exports import (
    SelfExportDetailView,
    SelfExportDownloadView,
    SelfExportListView,
)
from kindred.api.v1.datarights_purge import DestroyView, DueListView, HoldView

urlpatterns: list[URLPattern] = [
    path("me/data/", OwnDataView.as_view(), name="me_data"),
    path("me/data.pdf", OwnDataPdfView.as_view(), name="me_data_pdf"),
    path("me/closure/", OwnClosureView.as_view(), name="me_closure"),
    path("me/exports/", SelfExportListView.as_view(), name="me_exports"),
    path("me/exports/<int:export_id>/", SelfExportDetailView.as_view(), name="me_export"),
    path(
        "me/exports/<int:export_id>/download/",
        SelfExportDownloadView.as_view(),
        name="me_export_download",
    ),
    path("account-closures/", ClosureListView.as_view(), name="account_closures"),
    path("account-closures/due/", DueListView.as_view(), name="account_closures_due"),
    path(
        "account-closures/<int:request_id>/destroy/",
        DestroyView.as_view(),
        name="account_closure_destroy",
    ),
    path(
        "account-closures/<int:request_id>/hold/",
        HoldView.as_view(),
        name="account_closure_hold",
    ),
    path(
        "account-closures/<int:request_id>/confirm/",
        ClosureConfirmView.as_view(),
        name="account_closure_confirm",
    ),
]
