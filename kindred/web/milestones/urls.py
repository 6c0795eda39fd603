"""Milestones (issue 8)."""

from django.urls import URLPattern, URLResolver, path

from kindred.web.milestones import views

G = "milestones/group/<int:group_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("milestones/", views.mine, name="milestones"),
    path("milestones/<int:milestone_id>/share/", views.share, name="milestones_share"),
    path("milestones/<int:milestone_id>/dismiss/", views.dismiss, name="milestones_dismiss"),
    path("milestones/<int:milestone_id>/unshare/", views.unshare, name="milestones_unshare"),
    path(f"{G}/", views.group, name="milestones_group"),
    path(f"{G}/trends/", views.trends, name="milestones_trends"),
    path(f"{G}/trends/session/", views.trends_session, name="milestones_trends_session"),
    path("milestones/shared/<int:milestone_id>/hide/", views.hide, name="milestones_hide"),
    path("milestones/shared/<int:milestone_id>/restore/", views.restore, name="milestones_restore"),
    path("milestones/client/<int:client_id>/", views.client, name="milestones_client"),
]
