"""Kindred's URLs plus the benchmark routes and a placeholder page, for these tests."""

from django.urls import include, path

from kindred.bench.views import hello
from kindred.web.placeholder import placeholder

urlpatterns = [
    path("bench/hello/", hello),
    path("still-building/", placeholder),
    path("", include("kindred.urls")),
]
