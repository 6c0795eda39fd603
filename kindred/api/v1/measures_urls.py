from django.urls import URLPattern, path

from kindred.api.v1 import measures as views

urlpatterns: list[URLPattern] = [
    path("instruments/", views.InstrumentListView.as_view(), name="instrument_list"),
    path(
        "instruments/<slug:code>/", views.InstrumentDetailView.as_view(), name="instrument_detail"
    ),
    # The path the integrations brief names (no trailing slash).
    path(
        "instruments/<slug:code>/score",
        views.InstrumentScoreView.as_view(),
        name="instrument_score",
    ),
]
