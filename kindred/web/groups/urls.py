from django.urls import URLPattern, path

from kindred.web.groups import session_views, views

urlpatterns: list[URLPattern] = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:group_id>/", views.group_detail, name="group_detail"),
    path("groups/<int:group_id>/edit/", views.group_update, name="group_update"),
    path(
        "groups/<int:group_id>/status/<slug:action>/",
        views.group_status,
        name="group_status",
    ),
    path("groups/<int:group_id>/invite/", views.roster_invite, name="roster_invite"),
    path(
        "groups/<int:group_id>/places/<int:enrollment_id>/activate/",
        views.enrollment_activate,
        name="enrollment_activate",
    ),
    path(
        "groups/<int:group_id>/places/<int:enrollment_id>/<slug:action>/",
        views.enrollment_end,
        name="enrollment_end",
    ),
    path("groups/<int:group_id>/sessions/", session_views.session_list, name="group_sessions"),
    path(
        "groups/<int:group_id>/sessions/<int:session_id>/cancel/",
        session_views.session_cancel,
        name="group_session_cancel",
    ),
    path(
        "groups/<int:group_id>/sessions/<int:session_id>/reschedule/",
        session_views.session_reschedule,
        name="group_session_reschedule",
    ),
    path(
        "groups/<int:group_id>/sessions/<int:session_id>/move-online/",
        session_views.session_move_online,
        name="group_session_move_online",
    ),
    path(
        "groups/<int:group_id>/sessions/<int:session_id>/substitute/",
        session_views.session_substitute,
        name="group_session_substitute",
    ),
]
