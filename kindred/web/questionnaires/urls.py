from django.urls import path

from kindred.web.placeholder import placeholder

urlpatterns = [
    path("my/questionnaires/", placeholder, name="member_questionnaires"),
]
