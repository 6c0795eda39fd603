from django.urls import URLPattern, URLResolver, path

from kindred.web.journal import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("journal/", views.journal_list, name="journal"),
    path("journal/new/", views.journal_new, name="journal_new"),
    path("journal/<int:entry_id>/", views.journal_entry, name="journal_entry"),
    path("journal/<int:entry_id>/edit/", views.journal_edit, name="journal_edit"),
    path("journal/<int:entry_id>/share/", views.journal_share, name="journal_share"),
    path("journal/<int:entry_id>/unshare/", views.journal_unshare, name="journal_unshare"),
    path("journal/<int:entry_id>/delete/", views.journal_delete, name="journal_delete"),
    path("journal/group/<int:group_id>/", views.journal_group, name="journal_group"),
]
