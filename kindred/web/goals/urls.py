from django.urls import URLPattern, URLResolver, path

from kindred.web.goals import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("goals/", views.home, name="goals_home"),
    path("goals/new/", views.new, name="goals_new"),
    path("goals/group/", views.shared, name="goals_shared"),
    path("goals/staff/", views.staff_groups, name="goals_staff"),
    path("goals/staff/groups/<int:group_id>/", views.group, name="goals_group"),
    path("goals/<int:goal_id>/", views.detail, name="goals_detail"),
    path("goals/<int:goal_id>/edit/", views.edit, name="goals_edit"),
    path("goals/<int:goal_id>/status/", views.set_status, name="goals_status"),
    path("goals/<int:goal_id>/check-in/", views.checkin, name="goals_checkin"),
    path("goals/<int:goal_id>/replies/", views.reply, name="goals_reply"),
    path(
        "goals/replies/<int:reply_id>/moderate/",
        views.reply_moderate,
        name="goals_reply_moderate",
    ),
]
