from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("account/", placeholder, name="account"),
]
