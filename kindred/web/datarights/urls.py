from django.urls import URLPattern, URLResolver, path

from kindred.web.datarights import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("account/my-data/", views.my_data, name="my_data"),
    path("account/close/", views.close_account, name="close_account"),
    path("account/close/withdraw/", views.withdraw_closure, name="withdraw_closure"),
    path("account-closures/", views.closures, name="datarights_closures"),
    path(
        "account-closures/<int:request_id>/",
        views.closure_detail,
        name="datarights_closure",
    ),
]
