from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="open"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("settings/channels/", views.channel_list, name="channels"),
    path("settings/channels/<int:channel_id>/toggle/", views.channel_toggle, name="channel_toggle"),
    path("settings/channels/<int:channel_id>/delete/", views.channel_delete, name="channel_delete"),
]
