"""KPI pages, one module per topic: the library, creating and editing a KPI, a KPI's page
with its inline (htmx) record form, and the CSV import and export."""

from kpis.views.detail import kpi_detail, measurement_provenance, measurement_record
from kpis.views.editing import kpi_create, kpi_delete, kpi_edit
from kpis.views.library import library
from kpis.views.spreadsheets import measurement_export, measurement_import

__all__ = [
    "kpi_create",
    "kpi_delete",
    "kpi_detail",
    "kpi_edit",
    "library",
    "measurement_export",
    "measurement_import",
    "measurement_provenance",
    "measurement_record",
]
