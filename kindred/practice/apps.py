from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "kindred.practice"
    label = "practice"
    verbose_name = "Practice"
