from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "kindred.notes"
    label = "notes"
    verbose_name = "Clinical notes"
