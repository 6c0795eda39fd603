from django.urls import URLPattern, path

from kindred.api.v1 import outcomes as views

urlpatterns: list[URLPattern] = [
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:alert_id>/", views.AlertDetailView.as_view(), name="alert_detail"),
    path(
        "alerts/<int:alert_id>/acknowledge/",
        views.AlertAcknowledgeView.as_view(),
        name="alert_acknowledge",
    ),
    path(
        "clients/<int:client_id>/outcomes/",
        views.MemberOutcomesView.as_view(),
        name="member_outcomes",
    ),
    path(
        "groups/<int:group_id>/dashboard/",
        views.GroupDashboardView.as_view(),
        name="group_dashboard",
    ),
]
