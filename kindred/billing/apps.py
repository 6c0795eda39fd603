from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kindred.billing"
    label = "billing"
    verbose_name = "Billing"
