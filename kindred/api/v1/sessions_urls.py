from django.urls import URLPattern, path

from kindred.api.v1 import sessions as views

urlpatterns: list[URLPattern] = [
    path("sessions/mine/", views.MySessionsView.as_view(), name="my_sessions"),
    path(
        "sessions/<int:session_id>/attendance/",
        views.AttendanceView.as_view(),
        name="session_attendance",
    ),
    path(
        "sessions/<int:session_id>/attestation/",
        views.AttestationView.as_view(),
        name="session_attestation",
    ),
    path("sessions/<int:session_id>/join/", views.JoinView.as_view(), name="session_join"),
    path("reports/licensure/", views.LicensureReportView.as_view(), name="licensure_report"),
]
