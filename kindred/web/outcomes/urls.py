from django.urls import URLPattern, path

from kindred.web.outcomes import views

urlpatterns: list[URLPattern] = [
    path("alerts/", views.alert_list_page, name="alert_list"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("clients/<int:client_id>/outcomes/", views.member_outcomes_page, name="member_outcomes"),
    path("groups/<int:group_id>/dashboard/", views.group_dashboard_page, name="group_dashboard"),
    path("my/progress/", views.member_progress, name="member_progress"),
    path("practice/outcomes/", views.outcome_settings_page, name="outcome_settings"),
]
