from django.urls import path

from scorecards import views

app_name = "scorecards"

# Mounted under /o/<slug>/ (see okrkpi/urls.py).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("okrs/cascade/", views.cascade_page, name="cascade"),
]
