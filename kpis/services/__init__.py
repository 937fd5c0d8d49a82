"""Every write to KPIs and measurements, by topic.

Each service validates, writes inside ``transaction.atomic`` and records the
activity. Permission checks happen in the views/API (``OwnedMixin.editable_by``;
the CSV import takes an ``allowed`` callable so it can report them per row);
services enforce the rules whoever calls them: finite numbers, a target that
fits the direction, one measurement per KPI and period, no period in the future
or before the KPI's tracking start. When measurements change, the floors above
hear of it through ``kpis.signals.measurements_changed``.
"""

from kpis.services.csv_import import (
    ImportPreview,
    ImportResult,
    ImportRow,
    measurement_import,
    measurement_import_preview,
)
from kpis.services.kpis import kpi_create, kpi_delete, kpi_update
from kpis.services.measurements import (
    Recorded,
    UnusualMeasurement,
    check_period,
    measurement_delete,
    measurement_record,
    measurement_unusual,
)

__all__ = [
    "ImportPreview",
    "ImportResult",
    "ImportRow",
    "Recorded",
    "UnusualMeasurement",
    "check_period",
    "kpi_create",
    "kpi_delete",
    "kpi_update",
    "measurement_delete",
    "measurement_import",
    "measurement_import_preview",
    "measurement_record",
    "measurement_unusual",
]
