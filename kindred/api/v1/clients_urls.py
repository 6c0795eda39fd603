from django.urls import URLPattern, path

from kindred.api.v1 import clients as views

urlpatterns: list[URLPattern] = [
    path("clients/", views.ClientListView.as_view(), name="client_list"),
    path("clients/<int:client_id>/", views.ClientDetailView.as_view(), name="client_detail"),
    path(
        "clients/<int:client_id>/archive/",
        views.ClientArchiveView.as_view(),
        name="client_archive",
    ),
    path(
        "clients/<int:client_id>/restore/",
        views.ClientRestoreView.as_view(),
        name="client_restore",
    ),
    path(
        "clients/<int:client_id>/availability/",
        views.AvailabilityListView.as_view(),
        name="client_availability",
    ),
    path(
        "clients/<int:client_id>/availability/<int:window_id>/",
        views.AvailabilityDetailView.as_view(),
        name="client_availability_window",
    ),
    path(
        "clients/<int:client_id>/invitations/",
        views.InvitationListView.as_view(),
        name="client_invitations",
    ),
    path(
        "clients/<int:client_id>/invitations/<int:invitation_id>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="client_invitation_revoke",
    ),
    path(
        "clients/<int:client_id>/invitations/<int:invitation_id>/resend/",
        views.InvitationResendView.as_view(),
        name="client_invitation_resend",
    ),
    path("concerns/", views.ConcernListView.as_view(), name="concern_list"),
    path("concerns/<int:concern_id>/", views.ConcernDetailView.as_view(), name="concern_detail"),
    path("me/client/", views.MyClientView.as_view(), name="my_client"),
]
