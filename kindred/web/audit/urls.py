from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("audit/", placeholder, name="audit_list"),
]
