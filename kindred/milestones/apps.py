from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "kindred.milestones"
    label = "milestones"
    verbose_name = "Milestones"
