from django.urls import URLPattern, path

from kindred.web.psychnotes import views

urlpatterns: list[URLPattern] = [
    path("process-notes/", views.own_list, name="psychnote_list"),
    path("process-notes/export/", views.export, name="psychnote_export"),
    path("clients/<int:client_id>/process-notes/", views.client_list, name="psychnote_client_list"),
    path("clients/<int:client_id>/process-notes/new/", views.create, name="psychnote_create"),
    path(
        "sessions/<int:session_id>/process-notes/",
        views.session_page,
        name="psychnote_session",
    ),
    path("process-notes/<int:note_id>/", views.detail, name="psychnote_detail"),
    path("process-notes/<int:note_id>/edit/", views.edit, name="psychnote_edit"),
    path("process-notes/<int:note_id>/delete/", views.delete, name="psychnote_delete"),
]
