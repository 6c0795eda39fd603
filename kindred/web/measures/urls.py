from django.urls import URLPattern, URLResolver, path

from kindred.web.measures import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("instruments/", views.instrument_list, name="instrument_list"),
    path("instruments/load/", views.instrument_load, name="instrument_load"),
    path("instruments/<slug:code>/", views.instrument_detail, name="instrument_detail"),
    path(
        "instruments/<slug:code>/settings/",
        views.instrument_settings,
        name="instrument_settings",
    ),
]
