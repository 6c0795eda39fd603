from django.urls import URLPattern, path

from kindred.web.sessions import views

urlpatterns: list[URLPattern] = [
    path(
        "sessions/<int:session_id>/attendance/",
        views.session_attendance,
        name="session_attendance",
    ),
    path("sessions/<int:session_id>/start/", views.session_start, name="session_start"),
    path("sessions/<int:session_id>/attest/", views.session_attest, name="session_attest"),
    path("sessions/<int:session_id>/join/", views.session_join, name="session_join"),
    path("reports/licensure/", views.licensure_report, name="licensure_report"),
    path(
        "reports/licensure/<slug:which>.csv",
        views.licensure_report_csv,
        name="licensure_report_csv",
    ),
]
