from django.urls import URLPattern, path

from kindred.web.clients import views

urlpatterns: list[URLPattern] = [
    path("practice/concerns/", views.concern_list, name="concern_list"),
    path("practice/concerns/<int:concern_id>/edit/", views.concern_update, name="concern_update"),
    path("practice/concerns/<int:concern_id>/retire/", views.concern_retire, name="concern_retire"),
    path(
        "practice/concerns/<int:concern_id>/restore/",
        views.concern_restore,
        name="concern_restore",
    ),
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:client_id>/", views.client_detail, name="client_detail"),
    path("clients/<int:client_id>/edit/", views.client_update, name="client_update"),
    path("clients/<int:client_id>/archive/", views.client_archive, name="client_archive"),
    path("clients/<int:client_id>/restore/", views.client_restore, name="client_restore"),
    path(
        "clients/<int:client_id>/availability/",
        views.availability_add,
        name="availability_add",
    ),
    path(
        "clients/<int:client_id>/availability/<int:window_id>/remove/",
        views.availability_remove,
        name="availability_remove",
    ),
    path("clients/<int:client_id>/invite/", views.invitation_create, name="invitation_create"),
    path(
        "clients/<int:client_id>/invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "clients/<int:client_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    # Public: an invited client sets up their account (no sign-in yet).
    path("welcome/set-password/", views.invitation_accept, name="invitation_accept"),
    path("welcome/<str:token>/", views.invitation_open, name="invitation_open"),
]
