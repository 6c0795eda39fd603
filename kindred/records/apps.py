from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "kindred.records"
    label = "records"
    verbose_name = "Member record export"
