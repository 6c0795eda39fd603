from django.urls import URLPattern, path

from kindred.api.v1 import groups as views

G = "groups/<int:group_id>"
S = f"{G}/sessions/<int:session_id>"
E = f"{G}/enrollments/<int:enrollment_id>"

urlpatterns: list[URLPattern] = [
    path("groups/", views.GroupListView.as_view(), name="group_list"),
    path(f"{G}/", views.GroupDetailView.as_view(), name="group_detail"),
    path(f"{G}/activate/", views.GroupActivateView.as_view(), name="group_activate"),
    path(f"{G}/pause/", views.GroupPauseView.as_view(), name="group_pause"),
    path(f"{G}/complete/", views.GroupCompleteView.as_view(), name="group_complete"),
    path(f"{G}/cancel/", views.GroupCancelView.as_view(), name="group_cancel"),
    path(f"{G}/sessions/", views.SessionListView.as_view(), name="group_sessions"),
    path(f"{S}/", views.SessionDetailView.as_view(), name="group_session"),
    path(f"{S}/cancel/", views.SessionCancelView.as_view(), name="group_session_cancel"),
    path(
        f"{S}/reschedule/",
        views.SessionRescheduleView.as_view(),
        name="group_session_reschedule",
    ),
    path(
        f"{S}/move-online/",
        views.SessionMoveOnlineView.as_view(),
        name="group_session_move_online",
    ),
    path(
        f"{S}/substitute/",
        views.SessionSubstituteView.as_view(),
        name="group_session_substitute",
    ),
    path(f"{G}/enrollments/", views.EnrollmentListView.as_view(), name="group_enrollments"),
    path(
        f"{E}/activate/",
        views.EnrollmentActivateView.as_view(),
        name="group_enrollment_activate",
    ),
    path(
        f"{E}/graduate/",
        views.EnrollmentGraduateView.as_view(),
        name="group_enrollment_graduate",
    ),
    path(
        f"{E}/withdraw/",
        views.EnrollmentWithdrawView.as_view(),
        name="group_enrollment_withdraw",
    ),
    path(f"{E}/remove/", views.EnrollmentRemoveView.as_view(), name="group_enrollment_remove"),
]
