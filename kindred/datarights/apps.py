from django.apps import AppConfig


class DatarightsConfig(AppConfig):
    name = "kindred.datarights"
    label = "datarights"
    verbose_name = "Data rights (own-data download, account closure)"
