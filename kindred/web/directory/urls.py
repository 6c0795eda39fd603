from django.urls import URLPattern, URLResolver, path

from kindred.web.directory import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("find-a-group/", views.directory_list, name="directory"),
    path("find-a-group/<slug:slug>/", views.group_detail, name="directory_group"),
    path("find-a-group/<slug:slug>/join/", views.join, name="directory_join"),
    path("find-a-group/<slug:slug>/join/thanks/", views.join_thanks, name="directory_join_thanks"),
    path("join-requests/", views.join_request_list, name="join_request_list"),
    path(
        "join-requests/<int:request_id>/handle/",
        views.join_request_handle,
        name="join_request_handle",
    ),
]
