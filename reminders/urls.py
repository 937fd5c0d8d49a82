from django.urls import path

from reminders import views

app_name = "inbox"

# Mounted under /o/<slug>/.
urlpatterns = [
    path("start/", views.start, name="start"),
    path("todo/", views.inbox_page, name="inbox"),
    path("todo/acknowledge/", views.acknowledge, name="acknowledge"),
    path("todo/mentions/<int:comment_id>/open/", views.mention_open, name="mention_open"),
]
