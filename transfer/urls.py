from django.urls import path

from transfer import views

app_name = "transfer"

# Mounted under /o/<slug>/ (see okrkpi/urls.py).
urlpatterns = [
    path("settings/export/", views.export_page, name="export"),
    path("settings/export/download/", views.export_download, name="export_download"),
    path("settings/import/", views.import_page, name="import"),
    path("settings/import/<int:import_id>/", views.import_run, name="import_run"),
    path("settings/import/<int:import_id>/mapping/", views.import_remap, name="import_remap"),
    path("settings/import/<int:import_id>/people/", views.import_people, name="import_people"),
    path("settings/import/<int:import_id>/apply/", views.import_apply, name="import_apply"),
]
