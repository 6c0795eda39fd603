from django.urls import URLPattern, URLResolver, path

from kindred.web.screening import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("screenings/", views.screening_list, name="screening_list"),
    path("screenings/new/", views.screening_new, name="screening_new"),
    path("screenings/<int:screening_id>/", views.screening_detail, name="screening_detail"),
    path("reports/intake-funnel/", views.funnel_report, name="funnel_report"),
    path("reports/intake-funnel.csv", views.funnel_report_csv, name="funnel_report_csv"),
]
