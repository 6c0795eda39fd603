from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kindred.scheduling"
    label = "scheduling"
    verbose_name = "Sessions, attendance and reminders"
