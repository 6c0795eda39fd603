from django.apps import AppConfig


class PsychnotesConfig(AppConfig):
    name = "kindred.psychnotes"
    label = "psychnotes"
    verbose_name = "Psychotherapy notes"
