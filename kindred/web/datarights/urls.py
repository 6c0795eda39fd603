from django.urls import URLPattern, URLResolver, path

from kindred.web.datarights import export_views, purge_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("account/my-data/", views.my_data, name="my_data"),
    path("account/my-data/pdf/", export_views.pdf_request, name="my_data_pdf_request"),
    path(
        "account/my-data/pdf/<int:export_id>/status/",
        export_views.pdf_status,
        name="my_data_pdf_status",
    ),
    path(
        "account/my-data/pdf/<int:export_id>/download/",
        export_views.pdf_download,
        name="my_data_pdf_download",
    ),
    path("account/close/", views.close_account, name="close_account"),
    path("account/close/withdraw/", views.withdraw_closure, name="withdraw_closure"),
    path("account-closures/", views.closures, name="datarights_closures"),
    path("account-closures/due/", purge_views.due_list, name="datarights_purge_due"),
    path(
        "account-closures/<int:request_id>/destruction/",
        purge_views.destruction,
        name="datarights_purge",
    ),
    path(
        "account-closures/<int:request_id>/hold/",
        purge_views.hold,
        name="datarights_purge_hold",
    ),
    path(
        "account-closures/<int:request_id>/hold/lift/",
        purge_views.lift_hold,
        name="datarights_purge_lift",
    ),
    path(
        "account-closures/<int:request_id>/",
        views.closure_detail,
        name="datarights_closure",
    ),
]
