from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import member as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/sessions/", views.MemberSessionListView.as_view(), name="member_sessions"),
    path(
        "me/sessions/<int:session_id>/absence/",
        views.AbsenceView.as_view(),
        name="member_absence",
    ),
    path("me/calendar-feed/", views.CalendarFeedView.as_view(), name="calendar_feed"),
    path("directory/groups/", views.DirectoryListView.as_view(), name="directory_groups"),
    path(
        "directory/groups/<slug:slug>/",
        views.DirectoryDetailView.as_view(),
        name="directory_group",
    ),
]
