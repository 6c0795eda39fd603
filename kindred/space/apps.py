from django.apps import AppConfig


class SpaceConfig(AppConfig):
    name = "kindred.space"
    label = "space"
    verbose_name = "Group space"
