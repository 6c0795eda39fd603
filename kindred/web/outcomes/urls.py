from django.urls import URLPattern, path

from kindred.web.outcomes import views
from kindred.web.placeholder import placeholder

urlpatterns: list[URLPattern] = [
    path("alerts/", views.alert_list_page, name="alert_list"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("clients/<int:client_id>/outcomes/", placeholder, name="member_outcomes"),
    path("groups/<int:group_id>/dashboard/", placeholder, name="group_dashboard"),
]
