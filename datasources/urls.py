from django.urls import path

from datasources import views

app_name = "datasources"

urlpatterns = [
    path("data-sources/", views.source_list, name="list"),
    path("data-sources/<int:source_id>/", views.source_edit, name="edit"),
    path("data-sources/<int:source_id>/test/", views.source_test_page, name="test"),
    path("data-sources/<int:source_id>/delete/", views.source_delete, name="delete"),
    path("kpis/<int:kpi_id>/pull/", views.kpi_pull, name="kpi_pull"),
    path("kpis/<int:kpi_id>/pulls/<int:pull_id>/resolve/", views.pull_resolve, name="pull_resolve"),
]
