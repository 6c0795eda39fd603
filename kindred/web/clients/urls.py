from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("clients/", placeholder, name="client_list"),
    path("clients/new/", placeholder, name="client_create"),
    path("practice/concerns/", placeholder, name="concern_list"),
]
