from django.urls import path

from cycles import views

app_name = "cycles"

urlpatterns = [
    path("cycles/", views.cycle_index, name="list"),
    path("cycles/<int:cycle_id>/edit/", views.cycle_edit, name="edit"),
    path("cycles/<int:cycle_id>/status/", views.cycle_status, name="status"),
    path("cycles/<int:cycle_id>/delete/", views.cycle_delete, name="delete"),
]
