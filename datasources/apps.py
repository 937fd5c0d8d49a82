from django.apps import AppConfig


class DatasourcesConfig(AppConfig):
    name = "datasources"
    verbose_name = "Data sources"

    def ready(self) -> None:
        # The KPI services (the floor below) check a KPI's own CSV columns against the sheet here.
        from datasources.services.sources import check_kpi_columns
        from kpis.services.formulas import SOURCE_COLUMN_CHECKS

        if check_kpi_columns not in SOURCE_COLUMN_CHECKS:
            SOURCE_COLUMN_CHECKS.append(check_kpi_columns)
