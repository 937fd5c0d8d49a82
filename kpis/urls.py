from django.urls import path

from kpis import views

app_name = "kpis"

# Mounted under /o/<slug>/.
urlpatterns = [
    path("kpis/", views.library, name="library"),
    path("kpis/new/", views.kpi_create, name="create"),
    path("kpis/import/", views.measurement_import, name="import"),
    path("kpis/export.csv", views.measurement_export, name="export"),
    path("kpis/<int:kpi_id>/", views.kpi_detail, name="detail"),
    path("kpis/<int:kpi_id>/edit/", views.kpi_edit, name="edit"),
    path("kpis/<int:kpi_id>/delete/", views.kpi_delete, name="delete"),
    path("kpis/<int:kpi_id>/measurements/", views.measurement_record, name="record"),
    path("kpis/<int:kpi_id>/provenance/", views.measurement_provenance, name="provenance"),
]
