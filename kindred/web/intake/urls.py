from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("waitlist/", placeholder, name="waitlist"),
]
