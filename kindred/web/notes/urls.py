from django.urls import URLPattern, path

from kindred.web.notes import views

urlpatterns: list[URLPattern] = [
    path("sessions/<int:session_id>/notes/", views.session_notes, name="session_notes"),
    path(
        "sessions/<int:session_id>/notes/no-attendance/",
        views.session_notes_close_unattended,
        name="session_notes_close_unattended",
    ),
    path("notes/<str:kind>/<int:note_id>/addendum/", views.note_addendum, name="note_addendum"),
    path("notes/<str:kind>/<int:note_id>/cosign/", views.note_cosign, name="note_cosign"),
    path("notes/cosign/", views.cosign_queue, name="notes_cosign_queue"),
    path("notes/unsigned/", views.unsigned_notes, name="notes_unsigned"),
    path("clients/<int:client_id>/notes/", views.client_notes, name="client_notes"),
    path("practice/notes/", views.settings_page, name="note_settings"),
]
