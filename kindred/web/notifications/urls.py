from django.urls import URLPattern, path

from kindred.web.notifications import reminder_views, views

urlpatterns: list[URLPattern] = [
    path("notifications/", views.notification_list_page, name="notifications"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
    path(
        "notifications/<int:notification_id>/open/",
        views.notification_open,
        name="notification_open",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
    ),
    path("account/reminders/", reminder_views.own_reminders, name="account_reminders"),
    path(
        "clients/<int:client_id>/reminders/",
        reminder_views.client_reminders,
        name="client_reminders",
    ),
]
