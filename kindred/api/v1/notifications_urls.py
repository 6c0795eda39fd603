from django.urls import URLPattern, URLResolver, path

from kindred.api.v1 import notifications as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/unread-count/",
        views.UnreadCountView.as_view(),
        name="notifications_unread_count",
    ),
    path(
        "notifications/preferences/",
        views.NotificationPreferenceView.as_view(),
        name="notification_preferences",
    ),
    path(
        "notifications/read-all/",
        views.NotificationReadAllView.as_view(),
        name="notifications_read_all",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        views.NotificationReadView.as_view(),
        name="notification_read",
    ),
    path("sms/inbound", views.SmsInboundView.as_view(), name="sms_inbound"),
]
