from django.urls import URLPattern, path

from kindred.api.v1.psychnotes import PsychnotesExportView

urlpatterns: list[URLPattern] = [
    path(
        "psychotherapy-notes/export/",
        PsychnotesExportView.as_view(),
        name="psychotherapy_notes_export",
    ),
]
