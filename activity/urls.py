from django.urls import path

from activity import views

app_name = "activity"

# Mounted under /o/<slug>/ (see okrkpi/urls.py).
urlpatterns = [
    path("activity/", views.activity_log, name="log"),
]
