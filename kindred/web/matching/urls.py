from django.urls import URLPattern, URLResolver, path

from kindred.web.matching import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("matching/", views.matching_home, name="matching"),
    path("matching/runs/<int:run_id>/", views.run_detail, name="matching_run"),
    path("matching/runs/<int:run_id>/status/", views.run_status, name="matching_run_status"),
    path("matching/lines/<int:line_id>/", views.line_detail, name="matching_line"),
    path("matching/settings/", views.weights, name="matching_settings"),
]
