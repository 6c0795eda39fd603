"""Kindred's URLs: the web pages, the API, and the account flows (allauth)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("api/", include("kindred.api.urls")),
    path("fhir/r4/", include("kindred.fhir.urls")),
    path("bench/", include("kindred.bench.urls")),  # empty unless KINDRED_BENCH=1
    path("", include("kindred.web.urls")),
]
