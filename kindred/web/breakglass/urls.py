"""Break-glass pages (in the "web" namespace)."""

from django.urls import path

from kindred.web.breakglass import views

urlpatterns = [
    path("emergency-access/", views.open_grant, name="breakglass_open"),
    path("emergency-access/<int:grant_id>/end/", views.end_grant, name="breakglass_end"),
    path("emergency-access/review/", views.review, name="breakglass_review"),
    path(
        "emergency-access/review/<int:grant_id>/acknowledge/",
        views.acknowledge,
        name="breakglass_acknowledge",
    ),
]
