from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("groups/", placeholder, name="group_list"),
]
