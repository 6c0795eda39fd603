from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "kindred.clients"
    label = "clients"
    verbose_name = "Clients"
