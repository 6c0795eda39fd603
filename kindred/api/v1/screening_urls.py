from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import screening

urlpatterns: list[URLPattern | URLResolver] = [
    path("screenings/", screening.ScreeningListView.as_view(), name="screening_list"),
    path(
        "screenings/<int:screening_id>/",
        screening.ScreeningDetailView.as_view(),
        name="screening_detail",
    ),
    path(
        "screenings/<int:screening_id>/decide/",
        screening.ScreeningDecideView.as_view(),
        name="screening_decide",
    ),
]
