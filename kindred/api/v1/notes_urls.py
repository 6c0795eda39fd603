from django.urls import URLPattern, path

from kindred.api.v1 import notes as views

urlpatterns: list[URLPattern] = [
    path(
        "sessions/<int:session_id>/notes/", views.SessionNotesView.as_view(), name="session_notes"
    ),
    path(
        "sessions/<int:session_id>/notes/sign/",
        views.SessionNotesSignView.as_view(),
        name="session_notes_sign",
    ),
    path(
        "sessions/<int:session_id>/notes/no-attendance/",
        views.SessionNotesNoAttendanceView.as_view(),
        name="session_notes_no_attendance",
    ),
    path("clients/<int:client_id>/notes/", views.ClientNotesView.as_view(), name="client_notes"),
    path("notes/unsigned/", views.UnsignedNotesView.as_view(), name="notes_unsigned"),
    path("notes/cosign/", views.CosignQueueView.as_view(), name="notes_cosign_queue"),
    path(
        "notes/<str:kind>/<int:note_id>/cosign/",
        views.NoteCosignView.as_view(),
        name="note_cosign",
    ),
    path(
        "notes/<str:kind>/<int:note_id>/addenda/",
        views.NoteAddendaView.as_view(),
        name="note_addenda",
    ),
]
