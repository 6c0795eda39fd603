from django.urls import URLPattern, path

from kindred.api.v1 import milestones as views

M = "milestones/<int:milestone_id>"

urlpatterns: list[URLPattern] = [
    path("milestones/mine/", views.MyMilestonesView.as_view(), name="milestones_mine"),
    path(f"{M}/share/", views.ShareView.as_view(), name="milestones_share"),
    path(f"{M}/dismiss/", views.DismissView.as_view(), name="milestones_dismiss"),
    path(f"{M}/unshare/", views.UnshareView.as_view(), name="milestones_unshare"),
    path(f"{M}/hide/", views.HideView.as_view(), name="milestones_hide"),
    path(f"{M}/restore/", views.RestoreView.as_view(), name="milestones_restore"),
    path(
        "milestones/groups/<int:group_id>/",
        views.GroupMilestonesView.as_view(),
        name="milestones_group",
    ),
    path(
        "milestones/groups/<int:group_id>/trends/",
        views.TrendsView.as_view(),
        name="milestones_trends",
    ),
    path(
        "milestones/clients/<int:client_id>/",
        views.ClientMilestonesView.as_view(),
        name="milestones_client",
    ),
]
