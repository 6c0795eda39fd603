from django.urls import URLPattern, path

from kindred.api.v1 import matching as views

urlpatterns: list[URLPattern] = [
    path("matching/runs/", views.RunListView.as_view(), name="matching_run_list"),
    path("matching/runs/<int:run_id>/", views.RunDetailView.as_view(), name="matching_run"),
    path(
        "matching/lines/<int:line_id>/accept/",
        views.LineAcceptView.as_view(),
        name="matching_line_accept",
    ),
    path(
        "matching/lines/<int:line_id>/edit/",
        views.LineEditView.as_view(),
        name="matching_line_edit",
    ),
    path(
        "matching/lines/<int:line_id>/reject/",
        views.LineRejectView.as_view(),
        name="matching_line_reject",
    ),
    path("matching/settings/", views.SettingsView.as_view(), name="matching_settings"),
]
