from django.apps import AppConfig


class BreakglassConfig(AppConfig):
    name = "kindred.breakglass"
    label = "breakglass"
    verbose_name = "Emergency (break-glass) access"
