from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    name = "kindred.strategies"
    label = "strategies"
    verbose_name = "Coping strategies"
