from django.urls import URLPattern, URLResolver, path

from kindred.web.member import calendar_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("my/sessions/", views.sessions, name="member_sessions"),
    path("my/sessions/<int:session_id>/absence/", views.absence, name="member_absence"),
    path(
        "my/absence-notices/<int:notice_id>/withdraw/",
        views.absence_withdraw,
        name="member_absence_withdraw",
    ),
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/new/", calendar_views.calendar_create, name="calendar_create"),
    path("calendar/revoke/", calendar_views.calendar_revoke, name="calendar_revoke"),
    path(
        "calendar/sessions/<int:session_id>.ics",
        calendar_views.session_download,
        name="calendar_session",
    ),
    path("calendar/<str:token>.ics", calendar_views.feed, name="calendar_feed"),
]
