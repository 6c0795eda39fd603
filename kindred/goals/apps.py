from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "kindred.goals"
    label = "goals"
    verbose_name = "Goals and check-ins"
