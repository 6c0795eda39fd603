from django.urls import URLPattern, path

from kindred.api.v1 import journal as views

urlpatterns: list[URLPattern] = [
    path("journal/entries/", views.JournalEntryListView.as_view(), name="journal_entries"),
    path(
        "journal/entries/<int:entry_id>/",
        views.JournalEntryDetailView.as_view(),
        name="journal_entry",
    ),
    path(
        "journal/entries/<int:entry_id>/share/",
        views.JournalShareView.as_view(),
        name="journal_entry_share",
    ),
    path("journal/sessions/", views.JournalSessionChoicesView.as_view(), name="journal_sessions"),
    path(
        "journal/groups/<int:group_id>/shared/",
        views.GroupSharedEntriesView.as_view(),
        name="journal_group_shared",
    ),
]
