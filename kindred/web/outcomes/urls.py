from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("alerts/", placeholder, name="alert_list"),
]
