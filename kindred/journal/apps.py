from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "kindred.journal"
    label = "journal"
    verbose_name = "Private journal"
