from django.urls import URLPattern, path

from kindred.api.v1 import space as views

G = "space/groups/<int:group_id>"

urlpatterns: list[URLPattern] = [
    path("space/groups/", views.SpaceListView.as_view(), name="space_list"),
    path(f"{G}/", views.SpaceDetailView.as_view(), name="space_detail"),
    path(f"{G}/pause/", views.SpacePauseView.as_view(), name="space_pause"),
    path(f"{G}/display-name/", views.DisplayNameView.as_view(), name="space_display_name"),
    path(f"{G}/threads/", views.ThreadListView.as_view(), name="space_threads"),
    path(f"{G}/moderation/", views.ModerationView.as_view(), name="space_moderation"),
    path(f"{G}/mutes/", views.MuteCreateView.as_view(), name="space_mutes"),
    path("space/mutes/<int:mute_id>/lift/", views.MuteLiftView.as_view(), name="space_mute_lift"),
    path("space/threads/<int:thread_id>/", views.ThreadDetailView.as_view(), name="space_thread"),
    path(
        "space/threads/<int:thread_id>/posts/", views.ReplyView.as_view(), name="space_thread_posts"
    ),
    path(
        "space/posts/<int:post_id>/reactions/",
        views.ReactionView.as_view(),
        name="space_reactions",
    ),
    path(
        "space/posts/<int:post_id>/reactions/<slug:kind>/",
        views.ReactionDeleteView.as_view(),
        name="space_reaction",
    ),
    path(
        "space/posts/<int:post_id>/reports/", views.ReportCreateView.as_view(), name="space_reports"
    ),
    path(
        "space/posts/<int:post_id>/moderation/",
        views.PostModerationView.as_view(),
        name="space_post_moderation",
    ),
    path(f"{G}/conversations/", views.ConversationListView.as_view(), name="space_conversations"),
    path(
        "space/conversations/<int:conversation_id>/",
        views.ConversationDetailView.as_view(),
        name="space_conversation",
    ),
    path(
        "space/conversations/<int:conversation_id>/messages/",
        views.MessageSendView.as_view(),
        name="space_conversation_messages",
    ),
    path(
        "space/messages/<int:message_id>/moderation/",
        views.MessageModerationView.as_view(),
        name="space_message_moderation",
    ),
    path(
        "space/messages/<int:message_id>/reports/",
        views.MessageReportCreateView.as_view(),
        name="space_message_reports",
    ),
    path(
        "space/reports/<int:report_id>/resolve/",
        views.ReportResolveView.as_view(),
        name="space_report_resolve",
    ),
]
