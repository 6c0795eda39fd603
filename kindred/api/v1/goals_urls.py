from django.urls import URLPattern, path

from kindred.api.v1 import goals as views

urlpatterns: list[URLPattern] = [
    path("goals/", views.GoalListView.as_view(), name="goals_list"),
    path("goals/shared/", views.SharedGoalsView.as_view(), name="goals_shared"),
    path("goals/groups/<int:group_id>/", views.GroupGoalsView.as_view(), name="goals_group"),
    path("goals/<int:goal_id>/", views.GoalDetailView.as_view(), name="goals_detail"),
    path("goals/<int:goal_id>/status/", views.GoalStatusView.as_view(), name="goals_status"),
    path("goals/<int:goal_id>/checkins/", views.CheckInView.as_view(), name="goals_checkins"),
    path("goals/<int:goal_id>/replies/", views.ReplyView.as_view(), name="goals_replies"),
    path(
        "goals/replies/<int:reply_id>/moderation/",
        views.ReplyModerationView.as_view(),
        name="goals_reply_moderation",
    ),
]
