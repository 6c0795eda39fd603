from django.urls import URLPattern, URLResolver, path

from kindred.web.space import messages, views

G = "space/<int:group_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path(f"{G}/", views.space_home, name="space"),
    path(f"{G}/threads/", views.space_threads, name="space_threads"),
    path(f"{G}/name/", views.display_name, name="space_display_name"),
    path(f"{G}/new/", views.thread_new, name="space_thread_new"),
    path(f"{G}/moderation/", views.moderation, name="space_moderation"),
    path(f"{G}/pause/", views.pause, name="space_pause"),
    path(f"{G}/mutes/", views.mute, name="space_mute"),
    path("space/mutes/<int:mute_id>/lift/", views.mute_lift, name="space_mute_lift"),
    path("space/threads/<int:thread_id>/", views.thread_detail, name="space_thread"),
    path("space/threads/<int:thread_id>/new/", views.thread_poll, name="space_thread_poll"),
    path(
        "space/threads/<int:thread_id>/moderate/",
        views.thread_moderate,
        name="space_thread_moderate",
    ),
    path("space/posts/<int:post_id>/react/", views.react, name="space_react"),
    path("space/posts/<int:post_id>/report/", views.report, name="space_report"),
    path("space/posts/<int:post_id>/moderate/", views.post_moderate, name="space_post_moderate"),
    path(f"{G}/messages/", messages.conversations, name="space_messages"),
    path(
        "space/messages/<int:conversation_id>/",
        messages.conversation,
        name="space_conversation",
    ),
    path(
        "space/direct/<int:message_id>/moderate/",
        messages.message_moderate,
        name="space_message_moderate",
    ),
    path(
        "space/direct/<int:message_id>/report/",
        messages.message_report,
        name="space_message_report",
    ),
    path(
        "space/message-reports/<int:report_id>/resolve/",
        messages.message_report_resolve,
        name="space_message_report_resolve",
    ),
    path(
        "space/reports/<int:report_id>/resolve/",
        views.report_resolve,
        name="space_report_resolve",
    ),
]
