from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kindred.intake"
    label = "intake"
    verbose_name = "Intake and admission"
